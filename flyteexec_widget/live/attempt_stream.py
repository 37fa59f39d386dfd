"""The background stream of a publishing refresh: the nodes' own calls (attempt listings, whole errors) after the
first paint, run on worker loops, the nodes a view asked for first, with progress published as answers come.

Stdlib only: the sync engine (:mod:`~flyteexec_widget.live.sync`) plans the :class:`Job` s and handles their
answers; this module only orders, runs and paces them. :func:`stream` runs one refresh's jobs; :class:`Priorities`
holds the nodes a view asked for across refreshes (:meth:`TreeSync.prioritize` adds to it from any thread).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any

#: While a publishing refresh lists attempts, the rows are published this often (seconds), so attempts fill in
#: as they arrive; a row the view asked for (:meth:`TreeSync.prioritize`) is published as soon as its answer came.
PROGRESS_PUBLISH_S = 2.0

#: A prioritized batch of attempt listings (a row and its children) is published at least this often (seconds).
URGENT_PUBLISH_S = 0.1

#: A node: (project, domain, execution name, node id).
NodeKey = tuple[str, str, str, str]


@dataclass
class Job:
    """One RPC (or a short fixed sequence) and what to do with its answer on the syncing thread."""

    key: tuple[Any, ...]
    call: Callable[[], Any]
    handle: Callable[[Any], None]
    #: None: needed. An int: optional (attempts of an unchanged running node), run within the refresh's budget,
    #: lowest first (the refresh number of the node's last attempt listing: least recently listed first).
    optional_rank: int | None = None
    #: The node whose own call this is (attempts, whole error): such calls come after the rows in a publishing
    #: refresh, and a prioritized node's go first.
    node_key: NodeKey | None = None
    urgent: bool = False


class Priorities:
    """The nodes whose attempts a view asked for, kept until a refresh has listed every node's attempts.
    Thread-safe: views add from any thread while a stream's workers take them."""

    def __init__(self) -> None:
        self._keys: set[NodeKey] = set()
        self._new = False  # keys were added since a stream last took them
        self._lock = threading.Lock()

    def add(self, keys: Iterable[NodeKey]) -> None:
        with self._lock:
            self._keys.update(keys)
            self._new = True

    def mark_new(self) -> None:
        """Have the next look take every key (a stream starting: requests made before it count too)."""
        self._new = True

    def take_if_new(self) -> frozenset[NodeKey] | None:
        """Every key, if any was added since the last take (or :meth:`mark_new`); else None."""
        with self._lock:
            if not self._new:
                return None
            self._new = False
            return frozenset(self._keys)

    def clear(self) -> None:
        """Forget every key (a refresh has listed every node's attempts)."""
        with self._lock:
            self._keys.clear()


def stream(
    jobs: Sequence[Job],
    *,
    executor: Executor,
    workers: int,
    priorities: Priorities,
    paint: Callable[[], None],
    stopped: Callable[[], bool] | None = None,
    on_call: Callable[[], None] = lambda: None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run the jobs on ``executor``, handling each answer on this thread as it comes (``on_call()`` counts it)
    and calling ``paint()`` to publish progress. Each of ``workers`` loops takes the next job itself (a prioritized
    node's first), so the calls never wait for this thread, and a prioritized node's call is the next one any
    worker starts. Once ``stopped()`` says True no call starts (those left are dropped). Raises the first failure
    once the calls in flight finished (no call starts after it)."""
    queue: deque[Job] = deque(jobs)
    lock = threading.Lock()  # guards the queue, the jobs' ``urgent`` and ``urgent_left``
    answered: SimpleQueue[tuple[Job, bool, Any] | None] = SimpleQueue()  # None: a worker is done
    failed = threading.Event()
    priorities.mark_new()  # look for earlier requests once
    urgent_left = 0  # prioritized calls queued or in flight

    def work() -> None:
        nonlocal urgent_left
        try:
            while True:
                with lock:
                    urgent_left += _promote(queue, priorities)
                    if failed.is_set() or not queue:
                        return
                    if stopped is not None and stopped():
                        # a stopped watch (its widget closed) must not go on listing 10,000 attempts: those
                        # left stay pending (tasks_for None) and the next refresh plans them again
                        queue.clear()
                        return
                    job = queue.popleft()
                try:
                    answered.put((job, True, job.call()))
                except BaseException as exc:  # handed to the syncing thread, which raises it
                    failed.set()
                    answered.put((job, False, exc))
        finally:
            answered.put(None)

    running = 0
    for _ in range(min(workers, len(queue))):
        executor.submit(work)
        running += 1
    first_error: BaseException | None = None
    last = clock()
    cost = 0.0  # what the last progress publication took (seconds)
    while running:
        item = answered.get()
        if item is None:
            running -= 1
            continue
        job, ok, result = item
        on_call()
        try:
            if not ok:
                raise result
            job.handle(result)
        except BaseException as exc:  # raised below, once the calls in flight finished
            failed.set()
            if first_error is None:
                first_error = exc
        now = clock()
        urgent = False
        if job.urgent:
            with lock:
                urgent_left -= 1
                # a prioritized batch (a row and its children) shows when its last answer came, or every 0.1 s
                urgent = urgent_left <= 0 or now - last >= URGENT_PUBLISH_S
        # progress at most every PROGRESS_PUBLISH_S and never more than a tenth of the time: a publication of
        # 10,000 rows is not free (the calls go on meanwhile, but answers wait for this thread)
        if urgent or (queue and now - last >= max(PROGRESS_PUBLISH_S, 9 * cost)):
            paint()
            last = clock()
            cost = last - now
    if first_error is not None:
        raise first_error


def _promote(queue: deque[Job], priorities: Priorities) -> int:
    """Move the queued calls of prioritized nodes to the front (called with the stream's lock held); returns how
    many were newly marked urgent (one promoted again for a later request is counted once: its one answer ends
    the batch)."""
    urgent = priorities.take_if_new()
    if not urgent:
        return 0
    first = [j for j in queue if j.node_key is not None and j.node_key in urgent]
    if not first:
        return 0
    chosen = {id(j) for j in first}
    rest = [j for j in queue if id(j) not in chosen]
    added = sum(1 for j in first if not j.urgent)
    for j in first:
        j.urgent = True
    queue.clear()
    queue.extend(first)
    queue.extend(rest)
    return added
