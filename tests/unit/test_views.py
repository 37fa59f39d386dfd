"""ProtoView: the conversions code written against flytekit's models relies on."""

from __future__ import annotations

import datetime

import pytest
from flyteidl.admin import cluster_assignment_pb2, common_pb2, execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import catalog_pb2, identifier_pb2, interface_pb2, literals_pb2, types_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from flyteexec_widget.admin.errors import FlyteExecWidgetError
from flyteexec_widget.objects.protoview import InvalidTimeError, ProtoView, is_valid_timestamp

UTC = datetime.timezone.utc
WF_ID = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n")


def _closure() -> execution_pb2.ExecutionClosure:
    c = execution_pb2.ExecutionClosure(phase=core_execution_pb2.WorkflowExecution.SUCCEEDED)
    c.started_at.FromDatetime(datetime.datetime(2026, 1, 2, 3, 4, 5, 600000))
    c.duration.FromTimedelta(datetime.timedelta(seconds=90, milliseconds=5))
    return c


def test_timestamps_become_aware_utc_datetimes_and_durations_timedeltas() -> None:
    view = ProtoView(_closure())
    assert view.started_at == datetime.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    assert view.started_at.tzinfo is not None
    assert view.duration == datetime.timedelta(seconds=90, milliseconds=5)


@pytest.mark.parametrize(
    ("field", "seconds", "nanos"),
    [
        ("started_at", 253_402_300_800, 0),  # 10000-01-01: one second past Python's datetime range
        ("started_at", 2**62, 0),
        ("created_at", -62_135_596_801, 0),  # one second before 0001-01-01
        ("updated_at", 0, -1),  # negative nanos
        ("updated_at", 0, 1_000_000_000),  # a whole second of nanos
        ("duration", 315_576_000_001, 0),  # past protobuf's 10,000 years (and timedelta: OverflowError)
        ("duration", -(2**62), 0),
        ("duration", 1, 2_000_000_000),
    ],
)
def test_a_time_out_of_range_raises_a_clear_error_for_that_field_only(field: str, seconds: int, nanos: int) -> None:
    c = _closure()
    getattr(c, field).seconds = seconds
    getattr(c, field).nanos = nanos
    view = ProtoView(c)
    with pytest.raises(InvalidTimeError) as info:
        getattr(view, field)
    message = str(info.value)
    assert f"flyteidl.admin.ExecutionClosure.{field}" in message  # names the field...
    assert f"seconds={seconds}, nanos={nanos}" in message  # ...and the value
    assert isinstance(info.value, (FlyteExecWidgetError, ValueError))
    # the other fields still read
    assert view.phase == core_execution_pb2.WorkflowExecution.SUCCEEDED
    others = {"started_at", "duration"} - {field}
    for name in others:
        assert getattr(view, name) is not None
    assert field in repr(view)  # the repr is text format: it never converts


def test_the_edges_of_the_valid_range_still_convert() -> None:
    c = execution_pb2.ExecutionClosure()
    c.started_at.seconds, c.started_at.nanos = 253_402_300_799, 999_999_999
    c.created_at.seconds = -62_135_596_800
    c.duration.seconds, c.duration.nanos = -315_576_000_000, -999_999_999
    view = ProtoView(c)
    assert view.started_at == datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert view.created_at == datetime.datetime(1, 1, 1, tzinfo=UTC)
    assert view.duration.days == -3652500 - 1
    assert is_valid_timestamp(c.started_at)
    assert is_valid_timestamp(c.created_at)
    c.started_at.seconds += 1
    assert not is_valid_timestamp(c.started_at)


def test_an_invalid_time_inside_a_list_fails_for_that_element_only() -> None:
    closure = task_execution_pb2.TaskExecutionClosure()
    closure.reasons.add(message="ok").occurred_at.seconds = 10
    closure.reasons.add(message="bad").occurred_at.seconds = 2**62
    reasons = ProtoView(closure).reasons
    assert reasons[0].occurred_at.year == 1970
    with pytest.raises(InvalidTimeError, match=r"admin.Reason.occurred_at: Timestamp\(seconds=4611686018427387904"):
        _ = reasons[1].occurred_at


def test_unset_sub_messages_and_scalars_with_presence_are_none() -> None:
    view = ProtoView(execution_pb2.ExecutionClosure())
    assert view.error is None
    assert view.started_at is None
    assert view.duration is None
    assert view.abort_cause is None  # a oneof member string
    assert not view.has("error")
    node = ProtoView(node_execution_pb2.NodeExecutionClosure(deck_uri=""))
    assert node.output_uri is None
    assert node.deck_uri == ""  # no presence: the plain value
    assert ProtoView(node_execution_pb2.NodeExecutionClosure(output_uri="s3://o")).output_uri == "s3://o"


def test_set_sub_messages_are_views_with_flytekit_names() -> None:
    closure = _closure()
    closure.error.CopyFrom(core_execution_pb2.ExecutionError(code="USER:E", message="bad", kind=1))
    view = ProtoView(closure)
    assert isinstance(view.error, ProtoView)
    assert (view.error.code, view.error.message, view.error.kind) == ("USER:E", "bad", 1)
    assert view.has("error")


def test_enums_are_plain_ints() -> None:
    phase = ProtoView(_closure()).phase
    assert phase == 4
    assert type(phase) is int


