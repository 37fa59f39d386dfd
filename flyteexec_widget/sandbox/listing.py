"""FlyteAdmin's listing language, as the sandbox answers its List* requests: page tokens, filters, sort keys and
the columns each entity can be filtered and sorted by.

- Page tokens (:func:`parse_token`, :func:`paginate`): the token is the offset as a decimal string ("" is 0).
- Filters (:func:`parse_filters`): expressions ``fn(field,value)`` joined by ``+``, the values of ``value_in`` /
  ``value_not_in`` separated by ``;``; the functions and their SQL meaning are flyteadmin's
  (flyteorg/flyte master: ``flyteadmin/pkg/common/filters.go``), the parsing follows
  ``flyteadmin/pkg/manager/impl/util/filters.go``: a field is a database column of the entity's gorm model
  (``flyteadmin/pkg/repositories/models/*.go``), anything else is INVALID_ARGUMENT; ``entity.column`` names a
  column of a joined entity where flyteadmin allows the join (``execution.phase`` on node executions). Values:
  RFC 3339 timestamps, durations in seconds. Applied in memory with SQL's semantics: a NULL column matches no
  comparison, ``contains`` is ``LIKE %value%``. flyteadmin hands a timestamp filter's value to SQL as the text it
  received (its ``timestampFields`` are CamelCase, the filter fields snake_case): Postgres compares it as a
  timestamp; a SQLite-backed admin compares it with the stored text ``2006-01-02 15:04:05.999999999+00:00``, which
  ``text_times=True`` imitates.
- Sorting (:func:`select`): the key must be a column (an empty key is INVALID_ARGUMENT,
  ``flyteadmin/pkg/common/sorting.go``); descending unless asked otherwise, NULLs first descending and last
  ascending (Postgres), ties in creation order. Without ``sort_by`` flyteadmin adds no ORDER BY, so the order is
  the database's: the sandbox answers in primary-key order (what an index scan returns), which is not creation
  order (``n10`` comes before ``n2``). A client must ask for the order it needs.
- Column tables (:data:`NODE`, :data:`TASK`, :data:`EXECUTION`, :data:`SIGNAL`): the columns of each entity and
  how to read them off a store record. ``created_at``/``updated_at`` are the row's write times on the admin's
  clock; the event times are the ``<entity>_created_at``/``<entity>_updated_at`` columns.

Everything here is pure: it knows records only through the getters of a column table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import grpc
from flyteidl.admin import common_pb2
from flyteidl.core import catalog_pb2, identifier_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from ..objects.phases import NodePhase, TaskPhase, WorkflowPhase
from .errors import StoreError

_DESCENDING = 0  # admin.Sort.Direction.DESCENDING, the proto default
_ASCENDING = 1

FILTER_FUNCTIONS = ("eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_like", "value_in", "value_not_in")
_EXPR_RE = re.compile(r"^\s*(\w+)\(([\w.]+),(.*)\)\s*$", re.DOTALL)

R = TypeVar("R")
Getter = Callable[[Any], Any]
#: column name -> (value kind, getter). Kinds: "str", "int", "time" (ns since the epoch), "duration" (seconds),
#: "phase" (enum name), "unsupported" (a column flyteadmin has and the sandbox keeps no value for: binary blobs,
#: ids of rows it does not keep).
FieldTable = dict[str, tuple[str, Getter]]

#: Every entity prefix flyteadmin's filter parser knows (``filterFieldEntityPrefix`` in util/filters.go).
ENTITY_PREFIXES = (
    "task",
    "workflow",
    "launch_plan",
    "execution",
    "node_execution",
    "task_execution",
    "entities",
    "named_entity_metadata",
    "project",
    "signal",
    "admin_tag",
    "execution_tag",
)


@dataclass(frozen=True)
class Columns:
    """One entity's columns, and the other entities a filter of its listing may name (flyteadmin's
    ``allowedJoinEntities``; the entity itself is always allowed)."""

    entity: str
    fields: FieldTable
    joinable: tuple[str, ...] = field(default=())

    def allows(self, entity: str) -> bool:
        """Whether a filter of this entity's listing may name ``entity``'s columns."""
        return entity == self.entity or entity in self.joinable


#: How a joined entity's record is reached from a listed record: entity name -> getter (None: no such row).
Joins = Mapping[str, Getter]

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


def check_limit(limit: int) -> None:
    """flyteadmin's ValidateLimit, checked before anything else of a list request."""
    if limit <= 0:
        raise StoreError(grpc.StatusCode.INVALID_ARGUMENT, "limit must be greater than 0")


