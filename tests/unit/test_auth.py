"""Authenticators against a stdlib HTTP IdP: client credentials, device flow, external command, static token."""

from __future__ import annotations

import base64
import logging
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flyteexec_widget.admin import auth
from flyteexec_widget.admin import idp as idp_http
from flyteexec_widget.admin.auth import (
    ClientSecret,
    DeviceFlow,
    ExternalCommand,
    LoginError,
    ServerAuthConfig,
    StaticToken,
    TokenResponse,
    basic_auth_header,
    may_prompt,
    prompting,
    show_device_prompt,
)
from flyteexec_widget.admin.errors import AuthenticationError, ConfigError, LoginRequiredError, is_permanent
from flyteexec_widget.admin.plaintext import redact_tokens

from ..hostile_text import UNSAFE, hostile
from ._fake_admin import FakeIdP, RawHttp

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def idp() -> Iterator[FakeIdP]:
    with FakeIdP() as server:
        yield server


class FakeTime:
    """sleep() advances clock(): device-flow polling without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def test_basic_header_quotes_the_secret() -> None:
    header = basic_auth_header("client", "a b+c/d")
    assert header == "Basic " + base64.b64encode(b"client:a+b%2Bc%2Fd").decode()


@pytest.mark.flytekit
def test_basic_header_matches_flytekit() -> None:
    from flytekit.clients.auth.token_client import get_basic_authorization_header

    for cid, secret in [("c", "s"), ("my-client", "p@ss w/rd+=&?"), ("x", "ünïcode")]:
        assert basic_auth_header(cid, secret) == get_basic_authorization_header(cid, secret)


def test_client_secret_posts_basic_auth_and_form(idp: FakeIdP) -> None:
    idp.replies["/token"] = [(200, {"access_token": "tok", "expires_in": 3600})]
    a = ClientSecret("cid", "sec ret", scopes=["all", "offline"], audience="aud")
    server = ServerAuthConfig(token_endpoint=idp.url + "/token", scopes=("ignored",), audience="ignored")
    assert a.token() is None
    assert a.refresh(server) == "tok"
    assert a.token() == "tok"
    (req,) = idp.requests
    assert req.path == "/token"
    assert req.headers["authorization"] == basic_auth_header("cid", "sec ret")
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.form == {"grant_type": "client_credentials", "scope": "all offline", "audience": "aud"}


def test_client_secret_uses_server_scopes_and_token_url_override(idp: FakeIdP) -> None:
    idp.replies["/mine"] = [(200, {"access_token": "tok"})]
    a = ClientSecret("cid", "sec", token_url=idp.url + "/mine")
    a.refresh(ServerAuthConfig(token_endpoint=idp.url + "/server", scopes=("all",)))
    (req,) = idp.requests
    assert req.path == "/mine"
    assert req.form == {"grant_type": "client_credentials", "scope": "all"}


def test_client_secret_without_token_endpoint() -> None:
    with pytest.raises(LoginError, match=r"admin\.tokenUrl"):
        ClientSecret("cid", "sec").refresh(ServerAuthConfig())


def test_refused_client_credentials_name_the_idp_error_not_the_secret(
    idp: FakeIdP, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    idp.replies["/token"] = [(401, {"error": "invalid_client", "error_description": "Client authentication failed"})]
    a = ClientSecret("cid", "TOP-SECRET")
    with pytest.raises(LoginError) as ei:
        a.refresh(ServerAuthConfig(token_endpoint=idp.url + "/token"))
    assert isinstance(ei.value, AuthenticationError)  # callers catching the RPC error class see it too
    msg = str(ei.value)
    assert "HTTP 401" in msg
    assert "invalid_client" in msg
    assert "'cid'" in msg
    for text in (msg, repr(ei.value), repr(a), caplog.text):
        assert "TOP-SECRET" not in text


def test_refresh_is_single_flight_and_honours_expiry(idp: FakeIdP) -> None:
    idp.replies["/token"] = [(200, {"access_token": "t1", "expires_in": 100}), (200, {"access_token": "t2"})]
    t = FakeTime()
    a = ClientSecret("cid", "sec", token_url=idp.url + "/token")
    a._clock = t.clock
    server = ServerAuthConfig()
    assert a.refresh(server, stale=None) == "t1"
    # another caller that also saw "no token" gets the token already fetched
    assert a.refresh(server, stale=None) == "t1"
    assert len(idp.requests) == 1
    t.now += 60
    assert not a.expired()
    t.now += 15  # past expires_in minus the 30 s margin
    assert a.expired()
    assert a.refresh(server, stale="t1") == "t2"
    assert len(idp.requests) == 2


def test_device_flow_polls_until_approved(idp: FakeIdP) -> None:
    idp.replies["/device"] = [
        (
            200,
            {
                "device_code": "dev-code",
                "user_code": "ABCD-EFGH",
                "verification_uri": "https://idp.example.com/activate",
                "expires_in": 600,
                "interval": 2,
            },
        )
    ]
    idp.replies["/token"] = [
        (400, {"error": "authorization_pending"}),
        (400, {"error": "slow_down"}),
        (400, {"error": "authorization_pending"}),
        (200, {"access_token": "device-token", "refresh_token": "r1", "expires_in": 3600}),
    ]
    shown: list[tuple[str, str]] = []
    t = FakeTime()
    a = DeviceFlow(scopes=["openid"], prompt=lambda u, c: shown.append((u, c)), sleep=t.sleep, clock=t.clock)
    server = ServerAuthConfig(
        token_endpoint=idp.url + "/token", device_authorization_endpoint=idp.url + "/device", client_id="flytectl"
    )
    assert a.refresh(server) == "device-token"
    assert shown == [("https://idp.example.com/activate", "ABCD-EFGH")]
    assert t.sleeps == [2, 2, 7, 7]  # interval honoured, +5 s after slow_down
    device_req, *polls = idp.requests
    assert device_req.form == {"client_id": "flytectl", "scope": "openid"}
    assert len(polls) == 4
    assert polls[0].form == {
        "client_id": "flytectl",
        "scope": "openid",
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": "dev-code",
    }
    assert "authorization" not in polls[0].headers


def test_device_flow_uses_refresh_token_first(idp: FakeIdP) -> None:
    idp.replies["/token"] = [(200, {"access_token": "renewed"})]
    a = DeviceFlow("cli", token_url=idp.url + "/token", prompt=lambda u, c: pytest.fail("no prompt expected"))
    a._token = TokenResponse("old", refresh_token="r1")
    assert a.refresh(ServerAuthConfig(), stale="old") == "renewed"
    (req,) = idp.requests
    assert req.form == {"client_id": "cli", "grant_type": "refresh_token", "refresh_token": "r1"}


def test_device_flow_expires(idp: FakeIdP) -> None:
    idp.replies["/device"] = [
        (
            200,
            {"device_code": "d", "user_code": "u", "verification_uri": "https://x/a", "expires_in": 10, "interval": 4},
        )
    ]
    idp.replies["/token"] = [(400, {"error": "authorization_pending"})]
    t = FakeTime()
    a = DeviceFlow("cli", prompt=lambda u, c: None, sleep=t.sleep, clock=t.clock)
    server = ServerAuthConfig(token_endpoint=idp.url + "/token", device_authorization_endpoint=idp.url + "/device")
    with pytest.raises(LoginError, match="expired"):
        a.refresh(server)
    assert t.sleeps == [4, 4, 2]  # the last wait is cut to what is left of the code's life


def test_device_flow_survives_malformed_numbers_from_the_idp(idp: FakeIdP) -> None:
    idp.replies["/device"] = [
        (
            200,
            {
                "device_code": "d",
                "user_code": "u",
                "verification_uri": "https://x/a",
                "expires_in": "x",
                "interval": "?",
            },
        )
    ]
    # a numeric string expiry (some IdPs send strings) counts; an unusable interval falls back to RFC 8628's 5 s
    idp.replies["/token"] = [(200, {"access_token": "tok", "expires_in": "3600"})]
    t = FakeTime()
    a = DeviceFlow("cli", prompt=lambda u, c: None, sleep=t.sleep, clock=t.clock)
    server = ServerAuthConfig(token_endpoint=idp.url + "/token", device_authorization_endpoint=idp.url + "/device")
    assert a.refresh(server) == "tok"
    assert t.sleeps == [5.0]
    assert a._token is not None
    assert a._token.expires_in == 3600.0


def test_device_flow_denied(idp: FakeIdP) -> None:
    idp.replies["/device"] = [(200, {"device_code": "d", "user_code": "u", "verification_uri": "https://x/a"})]
    idp.replies["/token"] = [(400, {"error": "access_denied"})]
    t = FakeTime()
    a = DeviceFlow("cli", prompt=lambda u, c: None, sleep=t.sleep, clock=t.clock)
    server = ServerAuthConfig(token_endpoint=idp.url + "/token", device_authorization_endpoint=idp.url + "/device")
    with pytest.raises(LoginError, match="access_denied"):
        a.refresh(server)


def test_device_flow_without_device_endpoint() -> None:
    a = DeviceFlow("cli", prompt=lambda u, c: None)
    with pytest.raises(LoginError, match="device authorization endpoint"):
        a.refresh(ServerAuthConfig(token_endpoint="https://idp/token"))


DEVICE_REPLY = {
    "device_code": "DEV-SECRET",
    "user_code": "ABCD-EFGH",
    "verification_uri": "https://idp.example.com/activate",
    "verification_uri_complete": "https://idp.example.com/activate?user_code=ABCD-EFGH",
    "expires_in": 600,
    "interval": 2,
}


def device_server(idp: FakeIdP) -> ServerAuthConfig:
    return ServerAuthConfig(
        token_endpoint=idp.url + "/token", device_authorization_endpoint=idp.url + "/device", client_id="cli"
    )


def in_thread(fn: Any) -> Any:
    """Run ``fn`` on another thread; return what it returned or raised."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            out.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    assert not t.is_alive()
    return out[0]


