"""Remote over a real in-process gRPC server: paging, deadlines, retries, translation, auth, user-level actions."""

from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2, signal_pb2, workflow_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2

from flyteexec_widget.admin import errors
from flyteexec_widget.admin.auth import (
    ClientSecret,
    ExternalCommand,
    LoginError,
    StaticToken,
    TokenResponse,
    may_prompt,
    prompting,
)
from flyteexec_widget.admin.client import NODE_PAGE_SIZE
from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.remote import Remote
from tests.hostile_admin import HANG, HostileAdmin, Status

from ..hostile_text import UNSAFE, hostile
from ._fake_admin import FakeIdP, FakeServer, bool_value, node_execution, serve, wf_id

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    with serve() as f:
        yield f


class Sleeps:
    """An injectable sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, s: float) -> None:
        self.delays.append(s)


def remote_for(fake: FakeServer, **kw: Any) -> Remote:
    kw.setdefault("sleep", Sleeps())
    return Remote.for_sandbox(fake.endpoint, **kw)


# ---------------------------------------------------------------- paging


@pytest.mark.parametrize(("count", "limit", "pages"), [(7, 3, 3), (6, 3, 3), (3, 3, 2), (2, 3, 1), (0, 3, 1)])
def test_list_node_executions_follows_every_page(fake: FakeServer, count: int, limit: int, pages: int) -> None:
    wid = wf_id()
    # created in reverse order, so the ascending sort is visible
    fake.admin.node_executions = [node_execution(wid, f"n{i}", 1000 - i) for i in range(count)]
    with remote_for(fake) as r:
        nodes = r.list_node_executions(wid, limit=limit)
    assert [n.id.node_id for n in nodes] == [f"n{i}" for i in reversed(range(count))]
    calls = fake.state.of("ListNodeExecutions")
    assert len(calls) == pages  # an exactly-full last page is followed by one empty page
    assert [c.request.token for c in calls] == [""] + [str(limit * i) for i in range(1, pages)]
    assert all(c.request.sort_by.key == "created_at" for c in calls)
    assert all(c.request.sort_by.direction == c.request.sort_by.ASCENDING for c in calls)


def test_list_node_executions_passes_parent_and_filters(fake: FakeServer) -> None:
    with remote_for(fake) as r:
        r.list_node_executions(wf_id(), unique_parent_id="n1", filters="eq(phase,RUNNING)")
    (call,) = fake.state.of("ListNodeExecutions")
    assert call.request.unique_parent_id == "n1"
    assert call.request.filters == "eq(phase,RUNNING)"
    # one call for a level of up to NODE_PAGE_SIZE nodes: a 1,000-node level (1,002 with start and end) is one page
    assert call.request.limit == NODE_PAGE_SIZE > 1002


def test_list_signals_and_task_executions_page(fake: FakeServer) -> None:
    wid = wf_id()
    fake.signal.signals = [
        signal_pb2.Signal(id=identifier_pb2.SignalIdentifier(signal_id=f"s{i}", execution_id=wid)) for i in range(5)
    ]
    with remote_for(fake) as r:
        assert [s.id.signal_id for s in r.list_signals(wid, limit=2)] == ["s0", "s1", "s2", "s3", "s4"]
        assert r.list_task_executions(identifier_pb2.NodeExecutionIdentifier(node_id="n0", execution_id=wid)) == []
    assert fake.state.count("ListSignals") == 3
    # pages over an order it asked for (a signal_id column exists in flyteadmin's models/signal.go)
    assert all(c.request.sort_by.key == "signal_id" for c in fake.state.of("ListSignals"))


# ---------------------------------------------------------------- errors, retries, deadlines


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (grpc.StatusCode.NOT_FOUND, errors.NotFoundError),
        (grpc.StatusCode.INVALID_ARGUMENT, errors.InvalidArgumentError),
        (grpc.StatusCode.ALREADY_EXISTS, errors.AlreadyExistsError),
        (grpc.StatusCode.FAILED_PRECONDITION, errors.FailedPreconditionError),
        (grpc.StatusCode.PERMISSION_DENIED, errors.PermissionDeniedError),
        (grpc.StatusCode.UNAUTHENTICATED, errors.AuthenticationError),
        (grpc.StatusCode.UNAVAILABLE, errors.UnavailableError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ResourceExhaustedError),
        (grpc.StatusCode.INTERNAL, errors.ServerError),
        (grpc.StatusCode.UNKNOWN, errors.ServerError),
        (grpc.StatusCode.CANCELLED, errors.CallCancelledError),
        (grpc.StatusCode.DATA_LOSS, errors.RpcFailure),
    ],
)
def test_errors_are_translated_per_code(fake: FakeServer, code: grpc.StatusCode, cls: type) -> None:
    fake.state.fail["TerminateExecution"] = [code]
    with remote_for(fake) as r, pytest.raises(cls) as ei:
        r.call("admin", "TerminateExecution", execution_pb2.ExecutionTerminateRequest(id=wf_id()), retry=False)
    assert ei.value.code == code
    assert ei.value.method == "TerminateExecution"


@pytest.mark.parametrize(
    "code",
    [grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAUTHENTICATED],
)
def test_the_servers_details_and_names_in_an_error_are_printable(
    hostile_admin: HostileAdmin, code: grpc.StatusCode
) -> None:
    """A traceback prints the message in a terminal: the server's details and a node id went in raw. The details
    keep their lines (a stack trace); nothing else of them drives the terminal. ``details`` keeps what was sent."""
    details = hostile("details") + "\n  at db.go:12"
    hostile_admin.script("GetNodeExecution", Status(code, details))
    node = identifier_pb2.NodeExecutionIdentifier(node_id=hostile("node"), execution_id=wf_id("ex1"))
    with (
        Remote.for_sandbox(hostile_admin.endpoint, retry=RetryPolicy(max_attempts=1)) as r,
        pytest.raises(errors.RpcFailure) as ei,
    ):
        r.get_node_execution(node)
    message = str(ei.value)
    assert not UNSAFE.search(message)
    assert "details:\\x1b[2J" in message
    assert "\n  at db.go:12" in message  # the details' own lines are kept
    if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INTERNAL):
        assert "node node:\\x1b[2J" in message
        assert "|x\\n└─ fake_node" in message  # a newline in a name is escaped: it cannot forge a line
    assert ei.value.details == details


def test_not_found_names_the_execution_and_is_not_retried(fake: FakeServer) -> None:
    with remote_for(fake) as r, pytest.raises(errors.NotFoundError) as ei:
        r.get_execution(wf_id("nope"))
    assert "flytesnacks:development:nope" in str(ei.value)
    assert fake.state.count("GetExecution") == 1


def test_unavailable_is_retried_then_succeeds(fake: FakeServer) -> None:
    fake.admin.add_execution(wf_id())
    fake.state.fail["GetExecution"] = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE]
    seen: list[tuple[int, float, type]] = []
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=5, initial_backoff=0.2, max_backoff=5.0, multiplier=2.0)
    with remote_for(fake, sleep=sleeps, retry=policy, on_retry=lambda a, d, e: seen.append((a, d, type(e)))) as r:
        ex = r.get_execution(wf_id())
    assert ex.id.name == "exec1"
    assert fake.state.count("GetExecution") == 3
    assert [(a, t) for a, _, t in seen] == [(1, errors.UnavailableError), (2, errors.UnavailableError)]
    assert [d for _, d, _ in seen] == sleeps.delays
    # capped exponential backoff, jittered into the upper half
    assert 0.1 <= sleeps.delays[0] <= 0.2
    assert 0.2 <= sleeps.delays[1] <= 0.4


def test_the_pool_runs_each_call_with_its_callers_prompt_permission() -> None:
    with Remote.for_sandbox("127.0.0.1:1") as r:
        assert r.executor.submit(may_prompt).result(30)  # a call from a cell: its workers may log in
        with prompting(False):  # the sync thread's: they may not
            assert not r.executor.submit(may_prompt).result(30)
        out: list[bool] = []
        t = threading.Thread(target=lambda: out.append(r.executor.submit(may_prompt).result(30)))
        t.start()
        t.join(30)
        assert out == [False]  # another thread's: not either


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(max_attempts=10, initial_backoff=0.2, max_backoff=5.0, multiplier=2.0)
    assert policy.backoff(10, rand=lambda: 1.0) == 5.0
    assert policy.backoff(10, rand=lambda: 0.0) == 2.5
    assert policy.backoff(1, rand=lambda: 1.0) == pytest.approx(0.2)


def test_gives_up_after_max_attempts(fake: FakeServer) -> None:
    fake.state.fail["GetExecution"] = [grpc.StatusCode.UNAVAILABLE] * 10
    with remote_for(fake, retry=RetryPolicy(max_attempts=3)) as r, pytest.raises(errors.UnavailableError) as ei:
        r.get_execution(wf_id())
    assert fake.state.count("GetExecution") == 3
    assert fake.endpoint in str(ei.value)


def test_retry_false_makes_one_attempt(fake: FakeServer) -> None:
    fake.state.fail["GetExecution"] = [grpc.StatusCode.UNAVAILABLE] * 3
    with remote_for(fake) as r, pytest.raises(errors.UnavailableError):
        r.call("admin", "GetExecution", execution_pb2.WorkflowExecutionGetRequest(id=wf_id()), retry=False)
    assert fake.state.count("GetExecution") == 1


def test_cancelled_is_transient_and_retried(fake: FakeServer) -> None:
    """CANCELLED is what calls in flight get when FlyteAdmin restarts: the same call may well succeed next."""
    fake.admin.add_execution(wf_id())
    fake.state.fail["GetExecution"] = [grpc.StatusCode.CANCELLED, grpc.StatusCode.CANCELLED]
    with remote_for(fake) as r:
        assert r.get_execution(wf_id()).id.name == "exec1"
    assert fake.state.count("GetExecution") == 3


@pytest.mark.parametrize("code", [grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN])
def test_a_server_error_is_not_retried_by_a_call(fake: FakeServer, code: grpc.StatusCode) -> None:
    """A request that changes something may have been applied before the server failed (a watch retries, below)."""
    fake.state.fail["TerminateExecution"] = [code] * 3
    with remote_for(fake) as r, pytest.raises(errors.ServerError) as ei:
        r.terminate(wf_id(), "stop")
    assert errors.is_server_error(ei.value)
    assert not errors.is_transient(ei.value)
    assert not errors.is_permanent(ei.value)
    assert fake.state.count("TerminateExecution") == 1


class FakeTime:
    """A monotonic clock that only the injected sleep moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.now += s