def paginate(items: Sequence[R], limit: int, token: str) -> tuple[list[R], str]:
    """One page and the next token: ``str(offset + n)`` only when the page is full (so a full last page is
    followed by one empty page), "" otherwise."""
    check_limit(limit)
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


def _split_field(name: str, primary: str) -> tuple[str, str]:
    """flyteadmin parseField: ``entity.column`` -> (entity, column) for a known entity prefix, else the primary
    entity and the name as is."""
    for prefix in ENTITY_PREFIXES:
        if name.startswith(prefix + "."):
            return prefix, name[len(prefix) + 1 :]
    return primary, name


def _unsupported(what: str) -> StoreError:
    return StoreError(grpc.StatusCode.UNIMPLEMENTED, f"{what}: FlyteAdmin accepts it, the sandbox does not model it")


def _column(columns: Columns, name: str, joins: Joins | None) -> tuple[str, Getter]:
    """The kind and getter a filter field names, checked as flyteadmin's ParseFilters does."""
    entity, column = _split_field(name, columns.entity)
    if not columns.allows(entity):
        allowed = ", ".join(sorted((columns.entity, *columns.joinable)))
        raise StoreError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"'{entity}' entity is not allowed in filters of {columns.entity} listings (allowed: {allowed})",
        )
    table = columns if entity == columns.entity else TABLES.get(entity)
    if table is None:
        raise _unsupported(f"filter field {name!r} joins {entity} rows")
    if column not in table.fields:
        raise StoreError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"'{entity}.{column}' is invalid filter: FlyteAdmin filters on database columns only; "
            f"{entity} columns: {', '.join(sorted(table.fields))}",
        )
    kind, get = table.fields[column]
    if kind == "unsupported":
        raise _unsupported(f"filter field {name!r}")
    if entity != columns.entity:
        via = (joins or {}).get(entity)
        if via is None:
            raise _unsupported(f"filter field {name!r} joins {entity} rows")
        get = _through(via, get)
    return kind, get


def _through(via: Getter, get: Getter) -> Getter:
    """``get`` applied to the joined row ``via`` reaches (NULL when there is none, as in SQL)."""
    return lambda r: None if (joined := via(r)) is None else get(joined)


