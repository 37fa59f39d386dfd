"""Where an execution failed (the header's ``failed_at``): the deepest node its error names, else the earliest
failed node, followed down to its own earliest failed child.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping

from ..objects.phases import NodePhase, style
from .row_fields import _clip
from .row_schema import ErrorInfo, FailedAt, Row

_FAILED_AT_NODE = re.compile(r"failed at Node\[([^\]\s]+)\]")


def _failed(row: Row) -> bool:
    """A failed node row; not a subtask (its array row fails with it), not a retried parent's earlier attempt."""
    # a set lookup first: the model asks this of every row of a first paint
    return row["phase"] in _FAILED_NODE_PHASES and row["kind"] != "subtask" and not row["superseded"]


#: The names of the node phases that count as failed (``style(...).failed``).
_FAILED_NODE_PHASES = frozenset(p.name for p in NodePhase if style("node", p).failed)


def is_failed_row(row: Row) -> bool:
    """Whether :func:`failed_at` looks at this row (a failed node row): a row that is not, before and after a
    change, cannot move it."""
    return _failed(row)


def _end_time(row: Row) -> float:
    """When a row finished (start + duration), as a sort key; unknown last."""
    start = row["started_at"] or row["created_at"]
    if not start:
        return float("inf")
    try:
        t = _dt.datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("inf")
    return t + (row["duration_s"] or 0.0)


def _failure_rank(row: Row) -> tuple[bool, bool, float]:
    """Where a failure is "really" at: not a gate (a rejected approval), not an abort (a casualty), earliest."""
    return (row["kind"] == "gate", row["phase"] == NodePhase.ABORTED.name, _end_time(row))


def failed_at(error: ErrorInfo | None, rows: Mapping[str, Row]) -> FailedAt | None:
    """The node an execution failed at: the deepest node its error names (propeller writes "failed at
    Node[<id>]" for each level it bubbled through), else the earliest failed node (gates and aborted nodes last);
    from there down to its own earliest failed child, where the error really is. A gate (a rejected approval) only
    when nothing else failed: with FAIL_AFTER_EXECUTABLE_NODES_COMPLETE propeller names the last failure its
    traversal met (``executor.go``, handleDownstream), which may be a gate the user rejected after a task failed.
    None without a failed node."""
    order: dict[str, int] = {}  # tree order of the failed rows
    children: dict[str, list[Row]] = {}
    failed: list[Row] = []
    for i, r in enumerate(rows.values()):
        if _failed(r):
            order[r["key"]] = i
            failed.append(r)
            children.setdefault(r["parent"], []).append(r)
    if not failed:
        return None

    def rank(r: Row) -> tuple[bool, bool, float, int]:
        return (*_failure_rank(r), order[r["key"]])

    start: Row | None = None
    if error is not None:
        # Node ids are unique within one execution: a child launch plan's rows (keys with ">") have their own.
        by_id = {r["node_id"]: r for r in failed if ">" not in r["key"]}
        for node_id in reversed(_FAILED_AT_NODE.findall(error["message"])):
            start = by_id.get(_clip(node_id))  # as the rows hold them: cut to MAX_NAME_CHARS
            if start is not None:
                break
    tops = [r for r in failed if r["parent"] not in rows or not _failed(rows[r["parent"]])]
    if start is None or (start["kind"] == "gate" and any(r["kind"] != "gate" for r in tops)):
        # the earliest of the failures whose parent did not fail (a parent fails with its child)
        start = min(tops or failed, key=rank)
    seen = {start["key"]}
    while kids := [r for r in children.get(start["key"], []) if r["key"] not in seen]:
        start = min(kids, key=rank)
        seen.add(start["key"])
    return {"key": start["key"], "name": start["name"], "node_id": start["node_id"]}
