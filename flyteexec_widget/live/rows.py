"""Rows: the plain-JSON schema of what a view shows, and the one place that turns execution wrappers into it.

A synced wrapper tree (:mod:`~flyteexec_widget.live.sync` fills it) becomes one flat list of :class:`Row` s, one per
node (array subtasks included), in tree order, plus the execution's :class:`Header`. Nodes the compiled workflow
plans that have not started yet (``_fx_planned``, set by the sync) get rows too, phase ``NOT_STARTED``, after the
started ones of their scope in graph order. The schema is defined once, as ``TypedDict`` s, in
:mod:`~flyteexec_widget.live.row_schema` and imported from here; :mod:`~flyteexec_widget.live.model` publishes these
rows, the view (``display/static/widget.js``) and the text/HTML renderings (``display/render.py``) read them. Adding
a field means adding it there (its type, its value in :func:`empty_fields`), in
:mod:`~flyteexec_widget.live.node_fields` (its value) and showing it in the views.

This module keeps :class:`RowBuilder` (the walk of the wrapper tree, with its caches and fast paths), the header and
the entry points; the parts it builds from live beside it: :mod:`~flyteexec_widget.live.row_fields` (pure value
helpers: times, seconds, caps, keys, errors, logs), :mod:`~flyteexec_widget.live.node_fields` (a node's fields),
:mod:`~flyteexec_widget.live.subtask_rows` (array subtasks) and :mod:`~flyteexec_widget.live.row_failure` (where an
execution failed).

Row keys are unique and stable: ``"<node id>"`` at the top level, ``"<parent key>/<child id>"`` below,
``"<node key>[<index>]"`` for array subtasks, ``"<node key>><child execution name>/..."`` inside a child launch
plan; an id longer than :data:`MAX_NAME_CHARS` is cut there, with a hash of the whole. No protobuf object reaches a
row; server text is kept as sent (the view escapes it), ids and names cut to :data:`MAX_NAME_CHARS`, and every link
is checked by :func:`safe_url` first.

One bad value must not poison the view: an enum value this flyteidl does not know reads ``"unknown (N)"``, a time
Python cannot hold leaves its field ``None`` and is named in the row's ``invalid_times`` (shown as "invalid time"),
and a node whose row cannot be built at all gets a row saying so; the other rows are unaffected. A row carries at
most :data:`MAX_LOGS_PER_ATTEMPT` log links per attempt (:data:`MAX_LOGS_PER_ROW` in all; ``logs_omitted`` counts
the rest, :func:`all_logs` lists them) and :data:`MAX_ERROR_BYTES` of error text (``error.capped``; the view asks
for the rest).

A retried parent (a dynamic node whose generated workflow timed out) has children of each attempt (``n1-0-dn0``,
``n1-1-dn0``): every row says which parent attempt it belongs to (``retry_group``), the parent lists its attempts
(``attempt_groups``, when there are several), and rows of an earlier attempt, with everything below them, are
``superseded``: a view shows the latest attempt by default and the earlier ones behind a switch, and the counts
leave superseded rows out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import task_execution_pb2

from ..admin.refs import safe_url
from ..objects.executions import FlyteNodeExecution, FlyteWorkflowExecution
from ..objects.phases import phase_name, style
from ..objects.templates import PlannedNode, child_node_id
from .node_fields import _node_fields, _own_fields, _planned_fields
from .row_failure import failed_at, is_failed_row
from .row_fields import _clip, _error, _key_part, _logs, _seconds, _ts, cap_text, signal_id_of
from .row_schema import (
    DERIVED_FIELDS,
    HEADER_FIELDS,
    INVALID_TIME,
    MAX_ERROR_BYTES,
    MAX_LOGS_PER_ATTEMPT,
    MAX_LOGS_PER_ROW,
    MAX_NAME_CHARS,
    ROW_FIELDS,
    AttemptSpan,
    ChildLink,
    ErrorInfo,
    FailedAt,
    GateInfo,
    Header,
    LogLink,
    NodeFields,
    Row,
    Subtasks,
    _row,
    empty_fields,
    empty_row,
    row_defaults,
    row_style,
)
from .subtask_rows import _subtask_fields, _subtask_retries, subtask_resources, subtask_spans

__all__ = [
    "DERIVED_FIELDS",
    "HEADER_FIELDS",
    "INVALID_TIME",
    "MAX_ERROR_BYTES",
    "MAX_LOGS_PER_ATTEMPT",
    "MAX_LOGS_PER_ROW",
    "ROW_FIELDS",
    "AttemptSpan",
    "ChildLink",
    "ErrorInfo",
    "FailedAt",
    "GateInfo",
    "Header",
    "LogLink",
    "NodeFields",
    "Row",
    "RowBuilder",
    "Subtasks",
    "all_logs",
    "cap_text",
    "empty_fields",
    "empty_row",
    "failed_at",
    "header_of",
    "is_failed_row",
    "row_defaults",
    "row_style",
    "safe_url",
    "signal_id_of",
    "subtask_resources",
    "subtask_spans",
]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------------------------------


def _execution_url(execution: FlyteWorkflowExecution) -> str | None:
    try:
        url = execution.execution_url
    except Exception:  # a wrapper without a remote, or a remote without a console endpoint
        return None
    return safe_url(url)


def header_of(execution: FlyteWorkflowExecution, rows: Mapping[str, Row] | None = None) -> Header:
    """The execution's header; ``rows`` (its current rows) say where it failed."""
    proto: admin_execution_pb2.Execution = execution.to_flyte_idl()
    closure = proto.closure
    phase = int(closure.phase)
    st = style("workflow", phase)
    error: ErrorInfo | None = None
    if closure.HasField("error"):
        error = _error(closure.error, from_list=False)
    elif closure.HasField("abort_metadata") or closure.abort_cause:
        cause, capped = cap_text(closure.abort_metadata.cause or closure.abort_cause)
        error = {"kind": "ABORTED", "code": "", "message": cause, "trimmed": False, "capped": capped}
    invalid: list[str] = []
    return {
        "project": _clip(proto.id.project),
        "domain": _clip(proto.id.domain),
        "name": _clip(proto.id.name),
        "workflow": _clip(closure.workflow_id.name or proto.spec.launch_plan.name),
        "phase": phase_name("workflow", phase),
        "label": st.label,
        "color": st.color,
        "terminal": st.terminal,
        "created_at": _ts(closure, "created_at", invalid),
        "started_at": _ts(closure, "started_at", invalid),
        "duration_s": _seconds(closure, "duration", invalid, "duration_s"),
        "invalid_times": invalid,
        "error": error,
        "url": _execution_url(execution),
        "failed_at": failed_at(error, rows) if rows else None,
    }


