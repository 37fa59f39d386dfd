"""How propeller events become closure fields: the rules of flyteadmin's transformers (flyteorg/flyte master:
``flyteadmin/pkg/repositories/transformers/*.go``), which the store applies when it projects an event.

- Times: the admin's own timestamps, ``duration`` from ``started_at`` to the terminal event, ``updated_at`` from
  the event's ``reported_at`` when set (``node_execution.go``, ``task_execution.go``).
- Task execution closures (``task_execution.go``): logs merged by uri and name (mergeLogs) and hidden or shown
  by phase, ``custom_info`` merged as a JSON merge patch (mergeCustom), external resources merged by
  (index, retry_attempt) into the metadata (mergeExternalResources, mergeMetadata; a subtask's ``custom_info``
  is overwritten, not merged), reasons appended.
- List responses of executions and node executions (``execution.go``, TrimErrorMessage): error messages cut to
  100 bytes of valid UTF-8. ListTaskExecutions does not trim (``task_execution_manager.go``).

Pure functions over protos; the store's records are not known here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from flyteidl.admin import task_execution_pb2
from flyteidl.event import event_pb2
from google.protobuf import json_format, struct_pb2
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from ..objects.phases import TASK_TERMINAL, TaskPhase

#: flyteadmin trims ``closure.error.message`` in list responses to this many bytes (transformers.TrimErrorMessage).
TRIMMED_ERROR_BYTES = 100


def to_timestamp(dt: datetime) -> Timestamp:
    """A protobuf Timestamp of an aware datetime (the admin's own stamps: created_at, registration times)."""
    ts = Timestamp()
    ts.FromDatetime(dt.astimezone(timezone.utc).replace(tzinfo=None))
    return ts


def duration_between(start: Timestamp, end: Timestamp) -> Duration:
    """``end - start`` (integer arithmetic: one per terminal event)."""
    ns = (end.seconds - start.seconds) * 1_000_000_000 + (end.nanos - start.nanos)
    d = Duration()
    d.FromNanoseconds(ns)
    return d


def reported_at(event: Any) -> Timestamp:
    """flyteadmin uses ``reported_at`` for updated_at when set, else ``occurred_at``."""
    if event.HasField("reported_at") and (event.reported_at.seconds or event.reported_at.nanos):
        return event.reported_at  # type: ignore[no-any-return]
    return event.occurred_at  # type: ignore[no-any-return]


def trim_error_message(message: str) -> str:
    """flyteadmin's TrimErrorMessage: the first 100 bytes, cut back to valid UTF-8."""
    raw = message.encode("utf-8")
    if len(raw) <= TRIMMED_ERROR_BYTES:
        return message
    return raw[:TRIMMED_ERROR_BYTES].decode("utf-8", errors="ignore")


def trimmed(proto: Any) -> Any:
    """A copy of ``proto`` with ``closure.error.message`` trimmed, as list responses carry it."""
    copy = type(proto)()
    copy.CopyFrom(proto)
    if copy.closure.WhichOneof("output_result") == "error":
        copy.closure.error.message = trim_error_message(copy.closure.error.message)
    return copy


def merge_logs(existing: Sequence[Any], latest: Sequence[Any]) -> list[Any]:
    """flyteadmin mergeLogs: the latest logs, plus any existing log whose uri and name both are new."""
    if not latest:
        return list(existing)
    if not existing:
        return list(latest)
    uris = {log.uri for log in latest}
    names = {log.name for log in latest if log.name}
    out = list(latest)
    out.extend(log for log in existing if log.uri not in uris and log.name not in names)
    return out


def filter_logs_by_phase(logs: Sequence[Any], phase: int) -> list[Any]:
    """Drop HideOnceFinished logs at a terminal phase; keep only ShowWhilePending ones while QUEUED/INITIALIZING."""
    out = []
    for log in logs:
        if phase in TASK_TERMINAL and log.HideOnceFinished:
            continue
        if phase in (TaskPhase.QUEUED, TaskPhase.INITIALIZING) and not log.ShowWhilePending:
            continue
        out.append(log)
    return out


def filter_resource_logs_by_phase(resources: Iterable[Any], phase: int) -> None:
    """flyteadmin filterExternalResourceLogsByPhase: :func:`filter_logs_by_phase` on each resource's logs, in
    place."""
    for res in resources:
        replace_repeated(res.logs, filter_logs_by_phase(list(res.logs), phase))


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (what flyteadmin's mergeCustom applies to custom_info)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = _merge_patch(result.get(k), v)
    return result


def merge_custom(existing: struct_pb2.Struct, latest: struct_pb2.Struct) -> struct_pb2.Struct:
    """flyteadmin mergeCustom: ``latest`` applied to ``existing`` as a JSON merge patch."""
    merged = _merge_patch(json_format.MessageToDict(existing), json_format.MessageToDict(latest))
    out = struct_pb2.Struct()
    out.update(merged)
    return out


def sort_resources(resources: Iterable[Any]) -> list[Any]:
    """External resources in flyteadmin's order: by (index, retry_attempt)."""
    return sorted(resources, key=lambda r: (r.index, r.retry_attempt))


def merge_external_resources(existing: list[Any], latest: Sequence[Any]) -> list[Any]:
    """flyteadmin mergeExternalResources: merge by (index, retry_attempt), keep the list sorted by that key.

    An entry that is reported again (mergeExternalResource) takes the new phase, the external id and cache
    status when set, merged logs, and the new ``custom_info`` whole when the event has one.
    """
    by_key = {(r.index, r.retry_attempt): r for r in existing}
    for new in latest:
        cur = by_key.get((new.index, new.retry_attempt))
        if cur is None:
            copy = event_pb2.ExternalResourceInfo()
            copy.CopyFrom(new)
            by_key[(new.index, new.retry_attempt)] = copy
            continue
        if new.external_id:
            cur.external_id = new.external_id
        cur.phase = new.phase
        if new.cache_status != 0:  # CACHE_DISABLED never overwrites
            cur.cache_status = new.cache_status
        replace_repeated(cur.logs, merge_logs(list(cur.logs), list(new.logs)))
        if new.HasField("custom_info"):
            cur.custom_info.CopyFrom(new.custom_info)  # overwritten, unlike the task's own custom_info
    return sort_resources(by_key.values())


def merge_metadata(closure: task_execution_pb2.TaskExecutionClosure, latest: event_pb2.TaskExecutionMetadata) -> None:
    """flyteadmin mergeMetadata, in place on ``closure.metadata``."""
    if not closure.HasField("metadata"):
        closure.metadata.CopyFrom(latest)
        return
    cur = closure.metadata
    if latest.generated_name:
        cur.generated_name = latest.generated_name
    merged = merge_external_resources(list(cur.external_resources), list(latest.external_resources))
    replace_repeated(cur.external_resources, merged)
    replace_repeated(cur.resource_pool_info, latest.resource_pool_info)
    if latest.plugin_identifier:
        cur.plugin_identifier = latest.plugin_identifier
    if latest.instance_class != 0:
        cur.instance_class = latest.instance_class


def merge_reasons(closure: task_execution_pb2.TaskExecutionClosure, event: event_pb2.TaskExecutionEvent) -> None:
    """Create/UpdateTaskExecutionModel's reasons: the event's ``reasons`` are appended and the last one becomes
    ``closure.reason``; without them a lone ``reason`` is appended only when it differs from the current one."""
    if event.reasons:
        closure.reasons.extend(
            task_execution_pb2.Reason(occurred_at=r.occurred_at, message=r.reason) for r in event.reasons
        )
        closure.reason = event.reasons[-1].reason
    elif event.reason:
        if closure.reason != event.reason:
            closure.reasons.append(task_execution_pb2.Reason(occurred_at=event.occurred_at, message=event.reason))
        closure.reason = event.reason


def replace_repeated(field: Any, items: Iterable[Any]) -> None:
    """Set a repeated proto field to ``items`` (read in full first, so they may come from the field itself)."""
    items = list(items)
    del field[:]
    field.extend(items)