def spy_on_await(a: DeviceFlow) -> threading.Event:
    """An event set when a thread starts waiting for the device login another thread runs."""
    awaiting = threading.Event()
    original = a._await

    def spy(login: Any, until: float | None) -> str:
        awaiting.set()
        return original(login, until)

    a._await = spy  # type: ignore[method-assign]
    return awaiting


def test_only_the_main_thread_may_prompt_unless_told() -> None:
    assert may_prompt()  # pytest runs tests on the main thread
    assert in_thread(may_prompt) is False
    with prompting(False):
        assert not may_prompt()
        with prompting(True):
            assert may_prompt()
    assert may_prompt()

    def allowed_in_a_thread() -> bool:
        with prompting(True):
            return may_prompt()

    assert in_thread(allowed_in_a_thread) is True


def test_device_flow_does_not_start_a_login_where_it_may_not_prompt(idp: FakeIdP) -> None:
    idp.replies["/device"] = [(200, DEVICE_REPLY)]
    a = DeviceFlow(prompt=lambda u, c: pytest.fail("no prompt from here"), sleep=lambda s: pytest.fail("no poll"))
    with prompting(False), pytest.raises(LoginRequiredError) as ei:
        a.refresh(device_server(idp))
    err = in_thread(lambda: a.refresh(device_server(idp)))  # another thread: not told, so no either
    assert isinstance(err, LoginRequiredError)
    for e in (ei.value, err):
        assert str(e) == "log in again: run any call in a cell, e.g. remote.fetch_execution(...)"
        assert e.url is None  # no login under way: nothing to link to
        assert isinstance(e, AuthenticationError)
        assert not is_permanent(e)  # a watch waits for the login instead of stopping
    assert idp.requests == []  # no device authorization started


