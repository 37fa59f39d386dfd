"""Our client and wrappers against the sandbox FlyteAdmin over real gRPC on 127.0.0.1: what a Flyte user relies on.

Fetching by every kind of reference, phases following the (stepped) clock, lazy inputs/outputs, errors, the
actions (terminate, approve/reject, signals, relaunch, recover) and surviving transient failures and restarts.
Time only moves in ``sb.advance()`` / ``sb.run_until_done()``; retries are given a recording ``sleep`` so they
never wait (except in the restart test, which needs real reconnection, see there).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier as WfId

from flyteexec_widget.admin.auth import ClientSecret, StaticToken
from flyteexec_widget.admin.errors import (
    AlreadyExistsError,
    DeadlineExceededError,
    FailedPreconditionError,
    FlyteAssertion,
    InvalidArgumentError,
    InvalidReferenceError,
    NotFoundError,
    PermissionDeniedError,
    RpcFailure,
    UnavailableError,
)
from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.objects.literal_refs import BlobRef
from flyteexec_widget.objects.phases import NodePhase, TaskPhase, WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox

PROJECT, DOMAIN = "flytesnacks", "development"

# What the scenarios produce (flyteexec_widget/sandbox/scenarios.py: _single_task, _demo, _failure).
HELLO = {"o0": "Hello, world!"}
DEMO_OUTPUTS = {
    "model": BlobRef(uri="s3://sandbox-data/flytesnacks/development/churn/model/model.joblib", format="joblib"),
    "metrics": {"accuracy": 0.934, "f1": 0.912, "auc": 0.971, "n_test": 20000},
    "endpoint": "https://models.example.com/churn/v3",
}
KEY_ERROR = "KeyError: 'customer_id' not found in input columns"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """One stepped sandbox for the module; every test launches its own executions."""
    with Sandbox(clock="stepped") as sandbox:
        yield sandbox


class Recorder:
    """Records what the client's retry loop reports, instead of sleeping."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.retries: list[tuple[int, RpcFailure]] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def on_retry(self, attempt: int, delay: float, error: RpcFailure) -> None:
        self.retries.append((attempt, error))


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def remote(sb: Sandbox, rec: Recorder) -> Iterator[Remote]:
    """A sandbox Remote whose retries never sleep; injected failures are cleared after each test."""
    r = Remote.for_sandbox(sb.endpoint, rpc_timeout=10.0, sleep=rec.sleep, on_retry=rec.on_retry)
    try:
        yield r
    finally:
        r.close()
        sb.clear_failures()


def play_until_gate(sb: Sandbox, wf: WfId) -> None:
    """Play every scheduled event; the execution is then waiting at a gate for a signal."""
    with pytest.raises(RuntimeError, match="nothing is scheduled"):
        sb.run_until_done(wf, max_seconds=3600)


def ident(wf: WfId) -> str:
    return f"{wf.project}:{wf.domain}:{wf.name}"


def node_phases(ex: FlyteWorkflowExecution) -> dict[str, str]:
    return {k: NodePhase(n.phase).name for k, n in ex.node_executions.items()}


# ------------------------------------------------------------------------------------------------ references


