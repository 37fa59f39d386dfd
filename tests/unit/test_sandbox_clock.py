"""The sandbox clocks: time order, cancellation, callbacks scheduling callbacks, speed."""

from __future__ import annotations

import functools
import threading
from datetime import datetime, timedelta, timezone

import pytest

from flyteexec_widget.sandbox.clock import DEFAULT_START, RealClock, StepClock


def test_step_clock_runs_due_callbacks_in_time_order_with_now_at_due_time() -> None:
    clock = StepClock()
    seen: list[tuple[str, datetime]] = []
    clock.call_later(3, lambda: seen.append(("c", clock.now())))
    clock.call_later(1, lambda: seen.append(("a", clock.now())))
    clock.call_later(2, lambda: seen.append(("b", clock.now())))
    clock.call_later(10, lambda: seen.append(("late", clock.now())))

    assert clock.advance(5) == 3
    assert seen == [
        ("a", DEFAULT_START + timedelta(seconds=1)),
        ("b", DEFAULT_START + timedelta(seconds=2)),
        ("c", DEFAULT_START + timedelta(seconds=3)),
    ]
    assert clock.now() == DEFAULT_START + timedelta(seconds=5)
    assert clock.pending() == 1
    assert clock.next_due() == DEFAULT_START + timedelta(seconds=10)


def test_step_clock_keeps_scheduling_order_for_equal_due_times() -> None:
    clock = StepClock()
    seen: list[int] = []
    for i in range(5):
        clock.call_later(1, functools.partial(seen.append, i))
    clock.advance(1)
    assert seen == [0, 1, 2, 3, 4]


def test_step_clock_cancelled_callback_never_runs() -> None:
    clock = StepClock()
    seen: list[str] = []
    handle = clock.call_later(1, lambda: seen.append("x"))
    clock.call_later(2, lambda: seen.append("y"))
    handle.cancel()
    clock.advance(5)
    assert seen == ["y"]
    assert handle.cancelled


def test_step_clock_nested_callbacks_run_within_the_same_advance_if_due() -> None:
    clock = StepClock()
    seen: list[tuple[str, float]] = []

    def elapsed() -> float:
        return (clock.now() - DEFAULT_START).total_seconds()

    def first() -> None:
        seen.append(("first", elapsed()))
        clock.call_later(0, lambda: seen.append(("now", elapsed())))
        clock.call_later(2, lambda: seen.append(("plus2", elapsed())))
        clock.call_later(10, lambda: seen.append(("plus10", elapsed())))

    clock.call_later(1, first)
    clock.call_later(2, lambda: seen.append(("two", elapsed())))
    clock.advance(4)
    assert seen == [("first", 1.0), ("now", 1.0), ("two", 2.0), ("plus2", 3.0)]
    clock.advance(7)
    assert seen[-1] == ("plus10", 11.0)


def test_step_clock_failing_callback_does_not_stop_the_others() -> None:
    clock = StepClock()
    seen: list[str] = []

    def boom() -> None:
        raise RuntimeError("boom")

    clock.call_later(1, boom)
    clock.call_later(2, lambda: seen.append("after"))
    clock.advance(3)
    assert seen == ["after"]


def test_step_clock_rejects_bad_input_and_reentrant_advance() -> None:
    with pytest.raises(ValueError, match="aware"):
        StepClock(datetime(2026, 1, 1))  # a naive datetime is the point
    clock = StepClock(datetime(2030, 5, 1, tzinfo=timezone.utc))
    assert clock.now() == datetime(2030, 5, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="delay_s"):
        clock.call_later(-1, lambda: None)
    with pytest.raises(ValueError, match="delay_s"):
        clock.advance(float("nan"))
    errors: list[BaseException] = []

    def reenter() -> None:
        try:
            clock.advance(1)
        except RuntimeError as e:
            errors.append(e)

    clock.call_later(0, reenter)
    clock.advance(1)
    assert len(errors) == 1


def test_step_clock_close_drops_pending_work() -> None:
    clock = StepClock()
    seen: list[str] = []
    clock.call_later(1, lambda: seen.append("x"))
    clock.close()
    clock.call_later(1, lambda: seen.append("y"))
    assert clock.advance(5) == 0
    assert seen == []
    assert clock.next_due() is None


def test_real_clock_runs_callbacks_in_order_and_honours_cancel() -> None:
    clock = RealClock(speed=1000.0)  # 1 clock second = 1 ms
    try:
        seen: list[str] = []
        done = threading.Event()
        clock.call_later(20, lambda: seen.append("b"))
        clock.call_later(10, lambda: seen.append("a"))
        clock.call_later(15, lambda: seen.append("cancelled")).cancel()
        clock.call_later(30, done.set)
        assert done.wait(10), "the clock thread never ran the last callback"
        assert seen == ["a", "b"]
        assert clock.now().tzinfo is not None
    finally:
        clock.close()


def test_real_clock_speed_divides_delays() -> None:
    """At speed 1000, a six-minute delay is due in 0.36 real seconds."""
    clock = RealClock(speed=1000.0)
    try:
        done = threading.Event()
        clock.call_later(360, done.set)
        assert done.wait(60)
    finally:
        clock.close()


@pytest.mark.parametrize("speed", [0, -1, float("inf"), float("nan")])
def test_real_clock_rejects_bad_speed(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        RealClock(speed)


def test_real_clock_close_is_idempotent_and_stops_scheduling() -> None:
    clock = RealClock()
    ran = threading.Event()
    clock.call_later(0.5, ran.set)
    clock.close()
    clock.close()
    clock.call_later(0, ran.set)
    assert not ran.is_set()
