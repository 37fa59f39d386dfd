"""The hostile FlyteAdmin fixture answers exactly what it was scripted to (raw grpc stubs, no package code)."""

from __future__ import annotations

import threading
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2, node_execution_pb2
from flyteidl.service import admin_pb2_grpc, auth_pb2, auth_pb2_grpc

from tests.hostile_admin import (
    HANG,
    Hang,
    HostileAdmin,
    Status,
    execution,
    node_execution,
    wf_id,
    with_unknown_field,
)


def _get(server: HostileAdmin, timeout: float = 10.0) -> Any:
    with grpc.insecure_channel(server.endpoint) as ch:
        req = execution_pb2.WorkflowExecutionGetRequest(id=wf_id("ex1"))
        return admin_pb2_grpc.AdminServiceStub(ch).GetExecution(req, timeout=timeout)


def _code(fn: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as info:
        fn()
    err: Any = info.value
    return err.code(), err.details()


def test_unscripted_methods_are_unimplemented(hostile_admin: HostileAdmin) -> None:
    assert _code(lambda: _get(hostile_admin))[0] == grpc.StatusCode.UNIMPLEMENTED
    with grpc.insecure_channel(hostile_admin.endpoint) as ch:
        stub = auth_pb2_grpc.AuthMetadataServiceStub(ch)
        code, _ = _code(lambda: stub.GetPublicClientConfig(auth_pb2.PublicClientAuthConfigRequest(), timeout=10))
    assert code == grpc.StatusCode.UNIMPLEMENTED
    assert [c.method for c in hostile_admin.calls] == ["GetExecution", "GetPublicClientConfig"]


def test_a_sequence_is_answered_in_order_and_its_last_reply_repeats(hostile_admin: HostileAdmin) -> None:
    ex = execution("ex1")
    hostile_admin.script("GetExecution", Status(grpc.StatusCode.INTERNAL, "db down"), grpc.StatusCode.CANCELLED, ex)
    assert _code(lambda: _get(hostile_admin)) == (grpc.StatusCode.INTERNAL, "db down")
    assert _code(lambda: _get(hostile_admin))[0] == grpc.StatusCode.CANCELLED
    assert _get(hostile_admin) == ex
    assert _get(hostile_admin) == ex
    assert len(hostile_admin.calls_of("GetExecution")) == 4


def test_unknown_fields_and_enum_values_reach_the_client(hostile_admin: HostileAdmin) -> None:
    ex = execution("ex1", phase=99)
    hostile_admin.script("GetExecution", with_unknown_field(ex, 4242, b"from the future"))
    got = _get(hostile_admin)
    assert got.closure.phase == 99
    assert b"from the future" in got.SerializeToString()  # kept as an unknown field


def test_a_hung_call_waits_for_release_then_answers(hostile_admin: HostileAdmin) -> None:
    hostile_admin.script("GetExecution", Hang(then=execution("ex1")))
    result: list[Any] = []
    t = threading.Thread(target=lambda: result.append(_get(hostile_admin, timeout=60)), daemon=True)
    t.start()
    hostile_admin.wait_for_call("GetExecution")
    t.join(0.5)
    assert t.is_alive()  # accepted, not answered
    assert not result
    hostile_admin.release()
    t.join(30)
    assert result == [execution("ex1")]


def test_a_hung_call_ends_at_the_clients_deadline_and_frees_the_server(hostile_admin: HostileAdmin) -> None:
    hostile_admin.script("GetExecution", HANG)
    assert _code(lambda: _get(hostile_admin, timeout=0.5))[0] == grpc.StatusCode.DEADLINE_EXCEEDED
    hostile_admin.script("GetExecution", execution("ex1"))
    assert _get(hostile_admin).id.name == "ex1"


def test_stopping_the_server_ends_hung_calls() -> None:
    server = HostileAdmin().start()
    server.script("GetExecution", HANG)
    errors: list[Any] = []

    def call() -> None:
        try:
            _get(server, timeout=120)
        except grpc.RpcError as e:
            errors.append(e.code())

    t = threading.Thread(target=call, daemon=True)
    t.start()
    server.wait_for_call("GetExecution")
    server.stop()
    t.join(30)
    assert not t.is_alive()
    assert errors == [grpc.StatusCode.UNAVAILABLE]


def test_callables_and_serve_execution(hostile_admin: HostileAdmin) -> None:
    parent = node_execution("ex1", "n0")
    parent.metadata.is_parent_node = True
    child = node_execution("ex1", "n0-0-n1")
    hostile_admin.serve_execution(execution("ex1"), nodes=[parent], children={"n0": [child]})
    with grpc.insecure_channel(hostile_admin.endpoint) as ch:
        stub = admin_pb2_grpc.AdminServiceStub(ch)

        def listing(parent_id: str) -> list[str]:
            req = node_execution_pb2.NodeExecutionListRequest(
                workflow_execution_id=wf_id("ex1"), limit=100, unique_parent_id=parent_id
            )
            return [n.id.node_id for n in stub.ListNodeExecutions(req, timeout=10).node_executions]

        assert listing("") == ["n0"]
        assert listing("n0") == ["n0-0-n1"]
        assert listing("nope") == []
    assert _get(hostile_admin).id.name == "ex1"


def test_a_typo_in_a_method_name_is_a_clear_error(hostile_admin: HostileAdmin) -> None:
    with pytest.raises(ValueError, match=r"no FlyteAdmin method 'GetExecutoin'; valid: .*GetExecution"):
        hostile_admin.script("GetExecutoin", HANG)