# --------------------------------------------------------------------------------------------------------------
# A wrapper tree -> rows
# --------------------------------------------------------------------------------------------------------------

_T = TypeVar("_T")


class RowBuilder:
    """Turns a synced wrapper tree into rows, reusing a node's fields while its wrapper's ``_fx_version`` stays.

    The sync bumps ``_fx_version`` whenever a node, its attempts or its template info change, so an unchanged node
    costs a dictionary lookup, not a rebuild. A wrapper no sync has versioned (``_fx_version`` 0) is always rebuilt.
    Not thread-safe: the model calls it under its lock.
    """

    def __init__(self) -> None:
        # key -> (id of the wrapper, its _fx_version, what was built): only entries used by the last build are kept.
        self._cache: dict[str, tuple[int, int, Any]] = {}
        self._next: dict[str, tuple[int, int, Any]] = {}
        # id(planned node) -> (it, its fields): planned nodes live as long as the sync that made them.
        self._planned_cache: dict[int, tuple[PlannedNode, NodeFields]] = {}
        # The rows of the last build (the model holds them anyway): a node whose fields and place did not change
        # gets its previous row object back, so a steady refresh of a big tree neither builds nor compares (the
        # model skips identical rows) ~30-key dicts for every unchanged node.
        self._last: dict[str, Row] = {}

    def build(self, execution: FlyteWorkflowExecution) -> tuple[dict[str, Row], dict[str, FlyteNodeExecution]]:
        """Rows (key -> row, in tree order) and the wrapper behind each (an array subtask row: its array node's)."""
        rows: dict[str, Row] = {}
        nodes: dict[str, FlyteNodeExecution] = {}
        self._next = {}
        self._walk(rows, nodes, execution._node_executions or {}, "", "", 0, execution._fx_planned)
        self._cache, self._next = self._next, {}
        self._last = rows
        return rows, nodes

    def _cached(self, key: str, w: FlyteNodeExecution, build: Callable[[], _T]) -> _T:
        version = w._fx_version
        hit = self._cache.get(key)
        if version and hit is not None and hit[0] == id(w) and hit[1] == version:
            self._next[key] = hit
            value: _T = hit[2]
            return value
        value = build()
        if version:
            self._next[key] = (id(w), version, value)
        return value

    def _walk(
        self,
        rows: dict[str, Row],
        nodes: dict[str, FlyteNodeExecution],
        children: Mapping[str, FlyteNodeExecution],
        parent: str,
        prefix: str,
        depth: int,
        planned: Sequence[PlannedNode] | None = None,
        latest: int | None = None,
        superseded: bool = False,
        parent_id: str = "",
    ) -> None:
        """Rows of ``children`` and below, then of the scope's ``planned`` nodes that have not started; ``latest``:
        the parent's latest attempt, ``superseded``: the parent's, ``parent_id``: its node id ("" for the top level
        of an execution)."""
        started: set[str] = set()  # spec ids of this scope's nodes that have a node execution in its latest attempt
        for node_id, w in children.items():
            group = _retry_group(w) if parent else None
            if planned and (latest is None or group is None or group == latest):
                started.add(w.to_flyte_idl().metadata.spec_node_id or node_id)
            info = w._template_info
            key = prefix + (node_id if len(node_id) <= MAX_NAME_CHARS else _key_part(node_id))
            if info is not None and info.kind == "subtask" and info.index is not None and parent:
                # by index; a second node claiming the same index (bad data) keeps its id key instead of a clash
                key = f"{parent}[{info.index}]" if f"{parent}[{info.index}]" not in rows else key
            before = self._cache.get(key)
            prev = self._last.get(key)
            version = w._fx_version
            row_superseded = superseded or (latest is not None and group is not None and group < latest)
            if (
                prev is not None
                and before is not None
                and version
                and before[0] == id(w)
                and before[1] == version
                and not (w._subworkflow_node_executions or w._workflow_executions or w._fx_planned)
                and prev["kind"] != "array"
                and prev["parent"] == parent
                and prev["depth"] == depth
                and prev["child"] is None
                and not prev["has_children"]
                and not prev["attempt_groups"]
                and prev["retry_group"] == group
                and prev["superseded"] == row_superseded
            ):
                # An unchanged leaf in its old place (most rows of a steady refresh): its previous row, as the
                # general path below would conclude at several times the cost.
                self._next[key] = before
                rows[key] = prev
                nodes[key] = w
                continue
            # _cached(), inlined: this runs for every node of every build (a first paint: 10,000 at once)
            if version and before is not None and before[0] == id(w) and before[1] == version:
                fields = before[2]
                self._next[key] = before
            else:
                fields = _fields_of(w)
                if version:
                    self._next[key] = (id(w), version, fields)
            subs = w._subworkflow_node_executions or {}
            child_execs = w._workflow_executions  # read only
            subtask_fields: Sequence[tuple[int, NodeFields]] = ()
            if fields["kind"] == "array" and not subs:
                subtask_fields = self._cached(key + "[]", w, partial(_subtask_fields_of, w, fields["name"]))
            child: ChildLink | None = None
            has_children = bool(subs or subtask_fields or w._fx_planned)
            if child_execs:
                ce = child_execs[-1]
                child = {"name": _clip(ce.to_flyte_idl().id.name), "url": _execution_url(ce)}
                has_children = has_children or any(ce._node_executions or ce._fx_planned for ce in child_execs)
            groups, sub_latest = _attempt_groups(w, subs) if subs else _NO_GROUPS
            if (
                prev is not None
                and before is not None
                and before[2] is fields  # the very fields the last build made this row from
                and prev["parent"] == parent
                and prev["depth"] == depth
                and prev["child"] == child
                and prev["has_children"] == has_children
                and prev["retry_group"] == group
                and prev["attempt_groups"] == list(groups)
                and prev["superseded"] == row_superseded
            ):
                rows[key] = prev
            else:
                # _row(), inlined (as above)
                rows[key] = {  # type: ignore[typeddict-item]
                    "key": key,
                    "parent": parent,
                    "depth": depth,
                    **fields,
                    "child": child,
                    "has_children": has_children,
                    "retry_group": group,
                    "attempt_groups": list(groups),
                    "superseded": row_superseded,
                }
            nodes[key] = w
            for index, sub_fields in subtask_fields:
                skey = f"{key}[{index}]"
                rows[skey] = _row(skey, key, depth + 1, sub_fields, None, False, (None, (), row_superseded))
                nodes[skey] = w
            if subs or w._fx_planned:  # a leaf (most nodes of a wide tree) has nothing below: no call for it
                self._walk(
                    rows, nodes, subs, key, key + "/", depth + 1, w._fx_planned, sub_latest, row_superseded, node_id
                )
            for ce in child_execs:
                inner = f"{key}>{_key_part(ce.to_flyte_idl().id.name)}/"
                self._walk(
                    rows, nodes, ce._node_executions or {}, key, inner, depth + 1, ce._fx_planned, None, row_superseded
                )
        if planned:
            # Below a node, a planned row belongs to the attempt shown by default (its latest), as its started
            # siblings do; its id is the one that attempt will give it (planned ids assume attempt 0).
            attempt = latest or 0
            group = attempt if parent_id else None
            rename = (parent_id, attempt) if parent_id and attempt else None
            self._walk_planned(rows, planned, started, parent, prefix, depth, group, superseded, rename)

    def _walk_planned(
        self,
        rows: dict[str, Row],
        planned: Sequence[PlannedNode],
        started: set[str],
        parent: str,
        prefix: str,
        depth: int,
        group: int | None,
        superseded: bool,
        rename: tuple[str, int] | None = None,
    ) -> None:
        """Rows for the planned nodes of one scope that have not started (and, below a planned subworkflow, for
        its planned nodes), in the graph order they come in; ``rename``: (parent id, attempt) when the ids differ
        from the planned ones."""
        for p in planned:
            if p.spec_id in started:
                continue
            node_id = child_node_id(rename[0], rename[1], p.spec_id) if rename else p.node_id
            key = prefix + _key_part(node_id)
            if key in rows:
                continue
            if node_id == p.node_id:
                hit = self._planned_cache.get(id(p))
                if hit is None or hit[0] is not p:
                    hit = self._planned_cache[id(p)] = (p, _planned_fields(p, node_id))
                fields = hit[1]
            else:
                fields = _planned_fields(p, node_id)
            rows[key] = _row(key, parent, depth, fields, None, bool(p.children), (group, (), superseded))
            below = (node_id, 0) if node_id != p.node_id else None
            self._walk_planned(rows, p.children, set(), key, key + "/", depth + 1, 0, superseded, below)