def test_retries_stop_when_the_calls_budget_is_spent(fake: FakeServer) -> None:
    """total_timeout bounds a call with all its retries: attempts at 0, 0.4 and 0.8 s, then 0.8 + 0.4 > 1 s."""
    fake.state.fail["GetExecution"] = [grpc.StatusCode.UNAVAILABLE] * 10
    t = FakeTime()
    policy = RetryPolicy(max_attempts=10, initial_backoff=0.4, max_backoff=0.4, jitter=0.0, total_timeout=1.0)
    r = Remote.for_sandbox(fake.endpoint, rpc_timeout=1.0, retry=policy, sleep=t.sleep, clock=t)
    with r, pytest.raises(errors.UnavailableError):
        r.get_execution(wf_id())
    remaining = [c.time_remaining for c in fake.state.of("GetExecution")]
    assert len(remaining) == 3  # not 10
    # each attempt's deadline is what is left of the budget (the grpc-timeout header rounds up a little)
    assert all(r is not None for r in remaining)
    assert [round(r or 0, 1) for r in remaining] == [1.0, 0.6, 0.2]


def test_a_deadline_longer_than_the_budget_still_gets_its_attempt(fake: FakeServer) -> None:
    fake.admin.add_execution(wf_id())
    with remote_for(fake, rpc_timeout=5.0, retry=RetryPolicy(total_timeout=0.5)) as r:
        r.get_execution(wf_id())
    (call,) = fake.state.of("GetExecution")
    assert call.time_remaining is not None
    assert call.time_remaining > 4.0


