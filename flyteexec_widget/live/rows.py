"""Rows: the plain-JSON schema of what a view shows, and the one place that turns execution wrappers into it.

A synced wrapper tree (:mod:`~flyteexec_widget.live.sync` fills it) becomes one flat list of :class:`Row` s, one per
node (array subtasks included), in tree order, plus the execution's :class:`Header`. Nodes the compiled workflow
plans that have not started yet (``_fx_planned``, set by the sync) get rows too, phase ``NOT_STARTED``, after the
started ones of their scope in graph order. The schema is defined here
once, as ``TypedDict`` s; :mod:`~flyteexec_widget.live.model` publishes these rows, the view
(``display/static/widget.js``) and the text/HTML renderings (``display/render.py``) read them. Adding a field means
adding it here (its type, its value in :func:`_node_fields` / :func:`empty_fields`) and showing it there.

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

import datetime as _dt
import functools
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypedDict, TypeVar

from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from google.protobuf import timestamp_pb2

from ..admin.refs import safe_url
from ..objects.executions import FlyteNodeExecution, FlyteWorkflowExecution
from ..objects.literals import describe_type
from ..objects.phases import (
    NOT_STARTED,
    NOT_STARTED_STYLE,
    PAUSED_STYLE,
    CacheStatus,
    NodePhase,
    PhaseStyle,
    TaskPhase,
    cache_label,
    error_kind_name,
    is_terminal,
    phase_name,
    style,
)
from ..objects.protoview import MAX_DURATION_SECONDS, InvalidTimeError, is_valid_duration, to_datetime
from ..objects.templates import PlannedNode, TemplateInfo, child_node_id, node_kind

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

#: Log links one row carries per attempt, and in all (the latest attempts first); the rest on request.
MAX_LOGS_PER_ATTEMPT = 50
MAX_LOGS_PER_ROW = 200
#: Error text one row (or the header) carries, in UTF-8 bytes; "show all" in the view fetches the rest.
MAX_ERROR_BYTES = 64 * 1024
#: A log link's name is cut to this many characters, an error code too; a longer URL is left out of the row.
MAX_LOG_NAME_CHARS = 200
MAX_ERROR_CODE_CHARS = 256
MAX_URL_CHARS = 8192
#: A node id, a node's name, a gate's signal id, a subtask's external id and the header's names are cut to this
#: many characters in a row (a hostile server's 1 MB id must not go whole into widget state and the saved HTML);
#: a row key part too, with a hash that keeps it unique (:func:`_key_part`).
MAX_NAME_CHARS = 256
#: What the views show for a field named in ``invalid_times``.
INVALID_TIME = "invalid time"

# --------------------------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------------------------


class LogLink(TypedDict):
    """A task log link (http(s) only: any other link is dropped)."""

    name: str
    uri: str
    attempt: int  # the retry attempt it belongs to


class ErrorInfo(TypedDict):
    """An execution error. ``trimmed``: the message came from a list response, which FlyteAdmin cuts to 100 bytes
    (the view then fetches the whole one). ``capped``: the message was longer than :data:`MAX_ERROR_BYTES` and
    was cut here (the view's "show all" fetches it whole)."""

    kind: str  # ExecutionError.ErrorKind name ("USER", "SYSTEM", "UNKNOWN", "unknown (N)"), "ABORTED" in a header
    code: str
    message: str
    trimmed: bool
    capped: bool


class AttemptSpan(TypedDict):
    """One attempt of a retried node (or a retried array subtask) as the timeline draws it; the rest of what an
    attempt says (reason, error, logs) is fetched when its row's detail opens (the widget's "attempts" request)."""

    phase: str  # the task phase's name ("FAILED")
    started_at: str | None  # ISO-8601 UTC: when it started running, else when it was created (queued)
    duration_s: float | None  # None while it runs


class Subtasks(TypedDict):
    """An array node's progress: the latest retry of each subtask index, counted per phase name."""

    total: int
    counts: dict[str, int]


class GateInfo(TypedDict):
    """What a running gate waits for; ``type`` is the signal's type (``bool`` for approve, ``""`` for sleep)."""

    kind: str  # "approve" | "signal" | "sleep"
    signal_id: str
    type: str


class ChildLink(TypedDict):
    """The child execution a launch-plan node started."""

    name: str
    url: str | None


class RowPlace(TypedDict):
    """Where a row sits in the tree."""

    key: str
    parent: str  # the parent row's key, "" at the top level
    depth: int  # 0 at the top level


class NodeFields(TypedDict):
    """What a node's own messages say (cached per wrapper ``_fx_version``)."""

    node_id: str  # FlyteAdmin's unique node id
    name: str  # display name: task or workflow short name, else the spec node id
    kind: str  # a templates.NodeKind, or "unknown (N)" for a node type this flyteidl does not know
    phase: str  # the phase enum's name ("RUNNING"); label, color, terminal from phases.style
    label: str  # a RUNNING gate is "Paused"
    color: str
    terminal: bool
    created_at: str | None  # ISO-8601 UTC
    started_at: str | None
    duration_s: float | None
    queued_s: float | None
    invalid_times: list[str]  # the time fields above the server sent out of range (they are None): "invalid time"
    attempts: int | None  # None: not listed yet (a watch shows rows before their attempts; logs then wait too)
    attempt_spans: list[AttemptSpan]  # each attempt, only when there are several ([] otherwise: the row's times say it)
    cache: str  # "hit" | "miss" | "populated" | "put failure" | ... | "unknown (N)" | "" (disabled)
    logs: list[LogLink]  # at most MAX_LOGS_PER_ATTEMPT per attempt, MAX_LOGS_PER_ROW in all
    logs_omitted: int  # log links left out of ``logs`` (all_logs / the view's "logs" request has them)
    error: ErrorInfo | None
    subtasks: Subtasks | None
    gate: GateInfo | None  # while the gate waits, else None
    deck: bool


class Row(RowPlace, NodeFields):
    """One row of the node table, exactly as a view receives it."""

    child: ChildLink | None
    has_children: bool
    retry_group: int | None  # the parent's attempt this row belongs to (0, 1, ...); None at the top level
    attempt_groups: list[int]  # a retried parent: its attempts, ascending (the latest last); [] when only one
    superseded: bool  # in (or below) an earlier attempt of a retried parent: hidden by default, not counted


class FailedAt(TypedDict):
    """The node an execution failed at: the one its error names, else the earliest failed node."""

    key: str  # its row key
    name: str
    node_id: str


class Header(TypedDict):
    """The execution itself (the model's ``header`` trait)."""

    project: str
    domain: str
    name: str
    workflow: str  # the workflow's (or single task's) name
    phase: str
    label: str
    color: str
    terminal: bool
    created_at: str | None
    started_at: str | None
    duration_s: float | None
    invalid_times: list[str]  # as in a row
    error: ErrorInfo | None  # an abort shows as kind "ABORTED" with its cause
    url: str | None  # the console URL, http(s) only
    failed_at: FailedAt | None  # where it failed (see failed_at()); also set for a failed node while it runs


#: Every row field, in the order a view receives them.
ROW_FIELDS: tuple[str, ...] = tuple(Row.__annotations__)
#: Every header field.
HEADER_FIELDS: tuple[str, ...] = tuple(Header.__annotations__)


def empty_fields() -> NodeFields:
    """Node fields with nothing to say: each at its empty value (an array subtask starts from these)."""
    st = style("node", NodePhase.UNDEFINED)
    return {
        "node_id": "",
        "name": "",
        "kind": "task",
        "phase": NodePhase.UNDEFINED.name,
        "label": st.label,
        "color": st.color,
        "terminal": st.terminal,
        "created_at": None,
        "started_at": None,
        "duration_s": None,
        "queued_s": None,
        "invalid_times": [],
        "attempts": 0,
        "attempt_spans": [],
        "cache": "",
        "logs": [],
        "logs_omitted": 0,
        "error": None,
        "subtasks": None,
        "gate": None,
        "deck": False,
    }


#: Row fields a view derives from the row's ``kind`` and ``phase`` and the phase table it already has (the
#: widget's ``styles`` trait), by :func:`row_style`: the widget sends them only where they differ from that.
DERIVED_FIELDS: tuple[str, ...] = ("label", "color", "terminal")


@functools.lru_cache(maxsize=256)
def row_style(kind: str, phase: str) -> PhaseStyle:
    """The style a row of ``kind`` in phase (name) ``phase`` gets: a subtask's from the task phases, a RUNNING
    gate's "Paused", a not-started node's "Not started", other nodes' from the node phases; a name the table
    lacks (``"unknown (N)"``) is labelled with itself, neutral (as :func:`~..objects.phases.style` does).
    widget.js ``rowStyle`` is the same rule over the ``styles`` trait."""
    if phase == NOT_STARTED:
        return NOT_STARTED_STYLE
    if kind == "gate" and phase == NodePhase.RUNNING.name:
        return PAUSED_STYLE
    members = TaskPhase.__members__ if kind == "subtask" else NodePhase.__members__
    member = members.get(phase)
    if member is None:
        return PhaseStyle(phase, "undefined", False)
    return style("task" if kind == "subtask" else "node", member)


def row_defaults() -> dict[str, Any]:
    """Each row field's value where it has nothing to say (the empty row's), but the key and the derived fields:
    what a view assumes for a field a whole row leaves out (widget.js ``ROW_DEFAULTS``, compared by a test)."""
    row: dict[str, Any] = dict(empty_row(""))
    for name in ("key", *DERIVED_FIELDS):
        del row[name]
    return row


#: (retry_group, attempt_groups, superseded) of a row.
_Attempts = tuple[int | None, tuple[int, ...], bool]
_NO_ATTEMPTS: _Attempts = (None, (), False)


def empty_row(key: str, parent: str = "", depth: int = 0) -> Row:
    """A whole row with every field but its place at its empty value: the base of test rows."""
    return _row(key, parent, depth, empty_fields(), None, False)


def _row(
    key: str,
    parent: str,
    depth: int,
    fields: NodeFields,
    child: ChildLink | None,
    has_children: bool,
    attempts: _Attempts | None = None,
) -> Row:
    group, groups, superseded = attempts or _NO_ATTEMPTS
    return {
        "key": key,
        "parent": parent,
        "depth": depth,
        **fields,
        "child": child,
        "has_children": has_children,
        "retry_group": group,
        "attempt_groups": list(groups),
        "superseded": superseded,
    }


# --------------------------------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------------------------------


def _execution_url(execution: FlyteWorkflowExecution) -> str | None:
    try:
        url = execution.execution_url
    except Exception:  # a wrapper without a remote, or a remote without a console endpoint
        return None
    return safe_url(url)


# --------------------------------------------------------------------------------------------------------------
# Messages -> plain JSON
# --------------------------------------------------------------------------------------------------------------

#: Error messages in list responses are trimmed to this many bytes by FlyteAdmin, then made valid UTF-8 again
#: (``strings.ToValidUTF8(msg[:100], "")``, ``transformers/execution.go`` ``TrimErrorMessage``): a cut inside a 2-4
#: byte character drops its 1-3 bytes, so a trimmed message has 97 to 100 bytes (a longer one is whole: the sync
#: put the fetched one in). One of 97-99 bytes may be whole; flagging it costs one fetch of the whole message when
#: it is opened, not flagging a cut one hides its end.
_LIST_ERROR_TRIM_BYTES = 100
_LIST_ERROR_TRIM_MIN = _LIST_ERROR_TRIM_BYTES - 3


#: ISO-8601 text of whole UTC seconds (``"2026-12-06T00:21:00"``): a tree's nodes share a few seconds, and a first
#: paint formats two or three times per node; cleared when it grows past the cap.
_ISO_SECONDS: dict[int, str] = {}
_ISO_SECONDS_CAP = 65_536
_MAX_NANOS = 999_999_999
#: ".000Z" ... ".999Z": the end of every time a row carries (a table lookup, not a format per time)
_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))