#: :func:`_attempt_groups` of a node without children (most nodes)
_NO_GROUPS: tuple[tuple[int, ...], int | None] = ((), None)


def _retry_group(w: FlyteNodeExecution) -> int | None:
    """The parent attempt a child node belongs to (``metadata.retry_group``, "0", "1"...); None if not a number."""
    text = w.to_flyte_idl().metadata.retry_group
    return int(text) if text.isdigit() else None


def _attempt_groups(
    w: FlyteNodeExecution, subs: Mapping[str, FlyteNodeExecution]
) -> tuple[tuple[int, ...], int | None]:
    """A parent's attempts that a view can switch between (empty unless several), and its latest attempt (None: no
    children in groups). The latest is the newest child group or, once a retry runs before its children exist, the
    parent's own newest task attempt (a dynamic node's attempts are its task's)."""
    if not subs:
        return (), None
    groups = {g for g in (_retry_group(c) for c in subs.values()) if g is not None}
    if not groups:
        return (), None
    own = len(w._task_executions or []) - 1
    latest = max(max(groups), own)
    groups.add(latest)
    return (tuple(sorted(groups)) if len(groups) > 1 else ()), latest


def _tasks(w: FlyteNodeExecution) -> list[task_execution_pb2.TaskExecution]:
    return [t.to_flyte_idl() for t in (w._task_executions or [])]