def test_a_server_that_never_answers_costs_one_budget_not_five_deadlines(hostile_admin: HostileAdmin) -> None:
    """Before the budget, DEADLINE_EXCEEDED was retried 5 times: 5 x rpc_timeout (150 s with the defaults)."""
    hostile_admin.script("GetExecution", HANG)
    policy = RetryPolicy(initial_backoff=0.05, total_timeout=1.0)
    r = Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=0.5, retry=policy)
    with r, pytest.raises(errors.DeadlineExceededError, match="no answer from"):
        r.get_execution(wf_id())
    calls = hostile_admin.calls_of("GetExecution")
    assert 1 <= len(calls) <= 2  # 0.5 s, then at most what is left of 1 s
    assert all(c.time_remaining is not None and c.time_remaining <= 0.6 for c in calls)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_retry_policy_rejects_a_budget_that_is_not_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="total_timeout must be > 0 seconds or None"):
        RetryPolicy(total_timeout=bad)


def test_retry_policy_without_a_budget_keeps_to_max_attempts(fake: FakeServer) -> None:
    fake.state.fail["GetExecution"] = [grpc.StatusCode.UNAVAILABLE] * 10
    t = FakeTime()
    policy = RetryPolicy(max_attempts=4, initial_backoff=100.0, max_backoff=100.0, total_timeout=None)
    r = Remote.for_sandbox(fake.endpoint, retry=policy, sleep=t.sleep, clock=t)
    with r, pytest.raises(errors.UnavailableError):
        r.get_execution(wf_id())
    assert fake.state.count("GetExecution") == 4


