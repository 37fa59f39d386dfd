"""The sandbox keeps its read answers while the store is unchanged, and never serves one after a change.

Every answer is kept here, however small (``min_bytes = 0``). Each test gets an answer twice (the second one from
the cache: asserted by the cache's hit count where it matters, so the cached path is really taken), then changes
the store the way it changes in use (player events, a registration, a test writing records under the store's
lock) and checks the next answer shows the change.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from flyteidl.admin import common_pb2, execution_pb2, node_execution_pb2, task_execution_pb2, workflow_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import admin_pb2_grpc

from flyteexec_widget.objects.phases import NodePhase, WorkflowPhase
from flyteexec_widget.sandbox import Sandbox

ASC = common_pb2.Sort.ASCENDING


@pytest.fixture
def stub(sandbox: Sandbox) -> Iterator[admin_pb2_grpc.AdminServiceStub]:
    sandbox.answer_cache.min_bytes = 0  # keep every answer, however small: the strictest test of invalidation
    channel = grpc.insecure_channel(sandbox.endpoint)
    try:
        yield admin_pb2_grpc.AdminServiceStub(channel)
    finally:
        channel.close()


def _list_nodes(
    stub: admin_pb2_grpc.AdminServiceStub, wf: identifier_pb2.WorkflowExecutionIdentifier, **kw: object
) -> node_execution_pb2.NodeExecutionList:
    req = node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=wf, limit=100)
    for k, v in kw.items():
        if k == "sort_by":
            req.sort_by.CopyFrom(v)
        else:
            setattr(req, k, v)
    return stub.ListNodeExecutions(req, timeout=10)


def _phases(listing: node_execution_pb2.NodeExecutionList) -> dict[str, NodePhase]:
    return {n.id.node_id: NodePhase(n.closure.phase) for n in listing.node_executions}


def test_a_node_listing_follows_the_events_after_a_cached_answer(
    sandbox: Sandbox, stub: admin_pb2_grpc.AdminServiceStub
) -> None:
    wf = sandbox.launch("wide", size=6)
    sandbox.advance(1)
    cache = sandbox.answer_cache
    first = _list_nodes(stub, wf)
    hits = cache.hits
    again = _list_nodes(stub, wf)
    assert cache.hits == hits + 1  # served from the cache
    assert again == first
    assert _phases(first) == sandbox.truth(wf)
    assert any(p != NodePhase.SUCCEEDED for p in _phases(first).values())
    sandbox.run_until_done(wf)
    after = _list_nodes(stub, wf)
    assert _phases(after) == sandbox.truth(wf)
    assert set(_phases(after).values()) == {NodePhase.SUCCEEDED}


def test_an_execution_a_node_and_an_attempt_follow_the_events(
    sandbox: Sandbox, stub: admin_pb2_grpc.AdminServiceStub
) -> None:
    wf = sandbox.launch("wide", size=3)
    nid = identifier_pb2.NodeExecutionIdentifier(node_id="n2", execution_id=wf)
    get_ex = execution_pb2.WorkflowExecutionGetRequest(id=wf)
    get_node = node_execution_pb2.NodeExecutionGetRequest(id=nid)
    list_tasks = task_execution_pb2.TaskExecutionListRequest(node_execution_id=nid, limit=10)
    # before the node exists: NOT_FOUND, an empty attempt listing; asked twice (an error is never kept)
    for _ in range(2):
        with pytest.raises(grpc.RpcError) as missing:
            stub.GetNodeExecution(get_node, timeout=10)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert not stub.ListTaskExecutions(list_tasks, timeout=10).task_executions
        assert stub.GetExecution(get_ex, timeout=10).closure.phase != WorkflowPhase.SUCCEEDED
    sandbox.run_until_done(wf)
    assert stub.GetExecution(get_ex, timeout=10).closure.phase == WorkflowPhase.SUCCEEDED
    assert stub.GetNodeExecution(get_node, timeout=10).closure.phase == NodePhase.SUCCEEDED
    attempts = stub.ListTaskExecutions(list_tasks, timeout=10).task_executions
    assert [a.closure.phase for a in attempts] == [3]  # one attempt, SUCCEEDED


def test_records_changed_under_the_store_lock_are_served_at_once(
    sandbox: Sandbox, stub: admin_pb2_grpc.AdminServiceStub
) -> None:
    """What the hostile-strings browser test does: rewrite attempts' logs in place after the run."""
    wf = sandbox.launch("wide", size=2)
    sandbox.run_until_done(wf)
    nid = identifier_pb2.NodeExecutionIdentifier(node_id="n0", execution_id=wf)
    req = task_execution_pb2.TaskExecutionListRequest(node_execution_id=nid, limit=10)
    before = stub.ListTaskExecutions(req, timeout=10)
    assert stub.ListTaskExecutions(req, timeout=10) == before
    with sandbox.store.lock:
        for key, rec in sandbox.store.tasks.items():
            if key[3] == "n0":
                del rec.proto.closure.logs[:]
                rec.proto.closure.logs.add(name="poisoned", uri="https://logs.example/poisoned")
    after = stub.ListTaskExecutions(req, timeout=10)
    assert [log.name for log in after.task_executions[0].closure.logs] == ["poisoned"]