def test_a_refused_refresh_token_is_tried_once(idp: FakeIdP) -> None:
    idp.replies["/token"] = [(400, {"error": "invalid_grant"})]
    a = DeviceFlow("cli", token_url=idp.url + "/token")
    a._token = TokenResponse("old", refresh_token="r1")
    with prompting(False):
        for _ in range(3):
            with pytest.raises(LoginRequiredError):
                a.refresh(ServerAuthConfig(), stale="old")
    assert [r.form.get("grant_type") for r in idp.requests] == ["refresh_token"]


def test_device_login_polls_without_the_lock(idp: FakeIdP) -> None:
    """While the main thread polls, a thread that may not prompt gets the login's link at once, one that may waits
    for the login, and nobody blocks on the lock."""
    idp.replies["/device"] = [(200, DEVICE_REPLY)]
    idp.replies["/token"] = [(400, {"error": "authorization_pending"}), (200, {"access_token": "tok"})]
    seen: dict[str, Any] = {}
    waiter: list[threading.Thread] = []
    got: list[str] = []
    new_tokens: list[str] = []

    def sleep(seconds: float) -> None:
        if seen:
            return
        # the lock is free while polling
        assert a._lock.acquire(timeout=5)
        a._lock.release()
        # a thread that may not prompt (the sync thread) is told where the login waits, at once
        with prompting(False):
            seen["error"] = in_thread(lambda: a.refresh(server, stale=None))

        def wait_for_it() -> None:
            with prompting(True):
                got.append(a.refresh(server))

        waiter.append(threading.Thread(target=wait_for_it))
        waiter[0].start()
        assert awaiting.wait(30)  # the other thread waits for this login (and does not start its own)

    a = DeviceFlow(prompt=lambda u, c: None, sleep=sleep)
    awaiting = spy_on_await(a)
    a.add_token_listener(lambda: new_tokens.append(threading.current_thread().name))
    server = device_server(idp)
    assert a.refresh(server) == "tok"
    waiter[0].join(30)
    err = seen["error"]
    assert isinstance(err, LoginRequiredError)
    assert err.url == "https://idp.example.com/activate?user_code=ABCD-EFGH"
    assert err.user_code == "ABCD-EFGH"
    assert "DEV-SECRET" not in str(err) + repr(err) + str(err.url)
    assert got == ["tok"]  # the waiter got the token of the login it waited for
    assert [r.path for r in idp.requests].count("/device") == 1  # one login for everyone
    assert new_tokens == [threading.main_thread().name]