def test_unreachable_endpoint_names_it() -> None:
    # nothing listens on port 1
    r = Remote.for_sandbox("127.0.0.1:1", rpc_timeout=5, retry=RetryPolicy(max_attempts=2), sleep=Sleeps())
    with r, pytest.raises(errors.UnavailableError) as ei:
        r.get_execution(wf_id())
    assert "127.0.0.1:1" in str(ei.value)


def test_every_call_carries_a_deadline(fake: FakeServer) -> None:
    fake.admin.add_execution(wf_id())
    with remote_for(fake, rpc_timeout=7.0) as r:
        r.get_execution(wf_id())
        r.list_node_executions(wf_id())
        r.call("admin", "GetExecution", execution_pb2.WorkflowExecutionGetRequest(id=wf_id()), timeout=2.0)
    remaining = [c.time_remaining for c in fake.state.calls]
    assert len(remaining) == 3
    # the grpc-timeout header rounds the deadline up a little, hence the small slack
    assert all(t is not None and 0 < t <= 7.0 + 0.1 for t in remaining), remaining
    assert remaining[2] is not None
    assert remaining[2] <= 2.0 + 0.1


def test_unknown_service_or_method_is_a_clear_error(fake: FakeServer) -> None:
    with remote_for(fake) as r:
        with pytest.raises(ValueError, match="admin, signal, dataproxy, auth"):
            r.call("nope", "X", None)
        with pytest.raises(ValueError, match="NoSuchRpc"):
            r.call("admin", "NoSuchRpc", None)


def test_closed_remote_refuses_calls(fake: FakeServer) -> None:
    r = remote_for(fake)
    r.close()
    r.close()  # idempotent
    with pytest.raises(errors.FlyteAssertion, match="closed"):
        r.get_execution(wf_id())


# ---------------------------------------------------------------- auth


def test_static_token_sent_under_server_announced_key(fake: FakeServer) -> None:
    fake.auth.configure(header_key="flyte-authorization")
    fake.admin.add_execution(wf_id())
    fake.state.required_auth = ("flyte-authorization", "Bearer tok-1")
    with remote_for(fake, auth=StaticToken("tok-1")) as r:
        r.get_execution(wf_id())
    assert fake.state.of("GetExecution")[0].metadata["flyte-authorization"] == "Bearer tok-1"


def test_token_key_defaults_to_authorization_without_auth_metadata(fake: FakeServer) -> None:
    fake.admin.add_execution(wf_id())  # AuthMetadataService answers UNIMPLEMENTED
    with remote_for(fake, auth=StaticToken("tok-1")) as r:
        r.get_execution(wf_id())
    assert fake.state.of("GetExecution")[0].metadata["authorization"] == "Bearer tok-1"


def test_configured_header_key_overrides_server(fake: FakeServer) -> None:
    fake.auth.configure(header_key="flyte-authorization")
    fake.admin.add_execution(wf_id())
    with remote_for(fake, auth=StaticToken("tok-1", header_key="X-Custom-Auth")) as r:
        r.get_execution(wf_id())
    md = fake.state.of("GetExecution")[0].metadata
    assert md["x-custom-auth"] == "Bearer tok-1"
    assert "flyte-authorization" not in md


