"""Workflow, node and task phases: enums mirroring flyteidl, and the one table of labels, colours and terminality.

Every place that needs to know whether a phase is terminal, what to call it or how to colour it reads
:data:`PHASE_STYLES` (through :func:`style`), so the widget, the text tree, the sync loop and the sandbox agree.

A newer FlyteAdmin may send enum values this flyteidl does not know (a new phase, error kind or cache status):
they are named ``"unknown (N)"`` (:func:`unknown_name`), never an exception.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

PhaseKind = Literal["workflow", "node", "task"]


class WorkflowPhase(enum.IntEnum):
    """``flyteidl.core.execution_pb2.WorkflowExecution.Phase``."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDING = 3
    SUCCEEDED = 4
    FAILING = 5
    FAILED = 6
    ABORTED = 7
    TIMED_OUT = 8
    ABORTING = 9


class NodePhase(enum.IntEnum):
    """``flyteidl.core.execution_pb2.NodeExecution.Phase``."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    FAILING = 4
    FAILED = 5
    ABORTED = 6
    SKIPPED = 7
    TIMED_OUT = 8
    DYNAMIC_RUNNING = 9
    RECOVERED = 10


class TaskPhase(enum.IntEnum):
    """``flyteidl.core.execution_pb2.TaskExecution.Phase``."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    ABORTED = 4
    FAILED = 5
    INITIALIZING = 6
    WAITING_FOR_RESOURCES = 7
    RETRYABLE_FAILED = 8


class CacheStatus(enum.IntEnum):
    """``flyteidl.core.catalog_pb2.CatalogCacheStatus``."""

    CACHE_DISABLED = 0
    CACHE_MISS = 1
    CACHE_HIT = 2
    CACHE_POPULATED = 3
    CACHE_LOOKUP_FAILURE = 4
    CACHE_PUT_FAILURE = 5
    CACHE_SKIPPED = 6
    CACHE_EVICTED = 7


class ErrorKind(enum.IntEnum):
    """``flyteidl.core.execution_pb2.ExecutionError.ErrorKind``."""

    UNKNOWN = 0
    USER = 1
    SYSTEM = 2


def unknown_name(value: int) -> str:
    """How an enum value this flyteidl does not know (a newer Flyte sent it) is shown: ``"unknown (7)"``."""
    return f"unknown ({int(value)})"


def enum_name(enum_cls: type[enum.IntEnum], value: int) -> str:
    """The member name of ``value`` (``"USER"``), or ``"unknown (N)"`` for a number this version lacks."""
    try:
        return enum_cls(value).name
    except ValueError:
        return unknown_name(value)


def error_kind_name(kind: int) -> str:
    """An ``ExecutionError.kind`` as its name (``"USER"``, ``"SYSTEM"``, ``"UNKNOWN"``), or ``"unknown (N)"``."""
    return enum_name(ErrorKind, kind)


CACHE_LABELS: dict[CacheStatus, str] = {
    CacheStatus.CACHE_DISABLED: "disabled",
    CacheStatus.CACHE_MISS: "miss",
    CacheStatus.CACHE_HIT: "hit",
    CacheStatus.CACHE_POPULATED: "populated",
    CacheStatus.CACHE_LOOKUP_FAILURE: "lookup failure",
    CacheStatus.CACHE_PUT_FAILURE: "put failure",
    CacheStatus.CACHE_SKIPPED: "skipped",
    CacheStatus.CACHE_EVICTED: "evicted",
}


def cache_label(status: int) -> str:
    """A cache status as the row shows it (``"hit"``), or ``"unknown (N)"`` for a status this version lacks."""
    try:
        return CACHE_LABELS[CacheStatus(status)]
    except ValueError:
        return unknown_name(status)


@dataclass(frozen=True)
class PhaseStyle:
    """How one phase is shown: a text label (colour is never the only signal), a colour token, terminality.

    ``color`` is a token, not a colour: the widget's CSS maps ``fxw-badge--<color>`` to theme-aware colours.
    """

    label: str
    color: str
    terminal: bool
    succeeded: bool = False
    failed: bool = False


