"""One time budget per call, whatever the server does: a listing's pages share it, and a token refresh inside the
call (the auth metadata calls, the identity provider's answer) spends from it; the time a user takes to approve a
device login does not. Against the hostile FlyteAdmin (``tests/hostile_admin.py``) over real gRPC, and local HTTP
servers for the identity provider.

The time bounds are behavioural (the budget plus a margin a loaded 2-core machine cannot miss), far from what the
defects cost: a listing that never ended, a login that waited as long as the IdP dripped.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from typing import Any

import grpc
import pytest
from flyteidl.admin import node_execution_pb2
from flyteidl.service import auth_pb2

from flyteexec_widget.admin import auth, client, errors
from flyteexec_widget.admin.auth import ClientSecret, DeviceFlow
from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.remote import Remote
from tests.hostile_admin import HANG, HostileAdmin, Status, execution, node_execution, wf_id

from ._fake_admin import FakeIdP, RawHttp

pytestmark = pytest.mark.timeout(120)

#: What a loaded 2-core machine may add to a budget before a test calls it a defect.
MARGIN_S = 4.0


def endless_pages(items_per_page: int = 1, *, delay: float = 0.0, for_s: float = 20.0) -> Any:
    """ListNodeExecutions answering every page with a fresh token (for ``for_s`` seconds, then a last page: a
    client without a bound fails its test instead of hanging it)."""
    started = time.monotonic()
    counter = itertools.count()

    def page(request: Any, context: Any) -> Any:
        time.sleep(delay)
        n = next(counter)
        nodes = [node_execution("ex1", f"n{n}-{i}") for i in range(items_per_page)]
        token = f"page-{n + 1}" if time.monotonic() - started < for_s else ""
        return node_execution_pb2.NodeExecutionList(node_executions=nodes, token=token)

    return page


def test_a_listing_that_never_ends_stops_at_its_budget(hostile_admin: HostileAdmin) -> None:
    """_all_pages stopped only when a token repeated: a fresh token on every page was an endless listing."""
    hostile_admin.script("ListNodeExecutions", endless_pages())
    policy = RetryPolicy(total_timeout=1.0)
    with Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=1.0, retry=policy) as r:
        start = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError) as ei:
            r.list_node_executions(wf_id("ex1"))
        took = time.monotonic() - start
    assert took < 1.0 + MARGIN_S
    assert re.search(
        r"ListNodeExecutions .*: the listing did not end within its 1s budget \([\d,]+ pages", str(ei.value)
    )
    assert errors.is_transient(ei.value)


@pytest.mark.parametrize(
    ("pages", "items", "per_page", "said"), [(30, 10**6, 1, "30 pages"), (10**4, 50, 20, "60 items")]
)
def test_a_listing_past_its_page_or_item_cap_is_a_server_error_naming_the_caps(
    hostile_admin: HostileAdmin, monkeypatch: pytest.MonkeyPatch, pages: int, items: int, per_page: int, said: str
) -> None:
    monkeypatch.setattr(client, "MAX_LIST_PAGES", pages)
    monkeypatch.setattr(client, "MAX_LIST_ITEMS", items)
    hostile_admin.script("ListNodeExecutions", endless_pages(per_page))
    with Remote.for_sandbox(hostile_admin.endpoint) as r, pytest.raises(errors.ServerError) as ei:
        r.list_node_executions(wf_id("ex1"))
    message = str(ei.value)
    assert said in message
    assert f"the limits are {pages:,} pages and {items:,} items" in message
    assert errors.is_server_error(ei.value)  # a watch retries it as "reconnecting (server error: ...)"
    assert pages == client.MAX_LIST_PAGES  # the defaults: 10,000 pages, 1,000,000 items (restored after the test)


def test_the_defaults_are_far_beyond_a_real_execution() -> None:
    assert (client.MAX_LIST_PAGES, client.MAX_LIST_ITEMS) == (10_000, 1_000_000)


def test_the_pages_of_a_listing_share_one_budget(hostile_admin: HostileAdmin) -> None:
    """Slow pages (0.3 s each): every page had its own 60 s budget, so a listing had none. Now each page's deadline
    is what is left of the listing's."""
    hostile_admin.script("ListNodeExecutions", endless_pages(delay=0.3))
    policy = RetryPolicy(total_timeout=1.5)
    with (
        Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=1.0, retry=policy) as r,
        pytest.raises(errors.DeadlineExceededError),
    ):
        r.list_node_executions(wf_id("ex1"))
    calls = hostile_admin.calls_of("ListNodeExecutions")
    assert 2 <= len(calls) <= 6
    remaining = [c.time_remaining for c in calls]
    assert all(t is not None and t <= 1.6 for t in remaining), remaining  # not rpc_timeout (30 s) each
    assert remaining[-1] is not None
    assert remaining[-1] < 0.9  # what was left of 1.5 s after the first pages, not a whole deadline


