"""DaemonPool: a thread pool whose threads never hold up the interpreter's exit or the caller of ``shutdown()``.

A ``ThreadPoolExecutor`` joins its threads at interpreter exit, so one call stuck on a server that accepts calls and
never answers kept a script that got Ctrl-C (or a kernel asked to shut down) alive until the call's deadline ran
out. Here the threads are daemons and ``shutdown()`` does not wait unless asked: a stuck call finishes, or times
out, on its own thread while everything else moves on. The client's RPC pool and the scheduler's sync workers use
it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

__all__ = ["DaemonPool"]

_T = TypeVar("_T")
_Item = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class DaemonPool(Executor):
    """Up to ``max_workers`` daemon threads, started as work arrives and kept until :meth:`shutdown`."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "daemon-pool") -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self._max_workers = max_workers
        self._prefix = thread_name_prefix
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # workers waiting on the queue and not yet promised an item
        self._shutdown = False

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        future: Future[_T] = Future()
        item: _Item = (future, fn, args, kwargs)
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._idle:
                self._idle -= 1  # that worker takes this item
                self._queue.put(item)
            elif len(self._threads) < self._max_workers:
                # Through the queue, not as the thread's args: a Thread keeps its args until it ends, so the
                # first item (and the objects its call holds, e.g. a whole execution tree) would live as long.
                self._queue.put(item)
                name = f"{self._prefix}_{len(self._threads)}"
                thread = threading.Thread(target=self._work, name=name, daemon=True)
                self._threads.append(thread)
                thread.start()
            else:
                self._queue.put(item)  # every worker is busy: the first one free takes it
        return future

    def shutdown(self, wait: bool = False, *, cancel_futures: bool = False, timeout: float | None = None) -> None:
        """Stop taking work; the workers exit once the work queued so far is done (``cancel_futures``: once their
        current item is). ``wait=False`` (the default here) returns at once: a worker stuck in a call ends on its
        own; ``wait=True`` joins the workers, for at most ``timeout`` seconds in all (None: no limit)."""
        with self._lock:
            self._shutdown = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in threads:
            self._queue.put(None)
        if wait:
            give_up_at = None if timeout is None else time.monotonic() + timeout
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join(None if give_up_at is None else max(0.0, give_up_at - time.monotonic()))

    def _work(self) -> None:
        item = self._queue.get()
        while item is not None:
            future, fn, args, kwargs = item
            del item  # do not keep the last item's arguments alive while idle
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # handed to whoever waits on the future, like ThreadPoolExecutor
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, fn, args, kwargs
            with self._lock:
                self._idle += 1
            item = self._queue.get()