def _fields_of(w: FlyteNodeExecution) -> NodeFields:
    try:
        proto, info = w.to_flyte_idl(), w._template_info
        # The node's own part, kept on the wrapper for this message and template info: a watch's first paint built
        # it, and the row its attempts complete reuses it (the complete tree pays for one build of it, not two).
        # Kept for one version; the sync carries it to the next when only the attempts changed (its _bump_attempts).
        # Kept only while the attempts are pending: once they are listed, the complete row is built and cached by
        # the RowBuilder, and a dict per node held for the tree's life was ~10% of its memory.
        version = w._fx_version
        kept = w._fx_own_fields
        if version and kept is not None and kept[2] == version and kept[0] is proto and kept[1] is info:
            own = kept[3]
        else:
            own = _own_fields(proto, info)
        if version and w._fx_attempts_pending:
            if kept is None or kept[3] is not own:
                w._fx_own_fields = (proto, info, version, own)
        elif kept is not None:
            w._fx_own_fields = None
        if w._fx_attempts_pending:
            if not w._task_executions:
                # A first paint's row: the node's own part is the whole, attempts unknown (None) as it says. Not
                # copied: neither the row builder nor the node's later rows change it (they copy or spread it).
                first: NodeFields = own
                return first
            fields = _node_fields(proto, _tasks(w), info, own)
            fields["attempts"] = None  # unknown yet, not 0
            return fields
        return _node_fields(proto, _tasks(w) if w._task_executions else (), info, own)
    except Exception as e:  # one node the builder cannot read must not take every other row with it
        log.warning("the row of %s could not be built; it shows the error instead", w._subject, exc_info=True)
        return _unreadable(w, e)


