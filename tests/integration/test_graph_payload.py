"""The Graph view's data (live/graph.py, the widget's "graph" request) for workflows the sandbox serves over real
gRPC: every kind of node, edges exactly the compiled connections, and row keys that are the tree's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier

from flyteexec_widget.display.widget import ExecutionWidget
from flyteexec_widget.live.compiled import END_NODE_ID, START_NODE_ID
from flyteexec_widget.live.graph import count_nodes, workflow_graph
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox


@pytest.fixture(scope="module")
def finished() -> Iterator[tuple[Sandbox, Remote, WorkflowExecutionIdentifier]]:
    """all-kinds played to its end (its gates decided), with a client."""
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        wf_id = sb.launch("all-kinds")
        sb.advance(2)
        remote.approve(wf_id, "approve-me")
        remote.set_signal(wf_id, "threshold", 0.7)
        assert sb.run_until_done(wf_id) == WorkflowPhase.FAILED
        yield sb, remote, wf_id


def _by_id(graph: Any) -> dict[str, Any]:
    return {n["id"]: n for n in graph["nodes"]}


def _answer(widget: ExecutionWidget, action: str, key: str = "") -> dict[str, Any]:
    """Serve one request as the view sends it; the response the view would get."""
    sent: list[dict[str, Any]] = []
    widget.send = sent.append  # type: ignore[method-assign]
    widget._answer({"type": "request", "id": 1, "action": action, "key": key})
    assert len(sent) == 1
    return sent[0]


def test_all_kinds_graph_has_every_kind_and_the_compiled_connections(finished: Any) -> None:
    _, remote, wf_id = finished
    ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
    wf = ex.flyte_workflow.to_flyte_idl()
    graph = workflow_graph(wf)
    nodes = _by_id(graph)
    kinds = {i: n["kind"] for i, n in nodes.items()}
    assert kinds == {
        START_NODE_ID: "start",
        "n0": "task",
        "n1": "task",
        "n2": "subworkflow",
        "n3": "dynamic",
        "n4": "branch",
        "n5": "launch_plan",
        "n6": "gate",
        "n7": "gate",
        "n8": "gate",
        "n9": "array",
        "n10": "task",
        "n11": "task",
        "n12": "task",
        END_NODE_ID: "end",
    }
    assert (nodes["n0"]["name"], nodes["n9"]["name"], nodes["n6"]["name"]) == ("flaky", "score", "approve-me")
    # Edges: exactly what the compiler's connection set says (upstream of each node), no more.
    conn = wf.closure.compiled_workflow.primary.connections.upstream
    expected = {(u, d) for d, ids in conn.items() for u in ids.ids}
    assert {tuple(e) for e in graph["edges"]} == expected
    assert ("n4", "n12") in expected  # notify waits for the branch
    # A subworkflow's inner graph: its template's nodes and connections, ids and keys as propeller names them.
    sub = _by_id(nodes["n2"]["graph"])
    assert {i: (n["name"], n["node_id"], n["key"]) for i, n in sub.items()} == {
        "n0": ("prepare", "n2-0-n0", "n2/n2-0-n0"),
        "n1": ("fit", "n2-0-n1", "n2/n2-0-n1"),
    }
    assert nodes["n2"]["graph"]["edges"] == [["n0", "n1"]]
    # A branch: its cases, no edges between them; a gate, an array, a dynamic and a launch plan are single nodes.
    assert [n["name"] for n in nodes["n4"]["graph"]["nodes"]] == ["take_left", "take_right"]  # if / else
    assert [n["key"] for n in nodes["n4"]["graph"]["nodes"]] == ["n4/n4-0-n0", "n4/n4-0-n1"]
    assert nodes["n4"]["graph"]["edges"] == []
    for single in ("n3", "n5", "n6", "n9"):
        assert "graph" not in nodes[single]
    assert count_nodes(graph) == 15 + 2 + 2


def test_graph_keys_are_the_rows_keys(finished: Any) -> None:
    """Every node that ran has a row under the key the graph names (so the view can colour it from the rows)."""
    sb, remote, wf_id = finished
    ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
    ex.sync()
    model = ExecutionModel(ex)
    graph = workflow_graph(ex.flyte_workflow.to_flyte_idl())
    keys: list[str] = []

    def walk(g: Any) -> None:
        for n in g["nodes"]:
            if n["key"] is not None:
                keys.append(n["key"])
            if "graph" in n:
                walk(n["graph"])

    walk(graph)
    # the branch's case it did not take never runs: no row (the view reads it "Not taken"); every other node has one
    assert "n4/n4-0-n1" in keys
    assert "n4/n4-0-n1" not in model.rows
    keys.remove("n4/n4-0-n1")
    assert set(keys) <= set(model.rows), set(keys) - set(model.rows)
    truth = sb.truth(wf_id)
    for key in keys:
        row = model.rows[key]
        assert row["phase"] == truth[row["node_id"]].name, key


def test_the_graph_request_is_answered_once_and_cached(finished: Any) -> None:
    sb, remote, wf_id = finished
    ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
    widget = ExecutionWidget(ExecutionModel(ex), execution=ex, remote=remote)
    try:
        sb.reset_rpc_counts()
        first = _answer(widget, "graph")
        assert first["ok"], first
        assert sb.rpc_counts().get("GetWorkflow", 0) == 1  # this wrapper was never synced: fetched once
        second = _answer(widget, "graph")
        assert second["result"] is first["result"]
        assert sb.rpc_counts().get("GetWorkflow", 0) == 1
        assert {n["id"] for n in first["result"]["nodes"]} >= {"n0", "n12", START_NODE_ID, END_NODE_ID}
    finally:
        widget.close()


def test_without_a_compiled_workflow_the_request_says_why(finished: Any) -> None:
    """An execution wrapper with no workflow and no remote to fetch it (e.g. built from a bare proto)."""
    _, remote, wf_id = finished
    bare = FlyteWorkflowExecution(remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name).to_flyte_idl())
    widget = ExecutionWidget(ExecutionModel(bare), execution=bare)
    try:
        answer = _answer(widget, "graph")
    finally:
        widget.close()
    assert not answer["ok"]
    assert "no compiled workflow" in answer["error"]["message"]


def _keys(graph: Any) -> list[str]:
    out: list[str] = []
    for n in graph["nodes"]:
        if n["key"] is not None:
            out.append(n["key"])
        if "graph" in n:
            out.extend(_keys(n["graph"]))
    return out


def test_a_dynamic_and_a_launch_plan_node_give_the_graph_they_ran(finished: Any) -> None:
    """Not in the compiled closure: asked for by the node's key, from the generated workflow (dynamic) and the child
    execution's workflow (launch plan), with the keys the tree gives their rows."""
    sb, remote, wf_id = finished
    ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
    ex.sync()
    model = ExecutionModel(ex)
    top = workflow_graph(ex.flyte_workflow.to_flyte_idl())
    assert {n["id"] for n in top["nodes"] if n.get("lazy")} == {"n3", "n5"}
    widget = ExecutionWidget(model, execution=ex, remote=remote)
    try:
        sb.reset_rpc_counts()
        dyn = _answer(widget, "graph", "n3")
        assert dyn["ok"], dyn
        nodes = _by_id(dyn["result"])
        assert {i: (n["name"], n["kind"], n["key"]) for i, n in nodes.items()} == {
            "dn0": ("square", "task", "n3/n3-0-dn0"),
            "dn1": ("square", "task", "n3/n3-0-dn1"),
            "dn2": ("nested_map", "array", "n3/n3-0-dn2"),
        }
        assert sorted(map(tuple, dyn["result"]["edges"])) == [("dn0", "dn2"), ("dn1", "dn2")]
        assert sb.rpc_counts().get("GetNodeExecutionData") == 1
        assert _answer(widget, "graph", "n3")["result"] is dyn["result"]  # terminal: kept
        assert sb.rpc_counts().get("GetNodeExecutionData") == 1

        lp = _answer(widget, "graph", "n5")
        assert lp["ok"], lp
        assert [n["kind"] for n in lp["result"]["nodes"]] == ["task"]  # single-task's one node, no start/end
        for key in _keys(dyn["result"]) + _keys(lp["result"]):
            assert model.rows[key]["phase"] == "SUCCEEDED", key
        assert _keys(lp["result"])[0].startswith("n5>")

        gate = _answer(widget, "graph", "n6")
        assert not gate["ok"]
        assert "gate node" in gate["error"]["message"]
    finally:
        widget.close()


