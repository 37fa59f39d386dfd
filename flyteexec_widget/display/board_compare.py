"""Two executions of a board side by side (``Board.compare`` and the view's ``compare`` request).

Inputs and outputs come from the board's cache, else one ``GetExecutionData`` each; the top-level nodes and their
durations from one ``ListNodeExecutions`` each, named by the workflow's tasks (one ``GetWorkflow``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..live.board import BoardSync, _cells
from ..objects.phases import phase_name

__all__ = ["compare"]


def compare(remote: Any, sync: BoardSync, rows: Mapping[str, Mapping[str, Any]], a: str, b: str) -> dict[str, Any]:
    """Inputs, outputs and top-level node durations of the board's executions ``a`` and ``b`` (row keys): each
    entry with both sides and whether they differ; each node with both durations and ``delta_s`` (b - a)."""
    ea, eb = sync.entry(a), sync.entry(b)
    # both sides at once, on the client's pool (each is a few RPCs)
    fa, fb = remote.executor.submit(_side, remote, ea), remote.executor.submit(_side, remote, eb)
    sa, sb = fa.result(), fb.result()
    nodes = []
    for node_id in dict.fromkeys([*sa["nodes"], *sb["nodes"]]):
        na, nb = sa["nodes"].get(node_id), sb["nodes"].get(node_id)
        da, db = (na or {}).get("duration_s"), (nb or {}).get("duration_s")
        nodes.append(
            {
                "node_id": node_id,
                "name": (na or nb or {}).get("name") or node_id,
                "a": na,
                "b": nb,
                "delta_s": None if da is None or db is None else db - da,
            }
        )
    return {
        "a": _head(rows, a),
        "b": _head(rows, b),
        "inputs": _pairs(sa["inputs"], sb["inputs"]),
        "outputs": _pairs(sa["outputs"], sb["outputs"]),
        "nodes": nodes,
    }


def _head(rows: Mapping[str, Mapping[str, Any]], key: str) -> dict[str, Any]:
    row = rows[key]
    return {"key": key, "name": row["name"], "phase": row["phase"], "label": row["label"], "color": row["color"]}


def _pairs(x: Mapping[str, Any], y: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each name of either side, in order, with both cells and whether their texts differ."""
    out = []
    for n in dict.fromkeys([*x, *y]):
        cx, cy = x.get(n), y.get(n)
        out.append({"name": n, "a": cx, "b": cy, "differs": (cx or {}).get("text") != (cy or {}).get("text")})
    return out


def _side(remote: Any, e: Any) -> dict[str, Any]:
    """One execution's side of a comparison: inputs and outputs (cached by the board, else fetched) and the
    top-level nodes (one listing)."""
    inputs, outputs = e.inputs, e.outputs
    if inputs is None or outputs is None:
        resp = remote.get_execution_data(e.execution.to_flyte_idl().id)
        inputs = _cells(resp.full_inputs, resp.inputs)
        outputs = _cells(resp.full_outputs, resp.outputs)
    nodes: dict[str, Any] = {}
    for n in remote.list_node_executions(e.execution.to_flyte_idl().id):
        node_id = n.id.node_id
        if node_id in ("start-node", "end-node"):
            continue
        c = n.closure
        nodes[node_id] = {
            "name": node_id,
            "phase": phase_name("node", c.phase),
            "duration_s": c.duration.ToTimedelta().total_seconds() if c.HasField("duration") else None,
        }
    names = _node_names(remote, e)
    for node_id, info in nodes.items():
        info["name"] = names.get(node_id, node_id)
    return {"inputs": inputs or {}, "outputs": outputs or {}, "nodes": nodes}


def _node_names(remote: Any, e: Any) -> dict[str, str]:
    """Node id -> the task's short name, from the workflow (one ``GetWorkflow``; empty when it cannot be read)."""
    wf = e.execution.to_flyte_idl().closure.workflow_id
    if not wf.name:
        return {}
    try:
        closure = remote.get_workflow(wf).closure.compiled_workflow
    except Exception:
        return {}
    tasks = {t.template.id.name: t.template.id.name.rsplit(".", 1)[-1] for t in closure.tasks}
    out = {}
    for n in closure.primary.template.nodes:
        if n.HasField("task_node"):
            out[n.id] = tasks.get(n.task_node.reference_id.name, n.id)
        elif n.metadata.name:
            out[n.id] = n.metadata.name.rsplit(".", 1)[-1]
    return out
