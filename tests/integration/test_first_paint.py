"""First paint over real gRPC: a watch shows the rows from the node listings alone, then lists attempts in the
background (a row the user opens first); ``sync()`` still returns the whole tree; ``wait()`` follows the watch a
widget already runs on the same execution instead of adding a second one. RPCs counted by the sandbox."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from flyteexec_widget.admin.errors import FlyteTimeout
from flyteexec_widget.display import waiting
from flyteexec_widget.display.widget import ExecutionWidget
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sched() -> Iterator[SyncScheduler]:
    s = SyncScheduler(clock=Clock(), start_thread=False)
    yield s
    s.shutdown()


def fetch(remote: Remote, wf_id: Any) -> FlyteWorkflowExecution:
    return remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)


class Publications:
    """Every rows publication of a model: the rows it left in the model and the sandbox's RPC counts then."""

    def __init__(self, sandbox: Sandbox, model: ExecutionModel) -> None:
        self.seen: list[tuple[dict[str, Any], dict[str, int]]] = []
        self.sandbox = sandbox
        model.on_rows_change(lambda *_: self.seen.append((dict(model.rows), dict(sandbox.rpc_counts()))))


def complete_rows(remote: Remote, wf_id: Any) -> dict[str, Any]:
    ex = fetch(remote, wf_id)
    TreeSync(remote, ex).refresh()
    return dict(ExecutionModel(ex).rows)


@pytest.mark.parametrize("scenario", ["all-kinds", "wide"])
def test_the_first_publication_has_every_node_row_and_no_attempt_listing_before_it(
    sandbox: Sandbox, remote: Remote, sched: SyncScheduler, scenario: str
) -> None:
    wf_id = sandbox.launch(scenario, **({"size": 60} if scenario == "wide" else {}))
    if scenario == "all-kinds":
        sandbox.advance(5)
        ex0 = fetch(remote, wf_id)
        remote.approve(ex0, "approve-me")
        remote.set_signal(ex0, "threshold", 0.5)
    sandbox.run_until_done(wf_id)
    whole = complete_rows(remote, wf_id)
    model = ExecutionModel()
    pubs = Publications(sandbox, model)
    ex = fetch(remote, wf_id)
    sandbox.reset_rpc_counts()
    sched.watch(ex, model)
    sched.run_pending()

    first_rows, first_counts = pubs.seen[0]
    assert first_counts.get("ListTaskExecutions", 0) == 0
    assert first_counts.get("ListNodeExecutions", 0) >= 1
    # every node FlyteAdmin lists is a row at once (array subtasks of event version 0 live in the attempts)
    nodes = {k for k, r in whole.items() if r["kind"] != "subtask"}
    assert nodes <= set(first_rows)
    waiting_rows = [r for r in first_rows.values() if r["attempts"] is None]
    assert waiting_rows
    assert all(r["logs"] == [] for r in waiting_rows)
    assert all(first_rows[k]["phase"] == whole[k]["phase"] for k in nodes)

    # the attempts followed in the same sync, without anyone asking: the model ends equal to a complete sync
    assert len(pubs.seen) >= 2
    assert {k: r["attempts"] for k, r in model.rows.items()} == {k: r["attempts"] for k, r in whole.items()}
    assert dict(model.rows) == whole
    assert sandbox.rpc_counts()["ListTaskExecutions"] >= len(waiting_rows)


def test_a_level_of_a_thousand_nodes_is_painted_after_one_listing_call(
    sandbox: Sandbox, remote: Remote, sched: SyncScheduler
) -> None:
    """1,000 nodes plus the start and end nodes FlyteAdmin lists too: one page (client.NODE_PAGE_SIZE), so the
    rows show after one round trip, not two one after the other."""
    wf_id = sandbox.launch("wide", size=1000)
    sandbox.run_until_done(wf_id)
    model = ExecutionModel()
    pubs = Publications(sandbox, model)
    ex = fetch(remote, wf_id)
    sandbox.reset_rpc_counts()
    sched.watch(ex, model)
    sched.run_pending()
    first_rows, first_counts = pubs.seen[0]
    assert len(first_rows) == 1000
    assert first_counts.get("ListNodeExecutions") == 1
    assert first_counts.get("ListTaskExecutions", 0) == 0
    assert all(r["attempts"] == 1 for r in model.rows.values())  # and the attempts followed


