"""Fixtures shared by the unit tests: a fake clock and a thread-less scheduler on it (:mod:`._fake_clock`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flyteexec_widget.live.scheduler import SyncScheduler

from ._fake_clock import Clock, threadless_scheduler


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sched(clock: Clock) -> Iterator[SyncScheduler]:
    s = threadless_scheduler(clock)
    yield s
    s.shutdown()