def sqlite_time_text(ns: int) -> str:
    """How a SQLite-backed FlyteAdmin stores a UTC timestamp (go-sqlite3's ``2006-01-02 15:04:05.999999999-07:00``,
    trailing fraction zeros dropped)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    base = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}{'.' + digits if digits else ''}+00:00"


def parse_filters(
    filters: str, columns: Columns, joins: Joins | None = None, *, text_times: bool = False
) -> list[Predicate]:
    """Parse flyteadmin filter expressions ``fn(field,value)`` joined by ``+`` into predicates over records of
    ``columns``' entity; ``joins`` reach the rows of joined entities (``execution.phase``). ``text_times``: compare
    timestamp columns as SQLite does, the stored text against the value's text."""
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
        kind, get = _column(columns, name, joins)
        if text_times and kind == "time":
            kind, get, raw = "str", _as_text(get), raw.strip()
        if fn not in FILTER_FUNCTIONS:
            raise StoreError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"unrecognized filter function {fn!r}; valid: {', '.join(FILTER_FUNCTIONS)}",
            )
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
    columns: Columns,
    filters: str,
    sort_by: common_pb2.Sort | None,
    *,
    joins: Joins | None = None,
    natural: Callable[[R], Any] | None = None,
    text_times: bool = False,
) -> list[R]:
    """Filter then sort ``records`` (given in creation order). Without ``sort_by`` the order is the database's:
    ``natural`` (the primary key) when given, else creation order. ``text_times``: see :func:`parse_filters`."""
    preds = parse_filters(filters, columns, joins, text_times=text_times)
    out = [r for r in records if all(p(r) for p in preds)]
    if sort_by is None:
        return sorted(out, key=natural) if natural is not None else out
    # flyteadmin's NewSortParameter: a present Sort must name a column (an empty key too is INVALID_ARGUMENT).
    key = sort_by.key
    if key not in columns.fields:
        raise StoreError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"invalid sort key {key!r}; {columns.entity} columns: {', '.join(sorted(columns.fields))}",
        )
    kind, get = columns.fields[key]
    if kind == "unsupported":
        raise _unsupported(f"sort key {key!r}")
    if sort_by.direction not in (_DESCENDING, _ASCENDING):
        raise StoreError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid sort order specified: {int(sort_by.direction)}")
    descending = sort_by.direction == _DESCENDING
    # Ties are broken by creation order (reversed too when descending), so the newest comes first.
    keyed = [(get(r), i, r) for i, r in enumerate(out)]
    present = [t for t in keyed if t[0] is not None]
    missing = [t[2] for t in keyed if t[0] is None]
    present.sort(key=lambda t: (t[0], t[1]), reverse=descending)
    ordered = [t[2] for t in present]
    # Postgres puts NULLs last ascending, first descending.
    return missing + ordered if descending else ordered + missing


# ---------------------------------------------------------------------------------------------------------------
# column tables


def _time_or_none(msg: Any, name: str) -> int | None:
    """A timestamp field as nanoseconds since the epoch (None when unset): integer arithmetic, because filtering
    and sorting touch every node of an execution on every listed page (``ToDatetime`` made listing a
    10,000-node execution cost seconds)."""
    if not msg.HasField(name):
        return None
    ts = getattr(msg, name)
    return ts.seconds * 1_000_000_000 + ts.nanos  # type: ignore[no-any-return]


def _duration(msg: Any) -> float:
    # A time.Duration column, not a pointer: 0 (not NULL) until the terminal event sets it.
    return msg.duration.ToTimedelta().total_seconds() if msg.HasField("duration") else 0.0


def _error_field(closure: Any, name: str) -> str | None:
    if closure.WhichOneof("output_result") != "error":
        return None
    if name == "kind":
        return core_execution_pb2.ExecutionError.ErrorKind.Name(closure.error.kind)  # type: ignore[no-any-return]
    return closure.error.code  # type: ignore[no-any-return]


def _closure_time(name: str) -> Getter:
    return lambda r: _time_or_none(r.proto.closure, name)


_UNSUPPORTED: tuple[str, Getter] = ("unsupported", lambda r: None)


def _row_fields() -> FieldTable:
    """flyteadmin's BaseModel columns (``models/base_model.go``): the row id and the row's write times on the
    admin's clock (gorm sets them on insert and on every update), never an event's time."""
    return {
        "id": ("int", lambda r: r.seq),
        "created_at": ("time", lambda r: r.created_ns),
        "updated_at": ("time", lambda r: r.updated_ns),
        "deleted_at": ("time", lambda r: None),
    }


def _closure_fields(kind: str, phase_enum: Any) -> FieldTable:
    """The columns promoted from the closure: phase, started_at, duration and the event times."""
    return {
        "phase": ("phase", lambda r: phase_enum(r.proto.closure.phase).name),
        "closure": _UNSUPPORTED,
        "started_at": ("time", _closure_time("started_at")),
        "duration": ("duration", lambda r: _duration(r.proto.closure)),
        # The event times (reported_at, else occurred_at), as in closure.created_at / closure.updated_at.
        f"{kind}_created_at": ("time", _closure_time("created_at")),
        f"{kind}_updated_at": ("time", _closure_time("updated_at")),
    }


