"""Seeing a change soon without refreshing often. The end check of a watch a blocked wait() depends on: its
refreshes back off in a quiet stretch, its execution's phase is still looked at every END_CHECK_S (one call), and
the end is seen within that; after a quiet minute the looks spread out to END_CHECK_MAX_S, back to END_CHECK_S as
soon as it moves. refresh_soon(): after the user approved a gate (or sent a signal, or terminated) from
the widget, its watch refreshes at once at its fastest interval. A fake clock, no thread."""

from __future__ import annotations

import itertools
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2

from flyteexec_widget.admin.errors import UnavailableError
from flyteexec_widget.live import scheduler as scheduler_module
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import END_CHECK_MAX_S, END_CHECK_QUIET_S, END_CHECK_S, SyncScheduler, Watch
from flyteexec_widget.objects.executions import FlyteWorkflowExecution

from ._fake_clock import Clock, threadless_scheduler
from .test_widget import recording_comm  # noqa: F401  # autouse there: the widget test below records its comm

RUNNING = execution_pb2.WorkflowExecution.RUNNING
SUCCEEDED = execution_pb2.WorkflowExecution.SUCCEEDED


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
    before, and between them one cheap check every END_CHECK_S; the end is seen within that and the wait ends."""
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


def test_a_long_refresh_counts_as_a_look_from_its_start(sched: SyncScheduler, clock: Clock) -> None:
    """A refresh asks for the execution in its first round: one that then lists 1,000 nodes' attempts for 0.8 s
    saw the phase 0.8 s before it ended, so the next check is due as it ends, not END_CHECK_S after."""
    w, server = watch_quiet(sched, paced=False)
    run_until(sched, clock, 110.0)
    tree: Any = w.tree
    original = tree.refresh

    def long_refresh(sync_nodes: bool = True) -> Any:
        result = original(sync_nodes)
        clock.now += 0.8
        return result

    tree.refresh = long_refresh
    started = clock.now
    sched.sync_once(w)
    assert clock.now == started + 0.8
    assert w.check_due == started + END_CHECK_S
    before = len(server.calls)
    sched.run_pending()
    assert [kind for kind, _ in server.calls[before:]] == ["check"]


def test_no_check_right_before_a_refresh(sched: SyncScheduler, clock: Clock) -> None:
    """Rows change at every refresh (a fan-out running): refreshes every second, each taking 20 ms. One check
    half-way between two refreshes; none 20 ms before the next refresh (which looks anyway)."""
    w, server = watch_quiet(sched, paced=False)
    tree: Any = w.tree
    original = tree.refresh

    def busy(sync_nodes: bool = True) -> Any:
        result = original(sync_nodes)
        w.model.rows_version += 1  # rows changed: the interval stays at its minimum
        clock.now += 0.02
        return result

    tree.refresh = busy
    started = clock.now
    sched.sync_once(w)  # as the sync thread runs it: the next one is due an interval after it ended
    assert w.due == pytest.approx(started + 0.02 + sched.min_interval)
    assert sched.run_pending(started + END_CHECK_S) == pytest.approx(w.due)  # the check, then the refresh
    assert [kind for kind, _ in server.calls] == ["refresh", "check"]
    assert w.check_due < w.due  # due 20 ms before the refresh: left to it
    clock.now = w.check_due
    assert sched.run_pending() == pytest.approx(w.due)
    assert [kind for kind, _ in server.calls] == ["refresh", "check"]


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


# ---------------------------------------------------------------------------------------------------------------
# a long-blocked wait(): the end check backs off after a quiet spell (END_CHECK_QUIET_S, END_CHECK_MAX_S)
# ---------------------------------------------------------------------------------------------------------------


def looks_after(server: Server, since: float) -> list[float]:
    """When the execution's phase was looked at after ``since``: checks, and refreshes (they look too)."""
    return [t for _kind, t in server.calls if t > since]


def test_a_quiet_hour_the_checks_spread_out_to_the_cap_and_the_end_is_seen_within_it(
    sched: SyncScheduler, clock: Clock
) -> None:
    """wait() on a training that runs for an hour without a node moving: a look every END_CHECK_S for the first
    END_CHECK_QUIET_S, then 1, 2, 4 s apart and never more than END_CHECK_MAX_S (a look is never more than the
    interval plus 1/8 s late: a check due right before a refresh is left to it). The end, after the hour, is seen
    within END_CHECK_MAX_S."""
    start = clock.now
    w, server = watch_quiet(sched, paced=False)  # wait()'s own watch
    run_until(sched, clock, start + 3600.0)
    first_minute = [t for t in looks_after(server, start - 1) if t <= start + END_CHECK_QUIET_S]
    assert max(gaps(first_minute)) <= END_CHECK_S
    later = [t for kind, t in server.calls if kind == "check" and t > start + END_CHECK_QUIET_S]
    assert gaps(later)[:3] == [1.0, 2.0, END_CHECK_MAX_S]  # doubling from END_CHECK_S to the cap
    assert w.check_interval == END_CHECK_MAX_S
    looks = looks_after(server, start + END_CHECK_QUIET_S)
    assert max(gaps(looks)) <= END_CHECK_MAX_S + END_CHECK_S / 4
    assert max(gaps(looks)) >= END_CHECK_MAX_S - END_CHECK_S / 4  # it did reach the cap
    server.phase = SUCCEEDED
    ended_at = clock.now
    run_until(sched, clock, ended_at + END_CHECK_MAX_S + END_CHECK_S / 4)
    assert w.finished.is_set()
    assert w.model.header["phase"] == "SUCCEEDED"
    seen = [t for kind, t in server.calls if kind == "refresh" and t > ended_at]
    assert 0 < seen[0] - ended_at <= END_CHECK_MAX_S + END_CHECK_S / 4


