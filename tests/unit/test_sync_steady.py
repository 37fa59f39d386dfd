"""A steady refresh looks only at the nodes that can still change (running, new, changed by a listing, parents):
finished nodes leave planning and wiring, and come back when a listing changes them or when what their row is read
against (the execution's workflow) becomes known. These tests pin the ways back in: each fails if a finished node
were left out for good."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2, task_pb2, workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2

from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.objects.executions import FlyteWorkflowExecution

WF_ID = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e")
WORKFLOW = identifier_pb2.Identifier(resource_type=identifier_pb2.WORKFLOW, project="p", domain="d", name="wf")
TASK = identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project="p", domain="d", name="pkg.mod.train")
T0 = 1_700_000_000


class SteadyRemote:
    """A running execution of ``size`` task nodes (all finished but the last ``running``), answered from state the
    test changes between refreshes; records the attempt listings of each refresh."""

    def __init__(self, size: int, running: int = 1) -> None:
        self.max_workers = 4
        self.executor = ThreadPoolExecutor(self.max_workers)
        self.lock = threading.Lock()
        self.on_retry = None
        self.names_workflow = True
        self.nodes: dict[str, node_execution_pb2.NodeExecution] = {}
        self.logs: dict[str, list[str]] = {}
        self.task_listings: list[str] = []
        for i in range(size):
            n = node_execution_pb2.NodeExecution()
            n.id.node_id = f"n{i}"
            n.id.execution_id.CopyFrom(WF_ID)
            done = i < size - running
            n.closure.phase = (
                core_execution_pb2.NodeExecution.SUCCEEDED if done else core_execution_pb2.NodeExecution.RUNNING
            )
            n.closure.created_at.FromSeconds(T0 + i)
            n.closure.updated_at.FromSeconds(T0 + i)
            self.nodes[n.id.node_id] = n
            self.logs[n.id.node_id] = [f"https://logs.example/{n.id.node_id}/0"]

    def get_execution(self, wf_id: Any) -> admin_execution_pb2.Execution:
        ex = admin_execution_pb2.Execution(id=WF_ID)
        ex.closure.phase = core_execution_pb2.WorkflowExecution.RUNNING
        ex.closure.updated_at.FromSeconds(T0)
        if self.names_workflow:
            ex.closure.workflow_id.CopyFrom(WORKFLOW)
        return ex

    def list_node_executions(self, wf_id: Any, *, unique_parent_id: str = "", filters: str = "") -> list[Any]:
        # copies, as the wire delivers them; every node, as if all matched the filter: the sync compares them itself
        return [node_execution_pb2.NodeExecution.FromString(n.SerializeToString()) for n in self.nodes.values()]

    def list_task_executions(self, node_exec_id: Any) -> list[Any]:
        with self.lock:
            self.task_listings.append(node_exec_id.node_id)
        node = self.nodes[node_exec_id.node_id]
        t = task_execution_pb2.TaskExecution()
        t.id.node_execution_id.CopyFrom(node_exec_id)
        t.id.task_id.CopyFrom(identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, name="pkg.mod.t"))
        t.closure.phase = (
            core_execution_pb2.TaskExecution.SUCCEEDED
            if node.closure.phase == core_execution_pb2.NodeExecution.SUCCEEDED
            else core_execution_pb2.TaskExecution.RUNNING
        )
        for uri in self.logs[node_exec_id.node_id]:
            t.closure.logs.add(name="log", uri=uri)
        return [t]

    def get_workflow(self, identifier: Any) -> workflow_pb2.Workflow:
        wf = workflow_pb2.Workflow(id=identifier)
        template = wf.closure.compiled_workflow.primary.template
        template.id.CopyFrom(identifier)
        for node_id in self.nodes:
            template.nodes.add(id=node_id).task_node.reference_id.CopyFrom(TASK)
        return wf

    def get_task(self, identifier: Any) -> Any:
        self.task_listings.append("GetTask")  # a node no template describes: its interface from its task
        return task_pb2.Task(id=identifier)

    def get_node_execution(self, node_exec_id: Any) -> Any:
        raise AssertionError("no trimmed errors here")

    def generate_console_url(self, execution: Any) -> str:
        return "https://console.example/e"

    def touch(self, node_id: str, seconds: int) -> None:
        """A later event of a node: its update time moves (what makes the sync list its attempts again)."""
        self.nodes[node_id].closure.updated_at.FromSeconds(T0 + seconds)


@pytest.fixture
def remote() -> Any:
    r = SteadyRemote(30)
    yield r
    r.executor.shutdown()


def _watch(remote: SteadyRemote) -> tuple[TreeSync, ExecutionModel]:
    ex = FlyteWorkflowExecution(admin_execution_pb2.Execution(id=WF_ID), remote=remote)  # type: ignore[arg-type]
    tree = TreeSync(remote, ex)  # type: ignore[arg-type]
    model = ExecutionModel()
    tree.refresh(publish=lambda: model.update_from(ex))
    model.update_from(ex)
    return tree, model


def test_a_finished_node_changed_by_a_later_listing_has_its_attempts_listed_again(remote: SteadyRemote) -> None:
    tree, model = _watch(remote)
    assert [link["uri"] for link in model.rows["n3"]["logs"]] == ["https://logs.example/n3/0"]
    remote.task_listings.clear()
    tree.refresh(publish=lambda: model.update_from(tree.execution))
    assert remote.task_listings == ["n29"]  # only the running node: the finished ones are settled

    # a late event of finished n3 adds a log link (its update time moves); nothing else changes
    remote.logs["n3"].append("https://logs.example/n3/late")
    remote.touch("n3", 100)
    remote.task_listings.clear()
    tree.refresh(publish=lambda: model.update_from(tree.execution))
    model.update_from(tree.execution)
    assert sorted(remote.task_listings) == ["n29", "n3"]
    assert [link["uri"] for link in model.rows["n3"]["logs"]] == [
        "https://logs.example/n3/0",
        "https://logs.example/n3/late",
    ]


def test_finished_nodes_seen_before_the_workflow_was_known_are_named_from_it_once_it_is(
    remote: SteadyRemote,
) -> None:
    remote.names_workflow = False  # the first answers name no workflow: kinds and names come from the attempts
    tree, model = _watch(remote)
    tree.refresh(publish=lambda: model.update_from(tree.execution))
    model.update_from(tree.execution)
    assert model.rows["n3"]["name"] == "t"  # the attempt's task

    remote.names_workflow = True
    tree.refresh(publish=lambda: model.update_from(tree.execution))
    model.update_from(tree.execution)
    # every node, the finished ones too, now named by its template's task
    assert {row["name"] for row in model.rows.values()} == {"train"}


def test_a_node_that_starts_later_shows_and_is_counted(remote: SteadyRemote) -> None:
    tree, model = _watch(remote)
    assert len(model.rows) == 30
    n = node_execution_pb2.NodeExecution()
    n.id.node_id = "n30"
    n.id.execution_id.CopyFrom(WF_ID)
    n.closure.phase = core_execution_pb2.NodeExecution.RUNNING
    n.closure.created_at.FromSeconds(T0 + 200)
    n.closure.updated_at.FromSeconds(T0 + 200)
    remote.nodes["n30"] = n
    remote.logs["n30"] = []
    tree.refresh(publish=lambda: model.update_from(tree.execution))
    model.update_from(tree.execution)
    assert list(model.rows)[-1] == "n30"
    assert model.rows["n30"]["phase"] == "RUNNING"
    assert model.counts == {"SUCCEEDED": 29, "RUNNING": 2}
    assert set(tree.execution.node_executions) == {f"n{i}" for i in range(31)}


def test_a_refresh_after_one_node_changed_publishes_that_row_alone(remote: SteadyRemote) -> None:
    tree, model = _watch(remote)
    published: list[tuple[list[str], list[str]]] = []
    model.on_rows_change(lambda version, changed, removed: published.append(([r["key"] for r in changed], removed)))
    remote.nodes["n29"].closure.phase = core_execution_pb2.NodeExecution.SUCCEEDED  # the running node ends
    remote.touch("n29", 300)
    tree.refresh(publish=lambda: model.update_from(tree.execution))
    model.update_from(tree.execution)
    assert published == [(["n29"], [])]  # the other 29 rows are the ones the view has: nothing sent for them
    assert model.rows["n29"]["phase"] == "SUCCEEDED"
    assert model.counts == {"SUCCEEDED": 30}
    assert model.header["failed_at"] is None


def test_the_header_names_a_failure_as_soon_as_a_row_fails_and_keeps_it_over_quiet_refreshes(
    remote: SteadyRemote,
) -> None:
    tree, model = _watch(remote)
    assert model.header["failed_at"] is None
    remote.nodes["n29"].closure.phase = core_execution_pb2.NodeExecution.FAILED  # the execution has no error yet
    remote.touch("n29", 300)
    tree.refresh(publish=lambda: model.update_from(tree.execution))
    model.update_from(tree.execution)
    assert model.header["failed_at"] == {"key": "n29", "name": "train", "node_id": "n29"}
    tree.refresh(publish=lambda: model.update_from(tree.execution))  # nothing changed
    model.update_from(tree.execution)
    assert model.header["failed_at"] == {"key": "n29", "name": "train", "node_id": "n29"}