def _execution_key_fields(get_id: Getter) -> FieldTable:
    """models.ExecutionKey: the execution id columns are named ``execution_project`` etc."""
    return {
        "execution_project": ("str", lambda r: get_id(r).project),
        "execution_domain": ("str", lambda r: get_id(r).domain),
        "execution_name": ("str", lambda r: get_id(r).name),
    }


def _error_fields() -> FieldTable:
    return {
        "error_kind": ("str", lambda r: _error_field(r.proto.closure, "kind")),
        "error_code": ("str", lambda r: _error_field(r.proto.closure, "code")),
    }


def _cache_status(r: Any) -> str | None:
    """A node record's cache status name (None when its task node has no catalog key)."""
    c = r.proto.closure
    if c.WhichOneof("target_metadata") != "task_node_metadata" or not c.task_node_metadata.HasField("catalog_key"):
        return None
    return catalog_pb2.CatalogCacheStatus.Name(c.task_node_metadata.cache_status)  # type: ignore[no-any-return]


def _abort_cause(r: Any) -> str:
    c = r.proto.closure
    return c.abort_metadata.cause if c.HasField("abort_metadata") else c.abort_cause  # type: ignore[no-any-return]


def _launch_entity(r: Any) -> str:
    return "task" if r.proto.spec.launch_plan.resource_type == identifier_pb2.TASK else "launch_plan"


#: models.NodeExecution. ``parent_id`` is the parent row's numeric id (not a node id); ``spec_node_id`` and
#: ``retry_group`` live in the metadata blob and are no columns.
NODE = Columns(
    "node_execution",
    {
        **_row_fields(),
        **_execution_key_fields(lambda r: r.proto.id.execution_id),
        "node_id": ("str", lambda r: r.proto.id.node_id),
        "input_uri": ("str", lambda r: r.proto.input_uri),
        **_closure_fields("node_execution", NodePhase),
        "node_execution_metadata": _UNSUPPORTED,
        "parent_id": ("int", lambda r: r.parent_row),
        "parent_task_execution_id": ("int", lambda r: r.parent_task_row),
        **_error_fields(),
        "cache_status": ("str", _cache_status),
        "dynamic_workflow_remote_closure_reference": ("str", lambda r: r.dynamic_ref),
        "internal_data": _UNSUPPORTED,
    },
    joinable=("execution",),
)
#: models.TaskExecution. flyteadmin renames ``project``/``domain``/``name`` of a task execution filter to the
#: execution's columns (``customizeField`` in ``pkg/common/filters.go``); ``version`` is the task's.
TASK = Columns(
    "task_execution",
    {
        **_row_fields(),
        "project": ("str", lambda r: r.proto.id.node_execution_id.execution_id.project),
        "domain": ("str", lambda r: r.proto.id.node_execution_id.execution_id.domain),
        "name": ("str", lambda r: r.proto.id.node_execution_id.execution_id.name),
        "version": ("str", lambda r: r.proto.id.task_id.version),
        **_execution_key_fields(lambda r: r.proto.id.node_execution_id.execution_id),
        "node_id": ("str", lambda r: r.proto.id.node_execution_id.node_id),
        "retry_attempt": ("int", lambda r: int(r.proto.id.retry_attempt)),
        "phase_version": ("int", lambda r: r.phase_version),
        "input_uri": ("str", lambda r: r.proto.input_uri),
        **_closure_fields("task_execution", TaskPhase),
    },
    joinable=("task", "execution", "node_execution"),
)
#: models.Execution (the execution id columns are ``execution_project`` etc.; ``name`` is no column).
EXECUTION = Columns(
    "execution",
    {
        **_row_fields(),
        **_execution_key_fields(lambda r: r.proto.id),
        "launch_plan_id": _UNSUPPORTED,
        "workflow_id": _UNSUPPORTED,
        "task_id": _UNSUPPORTED,
        **_closure_fields("execution", WorkflowPhase),
        "spec": _UNSUPPORTED,
        "abort_cause": ("str", _abort_cause),
        "mode": ("int", lambda r: int(r.proto.spec.metadata.mode)),
        "source_execution_id": _UNSUPPORTED,
        "parent_node_execution_id": _UNSUPPORTED,
        "cluster": _UNSUPPORTED,
        "inputs_uri": _UNSUPPORTED,
        "user_inputs_uri": _UNSUPPORTED,
        **_error_fields(),
        "user": ("str", lambda r: r.proto.spec.metadata.principal),
        "state": ("int", lambda r: int(r.proto.closure.state_change_details.state)),
        "launch_entity": ("str", _launch_entity),
    },
    joinable=("launch_plan", "workflow", "task", "admin_tag", "execution_tag"),
)
#: models.Signal (records are the Signal protos themselves).
SIGNAL = Columns(
    "signal",
    {
        "id": _UNSUPPORTED,
        "created_at": _UNSUPPORTED,
        "updated_at": _UNSUPPORTED,
        "deleted_at": _UNSUPPORTED,
        **_execution_key_fields(lambda s: s.id.execution_id),
        "signal_id": ("str", lambda s: s.id.signal_id),
        "type": _UNSUPPORTED,
        "value": _UNSUPPORTED,
    },
)