def test_a_quiet_hour_costs_under_a_seventh_of_the_get_execution_calls(clock: Clock) -> None:
    """The GetExecution calls of the end check over a simulated quiet hour, against a look every END_CHECK_S all
    hour (the interval before it backed off: 2 a second): ~120 in the first minute, then ~3 every 15 s refresh
    (0.2 a second); with the refreshes (3 calls each here) the watcher stays under issue 15's 1 call a second."""
    counts = {}
    for name, cap in (("backing off", END_CHECK_MAX_S), ("every END_CHECK_S", END_CHECK_S)):
        c = Clock()
        sched = threadless_scheduler(c)
        sched.end_check_max = cap
        w, server = watch_quiet(sched, paced=False)
        run_until(sched, c, c.now + 3600.0)
        checks = [kind for kind, _ in server.calls].count("check")
        refreshes = [kind for kind, _ in server.calls].count("refresh")
        assert checks == w.checks
        counts[name] = (checks, refreshes)
        sched.shutdown()
    checks, refreshes = counts["backing off"]
    fixed_checks, fixed_refreshes = counts["every END_CHECK_S"]
    assert refreshes == fixed_refreshes  # the refreshes back off as before: only the checks changed
    assert fixed_checks > 6000  # 2 a second, less the ones left to a refresh
    # the first minute's ~120, then per 15 s between two refreshes 2 or 3 (4, 8, 12 s after the first), never more
    # than one every END_CHECK_MAX_S
    assert 120 + 3540 / 15 * 2 <= checks <= 120 + 3540 / END_CHECK_MAX_S
    assert checks * 7 < fixed_checks
    per_second = (checks + 3 * refreshes) / 3600
    assert per_second <= 0.5  # issue 15's budget: <= 1 RPC/s per watcher


def test_movement_brings_the_checks_back_to_end_check_s(sched: SyncScheduler, clock: Clock) -> None:
    """After a quiet spell the checks are END_CHECK_MAX_S apart; the execution moves (its phase changes: what
    execution_moved() compares), the check sees it, the refresh runs at once, and the looks are END_CHECK_S apart
    again, for a full quiet minute before they spread out again."""
    w, server = watch_quiet(sched, paced=False)
    run_until(sched, clock, 400.0)
    assert w.check_interval == END_CHECK_MAX_S
    server.phase = execution_pb2.WorkflowExecution.SUCCEEDING  # not terminal: it moved, it did not end
    moved_at = clock.now
    run_until(sched, clock, moved_at + END_CHECK_MAX_S + END_CHECK_S / 4)
    after = [(kind, t) for kind, t in server.calls if t > moved_at]
    assert [kind for kind, _ in after[:2]] == ["check", "refresh"]  # seen, and the refresh ran at once
    assert after[1][1] == after[0][1]
    assert w.model.header["phase"] == "SUCCEEDING"
    assert w.check_interval == END_CHECK_S
    seen_at = after[0][1]
    run_until(sched, clock, seen_at + END_CHECK_QUIET_S)
    assert max(gaps(looks_after(server, seen_at - END_CHECK_S / 2))) <= END_CHECK_S
    run_until(sched, clock, seen_at + 2 * END_CHECK_QUIET_S)
    assert w.check_interval == END_CHECK_MAX_S  # quiet again for a minute: spread out again


def test_a_refresh_that_sees_rows_change_brings_the_checks_back(sched: SyncScheduler, clock: Clock) -> None:
    """A node moved (a training's next epoch task started): the refresh sees its rows change though the
    execution's own phase did not: the checks are END_CHECK_S apart again."""
    w, server = watch_quiet(sched, paced=False)
    run_until(sched, clock, 400.0)
    assert w.check_interval == END_CHECK_MAX_S
    tree: Any = w.tree
    original = tree.refresh

    def a_node_moved(sync_nodes: bool = True) -> Any:
        result = original(sync_nodes)
        w.model.rows_version += 1
        tree.refresh = original  # once
        return result

    tree.refresh = a_node_moved
    sched.sync_once(w)
    refreshed_at = clock.now
    assert w.check_interval == END_CHECK_S
    assert w.check_due == refreshed_at + END_CHECK_S
    run_until(sched, clock, refreshed_at + 30.0)
    assert max(gaps(looks_after(server, refreshed_at - END_CHECK_S / 2))) <= END_CHECK_S


