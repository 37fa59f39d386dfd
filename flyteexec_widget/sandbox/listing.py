"""FlyteAdmin's listing language, as the sandbox answers its List* requests: page tokens, filters, sort keys and
the fields each entity can be filtered and sorted by.

- Page tokens (:func:`parse_token`, :func:`paginate`): the token is the offset as a decimal string ("" is 0).
- Filters (:func:`parse_filters`): expressions ``fn(field,value)`` joined by ``+``, the values of ``value_in`` /
  ``value_not_in`` separated by ``;``; the functions and their SQL meaning are flyteadmin's
  (flyteorg/flyte master: ``flyteadmin/pkg/common/filters.go``), the parsing and value preparation (RFC 3339
  timestamps, durations in seconds) follow ``flyteadmin/pkg/manager/impl/util/filters.go``. Applied in memory
  with SQL's semantics: a NULL column matches no comparison, ``contains`` is ``LIKE %value%``. flyteadmin hands a
  timestamp filter's value to SQL as the text it received (its ``timestampFields`` are CamelCase, the filter fields
  snake_case): Postgres compares it as a timestamp; a SQLite-backed admin compares it with the stored text
  ``2006-01-02 15:04:05.999999999+00:00``, which ``text_times=True`` imitates.
- Sorting (:func:`select`): descending unless asked otherwise, NULLs first descending and last ascending
  (Postgres), ties in creation order.
- Field tables (:data:`NODE_FIELDS`, :data:`TASK_FIELDS`, :data:`EXECUTION_FIELDS`, :data:`SIGNAL_FIELDS`): the
  columns of each entity and how to read them off a store record.

Everything here is pure: it knows records only through the getters of a field table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import grpc
from flyteidl.admin import common_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from ..objects.phases import NodePhase, TaskPhase, WorkflowPhase
from .errors import StoreError

_DESCENDING = 0  # admin.Sort.Direction.DESCENDING, the proto default

FILTER_FUNCTIONS = ("eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_like", "value_in", "value_not_in")
_EXPR_RE = re.compile(r"^\s*(\w+)\((\w+),(.*)\)\s*$", re.DOTALL)

R = TypeVar("R")
Getter = Callable[[Any], Any]
#: field name -> (value kind, getter). Kinds: "str", "int", "time" (ns since the epoch), "duration" (seconds),
#: "phase" (enum name).
FieldTable = dict[str, tuple[str, Getter]]


# ---------------------------------------------------------------------------------------------------------------
# page tokens


def parse_token(token: str) -> int:
    """flyteadmin's offset token: "" is 0; anything but a non-negative integer is INVALID_ARGUMENT."""
    if token == "":
        return 0
    try:
        offset = int(token)
    except ValueError:
        offset = -1
    if offset < 0:
        raise StoreError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid pagination token {token!r}")
    return offset


def paginate(items: Sequence[R], limit: int, token: str) -> tuple[list[R], str]:
    """One page and the next token: ``str(offset + n)`` only when the page is full (so a full last page is
    followed by one empty page), "" otherwise."""
    if limit <= 0:
        raise StoreError(grpc.StatusCode.INVALID_ARGUMENT, "limit must be greater than 0")
    offset = parse_token(token)
    page = list(items[offset : offset + limit])
    return page, (str(offset + len(page)) if len(page) == limit else "")


# ---------------------------------------------------------------------------------------------------------------
# filters


def _coerce(kind: str, name: str, raw: str) -> Any:
    raw = raw.strip()
    try:
        if kind == "int":
            return int(raw)
        if kind == "duration":
            return float(raw)
        if kind == "time":
            value = _parse_time(raw)
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            return datetime_ns(value)
    except ValueError:
        raise StoreError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"invalid value {raw!r} for filter field {name!r} (timestamps are RFC 3339 with 'Z', e.g. "
            "2024-01-02T03:04:05Z: a '+' separates filter expressions)",
        ) from None
    return raw


_TIME_RE = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)?$")


def _parse_time(raw: str) -> datetime:
    """RFC 3339 (``Z`` or an offset, 0-9 fraction digits) on every Python version."""
    m = _TIME_RE.match(raw)
    if m is None:
        raise ValueError(raw)
    base, frac, zone = m.group(1), (m.group(2) or "")[:6].ljust(6, "0"), m.group(3) or "+00:00"
    return datetime.fromisoformat(f"{base}.{frac}{'+00:00' if zone == 'Z' else zone}")


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def datetime_ns(value: datetime) -> int:
    """Nanoseconds since the epoch of an aware datetime (how time filters compare)."""
    d = value - _EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000_000 + d.microseconds * 1000