def test_a_row_the_user_opens_has_its_attempts_listed_ahead_of_the_others(sandbox: Sandbox) -> None:
    """One RPC worker, so calls run in the order the sync hands them out: the row opened (through the widget's
    request, from another thread, while the background listing runs) is listed within the next few calls, not
    last, and published as soon as its answer came."""
    wf_id = sandbox.launch("wide", size=120)
    sandbox.run_until_done(wf_id)
    remote = Remote.for_sandbox(sandbox.endpoint, max_workers=1)
    sched = SyncScheduler(clock=Clock(), start_thread=False)
    try:
        ex = fetch(remote, wf_id)
        model = ExecutionModel(ex)
        widget = ExecutionWidget(model, execution=ex, remote=remote, runner=lambda fn: fn())
        pubs = Publications(sandbox, model)
        order: list[str] = []
        target: list[str] = []
        listing = remote.list_task_executions

        def list_task_executions(node_exec_id: Any) -> Any:
            order.append(node_exec_id.node_id)
            if len(order) == 5:  # the user opens the last row while the attempts are being listed
                last = [k for k, r in model.rows.items() if r["attempts"] is None][-1]
                target.append(last)
                widget._on_msg(widget, {"type": "request", "id": "1", "action": "prioritize", "key": last}, None)
            return listing(node_exec_id)

        remote.list_task_executions = list_task_executions  # type: ignore[method-assign]
        sched.watch(ex, model)
        sched.run_pending()
    finally:
        sched.shutdown()
        remote.close()
    key = target[0]
    node_id = model.rows[key]["node_id"]
    assert len(order) == 120
    assert order.index(node_id) <= 8  # at most the window in flight before it, out of 120
    # a publication showed its attempts while most rows still waited for theirs
    early = [rows for rows, _ in pubs.seen if rows[key]["attempts"] is not None]
    assert sum(1 for r in early[0].values() if r["attempts"] is None) > 100
    assert early[0][key]["attempts"] == 1
    assert early[0][key]["logs"]


def test_sync_returns_every_attempt_also_after_a_watch_showed_rows_without_them(
    sandbox: Sandbox, remote: Remote, sched: SyncScheduler
) -> None:
    wf_id = sandbox.launch("wide", size=30)
    sandbox.run_until_done(wf_id)
    ex = fetch(remote, wf_id)
    model = ExecutionModel(ex)
    sched.watch(ex, model)
    sandbox.fail_next(1, grpc.StatusCode.INVALID_ARGUMENT, methods="ListTaskExecutions")  # not retried
    sched.run_pending()
    assert any(r["attempts"] is None for r in model.rows.values())  # painted, then the attempts failed
    assert model.sync_status["state"] == "error"

    synced = ex.sync()  # FlyteWorkflowExecution.sync -> Remote.sync_execution

    assert synced is ex
    assert len(ex.node_executions) == 30
    assert all(len(n.task_executions) == 1 for n in ex.node_executions.values())
    assert not any(n._fx_attempts_pending for n in ex.node_executions.values())
    assert all(r["attempts"] == 1 for r in ExecutionModel(ex).rows.values())


def test_sync_from_python_never_publishes_rows_without_attempts(sandbox: Sandbox, remote: Remote) -> None:
    wf_id = sandbox.launch("wide", size=20)
    sandbox.run_until_done(wf_id)
    ex = remote.sync_execution(fetch(remote, wf_id))
    assert all(len(n.task_executions) == 1 for n in ex.node_executions.values())
    assert all(r["attempts"] == 1 and r["logs"] for r in ExecutionModel(ex).rows.values())


def test_wait_follows_the_watch_a_widget_runs_on_the_same_execution(sandbox: Sandbox, remote: Remote) -> None:
    """Frozen mid-run, every sync of this execution costs the same RPCs: with the widget's watch alone, the
    sandbox sees exactly that many per sync of that watch; a second watch would double them."""
    wf_id = sandbox.launch("single-task")
    sandbox.advance(1)
    ex = fetch(remote, wf_id)
    sched = SyncScheduler(min_interval=0.02, max_interval=0.02)
    try:
        model = ExecutionModel(ex)
        widget_watch = sched.watch(ex, model)  # what watch(ex) / displaying ex starts
        assert widget_watch.sync_now(30)
        sandbox.reset_rpc_counts()
        assert widget_watch.sync_now(30)
        per_sync = sum(sandbox.rpc_counts().values())
        assert per_sync == 3  # GetExecution, the (filtered) listing, the running node's attempts
        added: list[Any] = []
        original = sched.watch

        def watch(*args: Any, **kwargs: Any) -> Any:
            added.append(args)
            return original(*args, **kwargs)

        sched.watch = watch  # type: ignore[method-assign]
        syncs_before = widget_watch.syncs
        sandbox.reset_rpc_counts()
        with pytest.raises(FlyteTimeout):
            waiting.wait(ex, timeout=0.5, show=False, scheduler=sched)
        rpcs = sum(sandbox.rpc_counts().values())
        syncs = widget_watch.syncs - syncs_before
        assert not added
        assert syncs >= 2
        assert rpcs == per_sync * syncs  # the widget's watch alone: no second watch's syncs
        assert widget_watch.active  # wait() leaves the widget's watch running
        assert sched.watches == [widget_watch]

        # to the end: wait() returns the execution, synced whole, when the shared watch is done
        mover = threading.Thread(target=sandbox.run_until_done, args=(wf_id,))
        mover.start()
        try:
            result = waiting.wait(ex, timeout=dt.timedelta(seconds=60), show=False, scheduler=sched)
        finally:
            mover.join(60)
        assert result is ex
        assert ex.is_done
        assert not added
        assert widget_watch.finished.is_set()
        assert model.sync_status["state"] == "done"
        assert all(len(n.task_executions) >= 1 for n in ex.node_executions.values())
    finally:
        sched.shutdown()


