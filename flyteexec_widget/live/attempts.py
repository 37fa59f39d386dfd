"""Attempts: every attempt of one node as its row's detail lists them (the console's "Executions" tab).

Rows carry only a compact per-attempt list for the timeline (``Row.attempt_spans``: phase, start, duration); the
rest of an attempt (its reason, error and log links) is read from the node wrapper's task executions when a view
asks for it (the widget's ``attempts`` request). No RPC: the sync already listed them (``ListTaskExecutions``
returns errors whole, flyteadmin's ``task_execution_manager.go``). An array subtask (event version 0) has no task
execution of its own: its retries come from the array node's external resources, with the times the watch saw
(FlyteAdmin keeps none per subtask) and no reason or error (``ExternalResourceInfo`` has neither).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from flyteidl.admin import task_execution_pb2

from ..objects.executions import FlyteNodeExecution
from ..objects.phases import is_terminal, phase_name, style
from .row_fields import _cache_text, _capped_logs, _clip, _elapsed, _error, _queued, _seconds, _ts
from .row_schema import MAX_LOGS_PER_ATTEMPT, ErrorInfo, LogLink
from .subtask_rows import subtask_resources

__all__ = ["MAX_ATTEMPTS", "Attempt", "attempts_of"]

#: Attempts one answer lists (the latest ones); a node retried more often says how many were left out.
MAX_ATTEMPTS = 100
#: A reason is cut to this many characters (propeller's are one line; a hostile server's need not be).
MAX_REASON_CHARS = 2000


class Attempt(TypedDict):
    """One attempt as the detail lists it."""

    attempt: int  # 0-based retry attempt
    phase: str  # the task phase's name
    label: str
    color: str
    terminal: bool
    created_at: str | None
    started_at: str | None
    duration_s: float | None
    queued_s: float | None
    reason: str  # the latest reason propeller gave ("" if none)
    error: ErrorInfo | None
    logs: list[LogLink]  # at most rows.MAX_LOGS_PER_ATTEMPT; ``logs_omitted`` counts the rest
    logs_omitted: int
    cache: str


def _task_attempt(t: task_execution_pb2.TaskExecution) -> Attempt:
    c = t.closure
    bad: list[str] = []
    phase = int(c.phase)
    st = style("task", phase)
    logs, omitted = _capped_logs([(t.id.retry_attempt, c.logs)])
    reason = c.reasons[-1].message if c.reasons else c.reason
    return {
        "attempt": int(t.id.retry_attempt),
        "phase": phase_name("task", phase),
        "label": st.label,
        "color": st.color,
        "terminal": st.terminal,
        "created_at": _ts(c, "created_at", bad),
        "started_at": _ts(c, "started_at", bad),
        "duration_s": _seconds(c, "duration", bad, "duration_s") if is_terminal("task", phase) else None,
        "queued_s": _queued(c, bad),
        "reason": _clip(reason, MAX_REASON_CHARS),
        "error": _error(c.error, from_list=False) if c.HasField("error") else None,
        "logs": logs,
        "logs_omitted": omitted,
        "cache": "",
    }


def _subtask_attempt(index: int, retry: int, res: Any, times: Mapping[tuple[int, int], Any]) -> Attempt:
    phase = int(res.phase)
    st = style("task", phase)
    start, end = times.get((index, retry), (None, None))
    logs, omitted = _capped_logs([(retry, res.logs)])
    return {
        "attempt": retry,
        "phase": phase_name("task", phase),
        "label": st.label,
        "color": st.color,
        "terminal": st.terminal,
        "created_at": start,
        "started_at": start,
        "duration_s": _elapsed(start, end) if st.terminal else None,
        "queued_s": None,
        "reason": "",
        "error": None,
        "logs": logs,
        "logs_omitted": omitted,
        "cache": _cache_text(res.cache_status),
    }


def _latest(items: Sequence[Attempt]) -> dict[str, Any]:
    kept = list(items[-MAX_ATTEMPTS:])
    return {"attempts": kept, "omitted": len(items) - len(kept), "max_logs": MAX_LOGS_PER_ATTEMPT}


def attempts_of(row: Mapping[str, Any], w: FlyteNodeExecution) -> dict[str, Any]:
    """The answer to an ``attempts`` request for ``row`` (its wrapper ``w``; an array subtask row's is its array
    node's): ``{"attempts": [Attempt...] (oldest first), "omitted": n, "max_logs": ...}``."""
    tasks = [t.to_flyte_idl() for t in (w._task_executions or [])]
    info = w._template_info
    if row.get("kind") == "subtask" and not (info is not None and info.kind == "subtask"):
        key = str(row.get("key", ""))
        index_text = key[key.rfind("[") + 1 : -1] if key.endswith("]") else ""
        if not index_text.isdigit():
            return _latest([])
        index = int(index_text)
        times = w._fx_subtask_times or {}
        retries = subtask_resources(tasks).get(index, [])
        return _latest([_subtask_attempt(index, retry, res, times) for retry, res in retries])
    return _latest([_task_attempt(t) for t in sorted(tasks, key=lambda t: t.id.retry_attempt)])
