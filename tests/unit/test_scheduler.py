"""SyncScheduler: adaptive intervals, terminal handling, error handling and thread lifecycle, with a fake tree."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2

from flyteexec_widget.admin.auth import may_prompt
from flyteexec_widget.admin.errors import LoginRequiredError, NotFoundError, RpcFailure, ServerError, UnavailableError
from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import RPC_BURST, RPC_RATE, SERVER_ERROR_CHARS, SyncScheduler
from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteWorkflowExecution

from ._fake_clock import WALL, Clock

RUNNING = execution_pb2.WorkflowExecution.RUNNING
SUCCEEDED = execution_pb2.WorkflowExecution.SUCCEEDED


def make_execution(name: str = "abc") -> FlyteWorkflowExecution:
    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name=name)
    )
    proto.closure.phase = RUNNING
    return FlyteWorkflowExecution(proto)


class FakeTree:
    """Plays a script of steps: a phase, an int (that many nodes, so rows change), or an exception to raise."""

    def __init__(self, execution: FlyteWorkflowExecution, steps: list[Any] | None = None) -> None:
        self.execution = execution
        self.steps = list(steps or [])
        self.calls = 0
        self.nodes = 0
        self.before: Callable[[], None] | None = None

    def refresh(self, sync_nodes: bool = True) -> FlyteWorkflowExecution:
        self.calls += 1
        if self.before is not None:
            self.before()
        step = self.steps.pop(0) if self.steps else None
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, tuple):  # ("nodes", n)
            self.nodes = step[1]
        elif step is not None:
            self.execution.to_flyte_idl().closure.phase = step
        self.execution._node_executions = {f"n{i}": _node(self.execution, i) for i in range(self.nodes)}
        return self.execution


def _node(ex: FlyteWorkflowExecution, i: int) -> FlyteNodeExecution:
    proto = node_execution_pb2.NodeExecution()
    proto.id.execution_id.CopyFrom(ex.to_flyte_idl().id)
    proto.id.node_id = f"n{i}"
    return FlyteNodeExecution(proto)


def unavailable() -> UnavailableError:
    return UnavailableError("GetExecution: unavailable", code=grpc.StatusCode.UNAVAILABLE, method="GetExecution")


def watch_fake(sched: SyncScheduler, steps: list[Any], **kw: Any) -> tuple[Any, FakeTree, ExecutionModel]:
    ex = make_execution()
    tree = FakeTree(ex, steps)
    model = ExecutionModel()
    return sched.watch(ex, model, tree=tree, **kw), tree, model


def test_interval_is_fast_while_rows_change_and_backs_off_to_the_ceiling_when_idle(
    sched: SyncScheduler, clock: Clock
) -> None:
    _w, tree, model = watch_fake(sched, [("nodes", 1), ("nodes", 2)])
    intervals = []
    for _ in range(7):
        next_due = sched.run_pending()
        assert next_due is not None
        intervals.append(next_due - clock.now)
        clock.now = next_due
    assert intervals == [1.0, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert tree.calls == 7
    assert model.sync_status["state"] == "live"
    assert model.sync_status["last_synced_at"] is not None


class CostlyTree(FakeTree):
    """A big execution where something changes at every refresh, each refresh ``cost`` calls (as TreeSync counts)."""

    def __init__(self, execution: FlyteWorkflowExecution, cost: int) -> None:
        super().__init__(execution)
        self.last_rpc_count = cost

    def refresh(self, sync_nodes: bool = True) -> FlyteWorkflowExecution:
        self.steps = [("nodes", self.nodes + 1)]  # rows change every time: the interval alone would stay at 1 s
        return super().refresh(sync_nodes)


def test_a_watch_keeps_to_its_call_budget_however_often_rows_change(sched: SyncScheduler, clock: Clock) -> None:
    """A 1,000-node execution where a few nodes change between any two refreshes: without a budget it would be
    refreshed every second for as long as it runs (a dozen calls each). Bursts stay fast, the average keeps to
    RPC_RATE, and no wait exceeds max_interval."""
    tree = CostlyTree(make_execution(), cost=6)
    w = sched.watch(tree.execution, ExecutionModel(), tree=tree)
    start, gaps = clock.now, []
    while clock.now - start < 600:
        next_due = sched.run_pending()
        assert next_due is not None
        gaps.append(next_due - clock.now)
        clock.now = next_due
    calls = (tree.calls - 1) * tree.last_rpc_count  # the first sync is free (a cold sync is the price of a view)
    assert gaps[:3] == [1.0, 1.0, 1.0]  # the burst: changes seen at once
    assert calls / (clock.now - start) <= RPC_RATE + RPC_BURST / 600
    assert max(gaps) == pytest.approx(tree.last_rpc_count / RPC_RATE)  # paced, never past max_interval (15 s)
    assert w.interval == 1.0  # rows keep changing: the adaptive interval itself stays fast


def test_the_budget_never_waits_past_max_interval_and_a_fixed_poll_interval_is_kept(
    sched: SyncScheduler, clock: Clock
) -> None:
    huge = CostlyTree(make_execution("huge"), cost=500)  # 10,000 nodes, hundreds running
    sched.watch(huge.execution, ExecutionModel(), tree=huge)
    fixed = CostlyTree(make_execution("fixed"), cost=500)
    sched.watch(fixed.execution, ExecutionModel(), tree=fixed, poll_interval=2.0)
    for _ in range(100):
        clock.now = sched.run_pending() or clock.now
    assert huge.calls >= 100 * 2.0 / 15.0 - 1  # at least one refresh per 15 s while the other ran every 2 s
    assert fixed.calls > 4 * huge.calls  # the user's own poll interval is not paced


def test_an_unpaced_watch_keeps_its_adaptive_interval_however_costly(sched: SyncScheduler, clock: Clock) -> None:
    """wait() watches unpaced: a user blocked on the end gets it within the adaptive interval, not up to 15 s late."""
    tree = CostlyTree(make_execution(), cost=50)
    sched.watch(tree.execution, ExecutionModel(), tree=tree, paced=False)
    gaps = []
    for _ in range(20):
        next_due = sched.run_pending()
        assert next_due is not None
        gaps.append(next_due - clock.now)
        clock.now = next_due
    assert gaps == [1.0] * 20  # 1,000 calls in 20 s: no budget holds it back


def test_a_paced_watch_that_a_wait_follows_is_unpaced_and_due_at_once_until_the_wait_ends(
    sched: SyncScheduler, clock: Clock
) -> None:
    """wait() follows a widget's (paced) watch instead of adding its own: while it blocks, the watch must not make
    it return up to 15 s after the end; once wait() returns the widget's watch keeps to the budget again."""
    tree = CostlyTree(make_execution(), cost=50)
    w = sched.watch(tree.execution, ExecutionModel(), tree=tree)

    def gaps(n: int) -> list[float]:
        out = []
        for _ in range(n):
            next_due = sched.run_pending()
            assert next_due is not None
            out.append(next_due - clock.now)
            clock.now = next_due
        return out

    assert max(gaps(8)) > 1.0  # in debt: paced
    sched.run_pending()  # the sync due now; the next one is a while off
    assert w.due - clock.now > 1.0
    with w.followed():
        assert w.due <= clock.now  # due at once when wait() starts following
        assert gaps(10) == [1.0] * 10
    assert max(gaps(8)) > 1.0  # paced again after the wait
    assert w.followers == 0


