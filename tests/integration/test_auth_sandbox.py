"""Our client's authentication against an ``auth=True`` sandbox over real gRPC and its real local OAuth2 server.

The sandbox checks bearer tokens on every call except AuthMetadataService, announces its token and device
endpoints there, and issues opaque tokens from its HTTP side (client credentials, device flow, refresh).
Nothing sleeps: the device flow's poll interval goes to an injected ``sleep``.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import grpc
import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier as WfId

from flyteexec_widget.admin import config as config_module
from flyteexec_widget.admin.auth import (
    LOGIN_FROM_A_CELL,
    ClientSecret,
    DeviceFlow,
    ExternalCommand,
    LoginError,
    ServerAuthConfig,
    StaticToken,
    show_device_prompt,
)
from flyteexec_widget.admin.errors import AuthenticationError, FlyteTimeout
from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.display.waiting import FINAL_SYNC_S, wait
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox

NEW_TOKEN_LOG = "obtained a new access token"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """One stepped sandbox with auth for the module; each test logs in with its own authenticator."""
    with Sandbox(clock="stepped", auth=True) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def wf(sb: Sandbox) -> WfId:
    """A finished single-task execution to fetch."""
    ident = sb.launch("single-task")
    sb.run_until_done(ident)
    return ident


Seen = list[tuple[str, dict[str, str]]]


@pytest.fixture
def seen(sb: Sandbox) -> Iterator[Seen]:
    """(method short name, metadata) of every client call the sandbox receives during the test.

    A recording wrapper around the sandbox's own interceptor (it still decides everything): the only way to see
    which metadata key a token arrived under, since the sandbox accepts both ``flyte-authorization`` and
    ``authorization`` as flyteadmin does.
    """
    calls: Seen = []
    knobs: Any = sb.knobs
    original: Callable[..., Any] = knobs.intercept_service

    def recording(continuation: Any, details: grpc.HandlerCallDetails) -> Any:
        md = {k: (v if isinstance(v, str) else v.decode()) for k, v in (details.invocation_metadata or ())}
        if "x-sandbox-internal" not in md:
            calls.append((details.method.rsplit("/", 1)[-1], md))
        return original(continuation, details)

    knobs.intercept_service = recording
    try:
        yield calls
    finally:
        del knobs.intercept_service  # back to the class's method


def new_token(sb: Sandbox) -> str:
    """A token from the sandbox's token endpoint (client credentials), as an admin would hand one out."""
    cfg = sb.auth_config
    return ClientSecret(cfg.client_id, cfg.client_secret, token_url=cfg.token_url).refresh(ServerAuthConfig())


def secret_values(sb: Sandbox, *tokens: str | None) -> list[str]:
    return [sb.auth_config.client_secret, *(t for t in tokens if t)]


# ------------------------------------------------------------------------------------------------ no credentials


def test_without_credentials_the_error_says_how_to_log_in(sb: Sandbox, wf: WfId) -> None:
    sb.reset_rpc_counts()
    with Remote.for_sandbox(sb.endpoint) as r, pytest.raises(AuthenticationError) as info:
        r.fetch_execution(wf)
    msg = str(info.value)
    assert info.value.code == grpc.StatusCode.UNAUTHENTICATED
    assert sb.endpoint in msg
    assert "admin.authType" in msg
    assert "ClientSecret" in msg
    assert "DeviceFlow" in msg
    assert "FLYTE_CREDENTIALS_CLIENT_ID" in msg
    assert "FLYTE_CREDENTIALS_ACCESS_TOKEN" in msg
    assert sb.rpc_counts() == {"GetExecution": 1}  # not retried: retrying cannot help


# ------------------------------------------------------------------------------------------------ client secret


def test_client_secret_logs_in_lazily_and_sends_the_advertised_key(sb: Sandbox, wf: WfId, seen: Seen) -> None:
    cfg = sb.auth_config
    auth = ClientSecret(cfg.client_id, cfg.client_secret)  # token endpoint: the one the server announces
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
        assert r.server_auth_config().authorization_metadata_key == cfg.authorization_metadata_key
        assert r.server_auth_config().token_endpoint == cfg.token_url
        token = auth.token()
        assert token
        # like flytekit: the first call goes out without a token, the UNAUTHENTICATED answer triggers the login
        assert [m for m, _ in seen] == ["GetExecution", "GetPublicClientConfig", "GetOAuth2Metadata", "GetExecution"]
        assert "flyte-authorization" not in seen[0][1]
        assert all("flyte-authorization" not in md for _, md in seen[1:3])  # AuthMetadataService needs none
        assert seen[-1][1]["flyte-authorization"] == f"Bearer {token}"
        assert "authorization" not in seen[-1][1]

        seen.clear()
        r.fetch_execution(wf).sync()  # logged in: every call carries the token at once
        assert seen
        assert {m for m, _ in seen} >= {"GetExecution", "ListNodeExecutions"}
        assert all(md.get("flyte-authorization") == f"Bearer {token}" for _, md in seen)


