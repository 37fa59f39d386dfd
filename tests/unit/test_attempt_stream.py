"""attempt_stream.stream with fake jobs: prioritized nodes first, a stopped watch starts no call, the first failure
raised after the calls in flight, a prioritized batch published when its last answer came."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from flyteexec_widget.live.attempt_stream import Job, NodeKey, Priorities, stream


def _key(i: int) -> NodeKey:
    return ("p", "d", "e", f"n{i}")


class Log:
    """What happened, in order: ``call n3`` when a job's call starts, ``handle n3`` when its answer is handled on
    the syncing thread, ``paint`` for a publication."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self.lock = threading.Lock()
        self.handled_on: set[int] = set()

    def note(self, what: str) -> None:
        with self.lock:
            self.entries.append(what)

    def of(self, kind: str) -> list[str]:
        with self.lock:
            return [e.split(" ", 1)[1] for e in self.entries if e.startswith(kind + " ")]


def _job(log: Log, i: int, call: Any = None) -> Job:
    def default_call() -> str:
        log.note(f"call n{i}")
        return f"answer n{i}"

    def handle(result: Any) -> None:
        assert result == f"answer n{i}"
        log.handled_on.add(threading.get_ident())
        log.note(f"handle n{i}")

    return Job(("tasks", i), call or default_call, handle, node_key=_key(i))


def _run(jobs: list[Job], log: Log, *, workers: int = 1, priorities: Priorities | None = None, **kw: Any) -> None:
    with ThreadPoolExecutor(workers) as executor:
        stream(
            jobs,
            executor=executor,
            workers=workers,
            priorities=priorities or Priorities(),
            paint=lambda: log.note("paint x"),
            **kw,
        )


def test_every_job_runs_once_and_is_handled_on_the_calling_thread() -> None:
    log = Log()
    calls = []
    _run([_job(log, i) for i in range(20)], log, workers=4, on_call=lambda: calls.append(1))
    assert sorted(log.of("call")) == sorted(f"n{i}" for i in range(20))
    assert sorted(log.of("handle")) == sorted(f"n{i}" for i in range(20))
    assert log.handled_on == {threading.get_ident()}
    assert len(calls) == 20


def test_a_node_prioritized_before_the_stream_is_the_first_call() -> None:
    log = Log()
    priorities = Priorities()
    priorities.add([_key(7), _key(3)])
    _run([_job(log, i) for i in range(10)], log, priorities=priorities)
    assert log.of("call")[:2] == ["n3", "n7"]  # queue order among the prioritized
    assert log.of("call")[2:] == [f"n{i}" for i in range(10) if i not in (3, 7)]


def test_a_node_prioritized_while_calls_run_is_the_next_one_started() -> None:
    log = Log()
    priorities = Priorities()
    jobs = [_job(log, i) for i in range(10)]

    def call_n1() -> str:
        log.note("call n1")
        priorities.add([_key(8)])  # the user opens row n8 while n1's call runs
        return "answer n1"

    jobs[1] = _job(log, 1, call_n1)
    _run(jobs, log, priorities=priorities)
    assert log.of("call")[:3] == ["n0", "n1", "n8"]


def test_a_stopped_stream_starts_no_further_call() -> None:
    log = Log()
    stop = threading.Event()
    jobs = [_job(log, i) for i in range(10)]

    def call_n2() -> str:
        log.note("call n2")
        stop.set()  # the widget closes while n2's call runs
        return "answer n2"

    jobs[2] = _job(log, 2, call_n2)
    _run(jobs, log, stopped=stop.is_set)
    assert log.of("call") == ["n0", "n1", "n2"]
    assert log.of("handle") == ["n0", "n1", "n2"]  # the answer in flight is still handled


