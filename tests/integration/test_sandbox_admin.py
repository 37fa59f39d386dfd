"""The sandbox admin over real gRPC: event sequences in, closures out, and FlyteAdmin's listing rules.

Events are sent here by hand (as propeller would, marked internal like the player's), so each projection rule
of flyteadmin-semantics.md is checked on its own.
"""

from __future__ import annotations

import itertools
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import (
    common_pb2,
    event_pb2,
    execution_pb2,
    launch_plan_pb2,
    node_execution_pb2,
    signal_pb2,
    task_execution_pb2,
    workflow_pb2,
)
from flyteidl.core import catalog_pb2, compiler_pb2, identifier_pb2, interface_pb2, literals_pb2, types_pb2
from flyteidl.core import execution_pb2 as core_exec
from flyteidl.event import event_pb2 as ev
from flyteidl.service import admin_pb2_grpc, auth_pb2, auth_pb2_grpc, dataproxy_pb2, dataproxy_pb2_grpc, signal_pb2_grpc
from google.protobuf import struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from flyteexec_widget.objects.phases import NodePhase, WorkflowPhase
from flyteexec_widget.sandbox import Sandbox, knobs
from flyteexec_widget.sandbox.knobs import INTERNAL_METADATA

P, D = "proj", "dev"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
LP_ID = identifier_pb2.Identifier(
    resource_type=identifier_pb2.LAUNCH_PLAN, project=P, domain=D, name="t.lp", version="v1"
)
WF_ID = identifier_pb2.Identifier(resource_type=identifier_pb2.WORKFLOW, project=P, domain=D, name="t.wf", version="v1")
TASK_ID = identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project=P, domain=D, name="t.task", version="v1")
_names = itertools.count()


def ts(seconds: float) -> Timestamp:
    t = Timestamp()
    t.FromDatetime((T0 + timedelta(seconds=seconds)).replace(tzinfo=None))
    return t


def code_of(fn: Any, *args: Any, **kw: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        fn(*args, **kw)
    return info.value.code()


def _int(v: int) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=v)))


def _register(sb: Sandbox) -> None:
    lp = launch_plan_pb2.LaunchPlan(id=LP_ID)
    lp.spec.workflow_id.CopyFrom(WF_ID)
    lp.closure.expected_inputs.parameters["x"].CopyFrom(interface_pb2.Parameter(default=_int(7)))
    lp.closure.expected_inputs.parameters["y"].CopyFrom(interface_pb2.Parameter(required=True))
    sb.store.put_launch_plan(lp)
    wf = workflow_pb2.Workflow(id=WF_ID)
    wf.closure.compiled_workflow.primary.template.id.CopyFrom(WF_ID)
    sb.store.put_workflow(wf)


class Client:
    """Stubs over one channel; ``internal`` stubs carry the player's metadata (not counted, never refused)."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.channel = grpc.insecure_channel(sb.endpoint)
        self.admin = admin_pb2_grpc.AdminServiceStub(self.channel)
        self.signal = signal_pb2_grpc.SignalServiceStub(self.channel)
        self.proxy = dataproxy_pb2_grpc.DataProxyServiceStub(self.channel)

    def create(
        self, name: str | None = None, metadata: Any = None, **inputs: int
    ) -> identifier_pb2.WorkflowExecutionIdentifier:
        name = name or f"e{next(_names)}"
        req = execution_pb2.ExecutionCreateRequest(project=P, domain=D, name=name)
        req.spec.launch_plan.CopyFrom(LP_ID)
        for k, v in {"y": 1, **inputs}.items():
            req.inputs.literals[k].CopyFrom(_int(v))
        return self.admin.CreateExecution(req, metadata=metadata).id

    def wf(self, wf_id: Any, phase: int, t: float, **kw: Any) -> None:
        e = ev.WorkflowExecutionEvent(execution_id=wf_id, phase=phase, occurred_at=ts(t), **kw)
        self.admin.CreateWorkflowEvent(event_pb2.WorkflowExecutionEventRequest(event=e), metadata=INTERNAL_METADATA)

    def node(self, wf_id: Any, node_id: str, phase: int, t: float, parent: str = "", **kw: Any) -> None:
        e = ev.NodeExecutionEvent(
            id=identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf_id),
            phase=phase,
            occurred_at=ts(t),
            **kw,
        )
        if parent:
            e.parent_node_metadata.node_id = parent
        self.admin.CreateNodeEvent(event_pb2.NodeExecutionEventRequest(event=e), metadata=INTERNAL_METADATA)

    def task(self, wf_id: Any, node_id: str, phase: int, t: float, retry: int = 0, **kw: Any) -> None:
        e = ev.TaskExecutionEvent(
            task_id=TASK_ID,
            parent_node_execution_id=identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf_id),
            retry_attempt=retry,
            phase=phase,
            occurred_at=ts(t),
            **kw,
        )
        self.admin.CreateTaskEvent(event_pb2.TaskExecutionEventRequest(event=e), metadata=INTERNAL_METADATA)

    def nid(self, wf_id: Any, node_id: str) -> identifier_pb2.NodeExecutionIdentifier:
        return identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf_id)

    def tid(self, wf_id: Any, node_id: str, retry: int = 0) -> identifier_pb2.TaskExecutionIdentifier:
        return identifier_pb2.TaskExecutionIdentifier(
            task_id=TASK_ID, node_execution_id=self.nid(wf_id, node_id), retry_attempt=retry
        )

    def list_nodes(self, wf_id: Any, limit: int = 100, **kw: Any) -> node_execution_pb2.NodeExecutionList:
        req = node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=wf_id, limit=limit, **kw)
        return self.admin.ListNodeExecutions(req)

    def node_ids(self, wf_id: Any, **kw: Any) -> list[str]:
        return [n.id.node_id for n in self.list_nodes(wf_id, **kw).node_executions]

    def get_node(self, wf_id: Any, node_id: str) -> node_execution_pb2.NodeExecution:
        return self.admin.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=self.nid(wf_id, node_id)))

    def get_task(self, wf_id: Any, node_id: str, retry: int = 0) -> task_execution_pb2.TaskExecution:
        req = task_execution_pb2.TaskExecutionGetRequest(id=self.tid(wf_id, node_id, retry))
        return self.admin.GetTaskExecution(req)


class RecordingDriver:
    """Stands in for the player: records what the admin asks of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def on_create(self, execution_id: Any, spec: Any, inputs: Any) -> None:
        self.calls.append(("create", (execution_id.name, spec.metadata.mode, dict(inputs.literals))))

    def on_terminate(self, execution_id: Any, cause: str) -> None:
        self.calls.append(("terminate", (execution_id.name, cause)))

    def on_signal(self, signal_id: Any, value: Any) -> None:
        self.calls.append(("signal", (signal_id.signal_id, value)))


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped", register_defaults=False) as sb:
        _register(sb)
        sb.driver = None
        yield sb


@pytest.fixture(scope="module")
def c(shared: Sandbox) -> Iterator[Client]:
    client = Client(shared)
    yield client
    client.channel.close()


R, Q, S, F = NodePhase.RUNNING, NodePhase.QUEUED, NodePhase.SUCCEEDED, NodePhase.FAILED


# ----------------------------------------------------------------------------------------------------------------
# executions


def test_create_execution_starts_undefined_with_workflow_id_and_merged_inputs(c: Client) -> None:
    wf_id = c.create()
    got = c.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf_id))
    assert got.closure.phase == WorkflowPhase.UNDEFINED
    assert got.closure.workflow_id == WF_ID
    assert got.spec.launch_plan == LP_ID
    data = c.admin.GetExecutionData(execution_pb2.WorkflowExecutionGetDataRequest(id=wf_id))
    assert {k: v.scalar.primitive.integer for k, v in data.full_inputs.literals.items()} == {"x": 7, "y": 1}
    assert data.HasField("full_outputs")
    assert len(data.full_outputs.literals) == 0


def test_create_execution_errors(c: Client) -> None:
    wf_id = c.create()
    assert code_of(c.create, wf_id.name) == grpc.StatusCode.ALREADY_EXISTS
    req = execution_pb2.ExecutionCreateRequest(project=P, domain=D, name="nope")
    req.spec.launch_plan.CopyFrom(LP_ID)
    req.spec.launch_plan.version = "missing"
    assert code_of(c.admin.CreateExecution, req) == grpc.StatusCode.NOT_FOUND
    req.spec.launch_plan.CopyFrom(LP_ID)  # y is required and not given
    assert code_of(c.admin.CreateExecution, req) == grpc.StatusCode.INVALID_ARGUMENT
    req.inputs.literals["y"].CopyFrom(_int(1))
    req.inputs.literals["zzz"].CopyFrom(_int(1))
    assert code_of(c.admin.CreateExecution, req) == grpc.StatusCode.INVALID_ARGUMENT
    missing = execution_pb2.WorkflowExecutionGetRequest(
        id=identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name="x")
    )
    assert code_of(c.admin.GetExecution, missing) == grpc.StatusCode.NOT_FOUND


def test_generated_names_look_like_flyteadmin_and_repeat_per_seed() -> None:
    names = []
    for _ in range(2):
        with Sandbox(clock="stepped", register_defaults=False) as sb:
            _register(sb)
            cl = Client(sb)
            req = execution_pb2.ExecutionCreateRequest(project=P, domain=D)
            req.spec.launch_plan.CopyFrom(LP_ID)
            req.inputs.literals["y"].CopyFrom(_int(1))
            names.append(cl.admin.CreateExecution(req).id.name)
            cl.channel.close()
    assert names[0] == names[1]
    assert len(names[0]) == 20
    assert names[0][0] == "a"
    assert names[0].isalnum()
    assert names[0].islower()