def test_a_wait_that_just_started_checks_every_end_check_s(sched: SyncScheduler, clock: Clock) -> None:
    """A first wait() on a widget's watch blocked long enough for the checks to spread out; a second wait() on the
    same quiet execution, later, looks every END_CHECK_S from its start (its user is watching the end closely
    now), and spreads out only after its own quiet minute."""
    w, server = watch_quiet(sched)  # a widget's watch
    with w.followed():
        run_until(sched, clock, 400.0)
        assert w.check_interval == END_CHECK_MAX_S
    run_until(sched, clock, 500.0)
    started = clock.now
    with w.followed():
        run_until(sched, clock, started + END_CHECK_QUIET_S)
        looks = looks_after(server, started - END_CHECK_S / 2)
        assert looks[0] == started  # followed(): the refresh is due at once
        assert max(gaps(looks)) <= END_CHECK_S
        run_until(sched, clock, started + 2 * END_CHECK_QUIET_S)
        assert w.check_interval == END_CHECK_MAX_S


def test_end_check_max_must_be_at_least_end_check() -> None:
    with pytest.raises(ValueError, match=r"end_check_max must be at least end_check \(0.5 s\), got 0.25"):
        SyncScheduler(start_thread=False, end_check_max=0.25)
    with pytest.raises(ValueError, match="end_check_quiet must be a number of seconds >= 0, got -1"):
        SyncScheduler(start_thread=False, end_check_quiet=-1)


# ---------------------------------------------------------------------------------------------------------------
# refresh_soon(): the user acted on the execution from this kernel
# ---------------------------------------------------------------------------------------------------------------


def test_refresh_soon_refreshes_a_backed_off_watch_at_once_at_its_fastest_interval(
    sched: SyncScheduler, clock: Clock
) -> None:
    """A gate waited for minutes: the widget's watch backed off to 15 s. Approved from the widget, the nodes after
    it start at once: the watch refreshes now, then every second while they change, not 15 s later."""
    w, server = watch_quiet(sched)
    other, _ = watch_quiet(sched)
    run_until(sched, clock, 200.0)
    assert w.interval == sched.max_interval
    assert sched.refresh_soon(w.model) == 1
    before = len(server.calls)
    other_due = other.due
    sched.run_pending()
    assert [kind for kind, _ in server.calls[before:]] == ["refresh"]
    # its interval starts over at the bottom (this fake's rows do not change, so it doubles once: 2 s, not 30 s)
    assert w.due == clock.now + 2 * sched.min_interval
    assert other.due == other_due
    assert other.interval == sched.max_interval  # another execution's watch is not touched


def test_refresh_soon_during_a_sync_is_not_lost(sched: SyncScheduler, clock: Clock) -> None:
    """The approval lands while a sync is under way (it may have listed the nodes before): the next sync still
    runs at once instead of an interval later."""
    w, _server = watch_quiet(sched)
    run_until(sched, clock, 200.0)
    tree: Any = w.tree
    original = tree.refresh

    def approved_meanwhile(sync_nodes: bool = True) -> Any:
        sched.refresh_soon(w.model)
        return original(sync_nodes)

    tree.refresh = approved_meanwhile
    sched.sync_once(w)
    tree.refresh = original
    assert w.due == clock.now
    sched.run_pending()
    assert w.due == clock.now + 2 * sched.min_interval  # nothing changed: backing off again, from the bottom


def test_refresh_soon_without_a_scheduler_starts_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler_module, "_DEFAULT", None)
    assert scheduler_module.refresh_soon(ExecutionModel()) == 0
    assert scheduler_module._DEFAULT is None


def test_the_widgets_actions_refresh_its_watch_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Approve, reject, a signal and terminate from the widget each ask its model's watch to refresh at once; a
    failed action does not."""
    from . import test_widget as tw

    poked: list[Any] = []
    monkeypatch.setattr(scheduler_module, "refresh_soon", lambda model: poked.append(model) or 1)
    remote = tw.FakeRemote()
    nodes = {"g1": tw.FakeNode("g1"), "g2": tw.FakeNode("g2")}
    w, model = tw.make(rows=tw.gate_rows(), nodes=nodes, remote=remote, execution=tw.FakeNode("exec"))
    assert tw.ask(w, action="approve", key="g1")["ok"] is True
    assert tw.ask(w, action="reject", key="g1")["ok"] is True
    assert tw.ask(w, action="signal", key="g2", value=7)["ok"] is True
    assert tw.ask(w, action="terminate")["ok"] is True
    assert poked == [model] * 4
    remote.fail = RuntimeError("the server said no")
    assert tw.ask(w, action="approve", key="g1")["ok"] is False
    assert len(poked) == 4
