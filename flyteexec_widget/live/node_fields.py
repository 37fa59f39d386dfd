"""A node's row fields from its own messages: :func:`_own_fields` (what its NodeExecution and template info alone
decide: the first paint's hot path, each sub-message read once), :func:`_node_fields` (those completed by its task
attempts: logs, spans, error, subtask counts) and :func:`_planned_fields` (a planned node that has not started).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flyteidl.admin import node_execution_pb2, task_execution_pb2

from ..objects.phases import NOT_STARTED, NOT_STARTED_STYLE, PAUSED_STYLE, NodePhase, is_terminal, phase_name, style
from ..objects.protoview import MAX_DURATION_SECONDS
from ..objects.templates import PlannedNode, TemplateInfo, node_kind
from .row_fields import (
    _ISO_SECONDS,
    _MAX_NANOS,
    _MILLIS,
    _cache_text,
    _capped_logs,
    _clip,
    _error,
    _gate_info,
    _iso_or_invalid,
    _seconds,
    _ts,
)
from .row_schema import AttemptSpan, NodeFields, Subtasks, empty_fields
from .subtask_rows import _latest_subtasks


def _node_fields(
    proto: node_execution_pb2.NodeExecution,
    tasks: Sequence[task_execution_pb2.TaskExecution],
    info: TemplateInfo | None,
    own: dict[str, Any] | None = None,
) -> NodeFields:
    """A node's fields, from its NodeExecution, its task attempts and what the sync learnt from its template.

    ``own``: :func:`_own_fields` of this very ``proto`` and ``info``, when the caller kept them (a watch builds a
    node's row once from its listing and again when its attempts come: the node's own part is the same)."""
    if own is None:
        own = _own_fields(proto, info)
    if not tasks:
        # No attempt adds logs, spans, an error or subtasks: the node's own part is the whole (it holds the same
        # empty values) but for the attempts it cannot know (0: listed, none); a copy, as the caller may set
        # "attempts" and ``own`` stays kept on the wrapper.
        copy = own.copy()
        copy["attempts"] = 0
        return copy  # type: ignore[return-value]
    phase = int(proto.closure.phase)
    logs, logs_omitted = _capped_logs([(t.id.retry_attempt, t.closure.logs) for t in tasks])
    error = own["error"]
    if error is None and is_terminal("node", phase) and tasks and tasks[-1].closure.HasField("error"):
        error = _error(tasks[-1].closure.error, from_list=False)
    subtasks: Subtasks | None = None
    if proto.metadata.is_array and tasks:
        latest = _latest_subtasks(tasks)
        if latest:
            counts: dict[str, int] = {}
            for res in latest.values():
                name = phase_name("task", res.phase)
                counts[name] = counts.get(name, 0) + 1
            subtasks = {"total": len(latest), "counts": counts}
    fields: NodeFields = {
        **own,  # type: ignore[typeddict-item]
        "attempts": len(tasks),
        "attempt_spans": _attempt_spans(tasks) if len(tasks) > 1 else [],
        "logs": logs,
        "logs_omitted": logs_omitted,
        "error": error,
        "subtasks": subtasks,
    }
    return fields


def _own_fields(proto: node_execution_pb2.NodeExecution, info: TemplateInfo | None) -> dict[str, Any]:
    """The fields a node's NodeExecution and template info alone decide (its attempts are not read), in the row's
    field order; ``error`` is the node's own (None: none, an attempt's may stand in), ``attempts`` None (unknown
    from these: exactly what a row whose attempts are not listed yet says).

    Runs for every node of a first paint (10,000 at once), so each sub-message is read once and the common cases
    (a known phase, a time whose second was seen before) are table lookups."""
    closure = proto.closure
    if info is None:
        meta = proto.metadata
        info = TemplateInfo(node_kind(proto), meta.spec_node_id or proto.id.node_id)
    phase = closure.phase  # (an int: protobuf gives enum fields as ints)
    look = _NODE_LOOK.get(phase)
    if look is None or (phase == NodePhase.RUNNING and info.kind == "gate"):
        st = PAUSED_STYLE if info.kind == "gate" and phase == NodePhase.RUNNING else style("node", phase)
        look = (phase_name("node", phase), st.label, st.color, st.terminal)
    has = closure.HasField
    # A node's error comes from ListNodeExecutions, which FlyteAdmin trims to 100 bytes: a message that long is
    # flagged, and the view fetches the whole one (GetNodeExecution) when asked; the sync fetches it for the first
    # failures itself (sync.FULL_ERRORS): those arrive whole, longer than the cut. An attempt's error comes from
    # ListTaskExecutions, which returns it whole (flyteadmin's task_execution_manager.go): never flagged.
    error = _error(closure.error, from_list=True) if has("error") else None
    invalid: list[str] = []
    # Each time's seconds and nanos are read once (for its text and the queued time); a second seen before is a
    # valid one, so its text is a lookup (_iso() when not: it validates, and caches the second).
    created_at = started_at = queued_s = duration_s = None
    cs = cn = 0
    if has("created_at"):
        created = closure.created_at
        cs, cn = created.seconds, created.nanos
        prefix = _ISO_SECONDS.get(cs)
        if prefix is not None and 0 <= cn <= _MAX_NANOS:
            created_at = prefix + _MILLIS[cn // 1_000_000]
        else:
            created_at = _iso_or_invalid(created, "created_at", invalid)
    if has("started_at"):
        started = closure.started_at
        ss, sn = started.seconds, started.nanos
        prefix = _ISO_SECONDS.get(ss)
        if prefix is not None and 0 <= sn <= _MAX_NANOS:
            started_at = prefix + _MILLIS[sn // 1_000_000]
        else:
            started_at = _iso_or_invalid(started, "started_at", invalid)
        if created_at is not None and started_at is not None:  # as _queued_s(), never negative
            queued_s = max(0.0, float(ss - cs) + float(sn - cn) / 1e9)
    if has("duration"):  # as _seconds(): the range to_timedelta() accepts; the float keeps the nanoseconds
        d = closure.duration
        ds, dn = d.seconds, d.nanos
        if abs(ds) <= MAX_DURATION_SECONDS and abs(dn) <= _MAX_NANOS:
            duration_s = float(ds) + float(dn) / 1e9
        else:
            invalid.append("duration_s")
    return {
        "node_id": _clip(proto.id.node_id),
        "name": _clip(info.name),
        "kind": info.kind,
        "phase": look[0],
        "label": look[1],
        "color": look[2],
        "terminal": look[3],
        "created_at": created_at,
        "started_at": started_at,
        "duration_s": duration_s,
        "queued_s": queued_s,
        "invalid_times": invalid,
        "attempts": None,
        "attempt_spans": [],
        "cache": _cache_text(closure.task_node_metadata.cache_status) if has("task_node_metadata") else "",
        "logs": [],
        "logs_omitted": 0,
        "error": error,
        "subtasks": None,
        "gate": _gate_info(info.gate) if info.gate is not None and phase == NodePhase.RUNNING else None,
        "deck": bool(closure.deck_uri),
    }


#: (phase name, label, colour, terminal) of each known node phase: one lookup per row instead of two.
_NODE_LOOK: dict[int, tuple[str, str, str, bool]] = {
    int(p): (p.name, style("node", p).label, style("node", p).color, style("node", p).terminal) for p in NodePhase
}


def _attempt_spans(tasks: Sequence[task_execution_pb2.TaskExecution]) -> list[AttemptSpan]:
    """Each task attempt's phase, start and duration (what the timeline draws); a time out of range is left None."""
    spans: list[AttemptSpan] = []
    for t in tasks:
        c = t.closure
        bad: list[str] = []
        start = _ts(c, "started_at", bad) or _ts(c, "created_at", bad)
        done = is_terminal("task", int(c.phase))
        spans.append(
            {
                "phase": phase_name("task", c.phase),
                "started_at": start,
                "duration_s": _seconds(c, "duration", bad, "duration_s") if done else None,
            }
        )
    return spans


def _planned_fields(planned: PlannedNode, node_id: str) -> NodeFields:
    """A planned node that has not started: its name and kind from the template, phase NOT_STARTED."""
    st = NOT_STARTED_STYLE
    return {
        **empty_fields(),
        "node_id": _clip(node_id),
        "name": _clip(planned.info.name),
        "kind": planned.info.kind,
        "phase": NOT_STARTED,
        "label": st.label,
        "color": st.color,
        "terminal": st.terminal,
    }