def test_client_credentials_token_reaches_grpc_server(fake: FakeServer) -> None:
    secret = "s3cr/et+&x"
    with FakeIdP() as idp:
        idp.replies["/token"] = [(200, {"access_token": "good-token", "expires_in": 3600, "token_type": "Bearer"})]
        fake.auth.configure(header_key="flyte-authorization", token_endpoint=idp.url + "/token")
        fake.admin.add_execution(wf_id())
        fake.state.required_auth = ("flyte-authorization", "Bearer good-token")
        auth = ClientSecret("my-client", secret, scopes=["all", "offline"], audience="aud-1")
        with remote_for(fake, auth=auth) as r:
            r.get_execution(wf_id())
            r.get_execution(wf_id())
    (req,) = idp.requests  # one token for both calls
    expected = base64.b64encode(b"my-client:s3cr%2Fet%2B%26x").decode()
    assert req.headers["authorization"] == f"Basic {expected}"
    assert req.form == {"grant_type": "client_credentials", "scope": "all offline", "audience": "aud-1"}
    calls = fake.state.of("GetExecution")
    # lazy like flytekit: the first try goes without a token, is refused, then succeeds with the new token
    assert [c.metadata.get("flyte-authorization") for c in calls] == [None, "Bearer good-token", "Bearer good-token"]


def test_refresh_and_retry_once_on_unauthenticated(fake: FakeServer) -> None:
    with FakeIdP() as idp:
        idp.replies["/token"] = [(200, {"access_token": "fresh"})]
        fake.auth.configure(token_endpoint=idp.url + "/token")
        fake.admin.add_execution(wf_id())
        fake.state.required_auth = ("authorization", "Bearer fresh")
        auth = ClientSecret("cid", "sec")
        auth._token = TokenResponse("stale")  # a token the server no longer accepts
        with remote_for(fake, auth=auth) as r:
            r.get_execution(wf_id())
            assert [c.metadata.get("authorization") for c in fake.state.of("GetExecution")] == [
                "Bearer stale",
                "Bearer fresh",
            ]
            # the server now refuses everything: one refresh, one retry, then AuthenticationError
            fake.state.required_auth = ("authorization", "Bearer never")
            idp.replies["/token"] = [(200, {"access_token": "fresh-2"})]
            with pytest.raises(errors.AuthenticationError):
                r.get_execution(wf_id())
        assert len(idp.requests) == 2
    assert fake.state.count("GetExecution") == 4


def test_external_command_token(fake: FakeServer) -> None:
    fake.admin.add_execution(wf_id())
    fake.state.required_auth = ("authorization", "Bearer tok")
    auth = ExternalCommand([sys.executable, "-c", "print('tok')"])
    with remote_for(fake, auth=auth) as r:
        r.get_execution(wf_id())
    assert fake.state.of("GetExecution")[-1].metadata["authorization"] == "Bearer tok"


def test_unauthenticated_without_auth_says_how_to_log_in(fake: FakeServer) -> None:
    fake.state.required_auth = ("authorization", "Bearer x")
    with remote_for(fake) as r, pytest.raises(errors.AuthenticationError, match="authType"):
        r.get_execution(wf_id())