def test_nothing_runs_before_it_is_due(sched: SyncScheduler, clock: Clock) -> None:
    _w, tree, _ = watch_fake(sched, [])
    sched.run_pending()
    sched.run_pending(clock.now + 0.5)
    assert tree.calls == 1


def test_a_fixed_poll_interval_does_not_adapt(sched: SyncScheduler, clock: Clock) -> None:
    _w, _tree, _ = watch_fake(sched, [], poll_interval=3.0)
    assert [sched.run_pending(clock.now + 3.0 * i) for i in range(3)] == [103.0, 106.0, 109.0]


def test_terminal_phase_gets_one_immediate_final_sync_then_the_watch_ends(sched: SyncScheduler, clock: Clock) -> None:
    w, tree, model = watch_fake(sched, [RUNNING, SUCCEEDED])
    sched.run_pending()
    assert sched.run_pending(clock.now + 1) == clock.now + 1  # saw SUCCEEDED: due again at once
    assert not w.finished.is_set()
    assert sched.run_pending(clock.now + 1) is None  # the final sync; no watches left
    assert tree.calls == 3
    assert w.finished.is_set()
    assert not w.active
    assert model.sync_status["state"] == "done"
    assert sched.watches == []


def test_transient_errors_reconnect_with_growing_backoff_and_recover(sched: SyncScheduler, clock: Clock) -> None:
    w, _tree, model = watch_fake(sched, [unavailable(), unavailable(), unavailable(), RUNNING])
    delays = []
    for attempt in (1, 2, 3):
        due = sched.run_pending()
        assert due is not None
        delays.append(due - clock.now)
        st = model.sync_status
        assert (st["state"], st["attempt"]) == ("reconnecting", attempt)
        assert st["next_retry_at"] == (WALL + dt.timedelta(seconds=clock.now - 100 + delays[-1])).isoformat(
            timespec="milliseconds"
        ).replace("+00:00", "Z")
        assert "unavailable" in st["last_error"]
        clock.now = due
    assert delays == [1.0, 2.0, 4.0]
    sched.run_pending()
    assert model.sync_status["state"] == "live"
    assert model.sync_status["attempt"] == 0
    assert w.active


