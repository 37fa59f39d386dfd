"""TreeSync's two phases: a publishing refresh (a watch's) shows the rows from the node listings before any attempt
listing, then lists attempts (prioritized nodes first); a plain refresh (``sync()``) returns the whole tree."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2, task_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2

from flyteexec_widget.admin.errors import RpcFailure
from flyteexec_widget.live import sync as sync_mod
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.objects.executions import FlyteWorkflowExecution

WF_ID = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e")


def _node(i: int) -> node_execution_pb2.NodeExecution:
    n = node_execution_pb2.NodeExecution()
    n.id.node_id = f"n{i}"
    n.id.execution_id.CopyFrom(WF_ID)
    n.closure.phase = core_execution_pb2.NodeExecution.SUCCEEDED
    n.closure.updated_at.FromSeconds(1_700_000_000 + i)
    n.closure.created_at.FromSeconds(1_700_000_000 + i)
    return n


def _attempt(node_id: identifier_pb2.NodeExecutionIdentifier) -> task_execution_pb2.TaskExecution:
    t = task_execution_pb2.TaskExecution()
    t.id.node_execution_id.CopyFrom(node_id)
    t.id.task_id.name = "t"
    t.closure.phase = core_execution_pb2.TaskExecution.SUCCEEDED
    t.closure.logs.add(name="log", uri=f"https://logs.example/{node_id.node_id}")
    return t


class FakeRemote:
    """The calls TreeSync makes, answered from a fixed finished execution of ``nodes`` task nodes; ``log`` records
    them in the order they ran (and ``publish`` entries the test adds)."""

    def __init__(self, nodes: int, max_workers: int = 4) -> None:
        self.nodes = [_node(i) for i in range(nodes)]
        self.max_workers = max_workers
        self.executor = ThreadPoolExecutor(max_workers)
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.fail_attempts = False
        self.on_retry = None

    def _note(self, what: str) -> None:
        with self.lock:
            self.log.append(what)

    def get_execution(self, wf_id: Any) -> admin_execution_pb2.Execution:
        self._note("GetExecution")
        ex = admin_execution_pb2.Execution(id=WF_ID)
        ex.closure.phase = core_execution_pb2.WorkflowExecution.SUCCEEDED
        ex.closure.updated_at.FromSeconds(1_700_000_100)
        return ex

    def list_node_executions(self, wf_id: Any, *, unique_parent_id: str = "", filters: str = "") -> list[Any]:
        self._note("ListNodeExecutions")
        return list(self.nodes)

    def list_task_executions(self, node_exec_id: Any) -> list[Any]:
        self._note(f"ListTaskExecutions {node_exec_id.node_id}")
        if self.fail_attempts:
            raise RpcFailure("unavailable", code=grpc.StatusCode.UNAVAILABLE, method="ListTaskExecutions")
        return [_attempt(node_exec_id)]

    def get_workflow(self, identifier: Any) -> Any:
        raise AssertionError("no workflow here")

    def get_task(self, identifier: Any) -> Any:
        self._note("GetTask")  # the interface of a node no workflow template describes
        return task_pb2.Task(id=identifier)

    def get_node_execution(self, node_exec_id: Any) -> Any:
        raise AssertionError("no trimmed errors here")

    def generate_console_url(self, execution: Any) -> str:
        return "https://console.example/e"

    def close(self) -> None:
        self.executor.shutdown()


@pytest.fixture
def remote() -> Any:
    r = FakeRemote(40)
    yield r
    r.close()


def _execution(remote: FakeRemote) -> FlyteWorkflowExecution:
    return FlyteWorkflowExecution(admin_execution_pb2.Execution(id=WF_ID), remote=remote)  # type: ignore[arg-type]


def test_rows_are_published_from_the_listing_before_any_attempt_is_listed(remote: FakeRemote) -> None:
    ex = _execution(remote)
    tree = TreeSync(remote, ex)  # type: ignore[arg-type]
    seen: list[dict[str, Any]] = []

    def publish() -> None:
        remote._note("publish")
        seen.append(dict(ExecutionModel(ex).rows))

    tree.refresh(publish=publish)

    first = remote.log.index("publish")
    assert not [c for c in remote.log[:first] if c.startswith("ListTaskExecutions")]
    assert len([c for c in remote.log[first:] if c.startswith("ListTaskExecutions")]) == 40
    rows = seen[0]
    assert len(rows) == 40
    assert all(r["attempts"] is None and r["logs"] == [] and r["phase"] == "SUCCEEDED" for r in rows.values())
    # the refresh returns the whole tree: every attempt, nothing pending
    assert all(len(n.task_executions) == 1 and not n._fx_attempts_pending for n in ex.node_executions.values())
    assert all(r["attempts"] == 1 and len(r["logs"]) == 1 for r in ExecutionModel(ex).rows.values())


def test_a_plain_refresh_publishes_nothing_and_returns_every_attempt(remote: FakeRemote) -> None:
    ex = _execution(remote)
    TreeSync(remote, ex).refresh()  # type: ignore[arg-type]
    assert len([c for c in remote.log if c.startswith("ListTaskExecutions")]) == 40
    assert all(len(n.task_executions) == 1 and not n._fx_attempts_pending for n in ex.node_executions.values())


def test_prioritized_nodes_are_listed_first_in_the_next_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = FakeRemote(40, max_workers=1)  # one worker: calls run in the order the sync hands them out
    try:
        ex = _execution(remote)
        tree = TreeSync(remote, ex)  # type: ignore[arg-type]
        remote.fail_attempts = True
        with pytest.raises(RpcFailure):
            tree.refresh(publish=lambda: None)
        pending = [n for n in ex.node_executions.values() if n._fx_attempts_pending]
        assert len(pending) == 40  # shown, attempts unknown
        assert tree.prioritize([ex.node_executions["n37"], ex.node_executions["n12"]]) == 2
        remote.fail_attempts = False
        remote.log.clear()
        tree.refresh(publish=lambda: None)
        attempts = [c.split()[1] for c in remote.log if c.startswith("ListTaskExecutions")]
        assert attempts[:2] == ["n12", "n37"]  # tree order among the prioritized, before the other 38
        assert len(attempts) == 40
        assert tree.prioritize([ex.node_executions["n1"]]) == 0  # nothing waits any more
    finally:
        remote.close()


def test_a_later_refresh_paints_early_only_for_a_big_batch_of_new_nodes(remote: FakeRemote) -> None:
    ex = _execution(remote)
    tree = TreeSync(remote, ex)  # type: ignore[arg-type]
    tree.refresh(publish=lambda: None)
    calls: list[int] = []

    def count() -> None:
        calls.append(len([c for c in remote.log if c.startswith("ListTaskExecutions")]))

    # the execution is terminal and final: refresh again after the nodes grew (a test shortcut for a fan-out)
    remote.nodes.append(_node(40))
    tree._execs[("p", "d", "e")].terminal_before = False
    tree._execs[("p", "d", "e")].top.listed_for = None
    tree.refresh(publish=count)
    assert calls == []  # one new node: no extra publication before its attempts
    remote.nodes.extend(_node(i) for i in range(41, 41 + sync_mod.EARLY_PAINT_NEW_NODES))
    tree._execs[("p", "d", "e")].top.listed_for = None
    before = len([c for c in remote.log if c.startswith("ListTaskExecutions")])
    tree.refresh(publish=count)
    assert calls == [before]  # published before the new nodes' attempts were asked


def test_a_failing_publication_does_not_fail_the_sync(remote: FakeRemote) -> None:
    ex = _execution(remote)

    def publish() -> None:
        raise RuntimeError("the view broke")

    TreeSync(remote, ex).refresh(publish=publish)  # type: ignore[arg-type]
    assert all(len(n.task_executions) == 1 for n in ex.node_executions.values())


def test_a_watch_builds_each_nodes_own_fields_once_and_again_only_when_its_message_changes(
    remote: FakeRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The complete tree through a watch costs one build of each node's own part, not two (first paint, then with
    attempts); a node whose message changed is built from the new one."""
    from flyteexec_widget.live import rows as rows_mod

    built: list[str] = []
    real = rows_mod._own_fields

    def counting(proto: Any, info: Any) -> Any:
        built.append(proto.id.node_id)
        return real(proto, info)

    monkeypatch.setattr(rows_mod, "_own_fields", counting)

    real_attempt = _attempt

    def attempt(node_id: identifier_pb2.NodeExecutionIdentifier) -> task_execution_pb2.TaskExecution:
        t = real_attempt(node_id)
        t.id.task_id.name = node_id.node_id  # the name the row had from the listing: its template info stays
        return t

    monkeypatch.setattr(sys.modules[__name__], "_attempt", attempt)
    ex = _execution(remote)
    model = ExecutionModel(ex)
    TreeSync(remote, ex).refresh(publish=lambda: model.update_from(ex))  # type: ignore[arg-type]
    model.update_from(ex)
    assert sorted(built) == sorted(f"n{i}" for i in range(40))
    assert all(r["attempts"] == 1 and len(r["logs"]) == 1 for r in model.rows.values())

    n3 = ex.node_executions["n3"]
    changed = node_execution_pb2.NodeExecution()
    changed.CopyFrom(n3.to_flyte_idl())
    changed.closure.phase = core_execution_pb2.NodeExecution.FAILED
    n3._update(changed)
    n3._fx_version += 1
    ex._fx_tree_version += 1
    model.update_from(ex)
    assert built[40:] == ["n3"]
    assert model.rows["n3"]["phase"] == "FAILED"
    assert model.rows["n3"]["attempts"] == 1


def test_a_watch_stopped_after_the_first_paint_lists_no_more_attempts_and_sync_completes_them() -> None:
    """Closing the widget mid-listing stops the attempt listings (not 10,000 more RPCs for nobody); a later
    ``sync()`` of the same tree lists the ones left and returns the whole tree."""
    remote = FakeRemote(40, max_workers=1)
    try:
        ex = _execution(remote)
        tree = TreeSync(remote, ex)  # type: ignore[arg-type]
        stop = threading.Event()
        tree.refresh(publish=stop.set, stopped=stop.is_set)
        listed = len([c for c in remote.log if c.startswith("ListTaskExecutions")])
        assert listed == 0
        assert all(n._fx_attempts_pending for n in ex.node_executions.values())
        tree.refresh()
        assert len([c for c in remote.log if c.startswith("ListTaskExecutions")]) == 40
        assert all(len(n.task_executions) == 1 and not n._fx_attempts_pending for n in ex.node_executions.values())
    finally:
        remote.close()