def test_a_watch_on_an_endless_listing_reconnects_instead_of_spinning(hostile_admin: HostileAdmin) -> None:
    """The sync worker spun for ever in the listing, holding the tree's lock: the watch never said anything."""
    hostile_admin.serve_execution(execution("ex1"))
    hostile_admin.script("ListNodeExecutions", endless_pages())
    sched = SyncScheduler(start_thread=False)
    model = ExecutionModel()
    with Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=1.0, retry=RetryPolicy(total_timeout=1.0)) as r:
        w = sched.watch(r.fetch_execution("flytesnacks:development:ex1"), model)
        start = time.monotonic()
        sched.run_pending()
        took = time.monotonic() - start
        assert took < 1.0 + MARGIN_S
        assert model.sync_status["state"] == "reconnecting"
        assert "the listing did not end" in model.sync_status["last_error"]
        assert w.tree.lock.acquire(timeout=1)  # not held by a stuck sync
        w.tree.lock.release()
    sched.shutdown()


# ------------------------------------------------------------------------------------------ a login inside a call


def _auth_metadata(hostile_admin: HostileAdmin, token_url: str, device_url: str = "") -> None:
    hostile_admin.script("GetPublicClientConfig", auth_pb2.PublicClientAuthConfigResponse(client_id="flytectl"))
    hostile_admin.script(
        "GetOAuth2Metadata",
        auth_pb2.OAuth2MetadataResponse(token_endpoint=token_url, device_authorization_endpoint=device_url),
    )


def _slow_then(status: Status, seconds: float) -> Any:
    def answer(request: Any, context: Any) -> Any:
        time.sleep(seconds)
        return status

    return answer


def test_the_auth_metadata_calls_of_a_refresh_spend_from_the_calls_budget(hostile_admin: HostileAdmin) -> None:
    """The refresh after UNAUTHENTICATED fetched the auth metadata with budgets of its own (a whole deadline each):
    a call could take its budget and theirs."""
    hostile_admin.script("GetExecution", _slow_then(Status(grpc.StatusCode.UNAUTHENTICATED, "who?"), 1.2))
    hostile_admin.script("GetPublicClientConfig", HANG)
    policy = RetryPolicy(total_timeout=2.0)
    a = ClientSecret("cid", "secret", token_url="http://127.0.0.1:1/token")
    with (
        Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=1.5, retry=policy, auth=a) as r,
        pytest.raises(errors.DeadlineExceededError, match="GetPublicClientConfig"),
    ):
        r.get_execution(wf_id("ex1"))
    [call] = hostile_admin.calls_of("GetPublicClientConfig")[:1]
    assert call.time_remaining is not None
    assert call.time_remaining < 1.0  # what was left of 2 s after 1.2 s, not a budget of its own


def _drip_headers(send: Any) -> None:
    if not send(b"HTTP/1.1 200 OK\r\n"):
        return
    started = time.monotonic()
    while time.monotonic() - started < 10 and send(b"a"):  # one header line, a byte every 50 ms, for 10 s
        time.sleep(0.05)


def test_an_identity_provider_that_drips_costs_the_call_its_budget_not_more(hostile_admin: HostileAdmin) -> None:
    hostile_admin.script("GetExecution", Status(grpc.StatusCode.UNAUTHENTICATED, "who?"))
    with RawHttp(_drip_headers) as idp:
        _auth_metadata(hostile_admin, idp.url + "/token")
        a = ClientSecret("cid", "secret", http_timeout=30.0)
        policy = RetryPolicy(total_timeout=1.5)
        with Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=1.0, retry=policy, auth=a) as r:
            start = time.monotonic()
            with pytest.raises(auth.LoginTimeout):
                r.get_execution(wf_id("ex1"))
            took = time.monotonic() - start
    assert took < 1.5 + MARGIN_S  # the IdP drips for 10 s; its http_timeout is 30 s


class FakeTime:
    """One clock for the client and the authenticator that only sleep moves (the user's approval takes no time)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        with self.lock:
            self.now += s


def test_the_time_a_user_takes_to_approve_a_login_is_not_taken_from_the_call(hostile_admin: HostileAdmin) -> None:
    """A device login inside a call waits for the user (here two minutes on the fake clock): the call's attempt
    after it still gets its whole deadline, not the 0.1 s that would be left of a 10 s budget."""
    ex = execution("ex1")
    hostile_admin.script("GetExecution", Status(grpc.StatusCode.UNAUTHENTICATED, "who?"), ex)
    with FakeIdP() as idp:
        idp.replies["/device"] = [
            (200, {"device_code": "d", "user_code": "U", "verification_uri": "https://idp/a", "interval": 30})
        ]
        idp.replies["/token"] = [(400, {"error": "authorization_pending"})] * 3 + [(200, {"access_token": "tok"})]
        _auth_metadata(hostile_admin, idp.url + "/token", idp.url + "/device")
        t = FakeTime()
        a = DeviceFlow(prompt=lambda u, c: None, sleep=t.sleep, clock=t)
        policy = RetryPolicy(total_timeout=10.0)
        with Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=5.0, retry=policy, auth=a, clock=t) as r:
            got = r.get_execution(wf_id("ex1"))
    assert got == ex
    assert t.now - 1000.0 == 120.0  # four polls, 30 s apart: the user's time
    last = hostile_admin.calls_of("GetExecution")[-1]
    assert last.metadata["authorization"] == "Bearer tok"
    assert last.time_remaining is not None
    assert last.time_remaining > 4.0
