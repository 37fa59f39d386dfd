"""The request handler for the Graph view: the compiled workflow as ``live.graph`` builds it.

The contract: :mod:`.requests`. Answers are kept in the widget's ``request_cache`` (a registered workflow never
changes; what a dynamic or launch-plan node ran, once the node is terminal), which the widget empties when it
follows another execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..live.graph import Graph, closure_graph, key_part, workflow_graph
from .requests import RequestContext, RequestError, require_execution, require_remote, target

__all__ = ["graph"]


def graph(ctx: RequestContext, request: Mapping[str, Any]) -> Graph:
    """``graph``: for key "" the execution's workflow as compiled (the sync has usually fetched it, else the
    execution fetches it once through the remote); for a dynamic or launch-plan node that runs, what it runs ->
    ``{"nodes": [...], "edges": [[up, down], ...]}`` (``live.graph.workflow_graph``)."""
    key = request.get("key") or ""
    if not isinstance(key, str):
        raise RequestError(f"key must be a row key (a string), got {key!r}")
    kept: dict[str, Graph] = ctx.request_cache.setdefault("graph", {})  # row key ("": the execution) -> graph
    cached = kept.get(key)
    if cached is not None:
        return cached
    if key:
        return _inner_graph(ctx, request, key, kept)
    execution = require_execution(ctx)
    wf = getattr(execution, "_flyte_workflow", None)
    if wf is None and getattr(execution, "flyte_workflow", None) is not None:
        wf = execution._flyte_workflow
    if wf is None:
        raise RequestError("no compiled workflow for this execution (a single task, or no Remote to fetch it)")
    kept[""] = workflow_graph(wf)
    return kept[""]


def _inner_graph(ctx: RequestContext, request: Mapping[str, Any], key: str, kept: dict[str, Graph]) -> Graph:
    """A dynamic node's generated workflow (``GetNodeExecutionData``'s ``dynamic_workflow``, which flyteadmin
    reads from the node's stored closure: ``manager/impl/node_execution_manager.go``) or a launch-plan node's
    child execution's workflow, with the row keys the tree gives their nodes."""
    node = target(ctx, request)  # a node that has started
    row = ctx.model.rows[key]
    node_id = node.to_flyte_idl().id.node_id
    if row["kind"] == "dynamic":
        remote = require_remote(ctx, "fetch the generated workflow")
        data = remote.get_node_execution_data(node.to_flyte_idl().id)
        if not data.HasField("dynamic_workflow") or not data.dynamic_workflow.HasField("compiled_workflow"):
            raise RequestError(f"node {row['name'] or key!r} has not generated its workflow yet")
        groups = row.get("attempt_groups") or []
        attempt = max(groups) if groups else 0  # the node's stored workflow is its latest attempt's
        closure = data.dynamic_workflow.compiled_workflow
        inner = closure_graph(closure, parent_id=node_id, attempt=attempt, key_prefix=key + "/", terminals=False)
    elif row["kind"] == "launch_plan":
        children = list(getattr(node, "_workflow_executions", None) or [])
        if not children:
            raise RequestError(f"node {row['name'] or key!r} has not launched its execution yet")
        child = children[-1]
        if child.flyte_workflow is None:
            raise RequestError(f"no compiled workflow for the execution node {row['name'] or key!r} launched")
        prefix = f"{key}>{key_part(child.to_flyte_idl().id.name)}/"
        inner = closure_graph(child._flyte_workflow.closure.compiled_workflow, key_prefix=prefix, terminals=False)
    else:
        raise RequestError(f"node {row['name'] or key!r} is a {row['kind']} node: its graph is the workflow's")
    if row.get("terminal"):
        kept[key] = inner
    return inner
