"""Whole-tree and incremental sync over real gRPC against the sandbox (stepped clock: nothing sleeps).

The tree must match what the sandbox knows (``sb.truth``) for every node kind, and a refresh must fetch only what
can still change: RPC counts per method are asserted (they are deterministic), never times.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.core import execution_pb2, types_pb2
from flyteidl.event import event_pb2
from flyteidl.service import admin_pb2_grpc as service_pb2_grpc

from flyteexec_widget.admin.client import NODE_PAGE_SIZE
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.sync import FULL_LISTING_EVERY, WATERMARK_MARGIN, TreeSync, sync_execution, tree_for
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.objects.phases import NodePhase, TaskPhase, WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox import scenarios as sc
from flyteexec_widget.sandbox.knobs import INTERNAL_METADATA


class SpyRemote(Remote):
    """The real client, recording node-list calls (parent, filters) and the most calls in flight at once."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lists: list[tuple[str, str]] = []
        self.task_lists: list[str] = []  # node ids whose attempts were listed
        self.page_size: int | None = None  # None: the client's default
        self._in_flight = 0
        self.max_in_flight = 0
        self._spy_lock = threading.Lock()

    def call(self, *args: Any, **kw: Any) -> Any:
        with self._spy_lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            return super().call(*args, **kw)
        finally:
            with self._spy_lock:
                self._in_flight -= 1

    def list_node_executions(self, wf_id: Any, *, unique_parent_id: str = "", filters: str = "", **kw: Any) -> Any:
        with self._spy_lock:
            self.lists.append((unique_parent_id, filters))
        if self.page_size is not None:
            kw["limit"] = self.page_size
        return super().list_node_executions(wf_id, unique_parent_id=unique_parent_id, filters=filters, **kw)

    def list_task_executions(self, node_exec_id: Any, **kw: Any) -> Any:
        with self._spy_lock:
            self.task_lists.append(node_exec_id.node_id)
        if self.page_size is not None:
            kw["limit"] = self.page_size
        return super().list_task_executions(node_exec_id, **kw)


@pytest.fixture
def spy(sandbox: Sandbox) -> Iterator[SpyRemote]:
    r = SpyRemote(sandbox.endpoint, insecure=True, rpc_timeout=10.0)
    try:
        yield r
    finally:
        r.close()


def fetch(remote: Remote, wf_id: Any) -> FlyteWorkflowExecution:
    return remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)


def flatten(nodes: dict[str, Any]) -> dict[str, NodePhase]:
    """Every node in a synced tree (children of parent nodes included), unique id -> phase."""
    out: dict[str, NodePhase] = {}
    for node_id, n in nodes.items():
        out[node_id] = NodePhase(n.phase)
        out.update(flatten(n.subworkflow_node_executions))
    return out


def flatten_wrappers(nodes: dict[str, Any]) -> dict[str, Any]:
    """Every node wrapper in a synced tree (children of parent nodes included), unique id -> wrapper."""
    out: dict[str, Any] = {}
    for node_id, n in nodes.items():
        out[node_id] = n
        out.update(flatten_wrappers(n.subworkflow_node_executions))
    return out


def visible_truth(sb: Sandbox, wf_id: Any) -> dict[str, NodePhase]:
    """``sb.truth`` without start/end nodes (recognised by spec node id: long ids are hashed)."""
    with sb.store.lock:
        hidden = {
            r.proto.id.node_id
            for r in sb.store.all_nodes(wf_id)
            if r.proto.metadata.spec_node_id in ("start-node", "end-node")
            or r.proto.id.node_id in ("start-node", "end-node")
        }
    return {k: v for k, v in sb.truth(wf_id).items() if k not in hidden}


def run_all_kinds(sb: Sandbox, remote: Remote) -> Any:
    wf_id = sb.launch("all-kinds")
    sb.advance(5)  # the gates are waiting for their signals now
    ex = fetch(remote, wf_id)
    remote.approve(ex, "approve-me")
    remote.set_signal(ex, "threshold", 0.5)
    sb.run_until_done(wf_id)
    return wf_id


