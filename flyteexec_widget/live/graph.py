"""The workflow as compiled, as the Graph view draws it: nodes, edges, and the inner graphs of subworkflows and
branches, each node with the row key its node execution has (or will have) in the tree.

Plain JSON for the view's ``graph`` request (``display/widget.py``), built once from the admin ``Workflow``
message (a registered workflow never changes, so the answer is cached). Phases are not in it: the view takes
them from the rows it already has, by ``key``.

Shape: ``{"nodes": [GraphNode...], "edges": [[upstream id, downstream id], ...]}``; a node is
``{"id", "name", "kind", "node_id", "key", "graph"?, "lazy"?, "failure"?}`` with ``graph`` (the same shape) for a
subworkflow (its template's nodes and connections) and a branch (its cases' ``then`` nodes: alternatives, no edges).
The top level keeps FlyteAdmin's ``start-node`` and ``end-node`` (kinds ``start`` / ``end``, key ``None``) as
FlyteConsole's graph does; inner graphs leave them out. A template's failure node (``failure``: true) comes last,
with no edges. Edges are the compiled ``connections.upstream`` where the compiler wrote them (else its
``downstream``, inverted), else the nodes' ``upstream_node_ids``. A dynamic node's generated workflow and a launch
plan's child workflow are not part of the compiled closure: such a node is ``lazy``, and once it runs the view asks
for its inner graph by its row key (:func:`closure_graph` of the generated workflow, or of the child execution's).
"""

from __future__ import annotations

from typing import Any, TypedDict

from flyteidl.admin import workflow_pb2
from flyteidl.core import compiler_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from ..objects.templates import child_node_id
from .compiled import END_NODE_ID, START_NODE_ID, Compiled, branch_nodes, graph_order, id_key, planned_info
from .node_rules import DYNAMIC_TASK_TYPE
from .row_fields import _key_part as key_part  # the tree's own key parts: the graph names rows by them

__all__ = ["MAX_GRAPH_DEPTH", "Graph", "GraphNode", "closure_graph", "count_nodes", "key_part", "workflow_graph"]

#: Inner graphs are built this deep at most (a recursive template is bad data; its deeper levels stay collapsed).
MAX_GRAPH_DEPTH = 30


class Graph(TypedDict):
    nodes: list[GraphNode]
    edges: list[list[str]]


class GraphNode(TypedDict, total=False):
    id: str  # the template node id (unique within its graph)
    name: str
    kind: str  # a NodeKind, "start" or "end"
    node_id: str  # the id FlyteAdmin gives its node execution (first attempt of its parent); "" for start/end
    key: str | None  # its row key in the tree; None for start/end
    graph: Graph  # subworkflow and branch nodes: what is inside
    lazy: bool  # dynamic and launch-plan nodes: the inner graph is asked for by the node's key once it runs
    failure: bool  # the template's failure node (runs only when the workflow fails; no edges)


def workflow_graph(wf: workflow_pb2.Workflow) -> Graph:
    """The graph of a workflow's compiled closure (top level, with start and end)."""
    return closure_graph(wf.closure.compiled_workflow)


def closure_graph(
    closure: compiler_pb2.CompiledWorkflowClosure,
    *,
    parent_id: str = "",
    attempt: int = 0,
    key_prefix: str = "",
    terminals: bool = True,
) -> Graph:
    """The graph of a compiled closure whose nodes run under attempt ``attempt`` of node ``parent_id`` ("" at an
    execution's top level), their row keys starting with ``key_prefix``: an execution's workflow, a child launch
    plan's (``"<node key>><child execution>/"``) or a dynamic node's generated workflow (``"<node key>/"``).
    ``terminals``: keep start and end."""
    wf = workflow_pb2.Workflow(closure=workflow_pb2.WorkflowClosure(compiled_workflow=closure))
    compiled = Compiled.from_workflow(wf)
    connections = {id_key(s.template.id): s.connections for s in closure.sub_workflows}
    builder = _Builder(compiled, connections)
    return builder.graph(compiled.primary, closure.primary.connections, parent_id, attempt, key_prefix, 0, terminals)