def test_fetch_execution_by_parts_string_console_url_and_defaults(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("single-task")
    by_parts = remote.fetch_execution(wf.project, wf.domain, wf.name)
    assert isinstance(by_parts, FlyteWorkflowExecution)
    assert by_parts.to_flyte_idl().id == wf
    assert remote.fetch_execution(ident(wf)).to_flyte_idl().id == wf
    # a console URL of this cluster (here derived from the admin endpoint: no console_endpoint is set; the
    # sandbox's own console pages are on its HTTP side, test_execution_url_is_the_console_url_of_the_sandbox)
    url = remote.generate_console_url(wf)
    assert remote.fetch_execution(url).to_flyte_idl().id == wf
    # a URL copied from a node's page in the console (with a trailing path and query) works too
    assert remote.fetch_execution(url + "/nodeId/n0?duration=all").to_flyte_idl().id == wf
    # keyword arguments, as flytekit's fetch_execution(project=..., domain=..., name=...)
    assert remote.fetch_execution(project=wf.project, domain=wf.domain, name=wf.name).to_flyte_idl().id == wf
    with Remote.for_sandbox(sb.endpoint, default_project=PROJECT, default_domain=DOMAIN) as with_defaults:
        assert with_defaults.fetch_execution(name=wf.name).to_flyte_idl().id == wf


def test_execution_url_is_the_console_url_of_the_sandbox(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("single-task")
    # Without console_endpoint a client derives the console from the admin endpoint, as flytekit does.
    assert remote.generate_console_url(wf) == (
        f"http://{sb.endpoint}/console/projects/{wf.project}/domains/{wf.domain}/executions/{wf.name}"
    )
    # With the sandbox's console endpoint, the URL is its stand-in console page.
    with Remote.for_sandbox(sb.endpoint, console_endpoint=sb.console_endpoint) as linked:
        ex = linked.fetch_execution(wf)
        assert ex.execution_url == sb.console_url(wf)
        assert linked.generate_console_url(wf) == sb.console_url(wf)
        # the URL we hand out can be fed back in
        assert linked.fetch_execution(ex.execution_url).to_flyte_idl().id == wf


def test_unknown_execution_is_not_found_naming_the_id(remote: Remote) -> None:
    with pytest.raises(NotFoundError) as info:
        remote.fetch_execution(PROJECT, DOMAIN, "doesnotexist")
    assert f"{PROJECT}:{DOMAIN}:doesnotexist" in str(info.value)
    assert info.value.code == grpc.StatusCode.NOT_FOUND
    assert info.value.method == "GetExecution"
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize(
    "ref",
    [
        "just-a-name",
        "project:domain",
        "a:b:c:d",
        "http://localhost:30080/console/projects/flytesnacks/domains/development",
        "flytesnacks:development:has space",
    ],
)
def test_malformed_reference_says_what_is_accepted(sb: Sandbox, ref: str) -> None:
    with Remote.for_sandbox(sb.endpoint) as r, pytest.raises(InvalidReferenceError) as info:
        r.fetch_execution(ref)
    msg = str(info.value)
    assert repr(ref) in msg
    assert "'project:domain:name'" in msg
    assert "console URL" in msg


def test_malformed_reference_makes_no_call(sb: Sandbox) -> None:
    sb.reset_rpc_counts()
    with Remote.for_sandbox(sb.endpoint) as r, pytest.raises(InvalidReferenceError, match="default_project"):
        r.fetch_execution(name="abc")
    assert sb.rpc_counts() == {}


# ------------------------------------------------------------------------------------------------ wrappers


def test_phases_follow_the_stepped_clock(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("single-task")
    ex = remote.fetch_execution(wf)
    seen: list[tuple[WorkflowPhase, bool, bool]] = []
    node_seen: list[NodePhase] = []
    task_seen: list[TaskPhase] = []
    for _ in range(10):
        ex.sync()
        seen.append((WorkflowPhase(ex.phase), ex.is_done, ex.is_successful))
        n0 = ex.node_executions.get("n0")
        if n0 is not None:
            node_seen.append(NodePhase(n0.phase))
            task_seen.append(TaskPhase(n0.task_executions[-1].phase))
        if ex.is_done:
            break
        sb.advance(1)

    def distinct(xs: list[Any]) -> list[Any]:
        return [x for i, x in enumerate(xs) if i == 0 or xs[i - 1] != x]

    assert distinct(seen)[-2:] == [
        (WorkflowPhase.RUNNING, False, False),
        (WorkflowPhase.SUCCEEDED, True, True),
    ]
    assert all(not done for _, done, _ in seen[:-1])  # done only at the end
    assert distinct(node_seen) == [NodePhase.RUNNING, NodePhase.SUCCEEDED]
    assert distinct(task_seen) == [TaskPhase.QUEUED, TaskPhase.RUNNING, TaskPhase.SUCCEEDED]
    assert set(ex.node_executions) == {"n0"}  # start/end nodes hidden, as flytekit does
    assert ex.closure.duration.total_seconds() > 0


def test_outputs_raise_while_running_then_give_python_values(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("single-task")
    sb.advance(2)
    ex = remote.fetch_execution(wf)
    assert ex.phase == WorkflowPhase.RUNNING
    with pytest.raises(FlyteAssertion, match="RUNNING: wait until it has completed"):
        ex.outputs  # noqa: B018 - the property access is what is tested
    assert dict(ex.inputs) == {"name": "world"}
    sb.run_until_done(wf)
    ex.sync()
    assert dict(ex.outputs) == HELLO
    assert ex.outputs["o0"] == "Hello, world!"


def test_demo_outputs_are_python_values(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("demo")
    play_until_gate(sb, wf)
    ex = remote.fetch_execution(wf)
    with pytest.raises(FlyteAssertion):
        ex.outputs  # noqa: B018
    remote.approve(ex, "approve-deploy")
    sb.run_until_done(wf)
    ex.sync()
    assert dict(ex.outputs) == DEMO_OUTPUTS
    # node-level outputs of a task that ran, typed by the task interface
    evaluate = ex.node_executions["n3"]
    assert evaluate.outputs["report"] == "accuracy 93.4% on 20,000 held-out customers"
    assert evaluate.outputs["metrics"] == DEMO_OUTPUTS["metrics"]
    assert dict(evaluate.inputs) == {"model": DEMO_OUTPUTS["model"]}


def test_deck_links_come_from_create_download_link_and_download(sb: Sandbox, remote: Remote) -> None:
    import urllib.request

    wf = sb.launch("demo")
    play_until_gate(sb, wf)  # n2 (train) and n3 (evaluate) have run and written decks; n0 has none
    ex = remote.fetch_execution(wf).sync()
    train = ex.node_executions["n2"].to_flyte_idl()
    assert train.closure.deck_uri
    (url,) = remote.create_download_link(train.id)
    assert url.startswith(("http://", "https://"))
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert "Training" in resp.read().decode()
    assert remote.create_download_link(ex.node_executions["n0"].to_flyte_idl().id) == []  # NOT_FOUND: no deck


def test_each_attempt_has_its_own_data_through_get_task_execution_data(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("demo")
    play_until_gate(sb, wf)
    train = remote.fetch_execution(wf).sync().node_executions["n2"]  # attempt 0 OOMKilled, attempt 1 succeeded
    failed, succeeded = train.task_executions
    sb.reset_rpc_counts()
    assert dict(succeeded.inputs) == {"learning_rate": 0.05, "epochs": 20}
    assert dict(succeeded.outputs) == {"model": DEMO_OUTPUTS["model"], "epochs": 20, "loss": 0.1873}
    assert dict(failed.inputs) == {"learning_rate": 0.05, "epochs": 20}
    with pytest.raises(FlyteAssertion, match=r"n2/sandbox\.train attempt 0 .*\(FAILED\).*OOMKilled"):
        failed.outputs  # noqa: B018
    # one call per attempt: the inputs' response also holds the succeeded attempt's (final) outputs; the failed
    # attempt's outputs ask nothing
    assert sb.rpc_counts()["GetTaskExecutionData"] == 2


def test_node_data_is_fetched_lazily_and_once_when_terminal(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("single-task")
    sb.advance(3)
    ex = remote.fetch_execution(wf).sync()
    n0 = ex.node_executions["n0"]
    sb.reset_rpc_counts()
    with pytest.raises(FlyteAssertion):
        n0.outputs  # noqa: B018 - running: refused without asking the server
    assert sb.rpc_counts().get("GetNodeExecutionData", 0) == 0

    sb.run_until_done(wf)
    ex.sync()
    assert n0.is_done
    assert sb.rpc_counts().get("GetNodeExecutionData", 0) == 0  # a sync never fetches data
    assert dict(n0.outputs) == HELLO
    assert sb.rpc_counts()["GetNodeExecutionData"] == 1
    assert dict(n0.outputs) == HELLO
    ex.sync()
    assert dict(ex.node_executions["n0"].outputs) == HELLO
    assert sb.rpc_counts()["GetNodeExecutionData"] == 1  # terminal: cached, also across syncs


def test_failure_error_carries_the_failing_nodes_message(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("failure")
    sb.advance(1)
    ex = remote.fetch_execution(wf)
    with pytest.raises(FlyteAssertion, match="wait until it has completed"):
        ex.error  # noqa: B018
    assert sb.run_until_done(wf) == WorkflowPhase.FAILED
    ex.sync()
    assert ex.is_done
    assert not ex.is_successful
    assert ex.error is not None
    assert ex.error.code == "USER:KeyError"
    assert KEY_ERROR in ex.error.message
    assert "n1" in ex.error.message
    node = ex.node_executions["n1"]
    assert node.phase == NodePhase.FAILED
    assert node.error is not None
    assert node.error.message == KEY_ERROR
    assert node_phases(ex) == {"n0": "SUCCEEDED", "n1": "FAILED", "n2": "ABORTED"}
    with pytest.raises(FlyteAssertion, match="ended in failure") as info:
        ex.outputs  # noqa: B018
    assert KEY_ERROR in str(info.value)
    assert ex.node_executions["n0"].outputs["o0"] == 42  # what succeeded is still readable


# ------------------------------------------------------------------------------------------------ actions


def test_terminate_a_running_execution_aborts_it(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("demo")
    sb.advance(10)
    ex = remote.fetch_execution(wf)
    assert ex.phase == WorkflowPhase.RUNNING
    remote.terminate(ex, cause="stop it")
    ex.sync()
    assert ex.phase == WorkflowPhase.ABORTING
    assert not ex.is_done
    assert ex.closure.abort_metadata.cause == "stop it"

    assert sb.run_until_done(wf) == WorkflowPhase.ABORTED
    ex.sync()
    assert ex.phase == WorkflowPhase.ABORTED
    assert ex.is_done
    assert not ex.is_successful
    assert not [k for k, p in node_phases(ex).items() if p in ("QUEUED", "RUNNING", "DYNAMIC_RUNNING")]
    assert "ABORTED" in node_phases(ex).values()
    with pytest.raises(FlyteAssertion, match="stop it"):
        ex.outputs  # noqa: B018


def test_aborted_execution_keeps_abort_metadata_and_has_no_error(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("demo")
    sb.advance(10)
    remote.terminate(wf, cause="stop it")
    sb.run_until_done(wf)
    ex = remote.fetch_execution(wf)
    assert ex.phase == WorkflowPhase.ABORTED
    assert ex.closure.abort_metadata is not None
    assert ex.closure.abort_metadata.cause == "stop it"
    assert ex.error is None  # as flytekit reports an aborted execution


def test_terminate_a_finished_execution_is_a_failed_precondition(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("single-task")
    sb.run_until_done(wf)
    ex = remote.fetch_execution(wf)
    with pytest.raises(FailedPreconditionError) as info:
        remote.terminate(ex, cause="too late")
    assert ident(wf) in str(info.value)
    assert "already terminated" in str(info.value)
    assert remote.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED


def test_approve_a_waiting_gate_finishes_the_execution(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("demo")
    play_until_gate(sb, wf)
    ex = remote.fetch_execution(wf).sync()
    assert ex.phase == WorkflowPhase.RUNNING
    assert ex.node_executions["n4"].phase == NodePhase.RUNNING  # the gate waits
    assert "n5" not in ex.node_executions
    assert [s.id.signal_id for s in remote.list_signals(wf)] == ["approve-deploy"]
    remote.approve(ex, "approve-deploy")
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    ex.sync()
    assert ex.is_successful
    assert node_phases(ex)["n4"] == "SUCCEEDED"
    assert node_phases(ex)["n5"] == "SUCCEEDED"


def test_reject_fails_the_gate_with_received_reject_signal(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("demo")
    play_until_gate(sb, wf)
    ex = remote.fetch_execution(wf)
    remote.reject(ex, "approve-deploy")
    assert sb.run_until_done(wf) == WorkflowPhase.FAILED
    ex.sync()
    assert ex.phase == WorkflowPhase.FAILED
    gate = ex.node_executions["n4"]
    assert gate.phase == NodePhase.FAILED
    assert gate.error is not None
    assert gate.error.code == "ReceivedRejectSignal"
    assert "n5" not in ex.node_executions


def test_set_signal_checks_the_type_then_the_gate_proceeds(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("all-kinds")
    play_until_gate(sb, wf)
    ex = remote.fetch_execution(wf).sync()
    assert ex.node_executions["n7"].phase == NodePhase.RUNNING
    with pytest.raises(InvalidArgumentError) as info:
        remote.set_signal(ex, "threshold", "high")
    msg = str(info.value)
    assert "signal threshold" in msg
    assert ident(wf) in msg
    assert "str 'high' does not fit the expected type float" in msg  # says what type the signal wants
    remote.set_signal(ex, "threshold", 0.7)
    sb.advance(5)
    ex.sync()
    gate = ex.node_executions["n7"]
    assert gate.phase == NodePhase.SUCCEEDED
    assert dict(gate.outputs) == {"threshold": 0.7}
    # the approve gate still waits: signals are independent
    assert ex.node_executions["n6"].phase == NodePhase.RUNNING


def test_relaunch_creates_a_new_execution_that_runs(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("single-task")
    sb.run_until_done(wf)
    ex = remote.fetch_execution(wf)
    new_id = remote.relaunch(ex)
    assert isinstance(new_id, WfId)
    assert (new_id.project, new_id.domain) == (wf.project, wf.domain)
    assert new_id.name != wf.name
    new = remote.fetch_execution(new_id)
    assert new.spec.metadata.mode == execution_pb2.ExecutionMetadata.RELAUNCH
    assert not new.is_done
    assert sb.run_until_done(new_id) == WorkflowPhase.SUCCEEDED
    assert dict(new.sync().outputs) == HELLO
    named = remote.relaunch(ident(wf), name="again-1")
    assert named.name == "again-1"


def test_relaunch_under_a_name_in_use_is_already_exists(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("single-task")
    sb.run_until_done(wf)
    taken = remote.relaunch(wf)
    with pytest.raises(AlreadyExistsError) as info:
        remote.relaunch(wf, name=taken.name)
    assert ident(taken) in str(info.value)


def test_approving_a_gate_that_does_not_exist_is_invalid_argument_naming_it(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("demo")
    play_until_gate(sb, wf)
    with pytest.raises(InvalidArgumentError) as info:
        remote.approve(wf, "approve-deplyo")  # a typo
    assert "approve-deplyo" in str(info.value)
    assert remote.fetch_execution(wf).phase == WorkflowPhase.RUNNING  # nothing happened


def test_recover_marks_what_succeeded_recovered(sb: Sandbox, remote: Remote) -> None:
    wf = sb.launch("failure")
    assert sb.run_until_done(wf) == WorkflowPhase.FAILED
    ex = remote.fetch_execution(wf)
    new_id = remote.recover(ex)
    assert new_id.name != wf.name
    sb.run_until_done(new_id)
    new = remote.fetch_execution(new_id).sync()
    assert new.spec.metadata.mode == execution_pb2.ExecutionMetadata.RECOVERED
    assert new.spec.metadata.reference_execution.name == wf.name
    n0 = new.node_executions["n0"]
    assert n0.phase == NodePhase.RECOVERED
    assert n0.is_successful
    assert not n0.is_done  # flytekit's is_done omits RECOVERED; we match it
    assert n0.outputs["o0"] == 42  # the recovered node's outputs are the original ones
    assert n0.task_executions == []  # not run again
    assert new.node_executions["n1"].phase == NodePhase.FAILED  # the scripted failure repeats


# ------------------------------------------------------------------------------------------------ transient failures


def test_transient_failures_are_retried(sb: Sandbox, remote: Remote, rec: Recorder) -> None:
    wf = sb.launch("single-task")
    sb.reset_rpc_counts()
    sb.fail_next(2, methods=["GetExecution"])
    ex = remote.fetch_execution(wf)
    assert ex.to_flyte_idl().id == wf
    assert sb.rpc_counts()["GetExecution"] == 3
    assert [a for a, _ in rec.retries] == [1, 2]
    assert all(isinstance(e, UnavailableError) for _, e in rec.retries)
    assert len(rec.sleeps) == 2
    assert all(s > 0 for s in rec.sleeps)


def test_more_failures_than_attempts_is_unavailable_naming_the_endpoint(sb: Sandbox) -> None:
    wf = sb.launch("single-task")
    r = Remote.for_sandbox(sb.endpoint, retry=RetryPolicy(max_attempts=3), sleep=lambda s: None)
    sb.reset_rpc_counts()
    sb.fail_next(5, methods=["GetExecution"])
    try:
        with pytest.raises(UnavailableError) as info:
            r.fetch_execution(wf)
    finally:
        sb.clear_failures()
        r.close()
    assert sb.endpoint in str(info.value)
    assert info.value.method == "GetExecution"
    assert info.value.transient
    assert sb.rpc_counts()["GetExecution"] == 3


def test_a_sync_survives_transient_failures(sb: Sandbox, remote: Remote, rec: Recorder) -> None:
    wf = sb.launch("demo")
    play_until_gate(sb, wf)
    sb.fail_next(4)  # whatever calls come next (the sync sends several at once)
    ex = remote.fetch_execution(wf).sync()
    assert len(rec.retries) == 4
    expected = {k: p.name for k, p in sb.truth(wf).items() if "-" not in k}  # top level, without start/end
    assert node_phases(ex) == expected


def test_lazy_data_fetch_is_retried(sb: Sandbox, remote: Remote, rec: Recorder) -> None:
    wf = sb.launch("single-task")
    sb.run_until_done(wf)
    n0 = remote.fetch_execution(wf).sync().node_executions["n0"]
    sb.fail_next(1, methods=["GetNodeExecutionData"])
    assert dict(n0.outputs) == HELLO
    assert [(a, e.method) for a, e in rec.retries] == [(1, "GetNodeExecutionData")]


def test_a_call_past_its_deadline_is_retried(sb: Sandbox) -> None:
    """The sandbox really answers after the caller's (short) deadline, once; the retry then succeeds."""
    wf = sb.launch("single-task")
    retries: list[RpcFailure] = []
    with Remote.for_sandbox(
        sb.endpoint, rpc_timeout=0.3, sleep=lambda s: None, on_retry=lambda a, d, e: retries.append(e)
    ) as r:
        sb.reset_rpc_counts()
        sb.fail_next(1, code=grpc.StatusCode.DEADLINE_EXCEEDED, methods=["GetExecution"])
        assert r.fetch_execution(wf).to_flyte_idl().id == wf
    assert sb.rpc_counts()["GetExecution"] == 2
    [err] = retries
    assert isinstance(err, DeadlineExceededError)
    assert ident(wf) in str(err)


def test_permission_denied_is_not_retried(sb: Sandbox, remote: Remote, rec: Recorder) -> None:
    wf = sb.launch("single-task")
    sb.reset_rpc_counts()
    sb.fail_next(1, code=grpc.StatusCode.PERMISSION_DENIED, methods=["GetExecution"])
    with pytest.raises(PermissionDeniedError):
        remote.fetch_execution(wf)
    assert sb.rpc_counts()["GetExecution"] == 1
    assert rec.retries == []


def test_credentials_against_a_server_without_auth_are_never_used(sb: Sandbox) -> None:
    """A config with auth works against an admin that has auth off (it announces none): no login is attempted."""
    wf = sb.launch("single-task")
    auth = ClientSecret("someone", "secret", token_url="http://127.0.0.1:9/unreachable")
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        assert r.fetch_execution(wf).to_flyte_idl().id == wf
    assert auth.token() is None
    with Remote.for_sandbox(sb.endpoint, auth=StaticToken("a-token")) as r:
        assert r.fetch_execution(wf).to_flyte_idl().id == wf


def test_relaunch_is_not_retried(sb: Sandbox, remote: Remote, rec: Recorder) -> None:
    """A relaunch that may have reached the server is not sent twice (it would start two executions)."""
    wf = sb.launch("single-task")
    sb.run_until_done(wf)
    sb.reset_rpc_counts()
    sb.fail_next(1, methods=["RelaunchExecution"])
    with pytest.raises(UnavailableError):
        remote.relaunch(wf)
    assert sb.rpc_counts()["RelaunchExecution"] == 1
    assert rec.retries == []
    assert remote.relaunch(wf).name  # the next one goes through


def test_stopped_server_is_unavailable_then_the_same_remote_works_after_start() -> None:
    """The only test that lets the client really wait: reconnecting to a restarted server takes real time.

    gRPC backs off before reconnecting a channel that failed to connect (1 s and growing by default). The
    reconnect backoff is capped at 0.3 s here and the retry window is longer than that, so the retry loop's
    real sleeps (well under 2 s in total) are enough whatever the jitter.
    """
    with Sandbox(clock="stepped") as sb:
        retries: list[int] = []
        r = Remote.for_sandbox(
            sb.endpoint,
            rpc_timeout=5.0,
            retry=RetryPolicy(max_attempts=6, initial_backoff=0.1, max_backoff=0.4),
            on_retry=lambda attempt, delay, err: retries.append(attempt),
            channel_options=[
                ("grpc.initial_reconnect_backoff_ms", 100),
                ("grpc.min_reconnect_backoff_ms", 100),
                ("grpc.max_reconnect_backoff_ms", 300),
            ],
        )
        with r:
            wf = sb.launch("single-task")
            sb.advance(3)
            before = r.fetch_execution(wf)
            assert before.phase == WorkflowPhase.RUNNING

            sb.stop()
            with pytest.raises(UnavailableError) as info:
                r.fetch_execution(wf)
            assert sb.endpoint in str(info.value)
            assert retries == [1, 2, 3, 4, 5]
            with Remote.for_sandbox(sb.endpoint, retry=RetryPolicy(max_attempts=2), sleep=lambda s: None) as quick:
                # a sync and a lazy data read while the admin is down fail the same way (nothing half-applied)
                stale = FlyteWorkflowExecution(before.to_flyte_idl(), remote=quick)
                with pytest.raises(UnavailableError):
                    stale.sync()
                with pytest.raises(UnavailableError):
                    stale.inputs  # noqa: B018
                assert stale.to_flyte_idl() == before.to_flyte_idl()

            sb.start()
            after = r.fetch_execution(wf)
            assert after.to_flyte_idl() == before.to_flyte_idl()  # state kept across the restart
            assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
            assert dict(after.sync().outputs) == HELLO


def test_displaying_an_execution_outside_a_kernel_gives_text_and_html_without_threads(
    sb: Sandbox, remote: Remote
) -> None:
    wf = sb.launch("failure")
    sb.run_until_done(wf)
    ex = remote.fetch_execution(wf)
    before = {t.ident for t in threading.enumerate()}
    data, _meta = ex._repr_mimebundle_()
    assert set(data) == {"text/plain", "text/html"}
    assert "[Failed]" in data["text/plain"]
    assert "KeyError" in data["text/plain"]
    assert wf.name in data["text/html"]
    assert {t.ident for t in threading.enumerate()} <= before  # no sync thread outside a kernel