def test_wait_watches_on_its_own_when_the_widget_closes_before_the_end(sandbox: Sandbox, remote: Remote) -> None:
    wf_id = sandbox.launch("single-task")
    sandbox.advance(1)
    ex = fetch(remote, wf_id)
    sched = SyncScheduler(min_interval=0.02, max_interval=0.02)
    try:
        widget_watch = sched.watch(ex, ExecutionModel(ex))
        closer = threading.Timer(0.3, widget_watch.stop)
        mover = threading.Timer(0.6, sandbox.run_until_done, args=(wf_id,))
        closer.start()
        mover.start()
        try:
            result = waiting.wait(ex, timeout=dt.timedelta(seconds=60), show=False, scheduler=sched)
        finally:
            closer.join()
            mover.join()
        assert result is ex
        assert ex.is_done
    finally:
        sched.shutdown()


def test_wait_on_another_object_of_the_same_execution_follows_the_widgets_watch(
    sandbox: Sandbox, remote: Remote
) -> None:
    """``watch("p:d:n")`` then ``remote.fetch_execution(...).wait()``: two objects (even two Remotes of one
    endpoint) of one execution. wait() follows the widget's watch (RPCs of one watch only) and returns its own
    object with the final phase and the complete node tree."""
    wf_id = sandbox.launch("wide", size=5)
    sandbox.advance(1)
    widget_ex = fetch(remote, wf_id)
    other_remote = Remote(remote.endpoint, insecure=remote.insecure)
    ex = fetch(other_remote, wf_id)
    assert ex is not widget_ex
    sched = SyncScheduler(min_interval=0.02, max_interval=0.02)
    try:
        model = ExecutionModel(widget_ex)
        widget_watch = sched.watch(widget_ex, model)
        assert widget_watch.sync_now(30)
        sandbox.reset_rpc_counts()
        assert widget_watch.sync_now(30)
        per_sync = sum(sandbox.rpc_counts().values())
        added: list[Any] = []
        original = sched.watch

        def watch(*args: Any, **kwargs: Any) -> Any:
            added.append(args)
            return original(*args, **kwargs)

        sched.watch = watch  # type: ignore[method-assign]
        syncs_before = widget_watch.syncs
        sandbox.reset_rpc_counts()
        with pytest.raises(FlyteTimeout):
            waiting.wait(ex, timeout=0.5, show=False, scheduler=sched)
        syncs = widget_watch.syncs - syncs_before
        assert not added
        assert syncs >= 2
        assert sum(sandbox.rpc_counts().values()) == per_sync * syncs

        mover = threading.Thread(target=sandbox.run_until_done, args=(wf_id,))
        mover.start()
        try:
            result = waiting.wait(ex, timeout=dt.timedelta(seconds=60), show=False, scheduler=sched)
        finally:
            mover.join(60)
        assert not added
        assert result is ex
        assert ex.is_done
        assert ex.closure.phase == widget_ex.closure.phase
        assert set(ex.node_executions) == set(widget_ex.node_executions)
        assert len(ex.node_executions) == 5
        assert all(n.is_done and len(n.task_executions) == 1 for n in ex.node_executions.values())
        assert ExecutionModel(ex).rows.keys() == model.rows.keys()
    finally:
        sched.shutdown()
        other_remote.close()


def test_wait_on_the_same_execution_of_another_admin_watches_on_its_own() -> None:
    """Same project/domain/name on two FlyteAdmins are two executions: not shared."""

    class R:
        def __init__(self, endpoint: str) -> None:
            self.endpoint, self.insecure = endpoint, True

    from flyteidl.admin import execution_pb2

    def make(endpoint: str) -> FlyteWorkflowExecution:
        proto = execution_pb2.Execution()
        proto.id.project, proto.id.domain, proto.id.name = "p", "d", "n"
        return FlyteWorkflowExecution(proto, remote=R(endpoint))  # type: ignore[arg-type]

    assert waiting._execution_key(make("a:1")) == waiting._execution_key(make("a:1"))
    assert waiting._execution_key(make("a:1")) != waiting._execution_key(make("b:1"))