def test_workflow_events_project_started_at_duration_outputs(c: Client) -> None:
    wf_id = c.create()
    c.wf(wf_id, WorkflowPhase.QUEUED, 0)
    c.wf(wf_id, WorkflowPhase.QUEUED, 0.5)  # a repeated QUEUED is allowed (cluster reassignment)
    c.wf(wf_id, WorkflowPhase.RUNNING, 1)
    out = literals_pb2.LiteralMap(literals={"o": _int(3)})
    c.wf(wf_id, WorkflowPhase.SUCCEEDED, 11, output_data=out)
    got = c.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf_id))
    assert got.closure.phase == WorkflowPhase.SUCCEEDED
    assert got.closure.started_at == ts(1)
    assert got.closure.duration.ToTimedelta() == timedelta(seconds=10)
    data = c.admin.GetExecutionData(execution_pb2.WorkflowExecutionGetDataRequest(id=wf_id))
    assert data.full_outputs.literals["o"].scalar.primitive.integer == 3


def test_workflow_event_phase_rules(c: Client) -> None:
    wf_id = c.create()
    c.wf(wf_id, WorkflowPhase.RUNNING, 1)
    assert code_of(c.wf, wf_id, WorkflowPhase.RUNNING, 2) == grpc.StatusCode.ALREADY_EXISTS
    assert code_of(c.wf, wf_id, WorkflowPhase.QUEUED, 2) == grpc.StatusCode.FAILED_PRECONDITION
    c.wf(wf_id, WorkflowPhase.FAILED, 3, error=core_exec.ExecutionError(code="X", message="boom"))
    assert code_of(c.wf, wf_id, WorkflowPhase.RUNNING, 4) == grpc.StatusCode.FAILED_PRECONDITION
    stranger = identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name="stranger")
    assert code_of(c.wf, stranger, WorkflowPhase.RUNNING, 1) == grpc.StatusCode.NOT_FOUND


def test_terminate_sets_aborting_then_only_terminal_phases(shared: Sandbox, c: Client) -> None:
    driver = RecordingDriver()
    shared.driver = driver
    try:
        wf_id = c.create()
        c.wf(wf_id, WorkflowPhase.RUNNING, 1)
        shared.advance(30)
        terminated_at = shared.store.now()
        c.admin.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=wf_id, cause="enough"))
        got = c.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf_id))
        assert got.closure.phase == WorkflowPhase.ABORTING
        assert got.closure.abort_metadata.cause == "enough"
        # SetExecutionAborting (repositories/transformers/execution.go) leaves closure.updated_at alone: it stays
        # the RUNNING event's time; only the row's own updated_at moves.
        assert got.closure.updated_at == ts(1)
        lreq = common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=10)
        lreq.filters = f"eq(execution_name,{wf_id.name})+gte(updated_at,{_z(terminated_at)})"
        assert len(c.admin.ListExecutions(lreq).executions) == 1
        lreq.filters = f"eq(execution_name,{wf_id.name})+gte(execution_updated_at,{_z(terminated_at)})"
        assert len(c.admin.ListExecutions(lreq).executions) == 0
        assert ("terminate", (wf_id.name, "enough")) in driver.calls
        assert code_of(c.wf, wf_id, WorkflowPhase.RUNNING, 2) == grpc.StatusCode.FAILED_PRECONDITION
        c.wf(wf_id, WorkflowPhase.ABORTED, 3)
        req = execution_pb2.ExecutionTerminateRequest(id=wf_id, cause="again")
        assert code_of(c.admin.TerminateExecution, req) == grpc.StatusCode.FAILED_PRECONDITION
        assert (
            c.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf_id)).closure.abort_metadata.cause
            == "enough"
        )
    finally:
        shared.driver = None


def test_relaunch_and_recover_copy_spec_and_inputs_and_call_driver(shared: Sandbox, c: Client) -> None:
    driver = RecordingDriver()
    shared.driver = driver
    try:
        wf_id = c.create(x=5)
        r = c.admin.RelaunchExecution(execution_pb2.ExecutionRelaunchRequest(id=wf_id, name=f"{wf_id.name}-r"))
        v = c.admin.RecoverExecution(execution_pb2.ExecutionRecoverRequest(id=wf_id, name=f"{wf_id.name}-v"))
    finally:
        shared.driver = None
    mode = execution_pb2.ExecutionMetadata
    for new_id, expected in ((r.id, mode.RELAUNCH), (v.id, mode.RECOVERED)):
        got = c.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=new_id))
        assert got.spec.metadata.mode == expected
        assert got.spec.metadata.reference_execution == wf_id
        assert got.closure.workflow_id == WF_ID
        data = c.admin.GetExecutionData(execution_pb2.WorkflowExecutionGetDataRequest(id=new_id))
        assert data.full_inputs.literals["x"].scalar.primitive.integer == 5
    assert [(k, a[0], a[1]) for k, a in driver.calls] == [
        ("create", wf_id.name, mode.MANUAL),
        ("create", r.id.name, mode.RELAUNCH),
        ("create", v.id.name, mode.RECOVERED),
    ]


def test_list_executions_pages_filters_and_trims(c: Client) -> None:
    ids = [c.create(name=f"lx{i}") for i in range(3)]
    c.wf(ids[1], WorkflowPhase.RUNNING, 1)
    c.wf(ids[1], WorkflowPhase.FAILED, 2, error=core_exec.ExecutionError(code="C", message="é" * 200))
    req = common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=1000)
    req.filters = "contains(execution_name,lx)"  # the column; "name" is none (models/execution.go)
    req.sort_by.CopyFrom(common_pb2.Sort(key="created_at"))
    names = [e.id.name for e in c.admin.ListExecutions(req).executions]
    assert names == ["lx2", "lx1", "lx0"]  # DESCENDING is the proto default
    req.ClearField("sort_by")
    req.filters = "contains(execution_name,lx)+eq(phase,FAILED)"
    (failed,) = c.admin.ListExecutions(req).executions
    assert len(failed.closure.error.message.encode()) == 100
    assert len(c.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=ids[1])).closure.error.message) == 200
    req.limit = 0
    assert code_of(c.admin.ListExecutions, req) == grpc.StatusCode.INVALID_ARGUMENT


# ----------------------------------------------------------------------------------------------------------------
# node listing


def test_paging_1000_nodes_by_100_gives_ten_pages_then_an_empty_page(c: Client) -> None:
    wf_id = c.create()
    for i in range(1000):
        c.node(wf_id, f"n{i}", Q, i)
    sort = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.ASCENDING)
    token, pages = "", 0
    seen: list[str] = []
    while True:
        page = c.list_nodes(wf_id, limit=100, token=token, sort_by=sort)
        if not page.node_executions:
            assert page.token == ""
            break
        pages += 1
        assert len(page.node_executions) == 100
        assert page.token == str(pages * 100)
        seen.extend(n.id.node_id for n in page.node_executions)
        token = page.token
    assert pages == 10
    assert seen == [f"n{i}" for i in range(1000)]


def test_partial_last_page_has_no_token(c: Client) -> None:
    wf_id = c.create()
    for i in range(5):
        c.node(wf_id, f"n{i}", Q, i)
    first = c.list_nodes(wf_id, limit=3)
    assert len(first.node_executions) == 3
    assert first.token == "3"
    second = c.list_nodes(wf_id, limit=3, token="3")
    assert len(second.node_executions) == 2
    assert second.token == ""


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"limit": 0}, "limit 0"),
        ({"token": "abc"}, "non-integer token"),
        ({"token": "-1"}, "negative token"),
        ({"filters": "like(phase,RUNNING)"}, "unknown function"),
        ({"filters": "eq(no_such_field,1)"}, "unknown field"),
        ({"filters": "eq(phase"}, "malformed expression"),
        ({"filters": "gt(created_at,2026-01-01T12:00:00+00:00)"}, "+ in a timestamp splits the expression"),
        ({"sort_by": common_pb2.Sort(key="no_such_column")}, "unknown sort key"),
    ],
)
def test_list_rejects_bad_requests_with_invalid_argument(c: Client, kw: dict[str, Any], why: str) -> None:
    wf_id = c.create()
    c.node(wf_id, "n0", Q, 0)
    args = {"limit": 10, **kw}
    assert code_of(c.list_nodes, wf_id, **args) == grpc.StatusCode.INVALID_ARGUMENT, why