def _iso(ts: timestamp_pb2.Timestamp) -> str:
    """``ts`` as ISO-8601 UTC with milliseconds (truncated, as ``isoformat(timespec="milliseconds")``), ``Z``."""
    seconds, nanos = ts.seconds, ts.nanos
    prefix = _ISO_SECONDS.get(seconds)
    if prefix is None or not 0 <= nanos <= _MAX_NANOS:  # a cached second is a valid one: only the nanos to check
        # to_datetime validates (InvalidTimeError names the value) and gives the second's text
        prefix = to_datetime(ts).replace(microsecond=0).isoformat(timespec="seconds").replace("+00:00", "")
        if len(_ISO_SECONDS) >= _ISO_SECONDS_CAP:
            _ISO_SECONDS.clear()
        _ISO_SECONDS[seconds] = prefix
    return prefix + _MILLIS[nanos // 1_000_000]


def _ts(msg: Any, name: str, invalid: list[str]) -> str | None:
    """The timestamp field ``name`` as ISO-8601; None when unset, or out of range (then named in ``invalid``)."""
    if not msg.HasField(name):
        return None
    return _iso_or_invalid(getattr(msg, name), name, invalid)


def _iso_or_invalid(ts: timestamp_pb2.Timestamp, name: str, invalid: list[str]) -> str | None:
    """A set timestamp field ``name`` as ISO-8601; None when out of range (then named in ``invalid``)."""
    try:
        return _iso(ts)
    except InvalidTimeError:
        invalid.append(name)
        return None


def _seconds(msg: Any, name: str, invalid: list[str], field: str) -> float | None:
    """The duration field ``name`` in seconds; None when unset, or out of range (then ``field`` in ``invalid``)."""
    if not msg.HasField(name):
        return None
    d = getattr(msg, name)
    if not is_valid_duration(d):  # the range to_timedelta() accepts; the float keeps the nanoseconds
        invalid.append(field)
        return None
    return float(d.seconds) + float(d.nanos) / 1e9


def _queued(closure: Any, invalid: list[str]) -> float | None:
    if not (closure.HasField("started_at") and closure.HasField("created_at")):
        return None
    if "started_at" in invalid or "created_at" in invalid:  # nothing to subtract: the times say so themselves
        return None
    return _queued_s(closure.created_at, closure.started_at)


def _queued_s(c: timestamp_pb2.Timestamp, s: timestamp_pb2.Timestamp) -> float:
    """Seconds from creation ``c`` to start ``s`` (never negative)."""
    return max(0.0, float(s.seconds - c.seconds) + float(s.nanos - c.nanos) / 1e9)


def cap_text(text: str, limit_bytes: int = MAX_ERROR_BYTES) -> tuple[str, bool]:
    """``text`` within ``limit_bytes`` of UTF-8, and whether it was cut. A cut keeps the start and the last
    eighth (a traceback's exception line is at its end: the summary finds it there), joined by an indented line
    saying how much is left out (indented, so the summary skips it as it skips traceback frames)."""
    if len(text) <= limit_bytes // 4:  # no encoding needed: even 4-byte characters fit
        return text, False
    data = text.encode()
    if len(data) <= limit_bytes:
        return text, False
    tail = limit_bytes // 8
    marker = f"\n  … {len(data) - limit_bytes:,} more bytes not shown …\n".encode()
    head = limit_bytes - tail - len(marker)
    kept = data[:head] + marker + data[len(data) - tail :] if head > 0 else data[:limit_bytes]
    # cutting inside a character leaves a partial one at the head's end or the tail's start: dropped
    return kept.decode("utf-8", "ignore"), True


def _clip(text: str, limit: int = MAX_NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key_part(text: str) -> str:
    """A node id or child execution name as part of a row key. Keys must stay unique and stable (the view and the
    model find rows by them; the wrapper behind a row keeps the whole id for every call), so a long one is cut to
    :data:`MAX_NAME_CHARS` with a hash of the whole: two long ids that share their beginning still differ."""
    if len(text) <= MAX_NAME_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{text[: MAX_NAME_CHARS - len(digest) - 2]}…#{digest}"


def _error(err: execution_pb2.ExecutionError, *, from_list: bool) -> ErrorInfo:
    message, capped = cap_text(err.message)
    return {
        "kind": error_kind_name(err.kind),
        "code": _clip(err.code, MAX_ERROR_CODE_CHARS),
        "message": message,
        "trimmed": from_list and not capped and _LIST_ERROR_TRIM_MIN <= len(message.encode()) <= _LIST_ERROR_TRIM_BYTES,
        "capped": capped,
    }


def _logs(logs: Iterable[execution_pb2.TaskLog], attempt: int) -> list[LogLink]:
    out: list[LogLink] = []
    for lg in logs:
        uri = safe_url(lg.uri)
        if uri is not None:
            out.append({"name": lg.name, "uri": uri, "attempt": attempt})
    return out


def _cache_text(status: int) -> str:
    """The cache column's text; "" where caching is disabled (nothing to tell: FlyteConsole shows nothing)."""
    return "" if status == CacheStatus.CACHE_DISABLED else cache_label(status)


def _capped_logs(groups: Sequence[tuple[int, Sequence[execution_pb2.TaskLog]]]) -> tuple[list[LogLink], int]:
    """The log links a row carries from ``(attempt, logs)`` groups, and how many were left out: per attempt the
    first :data:`MAX_LOGS_PER_ATTEMPT`, in all :data:`MAX_LOGS_PER_ROW` (the latest attempts first: those are the
    ones a user opens). Links past the caps are counted, not checked (10,000 of them must stay cheap), so the
    count may include links :func:`all_logs` then drops as unsafe."""
    kept: list[list[LogLink]] = []
    room = MAX_LOGS_PER_ROW
    omitted = 0
    for attempt, logs in reversed(groups):
        take: list[LogLink] = []
        seen = 0
        for lg in logs:
            if len(take) >= min(MAX_LOGS_PER_ATTEMPT, room):
                break
            seen += 1
            uri = safe_url(lg.uri) if len(lg.uri) <= MAX_URL_CHARS else None
            if uri is not None:
                take.append({"name": _clip(lg.name, MAX_LOG_NAME_CHARS), "uri": uri, "attempt": attempt})
            elif len(lg.uri) > MAX_URL_CHARS and safe_url(lg.uri) is not None:
                omitted += 1  # a link too long to carry in every row: in the full list only
        omitted += len(logs) - seen
        room -= len(take)
        kept.append(take)
    return [link for group in reversed(kept) for link in group], omitted


def signal_id_of(gate: core_workflow_pb2.GateNode) -> str:
    """A gate's whole signal id ("" for a sleep): what approving it sends (the row's ``signal_id`` may be cut)."""
    which = gate.WhichOneof("condition")
    if which == "approve":
        return str(gate.approve.signal_id)
    if which == "signal":
        return str(gate.signal.signal_id)
    return ""


def _gate_info(gate: core_workflow_pb2.GateNode) -> GateInfo:
    which = gate.WhichOneof("condition")
    signal_id = _clip(signal_id_of(gate))
    if which == "approve":
        return {"kind": "approve", "signal_id": signal_id, "type": "bool"}
    if which == "signal":
        # The literals module's name of the type (``struct``, ``enum{a, b}``, ``list[int]``): the view picks its
        # input by it, and Remote.set_signal builds the value with the signal's LiteralType itself.
        return {"kind": "signal", "signal_id": signal_id, "type": describe_type(gate.signal.type)}
    return {"kind": "sleep", "signal_id": "", "type": ""}


def _latest_subtasks(tasks: Sequence[task_execution_pb2.TaskExecution]) -> dict[int, Any]:
    """The latest retry per subtask index over every attempt of an array node (event version 0)."""
    latest: dict[int, tuple[tuple[int, int], Any]] = {}
    for t in tasks:
        for res in t.closure.metadata.external_resources:
            rank = (t.id.retry_attempt, res.retry_attempt)
            cur = latest.get(res.index)
            if cur is None or rank >= cur[0]:
                latest[res.index] = (rank, res)
    return {i: r for i, (_, r) in sorted(latest.items())}


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


#: When the sync saw an array subtask attempt start and end: ``(index, retry) -> (started, ended)``, ISO-8601 UTC.
SubtaskTimes = Mapping[tuple[int, int], tuple[str | None, str | None]]


def _subtask_retries(
    tasks: Sequence[task_execution_pb2.TaskExecution],
) -> dict[int, list[tuple[int, Sequence[execution_pb2.TaskLog]]]]:
    """Each subtask index's ``(retry, logs)`` for every retry (retry order), as propeller named them: the row lists
    the logs of every retry (capped by :func:`_capped_logs`), not only the latest's."""
    return {index: [(retry, res.logs) for retry, res in retries] for index, retries in subtask_resources(tasks).items()}


def subtask_resources(tasks: Sequence[task_execution_pb2.TaskExecution]) -> dict[int, list[tuple[int, Any]]]:
    """Each subtask index's ``(retry, ExternalResourceInfo)`` for every retry (retry order), the latest report of
    each (event version 0)."""
    latest: dict[tuple[int, int], tuple[tuple[int, int], Any]] = {}
    for t in tasks:
        for res in t.closure.metadata.external_resources:
            rank = (t.id.retry_attempt, res.retry_attempt)
            key = (res.index, res.retry_attempt)
            cur = latest.get(key)
            if cur is None or rank >= cur[0]:
                latest[key] = (rank, res)
    out: dict[int, list[tuple[int, Any]]] = {}
    for (index, retry), (_, res) in sorted(latest.items()):
        out.setdefault(index, []).append((retry, res))
    return out


def _elapsed(start: str | None, end: str | None) -> float | None:
    if start is None or end is None:
        return None
    parse = _dt.datetime.fromisoformat
    return max(0.0, (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds())


def _subtask_fields(
    proto: node_execution_pb2.NodeExecution,
    tasks: Sequence[task_execution_pb2.TaskExecution],
    name: str,
    times: SubtaskTimes | None = None,
) -> list[tuple[int, NodeFields]]:
    """(index, fields) of an array node's subtasks, from its task executions' external resources (event version
    0; with version 1 subtasks are child nodes and get rows of their own).

    FlyteAdmin keeps no times per subtask: ``times`` are when the sync saw each attempt start and end (see
    :mod:`~flyteexec_widget.live.sync`); an attempt first seen already running or done has no start.
    """
    out: list[tuple[int, NodeFields]] = []
    resources = subtask_resources(tasks)
    for index, res in _latest_subtasks(tasks).items():
        st = style("task", res.phase)
        start, end = (times or {}).get((index, res.retry_attempt), (None, None))
        retries = resources.get(index, [])
        logs, logs_omitted = _capped_logs([(retry, r.logs) for retry, r in retries])
        fields: NodeFields = {
            **empty_fields(),
            "node_id": _clip(res.external_id or f"{proto.id.node_id}[{index}]"),
            "name": f"{_clip(name)}[{index}]",
            "kind": "subtask",
            "phase": phase_name("task", res.phase),
            "label": st.label,
            "color": st.color,
            "terminal": st.terminal,
            "created_at": start,
            "started_at": start,
            "duration_s": _elapsed(start, end) if st.terminal else None,
            "attempts": res.retry_attempt + 1,
            "attempt_spans": subtask_spans(retries, times or {}, index) if len(retries) > 1 else [],
            "cache": _cache_text(res.cache_status),
            "logs": logs,
            "logs_omitted": logs_omitted,
        }
        out.append((index, fields))
    return out


def subtask_spans(retries: Sequence[tuple[int, Any]], times: SubtaskTimes, index: int) -> list[AttemptSpan]:
    """Each retry of subtask ``index`` (``(retry, ExternalResourceInfo)``) with the times the watch saw."""
    spans: list[AttemptSpan] = []
    for retry, res in retries:
        start, end = times.get((index, retry), (None, None))
        done = is_terminal("task", int(res.phase))
        spans.append(
            {
                "phase": phase_name("task", res.phase),
                "started_at": start,
                "duration_s": _elapsed(start, end) if done else None,
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