def test_secrets_never_in_reprs_logs_or_errors(fake: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret, token = "SUPER-SECRET-VALUE", "ACCESS-TOKEN-VALUE"
    with FakeIdP() as idp:
        idp.replies["/token"] = [(200, {"access_token": token, "refresh_token": "REFRESH-VALUE"})]
        fake.auth.configure(token_endpoint=idp.url + "/token")
        fake.admin.add_execution(wf_id())
        fake.state.required_auth = ("authorization", f"Bearer {token}")
        auth = ClientSecret("cid", secret)
        texts: list[str] = []
        with remote_for(fake, auth=auth) as r:
            r.get_execution(wf_id())
            texts += [repr(r), str(r), repr(auth), str(auth), repr(auth._token)]
            # the server now refuses the token and the IdP refuses the client
            fake.state.required_auth = ("authorization", "Bearer other")
            idp.replies["/token"] = [(401, {"error": "invalid_client", "error_description": "bad secret"})]
            with pytest.raises(LoginError) as ei:
                r.get_execution(wf_id())
            texts += [str(ei.value), repr(ei.value)]
    texts.append(caplog.text)
    for text in texts:
        for s in (secret, token, "REFRESH-VALUE"):
            assert s not in text
    assert "invalid_client" in str(ei.value)


# ---------------------------------------------------------------- user level


def test_fetch_execution_accepts_every_reference_form(fake: FakeServer) -> None:
    from flyteexec_widget.objects.executions import FlyteWorkflowExecution

    fake.admin.add_execution(wf_id("abc"))
    url = f"http://{fake.endpoint}/console/projects/flytesnacks/domains/development/executions/abc/nodeId/n0?x=1"
    with remote_for(fake, default_project="flytesnacks", default_domain="development") as r:
        got = [
            r.fetch_execution("flytesnacks", "development", "abc"),
            r.fetch_execution("flytesnacks:development:abc"),
            r.fetch_execution(url),
            r.fetch_execution(name="abc"),
        ]
        # an execution object itself (e.g. to get a fresh copy), or a node of it
        got.append(r.fetch_execution(got[0]))
        got.append(r.fetch_execution(node_execution(wf_id("abc"), "n0", 1)))
    for ex in got:
        assert isinstance(ex, FlyteWorkflowExecution)
        assert ex.to_flyte_idl().id.name == "abc"
    assert [c.request.id.name for c in fake.state.of("GetExecution")] == ["abc"] * 6


def test_fetch_execution_bad_reference(fake: FakeServer) -> None:
    with remote_for(fake) as r, pytest.raises(errors.InvalidReferenceError, match="project:domain:name"):
        r.fetch_execution("not a reference")
    assert fake.state.calls == []


def test_terminate_relaunch_recover(fake: FakeServer) -> None:
    wid = wf_id("abc")
    ex = fake.admin.add_execution(wid)
    with remote_for(fake) as r:
        r.terminate(ex, cause="stop it")
        new = r.relaunch("flytesnacks:development:abc", name="again")
        rec = r.recover(wid)
    (term,) = fake.state.of("TerminateExecution")
    assert term.request.id == wid
    assert term.request.cause == "stop it"
    assert isinstance(new, identifier_pb2.WorkflowExecutionIdentifier)
    assert (new.project, new.name) == ("flytesnacks", "again")
    assert rec.name == "recovered"


def test_approve_reject_set_signal(fake: FakeServer) -> None:
    from flyteexec_widget.objects.executions import FlyteWorkflowExecution

    wid = wf_id("abc")
    count_id = identifier_pb2.SignalIdentifier(signal_id="count", execution_id=wid)
    fake.signal.signals = [signal_pb2.Signal(id=count_id, type=types_pb2.LiteralType(simple=types_pb2.INTEGER))]
    with remote_for(fake) as r:
        wrapper = FlyteWorkflowExecution(execution_pb2.Execution(id=wid), remote=r)
        r.approve(wrapper, "approve-me")
        r.reject(wid, "reject-me")
        r.set_signal("flytesnacks:development:abc", "count", 3)
        r.set_signal(wid, "lit", literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive={"string_value": "x"})))
    (listed,) = fake.state.of("ListSignals")  # the typed value needs the signal's type; a Literal goes as it is
    assert listed.request.filters == "eq(signal_id,count)"
    assert listed.request.workflow_execution_id == wid
    approve, reject, count, lit = fake.signal.set
    assert approve.id.signal_id == "approve-me"
    assert approve.id.execution_id == wid
    assert bool_value(approve.value) is True
    assert bool_value(reject.value) is False
    assert count.value.scalar.primitive.integer == 3
    assert lit.value.scalar.primitive.string_value == "x"


def test_set_signal_finds_the_signals_type_and_refuses_what_does_not_fit_before_sending(fake: FakeServer) -> None:
    from flyteexec_widget.admin.errors import InvalidArgumentError, NotFoundError

    wid = wf_id("abc")

    def sig(signal_id: str, lt: types_pb2.LiteralType) -> signal_pb2.Signal:
        return signal_pb2.Signal(id=identifier_pb2.SignalIdentifier(signal_id=signal_id, execution_id=wid), type=lt)

    struct = types_pb2.LiteralType(simple=types_pb2.STRUCT)
    fake.signal.signals = [sig("a+b", struct), sig("a", types_pb2.LiteralType(simple=types_pb2.INTEGER))]
    with remote_for(fake) as r:
        r.set_signal(wid, "a+b", {"k": [1, 2]})  # "+" joins filters in FlyteAdmin: list them all, match exactly
        with pytest.raises(InvalidArgumentError, match=r"signal a\+b: int 3 does not fit the expected type struct"):
            r.set_signal(wid, "a+b", 3)
        with pytest.raises(NotFoundError, match="signal zz: the execution has no such signal"):
            r.set_signal(wid, "zz", 1)
    assert [c.request.filters for c in fake.state.of("ListSignals")] == ["", "", "eq(signal_id,zz)"]
    (sent,) = fake.signal.set  # only the value that fits was sent
    assert sent.id.signal_id == "a+b"
    assert sent.value.scalar.WhichOneof("value") == "generic"


