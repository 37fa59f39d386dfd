"""The row schema: the plain-JSON ``TypedDict`` s a view receives (:class:`Row`, :class:`Header` and what they
nest), the caps a row keeps to, each field's empty value and the style a row's kind and phase give it.

:mod:`~flyteexec_widget.live.rows` builds these from wrappers (and is where the rest of the package imports them
from); ``display/static/widget.js`` and ``display/render.py`` read them. Adding a field means adding it here (its
type and its value in :func:`empty_fields`), its value in :mod:`~flyteexec_widget.live.node_fields`, and showing it in
those views.
"""

from __future__ import annotations

import functools
from typing import Any, TypedDict

from ..objects.phases import NOT_STARTED, NOT_STARTED_STYLE, PAUSED_STYLE, NodePhase, PhaseStyle, TaskPhase, style

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
