"""Pure value helpers of the rows: protobuf times and durations as ISO-8601 text and seconds, text cut to the row
caps (:func:`cap_text`, :func:`_clip`), row key parts, errors, log links, cache text and a gate's signal.

No wrapper and no row here: each takes a message (or text) and gives the JSON value one field holds.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from flyteidl.core import execution_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from google.protobuf import timestamp_pb2

from ..admin.refs import safe_url
from ..objects.literal_types import describe_type
from ..objects.phases import CacheStatus, cache_label, error_kind_name
from ..objects.protoview import InvalidTimeError, is_valid_duration, to_datetime
from .row_schema import (
    MAX_ERROR_BYTES,
    MAX_ERROR_CODE_CHARS,
    MAX_LOG_NAME_CHARS,
    MAX_LOGS_PER_ATTEMPT,
    MAX_LOGS_PER_ROW,
    MAX_NAME_CHARS,
    MAX_URL_CHARS,
    ErrorInfo,
    GateInfo,
    LogLink,
)

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
        # describe_type's name of the type (``struct``, ``enum{a, b}``, ``list[int]``): the view picks its
        # input by it, and Remote.set_signal builds the value with the signal's LiteralType itself.
        return {"kind": "signal", "signal_id": signal_id, "type": describe_type(gate.signal.type)}
    return {"kind": "sleep", "signal_id": "", "type": ""}


def _elapsed(start: str | None, end: str | None) -> float | None:
    if start is None or end is None:
        return None
    parse = _dt.datetime.fromisoformat
    return max(0.0, (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds())