def test_create_download_link(fake: FakeServer) -> None:
    wid = wf_id()
    fake.dataproxy.decks["n0"] = ["https://signed.example/deck.html"]
    with remote_for(fake) as r:
        n0 = identifier_pb2.NodeExecutionIdentifier(node_id="n0", execution_id=wid)
        n1 = identifier_pb2.NodeExecutionIdentifier(node_id="n1", execution_id=wid)
        assert r.create_download_link(n0) == ["https://signed.example/deck.html"]
        assert r.create_download_link(n1) == []  # NOT_FOUND: no deck
    assert fake.state.of("CreateDownloadLink")[0].request.artifact_type == 1  # ARTIFACT_TYPE_DECK


def test_generate_console_url_and_repr(fake: FakeServer) -> None:
    wid = wf_id("abc")
    with remote_for(fake, auth=StaticToken("tok-xyz")) as r:
        want = f"http://{fake.endpoint}/console/projects/flytesnacks/domains/development/executions/abc"
        assert r.generate_console_url(wid) == want
        assert r.generate_console_url("flytesnacks:development:abc") == want
        assert r.generate_console_url(execution_pb2.Execution(id=wid)) == want
        task = identifier_pb2.Identifier(
            resource_type=identifier_pb2.TASK, project="p", domain="d", name="wf.t1", version="v 1"
        )
        base = f"http://{fake.endpoint}/console/projects/p/domains/d"
        assert r.generate_console_url(task) == f"{base}/task/wf.t1/version/v%201"
        assert r.generate_console_url(workflow_pb2.Workflow(id=task)) == f"{base}/task/wf.t1/version/v%201"
        with pytest.raises(errors.InvalidReferenceError, match="not an execution"):
            r.terminate(task)  # an entity id is never read as an execution id
        assert repr(r) == f"Remote(endpoint='{fake.endpoint}', insecure=True, auth='StaticToken')"
        assert "tok-xyz" not in repr(r)


def test_executor_is_bounded_and_lazy(fake: FakeServer) -> None:
    r = remote_for(fake, max_workers=3)
    assert r._executor is None
    ex = r.executor
    assert ex is r.executor
    assert ex._max_workers == 3
    r.close()
    with pytest.raises(errors.FlyteAssertion):
        _ = r.executor


def test_endpoint_validation() -> None:
    assert Remote("dns:///flyte.example.com:443").endpoint == "flyte.example.com:443"
    with pytest.raises(errors.ConfigError, match="host:port"):
        Remote("https://flyte.example.com")


@pytest.mark.parametrize(
    ("endpoint", "needle"),
    [
        ("[::1:30080", "Invalid IPv6 URL"),
        ("flyte.example.com:abc", "Port could not be cast"),
        ("h:99999", "out of range"),
    ],
)
def test_a_malformed_endpoint_is_a_config_error_naming_it(endpoint: str, needle: str) -> None:
    with pytest.raises(errors.ConfigError) as ei:
        Remote(endpoint)
    assert f"endpoint {endpoint!r} is not a 'host:port' address" in str(ei.value)
    assert needle in str(ei.value)
    assert Remote("[::1]:30080").endpoint == "[::1]:30080"


@pytest.mark.parametrize("flag", ["insecure", "insecure_skip_verify"])
@pytest.mark.parametrize("value", ["false", "no", 0, 1, None, [True]])
def test_tls_flags_must_be_booleans(flag: str, value: object) -> None:
    # bool("false") is True: a plain-text channel (or an unverified one) is never a guess
    with pytest.raises(errors.ConfigError, match=re.escape(f"{flag} must be True or False, got {value!r}")):
        Remote("flyte.example.com:443", **{flag: value})


def test_relaunch_is_not_retried(fake: FakeServer) -> None:
    # a relaunch that reached the server before the connection broke must not launch a second execution
    fake.state.fail["RelaunchExecution"] = [grpc.StatusCode.UNAVAILABLE]
    with remote_for(fake) as r, pytest.raises(errors.UnavailableError):
        r.relaunch(wf_id())
    assert fake.state.count("RelaunchExecution") == 1