def test_a_link_holding_the_device_code_is_not_shared(idp: FakeIdP) -> None:
    idp.replies["/device"] = [(200, {**DEVICE_REPLY, "verification_uri_complete": "https://idp/x?c=DEV-SECRET"})]
    idp.replies["/token"] = [(200, {"access_token": "tok"})]
    errors: list[Any] = []

    def sleep(seconds: float) -> None:
        with prompting(False):
            errors.append(in_thread(lambda: a.refresh(device_server(idp))))

    a = DeviceFlow(prompt=lambda u, c: None, sleep=sleep)
    assert a.refresh(device_server(idp)) == "tok"
    [err] = errors
    assert isinstance(err, LoginRequiredError)
    assert err.url is None


def test_an_interrupted_device_login_releases_its_waiters(idp: FakeIdP) -> None:
    idp.replies["/device"] = [(200, DEVICE_REPLY)]
    outcome: list[BaseException] = []

    def wait_for_it() -> None:
        with prompting(True):
            try:
                a.refresh(device_server(idp))
            except LoginError as exc:
                outcome.append(exc)

    def sleep(seconds: float) -> None:
        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        assert waiting.wait(30)
        sleeps.append(waiter)
        raise KeyboardInterrupt  # Ctrl-C in the cell while it polls

    sleeps: list[threading.Thread] = []
    a = DeviceFlow(prompt=lambda u, c: None, sleep=sleep)
    waiting = spy_on_await(a)
    with pytest.raises(KeyboardInterrupt):
        a.refresh(device_server(idp))
    sleeps[0].join(30)
    assert [str(e) for e in outcome] == ["the device login under way was interrupted"]
    assert a._login is None  # the next call starts a new login


