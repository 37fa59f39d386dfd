"""ExecutionModel: rows from a wrapper tree (schema, keys, kinds), change publication, batching, sync status."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import catalog_pb2, execution_pb2, identifier_pb2, workflow_pb2
from flyteidl.event import event_pb2

from flyteexec_widget.live.model import ExecutionModel, models_for
from flyteexec_widget.live.rows import ROW_FIELDS
from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
from flyteexec_widget.objects.templates import TemplateInfo

WF_ID = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="abc")
T0 = 1_700_000_000


def execution(phase: int = execution_pb2.WorkflowExecution.RUNNING, **closure: Any) -> FlyteWorkflowExecution:
    proto = admin_execution_pb2.Execution(id=WF_ID)
    proto.closure.phase = phase
    proto.closure.created_at.seconds = T0
    proto.closure.started_at.seconds = T0 + 2
    proto.closure.workflow_id.name = "my.wf"
    for k, v in closure.items():
        setattr(proto.closure, k, v)
    return FlyteWorkflowExecution(proto)


def node(
    node_id: str,
    phase: int = execution_pb2.NodeExecution.RUNNING,
    *,
    info: TemplateInfo | None = None,
    wf_id: identifier_pb2.WorkflowExecutionIdentifier = WF_ID,
    updated: int = 0,
    **meta: Any,
) -> FlyteNodeExecution:
    proto = node_execution_pb2.NodeExecution()
    proto.id.execution_id.CopyFrom(wf_id)
    proto.id.node_id = node_id
    proto.closure.phase = phase
    proto.closure.created_at.seconds = T0 + 1
    proto.closure.started_at.seconds = T0 + 4
    proto.closure.updated_at.seconds = T0 + 4 + updated
    for k, v in meta.items():
        setattr(proto.metadata, k, v)
    w = FlyteNodeExecution(proto)
    w._template_info = info
    return w


def attempt(
    n: FlyteNodeExecution, retry: int, phase: int, logs: list[tuple[str, str]] = (), **closure: Any
) -> FlyteTaskExecution:
    proto = task_execution_pb2.TaskExecution()
    proto.id.node_execution_id.CopyFrom(n.to_flyte_idl().id)
    proto.id.task_id.name = "mod.train"
    proto.id.retry_attempt = retry
    proto.closure.phase = phase
    for name, uri in logs:
        proto.closure.logs.add(name=name, uri=uri)
    for k, v in closure.items():
        getattr(proto.closure, k).CopyFrom(v)
    return FlyteTaskExecution(proto)


def set_nodes(ex: FlyteWorkflowExecution, *nodes: FlyteNodeExecution) -> None:
    ex._node_executions = {n.to_flyte_idl().id.node_id: n for n in nodes}


@pytest.fixture
def tree() -> FlyteWorkflowExecution:
    """A running execution: a finished task with 2 attempts, a subworkflow with one child, a paused gate."""
    ex = execution()
    t = node("n0", execution_pb2.NodeExecution.SUCCEEDED, info=TemplateInfo("task", "train"))
    t.to_flyte_idl().closure.duration.seconds = 7
    t._task_executions = [
        attempt(t, 0, execution_pb2.TaskExecution.FAILED, [("K8s", "https://logs/0")]),
        attempt(t, 1, execution_pb2.TaskExecution.SUCCEEDED, [("K8s", "https://logs/1"), ("bad", "javascript:x")]),
    ]
    sub = node("n1", info=TemplateInfo("subworkflow", "sub"), is_parent_node=True)
    child = node("n1-0-n0", info=TemplateInfo("task", "prep"))
    sub._subworkflow_node_executions = {"n1-0-n0": child}
    approve = workflow_pb2.GateNode(approve=workflow_pb2.ApproveCondition(signal_id="ok"))
    gate = node("n2", info=TemplateInfo("gate", "approve-me", approve))
    set_nodes(ex, t, sub, gate)
    return ex


def test_rows_follow_the_schema_and_tree_order(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel(tree)
    assert list(m.rows) == ["n0", "n1", "n1/n1-0-n0", "n2"]
    r = m.rows["n0"]
    assert tuple(r) == ROW_FIELDS
    assert (r["name"], r["kind"], r["phase"], r["terminal"], r["attempts"]) == ("train", "task", "SUCCEEDED", True, 2)
    assert r["started_at"] == "2023-11-14T22:13:24.000Z"
    assert (r["duration_s"], r["queued_s"]) == (7.0, 3.0)
    assert r["logs"] == [
        {"name": "K8s", "uri": "https://logs/0", "attempt": 0},
        {"name": "K8s", "uri": "https://logs/1", "attempt": 1},
    ]  # the javascript: link is dropped
    child = m.rows["n1/n1-0-n0"]
    assert (child["parent"], child["depth"], m.rows["n1"]["has_children"]) == ("n1", 1, True)
    assert m.counts == {"SUCCEEDED": 1, "RUNNING": 3}


def test_running_gate_shows_paused_with_its_signal_and_drops_it_once_done(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel(tree)
    gate = m.rows["n2"]
    assert (gate["label"], gate["color"], gate["terminal"]) == ("Paused", "paused", False)
    assert gate["gate"] == {"kind": "approve", "signal_id": "ok", "type": "bool"}
    tree.node_executions["n2"].to_flyte_idl().closure.phase = execution_pb2.NodeExecution.SUCCEEDED
    m.update_from(tree)
    assert (m.rows["n2"]["gate"], m.rows["n2"]["label"]) == (None, "Succeeded")


def test_header_names_the_execution_and_its_phase(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel(tree)
    h = m.header
    assert (h["project"], h["domain"], h["name"], h["workflow"]) == ("p", "d", "abc", "my.wf")
    assert (h["phase"], h["label"], h["terminal"], h["url"], h["error"]) == ("RUNNING", "Running", False, None, None)
    assert m.execution_key == "p:d:abc"
    assert m in models_for("p:d:abc")


def test_traits_and_rows_are_plain_json(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel(tree)
    m.set_sync_status("live", synced_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    blob = {"header": m.header, "counts": m.counts, "status": m.sync_status, "rows": list(m.rows.values())}
    assert json.loads(json.dumps(blob)) == blob  # no protobuf, datetime or enum object anywhere


def test_only_changed_rows_are_published(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel(tree)
    seen: list[tuple[int, list[str], list[str]]] = []
    m.on_rows_change(lambda v, rows, removed: seen.append((v, [r["key"] for r in rows], removed)))
    v0 = m.rows_version
    m.update_from(tree)
    assert seen == []
    assert m.rows_version == v0

    child = tree.node_executions["n1"].subworkflow_node_executions["n1-0-n0"]
    child.to_flyte_idl().closure.phase = execution_pb2.NodeExecution.SUCCEEDED
    m.update_from(tree)
    assert seen == [(v0 + 1, ["n1/n1-0-n0"], [])]

    tree.node_executions["n1"]._subworkflow_node_executions = {}
    m.update_from(tree)
    assert seen[-1][0] == v0 + 2
    assert seen[-1][2] == ["n1/n1-0-n0"]
    assert "n1/n1-0-n0" not in m.rows
    assert m.rows["n1"]["has_children"] is False


def test_a_wrapper_version_bump_rebuilds_its_row(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel(tree)
    n0 = tree.node_executions["n0"]
    n0._fx_version = 1
    m.update_from(tree)
    n0.to_flyte_idl().closure.phase = execution_pb2.NodeExecution.FAILED
    m.update_from(tree)
    assert m.rows["n0"]["phase"] == "SUCCEEDED"  # same version: the cached row is kept (the sync bumps it)
    n0._fx_version = 2
    m.update_from(tree)
    assert m.rows["n0"]["phase"] == "FAILED"


def test_unsubscribe_and_a_failing_subscriber(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel(tree)
    calls: list[int] = []

    def boom(*_: Any) -> None:
        raise RuntimeError("view broke")

    m.on_rows_change(boom)
    unsubscribe = m.on_rows_change(lambda v, *_: calls.append(v))
    tree.node_executions["n2"].to_flyte_idl().closure.phase = execution_pb2.NodeExecution.FAILED
    m.update_from(tree)  # the failing subscriber does not stop the others, nor the update
    assert calls == [m.rows_version]
    unsubscribe()
    unsubscribe()  # idempotent
    tree.node_executions["n2"].to_flyte_idl().closure.phase = execution_pb2.NodeExecution.ABORTED
    m.update_from(tree)
    assert calls == [m.rows_version - 1]
    with pytest.raises(TypeError, match="callable"):
        m.on_rows_change("not a function")  # type: ignore[arg-type]


def test_batch_hooks_wrap_each_update_once(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel()
    entered: list[str] = []

    @contextlib.contextmanager
    def hold() -> Iterator[None]:
        entered.append("in")
        yield
        entered.append("out")

    remove = m.add_batch_hook(hold)
    notified: list[str] = []
    m.observe(lambda ch: notified.append(f"{ch['name']}:{entered[-1]}:{len(m.counts)}"), names=["header"])
    m.update_from(tree)
    assert entered == ["in", "out"]
    # Notifications are held until every write is done (counts, written after header, is already set), and fire
    # inside the hooks, so a widget copying traits in its observer sends them in one batch.
    assert notified == ["header:in:2"]
    with m.batch(), m.batch():
        pass
    assert entered == ["in", "out", "in", "out"]  # nested batches enter the hooks once
    remove()
    m.update_from(tree)
    assert len(entered) == 4


def test_node_returns_the_wrapper_behind_a_row(tree: FlyteWorkflowExecution) -> None:
    m = ExecutionModel(tree)
    assert m.node("n1/n1-0-n0") is tree.node_executions["n1"].subworkflow_node_executions["n1-0-n0"]
    with pytest.raises(KeyError, match="no row with key 'nope'"):
        m.node("nope")


def test_array_subtasks_count_the_latest_retry_per_index() -> None:
    ex = execution()
    arr = node("n0", info=TemplateInfo("array", "score"), is_array=True)
    proto = task_execution_pb2.TaskExecution()
    proto.id.node_execution_id.CopyFrom(arr.to_flyte_idl().id)
    proto.closure.phase = execution_pb2.TaskExecution.RUNNING
    res = proto.closure.metadata.external_resources
    res.append(event_pb2.ExternalResourceInfo(index=0, retry_attempt=0, phase=execution_pb2.TaskExecution.SUCCEEDED))
    res.append(event_pb2.ExternalResourceInfo(index=1, retry_attempt=0, phase=execution_pb2.TaskExecution.FAILED))
    res.append(
        event_pb2.ExternalResourceInfo(
            index=1,
            retry_attempt=1,
            phase=execution_pb2.TaskExecution.RUNNING,
            cache_status=catalog_pb2.CACHE_MISS,
            logs=[execution_pb2.TaskLog(name="log", uri="http://l/1")],
        )
    )
    arr._task_executions = [FlyteTaskExecution(proto)]
    set_nodes(ex, arr)
    m = ExecutionModel(ex)
    assert m.rows["n0"]["subtasks"] == {"total": 2, "counts": {"SUCCEEDED": 1, "RUNNING": 1}}
    assert list(m.rows) == ["n0", "n0[0]", "n0[1]"]
    sub = m.rows["n0[1]"]
    assert (sub["kind"], sub["name"], sub["phase"], sub["attempts"], sub["cache"]) == (
        "subtask",
        "score[1]",
        "RUNNING",
        2,
        "miss",
    )
    assert sub["logs"] == [{"name": "log", "uri": "http://l/1", "attempt": 1}]
    assert m.node("n0[1]") is arr


def test_launch_plan_children_are_keyed_under_the_child_execution() -> None:
    ex = execution()
    lp = node("n5", info=TemplateInfo("launch_plan", "child"))
    child_id = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="kid")
    child = FlyteWorkflowExecution(admin_execution_pb2.Execution(id=child_id))
    child._node_executions = {"n0": node("n0", wf_id=child_id, info=TemplateInfo("task", "hello"))}
    lp._workflow_executions = [child]
    set_nodes(ex, lp)
    m = ExecutionModel(ex)
    assert list(m.rows) == ["n5", "n5>kid/n0"]
    assert m.rows["n5"]["child"] == {"name": "kid", "url": None}
    assert (m.rows["n5>kid/n0"]["parent"], m.rows["n5>kid/n0"]["depth"]) == ("n5", 1)


def test_errors_are_summarised_and_flagged_when_trimmed() -> None:
    ex = execution()
    long_msg = "x" * 100
    n = node("n0", execution_pb2.NodeExecution.FAILED, info=TemplateInfo("task", "t"))
    n.to_flyte_idl().closure.error.CopyFrom(
        execution_pb2.ExecutionError(code="USER:ValueError", message=long_msg, kind=execution_pb2.ExecutionError.USER)
    )
    short = node("n1", execution_pb2.NodeExecution.FAILED, info=TemplateInfo("task", "t"))
    short.to_flyte_idl().closure.error.message = "boom"
    from_task = node("n2", execution_pb2.NodeExecution.FAILED, info=TemplateInfo("task", "t"))
    from_task._task_executions = [
        attempt(from_task, 0, execution_pb2.TaskExecution.FAILED, error=execution_pb2.ExecutionError(message=long_msg))
    ]
    set_nodes(ex, n, short, from_task)
    m = ExecutionModel(ex)
    assert m.rows["n0"]["error"] == {
        "kind": "USER",
        "code": "USER:ValueError",
        "message": long_msg,
        "trimmed": True,
        "capped": False,
    }
    assert m.rows["n1"]["error"]["trimmed"] is False
    # no node error: the last attempt's, which ListTaskExecutions returns whole (task_execution_manager.go)
    assert m.rows["n2"]["error"] == {
        "kind": "UNKNOWN",
        "code": "",
        "message": long_msg,
        "trimmed": False,
        "capped": False,
    }


def test_sync_status_states_and_validation() -> None:
    m = ExecutionModel()
    assert m.sync_status["state"] == "stopped"
    at = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    m.set_sync_status("live", synced_at=at)
    m.set_sync_status("reconnecting", attempt=2, next_retry_at=at, last_error="unavailable")
    assert m.sync_status == {
        "state": "reconnecting",
        "last_synced_at": "2026-01-01T12:00:00.000Z",  # kept from the last good sync
        "attempt": 2,
        "next_retry_at": "2026-01-01T12:00:00.000Z",
        "last_error": "unavailable",
        "login_url": None,
        "server_error": None,
    }
    m.set_sync_status("reconnecting", attempt=3, last_error="GetExecution: INTERNAL", server_error="INTERNAL: db down")
    assert m.sync_status["server_error"] == "INTERNAL: db down"
    m.set_sync_status("live", synced_at=at)
    assert m.sync_status["server_error"] is None  # a sync that worked clears it
    with pytest.raises(ValueError, match="one of"):
        m.set_sync_status("sleeping")
    with pytest.raises(ValueError, match="timezone-aware"):
        m.set_sync_status("live", synced_at=dt.datetime(2026, 1, 1))


def test_array_subtasks_as_child_nodes_are_keyed_by_index() -> None:
    """Event version 1: subtasks are child node executions (``<array>-n<i>``); rows keep the ``[i]`` key form."""
    ex = execution()
    arr = node("n0", info=TemplateInfo("array", "score"), is_array=True, is_parent_node=True)
    done = execution_pb2.NodeExecution.SUCCEEDED
    arr._subworkflow_node_executions = {
        f"n0-n{i}": node(f"n0-n{i}", done, info=TemplateInfo("subtask", f"score[{i}]", index=i)) for i in (0, 1)
    }
    set_nodes(ex, arr)
    m = ExecutionModel(ex)
    assert list(m.rows) == ["n0", "n0[0]", "n0[1]"]
    assert (m.rows["n0[1]"]["kind"], m.rows["n0[1]"]["node_id"], m.rows["n0[1]"]["parent"]) == (
        "subtask",
        "n0-n1",
        "n0",
    )
    assert m.node("n0[1]") is arr.subworkflow_node_executions["n0-n1"]


def test_rows_are_reused_while_the_tree_version_stays(tree: FlyteWorkflowExecution) -> None:
    """The sync bumps ``_fx_tree_version`` on the root when anything below changed; otherwise rows are reused."""
    tree._fx_tree_version = 1
    m = ExecutionModel(tree)
    tree.node_executions["n2"].to_flyte_idl().closure.phase = execution_pb2.NodeExecution.FAILED
    tree.to_flyte_idl().closure.phase = execution_pb2.WorkflowExecution.FAILED
    m.update_from(tree)
    assert m.rows["n2"]["phase"] == "RUNNING"  # same tree version: not rebuilt
    assert m.header["phase"] == "FAILED"  # the header always is
    tree._fx_tree_version = 2
    m.update_from(tree)
    assert m.rows["n2"]["phase"] == "FAILED"


def test_an_unchanged_node_keeps_its_row_but_a_change_of_its_place_still_shows(tree: FlyteWorkflowExecution) -> None:
    """A versioned node whose fields did not change keeps its previous row (not published again); one whose place
    in the tree changed (its children went) gets a new row although its own version stayed."""
    for w in tree.node_executions.values():
        w._fx_version = 1
    m = ExecutionModel(tree)
    seen: list[list[str]] = []
    m.on_rows_change(lambda v, rows, removed: seen.append([r["key"] for r in rows]))
    before = dict(m.rows)
    n0 = tree.node_executions["n0"]
    n0.to_flyte_idl().closure.phase = execution_pb2.NodeExecution.FAILED
    n0._fx_version = 2
    m.update_from(tree)
    assert seen == [["n0"]]
    assert m.rows["n0"]["phase"] == "FAILED"
    assert m.rows["n2"] is before["n2"]  # unchanged: the same row, neither rebuilt nor compared

    tree.node_executions["n1"]._subworkflow_node_executions = {}
    m.update_from(tree)
    assert "n1" in seen[-1]
    assert m.rows["n1"]["has_children"] is False