def _entity_key_fields() -> FieldTable:
    """The key columns of a registered entity (``LaunchPlanKey``/``WorkflowKey``: project, domain, name, version),
    read off its ``Identifier`` (the joined record of an execution listing is the identifier it names)."""
    return {
        "project": ("str", lambda i: i.project),
        "domain": ("str", lambda i: i.domain),
        "name": ("str", lambda i: i.name),
        "version": ("str", lambda i: i.version),
    }


#: models.LaunchPlan (``repositories/models/launch_plan.go``), as an execution listing joins it
#: (``INNER JOIN launch_plans ON executions.launch_plan_id = launch_plans.id``, ``gormimpl/execution_repo.go``):
#: its key columns; the blobs and the row ids are columns the sandbox keeps no value for.
LAUNCH_PLAN = Columns(
    "launch_plan",
    {
        "id": _UNSUPPORTED,
        "created_at": _UNSUPPORTED,
        "updated_at": _UNSUPPORTED,
        "deleted_at": _UNSUPPORTED,
        **_entity_key_fields(),
        "spec": _UNSUPPORTED,
        "workflow_id": _UNSUPPORTED,
        "closure": _UNSUPPORTED,
        "state": _UNSUPPORTED,
        "digest": _UNSUPPORTED,
        "schedule_type": _UNSUPPORTED,
        "launch_condition_type": _UNSUPPORTED,
    },
)
#: models.Workflow (``repositories/models/workflow.go``), joined on ``executions.workflow_id = workflows.id``.
WORKFLOW = Columns(
    "workflow",
    {
        "id": _UNSUPPORTED,
        "created_at": _UNSUPPORTED,
        "updated_at": _UNSUPPORTED,
        "deleted_at": _UNSUPPORTED,
        **_entity_key_fields(),
        "typed_interface": _UNSUPPORTED,
        "remote_closure_identifier": _UNSUPPORTED,
        "digest": _UNSUPPORTED,
        "short_description": _UNSUPPORTED,
    },
)


def execution_joins() -> dict[str, Getter]:
    """How an execution record reaches the launch plan and workflow rows an execution listing joins: the
    identifiers its spec and closure name (an INNER JOIN: an execution of a task has no launch plan row here)."""

    def launch_plan(r: Any) -> Any:
        lp = r.proto.spec.launch_plan
        return lp if lp.resource_type == identifier_pb2.LAUNCH_PLAN and lp.name else None

    def workflow(r: Any) -> Any:
        wf = r.proto.closure.workflow_id
        return wf if wf.name else None

    return {"launch_plan": launch_plan, "workflow": workflow}


#: The entities the sandbox keeps rows of, by flyteadmin's entity name.
TABLES: dict[str, Columns] = {c.entity: c for c in (NODE, TASK, EXECUTION, SIGNAL, LAUNCH_PLAN, WORKFLOW)}