def test_repeated_and_map_fields() -> None:
    spec = execution_pb2.ExecutionSpec(tags=["a", "b"], labels=common_pb2.Labels(values={"team": "ml"}))
    view = ProtoView(spec)
    assert view.tags == ["a", "b"]
    assert view.labels.values == {"team": "ml"}
    closure = task_execution_pb2.TaskExecutionClosure(
        logs=[core_execution_pb2.TaskLog(name="l1", uri="https://x"), core_execution_pb2.TaskLog(name="l2")]
    )
    logs = ProtoView(closure).logs
    assert [type(x) for x in logs] == [ProtoView, ProtoView]
    assert [x.name for x in logs] == ["l1", "l2"]
    lit = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=3)))
    literals = ProtoView(literals_pb2.LiteralMap(literals={"x": lit})).literals
    assert list(literals) == ["x"]
    assert literals["x"] == lit
    assert literals["x"].scalar.primitive.integer == 3


def test_wrapper_types_unwrap_and_structs_become_dicts() -> None:
    spec = execution_pb2.ExecutionSpec()
    assert ProtoView(spec).interruptible is None
    spec.interruptible.value = False
    assert ProtoView(spec).interruptible is False
    closure = task_execution_pb2.TaskExecutionClosure()
    closure.custom_info.update({"a": 1, "b": ["x"]})
    assert ProtoView(closure).custom_info == {"a": 1.0, "b": ["x"]}


def test_aliases_for_flytekit_names() -> None:
    child = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="child")
    wf_node = node_execution_pb2.NodeExecutionClosure(
        workflow_node_metadata=node_execution_pb2.WorkflowNodeMetadata(executionId=child)
    )
    view = ProtoView(wf_node)
    assert view.workflow_node_metadata.execution_id.name == "child"
    assert view.workflow_node_metadata.executionId == child  # the proto name works too
    assert view.target_metadata == wf_node.workflow_node_metadata
    task_node = node_execution_pb2.NodeExecutionClosure(
        task_node_metadata=node_execution_pb2.TaskNodeMetadata(cache_status=catalog_pb2.CACHE_HIT)
    )
    assert ProtoView(task_node).target_metadata.cache_status == catalog_pb2.CACHE_HIT
    assert ProtoView(node_execution_pb2.NodeExecutionClosure()).target_metadata is None
    assert ProtoView(cluster_assignment_pb2.ClusterAssignment(cluster_pool_name="gpu")).cluster_pool == "gpu"
    envs = common_pb2.Envs(values=[literals_pb2.KeyValuePair(key="K", value="V")])
    assert ProtoView(envs).envs == {"K": "V"}
    src = identifier_pb2.TaskExecutionIdentifier(retry_attempt=2)
    assert ProtoView(catalog_pb2.CatalogMetadata(source_task_execution=src)).source_execution.retry_attempt == 2
    assert ProtoView(catalog_pb2.CatalogMetadata()).source_execution is None


def _interface() -> interface_pb2.TypedInterface:
    int_type = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    return interface_pb2.TypedInterface(
        inputs=interface_pb2.VariableMap(variables={"a": interface_pb2.Variable(type=int_type, description="in")}),
        outputs=interface_pb2.VariableMap(variables={"o0": interface_pb2.Variable(type=int_type)}),
    )


def test_typed_interface_inputs_and_outputs_are_dicts_of_variables() -> None:
    view = ProtoView(_interface())
    assert sorted(view.inputs) == ["a"]
    assert view.inputs["a"].description == "in"
    assert view.outputs["o0"].type.simple == types_pb2.INTEGER


@pytest.mark.flytekit
def test_typed_interface_reads_like_flytekits() -> None:
    from flytekit.models.interface import TypedInterface  # type: ignore[import-untyped]

    theirs, ours = TypedInterface.from_flyte_idl(_interface()), ProtoView(_interface())
    assert sorted(theirs.inputs) == sorted(ours.inputs)
    assert theirs.inputs["a"].description == ours.inputs["a"].description
    assert theirs.outputs["o0"].type.simple == ours.outputs["o0"].type.simple


def test_unknown_names_and_writes_fail_clearly() -> None:
    view = ProtoView(identifier_pb2.WorkflowExecutionIdentifier(project="p"))
    with pytest.raises(AttributeError, match=r"no field 'nmae'; fields: domain, name, org, project"):
        _ = view.nmae
    with pytest.raises(AttributeError, match="read-only"):
        view.project = "q"
    with pytest.raises(TypeError, match="needs a protobuf message"):
        ProtoView({"project": "p"})  # type: ignore[arg-type]
    assert {"project", "to_flyte_idl"} <= set(dir(view))
    assert "execution_id" in dir(ProtoView(node_execution_pb2.WorkflowNodeMetadata()))


def test_equality_hash_and_raw_access() -> None:
    msg = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n")
    view = ProtoView(msg)
    assert view.to_flyte_idl() is msg
    assert view == ProtoView(identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n"))
    assert view == msg
    assert view != ProtoView(identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="m"))
    assert view != "p:d:n"
    assert hash(view) == hash(ProtoView(identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n")))
    assert view.serialize_to_string() == msg.SerializeToString()
    assert not view.is_empty
    assert ProtoView(identifier_pb2.WorkflowExecutionIdentifier()).is_empty


def test_views_copy_and_pickle() -> None:
    import copy
    import pickle

    view = ProtoView(WF_ID)
    assert copy.copy(view) == view
    assert copy.deepcopy(view) == view
    assert pickle.loads(pickle.dumps(view)) == view


def test_repr_names_the_type_and_shows_the_fields_shortened() -> None:
    view = ProtoView(WF_ID)
    assert repr(view) == '<flyteidl.core.WorkflowExecutionIdentifier project: "p" domain: "d" name: "n">'
    long = ProtoView(core_execution_pb2.ExecutionError(message="x" * 500))
    assert len(repr(long)) < 260
    assert repr(long).endswith("…>")