def test_device_prompt_on_stderr_outside_ipython(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    show_device_prompt("https://idp.example.com/activate?user_code=ABCD", "ABCD")
    err = capsys.readouterr().err
    assert "https://idp.example.com/activate?user_code=ABCD" in err
    assert "ABCD" in err


def test_device_prompt_on_stderr_shows_terminal_payloads_as_escapes(
    capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    show_device_prompt("https://idp.example.com/a?" + hostile("uri"), hostile("code"))
    err = capsys.readouterr().err
    assert not UNSAFE.search(err)
    assert err.count("\n") == 1  # one line, however many newlines the IdP sent
    assert "uri:\\x1b[2J" in err
    assert "code:\\x1b[2J" in err


def test_device_prompt_is_a_link_in_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace(kernel=object())  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")
    display.HTML = lambda s: ("HTML", s)  # type: ignore[attr-defined]
    display.display = shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    show_device_prompt("https://idp.example.com/activate?a=1&b=2", "<CODE>")
    ((kind, html),) = shown
    assert kind == "HTML"
    assert '<a href="https://idp.example.com/activate?a=1&amp;b=2"' in html
    assert "&lt;CODE&gt;" in html  # server data is escaped


def test_device_prompt_in_terminal_ipython_is_text(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    # A terminal IPython has a shell but no kernel: display(HTML) would print "<IPython.core.display.HTML object>"
    # and lose the link, so the prompt is the stderr line there.
    shown: list[Any] = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace()  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")
    display.HTML = lambda s: ("HTML", s)  # type: ignore[attr-defined]
    display.display = shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    show_device_prompt("https://idp.example.com/activate?user_code=ABCD", "ABCD")
    assert shown == []
    assert "https://idp.example.com/activate?user_code=ABCD" in capsys.readouterr().err


def test_external_command() -> None:
    a = ExternalCommand([sys.executable, "-c", "print('tok')"])
    assert a.refresh(ServerAuthConfig()) == "tok"


def test_external_command_failure_shows_stderr_not_stdout() -> None:
    script = "import sys; print('PARTIAL' + '-TOKEN'); sys.stderr.write('boom'); sys.exit(3)"
    a = ExternalCommand([sys.executable, "-c", script])
    with pytest.raises(LoginError) as ei:
        a.refresh(ServerAuthConfig())
    msg = str(ei.value)
    assert "exited with 3" in msg
    assert "boom" in msg
    assert "PARTIAL-TOKEN" not in msg


def test_external_command_repr_and_errors_show_its_name_only(tmp_path: Path) -> None:
    secret_arg = "--client-secret=S3CR3T-ARG"
    script = "import sys; sys.stderr.write('bad credentials'); sys.exit(2)"
    a = ExternalCommand([sys.executable, "-c", script, secret_arg])
    assert repr(a) == f"ExternalCommand(program={Path(sys.executable).name!r}, arguments=3)"
    with pytest.raises(LoginError) as ei:
        a.refresh(ServerAuthConfig())
    assert str(ei.value).startswith(f"token command {Path(sys.executable).name!r} exited with 2: bad credentials")
    for shown in (repr(a), str(ei.value), repr(ei.value)):
        assert "S3CR3T" not in shown
        assert "sys.exit" not in shown  # no argument at all, not only the ones that look secret
    for command, needle in (
        ([str(tmp_path / "missing-tool"), secret_arg], "token command 'missing-tool' not found"),
        ([str(tmp_path), secret_arg], f"token command {tmp_path.name!r} cannot be run"),
    ):
        with pytest.raises(LoginError) as ei:
            ExternalCommand(command).refresh(ServerAuthConfig())
        assert needle in str(ei.value)
        assert "S3CR3T" not in str(ei.value)


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXh5eg"
OPAQUE = "ya29.a0AfH6SMBx7Q2kL9pZ3vW8nR4tY1uE6oI0"


@pytest.mark.parametrize(
    ("stderr", "shown"),
    [
        (f"Authorization: Bearer {JWT}", "Authorization: Bearer [redacted]"),
        (f"cached {JWT} is stale", "cached [redacted] is stale"),
        (f"refresh failed for {OPAQUE}", "refresh failed for [redacted]"),
        ("error: refresh_token=rt-123 expired", "error: refresh_token=[redacted] expired"),
        ('{"access_token": "opaque-1"}', '{"access_token": "[redacted]"}'),
        ("client_secret: 'hunter2'", "client_secret: '[redacted]'"),
        ("password=hunter2&user=alice", "password=[redacted]&user=alice"),
        ("x-api-key: k1", "x-api-key: [redacted]"),
        ("Basic dXNlcjpwYXNzd29yZA==", "Basic [redacted]"),
        ("hex 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "hex [redacted]"),
        # what is not a token stays readable
        ("HTTP 401 Unauthorized for user alice", "HTTP 401 Unauthorized for user alice"),
        (
            'File "/usr/lib/python3.11/site-packages/tool/login.py", line 3',
            'File "/usr/lib/python3.11/site-packages/tool/login.py", line 3',
        ),
    ],
)
def test_stderr_is_shown_with_tokens_redacted(stderr: str, shown: str) -> None:
    assert redact_tokens(stderr) == shown
    script = f"import sys; sys.stderr.write({stderr!r}); sys.exit(1)"
    with pytest.raises(LoginError) as ei:
        ExternalCommand([sys.executable, "-c", script]).refresh(ServerAuthConfig())
    assert str(ei.value).endswith(f"exited with 1: {shown}")


@pytest.mark.parametrize(
    ("command", "needle"),
    [([sys.executable, "-c", "pass"], "printed nothing"), (["/nonexistent/get-token"], "not found")],
)
def test_external_command_errors(command: list[str], needle: str) -> None:
    with pytest.raises(LoginError, match=needle):
        ExternalCommand(command).refresh(ServerAuthConfig())


def test_static_token() -> None:
    a = StaticToken("  tok-123 ")
    assert a.token() == "tok-123"
    assert "tok-123" not in repr(a)
    with pytest.raises(LoginError, match="static token"):
        a.refresh(ServerAuthConfig(), stale="tok-123")
    with pytest.raises(ConfigError):
        StaticToken("")


def test_config_errors_for_incomplete_authenticators() -> None:
    with pytest.raises(ConfigError, match="clientId"):
        ClientSecret("", "s")
    with pytest.raises(ConfigError, match="no secret"):
        ClientSecret("c", "")
    with pytest.raises(ConfigError, match=r"admin\.command"):
        ExternalCommand([])


def test_reprs_hide_secrets(idp: FakeIdP) -> None:
    idp.replies["/token"] = [(200, {"access_token": "ACCESS-XYZ", "refresh_token": "REFRESH-XYZ"})]
    cs = ClientSecret("cid", "SECRET-XYZ", token_url=idp.url + "/token")
    cs.refresh(ServerAuthConfig())
    df = DeviceFlow("cli")
    df._token = TokenResponse("ACCESS-XYZ", refresh_token="REFRESH-XYZ")
    for obj in (cs, df, cs._token, df._token, auth._Pkce()):
        for s in ("SECRET-XYZ", "ACCESS-XYZ", "REFRESH-XYZ"):
            assert s not in repr(obj)
            assert s not in str(obj)


# ------------------------------------------------------------------------------------------ hostile HTTP answers


def _redirect(code: int, location: str) -> Any:
    def answer(send: Any) -> None:
        send(
            f"HTTP/1.1 {code} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )

    return answer


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_a_redirect_is_refused_and_the_client_secret_goes_nowhere_else(code: int, host: str) -> None:
    """urllib followed 301/302/303 with the ``Authorization: Basic client_id:secret`` header to any host, over
    plain http too. Now no redirect is followed (a token endpoint has no reason to redirect a POST)."""
    with RawHttp(lambda send: send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")) as elsewhere:
        target = f"http://{host}:{elsewhere.port}/token"
        with RawHttp(_redirect(code, target)) as idp:
            a = ClientSecret("cid", "the-secret", token_url=idp.url + "/token")
            with pytest.raises(LoginError) as ei:
                a.refresh(ServerAuthConfig())
        assert elsewhere.requests == []  # nothing reached the other server: neither the secret nor the form
    message = str(ei.value)
    assert f"{idp.url}/token answered with a redirect (HTTP {code}) to {target}; not followed" in message
    assert "the-secret" not in message
    assert len(idp.requests) == 1


def test_a_redirect_s_location_is_shown_printable() -> None:
    with RawHttp(_redirect(302, "http://x/\x1b]8;;http://evil\x07y")) as idp, pytest.raises(LoginError) as ei:
        idp_http.post_form(idp.url, {})
    assert "\x1b" not in str(ei.value)
    assert "\\x1b]8;;http://evil\\x07y" in str(ei.value)


def _drip(head: bytes, then: bytes, every: float = 0.05, for_s: float = 8.0) -> Any:
    """Answer ``head`` at once, then ``then`` one byte every ``every`` seconds (for at most ``for_s`` seconds: a
    client that waits for all of it fails its test, it does not hang it)."""

    def answer(send: Any) -> None:
        if not send(head):
            return
        started = time.monotonic()
        for i in range(len(then)):
            if time.monotonic() - started > for_s or not send(then[i : i + 1]):
                return
            time.sleep(every)

    return answer


@pytest.mark.parametrize(
    ("head", "then"),
    [
        (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 10_000),  # the headers, a byte at a time
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n", b"{" + b" " * 9_999),  # the body, a byte at a time
    ],
    ids=["headers", "body"],
)
def test_a_server_dripping_its_answer_gets_the_whole_timeout_not_one_per_byte(head: bytes, then: bytes) -> None:
    """urlopen(timeout=...) bounds each socket read: a byte every 50 ms kept a login waiting for as long as the
    server liked (here 8 s, then the server gives up). The timeout now bounds the whole exchange."""
    with RawHttp(_drip(head, then)) as idp:
        start = time.monotonic()
        with pytest.raises(auth.LoginTimeout, match=rf"{idp.url} did not answer within 1s"):
            idp_http.post_form(idp.url, {"grant_type": "client_credentials"}, timeout=1.0)
        took = time.monotonic() - start
    assert took < 1.0 + 4  # the timeout and a margin for a loaded machine; the server drips for 8 s
    assert auth.LoginTimeout.transient
    assert not auth.LoginTimeout.permanent


@pytest.mark.parametrize("with_length", [True, False])
def test_an_answer_over_a_mebibyte_is_refused(with_length: bool) -> None:
    big = b'{"access_token": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
    head += f"Content-Length: {len(big)}\r\n".encode() if with_length else b""

    def answer(send: Any) -> None:
        send(head + b"\r\n" + big)

    with RawHttp(answer) as idp:
        a = ClientSecret("cid", "secret", token_url=idp.url)
        with pytest.raises(LoginError, match=r"answered with more than 1,048,576 bytes; refused"):
            a.refresh(ServerAuthConfig())
    assert idp_http.MAX_RESPONSE_BYTES == 1024 * 1024


def test_a_refresh_within_a_timeout_ends_by_it_whatever_the_idp_does() -> None:
    """The call's budget reaches the IdP request: a 30 s http_timeout is cut to what the caller has left."""
    with RawHttp(_drip(b"HTTP/1.1 200 OK\r\n", b"X: " + b"a" * 10_000)) as idp:
        a = ClientSecret("cid", "secret", token_url=idp.url, http_timeout=30.0)
        start = time.monotonic()
        with pytest.raises(auth.LoginTimeout):
            a.refresh(ServerAuthConfig(), timeout=1.0)
        assert time.monotonic() - start < 1.0 + 4


def test_the_idp_s_interval_and_code_lifetime_are_capped(idp: FakeIdP) -> None:
    """An IdP saying "poll every hour, the code lives a day" held the login (and the thread) for a day."""
    idp.replies["/device"] = [(200, {**DEVICE_REPLY, "interval": 3600, "expires_in": 86_400})]
    idp.replies["/token"] = [(400, {"error": "authorization_pending"})]
    t = FakeTime()
    a = DeviceFlow("cli", prompt=lambda u, c: None, sleep=t.sleep, clock=t.clock)
    with pytest.raises(LoginError, match="expired"):
        a.refresh(device_server(idp))
    assert max(t.sleeps) == auth.MAX_POLL_INTERVAL_S == 60.0
    assert sum(t.sleeps) == auth.MAX_DEVICE_CODE_S == 1800.0


def test_slow_down_never_stretches_the_interval_past_the_cap(idp: FakeIdP) -> None:
    idp.replies["/device"] = [(200, {**DEVICE_REPLY, "interval": 58})]
    idp.replies["/token"] = [(400, {"error": "slow_down"})] * 3 + [(200, {"access_token": "tok"})]
    t = FakeTime()
    a = DeviceFlow("cli", prompt=lambda u, c: None, sleep=t.sleep, clock=t.clock)
    assert a.refresh(device_server(idp)) == "tok"
    assert t.sleeps == [58, 60, 60, 60]


def test_a_device_login_ends_at_the_callers_login_timeout(idp: FakeIdP) -> None:
    """wait(timeout=T) logs in with what is left of T: a user who does not approve cannot hold it longer."""
    idp.replies["/device"] = [(200, DEVICE_REPLY)]  # interval 2 s, the code lives 600 s
    idp.replies["/token"] = [(400, {"error": "authorization_pending"})]
    t = FakeTime()
    a = DeviceFlow("cli", prompt=lambda u, c: None, sleep=t.sleep, clock=t.clock)
    with pytest.raises(auth.LoginTimeout, match="not approved within the time the caller had"):
        a.refresh(device_server(idp), login_timeout=7.0)
    assert t.sleeps == [2, 2, 2, 1]
    assert a._login is None  # abandoned: the next call starts a new one


def test_the_time_a_user_takes_is_counted_apart(idp: FakeIdP) -> None:
    """AdminClient.call keeps the user's approval time out of its budget: counting_user_wait says how long."""
    idp.replies["/device"] = [(200, DEVICE_REPLY)]
    idp.replies["/token"] = [(400, {"error": "authorization_pending"})] * 3 + [(200, {"access_token": "tok"})]
    t = FakeTime()
    a = DeviceFlow("cli", prompt=lambda u, c: None, sleep=t.sleep, clock=t.clock)
    with auth.counting_user_wait() as waited:
        a.refresh(device_server(idp))
    assert waited() == 8.0  # four polls, 2 s apart


@pytest.mark.parametrize(
    "uri", ["http:foo", "https:/idp.example.com/a", "http://", "http://:80/a", "javascript:alert(1)//https://x"]
)
def test_device_prompt_links_only_an_http_url_with_a_host(
    uri: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The scheme alone was checked: ``http:foo`` became a link in the notebook."""
    shown: list[Any] = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace(kernel=object())  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")
    display.HTML = lambda s: ("HTML", s)  # type: ignore[attr-defined]
    display.display = shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    show_device_prompt(uri, "ABCD")
    assert shown == []
    assert f"open {uri} and enter the code ABCD" in capsys.readouterr().err


def test_idp_error_text_is_printable(idp: FakeIdP) -> None:
    idp.replies["/token"] = [(401, {"error": "bad\x1b[2J", "error_description": "x\u202ey\nforged line"})]
    a = ClientSecret("cid", "secret", token_url=idp.url + "/token")
    with pytest.raises(LoginError) as ei:
        a.refresh(ServerAuthConfig())
    assert not UNSAFE.search(str(ei.value))
    assert "bad\\x1b[2J: x\\u202ey\\nforged line" in str(ei.value)


@pytest.mark.parametrize("url", ["ftp://idp/token", "http:token", "https://", "javascript:alert(1)"])
def test_a_token_endpoint_that_is_not_an_http_url_with_a_host_is_refused(url: str) -> None:
    a = ClientSecret("cid", "secret", token_url=url)
    with pytest.raises(LoginError, match="is not an absolute http\\(s\\) URL with a host"):
        a.refresh(ServerAuthConfig())