def test_configured_header_key_overrides_the_advertised_one(sb: Sandbox, wf: WfId, seen: Seen) -> None:
    cfg = sb.auth_config
    auth = ClientSecret(cfg.client_id, cfg.client_secret, token_url=cfg.token_url, header_key="authorization")
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        r.fetch_execution(wf)
    assert seen[-1][1]["authorization"] == f"Bearer {auth.token()}"
    assert "flyte-authorization" not in seen[-1][1]


def test_revoked_token_is_refreshed_once_and_the_call_succeeds(
    sb: Sandbox, wf: WfId, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = sb.auth_config
    auth = ClientSecret(cfg.client_id, cfg.client_secret)
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        r.fetch_execution(wf)
        first = auth.token()
        sb.revoke_tokens()
        caplog.clear()
        caplog.set_level(logging.INFO, logger="flyteexec_widget")
        sb.reset_rpc_counts()
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
        assert sb.rpc_counts() == {"GetExecution": 2}  # refused once, then accepted with the new token
        assert auth.token() != first
        assert caplog.text.count(NEW_TOKEN_LOG) == 1

        # A sync sends calls concurrently: after a revocation they all fail, and still only one login happens.
        running = sb.launch("demo")
        sb.advance(30)
        ex = r.fetch_execution(running)
        sb.revoke_tokens()
        caplog.clear()
        sb.reset_rpc_counts()
        ex.sync()
        assert set(ex.node_executions) >= {"n0", "n1", "n2"}
        assert caplog.text.count(NEW_TOKEN_LOG) == 1
        # every call in flight with the old token was refused (usually several at once), one login served them all
        assert caplog.text.count("UNAUTHENTICATED, getting a new token") >= 1


def test_wrong_client_secret_is_a_login_error_without_the_secret(sb: Sandbox, wf: WfId) -> None:
    cfg = sb.auth_config
    wrong = "not-the-secret-5f2c"
    with (
        Remote.for_sandbox(sb.endpoint, auth=ClientSecret(cfg.client_id, wrong)) as r,
        pytest.raises(LoginError) as info,
    ):
        r.fetch_execution(wf)
    msg = str(info.value)
    assert cfg.client_id in msg
    assert "HTTP 401" in msg
    assert cfg.token_url in msg
    assert wrong not in msg
    assert isinstance(info.value, AuthenticationError)


# ------------------------------------------------------------------------------------------------ other modes


def test_static_token_works_until_revoked(sb: Sandbox, wf: WfId) -> None:
    token = new_token(sb)
    with Remote.for_sandbox(sb.endpoint, auth=StaticToken(token)) as r:
        sb.reset_rpc_counts()
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
        assert sb.rpc_counts()["GetExecution"] == 1  # the token is there from the start
        sb.revoke_tokens()
        with pytest.raises(AuthenticationError) as info:
            r.fetch_execution(wf)
    assert "static token" in str(info.value)
    assert token not in str(info.value)


def test_a_token_in_the_environment_is_used_with_flytectls_env_only_setup(
    sb: Sandbox, wf: WfId, seen: Seen, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (*config_module.ENV_VARS, "FLYTECTL_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")  # no ~/.flyte config either: the environment alone
    token = new_token(sb)
    monkeypatch.setenv("FLYTE_PLATFORM_URL", sb.endpoint)
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "true")
    monkeypatch.setenv("FLYTE_CREDENTIALS_ACCESS_TOKEN", token)
    with Remote.from_config() as r:
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
        assert token not in repr(r) + repr(r.auth)
    (_, md), *_ = [c for c in seen if c[0] == "GetExecution"]
    assert md["flyte-authorization"] == f"Bearer {token}"  # under the key the server announces, from the start


def test_device_flow_shows_the_code_and_polls_until_approved(sb: Sandbox, wf: WfId) -> None:
    prompts: list[tuple[str, str]] = []
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 2:  # the user approves while the client polls: the first poll is still pending
            sb.approve_device_code(prompts[-1][1])

    auth = DeviceFlow(prompt=lambda uri, code: prompts.append((uri, code)), sleep=sleep)
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
    [(uri, code)] = prompts
    assert uri.startswith(sb.auth_config.issuer)
    assert code in uri  # verification_uri_complete carries the code
    assert polls == [1.0, 1.0]  # the server's interval
    assert auth.token()


def test_device_flow_refreshes_with_its_refresh_token_without_asking_again(sb: Sandbox, wf: WfId) -> None:
    prompts: list[str] = []

    def prompt(uri: str, code: str) -> None:
        prompts.append(code)
        sb.approve_device_code(code)

    auth = DeviceFlow(prompt=prompt, sleep=lambda s: None)
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        r.fetch_execution(wf)
        first = auth.token()
        sb.revoke_tokens()
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
    assert len(prompts) == 1  # the refresh token did it: the user was not asked again
    assert auth.token() != first


# ------------------------------------------------------------------------------------------ no prompt from a thread


def until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """A stand-in IPython: every ``display()`` call, as (thread name, HTML), as a notebook cell would show it."""
    shown: list[tuple[str, str]] = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace(kernel=object())  # type: ignore[attr-defined]  # a kernel's shell
    display = types.ModuleType("IPython.display")
    display.HTML = lambda html: html  # type: ignore[attr-defined]
    display.display = lambda obj: shown.append((threading.current_thread().name, obj))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    return shown


def fast_scheduler() -> SyncScheduler:
    return SyncScheduler(min_interval=0.05, max_interval=0.2, retry=RetryPolicy(initial_backoff=0.05, max_backoff=0.2))


def test_a_watch_says_log_in_again_without_a_prompt_and_resumes_after_a_login_from_a_cell(
    sb: Sandbox, notebook: list[tuple[str, str]], capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flyteexec_widget")
    model = ExecutionModel()
    prompts: list[tuple[str, str, str]] = []  # (thread, link, code)
    relogin = threading.Event()

    def prompt(uri: str, code: str) -> None:
        prompts.append((threading.current_thread().name, uri, code))
        show_device_prompt(uri, code)  # the default prompt: a link in the notebook

    def sleep(seconds: float) -> None:  # the device flow's poll interval: the user acts meanwhile
        _, uri, code = prompts[-1]
        if relogin.is_set():
            # While this thread polls, the sync thread asks for a token: it is told at once where the login waits
            # (the lock is not held while polling), and the widget shows that link.
            until(lambda: model.sync_status["login_url"] == uri)
            assert model.sync_status["state"] == "login"
        sb.approve_device_code(code)

    auth = DeviceFlow(prompt=prompt, sleep=sleep)
    sched = fast_scheduler()
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        running = sb.launch("demo")
        sb.advance(30)
        ex = r.fetch_execution(running)  # logs in from this thread, the main one: a cell
        w = sched.watch(ex, model)
        until(lambda: w.syncs >= 1)
        assert model.sync_status["state"] == "live"

        sb.revoke_tokens(refresh_tokens=True)  # the session ended: only a new device login helps
        until(lambda: model.sync_status["attempt"] >= 3)  # it keeps retrying, and does not stop
        st = model.sync_status
        assert (st["state"], st["last_error"], st["login_url"]) == ("login", LOGIN_FROM_A_CELL, None)
        assert w.active
        assert len(prompts) == 1  # nothing was asked from the sync thread

        relogin.set()
        sb.advance(30)
        assert r.fetch_execution(running).phase  # the user's next call, from a cell, logs in
        until(lambda: model.sync_status["state"] == "live")  # and the watch resumes
        assert model.sync_status["login_url"] is None
        assert w.active
        w.stop()
    sched.shutdown()

    assert [(thread, code in uri) for thread, uri, code in prompts] == [("MainThread", True), ("MainThread", True)]
    assert [thread for thread, _ in notebook] == ["MainThread", "MainThread"]  # the two links, both in the cell
    assert all(prompts[-1][1].replace("&", "&amp;") in html for _, html in notebook[1:])
    assert capfd.readouterr() == ("", "")  # nothing printed, from any thread
    assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING]  # nor logged where it would print
    assert "waits for a login" in caplog.text


def test_a_sync_from_a_cell_logs_in_once_for_all_its_concurrent_calls(
    sb: Sandbox, notebook: list[tuple[str, str]], capfd: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []

    def prompt(uri: str, code: str) -> None:
        prompts.append(code)
        show_device_prompt(uri, code)
        sb.approve_device_code(code)

    auth = DeviceFlow(prompt=prompt, sleep=lambda s: None)
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        running = sb.launch("demo")
        sb.advance(30)
        ex = r.fetch_execution(running)
        sb.revoke_tokens(refresh_tokens=True)
        sb.reset_rpc_counts()
        ex.sync()  # its calls run concurrently on the client's workers, for this (the main) thread: one may log in
        assert sb.rpc_counts()["ListNodeExecutions"] >= 1
    assert len(prompts) == 2  # the first login, then one for the whole sync
    # Both links went to the cell that made the call (the worker that showed the second one runs in its context).
    assert len(notebook) == 2
    assert all(thread == "MainThread" or thread.startswith("flyteexec-rpc") for thread, _ in notebook)
    assert capfd.readouterr() == ("", "")


def test_wait_logs_in_on_its_own_thread_when_the_sync_thread_may_not(
    sb: Sandbox, wf: WfId, capfd: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []

    def prompt(uri: str, code: str) -> None:
        prompts.append(threading.current_thread().name)
        sb.approve_device_code(code)

    auth = DeviceFlow(prompt=prompt, sleep=lambda s: None)
    sched = fast_scheduler()
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        ex = r.fetch_execution(wf)
        sb.revoke_tokens(refresh_tokens=True)
        stream = io.StringIO()
        assert wait(ex, timeout=60, show=False, scheduler=sched, stream=stream) is ex
    sched.shutdown()
    assert prompts == ["MainThread", "MainThread"]  # the first login, then the one wait() did
    assert stream.getvalue() == ""
    assert capfd.readouterr() == ("", "")


def test_wait_gives_a_login_no_more_than_what_is_left_of_its_timeout(sb: Sandbox) -> None:
    """wait() ran a whole device login on its thread and ignored its own timeout: a user who never approves held
    wait(timeout=3) until the device code expired (600 s here). Now the login gets what is left of the 3 s. (The
    user approves 20 s later, so the old code returned then, without a FlyteTimeout, rather than hang the test.)"""
    prompts: list[str] = []

    def prompt(uri: str, code: str) -> None:
        prompts.append(code)
        if len(prompts) == 1:
            sb.approve_device_code(code)  # the first login, for the fetch
        else:  # the login wait() runs: approved much later than wait()'s timeout
            threading.Timer(20, sb.approve_device_code, args=(code,)).start()

    auth = DeviceFlow(prompt=prompt)  # real sleeps: the sandbox's 1 s interval
    wid = sb.launch("single-task")  # the stepped clock does not move: it stays running
    sched = fast_scheduler()
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        ex = r.fetch_execution(wid)
        sb.revoke_tokens(refresh_tokens=True)
        start = time.monotonic()
        with pytest.raises(FlyteTimeout) as info:
            wait(ex, timeout=3, show=False, scheduler=sched)
        took = time.monotonic() - start
    sched.shutdown()
    assert len(prompts) == 2  # wait() did start the login
    assert took < 3 + FINAL_SYNC_S + 5  # T, the last sync's wait and a margin for a loaded machine
    assert "did not complete within 0:00:03" in str(info.value)


def _token_script(tmp_path: Path) -> Path:
    script = tmp_path / "get_token.py"
    script.write_text(
        textwrap.dedent(
            """
            import base64, json, sys, urllib.parse, urllib.request

            url, client_id, secret_file = sys.argv[1:4]
            secret = open(secret_file).read().strip()
            basic = base64.b64encode(f"{client_id}:{urllib.parse.quote_plus(secret)}".encode()).decode()
            body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
            req = urllib.request.Request(url, data=body, method="POST", headers={"Authorization": "Basic " + basic})
            with urllib.request.urlopen(req, timeout=10) as resp:
                print(json.load(resp)["access_token"])
            """
        )
    )
    return script


def test_external_command_printing_a_token_from_the_token_endpoint(sb: Sandbox, wf: WfId, tmp_path: Path) -> None:
    cfg = sb.auth_config
    secret_file = tmp_path / "secret"
    secret_file.write_text(cfg.client_secret + "\n")
    command = [sys.executable, str(_token_script(tmp_path)), cfg.token_url, cfg.client_id, str(secret_file)]
    auth = ExternalCommand(command)
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
        first = auth.token()
        assert first
        sb.revoke_tokens()  # the command is simply run again
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
        assert auth.token() != first


def test_external_command_printing_a_static_token(sb: Sandbox, wf: WfId) -> None:
    token = new_token(sb)
    auth = ExternalCommand([sys.executable, "-c", f"print({token!r})"])
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        assert r.fetch_execution(wf).phase == WorkflowPhase.SUCCEEDED
    assert auth.token() == token


# ------------------------------------------------------------------------------------------------ secrets stay secret


def test_secrets_never_show_in_reprs_errors_or_logs(sb: Sandbox, wf: WfId, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = sb.auth_config
    auth = ClientSecret(cfg.client_id, cfg.client_secret)
    errors: list[str] = []
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        r.fetch_execution(wf).sync()
        sb.revoke_tokens()
        r.fetch_execution(wf)
        token = auth.token()
        shown = [repr(r), str(r), repr(auth), str(auth)]
        static = StaticToken(new_token(sb))
        with Remote.for_sandbox(sb.endpoint, auth=static) as r2:
            shown += [repr(r2), repr(static)]
            sb.revoke_tokens()
            with pytest.raises(AuthenticationError) as info:
                r2.fetch_execution(wf)
            errors.append(str(info.value))
        with (
            Remote.for_sandbox(sb.endpoint, auth=ClientSecret(cfg.client_id, cfg.client_secret + "x")) as r3,
            pytest.raises(LoginError) as info2,
        ):
            r3.fetch_execution(wf)
        errors.append(str(info2.value))
    assert caplog.records  # the flow did log (logins, retries): none of it may hold a secret
    for secret in secret_values(sb, token, static.token()):
        for text in shown + errors + [caplog.text]:
            assert secret not in text


# ------------------------------------------------------------------------------------------------ config file


def test_from_config_flytectl_yaml_with_client_secret_file(
    sb: Sandbox, wf: WfId, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (*config_module.ENV_VARS, "FLYTECTL_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    cfg = sb.auth_config
    secret_file = tmp_path / "client_secret"
    secret_file.write_text(cfg.client_secret + "\n")
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        textwrap.dedent(
            f"""
            admin:
              endpoint: dns:///{sb.endpoint}
              insecure: true
              authType: ClientSecret
              clientId: {cfg.client_id}
              clientSecretLocation: {secret_file}
              scopes:
                - all
            console:
              endpoint: http://console.example.test/
            """
        )
    )
    with Remote.from_config(str(config_file)) as r:
        assert isinstance(r.auth, ClientSecret)
        assert r.endpoint == sb.endpoint
        ex = r.fetch_execution(wf)
        assert ex.phase == WorkflowPhase.SUCCEEDED
        assert dict(ex.sync().node_executions["n0"].outputs) == {"o0": "Hello, world!"}
        assert ex.execution_url == (
            f"http://console.example.test/console/projects/{wf.project}/domains/{wf.domain}/executions/{wf.name}"
        )
        assert cfg.client_secret not in repr(r)
        assert cfg.client_secret not in repr(r.auth)


class _RecordingComm:
    """What a widget sends to the browser, recorded (no kernel here)."""

    comm_id = "secrets-test"
    kernel = "Truthy"  # ipywidgets only sends when the comm has a kernel
    sent: ClassVar[list[Any]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        self.sent.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


_ARG_TOKEN_SCRIPT = """
import base64, json, sys, urllib.parse, urllib.request
url, client_id, secret = sys.argv[1:4]
basic = base64.b64encode(f"{client_id}:{urllib.parse.quote_plus(secret)}".encode()).decode()
body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
req = urllib.request.Request(url, data=body, method="POST", headers={"Authorization": "Basic " + basic})
with urllib.request.urlopen(req, timeout=10) as resp:
    token = json.load(resp)["access_token"]
if len(sys.argv) > 4:  # the failing variant: a tool that shows what it got on stderr, then fails
    sys.stderr.write(f"refusing token={token} (Bearer {token}); cached as {token}\\n")
    sys.exit(7)
print(token)
"""


def _auth_of(mode: str, sb: Sandbox, *, failing: bool = False) -> Any:
    """An authenticator of ``mode`` that logs in against the sandbox (or, ``failing``, that cannot)."""
    cfg = sb.auth_config
    if mode == "ClientSecret":
        return ClientSecret(cfg.client_id, cfg.client_secret + ("-wrong" if failing else ""))
    if mode == "DeviceFlow":
        if failing:  # nobody approves; each poll's sleep moves the authenticator's clock 1,000 s on
            now = [0.0]
            return DeviceFlow(
                prompt=lambda uri, code: None,
                sleep=lambda s: now.__setitem__(0, now[0] + 1000.0),
                clock=lambda: now[0],
            )
        return DeviceFlow(prompt=lambda uri, code: sb.approve_device_code(code), sleep=lambda s: None)
    if mode == "ExternalCommand":  # the client secret is an argument of the command: its repr must not show it
        extra = ["--fail"] if failing else []
        return ExternalCommand(
            [sys.executable, "-c", _ARG_TOKEN_SCRIPT, cfg.token_url, cfg.client_id, cfg.client_secret, *extra]
        )
    token = new_token(sb)
    if failing:
        sb.revoke_tokens()
    return StaticToken(token)


@pytest.mark.parametrize("mode", ["ClientSecret", "DeviceFlow", "ExternalCommand", "StaticToken"])
def test_no_auth_mode_shows_a_secret_in_reprs_logs_errors_or_a_live_widget(
    sb: Sandbox, wf: WfId, mode: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every secret the flow handled (client secret, access and refresh tokens, device codes, the command's
    arguments) stays out of reprs, errors, DEBUG logs, the widget's state, its messages to the browser, its
    ``text/plain`` and ``text/html`` and the model it shows."""
    import comm

    from flyteexec_widget.display import notebook as notebook_module

    caplog.set_level(logging.DEBUG)
    secrets_seen: list[str] = [sb.auth_config.client_secret]
    authority: Any = sb.authority
    issue, start_device = authority.issue, authority.start_device

    def recording_issue(subject: str, *, refresh: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = issue(subject, refresh=refresh)
        secrets_seen.extend(v for k, v in body.items() if k in ("access_token", "refresh_token"))
        return body

    def recording_start_device(client_id: str, scopes: list[str]) -> Any:
        grant = start_device(client_id, scopes)
        secrets_seen.append(grant.device_code)
        return grant

    monkeypatch.setattr(authority, "issue", recording_issue)
    monkeypatch.setattr(authority, "start_device", recording_start_device)
    _RecordingComm.sent = []
    monkeypatch.setattr(comm, "create_comm", lambda **kw: _RecordingComm())

    shown: list[str] = []
    auth = _auth_of(mode, sb)
    with Remote.for_sandbox(sb.endpoint, auth=auth) as r:
        ex = r.fetch_execution(wf)
        w = notebook_module.watch(ex)
        assert w.watch is not None
        assert w.watch.wait(60)  # type: ignore[attr-defined]
        w._handle_custom_msg({"type": "snapshot", "view": "v1"}, [])
        sb.revoke_tokens()
        try:  # a second login (refresh token, new run, new grant); a static token can only fail
            r.fetch_execution(wf)
        except AuthenticationError as e:
            assert mode == "StaticToken"
            shown += [str(e), repr(e)]
        shown += [repr(r), str(r), repr(auth), str(auth), repr(ex), w.text(), repr(w.model)]
        shown.append(json.dumps(w.get_state(), default=str))
        shown.append(json.dumps(w._repr_mimebundle_(), default=str))
        shown.append(json.dumps([dict(w.model.header), dict(w.model.sync_status)], default=str))
        w.close()
    with Remote.for_sandbox(sb.endpoint, auth=_auth_of(mode, sb, failing=True)) as bad:
        with pytest.raises(AuthenticationError) as info:
            bad.fetch_execution(wf)
        shown += [str(info.value), repr(info.value), repr(bad.auth)]
    shown.append(json.dumps(_RecordingComm.sent, default=str))
    shown.append(caplog.text)
    assert len(secrets_seen) > 2, "no login happened: the test would prove nothing"
    assert _RecordingComm.sent, "the widget sent nothing: the test would prove nothing"
    for secret in secrets_seen:
        for text in shown:
            assert secret not in text
