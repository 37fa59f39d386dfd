"""A fake monotonic clock for the scheduler's unit tests, and a scheduler on it with no thread (the ``clock`` and
``sched`` fixtures of ``tests/unit/conftest.py``): a test moves time by setting ``clock.now``."""

from __future__ import annotations

import datetime as dt

from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.live.scheduler import SyncScheduler

#: The wall-clock time at the fake clock's start (``Clock().now``): what ``sync_status`` times are reported in.
WALL = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


class Clock:
    """Monotonic seconds that move only when a test sets ``now`` (starts at 100)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def threadless_scheduler(clock: Clock) -> SyncScheduler:
    """A scheduler on ``clock`` (wall time :data:`WALL` at its start) that runs only when a test calls
    ``run_pending``/``sync_once``; retries back off 1, 2, 4, 8 s without jitter, so delays are exact."""
    return SyncScheduler(
        clock=clock,
        wall_clock=lambda: WALL + dt.timedelta(seconds=clock.now - 100.0),
        start_thread=False,
        retry=RetryPolicy(initial_backoff=1.0, multiplier=2.0, max_backoff=8.0, jitter=0.0),
    )