def test_filters_and_sorting(c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "a", Q, 0)
    c.node(wf_id, "b", Q, 1)
    c.node(wf_id, "c", Q, 2)
    c.node(wf_id, "a", R, 3)
    c.node(wf_id, "b", R, 4)
    c.node(wf_id, "b", S, 6)

    def ids(filters: str = "", **kw: Any) -> list[str]:
        return c.node_ids(wf_id, filters=filters, **kw)

    asc = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.ASCENDING)
    assert ids("eq(phase,RUNNING)", sort_by=asc) == ["a"]
    assert ids("value_in(phase,RUNNING;SUCCEEDED)", sort_by=asc) == ["a", "b"]
    assert ids("value_not_in(phase,RUNNING;SUCCEEDED)", sort_by=asc) == ["c"]
    assert ids("ne(phase,QUEUED)", sort_by=asc) == ["a", "b"]
    assert ids("eq(node_id,c)") == ["c"]
    # the event times (occurred_at / reported_at) are the node_execution_* columns
    assert ids("gte(node_execution_created_at,2026-01-01T12:00:01Z)", sort_by=asc) == ["b", "c"]
    assert ids("lt(node_execution_created_at,2026-01-01T12:00:01Z)") == ["a"]
    upd = "gt(node_execution_updated_at,2026-01-01T12:00:02Z)+lte(node_execution_updated_at,2026-01-01T12:00:04Z)"
    assert ids(upd, sort_by=asc) == ["a"]
    assert ids("gt(duration,1)") == ["b"]  # only b finished (2s)
    assert ids("lt(duration,1)", sort_by=asc) == ["a", "c"]  # a time.Duration column: 0, not NULL, until the end
    # sort_by without a direction is DESCENDING (the proto default); ties (one admin instant) in creation order
    assert ids(sort_by=common_pb2.Sort(key="created_at")) == ["c", "b", "a"]
    assert ids(sort_by=asc) == ["a", "b", "c"]
    assert ids(sort_by=common_pb2.Sort(key="node_id", direction=common_pb2.Sort.ASCENDING)) == ["a", "b", "c"]