Predicate = Callable[[Any], bool]


def _like(value: Any, pattern: str) -> bool:
    """SQL ``LIKE``: ``%`` matches any run, ``_`` one character, everything else literally."""
    if value is None:
        return False
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, str(value), re.DOTALL) is not None


def sqlite_time_text(ns: int) -> str:
    """How a SQLite-backed FlyteAdmin stores a UTC timestamp (go-sqlite3's ``2006-01-02 15:04:05.999999999-07:00``,
    trailing fraction zeros dropped)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    base = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}{'.' + digits if digits else ''}+00:00"


def parse_filters(filters: str, table: FieldTable, *, text_times: bool = False) -> list[Predicate]:
    """Parse flyteadmin filter expressions ``fn(field,value)`` joined by ``+`` into predicates over records.

    ``text_times``: compare timestamp columns as SQLite does, the stored text against the value's text."""
    preds: list[Predicate] = []
    for expr in filters.split("+"):
        if not expr.strip():
            continue
        m = _EXPR_RE.match(expr)
        if m is None:
            raise StoreError(
                grpc.StatusCode.INVALID_ARGUMENT, f"invalid filter expression {expr!r}: expected fn(field,value)"
            )
        fn, name, raw = m.group(1), m.group(2), m.group(3)
        if fn not in FILTER_FUNCTIONS:
            raise StoreError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"unrecognized filter function {fn!r}; valid: {', '.join(FILTER_FUNCTIONS)}",
            )
        if name not in table:
            raise StoreError(
                grpc.StatusCode.INVALID_ARGUMENT, f"unknown filter field {name!r}; valid: {', '.join(sorted(table))}"
            )
        kind, get = table[name]
        if text_times and kind == "time":
            kind, get, raw = "str", _as_text(get), raw.strip()
        preds.append(_predicate(fn, kind, name, raw, get))
    return preds


def _as_text(get: Getter) -> Getter:
    return lambda r: None if (ns := get(r)) is None else sqlite_time_text(ns)


def _predicate(fn: str, kind: str, name: str, raw: str, get: Getter) -> Predicate:
    if fn in ("value_in", "value_not_in"):
        values = {_coerce(kind, name, v) for v in raw.split(";") if v.strip()}
        if fn == "value_in":
            return lambda r: (v := get(r)) is not None and v in values
        return lambda r: (v := get(r)) is not None and v not in values
    if fn == "contains":
        return lambda r: _like(get(r), f"%{raw}%")  # flyteadmin: LIKE %value%
    if fn == "not_like":
        return lambda r: (v := get(r)) is not None and not _like(v, raw)  # flyteadmin: NOT LIKE value
    target = _coerce(kind, name, raw)
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    op = ops[fn]
    # SQL semantics: a NULL column matches no comparison.
    return lambda r: (v := get(r)) is not None and op(v, target)


# ---------------------------------------------------------------------------------------------------------------
# sorting


def select(
    records: Sequence[R],
    table: FieldTable,
    filters: str,
    sort_by: common_pb2.Sort | None,
    default: str = "",
    *,
    text_times: bool = False,
) -> list[R]:
    """Filter then sort ``records`` (kept in creation order when no sort is asked for); ``text_times``: see
    :func:`parse_filters`."""
    preds = parse_filters(filters, table, text_times=text_times)
    out = [r for r in records if all(p(r) for p in preds)]
    key = sort_by.key if sort_by is not None and sort_by.key else default
    if not key:
        return out
    if key not in table:
        raise StoreError(
            grpc.StatusCode.INVALID_ARGUMENT, f"invalid sort key {key!r}; valid: {', '.join(sorted(table))}"
        )
    get = table[key][1]
    descending = sort_by is None or not sort_by.key or sort_by.direction == _DESCENDING
    # Ties are broken by creation order (reversed too when descending), so the newest comes first.
    keyed = [(get(r), i, r) for i, r in enumerate(out)]
    present = [t for t in keyed if t[0] is not None]
    missing = [t[2] for t in keyed if t[0] is None]
    present.sort(key=lambda t: (t[0], t[1]), reverse=descending)
    ordered = [t[2] for t in present]
    # Postgres puts NULLs last ascending, first descending.
    return missing + ordered if descending else ordered + missing


