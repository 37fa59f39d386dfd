"""The end check of a watch a blocked wait() depends on: its refreshes back off in a quiet stretch, its execution's
phase is still looked at every END_CHECK_S (one call), and the end is seen within that; a fake clock, no thread."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2

from flyteexec_widget.admin.errors import UnavailableError
from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import END_CHECK_S, SyncScheduler, Watch
from flyteexec_widget.objects.executions import FlyteWorkflowExecution

RUNNING = execution_pb2.WorkflowExecution.RUNNING
SUCCEEDED = execution_pb2.WorkflowExecution.SUCCEEDED
WALL = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Server:
    """The execution's phase as FlyteAdmin has it, and every call made of it: ``refresh`` (a whole sync, a few
    calls) or ``check`` (one GetExecution), each with the clock's time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.phase = RUNNING
        self.calls: list[tuple[str, float]] = []
        self.check_error: BaseException | None = None


class QuietTree:
    """A running execution whose rows do not change (a gate waits, one long task runs) until ``server.phase``
    ends; ``execution_moved`` as TreeSync answers it: the phase differs from the one the last refresh saw."""

    def __init__(self, server: Server) -> None:
        proto = admin_execution_pb2.Execution(
            id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="quiet")
        )
        proto.closure.phase = RUNNING
        self.execution = FlyteWorkflowExecution(proto)
        self.execution._node_executions = {}
        self.server = server
        self.last_rpc_count = 3

    def refresh(self, sync_nodes: bool = True) -> FlyteWorkflowExecution:
        self.server.calls.append(("refresh", self.server.clock.now))
        self.execution.to_flyte_idl().closure.phase = self.server.phase
        return self.execution

    def execution_moved(self) -> bool:
        self.server.calls.append(("check", self.server.clock.now))
        if self.server.check_error is not None:
            raise self.server.check_error
        return bool(self.execution.to_flyte_idl().closure.phase != self.server.phase)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sched(clock: Clock) -> Iterator[SyncScheduler]:
    s = SyncScheduler(
        clock=clock,
        wall_clock=lambda: WALL + dt.timedelta(seconds=clock.now - 100.0),
        start_thread=False,
        retry=RetryPolicy(initial_backoff=1.0, multiplier=2.0, max_backoff=8.0, jitter=0.0),
    )
    yield s
    s.shutdown()


def run_until(sched: SyncScheduler, clock: Clock, until: float) -> None:
    """Drive the scheduler as its thread would: wake when it says, until the clock reaches ``until``."""
    while True:
        next_due = sched.run_pending()
        if next_due is None or next_due > until:
            clock.now = until
            return
        clock.now = max(clock.now, next_due)


def unavailable(method: str) -> UnavailableError:
    return UnavailableError(f"{method}: unavailable", code=grpc.StatusCode.UNAVAILABLE, method=method)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def watch_quiet(sched: SyncScheduler, **kw: Any) -> tuple[Watch, Server]:
    server = Server(sched._clock)  # type: ignore[arg-type]
    tree = QuietTree(server)
    return sched.watch(tree.execution, ExecutionModel(), tree=tree, **kw), server


def test_a_waited_on_watch_backs_its_refreshes_off_but_looks_at_the_phase_every_second(
    sched: SyncScheduler, clock: Clock
) -> None:
    """wait() on an execution that is quiet for a minute (gates waiting): refreshes back off to max_interval as
    before, and between them one cheap check a second; the end is seen within END_CHECK_S and the wait ends."""
    w, server = watch_quiet(sched, paced=False)  # wait()'s own watch
    run_until(sched, clock, 160.0)
    refreshes = [t for kind, t in server.calls if kind == "refresh"]
    checks = [t for kind, t in server.calls if kind == "check"]
    assert max(gaps(refreshes)) == sched.max_interval  # the refreshes backed off: a quiet minute costs ~10 of them
    assert len(refreshes) <= 10
    looks = sorted(refreshes + checks)  # a refresh looks at the phase too
    assert max(gaps(looks)) <= END_CHECK_S
    assert len(checks) == w.checks >= 40  # ~one call a second, not a refresh (a few calls) a second
    server.phase = SUCCEEDED
    ended_at = clock.now
    run_until(sched, clock, ended_at + END_CHECK_S)
    assert w.finished.is_set()
    assert w.model.sync_status["state"] == "done"
    assert w.model.header["phase"] == "SUCCEEDED"
    seen = [t for kind, t in server.calls if kind == "refresh" and t > ended_at]
    assert seen
    assert seen[0] - ended_at <= END_CHECK_S


def test_a_widgets_watch_makes_no_checks_unless_a_wait_follows_it(sched: SyncScheduler, clock: Clock) -> None:
    """A paced watch (a widget left open for hours) keeps to its call budget: no checks. While a wait() follows
    it, it is looked at every second like wait()'s own; after the wait, no more checks."""
    w, server = watch_quiet(sched)
    run_until(sched, clock, 160.0)
    assert [kind for kind, _ in server.calls].count("check") == 0
    with w.followed():
        run_until(sched, clock, 220.0)
        during = [t for kind, t in server.calls if t > 160.0]
        assert max(gaps(during)) <= END_CHECK_S
        assert w.checks >= 40
    checks = w.checks
    run_until(sched, clock, 280.0)
    assert w.checks == checks


def test_a_fixed_poll_interval_gets_no_checks(sched: SyncScheduler, clock: Clock) -> None:
    """wait(poll_interval=30): the caller chose how often FlyteAdmin is asked (flytekit's semantics)."""
    w, server = watch_quiet(sched, paced=False, poll_interval=30.0)
    run_until(sched, clock, 190.0)
    assert [kind for kind, _ in server.calls] == ["refresh"] * 4
    assert w.checks == 0


def test_a_failing_check_hands_over_to_the_refresh_which_reconnects(sched: SyncScheduler, clock: Clock) -> None:
    """A check that fails makes the refresh due at once: it shows "reconnecting" and backs off as any failing sync
    does, and no checks run while the watch fails."""
    w, server = watch_quiet(sched, paced=False)
    run_until(sched, clock, 130.0)
    server.check_error = unavailable("GetExecution")
    tree: Any = w.tree
    original = tree.refresh

    def failing(sync_nodes: bool = True) -> Any:
        server.calls.append(("refresh", clock.now))
        raise unavailable("ListNodeExecutions")

    tree.refresh = failing
    before = len(server.calls)
    run_until(sched, clock, 131.0)
    assert [kind for kind, _ in server.calls[before:]] == ["check", "refresh"]
    assert w.model.sync_status["state"] == "reconnecting"
    before = len(server.calls)
    run_until(sched, clock, 140.0)
    assert "check" not in [kind for kind, _ in server.calls[before:]]  # the backoff governs while it fails
    server.check_error = None
    tree.refresh = original
    run_until(sched, clock, 160.0)
    assert w.model.sync_status["state"] == "live"
    assert w.checks > 1


def test_end_check_must_be_positive() -> None:
    with pytest.raises(ValueError, match="end_check must be a positive number of seconds, got 0"):
        SyncScheduler(start_thread=False, end_check=0)