def test_a_permanent_error_ends_the_watch_with_a_clear_message(sched: SyncScheduler) -> None:
    err = NotFoundError("GetExecution: not found p:d:abc", code=grpc.StatusCode.NOT_FOUND, method="GetExecution")
    w, tree, model = watch_fake(sched, [err])
    assert sched.run_pending() is None
    assert w.error is err
    assert w.finished.is_set()
    assert model.sync_status["state"] == "error"
    assert model.sync_status["last_error"] == "GetExecution: not found p:d:abc"
    assert model.sync_status["next_retry_at"] is None
    sched.sync_once()
    assert tree.calls == 1  # never retried


def test_an_unexpected_exception_is_shown_logged_retried_and_others_go_on(
    sched: SyncScheduler, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    bad, _bad_tree, bad_model = watch_fake(sched, [ValueError("bug in sync")])
    _good, good_tree, good_model = watch_fake(sched, [("nodes", 1)])
    with caplog.at_level(logging.ERROR, logger="flyteexec_widget.live.scheduler"):
        sched.run_pending()
    assert "failed unexpectedly" in caplog.text
    assert bad_model.sync_status["state"] == "error"
    assert bad_model.sync_status["last_error"] == "ValueError: bug in sync"
    assert bad_model.sync_status["next_retry_at"] is not None
    assert bad.active  # retried later
    assert good_tree.calls == 1
    assert good_model.rows_version == 1
    clock.now += 1.0
    sched.run_pending()
    assert bad_model.sync_status["state"] == "live"


def test_other_rpc_failures_are_retried_as_errors(sched: SyncScheduler, caplog: pytest.LogCaptureFixture) -> None:
    err = RpcFailure("GetExecution: DATA_LOSS", code=grpc.StatusCode.DATA_LOSS, method="GetExecution")
    w, _, model = watch_fake(sched, [err])
    with caplog.at_level(logging.INFO, logger="flyteexec_widget"):
        sched.run_pending()
    assert (model.sync_status["state"], model.sync_status["attempt"], w.active) == ("error", 1, True)
    assert model.sync_status["server_error"] is None
    # the status shows it; a warning from the sync thread would be printed into whatever cell is running
    assert [r.levelno for r in caplog.records] == [logging.INFO]


def server_error(details: str, code: grpc.StatusCode = grpc.StatusCode.INTERNAL) -> ServerError:
    return ServerError(
        f"GetExecution p:d:abc: {code.name} from h:1: {details}", code=code, method="GetExecution", details=details
    )


@pytest.mark.parametrize("code", [grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN])
def test_a_server_error_is_a_reconnect_with_the_servers_text_and_prints_nothing(
    sched: SyncScheduler, clock: Clock, caplog: pytest.LogCaptureFixture, code: grpc.StatusCode
) -> None:
    w, _, model = watch_fake(sched, [server_error("database is down\n  at db.go:12", code), RUNNING])
    with caplog.at_level(logging.INFO, logger="flyteexec_widget"):
        sched.run_pending()
    st = model.sync_status
    assert (st["state"], st["attempt"], st["server_error"]) == ("reconnecting", 1, f"{code.name}: database is down")
    assert "database is down" in st["last_error"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    clock.now = w.due
    sched.run_pending()
    assert (model.sync_status["state"], model.sync_status["server_error"]) == ("live", None)


def test_a_hostile_servers_error_text_is_cut_short_in_the_status(sched: SyncScheduler) -> None:
    _w, _, model = watch_fake(sched, [server_error("x" * 100_000)])
    sched.run_pending()
    text = model.sync_status["server_error"]
    assert len(text) == SERVER_ERROR_CHARS
    assert text.startswith("INTERNAL: xxx")
    assert text.endswith("\u2026")


def test_a_failing_watch_never_waits_longer_than_its_max_interval(clock: Clock) -> None:
    """However long the server failed, the watch is live again within one interval of it answering (the default
    backoff alone grows to 30 s)."""
    sched = SyncScheduler(clock=clock, start_thread=False, max_interval=15.0)
    _w, _, model = watch_fake(sched, [unavailable()] * 12 + [RUNNING])
    delays = []
    for _ in range(12):
        due = sched.run_pending()
        assert due is not None
        delays.append(due - clock.now)
        clock.now = due
    assert model.sync_status["state"] == "reconnecting"
    assert delays[0] <= 1.0
    assert max(delays) <= 15.0 + 1e-9  # due - now: float rounding of a sum, the delay itself is capped exactly
    sched.run_pending()
    assert model.sync_status["state"] == "live"
    sched.shutdown()


def test_stop_leaves_a_stuck_sync_behind_and_it_writes_nothing_after() -> None:
    """A sync stuck on a server that never answers: stop() (and a widget's close()) returns without it (it waited
    ~150 s before), and when the sync ends at last it finds the watch stopped and leaves the model alone."""
    sched = SyncScheduler()
    entered, release = threading.Event(), threading.Event()
    ex = make_execution()
    tree = FakeTree(ex, [("nodes", 3)])
    tree.before = lambda: (entered.set(), release.wait(60))  # type: ignore[func-returns-value]
    model = ExecutionModel()
    w = sched.watch(ex, model, tree=tree)
    assert entered.wait(30)
    start = time.monotonic()
    w.stop()
    assert time.monotonic() - start < 10  # a generous bound: the sync holds on for 60 s
    assert model.sync_status["state"] == "stopped"
    assert w.in_flight_for is not None  # still stuck
    release.set()
    assert w._wait_settled(30)
    assert model.sync_status["state"] == "stopped"
    assert model.rows_version == 0  # its three nodes were not written
    sched.shutdown()


def test_sync_now_gives_up_on_a_stuck_sync_after_its_timeout() -> None:
    sched = SyncScheduler(min_interval=60.0, max_interval=60.0)
    entered, release = threading.Event(), threading.Event()
    ex = make_execution()
    tree = FakeTree(ex)
    w = sched.watch(ex, ExecutionModel(), tree=tree)
    assert w.sync_now(30)  # a sync that answers: it ended
    tree.before = lambda: (entered.set(), release.wait(60))  # type: ignore[func-returns-value]
    assert not w.sync_now(0.2)
    assert entered.is_set()
    release.set()
    assert w.sync_now(30)
    w.stop()
    sched.shutdown()


def test_a_sync_that_needs_a_login_says_log_in_again_and_keeps_retrying(sched: SyncScheduler, clock: Clock) -> None:
    ask = "log in again: run any call in a cell, e.g. remote.fetch_execution(...)"
    waits = "log in again: enter the code AB-CD at the login page (a call in a cell waits for it)"
    steps = [
        LoginRequiredError(ask),
        LoginRequiredError(waits, url="https://idp.example.com/activate?user_code=AB-CD", user_code="AB-CD"),
        LoginRequiredError(waits, url="javascript:alert(1)", user_code="AB-CD"),
    ]
    w, _tree, model = watch_fake(sched, steps)
    seen = []
    for _ in steps:
        due = sched.run_pending()
        assert due is not None
        st = model.sync_status
        seen.append((st["state"], st["attempt"], st["last_error"], st["login_url"], due - clock.now))
        clock.now = due
    assert seen == [
        ("login", 1, ask, None, 1.0),
        ("login", 2, waits, "https://idp.example.com/activate?user_code=AB-CD", 2.0),
        ("login", 3, waits, None, 4.0),  # only http(s) links reach the view
    ]
    assert w.active  # not ended: it waits for the user's login
    assert w.awaiting_login
    sched.run_pending()
    assert (model.sync_status["state"], model.sync_status["login_url"], w.awaiting_login) == ("live", None, False)


class FakeAuth:
    def __init__(self) -> None:
        self.listeners: list[Callable[[], None]] = []

    def add_token_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        self.listeners.append(callback)
        return lambda: None


class FakeRemote:
    def __init__(self) -> None:
        self.on_retry: Any = None
        self.auth = FakeAuth()


def test_a_watch_waiting_for_a_login_syncs_as_soon_as_the_user_logged_in(sched: SyncScheduler, clock: Clock) -> None:
    remote = FakeRemote()
    ex = make_execution()
    tree = FakeTree(ex, [LoginRequiredError("log in again"), ("nodes", 1)])
    tree.remote = remote  # type: ignore[attr-defined]
    model = ExecutionModel()
    w = sched.watch(ex, model, remote=remote, tree=tree)
    sched.run_pending()
    assert w.due == clock.now + 1.0  # the next retry, by the backoff
    [new_token] = remote.auth.listeners
    new_token()  # the user logged in from a cell (on the main thread)
    assert w.due == clock.now
    sched.run_pending()
    assert model.sync_status["state"] == "live"
    assert tree.calls == 2


def test_a_login_during_a_failing_sync_is_not_asked_for_again(sched: SyncScheduler, clock: Clock) -> None:
    remote = FakeRemote()
    ex = make_execution()
    tree = FakeTree(ex, [LoginRequiredError("log in again")])
    tree.remote = remote  # type: ignore[attr-defined]
    w = sched.watch(ex, ExecutionModel(), remote=remote, tree=tree)
    [new_token] = remote.auth.listeners
    tree.before = new_token  # the user's login completes while this sync fails with the old token
    sched.run_pending()
    assert not w.awaiting_login  # so wait() does not log in once more
    assert w.due == clock.now  # and the next sync, with the new token, is due at once


def test_a_sync_never_prompts_for_a_login_even_on_the_main_thread(sched: SyncScheduler) -> None:
    _w, tree, _ = watch_fake(sched, [])
    prompts: list[bool] = []
    tree.before = lambda: prompts.append(may_prompt())
    assert may_prompt()
    sched.run_pending()  # on this (the main) thread, as wait()'s last check does
    assert prompts == [False]


def test_stop_is_idempotent_and_stops_syncing(sched: SyncScheduler) -> None:
    w, tree, model = watch_fake(sched, [])
    w.stop()
    w.stop()
    assert model.sync_status["state"] == "stopped"
    sched.sync_once()
    sched.run_pending()
    assert tree.calls == 0


def test_watching_the_same_execution_into_the_same_model_returns_the_running_watch(sched: SyncScheduler) -> None:
    ex = make_execution()
    model = ExecutionModel()
    tree = FakeTree(ex)
    assert sched.watch(ex, model, tree=tree) is sched.watch(ex, model, tree=tree)
    assert len(sched.watches) == 1


def test_bad_arguments_are_named(sched: SyncScheduler) -> None:
    with pytest.raises(ValueError, match="without a remote"):
        sched.watch(make_execution())
    with pytest.raises(ValueError, match="poll_interval"):
        sched.watch(make_execution(), tree=FakeTree(make_execution()), poll_interval=0)
    with pytest.raises(ValueError, match="min_interval"):
        SyncScheduler(min_interval=5, max_interval=1, start_thread=False)
    with pytest.raises(ValueError, match="initial_backoff"):
        SyncScheduler(retry=RetryPolicy(initial_backoff=0), start_thread=False)


def test_backoff_jitter_stays_within_bounds() -> None:
    b = RetryPolicy(initial_backoff=1.0, multiplier=2.0, max_backoff=30.0, jitter=0.2)
    rng = random.Random(7)
    for attempt, base in [(1, 1.0), (3, 4.0), (10, 30.0)]:
        for _ in range(50):
            assert base * 0.8 <= b.backoff(attempt, rng.random) <= base


def _sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("flyteexec-sync")]


def test_one_thread_serves_many_watches_and_none_is_left_after_they_stop() -> None:
    sched = SyncScheduler(min_interval=60.0, max_interval=60.0)
    synced = threading.Semaphore(0)
    watches = []
    for i in range(100):
        tree = FakeTree(make_execution(f"e{i}"))
        tree.before = synced.release
        watches.append(sched.watch(tree.execution, ExecutionModel(), tree=tree))
    for _ in range(100):
        assert synced.acquire(timeout=30)  # every watch synced once
    assert len([t for t in _sync_threads() if t.name == "flyteexec-sync"]) == 1
    assert len(_sync_threads()) <= 1 + 4  # the loop + its bounded pool, not one thread per watch
    for w in watches:
        w.stop()
    assert _sync_threads() == []
    sched.shutdown()


def test_stop_waits_for_the_sync_in_flight() -> None:
    sched = SyncScheduler()
    tree = FakeTree(make_execution())
    started, release = threading.Event(), threading.Event()
    finished: list[bool] = []

    def block() -> None:
        started.set()
        release.wait(30)
        finished.append(True)

    tree.before = block
    w = sched.watch(tree.execution, ExecutionModel(), tree=tree)
    assert started.wait(30)
    stopper = threading.Thread(target=w.stop)
    stopper.start()
    release.set()
    stopper.join(30)
    assert finished == [True]  # stop() returned only after the sync finished
    assert w.model.sync_status["state"] == "stopped"  # and the late result did not overwrite the stop
    assert _sync_threads() == []
    sched.shutdown()


def test_the_thread_survives_a_failing_sync_and_serves_the_others() -> None:
    sched = SyncScheduler(retry=RetryPolicy(initial_backoff=60.0, max_backoff=60.0))
    bad = FakeTree(make_execution("bad"), [RuntimeError("boom")])
    good = FakeTree(make_execution("good"))
    synced = threading.Event()
    good.before = synced.set
    wb = sched.watch(bad.execution, ExecutionModel(), tree=bad)
    wg = sched.watch(good.execution, ExecutionModel(), tree=good)
    assert synced.wait(30)
    assert [t.name for t in _sync_threads()].count("flyteexec-sync") == 1
    wb.stop()
    wg.stop()
    sched.shutdown()
    assert _sync_threads() == []


def test_shutdown_stops_every_watch_and_refuses_new_ones(sched: SyncScheduler) -> None:
    w, _, model = watch_fake(sched, [])
    sched.shutdown()
    sched.shutdown()
    assert not w.active
    assert model.sync_status["state"] == "stopped"
    with pytest.raises(RuntimeError, match="shut down"):
        watch_fake(sched, [])


def test_the_default_scheduler_is_one_instance_shut_down_at_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    import flyteexec_widget.live.scheduler as scheduler_mod

    registered: list[Any] = []
    monkeypatch.setattr(scheduler_mod, "_DEFAULT", None)
    monkeypatch.setattr(scheduler_mod.atexit, "register", registered.append)
    first = scheduler_mod.default_scheduler()
    assert scheduler_mod.default_scheduler() is first
    assert registered == [first.shutdown]


def test_a_sync_failing_after_stop_leaves_the_model_stopped(sched: SyncScheduler) -> None:
    """Ctrl-C in wait() stops the watch without waiting; the sync in flight may then fail: nothing is written."""
    w, tree, model = watch_fake(sched, [unavailable()])
    tree.before = lambda: w.stop(wait=False)
    sched.run_pending()
    assert model.sync_status["state"] == "stopped"
    assert model.sync_status["next_retry_at"] is None
    assert sched.watches == []


def test_a_dying_sync_thread_is_shown_and_stop_does_not_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool that refuses new work (as a ThreadPoolExecutor does at interpreter exit): the loop ends, the models
    say so, stop() still returns."""
    import flyteexec_widget.live.scheduler as scheduler_mod

    class ClosedPool(scheduler_mod.DaemonPool):
        def submit(self, *args: Any, **kw: Any) -> Any:
            raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(scheduler_mod, "DaemonPool", ClosedPool)
    sched = SyncScheduler()
    model = ExecutionModel()
    failed = threading.Event()
    model.observe(lambda ch: failed.set() if ch["new"]["state"] == "error" else None, names=["sync_status"])
    tree = FakeTree(make_execution())
    w = sched.watch(tree.execution, model, tree=tree)
    assert failed.wait(30)
    assert model.sync_status["last_error"] == (
        "the sync thread failed: RuntimeError: cannot schedule new futures after interpreter shutdown"
    )
    stopper = threading.Thread(target=sched.shutdown, daemon=True)
    stopper.start()
    stopper.join(30)
    assert not stopper.is_alive()  # shutdown (at exit: atexit) returned
    assert not w.active
    assert tree.calls == 0


def test_a_stop_while_the_model_updates_is_not_overwritten(sched: SyncScheduler) -> None:
    """stop() lands after the sync checked the watch was active but before it wrote "live": "stopped" stays."""
    w, _tree, model = watch_fake(sched, [("nodes", 1)])
    model.observe(lambda _ch: w.stop(wait=False), names=["rows_version"])  # fires inside the model update
    sched.run_pending()
    assert not w.active
    assert model.sync_status["state"] == "stopped"