def _z(when: datetime) -> str:
    """A filter timestamp: RFC 3339 with 'Z' ('+' would split the expression)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_created_and_updated_at_are_the_rows_write_times_on_the_admins_clock(shared: Sandbox, c: Client) -> None:
    """gorm's created_at/updated_at columns (models/base_model.go) are when the admin wrote the row; the event
    times are node_execution_created_at/_updated_at (repositories/transformers/node_execution.go)."""
    wf_id = c.create()
    asc = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.ASCENDING)
    by_event = common_pb2.Sort(key="node_execution_created_at", direction=common_pb2.Sort.ASCENDING)
    first_write = shared.store.now()
    c.node(wf_id, "late", Q, 100)  # propeller's clock says t+100 ...
    shared.advance(10)
    c.node(wf_id, "early", Q, 0)  # ... and this one happened first, but reached the admin 10 s later
    assert c.node_ids(wf_id, sort_by=asc) == ["late", "early"]  # written first
    assert c.node_ids(wf_id, sort_by=by_event) == ["early", "late"]  # happened first
    shared.advance(10)
    c.node(wf_id, "late", R, 101)
    written = shared.store.now()
    assert c.node_ids(wf_id, filters=f"gte(updated_at,{_z(written)})") == ["late"]
    assert c.node_ids(wf_id, filters=f"gte(created_at,{_z(written)})") == []
    assert c.node_ids(wf_id, filters=f"lt(created_at,{_z(first_write + timedelta(seconds=5))})") == ["late"]
    # the event-time column compares propeller's times, whatever the admin's clock says
    assert c.node_ids(wf_id, filters="gte(node_execution_updated_at,2026-01-01T12:01:41Z)") == ["late"]
    # the same for task executions and executions
    c.task(wf_id, "late", core_exec.TaskExecution.RUNNING, 102)
    req = task_execution_pb2.TaskExecutionListRequest(node_execution_id=c.nid(wf_id, "late"), limit=10)
    req.filters = f"gte(created_at,{_z(written)})+lt(task_execution_created_at,2026-01-01T12:01:43Z)"
    assert len(c.admin.ListTaskExecutions(req).task_executions) == 1
    lreq = common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=10)
    lreq.filters = f"eq(execution_name,{wf_id.name})+lt(created_at,{_z(first_write + timedelta(seconds=1))})"
    assert [e.id.name for e in c.admin.ListExecutions(lreq).executions] == [wf_id.name]


@pytest.mark.parametrize(
    "field",
    ["spec_node_id", "retry_group", "is_parent_node", "project", "name", "parent", "execution.name", "signal.value"],
)
def test_node_filters_on_anything_but_a_column_are_invalid_argument(c: Client, field: str) -> None:
    """flyteadmin's ParseFilters (manager/impl/util/filters.go) accepts the gorm model's columns only."""
    wf_id = c.create()
    c.node(wf_id, "n0", Q, 0, spec_node_id="n0", retry_group="0")
    assert code_of(c.list_nodes, wf_id, filters=f"eq({field},x)") == grpc.StatusCode.INVALID_ARGUMENT


def test_columns_and_the_execution_join_filter_as_flyteadmin_does(c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "n0", R, 0)
    c.node(wf_id, "n1", Q, 1)
    assert c.node_ids(wf_id, filters=f"eq(execution_name,{wf_id.name})+eq(input_uri,)+eq(phase,RUNNING)") == ["n0"]
    # the execution's own columns, through the join flyteadmin makes for "execution." fields
    assert c.node_ids(wf_id, filters="eq(execution.phase,UNDEFINED)+eq(node_execution.node_id,n1)") == ["n1"]
    c.wf(wf_id, WorkflowPhase.RUNNING, 2)
    assert c.node_ids(wf_id, filters="eq(execution.phase,UNDEFINED)") == []  # a cached listing is not reused
    assert sorted(c.node_ids(wf_id, filters=f"eq(execution.execution_name,{wf_id.name})")) == ["n0", "n1"]
    # task executions: their own columns, and the node execution's and execution's through joins
    T = core_exec.TaskExecution
    c.task(wf_id, "n0", T.FAILED, 1, error=core_exec.ExecutionError(code="E", message="m"))
    c.task(wf_id, "n0", T.RUNNING, 2, retry=1)
    req = task_execution_pb2.TaskExecutionListRequest(node_execution_id=c.nid(wf_id, "n0"), limit=10)

    def attempts(filters: str) -> list[int]:
        req.filters = filters
        return [t.id.retry_attempt for t in c.admin.ListTaskExecutions(req).task_executions]

    assert attempts("eq(retry_attempt,1)") == [1]
    assert attempts(f"eq(name,{wf_id.name})+eq(version,v1)") == [0, 1]  # name: the execution's (customizeField)
    assert attempts("eq(node_execution.phase,RUNNING)+eq(execution.phase,RUNNING)") == [0, 1]
    req.filters = "eq(error_code,E)"  # not a task execution column
    assert code_of(c.admin.ListTaskExecutions, req) == grpc.StatusCode.INVALID_ARGUMENT
    # executions: "name" is no column, "execution_name" and "execution." fields are
    lreq = common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=10)
    lreq.filters = f"eq(execution.execution_name,{wf_id.name})+eq(phase,RUNNING)+eq(launch_entity,launch_plan)"
    assert [e.id.name for e in c.admin.ListExecutions(lreq).executions] == [wf_id.name]
    lreq.filters = f"eq(name,{wf_id.name})"
    assert code_of(c.admin.ListExecutions, lreq) == grpc.StatusCode.INVALID_ARGUMENT


def test_an_empty_sort_key_is_invalid_and_no_sort_by_promises_no_creation_order(c: Client) -> None:
    """common/sorting.go refuses a Sort whose key is no column, the empty one included. Without sort_by flyteadmin
    adds no ORDER BY: the sandbox answers in primary-key order, which is not the order the rows were made in."""
    wf_id = c.create()
    for i in range(12):
        c.node(wf_id, f"n{i}", Q, i)
    natural = c.node_ids(wf_id)
    assert natural == sorted(f"n{i}" for i in range(12))
    assert natural[:4] == ["n0", "n1", "n10", "n11"]
    asc = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.ASCENDING)
    assert c.node_ids(wf_id, sort_by=asc) == [f"n{i}" for i in range(12)]  # asked for: creation order
    assert code_of(c.list_nodes, wf_id, sort_by=common_pb2.Sort()) == grpc.StatusCode.INVALID_ARGUMENT
    empty = common_pb2.Sort(direction=common_pb2.Sort.ASCENDING)
    treq = task_execution_pb2.TaskExecutionListRequest(node_execution_id=c.nid(wf_id, "n0"), limit=10, sort_by=empty)
    assert code_of(c.admin.ListTaskExecutions, treq) == grpc.StatusCode.INVALID_ARGUMENT
    lreq = common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=10)
    lreq.sort_by.CopyFrom(empty)
    assert code_of(c.admin.ListExecutions, lreq) == grpc.StatusCode.INVALID_ARGUMENT
    sreq = signal_pb2.SignalListRequest(workflow_execution_id=wf_id, limit=10, sort_by=empty)
    assert code_of(c.signal.ListSignals, sreq) == grpc.StatusCode.INVALID_ARGUMENT


def test_listing_an_unknown_execution_or_node_is_empty_but_an_unknown_parent_is_not_found(c: Client) -> None:
    """node_execution_manager.go and task_execution_manager.go check no existence before listing; only a
    unique_parent_id is looked up (its row id filters the children)."""
    ghost = identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name="no-such-execution")
    page = c.list_nodes(ghost)
    assert (list(page.node_executions), page.token) == ([], "")
    assert code_of(c.list_nodes, ghost, unique_parent_id="n0") == grpc.StatusCode.NOT_FOUND
    wf_id = c.create()
    c.node(wf_id, "n0", R, 0)
    for nid in (c.nid(wf_id, "ghost"), c.nid(ghost, "n0")):
        req = task_execution_pb2.TaskExecutionListRequest(node_execution_id=nid, limit=10)
        assert list(c.admin.ListTaskExecutions(req).task_executions) == []
    assert code_of(c.list_nodes, wf_id, unique_parent_id="ghost") == grpc.StatusCode.NOT_FOUND
    # the request is still validated first
    assert code_of(c.list_nodes, ghost, limit=0) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(c.list_nodes, ghost, filters="eq(spec_node_id,n0)") == grpc.StatusCode.INVALID_ARGUMENT


def test_children_by_unique_parent_id_and_start_end_nodes(c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "start-node", S, 0)
    c.node(wf_id, "n0", R, 1, is_parent=True)
    c.node(wf_id, "n0-0-n0", R, 2, parent="n0", retry_group="0", spec_node_id="n0")
    c.node(wf_id, "n0-0-n1", Q, 3, parent="n0", retry_group="0", spec_node_id="n1")
    c.node(wf_id, "n0-0-n0-0-x", Q, 4, parent="n0-0-n0")
    assert sorted(c.node_ids(wf_id)) == ["n0", "start-node"]
    assert sorted(c.node_ids(wf_id, unique_parent_id="n0")) == ["n0-0-n0", "n0-0-n1"]
    assert c.node_ids(wf_id, unique_parent_id="n0-0-n0") == ["n0-0-n0-0-x"]
    assert c.node_ids(wf_id, unique_parent_id="n0-0-n1") == []
    assert code_of(c.list_nodes, wf_id, unique_parent_id="ghost") == grpc.StatusCode.NOT_FOUND
    child = c.get_node(wf_id, "n0-0-n1")
    assert (child.metadata.retry_group, child.metadata.spec_node_id) == ("0", "n1")
    # a child whose parent does not exist is refused
    assert code_of(c.node, wf_id, "orphan", Q, 5, parent="ghost") == grpc.StatusCode.NOT_FOUND
    assert c.sb.truth(wf_id) == {
        "start-node": S,
        "n0": R,
        "n0-0-n0": R,
        "n0-0-n1": Q,
        "n0-0-n0-0-x": Q,
    }


def test_nodes_launched_by_a_task_are_listed_for_the_task_not_at_top_level(c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "dt", R, 0)
    c.task(wf_id, "dt", core_exec.TaskExecution.RUNNING, 0)
    e = ev.NodeExecutionEvent(id=c.nid(wf_id, "dt-0-dn0"), phase=Q, occurred_at=ts(1))
    e.parent_task_metadata.id.CopyFrom(c.tid(wf_id, "dt"))
    c.admin.CreateNodeEvent(event_pb2.NodeExecutionEventRequest(event=e), metadata=INTERNAL_METADATA)
    assert c.node_ids(wf_id) == ["dt"]
    req = node_execution_pb2.NodeExecutionForTaskListRequest(task_execution_id=c.tid(wf_id, "dt"), limit=10)
    assert [n.id.node_id for n in c.admin.ListNodeExecutionsForTask(req).node_executions] == ["dt-0-dn0"]
    assert c.get_task(wf_id, "dt").is_parent is True


def test_list_reports_is_parent_node_for_any_node_with_children(c: Client) -> None:
    wf_id = c.create()
    # a branch node: propeller sets no flag; event_version 1 so Get reports the event's flags only
    c.node(wf_id, "br", R, 0, event_version=1)
    c.node(wf_id, "br-0-n1", R, 1, parent="br")
    (listed,) = [n for n in c.list_nodes(wf_id).node_executions if n.id.node_id == "br"]
    assert listed.metadata.is_parent_node is True
    assert c.get_node(wf_id, "br").metadata.is_parent_node is False
    # event_version 0 nodes: Get derives the flag from children too (flyteadmin's GetWithChildren path)
    c.node(wf_id, "old", R, 2)
    c.node(wf_id, "old-0-n1", R, 3, parent="old")
    assert c.get_node(wf_id, "old").metadata.is_parent_node is True


def test_error_message_trimmed_in_node_lists_whole_in_get_and_task_lists(c: Client) -> None:
    wf_id = c.create()
    long = "x" * 99 + "é" + "tail" * 100  # the 100-byte cut falls inside a 2-byte character
    c.node(wf_id, "n0", R, 0)
    c.node(
        wf_id, "n0", F, 1, error=core_exec.ExecutionError(code="E", message=long, kind=core_exec.ExecutionError.USER)
    )
    c.task(wf_id, "n0", core_exec.TaskExecution.RUNNING, 0)
    c.task(wf_id, "n0", core_exec.TaskExecution.FAILED, 1, error=core_exec.ExecutionError(code="E", message=long))
    (listed,) = c.list_nodes(wf_id).node_executions
    assert listed.closure.error.message == "x" * 99
    assert c.get_node(wf_id, "n0").closure.error.message == long
    tl = c.admin.ListTaskExecutions(
        task_execution_pb2.TaskExecutionListRequest(node_execution_id=c.nid(wf_id, "n0"), limit=10)
    )
    # ListTaskExecutions does not trim (flyteadmin's task_execution_manager.go uses the default transformer options)
    assert tl.task_executions[0].closure.error.message == long
    assert c.get_task(wf_id, "n0").closure.error.message == long
    assert c.node_ids(wf_id, filters="eq(error_kind,USER)+eq(error_code,E)") == ["n0"]


# ----------------------------------------------------------------------------------------------------------------
# node projection


def test_node_events_project_times_outputs_cache_deck_and_flyte_urls(c: Client) -> None:
    wf_id = c.create()
    inputs = literals_pb2.LiteralMap(literals={"a": _int(1)})
    c.node(wf_id, "n0", Q, 0, input_data=inputs)
    c.node(wf_id, "n0", R, 2, deck_uri="s3://b/deck.html")
    tnm = ev.TaskNodeMetadata(cache_status=catalog_pb2.CACHE_POPULATED, catalog_key=catalog_pb2.CatalogMetadata())
    out = literals_pb2.LiteralMap(literals={"o": _int(9)})
    c.node(wf_id, "n0", S, 7, output_data=out, deck_uri="s3://b/deck.html", task_node_metadata=tnm)
    got = c.get_node(wf_id, "n0")
    assert got.closure.created_at == ts(0)
    assert got.closure.started_at == ts(2)
    assert got.closure.duration.ToTimedelta() == timedelta(seconds=5)
    assert got.closure.updated_at == ts(7)
    assert got.closure.deck_uri == "s3://b/deck.html"
    assert got.closure.task_node_metadata.cache_status == catalog_pb2.CACHE_POPULATED
    assert c.node_ids(wf_id, filters="eq(cache_status,CACHE_POPULATED)") == ["n0"]
    data = c.admin.GetNodeExecutionData(node_execution_pb2.NodeExecutionGetDataRequest(id=c.nid(wf_id, "n0")))
    assert data.full_inputs == inputs
    assert data.full_outputs == out
    base = f"flyte://v1/{P}/{D}/{wf_id.name}/n0"
    assert (data.flyte_urls.inputs, data.flyte_urls.outputs, data.flyte_urls.deck) == (
        f"{base}/i",
        f"{base}/o",
        f"{base}/d",
    )


def test_node_data_without_data_is_empty_maps_and_no_deck_url(c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "n0", R, 0)
    data = c.admin.GetNodeExecutionData(node_execution_pb2.NodeExecutionGetDataRequest(id=c.nid(wf_id, "n0")))
    assert data.HasField("full_inputs")
    assert data.HasField("full_outputs")
    assert len(data.full_inputs.literals) == 0
    assert data.flyte_urls.deck == ""
    missing = node_execution_pb2.NodeExecutionGetDataRequest(id=c.nid(wf_id, "ghost"))
    assert code_of(c.admin.GetNodeExecutionData, missing) == grpc.StatusCode.NOT_FOUND


def test_node_phase_rules(c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "n0", R, 0)
    assert code_of(c.node, wf_id, "n0", R, 1) == grpc.StatusCode.ALREADY_EXISTS
    c.node(wf_id, "n0", S, 2)
    for phase in (R, F, NodePhase.ABORTED):
        assert code_of(c.node, wf_id, "n0", phase, 3) == grpc.StatusCode.FAILED_PRECONDITION
    stranger = identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name="stranger")
    assert code_of(c.node, stranger, "n0", R, 0) == grpc.StatusCode.NOT_FOUND


def test_sticky_metadata_flags_and_dynamic_workflow(c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "dn", Q, 0, retry_group="", spec_node_id="dn", event_version=1)
    c.node(wf_id, "dn", R, 1)
    compiled = compiler_pb2.CompiledWorkflowClosure()
    compiled.primary.template.id.name = "dyn"
    dyn = ev.DynamicWorkflowNodeMetadata(compiled_workflow=compiled, dynamic_job_spec_uri="s3://b/futures.pb")
    dyn.id.name = "dyn"
    c.node(
        wf_id,
        "dn",
        NodePhase.DYNAMIC_RUNNING,
        2,
        is_dynamic=True,
        is_parent=True,
        task_node_metadata=ev.TaskNodeMetadata(dynamic_workflow=dyn),
    )
    c.node(wf_id, "dn", S, 3)  # no flags on this event: they stay
    got = c.get_node(wf_id, "dn")
    assert (got.metadata.is_dynamic, got.metadata.is_parent_node, got.metadata.spec_node_id) == (True, True, "dn")
    assert got.closure.dynamic_job_spec_uri == "s3://b/futures.pb"
    wf = c.admin.GetDynamicNodeWorkflow(node_execution_pb2.GetDynamicNodeWorkflowRequest(id=c.nid(wf_id, "dn")))
    assert wf.compiled_workflow.primary.template.id.name == "dyn"
    data = c.admin.GetNodeExecutionData(node_execution_pb2.NodeExecutionGetDataRequest(id=c.nid(wf_id, "dn")))
    assert data.dynamic_workflow.compiled_workflow.primary.template.id.name == "dyn"
    assert data.dynamic_workflow.id.name == "dyn"
    assert data.dynamic_workflow.dynamic_job_spec_uri == "s3://b/futures.pb"
    c.node(wf_id, "plain", R, 0)
    req = node_execution_pb2.GetDynamicNodeWorkflowRequest(id=c.nid(wf_id, "plain"))
    assert code_of(c.admin.GetDynamicNodeWorkflow, req) == grpc.StatusCode.NOT_FOUND
    c.node(wf_id, "arr", R, 0, is_array=True)
    c.node(wf_id, "arr", S, 1)
    assert c.get_node(wf_id, "arr").metadata.is_array is True


def test_dynamic_job_spec_uri_is_kept_on_the_update_path_only(c: Client) -> None:
    """CreateNodeExecutionModel ignores dynamic_job_spec_uri, UpdateNodeExecutionModel keeps it
    (repositories/transformers/node_execution.go); the compiled workflow is stored on both paths."""
    wf_id = c.create()
    compiled = compiler_pb2.CompiledWorkflowClosure()
    compiled.primary.template.id.name = "dyn"

    def meta(uri: str) -> ev.TaskNodeMetadata:
        dyn = ev.DynamicWorkflowNodeMetadata(compiled_workflow=compiled, dynamic_job_spec_uri=uri)
        return ev.TaskNodeMetadata(dynamic_workflow=dyn)

    first = "s3://b/0/futures.pb"
    c.node(wf_id, "dn", NodePhase.DYNAMIC_RUNNING, 0, is_dynamic=True, task_node_metadata=meta(first))
    assert c.get_node(wf_id, "dn").closure.dynamic_job_spec_uri == ""
    data_req = node_execution_pb2.NodeExecutionGetDataRequest(id=c.nid(wf_id, "dn"))
    data = c.admin.GetNodeExecutionData(data_req)
    assert (data.dynamic_workflow.id.name, data.dynamic_workflow.dynamic_job_spec_uri) == ("dyn", "")
    c.node(wf_id, "dn", S, 1, task_node_metadata=meta("s3://b/1/futures.pb"))
    assert c.get_node(wf_id, "dn").closure.dynamic_job_spec_uri == "s3://b/1/futures.pb"
    assert c.admin.GetNodeExecutionData(data_req).dynamic_workflow.dynamic_job_spec_uri == "s3://b/1/futures.pb"


def test_launch_plan_node_points_at_child_execution_from_update_event(c: Client) -> None:
    parent = c.create()
    child = c.create()
    c.node(parent, "lp", Q, 0)
    ghost = identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name="ghost")
    assert code_of(c.node, parent, "lp", R, 1, workflow_node_metadata=ev.WorkflowNodeMetadata(execution_id=ghost)) == (
        grpc.StatusCode.NOT_FOUND
    )
    c.node(parent, "lp", R, 1, workflow_node_metadata=ev.WorkflowNodeMetadata(execution_id=child))
    assert c.get_node(parent, "lp").closure.workflow_node_metadata.executionId == child


# ----------------------------------------------------------------------------------------------------------------
# task projection


def test_task_events_project_started_duration_reasons_logs(c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "n0", R, 0)
    T = core_exec.TaskExecution
    pending = core_exec.TaskLog(name="pending", uri="https://l/p", ShowWhilePending=True)
    user = core_exec.TaskLog(name="Kubernetes Logs (User)", uri="https://l/u")
    live = core_exec.TaskLog(name="live", uri="https://l/live", HideOnceFinished=True)
    c.task(wf_id, "n0", T.QUEUED, 0, logs=[pending], reason="queued")
    c.task(wf_id, "n0", T.INITIALIZING, 1, logs=[user], reason="pulling image")
    got = c.get_task(wf_id, "n0")
    assert [x.name for x in got.closure.logs] == ["pending"]  # only ShowWhilePending while initializing
    c.task(wf_id, "n0", T.RUNNING, 2, logs=[user, live], reason="pulling image")  # same reason: no new entry
    c.task(wf_id, "n0", T.RUNNING, 3, phase_version=1, reason="running")
    assert code_of(c.task, wf_id, "n0", T.RUNNING, 4, phase_version=1) == grpc.StatusCode.ALREADY_EXISTS
    c.task(wf_id, "n0", T.SUCCEEDED, 9, output_data=literals_pb2.LiteralMap(literals={"o": _int(1)}))
    got = c.get_task(wf_id, "n0")
    assert got.closure.started_at == ts(2)
    assert got.closure.duration.ToTimedelta() == timedelta(seconds=7)
    assert [r.message for r in got.closure.reasons] == ["queued", "pulling image", "running"]
    assert got.closure.reason == "running"
    assert sorted(x.name for x in got.closure.logs) == ["Kubernetes Logs (User)", "pending"]  # live hidden
    assert code_of(c.task, wf_id, "n0", T.RUNNING, 10) == grpc.StatusCode.FAILED_PRECONDITION
    data = c.admin.GetTaskExecutionData(task_execution_pb2.TaskExecutionGetDataRequest(id=c.tid(wf_id, "n0")))
    assert data.full_outputs.literals["o"].scalar.primitive.integer == 1
    assert data.flyte_urls.outputs == f"flyte://v1/{P}/{D}/{wf_id.name}/n0/0/o"


def test_task_retries_are_separate_rows_and_unknown_node_is_not_found(c: Client) -> None:
    wf_id = c.create()
    T = core_exec.TaskExecution
    c.node(wf_id, "n0", R, 0)
    c.task(wf_id, "n0", T.RUNNING, 0)
    c.task(wf_id, "n0", T.FAILED, 1, error=core_exec.ExecutionError(code="R", message="retry me"))
    c.task(wf_id, "n0", T.RUNNING, 2, retry=1)
    req = task_execution_pb2.TaskExecutionListRequest(node_execution_id=c.nid(wf_id, "n0"), limit=1)
    page = c.admin.ListTaskExecutions(req)
    assert [t.id.retry_attempt for t in page.task_executions] == [0]
    assert page.token == "1"
    req.token = page.token
    page = c.admin.ListTaskExecutions(req)
    assert [t.id.retry_attempt for t in page.task_executions] == [1]
    assert page.token == "1" * 0 + "2"
    req.token = "2"
    assert list(c.admin.ListTaskExecutions(req).task_executions) == []
    req.limit = 0
    assert code_of(c.admin.ListTaskExecutions, req) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(c.task, wf_id, "ghost", T.RUNNING, 0) == grpc.StatusCode.NOT_FOUND


def test_array_external_resources_merge_by_index_and_retry(c: Client) -> None:
    wf_id = c.create()
    T = core_exec.TaskExecution
    c.node(wf_id, "arr", R, 0, is_array=True)

    def res(i: int, retry: int, phase: int, **kw: Any) -> ev.ExternalResourceInfo:
        return ev.ExternalResourceInfo(external_id=f"arr-{i}-{retry}", index=i, retry_attempt=retry, phase=phase, **kw)

    def info(**fields: Any) -> struct_pb2.Struct:
        st = struct_pb2.Struct()
        st.update(fields)
        return st

    md = ev.TaskExecutionMetadata(
        plugin_identifier="k8s-array",
        external_resources=[
            res(2, 0, T.RUNNING, custom_info=info(pod="p2", node="k1")),
            res(0, 0, T.RUNNING, custom_info=info(pod="p0", node="k1")),
            res(1, 0, T.QUEUED),
        ],
    )
    c.task(wf_id, "arr", T.RUNNING, 1, task_type="container_array", event_version=1, metadata=md)
    log = core_exec.TaskLog(name="k8s", uri="https://l/0")
    md2 = ev.TaskExecutionMetadata(
        external_resources=[
            res(0, 0, T.SUCCEEDED, cache_status=catalog_pb2.CACHE_HIT, logs=[log], custom_info=info(exit=0)),
            res(1, 0, T.FAILED),
            res(1, 1, T.RUNNING),
        ]
    )
    c.task(wf_id, "arr", T.RUNNING, 2, phase_version=1, metadata=md2)
    md3 = ev.TaskExecutionMetadata(external_resources=[res(0, 0, T.SUCCEEDED)])  # CACHE_DISABLED does not overwrite
    c.task(wf_id, "arr", T.RUNNING, 3, phase_version=2, metadata=md3)
    got = c.get_task(wf_id, "arr").closure
    assert [(r.index, r.retry_attempt, r.phase) for r in got.metadata.external_resources] == [
        (0, 0, T.SUCCEEDED),
        (1, 0, T.FAILED),
        (1, 1, T.RUNNING),
        (2, 0, T.RUNNING),
    ]
    first = got.metadata.external_resources[0]
    assert first.cache_status == catalog_pb2.CACHE_HIT
    assert [x.uri for x in first.logs] == ["https://l/0"]
    # a subtask's custom_info is overwritten whole by the one an event carries (mergeExternalResource in
    # repositories/transformers/task_execution.go), and kept when the event has none
    assert first.custom_info == info(exit=0)
    assert got.metadata.external_resources[3].custom_info == info(pod="p2", node="k1")
    assert got.metadata.plugin_identifier == "k8s-array"
    assert got.task_type == "container_array"
    assert got.event_version == 1


# ----------------------------------------------------------------------------------------------------------------
# signals and decks


def _lit(**scalar: Any) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(**scalar))


def _prim(**primitive: Any) -> literals_pb2.Literal:
    return _lit(primitive=literals_pb2.Primitive(**primitive))


def _coll(*items: literals_pb2.Literal) -> literals_pb2.Literal:
    return literals_pb2.Literal(collection=literals_pb2.LiteralCollection(literals=items))


def _lmap(**items: literals_pb2.Literal) -> literals_pb2.Literal:
    return literals_pb2.Literal(map=literals_pb2.LiteralMap(literals=items))


def _generic(data: dict[str, Any]) -> literals_pb2.Literal:
    s = struct_pb2.Struct()
    s.update(data)
    return _lit(generic=s)


_SIMPLE = types_pb2.LiteralType
_STRUCT = _SIMPLE(simple=types_pb2.STRUCT)
_COLOR = _SIMPLE(enum_type=types_pb2.EnumType(values=["red", "green"]))
_INTS = _SIMPLE(collection_type=_SIMPLE(simple=types_pb2.INTEGER))
_FLOATS_BY_NAME = _SIMPLE(map_value_type=_SIMPLE(simple=types_pb2.FLOAT))
_INT_TAGGED = _SIMPLE(simple=types_pb2.INTEGER, structure=types_pb2.TypeStructure(tag="int"))
_STR_TAGGED = _SIMPLE(simple=types_pb2.STRING, structure=types_pb2.TypeStructure(tag="str"))
_INT_OR_STR = _SIMPLE(union_type=types_pb2.UnionType(variants=[_INT_TAGGED, _STR_TAGGED]))


@pytest.mark.parametrize(
    ("signal_type", "value", "accepted"),
    [
        # STRUCT: FlyteAdmin infers STRUCT from a generic Struct and from a msgpack-tagged binary, never from a map
        (_STRUCT, _generic({"a": 1, "b": [1, 2]}), True),
        (_STRUCT, _lit(binary=literals_pb2.Binary(value=b"\x81\xa1a\x01", tag="msgpack")), True),
        (_STRUCT, _lmap(a=_prim(integer=1)), False),
        (_STRUCT, _lit(binary=literals_pb2.Binary(value=b"x")), False),
        # an enum takes its value as a string primitive
        (_COLOR, _prim(string_value="red"), True),
        (_COLOR, _prim(integer=1), False),
        # lists and maps, element by element
        (_INTS, _coll(_prim(integer=1), _prim(integer=2)), True),
        (_INTS, _coll(_prim(string_value="1"), _prim(string_value="2")), False),
        # FlyteAdmin's reversed call lets a mixed list through: list[union[int, str]] "casts from" list[int]
        (_INTS, _coll(_prim(integer=1), _prim(string_value="2")), True),
        (_INTS, _coll(), False),  # "empty matches any" looks at the signal's side in FlyteAdmin's call
        (_FLOATS_BY_NAME, _lmap(a=_prim(float_value=1.0)), True),
        (_FLOATS_BY_NAME, _lmap(a=_prim(integer=1)), False),
        # simple types are exact: no int for a FLOAT
        (_SIMPLE(simple=types_pb2.FLOAT), _prim(integer=1), False),
        # a union of two variants refuses even its own variant's value (every signal variant must cast to it)
        (_INT_OR_STR, _lit(union=literals_pb2.Union(value=_prim(integer=1), type=_INT_TAGGED)), False),
    ],
)
def test_set_signal_checks_the_value_against_the_signal_type_as_flyteadmin_does(
    c: Client, signal_type: types_pb2.LiteralType, value: literals_pb2.Literal, accepted: bool
) -> None:
    wf_id = c.create()
    sid = identifier_pb2.SignalIdentifier(signal_id="s", execution_id=wf_id)
    req = signal_pb2.SignalGetOrCreateRequest(id=sid, type=signal_type)
    c.signal.GetOrCreateSignal(req, metadata=INTERNAL_METADATA)
    if accepted:
        c.signal.SetSignal(signal_pb2.SignalSetRequest(id=sid, value=value))
        (stored,) = c.signal.ListSignals(signal_pb2.SignalListRequest(workflow_execution_id=wf_id, limit=10)).signals
        assert stored.value == value
        return
    with pytest.raises(grpc.RpcError) as info:
        c.signal.SetSignal(signal_pb2.SignalSetRequest(id=sid, value=value))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "is not castable to existing signal type" in (info.value.details() or "")


def test_signals(shared: Sandbox, c: Client) -> None:
    wf_id = c.create()
    sid = identifier_pb2.SignalIdentifier(signal_id="approve", execution_id=wf_id)
    boolean = types_pb2.LiteralType(simple=types_pb2.BOOLEAN)
    yes = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=True)))
    assert (
        code_of(c.signal.SetSignal, signal_pb2.SignalSetRequest(id=sid, value=yes)) == grpc.StatusCode.INVALID_ARGUMENT
    )
    created = c.signal.GetOrCreateSignal(
        signal_pb2.SignalGetOrCreateRequest(id=sid, type=boolean), metadata=INTERNAL_METADATA
    )
    assert created.type == boolean
    assert not created.HasField("value")
    assert (
        code_of(c.signal.SetSignal, signal_pb2.SignalSetRequest(id=sid, value=_int(1)))
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    driver = RecordingDriver()
    shared.driver = driver
    try:
        c.signal.SetSignal(signal_pb2.SignalSetRequest(id=sid, value=yes))
    finally:
        shared.driver = None
    assert driver.calls == [("signal", ("approve", yes))]
    listed = c.signal.ListSignals(signal_pb2.SignalListRequest(workflow_execution_id=wf_id, limit=10))
    assert [(s.id.signal_id, s.value.scalar.primitive.boolean) for s in listed.signals] == [("approve", True)]
    bad = signal_pb2.SignalListRequest(workflow_execution_id=wf_id, limit=0)
    assert code_of(c.signal.ListSignals, bad) == grpc.StatusCode.INVALID_ARGUMENT


def test_deck_download_link_serves_the_stored_html(shared: Sandbox, c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "n0", R, 0)
    req = dataproxy_pb2.CreateDownloadLinkRequest(
        artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=c.nid(wf_id, "n0")
    )
    assert code_of(c.proxy.CreateDownloadLink, req) == grpc.StatusCode.NOT_FOUND  # no deck_uri
    uri = f"s3://b/{wf_id.name}/deck.html"
    c.node(wf_id, "n0", S, 1, deck_uri=uri)
    # a deck_uri whose object does not exist (yet): NOT_FOUND "object not found" (flyteadmin's dataproxy/service.go)
    with pytest.raises(grpc.RpcError) as missing:
        c.proxy.CreateDownloadLink(req)
    assert (missing.value.code(), missing.value.details()) == (grpc.StatusCode.NOT_FOUND, "object not found")
    shared.store.put_blob(uri, b"<html><body>deck</body></html>")
    resp = c.proxy.CreateDownloadLink(req)
    (url,) = resp.pre_signed_urls.signed_url
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"<html><body>deck</body></html>"
        assert r.headers["Content-Type"] == "text/html"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url[:-4] + "0000", timeout=10)
    assert info.value.code == 403
    undefined = dataproxy_pb2.CreateDownloadLinkRequest(node_execution_id=c.nid(wf_id, "n0"))
    assert code_of(c.proxy.CreateDownloadLink, undefined) == grpc.StatusCode.INVALID_ARGUMENT
    ghost = dataproxy_pb2.CreateDownloadLinkRequest(
        artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=c.nid(wf_id, "ghost")
    )
    assert code_of(c.proxy.CreateDownloadLink, ghost) == grpc.StatusCode.INVALID_ARGUMENT
    too_long = dataproxy_pb2.CreateDownloadLinkRequest()
    too_long.CopyFrom(req)
    too_long.expires_in.FromTimedelta(timedelta(hours=2))
    assert code_of(c.proxy.CreateDownloadLink, too_long) == grpc.StatusCode.INVALID_ARGUMENT


def test_registered_entities_and_version(c: Client) -> None:
    wf = c.admin.GetWorkflow(common_pb2.ObjectGetRequest(id=WF_ID))
    assert wf.closure.compiled_workflow.primary.template.id == WF_ID
    assert c.admin.GetLaunchPlan(common_pb2.ObjectGetRequest(id=LP_ID)).spec.workflow_id == WF_ID
    assert wf.closure.HasField("created_at")  # stamped at registration
    assert code_of(c.admin.GetTask, common_pb2.ObjectGetRequest(id=TASK_ID)) == grpc.StatusCode.NOT_FOUND
    projects = admin_pb2_grpc.flyteidl_dot_admin_dot_project__pb2.ProjectListRequest()
    assert code_of(c.admin.ListProjects, projects) == grpc.StatusCode.UNIMPLEMENTED
    assert c.admin.GetVersion(
        admin_pb2_grpc.flyteidl_dot_admin_dot_version__pb2.GetVersionRequest()
    ).control_plane_version.Version


# ----------------------------------------------------------------------------------------------------------------
# persistence


def test_sqlite_state_survives_restart_on_the_same_port_and_a_new_sandbox(tmp_path: Path) -> None:
    path = str(tmp_path / "state.sqlite")
    with Sandbox(clock="stepped", state_path=path, register_defaults=False) as sb:
        _register(sb)
        cl = Client(sb)
        wf_id = cl.create(name="keep")
        unnamed = execution_pb2.ExecutionCreateRequest(project=P, domain=D)
        unnamed.spec.launch_plan.CopyFrom(LP_ID)
        unnamed.inputs.literals["y"].CopyFrom(_int(1))
        first_generated = cl.admin.CreateExecution(unnamed).id.name
        cl.node(wf_id, "n0", R, 0, is_parent=True)
        cl.node(wf_id, "n0-0-a", R, 1, parent="n0")
        cl.task(wf_id, "n0-0-a", core_exec.TaskExecution.RUNNING, 1)
        port = sb.endpoint
        sb.stop()
        assert code_of(cl.get_node, wf_id, "n0") == grpc.StatusCode.UNAVAILABLE
        sb.start()
        assert sb.endpoint == port
        # the channel reconnects (wait_for_ready rides out its reconnect backoff)
        req = node_execution_pb2.NodeExecutionGetRequest(id=cl.nid(wf_id, "n0"))
        assert cl.admin.GetNodeExecution(req, wait_for_ready=True, timeout=30).closure.phase == R
        cl.channel.close()
    with Sandbox(clock="stepped", state_path=path, register_defaults=False) as sb2:
        cl2 = Client(sb2)
        assert cl2.node_ids(wf_id, unique_parent_id="n0") == ["n0-0-a"]
        assert cl2.get_task(wf_id, "n0-0-a").closure.phase == core_exec.TaskExecution.RUNNING
        assert cl2.admin.GetLaunchPlan(common_pb2.ObjectGetRequest(id=LP_ID)).spec.workflow_id == WF_ID
        cl2.node(wf_id, "n0-0-a", S, 5)  # state keeps projecting after the reload
        assert sb2.truth(wf_id) == {"n0": R, "n0-0-a": S}
        assert code_of(cl2.create, "keep") == grpc.StatusCode.ALREADY_EXISTS
        # the seeded name generator starts over, but a generated name never collides with a stored one
        req = execution_pb2.ExecutionCreateRequest(project=P, domain=D)
        req.spec.launch_plan.CopyFrom(LP_ID)
        req.inputs.literals["y"].CopyFrom(_int(1))
        assert cl2.admin.CreateExecution(req).id.name != first_generated
        cl2.channel.close()


# ----------------------------------------------------------------------------------------------------------------
# knobs


def test_rpc_counts_count_client_calls_only(shared: Sandbox, c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "n0", R, 0)  # internal
    shared.reset_rpc_counts()
    c.list_nodes(wf_id)
    c.list_nodes(wf_id)
    c.get_node(wf_id, "n0")
    code_of(c.get_node, wf_id, "ghost")
    c.node(wf_id, "n0", S, 1)
    assert shared.rpc_counts() == {"ListNodeExecutions": 2, "GetNodeExecution": 2}
    shared.reset_rpc_counts()
    assert shared.rpc_counts() == {}


def test_fail_next_by_method_and_internal_calls_unaffected(shared: Sandbox, c: Client) -> None:
    wf_id = c.create()
    shared.fail_next(2, grpc.StatusCode.UNAVAILABLE, methods=["GetNodeExecution"])
    c.node(wf_id, "n0", R, 0)  # internal: not failed
    c.list_nodes(wf_id)  # other method: not failed
    assert code_of(c.get_node, wf_id, "n0") == grpc.StatusCode.UNAVAILABLE
    assert code_of(c.get_node, wf_id, "n0") == grpc.StatusCode.UNAVAILABLE
    assert c.get_node(wf_id, "n0").closure.phase == R
    shared.fail_next(1, grpc.StatusCode.UNAVAILABLE, methods="GetNodeExecution")  # one name, not its letters
    c.list_nodes(wf_id)
    assert code_of(c.get_node, wf_id, "n0") == grpc.StatusCode.UNAVAILABLE
    shared.fail_next(1, grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert code_of(c.list_nodes, wf_id) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert c.list_nodes(wf_id).node_executions


def test_fail_fraction_is_seeded_and_can_be_turned_off(shared: Sandbox, c: Client) -> None:
    wf_id = c.create()
    c.node(wf_id, "n0", R, 0)

    def outcomes() -> list[grpc.StatusCode]:
        out = []
        for _ in range(40):
            try:
                c.get_node(wf_id, "n0")
                out.append(grpc.StatusCode.OK)
            except grpc.RpcError as err:
                out.append(err.code())
        return out

    shared.fail_fraction(0.5, grpc.StatusCode.UNAVAILABLE, seed=3)
    first = outcomes()
    shared.fail_fraction(0.5, grpc.StatusCode.UNAVAILABLE, seed=3)
    second = outcomes()
    shared.fail_fraction(0)
    assert first == second
    assert set(first) == {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}
    assert set(outcomes()) == {grpc.StatusCode.OK}


def test_deadline_exceeded_runs_past_the_callers_deadline(shared: Sandbox, c: Client) -> None:
    wf_id = c.create()
    shared.fail_next(1, grpc.StatusCode.DEADLINE_EXCEEDED)
    with pytest.raises(grpc.RpcError) as info:
        c.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf_id), timeout=0.2)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_latency_sleeps_before_each_client_call(shared: Sandbox, c: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(knobs, "_sleep", slept.append)
    wf_id = c.create()
    shared.set_latency(40)
    try:
        c.node(wf_id, "n0", R, 0)  # internal: no latency
        c.get_node(wf_id, "n0")
    finally:
        shared.set_latency(0)
    assert slept == [0.04]
    with pytest.raises(ValueError, match="latency"):
        shared.set_latency(-1)


def test_latency_delays_concurrent_calls_independently(
    shared: Sandbox, c: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two calls must be inside their latency sleep at the same time (as on a network): a barrier of two parties
    # only opens then. A sleep on gRPC's single serving thread would hold the second call back: broken barrier.
    barrier = threading.Barrier(2, timeout=10)
    monkeypatch.setattr(knobs, "_sleep", lambda _s: barrier.wait())
    wf_id = c.create()
    shared.set_latency(5)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            req = execution_pb2.WorkflowExecutionGetRequest(id=wf_id)
            futures = [pool.submit(c.admin.GetExecution, req, timeout=30) for _ in range(2)]
            phases = [f.result(timeout=30).closure.phase for f in futures]
    finally:
        shared.set_latency(0)
    assert phases == [core_exec.WorkflowExecution.UNDEFINED] * 2
    assert not barrier.broken


def test_internal_calls_reach_the_servicers_in_process_and_wait_while_stopped() -> None:
    from flyteexec_widget.sandbox.admin import (
        AdminContext,
        LocalCaller,
        NameGenerator,
        ServingGate,
        build_servicers,
    )
    from flyteexec_widget.sandbox.oauth import BlobSigner
    from flyteexec_widget.sandbox.store import Store

    store = Store()
    gate = ServingGate()
    caller = LocalCaller(
        build_servicers(AdminContext(store, NameGenerator(0)), BlobSigner(store.now), auth=False), gate, 0.0
    )
    req = execution_pb2.WorkflowExecutionGetRequest(
        id=identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name="x")
    )
    with pytest.raises(grpc.RpcError) as stopped:
        caller("admin", "GetExecution", req)
    assert stopped.value.code() == grpc.StatusCode.UNAVAILABLE
    gate.set(True)
    # the servicer's own checks and the store's errors answer, as over gRPC
    with pytest.raises(grpc.RpcError) as missing:
        caller("admin", "GetExecution", req)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert "proj:dev:x" in (missing.value.details() or "")
    with pytest.raises(grpc.RpcError) as invalid:
        caller("admin", "GetExecution", execution_pb2.WorkflowExecutionGetRequest())
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as unknown:
        caller("admin", "NoSuchMethod", req)
    assert unknown.value.code() == grpc.StatusCode.UNIMPLEMENTED
    gate.set(False)
    gate.close()  # a closing sandbox: waiting callers give up at once
    assert gate.wait(30) is False


def test_injected_failures_validate_arguments(shared: Sandbox) -> None:
    with pytest.raises(ValueError, match="p must be"):
        shared.fail_fraction(1.5)
    with pytest.raises(ValueError, match="code"):
        shared.fail_next(1, grpc.StatusCode.OK)


# ----------------------------------------------------------------------------------------------------------------
# auth


def _post(url: str, data: dict[str, str], basic: tuple[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    import base64
    import json
    from urllib.parse import urlencode

    req = urllib.request.Request(url, data=urlencode(data).encode(), method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    if basic:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_without_auth_the_auth_metadata_service_is_unimplemented(c: Client) -> None:
    stub = auth_pb2_grpc.AuthMetadataServiceStub(c.channel)
    assert (
        code_of(stub.GetPublicClientConfig, auth_pb2.PublicClientAuthConfigRequest()) == grpc.StatusCode.UNIMPLEMENTED
    )


def test_auth_mode_requires_a_token_from_the_token_endpoint() -> None:
    with Sandbox(clock="stepped", auth=True, register_defaults=False) as sb:
        _register(sb)
        cl = Client(sb)
        cfg = sb.auth_config
        assert cfg.client_secret not in repr(cfg)
        auth = auth_pb2_grpc.AuthMetadataServiceStub(cl.channel)
        public = auth.GetPublicClientConfig(auth_pb2.PublicClientAuthConfigRequest())  # needs no token
        assert public.authorization_metadata_key == "flyte-authorization"
        meta = auth.GetOAuth2Metadata(auth_pb2.OAuth2MetadataRequest())
        assert meta.token_endpoint == cfg.token_url
        assert meta.device_authorization_endpoint == cfg.device_authorization_url
        get = execution_pb2.WorkflowExecutionGetRequest(
            id=identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name="x")
        )
        assert code_of(cl.admin.GetExecution, get) == grpc.StatusCode.UNAUTHENTICATED
        bad = (("flyte-authorization", "Bearer nope"),)
        assert code_of(cl.admin.GetExecution, get, metadata=bad) == grpc.StatusCode.UNAUTHENTICATED
        # internal calls pass without a token
        wf_id = cl.create(name="x", metadata=INTERNAL_METADATA)
        # client credentials with HTTP Basic
        status, body = _post(
            cfg.token_url, {"grant_type": "client_credentials", "scope": "all"}, (cfg.client_id, "wrong")
        )
        assert status == 401
        status, body = _post(
            cfg.token_url, {"grant_type": "client_credentials", "scope": "all"}, (cfg.client_id, cfg.client_secret)
        )
        assert status == 200
        assert body["token_type"] == "Bearer"
        good = (("flyte-authorization", f"Bearer {body['access_token']}"),)
        assert cl.admin.GetExecution(get, metadata=good).id == wf_id
        # TerminateExecution records the token's subject as the principal
        cl.admin.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=wf_id, cause="c"), metadata=good)
        assert cl.admin.GetExecution(get, metadata=good).closure.abort_metadata.principal == cfg.client_id
        sb.revoke_tokens()
        assert code_of(cl.admin.GetExecution, get, metadata=good) == grpc.StatusCode.UNAUTHENTICATED
        cl.channel.close()


def test_device_flow_issues_a_token_once_approved() -> None:
    with Sandbox(clock="stepped", auth=True, register_defaults=False) as sb:
        cfg = sb.auth_config
        status, dev = _post(cfg.device_authorization_url, {"client_id": cfg.public_client_id, "scope": "all offline"})
        assert status == 200
        assert dev["verification_uri"].startswith("http://127.0.0.1:")
        poll = {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": dev["device_code"],
            "client_id": cfg.public_client_id,
        }
        status, body = _post(cfg.token_url, poll)
        assert (status, body["error"]) == (400, "authorization_pending")
        sb.approve_device_code(dev["user_code"])
        status, body = _post(cfg.token_url, poll)
        assert status == 200
        assert body["refresh_token"]
        cl = Client(sb)
        version = admin_pb2_grpc.flyteidl_dot_admin_dot_version__pb2.GetVersionRequest()
        cl.admin.GetVersion(version, metadata=(("authorization", f"Bearer {body['access_token']}"),))
        status, refreshed = _post(
            cfg.token_url, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
        )
        assert status == 200
        assert refreshed["access_token"] != body["access_token"]
        with pytest.raises(ValueError, match="user_code"):
            sb.approve_device_code("NOPE-NOPE")
        cl.channel.close()


# ----------------------------------------------------------------------------------------------------------------
# the Sandbox with its player: launch, stepped time, truth


def _list_tree(cl: Client, wf_id: Any, parent: str = "") -> dict[str, int]:
    out: dict[str, int] = {}
    for n in cl.list_nodes(wf_id, limit=1000, unique_parent_id=parent).node_executions:
        out[n.id.node_id] = n.closure.phase
        if n.metadata.is_parent_node:
            out.update(_list_tree(cl, wf_id, n.id.node_id))
    return out


def test_launch_and_run_until_done_play_a_scenario_without_counting_internal_calls(module_sandbox: Sandbox) -> None:
    sb = module_sandbox
    sb.reset_rpc_counts()
    wf_id = sb.launch("deep")
    assert sb.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
    assert sb.rpc_counts() == {}  # launch and every event are the sandbox's own calls
    cl = Client(sb)
    truth = sb.truth(wf_id)
    assert any("-" in k and k not in ("start-node", "end-node") for k in truth)  # children are included
    assert _list_tree(cl, wf_id) == truth  # what a client can list is exactly the truth
    assert sb.console_url(wf_id) == (
        f"{sb.console_endpoint}/console/projects/flytesnacks/domains/development/executions/{wf_id.name}"
    )
    cl.channel.close()


def test_gate_waits_for_set_signal_and_decks_download(module_sandbox: Sandbox) -> None:
    sb = module_sandbox
    wf_id = sb.launch("demo")
    with pytest.raises(RuntimeError, match="nothing is scheduled"):
        sb.run_until_done(wf_id)
    cl = Client(sb)
    (sig,) = cl.signal.ListSignals(signal_pb2.SignalListRequest(workflow_execution_id=wf_id, limit=10)).signals
    yes = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=True)))
    cl.signal.SetSignal(signal_pb2.SignalSetRequest(id=sig.id, value=yes))
    assert sb.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
    with_deck = [r for r in sb.store.all_nodes(wf_id) if r.proto.closure.deck_uri]
    assert with_deck, "the demo scenario has a node with a deck"
    req = dataproxy_pb2.CreateDownloadLinkRequest(
        artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=with_deck[0].proto.id
    )
    (url,) = cl.proxy.CreateDownloadLink(req).pre_signed_urls.signed_url
    with urllib.request.urlopen(url, timeout=10) as r:
        assert b"<html" in r.read()
    cl.channel.close()


def test_a_running_nodes_deck_is_not_found_until_the_task_ends(module_sandbox: Sandbox) -> None:
    """Propeller sends deck_uri on RUNNING (nodes/task/handler.go) before the task wrote the file; the data proxy
    answers NOT_FOUND until then. The player writes a node's deck when the node ends."""
    sb = module_sandbox
    wf_id = sb.launch("demo")
    cl = Client(sb)
    req = dataproxy_pb2.CreateDownloadLinkRequest(
        artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=cl.nid(wf_id, "n2")
    )
    for _ in range(60):
        if sb.truth(wf_id).get("n2") == NodePhase.RUNNING:
            break
        sb.advance(1)
    running = cl.get_node(wf_id, "n2")
    assert running.closure.phase == NodePhase.RUNNING
    assert running.closure.deck_uri  # reported from RUNNING on ...
    with pytest.raises(grpc.RpcError) as info:
        cl.proxy.CreateDownloadLink(req)  # ... but not written yet
    assert (info.value.code(), info.value.details()) == (grpc.StatusCode.NOT_FOUND, "object not found")
    for _ in range(120):
        if sb.truth(wf_id).get("n2") == NodePhase.SUCCEEDED:
            break
        sb.advance(1)
    (url,) = cl.proxy.CreateDownloadLink(req).pre_signed_urls.signed_url
    with urllib.request.urlopen(url, timeout=10) as r:
        assert b"Training" in r.read()
    cl.channel.close()