def _subtask_fields_of(w: FlyteNodeExecution, name: str) -> list[tuple[int, NodeFields]]:
    try:
        return _subtask_fields(w.to_flyte_idl(), _tasks(w), name, w._fx_subtask_times)
    except Exception:  # the array node's own row still shows; its subtasks are left out, and logged
        log.warning("the subtask rows of %s could not be built", w._subject, exc_info=True)
        return []


def _unreadable(w: FlyteNodeExecution, exc: Exception) -> NodeFields:
    """The row of a node whose fields could not be built: its id, phase and what went wrong."""
    proto = w.to_flyte_idl()
    phase = int(proto.closure.phase)
    st = style("node", phase)
    message, capped = cap_text(f"flyteexec-widget could not read this node: {type(exc).__name__}: {exc}")
    return {
        **empty_fields(),
        "node_id": _clip(proto.id.node_id),
        "name": _clip(w._template_info.name if w._template_info is not None else proto.id.node_id),
        "kind": w._template_info.kind if w._template_info is not None else "task",
        "phase": phase_name("node", phase),
        "label": st.label,
        "color": st.color,
        "terminal": st.terminal,
        "error": {"kind": "", "code": "", "message": message, "trimmed": False, "capped": capped},
    }


def all_logs(row: Mapping[str, Any], w: FlyteNodeExecution) -> list[LogLink]:
    """Every http(s) log link of ``row`` (whose wrapper is ``w``), uncapped: what the view shows when the row says
    ``logs_omitted``. For an array subtask row (event version 0) those of every retry of its index."""
    tasks = _tasks(w)
    info = w._template_info
    if row.get("kind") == "subtask" and not (info is not None and info.kind == "subtask"):
        key = str(row.get("key", ""))
        index = key[key.rfind("[") + 1 : -1] if key.endswith("]") else ""
        retries = _subtask_retries(tasks).get(int(index), []) if index.isdigit() else []
        return [link for retry, logs in retries for link in _logs(logs, retry)]
    return [link for t in tasks for link in _logs(t.closure.logs, t.id.retry_attempt)]