class _Builder:
    def __init__(
        self, compiled: Compiled, connections: dict[tuple[int, str, str, str, str], compiler_pb2.ConnectionSet]
    ) -> None:
        self.compiled = compiled
        self.connections = connections

    def graph(
        self,
        template: core_workflow_pb2.WorkflowTemplate,
        connections: compiler_pb2.ConnectionSet | None,
        parent_id: str,
        attempt: int,
        key_prefix: str,
        depth: int,
        terminals: bool = False,
    ) -> Graph:
        """``template``'s nodes in graph order and its edges (see :func:`closure_graph`)."""
        ordered = graph_order(template)
        nodes = [self.node(t, parent_id, attempt, key_prefix, depth) for t in ordered]
        ids = {t.id for t in ordered}
        if terminals:
            ids |= {START_NODE_ID, END_NODE_ID}
        edges: list[list[str]] = []
        seen: set[tuple[str, str]] = set()

        def add(up: str, down: str) -> None:
            if up in ids and down in ids and up != down and (up, down) not in seen:
                seen.add((up, down))
                edges.append([up, down])

        upstream: dict[str, list[str]] = {}
        if connections is not None and connections.upstream:
            upstream = {d: list(ups.ids) for d, ups in connections.upstream.items()}
        elif connections is not None and connections.downstream:
            # only the downstream half written (FlyteConsole draws from this one): the same edges, inverted
            for up, downs in connections.downstream.items():
                for d in downs.ids:
                    upstream.setdefault(d, []).append(up)
        if upstream:
            # The compiler's own edge set (flytepropeller/pkg/compiler: upstream of each node, data and order).
            order = {t.id: i for i, t in enumerate(ordered)}
            order[END_NODE_ID] = len(ordered)
            for down in sorted(upstream, key=lambda d: (order.get(d, -1), d)):
                for up in upstream[down]:
                    add(up, down)
        else:
            for t in ordered:
                for up in t.upstream_node_ids:
                    add(up, t.id)
        if template.HasField("failure_node") and template.failure_node.id:
            # WorkflowTemplate.failure_node: runs only when the workflow fails (flytekit's on_failure), instead of
            # end-node; no compiled connection names it, so it has no edges (the view draws it beside the end).
            failure = self.node(template.failure_node, parent_id, attempt, key_prefix, depth)
            failure["failure"] = True
            nodes.append(failure)
        if terminals:
            used = {n for e in edges for n in e}
            start: GraphNode = {"id": START_NODE_ID, "name": "start", "kind": "start", "node_id": "", "key": None}
            end: GraphNode = {"id": END_NODE_ID, "name": "end", "kind": "end", "node_id": "", "key": None}
            # Shown when the compiler linked them, as FlyteConsole shows them (a graph of no nodes has neither).
            nodes = [*([start] if START_NODE_ID in used else []), *nodes, *([end] if END_NODE_ID in used else [])]
        return {"nodes": nodes, "edges": edges}

    def node(
        self, tmpl: core_workflow_pb2.Node, parent_id: str, attempt: int, key_prefix: str, depth: int
    ) -> GraphNode:
        info = planned_info(tmpl, self.compiled)
        kind = str(info.kind)
        if kind == "task" and self.compiled.task_types.get(id_key(tmpl.task_node.reference_id)) == DYNAMIC_TASK_TYPE:
            kind = "dynamic"  # flytekit's @dynamic: a task node whose task generates a workflow at run time
        node_id = child_node_id(parent_id, attempt, tmpl.id)
        key = key_prefix + key_part(node_id)
        out: GraphNode = {"id": tmpl.id, "name": info.name, "kind": kind, "node_id": node_id, "key": key}
        if kind in ("dynamic", "launch_plan"):
            out["lazy"] = True
        if depth >= MAX_GRAPH_DEPTH:
            return out
        inner: Graph | None = None
        if tmpl.HasField("workflow_node") and tmpl.workflow_node.HasField("sub_workflow_ref"):
            ref = id_key(tmpl.workflow_node.sub_workflow_ref)
            sub = self.compiled.sub_workflows.get(ref)
            if sub is not None:
                inner = self.graph(sub, self.connections.get(ref), node_id, 0, key + "/", depth + 1)
        elif tmpl.HasField("branch_node"):
            cases = list(branch_nodes(tmpl.branch_node).values())
            inner = {"nodes": [self.node(c, node_id, 0, key + "/", depth + 1) for c in cases], "edges": []}
        if inner is not None:
            out["graph"] = inner
        return out


def count_nodes(graph: Graph | dict[str, Any]) -> int:
    """Nodes in ``graph`` and every inner graph (start and end included)."""
    return sum(1 + (count_nodes(n["graph"]) if "graph" in n else 0) for n in graph["nodes"])
