"""The sandbox store without a server: listing rules (listing.py), merge rules (transformers.py), the store's
projection and SQLite persistence."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_exec
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.event import event_pb2 as ev
from google.protobuf import json_format, struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from flyteexec_widget.objects.phases import NodePhase, TaskPhase
from flyteexec_widget.sandbox.errors import StoreError
from flyteexec_widget.sandbox.listing import (
    EXECUTION,
    NODE,
    TASK,
    Columns,
    datetime_ns,
    paginate,
    parse_filters,
    select,
)
from flyteexec_widget.sandbox.store import ExecutionRecord, NodeRecord, Store, TaskRecord
from flyteexec_widget.sandbox.transformers import (
    filter_logs_by_phase,
    merge_custom,
    merge_external_resources,
    merge_logs,
    merge_metadata,
    merge_reasons,
    trim_error_message,
)

WF = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n")


def code(fn: Any, *args: Any, **kw: Any) -> grpc.StatusCode:
    with pytest.raises(StoreError) as info:
        fn(*args, **kw)
    return info.value.code


# -- paging ---------------------------------------------------------------------------------------------------


def test_paginate_full_last_page_is_followed_by_an_empty_page() -> None:
    items = list(range(6))
    assert paginate(items, 3, "") == ([0, 1, 2], "3")
    assert paginate(items, 3, "3") == ([3, 4, 5], "6")
    assert paginate(items, 3, "6") == ([], "")
    assert paginate(items, 4, "4") == ([4, 5], "")


@pytest.mark.parametrize(("limit", "token"), [(0, ""), (3, "x"), (3, "-2"), (3, "1.5")])
def test_paginate_rejects_limit_zero_and_bad_tokens(limit: int, token: str) -> None:
    assert code(paginate, [1, 2], limit, token) == grpc.StatusCode.INVALID_ARGUMENT


# -- filters and sorting --------------------------------------------------------------------------------------

TABLE = Columns(
    "row",
    {
        "phase": ("phase", lambda r: r["phase"]),
        "n": ("int", lambda r: r["n"]),
        "at": ("time", lambda r: None if r["at"] is None else datetime_ns(r["at"])),  # time fields are ns
        "blob": ("unsupported", lambda r: None),
    },
)
ROWS = [
    {"phase": "RUNNING", "n": 1, "at": datetime(2026, 1, 1, tzinfo=timezone.utc)},
    {"phase": "QUEUED", "n": 3, "at": None},
    {"phase": "SUCCEEDED", "n": 2, "at": datetime(2026, 1, 3, tzinfo=timezone.utc)},
]


def ns(filters: str = "", sort: common_pb2.Sort | None = None) -> list[int]:
    return [int(r["n"]) for r in select(ROWS, TABLE, filters, sort)]  # type: ignore[call-overload]


def test_filter_functions() -> None:
    assert ns("eq(phase,RUNNING)") == [1]
    assert ns("ne(phase,RUNNING)") == [3, 2]
    assert ns("gt(n,1)+lt(n,3)") == [2]
    assert ns("gte(n,2)") == [3, 2]
    assert ns("lte(n,2)") == [1, 2]
    assert ns("contains(phase,UN)") == [1]
    assert ns("not_like(phase,RUNNING)") == [3, 2]  # NOT LIKE value: no implicit wildcards
    assert ns("not_like(phase,%UN%)") == [3, 2]
    assert ns("not_like(phase,UN)") == [1, 3, 2]
    assert ns("contains(phase,_UEUE_)") == [3]  # LIKE wildcards inside the value
    assert ns("value_in(phase,RUNNING;QUEUED)") == [1, 3]
    assert ns("value_not_in(phase,RUNNING;QUEUED)") == [2]
    assert ns("gt(at,2026-01-02T00:00:00Z)") == [2]  # NULL never matches
    assert ns("gte(at,2026-01-03T00:00:00.000000000Z)") == [2]  # fractions of any length
    assert ns("lt(at,2026-01-01T00:00:00.5Z)") == [1]
    assert ns("") == [1, 3, 2]


@pytest.mark.parametrize(
    "bad",
    [
        "regex(phase,R)",
        "eq(nope,1)",
        "eq(n,x)",
        "gt(at,yesterday)",
        "eq phase RUNNING",
        "gt(at,2026-01-01T00:00:00+00:00)",
    ],
)
def test_bad_filters_are_invalid_argument(bad: str) -> None:
    assert code(parse_filters, bad, TABLE) == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_filter_field_and_function_are_named_in_the_error() -> None:
    with pytest.raises(StoreError) as info:
        parse_filters("eq(phase,RUNNING)+eq(nope,1)", TABLE)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.message == (
        "'row.nope' is invalid filter: FlyteAdmin filters on database columns only; row columns: at, blob, n, phase"
    )
    with pytest.raises(StoreError) as info:
        parse_filters("regex(phase,R)", TABLE)
    assert "'regex'" in info.value.message


@pytest.mark.parametrize(
    ("table", "record"),
    [
        (EXECUTION, ExecutionRecord(execution_pb2.Execution(), literals_pb2.LiteralMap())),
        (NODE, NodeRecord(node_execution_pb2.NodeExecution())),
        (TASK, TaskRecord(task_execution_pb2.TaskExecution())),
    ],
)
def test_entity_tables_tell_the_rows_write_times_from_the_event_times(table: Columns, record: Any) -> None:
    kind = table.entity
    c = record.proto.closure
    c.phase = 2  # RUNNING in the three phase enums
    c.created_at.CopyFrom(ts(0))
    c.updated_at.CopyFrom(ts(5))
    c.started_at.CopyFrom(ts(1))
    c.duration.FromSeconds(4)
    record.created_ns = datetime_ns(datetime(2026, 1, 2, tzinfo=timezone.utc))  # the admin wrote the row later
    record.updated_ns = datetime_ns(datetime(2026, 1, 3, tzinfo=timezone.utc))
    created, updated = "2026-01-01T12:00:00Z", "2026-01-01T12:00:05Z"

    def matches(filters: str) -> bool:
        return select([record], table, filters, None) == [record]

    # created_at / updated_at: the row's write times (gorm's), on the admin's clock
    assert matches("eq(phase,RUNNING)+eq(created_at,2026-01-02T00:00:00Z)+eq(updated_at,2026-01-03T00:00:00Z)")
    assert not matches(f"eq(created_at,{created})")
    # <entity>_created_at / _updated_at: the event times the closure carries
    assert matches(f"eq({kind}_created_at,{created})+eq({kind}_updated_at,{updated})")
    assert not matches(f"gt({kind}_created_at,{created})")
    assert matches("gt(started_at,2026-01-01T12:00:00Z)+eq(duration,4)")
    if kind != "task_execution":  # task executions have no error columns
        assert not matches("eq(error_kind,USER)")  # no error: NULL matches nothing
        c.error.kind = core_exec.ExecutionError.SYSTEM
        c.error.code = "Boom"
        assert matches("eq(error_kind,SYSTEM)+eq(error_code,Boom)")
    else:
        assert code(select, [record], table, "eq(error_kind,USER)", None) == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("table", "field"),
    [
        (NODE, "spec_node_id"),
        (NODE, "retry_group"),
        (NODE, "is_parent_node"),
        (NODE, "project"),  # the column is execution_project
        (NODE, "parent"),
        (TASK, "task_type"),
        (TASK, "error_code"),
        (EXECUTION, "name"),  # the column is execution_name
        (EXECUTION, "workflow_name"),  # a join: workflow.name
        (NODE, "node_execution.spec_node_id"),
        (NODE, "execution.name"),
        (NODE, "no.such_entity"),
    ],
)
def test_filters_on_anything_but_a_column_are_invalid_argument(table: Columns, field: str) -> None:
    """flyteadmin's ParseFilters checks the field against the gorm model's columns (util/filters.go)."""
    with pytest.raises(StoreError) as info:
        parse_filters(f"eq({field},x)", table)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid filter" in info.value.message


def test_join_prefixes_follow_flyteadmins_allowed_joins() -> None:
    node = NodeRecord(node_execution_pb2.NodeExecution())
    node.proto.closure.phase = NodePhase.RUNNING
    execution = ExecutionRecord(execution_pb2.Execution(), literals_pb2.LiteralMap())
    execution.proto.closure.phase = 4  # SUCCEEDED
    joins = {"execution": lambda r: execution}
    assert select([node], NODE, "eq(execution.phase,SUCCEEDED)+eq(node_execution.phase,RUNNING)", None, joins=joins)
    assert not select([node], NODE, "eq(execution.phase,RUNNING)", None, joins=joins)
    # an entity flyteadmin does not join to node executions
    with pytest.raises(StoreError) as info:
        parse_filters("eq(signal.signal_id,x)", NODE)
    assert (info.value.code, "'signal' entity is not allowed" in info.value.message) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        True,
    )
    # allowed by flyteadmin, but a row the sandbox keeps no columns of: said so, not silently ignored
    assert code(parse_filters, "eq(task.type,python)", TASK) == grpc.StatusCode.UNIMPLEMENTED
    assert code(parse_filters, "eq(closure,x)", NODE) == grpc.StatusCode.UNIMPLEMENTED


def test_sorting_default_direction_is_descending_and_nulls_go_first_descending() -> None:
    assert ns(sort=common_pb2.Sort(key="n")) == [3, 2, 1]
    assert ns(sort=common_pb2.Sort(key="n", direction=common_pb2.Sort.ASCENDING)) == [1, 2, 3]
    assert ns(sort=common_pb2.Sort(key="at")) == [3, 2, 1]  # NULL first when descending (Postgres)
    assert ns(sort=common_pb2.Sort(key="at", direction=common_pb2.Sort.ASCENDING)) == [1, 2, 3]
    assert code(select, ROWS, TABLE, "", common_pb2.Sort(key="zzz")) == grpc.StatusCode.INVALID_ARGUMENT
    # a Sort with an empty key is no "default order" but INVALID_ARGUMENT (common/sorting.go)
    assert code(select, ROWS, TABLE, "", common_pb2.Sort()) == grpc.StatusCode.INVALID_ARGUMENT
    assert code(select, ROWS, TABLE, "", common_pb2.Sort(key="n", direction=7)) == grpc.StatusCode.INVALID_ARGUMENT
    assert code(select, ROWS, TABLE, "", common_pb2.Sort(key="blob")) == grpc.StatusCode.UNIMPLEMENTED


def test_without_sort_by_the_order_is_the_natural_one() -> None:
    assert ns() == [1, 3, 2]  # creation order
    assert [r["n"] for r in select(ROWS, TABLE, "", None, natural=lambda r: -r["n"])] == [3, 2, 1]


# -- merge rules ----------------------------------------------------------------------------------------------


def test_trim_error_message_keeps_100_bytes_of_valid_utf8() -> None:
    assert trim_error_message("short") == "short"
    assert trim_error_message("a" * 100) == "a" * 100
    assert trim_error_message("a" * 99 + "éé") == "a" * 99
    assert len(trim_error_message("€" * 50).encode()) == 99


def log(name: str, uri: str, **kw: Any) -> core_exec.TaskLog:
    return core_exec.TaskLog(name=name, uri=uri, **kw)


def test_merge_logs_latest_win_by_uri_or_name() -> None:
    existing = [log("a", "u1"), log("b", "u2"), log("c", "u3")]
    latest = [log("a", "u9"), log("x", "u2")]
    assert [(x.name, x.uri) for x in merge_logs(existing, latest)] == [("a", "u9"), ("x", "u2"), ("c", "u3")]
    assert merge_logs(existing, []) == existing


def test_filter_logs_by_phase() -> None:
    logs = [log("pending", "1", ShowWhilePending=True), log("plain", "2"), log("live", "3", HideOnceFinished=True)]
    assert [x.name for x in filter_logs_by_phase(logs, TaskPhase.QUEUED)] == ["pending"]
    assert [x.name for x in filter_logs_by_phase(logs, TaskPhase.RUNNING)] == ["pending", "plain", "live"]
    assert [x.name for x in filter_logs_by_phase(logs, TaskPhase.SUCCEEDED)] == ["pending", "plain"]


def test_merge_external_resources_by_index_and_retry_sorted() -> None:
    def r(i: int, a: int, phase: int, **kw: Any) -> ev.ExternalResourceInfo:
        return ev.ExternalResourceInfo(index=i, retry_attempt=a, phase=phase, **kw)

    merged = merge_external_resources(
        [r(0, 0, TaskPhase.RUNNING, cache_status=2, external_id="x")],
        [r(1, 0, TaskPhase.RUNNING), r(0, 0, TaskPhase.SUCCEEDED), r(0, 1, TaskPhase.QUEUED)],
    )
    assert [(m.index, m.retry_attempt, m.phase) for m in merged] == [
        (0, 0, TaskPhase.SUCCEEDED),
        (0, 1, TaskPhase.QUEUED),
        (1, 0, TaskPhase.RUNNING),
    ]
    assert (merged[0].cache_status, merged[0].external_id) == (2, "x")  # not overwritten by defaults


def test_merge_external_resources_overwrites_a_subtasks_custom_info() -> None:
    """mergeExternalResource replaces ``custom_info`` whole when the event has one (task_execution.go)."""

    def r(phase: int, custom: dict[str, Any] | None = None) -> ev.ExternalResourceInfo:
        info = ev.ExternalResourceInfo(index=0, phase=phase)
        if custom is not None:
            info.custom_info.update(custom)
        return info

    (first,) = merge_external_resources([r(TaskPhase.QUEUED, {"pod": "p0", "node": "k1"})], [r(TaskPhase.RUNNING)])
    assert json_format.MessageToDict(first.custom_info) == {"pod": "p0", "node": "k1"}  # none sent: kept
    (second,) = merge_external_resources([first], [r(TaskPhase.SUCCEEDED, {"pod": "p1"})])
    assert json_format.MessageToDict(second.custom_info) == {"pod": "p1"}  # replaced, not merged


def test_merge_custom_info_is_a_json_merge_patch() -> None:
    old, new = struct_pb2.Struct(), struct_pb2.Struct()
    old.update({"a": 1, "keep": {"x": 1, "y": 2}})
    new.update({"a": 2, "keep": {"y": None}, "b": "n"})
    assert json_format.MessageToDict(merge_custom(old, new)) == {"a": 2, "keep": {"x": 1}, "b": "n"}


def test_merge_metadata_overwrites_only_what_the_event_sets() -> None:
    closure = task_execution_pb2.TaskExecutionClosure()
    first = ev.TaskExecutionMetadata(
        generated_name="g1",
        plugin_identifier="k8s-array",
        instance_class=ev.TaskExecutionMetadata.INTERRUPTIBLE,
        resource_pool_info=[ev.ResourcePoolInfo(namespace="a")],
        external_resources=[ev.ExternalResourceInfo(index=1), ev.ExternalResourceInfo(index=0)],
    )
    merge_metadata(closure, first)  # no metadata yet: taken whole
    assert closure.metadata == first
    merge_metadata(
        closure,
        ev.TaskExecutionMetadata(
            resource_pool_info=[ev.ResourcePoolInfo(namespace="b")],
            external_resources=[ev.ExternalResourceInfo(index=2)],
        ),
    )
    md = closure.metadata
    assert (md.generated_name, md.plugin_identifier) == ("g1", "k8s-array")  # empty strings do not overwrite
    assert md.instance_class == ev.TaskExecutionMetadata.INTERRUPTIBLE  # DEFAULT does not overwrite
    assert [p.namespace for p in md.resource_pool_info] == ["b"]  # replaced
    assert [r.index for r in md.external_resources] == [0, 1, 2]  # merged, sorted


def test_merge_reasons() -> None:
    def reason(t: int, text: str) -> ev.EventReason:
        return ev.EventReason(reason=text, occurred_at=ts(t))

    closure = task_execution_pb2.TaskExecutionClosure()
    merge_reasons(closure, ev.TaskExecutionEvent(reasons=[reason(0, "queued"), reason(1, "pulling")]))
    merge_reasons(closure, ev.TaskExecutionEvent(reason="pulling", occurred_at=ts(2)))  # same as current: no entry
    merge_reasons(closure, ev.TaskExecutionEvent(reason="running", occurred_at=ts(3)))
    merge_reasons(closure, ev.TaskExecutionEvent())  # nothing to add
    assert [(r.message, r.occurred_at.seconds - ts(0).seconds) for r in closure.reasons] == [
        ("queued", 0),
        ("pulling", 1),
        ("running", 3),
    ]
    assert closure.reason == "running"
    fresh = task_execution_pb2.TaskExecutionClosure()
    merge_reasons(fresh, ev.TaskExecutionEvent(reason="queued", occurred_at=ts(0)))  # a first event's lone reason
    assert ([r.message for r in fresh.reasons], fresh.reason) == (["queued"], "queued")


# -- the store ------------------------------------------------------------------------------------------------


def ts(s: int) -> Timestamp:
    return Timestamp(seconds=1_767_268_800 + s)


def node_ev(node_id: str, phase: int, t: int, **kw: Any) -> ev.NodeExecutionEvent:
    nid = identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=WF)
    return ev.NodeExecutionEvent(id=nid, phase=phase, occurred_at=ts(t), **kw)


def new_store(path: str | None = None) -> Store:
    store = Store(path, now=lambda: datetime(2026, 1, 1, tzinfo=timezone.utc))
    store.create_execution(WF, execution_pb2.ExecutionSpec(), literals_pb2.LiteralMap(), identifier_pb2.Identifier())
    return store


def test_store_projection_and_reload_from_sqlite(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    store = new_store(path)
    store.apply_node_event(node_ev("n0", NodePhase.RUNNING, 0, is_parent=True))
    child = node_ev("n0-0-a", NodePhase.RUNNING, 1, spec_node_id="a")
    child.parent_node_metadata.node_id = "n0"
    store.apply_node_event(child)
    store.apply_node_event(node_ev("n0-0-a", NodePhase.SUCCEEDED, 4))
    store.put_blob("s3://deck", b"<p>deck</p>")
    sid = identifier_pb2.SignalIdentifier(signal_id="s", execution_id=WF)
    store.get_or_create_signal(sid, types_pb2.LiteralType(simple=types_pb2.BOOLEAN))
    store.close()

    again = Store(path)
    assert {r.proto.id.node_id: r.proto.closure.phase for r in again.all_nodes(WF)} == {
        "n0": NodePhase.RUNNING,
        "n0-0-a": NodePhase.SUCCEEDED,
    }
    children, _ = again.list_node_executions(WF, limit=10, token="", unique_parent_id="n0")
    assert [c.id.node_id for c in children] == ["n0-0-a"]
    assert children[0].closure.duration.seconds == 3
    assert again.get_blob("s3://deck") == (b"<p>deck</p>", "text/html")
    signals, _ = again.list_signals(WF, limit=10, token="")
    assert [s.id.signal_id for s in signals] == ["s"]
    with pytest.raises(StoreError) as info:
        again.create_execution(
            WF, execution_pb2.ExecutionSpec(), literals_pb2.LiteralMap(), identifier_pb2.Identifier()
        )
    assert info.value.code == grpc.StatusCode.ALREADY_EXISTS
    again.close()


def test_store_phase_rules() -> None:
    store = new_store()
    store.apply_node_event(node_ev("n0", NodePhase.QUEUED, 0))
    assert code(store.apply_node_event, node_ev("n0", NodePhase.QUEUED, 1)) == grpc.StatusCode.ALREADY_EXISTS
    store.apply_node_event(node_ev("n0", NodePhase.SKIPPED, 1))
    assert code(store.apply_node_event, node_ev("n0", NodePhase.RUNNING, 2)) == grpc.StatusCode.FAILED_PRECONDITION
    assert store.get_node_execution(node_ev("n0", 0, 0).id).closure.phase == NodePhase.SKIPPED


def test_node_listings_follow_every_node_event() -> None:
    # Listings are reused between pages; any node event must make the next listing see the change.
    store = new_store()

    def running() -> list[str]:
        page, _ = store.list_node_executions(WF, limit=10, token="", filters="eq(phase,RUNNING)")
        return [n.id.node_id for n in page]

    store.apply_node_event(node_ev("n0", NodePhase.RUNNING, 0))
    assert running() == ["n0"]
    store.apply_node_event(node_ev("n1", NodePhase.RUNNING, 1))
    assert running() == ["n0", "n1"]
    store.apply_node_event(node_ev("n0", NodePhase.SUCCEEDED, 2))
    assert running() == ["n1"]
    child = node_ev("n1-0-a", NodePhase.RUNNING, 3)
    child.parent_node_metadata.node_id = "n1"
    store.apply_node_event(child)
    page, _ = store.list_node_executions(WF, limit=10, token="", unique_parent_id="n1")
    assert [n.id.node_id for n in page] == ["n1-0-a"]
    assert running() == ["n1"]  # children are not top-level nodes