# ---------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, str]:
    """A throwaway certificate for 127.0.0.1: (key pem, cert pem, cert path)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return (d / "key.pem").read_bytes(), (d / "cert.pem").read_bytes(), str(d / "cert.pem")


def test_tls_with_ca_cert_file(self_signed: tuple[bytes, bytes, str]) -> None:
    key, cert, cert_path = self_signed
    with serve(tls=(key, cert)) as fake:
        fake.admin.add_execution(wf_id())
        with Remote(fake.endpoint, ca_cert_file_path=cert_path, sleep=Sleeps()) as r:
            assert r.get_execution(wf_id()).id.name == "exec1"
        # system roots do not trust a self-signed certificate
        with Remote(fake.endpoint, retry=RetryPolicy(max_attempts=1)) as r, pytest.raises(errors.UnavailableError):
            r.get_execution(wf_id())


def test_tls_insecure_skip_verify_trusts_the_served_certificate(self_signed: tuple[bytes, bytes, str]) -> None:
    key, cert, _ = self_signed
    with serve(tls=(key, cert)) as fake:
        fake.admin.add_execution(wf_id())
        with Remote(fake.endpoint, insecure_skip_verify=True, sleep=Sleeps()) as r:
            assert r.get_execution(wf_id()).id.name == "exec1"


@pytest.mark.parametrize("insecure", [True, False])
def test_every_channel_has_keepalive_and_message_limits(monkeypatch: pytest.MonkeyPatch, insecure: bool) -> None:
    # keepalive on (gRPC then sets TCP_USER_TIMEOUT: a black-holed connection is dropped), but within what a default
    # FlyteAdmin (grpc-go's enforcement) accepts: pings only while calls are in flight, at most every 5 minutes
    opened: list[tuple[str, dict[str, Any]]] = []
    real_factory = grpc.insecure_channel
    for kind in ("insecure_channel", "secure_channel"):

        def record(target: str, *args: Any, _kind: str = kind, options: Any = (), **kw: Any) -> Any:
            opened.append((_kind, dict(options)))
            return real_factory(target)

        monkeypatch.setattr(f"flyteexec_widget.admin.client.grpc.{kind}", record)
    with Remote("127.0.0.1:1", insecure=insecure) as r:
        r._get_channel()
    ((kind, options),) = opened
    assert kind == ("insecure_channel" if insecure else "secure_channel")
    assert options["grpc.keepalive_time_ms"] >= 5 * 60 * 1000
    assert options["grpc.keepalive_timeout_ms"] > 0
    assert options["grpc.keepalive_permit_without_calls"] == 0
    assert options["grpc.max_receive_message_length"] >= 20 * 1024 * 1024


def test_insecure_skip_verify_against_a_silent_server_is_unavailable_not_a_hang() -> None:
    # the server accepts TCP (the kernel's backlog) but never answers the TLS handshake
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        endpoint = f"127.0.0.1:{silent.getsockname()[1]}"
        r = Remote(endpoint, insecure_skip_verify=True, rpc_timeout=0.3)
        with r, pytest.raises(errors.UnavailableError, match="cannot fetch its certificate"):
            r.get_execution(wf_id())


def test_unreadable_ca_cert_file_is_a_config_error(tmp_path: Any) -> None:
    r = Remote("127.0.0.1:1", ca_cert_file_path=str(tmp_path / "nope.pem"))
    with r, pytest.raises(errors.ConfigError, match="caCertFilePath"):
        r.get_execution(wf_id())


def test_per_call_on_retry_hook_and_a_failing_hook(fake: FakeServer) -> None:
    fake.admin.add_execution(wf_id())
    fake.state.fail["GetExecution"] = [grpc.StatusCode.RESOURCE_EXHAUSTED]

    def broken_hook(attempt: int, delay: float, error: errors.RpcFailure) -> None:
        raise RuntimeError("UI went away")

    seen: list[int] = []
    with remote_for(fake, on_retry=broken_hook) as r:
        # the Remote's hook fails: the call still retries and succeeds
        assert r.get_execution(wf_id()).id.name == "exec1"
        fake.state.fail["GetExecution"] = [grpc.StatusCode.DEADLINE_EXCEEDED]
        req = execution_pb2.WorkflowExecutionGetRequest(id=wf_id())
        r.call("admin", "GetExecution", req, on_retry=lambda a, d, e: seen.append(a))
    assert seen == [1]
    assert fake.state.count("GetExecution") == 4