def test_a_workflow_registered_again_is_served_new(sandbox: Sandbox, stub: admin_pb2_grpc.AdminServiceStub) -> None:
    wf = sandbox.launch("wide", size=2)
    wf_id = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf), timeout=10).closure.workflow_id
    req = common_pb2.ObjectGetRequest(id=wf_id)
    first = stub.GetWorkflow(req, timeout=10)
    hits = sandbox.answer_cache.hits
    assert stub.GetWorkflow(req, timeout=10) == first
    assert sandbox.answer_cache.hits == hits + 1
    changed = workflow_pb2.Workflow()
    changed.CopyFrom(first)
    changed.short_description = "registered again"
    sandbox.store.put_workflow(changed)
    assert stub.GetWorkflow(req, timeout=10).short_description == "registered again"


def test_pages_filters_and_sort_orders_each_get_their_own_exact_answer(
    sandbox: Sandbox, stub: admin_pb2_grpc.AdminServiceStub
) -> None:
    wf = sandbox.launch("wide", size=7)
    sandbox.advance(3.2)  # some nodes done, some running
    by_time = common_pb2.Sort(key="created_at", direction=ASC)
    by_id_desc = common_pb2.Sort(key="node_id")
    for _ in range(2):  # the second round comes from the cache
        whole = [n.id.node_id for n in _list_nodes(stub, wf, sort_by=by_time).node_executions]
        assert {f"n{i}" for i in range(7)} <= set(whole)
        assert len(whole) == len(set(whole)) == len(sandbox.truth(wf))
        assert [n.id.node_id for n in _list_nodes(stub, wf).node_executions] == sorted(whole)
        assert [n.id.node_id for n in _list_nodes(stub, wf, sort_by=by_id_desc).node_executions] == sorted(
            whole, reverse=True
        )
        pages, token = [], ""
        while True:
            page = _list_nodes(stub, wf, limit=3, token=token, sort_by=by_time)
            pages.append([n.id.node_id for n in page.node_executions])
            token = page.token
            if not token:
                break
        assert pages == [whole[i : i + 3] for i in range(0, len(whole), 3)]
        done = _list_nodes(stub, wf, filters="eq(phase,SUCCEEDED)", sort_by=by_time)
        truth = sandbox.truth(wf)
        assert [n.id.node_id for n in done.node_executions] == [k for k in whole if truth[k] == NodePhase.SUCCEEDED]
        assert 0 < len(done.node_executions) < len(whole)
    sandbox.run_until_done(wf)
    done = _list_nodes(stub, wf, filters="eq(phase,SUCCEEDED)", sort_by=by_time)
    succeeded = {k for k, phase in sandbox.truth(wf).items() if phase == NodePhase.SUCCEEDED}
    assert {n.id.node_id for n in done.node_executions} == succeeded  # end-node too, new since the cached answers
    assert {f"n{i}" for i in range(7)} <= succeeded
    with pytest.raises(grpc.RpcError) as bad:
        _list_nodes(stub, wf, token="not-a-token")
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_terminated_execution_is_served_aborting(sandbox: Sandbox, stub: admin_pb2_grpc.AdminServiceStub) -> None:
    wf = sandbox.launch("wide", size=2)
    get_ex = execution_pb2.WorkflowExecutionGetRequest(id=wf)
    assert stub.GetExecution(get_ex, timeout=10) == stub.GetExecution(get_ex, timeout=10)
    stub.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=wf, cause="stop"), timeout=10)
    closure = stub.GetExecution(get_ex, timeout=10).closure
    assert closure.abort_metadata.cause == "stop"
    assert closure.phase in (WorkflowPhase.ABORTING, WorkflowPhase.ABORTED)