# ---------------------------------------------------------------------------------------------------------------
# field tables


def _time_or_none(msg: Any, name: str) -> int | None:
    """A timestamp field as nanoseconds since the epoch (None when unset): integer arithmetic, because filtering
    and sorting touch every node of an execution on every listed page (``ToDatetime`` made listing a
    10,000-node execution cost seconds)."""
    if not msg.HasField(name):
        return None
    ts = getattr(msg, name)
    return ts.seconds * 1_000_000_000 + ts.nanos  # type: ignore[no-any-return]


def _secs_or_none(msg: Any) -> float | None:
    return msg.duration.ToTimedelta().total_seconds() if msg.HasField("duration") else None


def _error_field(closure: Any, name: str) -> str | None:
    if closure.WhichOneof("output_result") != "error":
        return None
    if name == "kind":
        return core_execution_pb2.ExecutionError.ErrorKind.Name(closure.error.kind)  # type: ignore[no-any-return]
    return closure.error.code  # type: ignore[no-any-return]


def _closure_time(name: str) -> Getter:
    return lambda r: _time_or_none(r.proto.closure, name)


def _common_fields(kind: str, phase_enum: Any) -> FieldTable:
    """The columns of every record with a ``proto.closure`` (executions, node and task executions)."""
    created_at, updated_at = _closure_time("created_at"), _closure_time("updated_at")
    return {
        "phase": ("phase", lambda r: phase_enum(r.proto.closure.phase).name),
        "created_at": ("time", created_at),
        "updated_at": ("time", updated_at),
        # flyteadmin's own columns for the event times (created_at/updated_at are the row's; the same here)
        f"{kind}_created_at": ("time", created_at),
        f"{kind}_updated_at": ("time", updated_at),
        "started_at": ("time", _closure_time("started_at")),
        "duration": ("duration", lambda r: _secs_or_none(r.proto.closure)),
        "error_kind": ("str", lambda r: _error_field(r.proto.closure, "kind")),
        "error_code": ("str", lambda r: _error_field(r.proto.closure, "code")),
    }


def _cache_status(r: Any) -> str | None:
    """A node record's cache status name (None when its task node has no catalog key)."""
    c = r.proto.closure
    if c.WhichOneof("target_metadata") != "task_node_metadata" or not c.task_node_metadata.HasField("catalog_key"):
        return None
    from flyteidl.core import catalog_pb2

    return catalog_pb2.CatalogCacheStatus.Name(c.task_node_metadata.cache_status)  # type: ignore[no-any-return]


NODE_FIELDS: FieldTable = {
    **_common_fields("node_execution", NodePhase),
    "node_id": ("str", lambda r: r.proto.id.node_id),
    "parent_id": ("str", lambda r: r.parent or None),
    "cache_status": ("str", _cache_status),
    "spec_node_id": ("str", lambda r: r.proto.metadata.spec_node_id),
    "retry_group": ("str", lambda r: r.proto.metadata.retry_group),
}
TASK_FIELDS: FieldTable = {
    **_common_fields("task_execution", TaskPhase),
    "retry_attempt": ("int", lambda r: int(r.proto.id.retry_attempt)),
    "project": ("str", lambda r: r.proto.id.task_id.project),
    "domain": ("str", lambda r: r.proto.id.task_id.domain),
    "name": ("str", lambda r: r.proto.id.task_id.name),
    "version": ("str", lambda r: r.proto.id.task_id.version),
}
EXECUTION_FIELDS: FieldTable = {
    **_common_fields("execution", WorkflowPhase),
    "project": ("str", lambda r: r.proto.id.project),
    "domain": ("str", lambda r: r.proto.id.domain),
    "name": ("str", lambda r: r.proto.id.name),
    "mode": ("int", lambda r: int(r.proto.spec.metadata.mode)),
    "launch_plan_name": ("str", lambda r: r.proto.spec.launch_plan.name),
    "workflow_name": ("str", lambda r: r.proto.closure.workflow_id.name),
}
SIGNAL_FIELDS: FieldTable = {
    "signal_id": ("str", lambda s: s.id.signal_id),
}
