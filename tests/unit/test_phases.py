"""The phase table: every enum value has a style, and terminality follows FlyteAdmin's rules."""

from __future__ import annotations

import pytest
from flyteidl.core import catalog_pb2, execution_pb2

from flyteexec_widget.objects.phases import (
    FLYTEKIT_NODE_DONE,
    NODE_TERMINAL,
    TASK_TERMINAL,
    WORKFLOW_TERMINAL,
    CacheStatus,
    ErrorKind,
    NodePhase,
    TaskPhase,
    WorkflowPhase,
    cache_label,
    enum_name,
    error_kind_name,
    is_terminal,
    phase_name,
    style,
)


@pytest.mark.parametrize(
    ("enum", "proto_enum"),
    [
        (WorkflowPhase, execution_pb2.WorkflowExecution.Phase),
        (NodePhase, execution_pb2.NodeExecution.Phase),
        (TaskPhase, execution_pb2.TaskExecution.Phase),
        (CacheStatus, catalog_pb2.CatalogCacheStatus),
        (ErrorKind, execution_pb2.ExecutionError.ErrorKind),
    ],
)
def test_enums_mirror_flyteidl(enum: type, proto_enum: object) -> None:
    proto_names = dict(proto_enum.items())  # type: ignore[attr-defined]
    assert {m.name: int(m) for m in enum} == proto_names


def test_terminal_sets_follow_flyteadmin() -> None:
    assert {p.name for p in WORKFLOW_TERMINAL} == {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
    assert {NodePhase(p).name for p in NODE_TERMINAL} == {
        "SUCCEEDED",
        "FAILED",
        "TIMED_OUT",
        "ABORTED",
        "SKIPPED",
        "RECOVERED",
    }
    assert {TaskPhase(p).name for p in TASK_TERMINAL} == {"SUCCEEDED", "FAILED", "ABORTED"}
    assert NodePhase.RECOVERED not in FLYTEKIT_NODE_DONE


def test_distinct_labels_for_phases_users_confuse() -> None:
    labels = {
        style("node", NodePhase.RECOVERED).label,
        style("node", NodePhase.SKIPPED).label,
        style("node", NodePhase.DYNAMIC_RUNNING).label,
        style("task", TaskPhase.WAITING_FOR_RESOURCES).label,
        style("node", NodePhase.RUNNING).label,
    }
    assert len(labels) == 5


def test_unknown_phase_from_newer_flyte_is_neutral() -> None:
    s = style("node", 42)
    assert not s.terminal
    assert s.label == "unknown (42)"
    assert phase_name("task", 42) == "unknown (42)"
    assert not is_terminal("workflow", 42)
    with pytest.raises(ValueError, match="kind must be one of"):
        style("job", 1)  # type: ignore[arg-type]


def test_enum_values_a_newer_flyte_sends_read_unknown_n() -> None:
    # A newer FlyteAdmin's error kind, cache status or phase: a name, never the ValueError protobuf's Name() raises.
    with pytest.raises(ValueError, match="no name defined for value 7"):
        execution_pb2.ExecutionError.ErrorKind.Name(7)
    assert error_kind_name(7) == "unknown (7)"
    assert error_kind_name(execution_pb2.ExecutionError.USER) == "USER"
    assert error_kind_name(0) == "UNKNOWN"  # flyteidl's own UNKNOWN is a known value
    assert cache_label(99) == "unknown (99)"
    assert cache_label(CacheStatus.CACHE_HIT) == "hit"
    assert enum_name(WorkflowPhase, -1) == "unknown (-1)"
    for kind in ("workflow", "node", "task"):
        assert phase_name(kind, 2**31 - 1) == f"unknown ({2**31 - 1})"  # type: ignore[arg-type]
        assert style(kind, 2**31 - 1).label == f"unknown ({2**31 - 1})"  # type: ignore[arg-type]
