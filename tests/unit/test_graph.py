"""live/graph.py on hand-made compiled workflows: shapes the sandbox does not register (no connection set, a
recursive subworkflow reference, a failure node, a node type this flyteidl does not know, hostile names)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flyteidl.admin import workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2
from flyteidl.core import workflow_pb2 as core

from flyteexec_widget.live.graph import MAX_GRAPH_DEPTH, closure_graph, workflow_graph


def _wf_id(name: str) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW, project="p", domain="d", name=name, version="v"
    )


def _task_node(node_id: str, *ups: str, name: str = "") -> core.Node:
    ref = identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project="p", domain="d", name=f"m.{node_id}")
    return core.Node(
        id=node_id,
        upstream_node_ids=list(ups),
        metadata=core.NodeMetadata(name=name),
        task_node=core.TaskNode(reference_id=ref),
    )


def _workflow(
    nodes: list[core.Node], subs: Sequence[core.WorkflowTemplate] = (), **primary: Any
) -> workflow_pb2.Workflow:
    tmpl = core.WorkflowTemplate(id=_wf_id("top"), nodes=nodes, **primary)
    closure = compiler_pb2.CompiledWorkflowClosure(
        primary=compiler_pb2.CompiledWorkflow(template=tmpl),
        sub_workflows=[compiler_pb2.CompiledWorkflow(template=s) for s in subs],
    )
    return workflow_pb2.Workflow(closure=workflow_pb2.WorkflowClosure(compiled_workflow=closure))


def test_without_a_connection_set_the_edges_are_the_nodes_upstream_ids() -> None:
    wf = _workflow([_task_node("a"), _task_node("b", "a"), _task_node("c", "a", "b", "ghost", "c")])
    graph = workflow_graph(wf)
    assert [n["id"] for n in graph["nodes"]] == ["a", "b", "c"]  # no start/end: nothing links them
    assert graph["edges"] == [["a", "b"], ["a", "c"], ["b", "c"]]  # unknown ids and self loops left out
    assert [n["name"] for n in graph["nodes"]] == ["a", "b", "c"]  # a task's short name


def test_a_recursive_subworkflow_stops_at_the_depth_bound() -> None:
    ref = _wf_id("loop")
    loop = core.WorkflowTemplate(
        id=ref, nodes=[core.Node(id="n0", workflow_node=core.WorkflowNode(sub_workflow_ref=ref))]
    )
    graph = workflow_graph(
        _workflow([core.Node(id="n0", workflow_node=core.WorkflowNode(sub_workflow_ref=ref))], [loop])
    )
    depth = 0
    node = graph["nodes"][0]
    while "graph" in node:
        depth += 1
        node = node["graph"]["nodes"][0]
    assert depth == MAX_GRAPH_DEPTH
    assert node["kind"] == "subworkflow"


def test_unknown_node_types_failure_nodes_and_hostile_names_are_data() -> None:
    evil = "<img src=x onerror=alert(1)>"
    unknown = core.Node(id="n1")  # none of the targets this flyteidl knows
    failure = _task_node("on-failure")
    gate = core.Node(id="n0", metadata=core.NodeMetadata(name=evil), gate_node=core.GateNode())
    wf = _workflow([gate, unknown], failure_node=failure)
    graph = workflow_graph(wf)
    kinds = {n["id"]: n["kind"] for n in graph["nodes"]}
    assert kinds == {"n0": "gate", "n1": "unknown", "on-failure": "task"}
    assert graph["nodes"][0]["name"] == evil  # kept as text (the view sets it with textContent)
    # the failure node runs only when the workflow fails: drawn last, marked, with no edges, keyed like its row
    fn = graph["nodes"][-1]
    assert (fn["id"], fn.get("failure"), fn["key"]) == ("on-failure", True, "on-failure")
    assert not [e for e in graph["edges"] if "on-failure" in e]
    assert all(not n.get("failure") for n in graph["nodes"][:-1])


def test_a_closure_under_a_node_gets_its_ids_and_keys() -> None:
    """A dynamic node's generated workflow: ids under the parent's attempt, long ones hashed as propeller does."""
    closure = _workflow([_task_node("dn0"), _task_node("a-very-long-node-identifier", "dn0")]).closure.compiled_workflow
    graph = closure_graph(closure, parent_id="n3", attempt=1, key_prefix="n3/", terminals=False)
    ids = [(n["node_id"], n["key"]) for n in graph["nodes"]]
    assert ids[0] == ("n3-1-dn0", "n3/n3-1-dn0")
    assert ids[1][0].startswith("f")
    assert len(ids[1][0]) <= 20
    assert ids[1][1] == "n3/" + ids[1][0]


def test_a_connection_set_with_only_the_downstream_half_gives_the_same_edges() -> None:
    nodes = [_task_node("a"), _task_node("b", "a")]
    down = compiler_pb2.ConnectionSet()
    for up, ds in (("start-node", ["a"]), ("a", ["b"]), ("b", ["end-node"])):
        down.downstream[up].ids.extend(ds)
    tmpl = core.WorkflowTemplate(id=_wf_id("top"), nodes=nodes)
    closure = compiler_pb2.CompiledWorkflowClosure(
        primary=compiler_pb2.CompiledWorkflow(template=tmpl, connections=down)
    )
    graph = closure_graph(closure)
    assert [n["id"] for n in graph["nodes"]] == ["start-node", "a", "b", "end-node"]
    assert graph["edges"] == [["start-node", "a"], ["a", "b"], ["b", "end-node"]]