def test_the_first_error_is_raised_after_the_calls_in_flight_finished() -> None:
    log = Log()
    started = threading.Barrier(2)  # n0 and n1 are both in flight
    release = threading.Event()

    def failing() -> str:
        started.wait()
        log.note("call n0")
        raise RuntimeError("n0 failed")

    def slow() -> str:
        started.wait()
        release.wait(timeout=30)
        log.note("call n1")
        return "answer n1"

    jobs = [_job(log, 0, failing), _job(log, 1, slow)] + [_job(log, i) for i in range(2, 6)]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _run(jobs, log, workers=2)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=0.5)
    assert t.is_alive()  # the failure waits for n1, still in flight
    release.set()
    t.join(timeout=30)
    assert not t.is_alive()
    assert [str(e) for e in errors] == ["n0 failed"]
    assert sorted(log.of("call")) == ["n0", "n1"]  # no call started after the failure
    assert log.of("handle") == ["n1"]


def test_a_failing_handler_is_raised() -> None:
    log = Log()
    jobs = [_job(log, i) for i in range(5)]

    def bad_handle(result: Any) -> None:
        raise ValueError("bad answer")

    jobs[1].handle = bad_handle
    with pytest.raises(ValueError, match="bad answer"):
        _run(jobs, log)


def _handled_and_paints(log: Log) -> list[str]:
    """The syncing thread's own sequence: answers handled and publications, in order."""
    return [e for e in log.entries if not e.startswith("call ")]


def test_a_prioritized_batch_publishes_when_its_last_answer_came() -> None:
    log = Log()
    priorities = Priorities()
    priorities.add([_key(5), _key(6)])  # a row and its child
    # the clock never moves: no publication is due by time, only by the batch
    _run([_job(log, i) for i in range(10)], log, priorities=priorities, clock=lambda: 0.0)
    rest = [f"handle n{i}" for i in range(10) if i not in (5, 6)]
    assert _handled_and_paints(log) == ["handle n5", "handle n6", "paint x", *rest]


def test_a_batch_prioritized_while_another_is_queued_publishes_when_both_answered() -> None:
    log = Log()
    priorities = Priorities()
    priorities.add([_key(5), _key(6)])
    jobs = [_job(log, i) for i in range(10)]

    def call_n5() -> str:
        log.note("call n5")
        priorities.add([_key(9)])  # another row opened while n6 is still queued
        return "answer n5"

    jobs[5] = _job(log, 5, call_n5)
    _run(jobs, log, priorities=priorities, clock=lambda: 0.0)
    rest = [f"handle n{i}" for i in range(9) if i not in (5, 6)]
    # n6, still queued, is not counted twice: the publication comes with the last prioritized answer
    assert _handled_and_paints(log) == ["handle n5", "handle n6", "handle n9", "paint x", *rest]


def _gated_jobs(log: Log, n: int, now: list[float]) -> list[Job]:
    """Jobs whose call waits until the previous answer was handled, and whose handling moves the clock 1 s on."""
    gates = [threading.Event() for _ in range(n)]
    gates[0].set()
    jobs = []
    for i in range(n):

        def call(i: int = i) -> str:
            assert gates[i].wait(timeout=30)
            log.note(f"call n{i}")
            return f"answer n{i}"

        def handle(result: Any, i: int = i) -> None:
            now[0] += 1.0
            log.note(f"handle n{i}")
            if i + 1 < n:
                gates[i + 1].set()

        jobs.append(Job(("tasks", i), call, handle, node_key=_key(i)))
    return jobs


def test_progress_is_published_every_interval_while_calls_remain() -> None:
    log = Log()
    now = [0.0]
    _run(_gated_jobs(log, 6, now), log, clock=lambda: now[0])
    # every PROGRESS_PUBLISH_S (2 s); none once no call is queued (the caller publishes the finished tree)
    assert _handled_and_paints(log) == [
        "handle n0",
        "handle n1",
        "paint x",
        "handle n2",
        "handle n3",
        "paint x",
        "handle n4",
        "handle n5",
    ]


def test_priorities_take_if_new() -> None:
    p = Priorities()
    assert p.take_if_new() is None
    p.add([_key(1)])
    assert p.take_if_new() == frozenset({_key(1)})
    assert p.take_if_new() is None  # taken
    p.mark_new()
    assert p.take_if_new() == frozenset({_key(1)})  # kept until cleared
    p.clear()
    p.mark_new()
    assert p.take_if_new() == frozenset()