def test_a_retried_dynamic_node_gives_its_latest_attempts_graph() -> None:
    """dynamic-retry: the generated workflow of attempt 2, keyed as the rows of that attempt (n1/n1-1-...)."""
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        wf_id = sb.launch("dynamic-retry")
        assert sb.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
        ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
        ex.sync()
        model = ExecutionModel(ex)
        widget = ExecutionWidget(model, execution=ex, remote=remote)
        try:
            answer = _answer(widget, "graph", "n1")
        finally:
            widget.close()
    assert answer["ok"], answer
    keys = _keys(answer["result"])
    assert len(keys) == 3
    assert all(k.startswith("n1/n1-1-") for k in keys), keys
    for key in keys:
        assert not model.rows[key]["superseded"]


@pytest.mark.parametrize("scenario", ["long-names", "deep"])
def test_keys_match_the_rows_with_hashed_ids_and_nested_subworkflows(scenario: str) -> None:
    """Ids over 20 characters are hashed by propeller (long-names) and subworkflows nest (deep): the graph names
    every node by the key of its row, planned or run."""
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        wf_id = sb.launch(scenario)
        sb.advance(3)  # part run: some rows are planned ones still
        ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
        ex.sync()
        model = ExecutionModel(ex)
        graph = workflow_graph(ex.flyte_workflow.to_flyte_idl())
    # a branch's cases have rows only once it chose one (the tree plans no case): left out while it has not run
    unrun = [n for n in graph["nodes"] if n["kind"] == "branch" and model.rows[n["key"]]["phase"] == "NOT_STARTED"]
    cases = {k for n in unrun for k in _keys(n["graph"])}
    assert cases or scenario != "long-names"
    keys = [k for k in _keys(graph) if k not in cases]
    assert len(keys) >= 3
    assert set(keys) <= set(model.rows), set(keys) - set(model.rows)
    phases = {model.rows[k]["phase"] for k in keys}
    assert "NOT_STARTED" in phases
    assert phases - {"NOT_STARTED"}, phases


def test_a_dynamic_nodes_graph_names_hashed_children_as_the_tree_does() -> None:
    """long-names: the dynamic node's generated nodes have ids over 20 characters, hashed under the parent."""
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        wf_id = sb.launch("long-names")
        sb.run_until_done(wf_id)
        ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
        ex.sync()
        model = ExecutionModel(ex)
        dyn = next(n for n in workflow_graph(ex.flyte_workflow.to_flyte_idl())["nodes"] if n["kind"] == "dynamic")
        widget = ExecutionWidget(model, execution=ex, remote=remote)
        try:
            answer = _answer(widget, "graph", dyn["key"])
        finally:
            widget.close()
    assert answer["ok"], answer
    keys = _keys(answer["result"])
    assert len(keys) == 3
    assert all(k.startswith(dyn["key"] + "/f") for k in keys), keys  # "f" + base32(fnv32a): hashed
    for key in keys:
        assert model.rows[key]["name"] == "train_region"
        assert model.rows[key]["phase"] == "SUCCEEDED"
