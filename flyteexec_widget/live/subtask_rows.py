"""Array subtask rows (event version 0, where subtasks are external resources of the array node's task
executions, not nodes): the latest retry of each index, its fields, its retries' spans and logs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2

from ..objects.phases import is_terminal, phase_name, style
from .row_fields import _cache_text, _capped_logs, _clip, _elapsed
from .row_schema import AttemptSpan, NodeFields, empty_fields

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