def test_all_kinds_complete_tree_matches_the_sandbox(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = run_all_kinds(sandbox, spy)
    ex = fetch(spy, wf_id)
    assert sync_execution(spy, ex) is ex
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    nodes = ex.node_executions

    # a task with retries: one task execution per attempt, with logs and errors
    flaky = nodes["n0"]
    assert [TaskPhase(t.phase) for t in flaky.task_executions] == [TaskPhase.FAILED] * 2 + [TaskPhase.SUCCEEDED]
    assert [t.id.retry_attempt for t in flaky.task_executions] == [0, 1, 2]
    assert "ConnectionError" in flaky.task_executions[0].closure.error.message
    assert [r.message for r in flaky.task_executions[0].closure.reasons] == ["task submitted to K8s"]
    assert all(t.closure.logs for t in flaky.task_executions)
    assert flaky.interface is not None  # from the compiled workflow, no extra call
    assert set(flaky.interface.outputs) == {"o0"}
    # static subworkflow, dynamic, branch: children under the parent
    assert set(nodes["n2"].subworkflow_node_executions) == {"n2-0-n0", "n2-0-n1"}
    assert set(nodes["n3"].subworkflow_node_executions) == {"n3-0-dn0", "n3-0-dn1", "n3-0-dn2"}
    assert nodes["n3"].task_executions  # the dynamic task's own attempt
    assert set(nodes["n4"].subworkflow_node_executions) == {"n4-0-n0"}
    # launch plan: the child execution with its own tree
    (child,) = nodes["n5"].workflow_executions
    child_truth = visible_truth(sandbox, child.to_flyte_idl().id)
    assert child_truth
    assert flatten(child.node_executions) == child_truth
    # gates have no task executions; the array node's subtasks come from external resources
    assert nodes["n6"].task_executions == []
    model = ExecutionModel(ex)
    assert model.rows["n9"]["subtasks"]["total"] == 120
    assert model.rows["n9"]["subtasks"]["counts"] == {"SUCCEEDED": 120}
    assert model.rows["n3/n3-0-dn2"]["subtasks"]["total"] == 10
    assert sum(1 for k in model.rows if k.startswith("n9[")) == 120
    assert {r["kind"] for r in model.rows.values()} == {
        "task", "subworkflow", "dynamic", "branch", "launch_plan", "gate", "array", "subtask",
    }  # fmt: skip
    assert model.rows["n5"]["child"]["name"] == child.to_flyte_idl().id.name
    assert model.rows["n10"]["error"]["kind"] == "USER"
    # start/end nodes hidden everywhere
    assert not [k for k in model.rows if "start-node" in k or "end-node" in k]
    # no data fetched during sync (inputs/outputs are lazy)
    counts = sandbox.rpc_counts()
    assert not {m for m in counts if m.endswith("Data")}


@pytest.mark.parametrize("advance_s", [9.0, None])
def test_deep_tree_matches_the_sandbox_mid_run_and_at_the_end(
    sandbox: Sandbox, spy: SpyRemote, advance_s: float | None
) -> None:
    wf_id = sandbox.launch("deep")
    if advance_s is None:
        sandbox.run_until_done(wf_id)
    else:
        sandbox.advance(advance_s)
    ex = fetch(spy, wf_id)
    sync_execution(spy, ex)
    truth = visible_truth(sandbox, wf_id)
    assert len(truth) > 3
    assert flatten(ex.node_executions) == truth


def test_refresh_lists_only_what_can_still_change(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("all-kinds")
    sandbox.advance(25)  # subworkflow, dynamic, branch, launch plan done; gates and slow_query still running
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    tree.refresh()
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    assert NodePhase(ex.node_executions["n11"].phase) == NodePhase.RUNNING
    assert NodePhase(ex.node_executions["n2"].phase) == NodePhase.SUCCEEDED

    sandbox.reset_rpc_counts()
    spy.lists.clear()
    tree.refresh()
    # the execution, one (filtered) top-level listing, and the attempts of the one running task: terminal
    # subtrees (subworkflow, dynamic, branch, the child execution, the array's subtasks) are not fetched again
    assert sandbox.rpc_counts() == {"GetExecution": 1, "ListNodeExecutions": 1, "ListTaskExecutions": 1}
    assert [parent for parent, _ in spy.lists] == [""]
    # the column holding the very value of closure.updated_at (propeller's clock), which the watermark comes from
    assert spy.lists[0][1].startswith("gte(node_execution_updated_at,")

    # time moves: slow_query times out; the refresh picks it up, still without touching finished subtrees
    sandbox.advance(10)
    sandbox.reset_rpc_counts()
    tree.refresh()
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    assert NodePhase(ex.node_executions["n11"].phase) == NodePhase.TIMED_OUT
    assert sandbox.rpc_counts().get("ListNodeExecutions") == 1
    assert sandbox.rpc_counts().get("GetWorkflow") is None


def test_a_finished_execution_is_not_fetched_again(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = run_all_kinds(sandbox, spy)
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    tree.refresh()
    assert tree.complete
    sandbox.reset_rpc_counts()
    tree.refresh()
    assert sandbox.rpc_counts() == {}
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)


def _rolling(size: int = 1000, width: int = 10) -> sc.Script:
    """``size`` task nodes, ``width`` running at a time (node i waits for node i - width), 2 s each."""
    nodes = tuple(
        sc.NodeSpec(
            id=f"n{i}",
            name="work",
            upstream=(f"n{i - width}",) if i >= width else (),
            attempts=(sc.Attempt(2.0, queued_s=0.0),),
            queued_s=0.0,
        )
        for i in range(size)
    )
    return sc.Script(workflow="rolling", nodes=nodes)


@pytest.fixture
def rolling_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    scenario = sc.Scenario(
        "rolling",
        "size nodes, width running",
        _rolling,
        {"size": 1000, "width": 10},
        {"size": (10, 1000), "width": (1, 100)},
    )
    monkeypatch.setitem(sc.SCENARIOS, "rolling", scenario)
    with Sandbox(clock="stepped") as sb:
        yield sb


@pytest.mark.parametrize("size", [100, pytest.param(1000, marks=pytest.mark.slow)])
def test_steady_state_refresh_with_10_active_nodes_costs_at_most_20_rpcs(rolling_sandbox: Sandbox, size: int) -> None:
    """The cost of a refresh does not grow with the number of finished nodes (the benchmark's 1,000-node case)."""
    sb = rolling_sandbox
    wf_id = sb.launch("rolling", size=size)
    sb.advance(2 * (size // 10 - 1) + 1)  # the last ten nodes run, all others are done
    with Remote.for_sandbox(sb.endpoint, rpc_timeout=30.0) as remote:
        ex = fetch(remote, wf_id)
        tree = TreeSync(remote, ex)
        tree.refresh()
        running = [n for n in ex.node_executions.values() if n.phase == execution_pb2.NodeExecution.RUNNING]
        assert len(ex.node_executions) == size
        assert len(running) == 10
        # steady state: the execution, one filtered top-level listing, the attempts of the ten running nodes
        sb.advance(0.5)
        sb.reset_rpc_counts()
        tree.refresh()
        assert sb.rpc_counts() == {"GetExecution": 1, "ListNodeExecutions": 1, "ListTaskExecutions": 10}
        # the last ten finish and so does the execution: their attempts once more (final), and the top level
        # once more, whole (pages of NODE_PAGE_SIZE), after the execution was seen terminal
        sb.advance(1.0)
        sb.reset_rpc_counts()
        tree.refresh()
        counts = sb.rpc_counts()
        assert sum(counts.values()) <= 20, counts
        whole_listing_pages = (size + 2) // NODE_PAGE_SIZE + 1  # start/end nodes included; a full last page is followed
        assert counts == {"GetExecution": 1, "ListNodeExecutions": 1 + whole_listing_pages, "ListTaskExecutions": 10}
        assert flatten(ex.node_executions) == visible_truth(sb, wf_id)
        assert tree.complete
        sb.reset_rpc_counts()
        tree.refresh()
        assert sb.rpc_counts() == {}


def _send_node_event(
    sb: Sandbox, wf_id: Any, node_id: str, phase: int, reported: dt.datetime | None = None, **fields: Any
) -> None:
    """A node event sent as the sandbox's own propeller sends them; ``reported``: when it says it happened (now by
    default; an older time is what a slow event RPC, or a propeller whose clock is behind, looks like to a client).
    ``fields``: more NodeExecutionEvent fields (``parent_node_metadata`` takes the parent's node id)."""
    event = event_pb2.NodeExecutionEvent(phase=phase, producer_id="propeller")
    event.id.execution_id.CopyFrom(wf_id)
    event.id.node_id = node_id
    at = reported or dt.datetime.now(dt.timezone.utc)
    event.occurred_at.FromDatetime(at)
    event.reported_at.FromDatetime(at)
    parent = fields.pop("parent_node_metadata", None)
    if parent is not None:
        event.parent_node_metadata.node_id = parent
    for name, value in fields.items():
        if hasattr(value, "DESCRIPTOR"):  # a message field (error, task_node_metadata...)
            getattr(event, name).CopyFrom(value)
        else:
            setattr(event, name, value)
    with grpc.insecure_channel(sb.endpoint) as channel:
        stub = service_pb2_grpc.AdminServiceStub(channel)
        request = admin_event_pb2.NodeExecutionEventRequest(event=event)
        stub.CreateNodeEvent(request, metadata=INTERNAL_METADATA, timeout=10)


def test_an_event_stored_late_is_not_lost(sandbox: Sandbox, spy: SpyRemote) -> None:
    """A re-listing asks for nodes updated since (newest seen - margin). An event stored later than that margin after
    its own timestamp falls below the filter: a periodic whole listing shows it within FULL_LISTING_EVERY refreshes,
    and the final listing (after the execution ended) is whole, so the finished tree is never missing it."""
    wf_id = sandbox.launch("all-kinds")
    sandbox.advance(5)  # the gates wait for their signals: the execution runs as long as the test wants
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    tree.refresh()
    newest = max(n.closure.updated_at for n in flatten_wrappers(ex.node_executions).values())
    _send_node_event(sandbox, wf_id, "late", NodePhase.RUNNING, newest - 2 * WATERMARK_MARGIN)
    seen_after = None
    for i in range(1, FULL_LISTING_EVERY + 1):
        sandbox.advance(0.5)
        tree.refresh()
        if "late" in ex.node_executions:
            seen_after = i
            break
    assert seen_after is not None, "a node stored late never appeared while the execution ran"
    assert seen_after == FULL_LISTING_EVERY  # the filtered listings cannot show it; the periodic whole one does
    # a second late event (the node finishing), then the execution ends: the final tree has it
    _send_node_event(sandbox, wf_id, "late", NodePhase.SUCCEEDED, newest - 2 * WATERMARK_MARGIN)
    remote_ex = fetch(spy, wf_id)
    spy.approve(remote_ex, "approve-me")
    spy.set_signal(remote_ex, "threshold", 0.5)
    sandbox.run_until_done(wf_id)
    tree.refresh()
    assert tree.complete
    assert NodePhase(ex.node_executions["late"].phase) == NodePhase.SUCCEEDED
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)


def _floor(filters: str) -> dt.datetime:
    """The time of a ``gte(node_execution_updated_at,<time>)`` filter."""
    assert filters.startswith("gte(node_execution_updated_at,"), filters
    return dt.datetime.strptime(filters.split(",", 1)[1].rstrip(")"), "%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_quiet_level_is_listed_from_its_newest_event_once_the_margin_has_passed(
    sandbox: Sandbox, spy: SpyRemote
) -> None:
    """Re-listings ask from (newest seen - margin) while events reported before the newest may still be stored; once
    a listing started a margin after the one that showed the newest came back, every such event is in, and a quiet
    level is listed from the newest itself (not every node that ended within the margin of it, each refresh). A
    newer event brings the margin back. Time here is the sync's own clock (monotonic), set by the test."""
    wf_id = sandbox.launch("all-kinds")
    sandbox.advance(25)  # the gates and slow_query wait: nothing happens until the test moves the sandbox clock
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    now = [1000.0]
    tree.clock = lambda: now[0]
    tree.refresh()  # shows the newest event W at t=1000

    def top_filters() -> list[str]:
        return [f for parent, f in spy.lists if parent == ""]

    spy.lists.clear()
    now[0] = 1002.0
    tree.refresh()
    (first,) = top_filters()
    newest = _floor(first) + WATERMARK_MARGIN
    # an event reported 2 s before the newest, stored only now (a slow event RPC): within the margin, still asked for
    _send_node_event(
        sandbox,
        wf_id,
        "slow-rpc",
        NodePhase.RUNNING,
        (newest - dt.timedelta(seconds=2)).replace(tzinfo=dt.timezone.utc),
    )
    now[0] = 1003.0
    tree.refresh()
    assert "slow-rpc" in ex.node_executions
    assert _floor(top_filters()[-1]) == newest - WATERMARK_MARGIN

    now[0] = 1005.0  # a margin after t=1000: this listing sees every event up to W; it still asks with the margin
    tree.refresh()
    assert _floor(top_filters()[-1]) == newest - WATERMARK_MARGIN
    now[0] = 1006.0
    tree.refresh()
    assert _floor(top_filters()[-1]) == newest  # from the newest itself: the nodes updated at W, no more

    # a newer event (slow_query times out): shown, and the margin is back for the new newest
    sandbox.advance(10)
    now[0] = 1007.0
    tree.refresh()
    assert NodePhase(ex.node_executions["n11"].phase) == NodePhase.TIMED_OUT
    now[0] = 1008.0
    tree.refresh()
    later = _floor(top_filters()[-1])
    assert later > newest - WATERMARK_MARGIN
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    now[0] = 1012.0
    tree.refresh()
    assert _floor(top_filters()[-1]) == later  # the listing at 1008 started less than a margin after 1007
    now[0] = 1013.0
    tree.refresh()
    assert _floor(top_filters()[-1]) == later + WATERMARK_MARGIN


def test_a_node_left_running_in_a_finished_execution_is_fetched_once_more_then_never(
    sandbox: Sandbox, spy: SpyRemote
) -> None:
    """FlyteAdmin keeps a node RUNNING if no event finished it (e.g. an abort propeller never reported): once the
    execution is over, the node gets a final look like any finished one, and the tree is complete."""
    wf_id = sandbox.launch("single-task")
    sandbox.advance(1)
    ex = fetch(spy, wf_id)
    tree = tree_for(spy, ex)  # the one ex.sync() uses too
    tree.refresh()
    _send_node_event(sandbox, wf_id, "stuck", NodePhase.RUNNING)
    sandbox.run_until_done(wf_id)
    tree.refresh()
    assert NodePhase(ex.node_executions["stuck"].phase) == NodePhase.RUNNING
    assert tree.complete
    sandbox.reset_rpc_counts()
    tree.refresh()
    ex.sync()
    assert sandbox.rpc_counts() == {}
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)


def test_array_subtasks_reported_as_child_nodes_event_version_1(sandbox: Sandbox, spy: SpyRemote) -> None:
    """With event version 1 an array node's subtasks are child node executions ``<array>-n<i>``: rows keyed
    ``<array>[i]``, kind subtask, each with its own phase; the array row counts them as children."""
    wf_id = sandbox.launch("single-task")
    sandbox.advance(1)
    array = {"is_array": True, "is_parent": True, "event_version": 1, "spec_node_id": "arr"}
    _send_node_event(sandbox, wf_id, "arr", NodePhase.RUNNING, **array)
    for i, phase in enumerate([NodePhase.SUCCEEDED, NodePhase.RUNNING, NodePhase.FAILED]):
        child = {"parent_node_metadata": "arr", "event_version": 1, "spec_node_id": "arr"}
        _send_node_event(sandbox, wf_id, f"arr-n{i}", NodePhase.RUNNING, **child)
        if phase != NodePhase.RUNNING:
            _send_node_event(sandbox, wf_id, f"arr-n{i}", phase, **child)
    ex = fetch(spy, wf_id)
    sync_execution(spy, ex)
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    model = ExecutionModel(ex)
    subtasks = {k: (r["kind"], r["node_id"], r["phase"], r["parent"]) for k, r in model.rows.items() if "[" in k}
    assert subtasks == {
        "arr[0]": ("subtask", "arr-n0", "SUCCEEDED", "arr"),
        "arr[1]": ("subtask", "arr-n1", "RUNNING", "arr"),
        "arr[2]": ("subtask", "arr-n2", "FAILED", "arr"),
    }
    assert (model.rows["arr"]["kind"], model.rows["arr"]["has_children"]) == ("array", True)
    assert model.node("arr[2]") is ex.node_executions["arr"].subworkflow_node_executions["arr-n2"]


def test_a_server_that_rejects_the_filter_gets_whole_listings(
    sandbox: Sandbox, spy: SpyRemote, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A FlyteAdmin that cannot filter on the column (INVALID_ARGUMENT, or a database error) is listed whole."""
    import flyteexec_widget.live.sync as tree_mod

    monkeypatch.setattr(tree_mod, "UPDATED_AT_COLUMN", "no_such_column")  # the sandbox rejects unknown columns
    wf_id = sandbox.launch("deep")
    sandbox.advance(3)
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    tree.refresh()
    spy.lists.clear()
    sandbox.advance(2)
    with caplog.at_level(logging.INFO, logger="flyteexec_widget.live.sync"):
        tree.refresh()
    assert any(f.startswith("gte(no_such_column,") for _, f in spy.lists)
    assert "rejected an updated_at filter" in caplog.text
    spy.lists.clear()
    sandbox.advance(2)
    tree.refresh()
    assert spy.lists
    assert all(f == "" for _, f in spy.lists)  # no filter tried again
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)


def test_attempts_of_unchanged_running_nodes_are_listed_round_robin_within_a_budget(
    rolling_sandbox: Sandbox,
) -> None:
    """FlyteAdmin does not touch a node when its task reports (new attempt, logs, array progress), so running nodes
    are asked for their attempts although they look unchanged, but at most ``attempts_budget`` a refresh, the least
    recently asked first; a node that changed is always asked."""
    sb = rolling_sandbox
    wf_id = sb.launch("rolling", size=30, width=30)  # 30 nodes running at once, 2 s each
    sb.advance(0.5)
    with SpyRemote(sb.endpoint, insecure=True, rpc_timeout=10.0) as remote:
        ex = fetch(remote, wf_id)
        tree = TreeSync(remote, ex)
        tree.refresh()
        assert len(remote.task_lists) == 30  # new nodes: all asked
        tree.attempts_budget = 8
        asked: list[list[str]] = []
        for _ in range(4):
            remote.task_lists.clear()
            sb.advance(0.1)
            tree.refresh()
            asked.append(list(remote.task_lists))
        assert [len(a) for a in asked] == [8, 8, 8, 8]
        assert len({n for a in asked[:3] for n in a}) == 24  # round robin: no node asked twice before the others
        assert {n for a in asked for n in a} == set(ex.node_executions)  # every running node within 4 refreshes
        # all 30 finish: each changed, so each is asked (final attempts), whatever the budget
        sb.advance(2.0)
        remote.task_lists.clear()
        tree.refresh()
        assert sorted(remote.task_lists) == sorted(ex.node_executions)
        assert all(len(n.task_executions) == 1 for n in ex.node_executions.values())
        assert flatten(ex.node_executions) == visible_truth(sb, wf_id)


def test_a_running_array_node_is_asked_for_its_progress_whatever_the_budget(sandbox: Sandbox, spy: SpyRemote) -> None:
    """Subtask progress exists only in the array task's events (the node itself does not move): never deferred."""
    wf_id = sandbox.launch("all-kinds")
    sandbox.advance(4)  # n9 (an array of 120 subtasks) runs
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    tree.refresh()
    before = ExecutionModel(ex).rows["n9"]["subtasks"]
    tree.attempts_budget = 0
    sandbox.advance(4)
    spy.task_lists.clear()
    tree.refresh()
    assert NodePhase(ex.node_executions["n9"].phase) == NodePhase.RUNNING
    assert "n9" in spy.task_lists
    assert ExecutionModel(ex).rows["n9"]["subtasks"] != before


def test_calls_of_one_level_run_concurrently(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = run_all_kinds(sandbox, spy)
    sandbox.set_latency(20)
    ex = fetch(spy, wf_id)
    spy.max_in_flight = 0
    sync_execution(spy, ex)
    # every top-level node's attempts are listed in one round: many calls in flight at once, never more than the
    # client's pool
    assert 4 <= spy.max_in_flight <= spy.max_workers


def test_every_page_is_followed(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = run_all_kinds(sandbox, spy)
    ex = fetch(spy, wf_id)
    spy.page_size = 2  # node lists and attempt lists (n0 has 3 attempts) span several pages
    sandbox.reset_rpc_counts()
    sync_execution(spy, ex)
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    assert [t.id.retry_attempt for t in ex.node_executions["n0"].task_executions] == [0, 1, 2]
    (child,) = ex.node_executions["n5"].workflow_executions
    assert flatten(child.node_executions) == visible_truth(sandbox, child.to_flyte_idl().id)
    assert sandbox.rpc_counts()["ListNodeExecutions"] > len(spy.lists)  # more pages than listings


def _children_fk(ne: Any) -> dict[str, Any]:
    kids = getattr(ne, "_underlying_node_executions", None) or []
    return {c.id.node_id: c for c in kids if c.metadata.spec_node_id not in ("start-node", "end-node")}


def _compare_with_flytekit(ours: dict[str, Any], theirs: dict[str, Any], where: str = "") -> int:
    """Same node ids, attempts, child executions and interface names as flytekit's sync; returns nodes compared."""
    theirs = {k: v for k, v in theirs.items() if k not in ("start-node", "end-node")}
    assert set(ours) == set(theirs), where
    compared = 0
    for node_id, fk in theirs.items():
        me = ours[node_id]
        at = f"{where}/{node_id}"
        assert int(me.phase) == fk.closure.phase, at
        if not me.metadata.is_dynamic:  # flytekit puts the children's attempt lists there (a list of lists)
            fk_attempts = [(t.id.retry_attempt, t.closure.phase) for t in fk.task_executions]
            assert [(t.id.retry_attempt, int(t.phase)) for t in me.task_executions] == fk_attempts, at
        assert [w.to_flyte_idl().id.name for w in me.workflow_executions] == [
            w.id.name for w in fk.workflow_executions
        ], at
        for mine_child, fk_child in zip(me.workflow_executions, fk.workflow_executions, strict=True):
            compared += _compare_with_flytekit(mine_child.node_executions, fk_child.node_executions, at + ">")
        if fk.interface is not None and fk.interface.outputs:
            assert me.interface is not None, at
            assert set(me.interface.outputs) == set(fk.interface.outputs), at
            assert set(me.interface.inputs) == set(fk.interface.inputs), at
        compared += 1 + _compare_with_flytekit(me.subworkflow_node_executions, _children_fk(fk), at)
    return compared


@pytest.mark.flytekit
@pytest.mark.parametrize("scenario", ["deep", "demo", "all-kinds", "failure"])
def test_the_tree_is_filled_as_flytekit_fills_it(sandbox: Sandbox, spy: SpyRemote, scenario: str) -> None:
    fk_remote_mod = pytest.importorskip("flytekit.remote")
    fk_config = pytest.importorskip("flytekit.configuration")
    wf_id = sandbox.launch(scenario)
    for _ in range(10):  # play it to the end, answering every gate
        try:
            sandbox.run_until_done(wf_id)
            break
        except RuntimeError:
            for signal in spy.list_signals(wf_id):
                if not signal.HasField("value"):
                    if signal.type.simple == types_pb2.BOOLEAN:
                        spy.approve(wf_id, signal.id.signal_id)
                    else:
                        spy.set_signal(wf_id, signal.id.signal_id, 0.5)
    fk = fk_remote_mod.FlyteRemote(
        fk_config.Config.for_endpoint(sandbox.endpoint, insecure=True),
        default_project=wf_id.project,
        default_domain=wf_id.domain,
    )
    theirs = fk.sync_execution(fk.fetch_execution(name=wf_id.name), sync_nodes=True)
    ours = sync_execution(spy, fetch(spy, wf_id))
    assert _compare_with_flytekit(ours.node_executions, theirs.node_executions) >= 3


def test_repeated_sync_calls_share_one_incremental_tree(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("deep")
    sandbox.advance(5)
    ex = fetch(spy, wf_id)
    assert ex.sync() is ex
    assert tree_for(spy, ex) is ex._tree_sync
    sandbox.run_until_done(wf_id)
    ex.sync()
    ex.sync()  # finished and fully fetched: nothing left to ask
    sandbox.reset_rpc_counts()
    ex.sync()
    assert sandbox.rpc_counts() == {}
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)


def test_template_lookup_is_built_once_per_scope_not_per_node(
    sandbox: Sandbox, spy: SpyRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold sync of a wide tree builds each level's template index once: per node it was quadratic."""
    # patched where the sync engine looks it up: indexing a fetched workflow, and a scope's template index
    import flyteexec_widget.live.node_templates as templates_module
    import flyteexec_widget.live.remote_calls as calls_module

    builds: list[int] = []
    real = templates_module.template_nodes

    def counting(template: Any) -> Any:
        builds.append(1)
        return real(template)

    monkeypatch.setattr(templates_module, "template_nodes", counting)
    monkeypatch.setattr(calls_module, "template_nodes", counting)
    wf_id = sandbox.launch("wide", size=200)
    sandbox.run_until_done(wf_id)
    ex = fetch(spy, wf_id)
    sync_execution(spy, ex)
    assert len(flatten(ex.node_executions)) == 200
    assert len(builds) <= 2  # one top level (and at most one rebuild); it was one build per node


def _subtask_run_s(arr: sc.Subtasks, index: int) -> float:
    """How long the player runs subtask ``index`` (player._subtask_timeline's formula)."""
    return arr.run_s * (0.75 + 0.05 * ((index * 37) % 11))


def test_array_subtask_rows_have_times_seen_by_a_watch_and_every_retrys_logs(sandbox: Sandbox, spy: SpyRemote) -> None:
    """FlyteAdmin keeps no times per subtask: a watch that saw them start and end gives their start and duration;
    a retried shard lists the log of each retry, named as propeller names them; no cache status where none."""
    wf_id = sandbox.launch("demo")
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    model = ExecutionModel()
    for _ in range(40):  # a refresh after every array tick (1 s), as a live watch does
        sandbox.advance(1)
        tree.refresh()
        model.update_from(ex)
        if model.rows.get("n1", {}).get("phase") == "SUCCEEDED":
            break
    arr = sc.SCENARIOS["demo"].script().nodes[1].array
    assert arr is not None
    for i in range(arr.size):
        row = model.rows[f"n1[{i}]"]
        assert row["started_at"] is not None, row
        assert row["duration_s"] == pytest.approx(_subtask_run_s(arr, i), abs=1.01), row  # ticks are 1 s apart
        assert row["cache"] == ""  # the map task is not cached: nothing to show
    shard5 = model.rows["n1[5]"]
    assert shard5["attempts"] == 2
    assert [(lg["name"], lg["attempt"]) for lg in shard5["logs"]] == [
        ("Kubernetes Logs (User)-5", 0),
        ("Kubernetes Logs (User)-5", 1),
    ]
    assert model.rows["n0"]["cache"] == "populated"


def test_array_subtasks_first_seen_finished_have_no_start(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("demo")
    for _ in range(30):
        sandbox.advance(2)
        if sandbox.truth(wf_id).get("n1") == NodePhase.SUCCEEDED:
            break
    ex = fetch(spy, wf_id)
    TreeSync(spy, ex).refresh()
    model = ExecutionModel(ex)
    row = model.rows["n1[0]"]
    assert (row["phase"], row["started_at"], row["duration_s"]) == ("SUCCEEDED", None, None)


# ---- planned nodes, the whole error of failed nodes, where an execution failed ----------------------------------


def test_planned_nodes_are_rows_from_the_start_in_graph_order(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("demo")
    sandbox.advance(1)  # load_data runs; nothing else has a node execution yet
    ex = sync_execution(spy, fetch(spy, wf_id))
    assert set(ex.node_executions) == {"n0"}
    model = ExecutionModel(ex)
    assert [(k, r["name"], r["phase"]) for k, r in model.rows.items()] == [
        ("n0", "load_data", "RUNNING"),
        ("n1", "preprocess_shard", "NOT_STARTED"),
        ("n2", "train", "NOT_STARTED"),
        ("n3", "evaluate", "NOT_STARTED"),
        ("n4", "approve-deploy", "NOT_STARTED"),
        ("n5", "deploy", "NOT_STARTED"),
    ]
    assert [model.rows[k]["kind"] for k in ("n1", "n4")] == ["array", "gate"]
    assert model.counts == {"RUNNING": 1, "NOT_STARTED": 5}  # "0 of 6 nodes" from the start

    # The array node starts: its row keeps its key, and its shards are counted on it, not with the nodes.
    for _ in range(30):
        sandbox.advance(2)
        if sandbox.truth(wf_id).get("n1") == NodePhase.RUNNING:
            break
    sync_execution(spy, ex)
    model.update_from(ex)
    assert list(model.rows)[:2] == ["n0", "n1"]
    assert model.rows["n1"]["phase"] == "RUNNING"
    assert model.rows["n1"]["subtasks"] is not None
    assert any(r["kind"] == "subtask" for r in model.rows.values())
    assert model.counts == {"SUCCEEDED": 1, "RUNNING": 1, "NOT_STARTED": 4}


def test_planned_children_of_a_subworkflow_keep_their_keys_when_they_start(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("deep", depth=3)
    sandbox.advance(1)
    ex = sync_execution(spy, fetch(spy, wf_id))
    model = ExecutionModel(ex)
    # Nothing below the first node ran: the nested subworkflows' nodes are planned all the way down, with the
    # ids propeller will give them.
    assert {k: r["phase"] for k, r in model.rows.items()} == {
        "n0": "RUNNING",
        "n1": "NOT_STARTED",
        "n1/n1-0-n0": "NOT_STARTED",
        "n1/n1-0-n1": "NOT_STARTED",
        "n1/n1-0-n1/n1-0-n1-0-n0": "NOT_STARTED",
        "n1/n1-0-n1/n1-0-n1-0-n1": "NOT_STARTED",
    }
    assert model.rows["n1"]["has_children"]
    assert model.rows["n1/n1-0-n1"]["has_children"]
    assert sandbox.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
    sync_execution(spy, ex)
    model.update_from(ex)
    truth = visible_truth(sandbox, wf_id)
    assert {r["node_id"] for r in model.rows.values()} == set(truth)  # the same keys, now for the real nodes
    assert {r["phase"] for r in model.rows.values()} == {"SUCCEEDED"}


def test_planned_rows_keep_their_keys_when_propeller_hashes_long_ids(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("long-names")  # nothing ran yet: every row is planned, ids over 20 characters hashed
    ex = sync_execution(spy, fetch(spy, wf_id))
    model = ExecutionModel(ex)
    planned = set(model.rows)
    assert {r["phase"] for r in model.rows.values()} == {"NOT_STARTED"}
    assert len(planned) == 7  # 5 top-level nodes and the subworkflow's 2
    assert all(len(r["node_id"]) <= 20 for r in model.rows.values())
    assert sandbox.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
    sync_execution(spy, ex)
    model.update_from(ex)
    assert planned <= set(model.rows)  # the same keys, now for the nodes that ran
    assert all(model.rows[k]["phase"] == "SUCCEEDED" for k in planned)


def test_the_whole_error_of_a_failed_node_is_fetched_once(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = run_all_kinds(sandbox, spy)
    sandbox.reset_rpc_counts()
    ex = sync_execution(spy, fetch(spy, wf_id))
    model = ExecutionModel(ex)
    err = model.rows["n10"]["error"]
    # The list response cut it to its first 100 bytes ("Traceback (most recent call last):" and a bit); the row
    # has the whole traceback, whose exception line the views show.
    assert err["message"].splitlines()[-1] == (
        "ValueError: column 'price' has 1273 non-numeric values, e.g. ['N/A', '12,50', '--']"
    )
    assert not err["trimmed"]
    assert ex.node_executions["n10"].closure.error.message == err["message"]  # flytekit's API sees it too
    long_failures = {
        k for k, r in model.rows.items() if r["kind"] != "subtask" and r["error"] and len(r["error"]["message"]) > 100
    }
    assert "n10" in long_failures
    assert sandbox.rpc_counts().get("GetNodeExecution") == len(long_failures)
    sandbox.reset_rpc_counts()
    tree_for(spy, ex).refresh()  # fetched once: a later refresh (and a re-listing that cuts it again) keeps it
    model.update_from(ex)
    assert sandbox.rpc_counts().get("GetNodeExecution", 0) == 0
    assert model.rows["n10"]["error"] == err


def test_whole_errors_are_fetched_for_the_first_failures_only(
    sandbox: Sandbox, spy: SpyRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flyteexec_widget.live.sync as sync_mod

    monkeypatch.setattr(sync_mod, "FULL_ERRORS", 0)
    wf_id = run_all_kinds(sandbox, spy)
    sandbox.reset_rpc_counts()
    ex = sync_execution(spy, fetch(spy, wf_id))
    assert sandbox.rpc_counts().get("GetNodeExecution", 0) == 0
    err = ExecutionModel(ex).rows["n10"]["error"]
    assert err["trimmed"]  # the view fetches this one when it is opened
    assert len(err["message"].encode()) <= 100


@pytest.mark.parametrize(("scenario", "key", "name"), [("all-kinds", "n10", "explode"), ("failure", "n1", "transform")])
def test_the_header_names_the_node_the_execution_failed_at(
    sandbox: Sandbox, spy: SpyRemote, scenario: str, key: str, name: str
) -> None:
    wf_id = run_all_kinds(sandbox, spy) if scenario == "all-kinds" else sandbox.launch(scenario)
    sandbox.run_until_done(wf_id)
    model = ExecutionModel(sync_execution(spy, fetch(spy, wf_id)))
    assert model.header["failed_at"] == {"key": key, "name": name, "node_id": key}


def test_an_execution_without_node_rows_is_listed_empty_and_done_only_when_flyteadmin_says_so(
    sandbox: Sandbox, spy: SpyRemote
) -> None:
    """FlyteAdmin answers an execution that has no node rows (yet) with an empty listing, not NOT_FOUND
    (node_execution_manager.go checks nothing): the tree is empty, the execution not done; nodes appear once they
    exist, and an execution that ends before any node ran is complete with no nodes."""
    wf_id = sandbox.launch("demo")  # created; nothing played yet
    assert sandbox.truth(wf_id) == {}
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    tree.refresh()
    assert spy.lists == [("", "")]  # listed, and the empty answer was taken as it is
    assert (dict(ex.node_executions), ex.is_done, tree.complete) == ({}, False, False)
    model = ExecutionModel(ex)
    # no node rows, only the nodes the workflow plans, not started
    assert ({r["phase"] for r in model.rows.values()}, model.header["terminal"]) == ({"NOT_STARTED"}, False)
    assert model.counts == {"NOT_STARTED": 6}
    sandbox.advance(0.5)
    tree.refresh()
    assert flatten(ex.node_executions) == {"n0": NodePhase.RUNNING}
    assert not tree.complete

    other = sandbox.launch("demo")
    ex2 = fetch(spy, other)
    tree2 = TreeSync(spy, ex2)
    tree2.refresh()
    event = event_pb2.WorkflowExecutionEvent(phase=execution_pb2.WorkflowExecution.FAILED, producer_id="propeller")
    event.execution_id.CopyFrom(other)
    event.occurred_at.FromDatetime(dt.datetime.now(dt.timezone.utc))
    event.error.message = "could not start"
    with grpc.insecure_channel(sandbox.endpoint) as channel:
        stub = service_pb2_grpc.AdminServiceStub(channel)
        request = admin_event_pb2.WorkflowExecutionEventRequest(event=event)
        stub.CreateWorkflowEvent(request, metadata=INTERNAL_METADATA, timeout=10)
    tree2.refresh()
    assert (dict(ex2.node_executions), ex2.is_done, tree2.complete) == ({}, True, True)
