"""Clocks for the sandbox: a real one (with a speed factor, for demos) and a stepped one (deterministic, for tests).

Every timestamp the sandbox writes (event ``occurred_at``, ``created_at``/``updated_at``) comes from a clock's
``now()``, and every delay the player waits goes through ``call_later()``, so a test can replace time itself.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol

log = logging.getLogger(__name__)

#: Where a :class:`StepClock` starts unless told otherwise: a fixed instant, so test output is reproducible.
DEFAULT_START = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def _nothing() -> None:
    """What a cancelled handle holds instead of its callback."""


class Handle:
    """A scheduled callback; ``cancel()`` makes sure it never runs (a no-op once it ran)."""

    __slots__ = ("_cancelled", "due", "fn")

    def __init__(self, due: float, fn: Callable[[], object]) -> None:
        self.due = due
        self.fn = fn
        self._cancelled = False

    def cancel(self) -> None:
        """Do not run the callback (if it has not run yet)."""
        self._cancelled = True
        self.fn = _nothing  # drop the callback (and any reference cycle through it) at once

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled


class Clock(Protocol):
    """What the sandbox needs from time: the current instant and delayed callbacks."""

    def now(self) -> datetime:
        """The current instant, an aware UTC datetime."""
        ...

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> Handle:
        """Run ``fn()`` once ``delay_s`` seconds of this clock's time have passed."""
        ...

    def close(self) -> None:
        """Drop every pending callback and stop any thread; idempotent."""
        ...


def _check_delay(delay_s: float) -> float:
    delay = float(delay_s)
    if delay != delay or delay < 0:  # NaN or negative
        raise ValueError(f"delay_s must be a number >= 0, got {delay_s!r}")
    return delay


def _run(handle: Handle) -> None:
    """Run one callback; a failing callback is logged, never allowed to stop the clock."""
    try:
        handle.fn()
    except Exception:
        log.exception("sandbox clock callback %r failed", handle.fn)


class _Queue:
    """A time-ordered queue of handles; ties keep scheduling order (FIFO), which keeps event order deterministic."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Handle]] = []
        self._seq = itertools.count()

    def push(self, handle: Handle) -> None:
        heapq.heappush(self._heap, (handle.due, next(self._seq), handle))

    def pop_due(self, limit: float) -> Handle | None:
        """The earliest live handle due at or before ``limit``, removed from the queue; None if there is none."""
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        if self._heap and self._heap[0][0] <= limit:
            return heapq.heappop(self._heap)[2]
        return None

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return sum(1 for _, _, h in self._heap if not h.cancelled)

    def clear(self) -> None:
        self._heap.clear()


class StepClock:
    """A clock that moves only when told: ``advance(seconds)`` runs due callbacks in time order, synchronously.

    Callbacks may schedule more callbacks; those run in the same ``advance`` if they fall due before its end.
    ``now()`` inside a callback is the callback's due time. ``call_later`` may be called from any thread
    (the sandbox's gRPC handlers schedule work), but callbacks run only in the thread that calls ``advance``.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError(f"start must be an aware datetime (UTC), got naive {start!r}")
        self._epoch = start.astimezone(timezone.utc)
        self._t = 0.0  # seconds since epoch
        self._queue = _Queue()
        self._lock = threading.RLock()
        self._advancing = False
        self._closed = False

    def now(self) -> datetime:
        """The clock's current instant."""
        with self._lock:
            return self._epoch + timedelta(seconds=self._t)

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> Handle:
        """Schedule ``fn`` at ``now() + delay_s``; it runs inside a later (or the current) ``advance``."""
        delay = _check_delay(delay_s)
        with self._lock:
            handle = Handle(self._t + delay, fn)
            if not self._closed:
                self._queue.push(handle)
            return handle

    def advance(self, seconds: float) -> int:
        """Move time forward by ``seconds``, running every callback that falls due, in time order.

        Returns the number of callbacks run. Not re-entrant: a callback may not call ``advance``.
        """
        step = _check_delay(seconds)
        with self._lock:
            if self._advancing:
                raise RuntimeError("StepClock.advance() called from inside a clock callback")
            self._advancing = True
            target = self._t + step
        ran = 0
        try:
            while True:
                with self._lock:
                    handle = self._queue.pop_due(target)
                    if handle is None:
                        self._t = target
                        return ran
                    self._t = max(self._t, handle.due)
                # Run outside the lock: the callback makes gRPC calls whose handlers schedule more callbacks.
                _run(handle)
                ran += 1
        finally:
            with self._lock:
                self._advancing = False

    def next_due(self) -> datetime | None:
        """When the earliest pending callback falls due, or None when nothing is pending."""
        with self._lock:
            due = self._queue.next_due()
            return None if due is None else self._epoch + timedelta(seconds=due)

    def pending(self) -> int:
        """How many callbacks are waiting."""
        with self._lock:
            return len(self._queue)

    def close(self) -> None:
        """Drop every pending callback; later ``call_later`` calls schedule nothing."""
        with self._lock:
            self._closed = True
            self._queue.clear()


class RealClock:
    """Wall-clock time; callbacks run on one daemon thread after ``delay_s / speed`` real seconds.

    ``now()`` is the real UTC time (not scaled), so timestamps agree with the client's own clock: a demo at
    ``speed=10`` simply finishes ten times sooner, with ten times shorter durations.
    """

    def __init__(self, speed: float = 1.0) -> None:
        speed = float(speed)
        if not speed > 0 or speed == float("inf"):
            raise ValueError(f"speed must be a finite number > 0, got {speed!r}")
        self.speed = speed
        self._queue = _Queue()
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="sandbox-clock", daemon=True)
        self._thread.start()

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(timezone.utc)

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> Handle:
        """Run ``fn`` on the clock thread after ``delay_s / speed`` real seconds."""
        delay = _check_delay(delay_s)
        handle = Handle(time.monotonic() + delay / self.speed, fn)
        with self._cond:
            if not self._closed:
                self._queue.push(handle)
                self._cond.notify()
        return handle

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                handle = self._queue.pop_due(time.monotonic())
                if handle is None:
                    due = self._queue.next_due()
                    self._cond.wait(None if due is None else max(0.0, due - time.monotonic()))
                    continue
            _run(handle)

    def close(self) -> None:
        """Stop the thread and drop pending callbacks; idempotent."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