_S = PhaseStyle
PHASE_STYLES: dict[PhaseKind, dict[int, PhaseStyle]] = {
    "workflow": {
        WorkflowPhase.UNDEFINED: _S("Unknown", "undefined", False),
        WorkflowPhase.QUEUED: _S("Queued", "queued", False),
        WorkflowPhase.RUNNING: _S("Running", "running", False),
        WorkflowPhase.SUCCEEDING: _S("Succeeding", "running", False),
        WorkflowPhase.SUCCEEDED: _S("Succeeded", "succeeded", True, succeeded=True),
        WorkflowPhase.FAILING: _S("Failing", "failing", False),
        WorkflowPhase.FAILED: _S("Failed", "failed", True, failed=True),
        WorkflowPhase.ABORTED: _S("Aborted", "aborted", True, failed=True),
        WorkflowPhase.TIMED_OUT: _S("Timed out", "timed-out", True, failed=True),
        WorkflowPhase.ABORTING: _S("Aborting", "aborting", False),
    },
    "node": {
        NodePhase.UNDEFINED: _S("Unknown", "undefined", False),
        NodePhase.QUEUED: _S("Queued", "queued", False),
        NodePhase.RUNNING: _S("Running", "running", False),
        NodePhase.SUCCEEDED: _S("Succeeded", "succeeded", True, succeeded=True),
        NodePhase.FAILING: _S("Failing", "failing", False),
        NodePhase.FAILED: _S("Failed", "failed", True, failed=True),
        NodePhase.ABORTED: _S("Aborted", "aborted", True, failed=True),
        NodePhase.SKIPPED: _S("Skipped", "skipped", True),
        NodePhase.TIMED_OUT: _S("Timed out", "timed-out", True, failed=True),
        NodePhase.DYNAMIC_RUNNING: _S("Running (dynamic)", "dynamic-running", False),
        NodePhase.RECOVERED: _S("Recovered", "recovered", True, succeeded=True),
    },
    "task": {
        TaskPhase.UNDEFINED: _S("Unknown", "undefined", False),
        TaskPhase.QUEUED: _S("Queued", "queued", False),
        TaskPhase.RUNNING: _S("Running", "running", False),
        TaskPhase.SUCCEEDED: _S("Succeeded", "succeeded", True, succeeded=True),
        TaskPhase.ABORTED: _S("Aborted", "aborted", True, failed=True),
        TaskPhase.FAILED: _S("Failed", "failed", True, failed=True),
        TaskPhase.INITIALIZING: _S("Initializing", "initializing", False),
        TaskPhase.WAITING_FOR_RESOURCES: _S("Waiting for resources", "waiting", False),
        TaskPhase.RETRYABLE_FAILED: _S("Failed (will retry)", "retryable-failed", False),
    },
}

#: A RUNNING gate node (approve, signal or sleep) waits on the outside world: shown as paused, like the console.
PAUSED_STYLE = PhaseStyle("Paused", "paused", False)

#: A node the compiled workflow plans that has no node execution yet (no event came for it): a row of its own, so
#: progress reads "k of N nodes" from the start. Not a flyteidl phase: the rows use this name for it.
NOT_STARTED = "NOT_STARTED"
NOT_STARTED_STYLE = PhaseStyle("Not started", "not-started", False)

_ENUMS: dict[PhaseKind, type[enum.IntEnum]] = {"workflow": WorkflowPhase, "node": NodePhase, "task": TaskPhase}


def style(kind: PhaseKind, phase: int) -> PhaseStyle:
    """The style of ``phase`` of a ``kind`` execution; an unknown number (a newer Flyte) gets a neutral style
    labelled ``"unknown (N)"``."""
    try:
        return PHASE_STYLES[kind][phase]
    except KeyError:
        if kind not in PHASE_STYLES:
            raise ValueError(f"kind must be one of {sorted(PHASE_STYLES)}, got {kind!r}") from None
        return PhaseStyle(unknown_name(phase), "undefined", False)


#: Each kind's phase names by number: ``phase_name`` runs for every node of every first paint, and an IntEnum
#: lookup by value costs several times a dictionary's.
_NAMES: dict[PhaseKind, dict[int, str]] = {k: {int(m): m.name for m in e} for k, e in _ENUMS.items()}


def phase_name(kind: PhaseKind, phase: int) -> str:
    """The enum name (``"RUNNING"``) of a phase number, or ``"unknown (N)"`` for a number this version lacks."""
    name = _NAMES[kind].get(phase)
    return name if name is not None else enum_name(_ENUMS[kind], phase)


def is_terminal(kind: PhaseKind, phase: int) -> bool:
    """Whether ``phase`` is final for a ``kind`` execution (FlyteAdmin's rules, RECOVERED included for nodes)."""
    return style(kind, phase).terminal


WORKFLOW_TERMINAL = frozenset(p for p, s in PHASE_STYLES["workflow"].items() if s.terminal)
NODE_TERMINAL = frozenset(p for p, s in PHASE_STYLES["node"].items() if s.terminal)
TASK_TERMINAL = frozenset(p for p, s in PHASE_STYLES["task"].items() if s.terminal)

#: flytekit's ``FlyteNodeExecution.is_done`` omits RECOVERED; the wrapper matches flytekit (see its docstring).
FLYTEKIT_NODE_DONE = NODE_TERMINAL - {NodePhase.RECOVERED}