def test_terminate_relaunch_and_recover_through_the_player(module_sandbox: Sandbox) -> None:
    sb = module_sandbox
    cl = Client(sb)
    wf_id = sb.launch("single-task")
    sb.advance(1)
    assert sb.phase(wf_id) == WorkflowPhase.RUNNING
    cl.admin.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=wf_id, cause="stop"))
    assert sb.run_until_done(wf_id) == WorkflowPhase.ABORTED
    relaunched = cl.admin.RelaunchExecution(execution_pb2.ExecutionRelaunchRequest(id=wf_id)).id
    assert sb.run_until_done(relaunched) == WorkflowPhase.SUCCEEDED
    assert set(sb.truth(relaunched).values()) == {NodePhase.SUCCEEDED}
    with pytest.raises(ValueError, match="project:domain:name"):
        sb.truth("not-an-id")
    with pytest.raises(LookupError, match="p:d:unknown"):
        sb.truth("p:d:unknown")
    cl.channel.close()


def test_our_client_logs_in_to_an_auth_sandbox_with_client_secret_and_device_flow() -> None:
    from flyteexec_widget.admin.auth import ClientSecret, DeviceFlow
    from flyteexec_widget.admin.errors import AuthenticationError
    from flyteexec_widget.remote import Remote

    with Sandbox(clock="stepped", auth=True, register_defaults=False) as sb:
        _register(sb)
        wf_id = Client(sb).create(name="authy", metadata=INTERNAL_METADATA)
        cfg = sb.auth_config
        # the token endpoint is discovered through AuthMetadataService, as flytekit does
        with Remote.for_sandbox(sb.endpoint, auth=ClientSecret(cfg.client_id, cfg.client_secret)) as remote:
            assert remote.get_execution(wf_id).id == wf_id
            sb.revoke_tokens()  # the client refreshes on UNAUTHENTICATED and retries once
            assert remote.get_execution(wf_id).id == wf_id
        device = DeviceFlow(prompt=lambda uri, user_code: sb.approve_device_code(user_code), sleep=lambda s: None)
        with Remote.for_sandbox(sb.endpoint, auth=device) as remote:
            assert remote.get_execution(wf_id).id == wf_id
        with Remote.for_sandbox(sb.endpoint) as remote, pytest.raises(AuthenticationError):
            remote.get_execution(wf_id)


def test_a_port_in_use_is_refused_clearly(shared: Sandbox) -> None:
    port = int(shared.endpoint.rsplit(":", 1)[1])
    with pytest.raises(OSError, match=f"127.0.0.1:{port}"):
        Sandbox(port=port, clock="stepped", register_defaults=False)
    with pytest.raises(ValueError, match="port"):
        Sandbox(port=-1)
    with pytest.raises(ValueError, match="clock"):
        Sandbox(clock="fast")
