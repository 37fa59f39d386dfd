"""Authenticators: where the bearer token for FlyteAdmin comes from.

Like flytekit, a token is obtained lazily: the first call goes out with whatever token is cached (none at
first), and on UNAUTHENTICATED ``AdminClient.call`` asks the authenticator to :meth:`Authenticator.refresh` once
and retries. Tokens and secrets never appear in ``repr()``, log records or exception messages.

Who may prompt: a DeviceFlow login shows a link and a code and waits for the user, so it only starts where the
user is looking: on the main thread (a notebook cell runs there), or where :func:`prompting` allows it. The live
scheduler's syncs say no; on such a thread a refresh that needs the user raises
:class:`~flyteexec_widget.admin.errors.LoginRequiredError` at once (the widget then says "log in again"), and the
user's next call from a cell logs in. The client's worker threads inherit the answer of the thread whose call they
run (:func:`caller_context`). The prompt (:func:`show_device_prompt`) is a link in a Jupyter kernel and a line on
stderr elsewhere, decided by the package's one probe, :mod:`~flyteexec_widget.admin.ipython`.

The identity provider is reached through :func:`~.idp.post_form` (bounded in time and size, never redirected).
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import dataclasses
import html
import importlib
import logging
import math
import os
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import ipython
from .errors import ConfigError, LoginError, LoginRequiredError, LoginTimeout
from .flytekit_config import FLYTEKIT_SOURCE
from .idp import post_form
from .plaintext import printable, printable_cut, redact_tokens
from .refs import safe_url

__all__ = [
    "DEFAULT_HEADER_KEY",
    "MAX_DEVICE_CODE_S",
    "MAX_POLL_INTERVAL_S",
    "Authenticator",
    "ClientSecret",
    "DeviceFlow",
    "ExternalCommand",
    "LoginError",
    "LoginTimeout",
    "ServerAuthConfig",
    "StaticToken",
    "TokenResponse",
    "basic_auth_header",
    "caller_context",
    "counting_user_wait",
    "from_config",
    "may_prompt",
    "prompting",
]

log = logging.getLogger(__name__)

DEFAULT_HEADER_KEY = "authorization"
_EXPIRY_MARGIN_S = 30.0  # refresh a little before the IdP says the token expires


# -- who may prompt ----------------------------------------------------------------------------------------------

_PROMPTS: contextvars.ContextVar[bool | None] = contextvars.ContextVar("flyteexec_widget_prompts", default=None)


def may_prompt() -> bool:
    """Whether a login on this thread may show a prompt and wait for the user.

    As :func:`prompting` set it; otherwise only on the main thread: output from any other thread would land in
    whatever notebook cell happens to be running.
    """
    allowed = _PROMPTS.get()
    return threading.current_thread() is threading.main_thread() if allowed is None else allowed


@contextlib.contextmanager
def prompting(allowed: bool) -> Iterator[None]:
    """Within the block, a login on this thread (and on the client's worker threads running its calls) may prompt
    or may not. The live scheduler wraps each sync in ``prompting(False)``."""
    token = _PROMPTS.set(allowed)
    try:
        yield
    finally:
        _PROMPTS.reset(token)


def caller_context() -> contextvars.Context:
    """A copy of this thread's context for running part of its work on another thread, with this thread's
    :func:`may_prompt` answer fixed in it: a sync run from a cell may log in from a worker (the cell waits on that
    worker, and IPython sends the worker's output to that cell), a sync of the scheduler's may not."""
    ctx = contextvars.copy_context()
    ctx.run(_PROMPTS.set, may_prompt())
    return ctx


_USER_WAIT: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "flyteexec_widget_user_wait", default=None
)


@contextlib.contextmanager
def counting_user_wait() -> Iterator[Callable[[], float]]:
    """Within the block, add up the seconds this thread waits for a user to approve a device login; yields a
    function returning the sum. ``AdminClient.call`` keeps them out of a call's time budget: they are the user's
    time, not the server's."""
    spent = [0.0]
    token = _USER_WAIT.set(spent)
    try:
        yield lambda: spent[0]
    finally:
        _USER_WAIT.reset(token)


def _add_user_wait(seconds: float) -> None:
    spent = _USER_WAIT.get()
    if spent is not None:
        spent[0] += max(0.0, seconds)


@dataclass(frozen=True)
class ServerAuthConfig:
    """What FlyteAdmin's ``AuthMetadataService`` says (all empty when the server has auth disabled)."""

    token_endpoint: str = ""
    authorization_endpoint: str = ""
    device_authorization_endpoint: str = ""
    client_id: str = ""
    redirect_uri: str = ""
    scopes: tuple[str, ...] = ()
    authorization_metadata_key: str = ""
    audience: str = ""


@dataclass(frozen=True)
class TokenResponse:
    """A token from an IdP; ``repr()`` hides both tokens."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: float | None = None


def basic_auth_header(client_id: str, client_secret: str) -> str:
    """HTTP Basic value for ``client_id:quote_plus(secret)``, exactly as flytekit's token client builds it."""
    raw = f"{client_id}:{urllib.parse.quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _http_url(url: str, what: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host (the one check of links, :func:`~.refs.safe_url`)."""
    if safe_url(url) is None:
        raise LoginError(f"{what} {printable_cut(repr(url))} is not an absolute http(s) URL with a host")
    return url


def _idp_error(data: dict[str, Any]) -> str:
    # Only the IdP's error code and description: never echo the request (it holds the secret). Both are the IdP's
    # text, shown in a terminal: printable.
    err = printable_cut(str(data.get("error", "")), 100) or "no error code"
    desc = printable_cut(str(data.get("error_description", "")), 200)
    return f"{err}: {desc}" if desc else err


def _seconds(value: Any, default: float | None) -> float | None:
    """A positive number of seconds from an IdP's JSON (a number or a numeric string, as some IdPs send), else
    ``default``: the reply is not trusted to be well-formed."""
    if isinstance(value, bool):
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default
    return seconds if math.isfinite(seconds) and seconds > 0 else default


def _token_from(data: dict[str, Any], url: str) -> TokenResponse:
    tok = data.get("access_token")
    if not isinstance(tok, str) or not tok:
        raise LoginError(f"token endpoint {printable_cut(url)} answered without an access_token")
    refresh = data.get("refresh_token")
    return TokenResponse(
        access_token=tok,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=_seconds(data.get("expires_in"), None),
    )


class Authenticator(ABC):
    """Holds one token and knows how to get a new one.

    ``header_key`` overrides the metadata key the server announces (config ``admin.authorizationHeader``).
    Thread-safe: concurrent :meth:`refresh` calls that saw the same stale token fetch only once.
    :meth:`add_token_listener` tells who needs to know when a new token arrived (a watch waiting for a login).
    """

    mode: ClassVar[str] = "?"

    def __init__(self, *, header_key: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.header_key = header_key or None
        self._clock = clock
        self._lock = threading.Lock()
        self._token: TokenResponse | None = None
        self._obtained_at = 0.0
        self._listeners: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mode={self.mode!r}, has_token={self._token is not None})"

    def token(self) -> str | None:
        """The cached access token, or None (never fetched). An expired token is still returned."""
        t = self._token
        return t.access_token if t else None

    def expired(self) -> bool:
        """True when the cached token is past the expiry the IdP gave (minus a margin)."""
        t = self._token
        if t is None or t.expires_in is None:
            return False
        return self._clock() >= self._obtained_at + max(0.0, t.expires_in - _EXPIRY_MARGIN_S)

    def refresh(
        self,
        server: ServerAuthConfig,
        stale: str | None = None,
        *,
        timeout: float | None = None,
        login_timeout: float | None = None,
    ) -> str:
        """Get a new token unless another thread already replaced ``stale``; return the current token.

        ``timeout``: the seconds the refresh may take in all, waiting for another thread's refresh included (the
        identity provider's answers, a login command; None: each request its own limit); past it,
        :class:`LoginTimeout`. ``login_timeout``: how long a user may take to approve an interactive login
        (:class:`DeviceFlow`; None: as long as the login's code lives).
        """
        ends = self._ends(timeout)
        with self._locked(ends):
            current = self._usable(stale)
            if current is not None:
                return current
            token = self._store(self._fetch(server, self._token, ends))
        self._notify()
        return token

    def _ends(self, timeout: float | None) -> float | None:
        """When a refresh given ``timeout`` seconds must end, on this authenticator's clock."""
        return None if timeout is None else self._clock() + max(0.0, timeout)

    def _within(self, ends: float | None, limit: float, what: str) -> float:
        """The seconds one request may take: its own ``limit``, cut to what is left until ``ends``."""
        if ends is None:
            return limit
        left = ends - self._clock()
        if left <= 0:
            raise LoginTimeout(f"{what}: no time left of the call's budget", method=f"{self.mode} login")
        return min(limit, left)

    @contextlib.contextmanager
    def _locked(self, ends: float | None) -> Iterator[None]:
        """The lock, waited for at most until ``ends``: another thread's refresh may be stuck on a slow IdP."""
        wait = -1.0 if ends is None else max(0.0, ends - self._clock())
        if not self._lock.acquire(timeout=wait):
            raise LoginTimeout(
                "another thread's login did not finish within the call's budget", method=f"{self.mode} login"
            )
        try:
            yield
        finally:
            self._lock.release()

    def add_token_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after each new token, on the thread that got it; returns an idempotent remover."""
        with self._lock:
            self._listeners.append(callback)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return remove

    def _usable(self, stale: str | None) -> str | None:
        """The cached token if it is neither ``stale`` nor expired (lock held)."""
        current = self._token
        if current is not None and current.access_token != stale and not self.expired():
            return current.access_token
        return None

    def _store(self, new: TokenResponse) -> str:
        """Keep a new token (lock held); call :meth:`_notify` once the lock is released."""
        self._token = new
        self._obtained_at = self._clock()
        log.info("%s: obtained a new access token", self.mode)
        return new.access_token

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            try:
                callback()
            except Exception:  # a listener must not fail the call that logged in
                log.exception("a token listener failed")

    @abstractmethod
    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None, ends: float | None) -> TokenResponse:
        """Obtain a fresh token (called with the lock held) by ``ends`` (this authenticator's clock; None: no
        overall limit)."""


class StaticToken(Authenticator):
    """A token you already have (from your IdP or a CI secret). It cannot be refreshed."""

    mode = "StaticToken"

    def __init__(self, token: str, *, header_key: str | None = None) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ConfigError("StaticToken needs a non-empty token string")
        super().__init__(header_key=header_key)
        self._token = TokenResponse(access_token=token.strip())

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None, ends: float | None) -> TokenResponse:
        raise LoginError(
            "FlyteAdmin refused the static token; get a fresh token, or use ClientSecret/DeviceFlow, which refresh"
        )


class ClientSecret(Authenticator):
    """OAuth2 client credentials: POST ``grant_type=client_credentials`` with HTTP Basic ``client_id:secret``."""

    mode = "ClientSecret"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str | None = None,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        header_key: str | None = None,
        verify: bool | str = True,
        http_timeout: float = 30.0,
    ) -> None:
        if not client_id:
            raise ConfigError("ClientSecret auth needs admin.clientId (or FLYTE_CREDENTIALS_CLIENT_ID)")
        if not client_secret:
            raise ConfigError(
                f"ClientSecret auth for client {client_id!r} has no secret: set admin.clientSecretLocation "
                "(a file), admin.clientSecretEnvVar (a variable's name) or FLYTE_CREDENTIALS_CLIENT_SECRET"
            )
        super().__init__(header_key=header_key)
        self.client_id = client_id
        self._secret = client_secret
        self.token_url = token_url or None
        self.scopes = tuple(scopes)
        self.audience = audience or None
        self._verify = verify
        self._http_timeout = http_timeout

    def __repr__(self) -> str:
        return f"ClientSecret(client_id={self.client_id!r}, token_url={self.token_url!r})"

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None, ends: float | None) -> TokenResponse:
        url = self.token_url or server.token_endpoint
        if not url:
            raise LoginError(
                "ClientSecret auth: FlyteAdmin announces no token endpoint (GetOAuth2Metadata); set admin.tokenUrl",
                method="ClientSecret login",
            )
        _http_url(url, "token endpoint")
        form = {"grant_type": "client_credentials"}
        scopes = self.scopes or server.scopes
        if scopes:
            form["scope"] = " ".join(scopes)
        audience = self.audience or server.audience
        if audience:
            form["audience"] = audience
        headers = {"Authorization": basic_auth_header(self.client_id, self._secret)}
        timeout = self._within(ends, self._http_timeout, f"token endpoint {printable_cut(url)}")
        status, data = post_form(url, form, headers=headers, verify=self._verify, timeout=timeout)
        if status != 200:
            raise LoginError(
                f"token endpoint {printable_cut(url)} refused client {self.client_id!r} "
                f"(HTTP {status}, {_idp_error(data)})",
                method="ClientSecret login",
            )
        return _token_from(data, url)


def show_device_prompt(verification_uri: str, user_code: str) -> None:
    """Tell the user where to log in: a clickable link in a notebook, a line on stderr elsewhere."""
    text = f"To log in to Flyte, open {verification_uri} and enter the code {user_code}"
    # HTML only in a Jupyter kernel (a terminal IPython would print the HTML object's repr, not the link), and a
    # link only to an absolute http(s) URL with a host: ``javascript:`` or a host-less ``http:foo`` gets the text line
    link = safe_url(verification_uri)
    if ipython.in_kernel() and link is not None:
        # IPython is optional: only imported when it is already running
        display_mod: Any = importlib.import_module("IPython.display")
        display_mod.display(
            display_mod.HTML(
                f'<div>To log in to Flyte, open <a href="{html.escape(link, quote=True)}" target="_blank" '
                f'rel="noopener noreferrer">{html.escape(link)}</a> and enter the code '
                f"<code>{html.escape(user_code)}</code></div>"
            )
        )
    else:
        print(printable(text), file=sys.stderr, flush=True)  # the IdP's text must not drive the terminal


#: Caps on what an IdP's device authorization says: its polling interval (RFC 8628 suggests 5 s) and how long its
#: code lives (typically 10 minutes); a hostile or broken IdP's hours must not hold a thread for hours.
MAX_POLL_INTERVAL_S = 60.0
MAX_DEVICE_CODE_S = 30 * 60.0
#: The last poll's request gets at least this long, even when the time is up.
_LAST_POLL_S = 1.0

#: What a thread that may not prompt says when nobody is logging in yet.
LOGIN_FROM_A_CELL = "log in again: run any call in a cell, e.g. remote.fetch_execution(...)"


@dataclass
class _DeviceLogin:
    """A device login under way: where the user approves it, how to poll for it, and how it ended."""

    url: str  # verification_uri_complete, else verification_uri
    user_code: str
    token_url: str
    poll_form: dict[str, str] = field(repr=False)  # holds the device code
    interval: float
    deadline: float  # on the authenticator's clock
    done: threading.Event = field(default_factory=threading.Event)
    token: TokenResponse | None = field(default=None, repr=False)
    error: BaseException | None = None

    def required(self) -> LoginRequiredError:
        """The error for a thread that may not wait for this login: the link and the user code, if shareable."""
        shareable = safe_url(self.url) is not None
        shareable = shareable and self.poll_form["device_code"] not in self.url  # a secret never reaches a view
        return LoginRequiredError(
            f"log in again: enter the code {self.user_code} at the login page (a call in a cell waits for it)",
            url=self.url if shareable else None,
            user_code=self.user_code,
            method="DeviceFlow login",
        )


class DeviceFlow(Authenticator):
    """OAuth2 device authorization grant (RFC 8628): show a URL and a code, poll until the user approved.

    ``client_id`` defaults to the server's public client id. ``prompt(verification_uri, user_code)`` shows the
    login link (default :func:`show_device_prompt`); ``sleep``/``clock`` are injectable for tests.

    A refresh first tries the refresh token, under the lock. A new device login only starts where
    :func:`may_prompt` (elsewhere: :class:`~flyteexec_widget.admin.errors.LoginRequiredError`), and its prompt and
    polling run without the lock: meanwhile another thread that needs a token waits for that login if it may
    prompt (until the device code expires), else gets a LoginRequiredError at once, with the login's link.
    """

    mode = "DeviceFlow"

    def __init__(
        self,
        client_id: str | None = None,
        *,
        token_url: str | None = None,
        device_authorization_url: str | None = None,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        header_key: str | None = None,
        verify: bool | str = True,
        http_timeout: float = 30.0,
        prompt: Callable[[str, str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(header_key=header_key, clock=clock)
        self.client_id = client_id or None
        self.token_url = token_url or None
        self.device_authorization_url = device_authorization_url or None
        self.scopes = tuple(scopes)
        self.audience = audience or None
        self._verify = verify
        self._http_timeout = http_timeout
        self._prompt = prompt or show_device_prompt
        self._sleep = sleep
        self._login: _DeviceLogin | None = None  # the device login under way

    def __repr__(self) -> str:
        return f"DeviceFlow(client_id={self.client_id!r}, has_token={self._token is not None})"

    def refresh(
        self,
        server: ServerAuthConfig,
        stale: str | None = None,
        *,
        timeout: float | None = None,
        login_timeout: float | None = None,
    ) -> str:
        """The current token, else a token from the refresh token, else (where :func:`may_prompt`) a device login.

        ``timeout`` bounds the requests to the identity provider; ``login_timeout`` the time the user has to
        approve a device login (None: as long as the device code lives, at most :data:`MAX_DEVICE_CODE_S`). The
        time spent waiting for the user is counted by :func:`counting_user_wait`, not as the server's.
        """
        try:
            return super().refresh(server, stale, timeout=timeout)
        except LoginRequiredError:
            if not may_prompt():
                raise
        return self._log_in(server, stale, self._ends(timeout), self._ends(login_timeout))

    def _common(self, server: ServerAuthConfig) -> tuple[str, dict[str, str]]:
        """The token endpoint and the form fields every request carries."""
        token_url = self.token_url or server.token_endpoint
        if not token_url:
            raise LoginError(
                "DeviceFlow auth: FlyteAdmin announces no token endpoint; set admin.tokenUrl", method="DeviceFlow login"
            )
        _http_url(token_url, "token endpoint")
        client_id = self.client_id or server.client_id
        if not client_id:
            raise LoginError("DeviceFlow auth: no client id (set admin.clientId)", method="DeviceFlow login")
        form = {"client_id": client_id}
        scopes = self.scopes or server.scopes
        if scopes:
            form["scope"] = " ".join(scopes)
        audience = self.audience or server.audience
        if audience:
            form["audience"] = audience
        return token_url, form

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None, ends: float | None) -> TokenResponse:
        """The silent part, under the lock: a token from the refresh token, else LoginRequiredError."""
        if self._login is not None:
            raise self._login.required()
        token_url, base_form = self._common(server)
        if previous is not None and previous.refresh_token:
            form = {**base_form, "grant_type": "refresh_token", "refresh_token": previous.refresh_token}
            timeout = self._within(ends, self._http_timeout, f"token endpoint {printable_cut(token_url)}")
            status, data = post_form(token_url, form, verify=self._verify, timeout=timeout)
            if status == 200:
                return _token_from(data, token_url)
            log.info("DeviceFlow: refresh token refused (%s); a new device login is needed", _idp_error(data))
            self._token = dataclasses.replace(previous, refresh_token=None)  # not tried again on every refresh
        raise LoginRequiredError(LOGIN_FROM_A_CELL, method="DeviceFlow login")

    def _log_in(self, server: ServerAuthConfig, stale: str | None, ends: float | None, until: float | None) -> str:
        """Run a device login on this thread, or wait for the one another thread runs: its requests by ``ends``,
        the user's approval by ``until`` (both on this authenticator's clock; None: no limit of the caller's)."""
        with self._locked(ends):
            current = self._usable(stale)
            if current is not None:  # someone logged in meanwhile
                return current
            login = self._login
            if login is not None:
                owner = False
            else:
                owner = True
                login = self._login = self._authorize(server, ends)
        started = self._clock()
        if not owner:
            try:
                return self._await(login, until)
            finally:
                _add_user_wait(self._clock() - started)
        try:
            self._prompt(login.url, login.user_code)
            new = self._poll(login, until)
        except BaseException as exc:  # KeyboardInterrupt included: the waiters must not wait for nothing
            with self._lock:
                self._login = None
            login.error = exc
            login.done.set()
            raise
        finally:
            _add_user_wait(self._clock() - started)
        with self._lock:
            token = self._store(new)
            self._login = None
        login.token = new
        login.done.set()
        self._notify()
        return token

    def _authorize(self, server: ServerAuthConfig, ends: float | None) -> _DeviceLogin:
        """Start a device authorization (lock held: one request, bounded by ``http_timeout`` and ``ends``)."""
        token_url, base_form = self._common(server)
        device_url = self.device_authorization_url or server.device_authorization_endpoint
        if not device_url:
            raise LoginError(
                "DeviceFlow auth: FlyteAdmin announces no device authorization endpoint; "
                "the identity provider may not support the device flow (use ClientSecret instead)",
                method="DeviceFlow login",
            )
        _http_url(device_url, "device authorization endpoint")
        timeout = self._within(ends, self._http_timeout, f"device authorization endpoint {printable_cut(device_url)}")
        status, data = post_form(device_url, base_form, verify=self._verify, timeout=timeout)
        device_code = data.get("device_code")
        user_code = data.get("user_code")
        verification = data.get("verification_uri") or data.get("verification_url")
        if status != 200 or not (device_code and user_code and verification):
            raise LoginError(
                f"device authorization endpoint {printable_cut(device_url)} refused "
                f"(HTTP {status}, {_idp_error(data)})",
                method="DeviceFlow login",
            )
        grant = "urn:ietf:params:oauth:grant-type:device_code"
        # RFC 8628's defaults (5 s, and 600 s as flytekit), capped: the IdP's numbers must not hold a thread for a day
        interval = min(_seconds(data.get("interval"), 5.0) or 5.0, MAX_POLL_INTERVAL_S)
        lives = min(_seconds(data.get("expires_in"), 600.0) or 600.0, MAX_DEVICE_CODE_S)
        return _DeviceLogin(
            url=str(data.get("verification_uri_complete") or verification),
            user_code=str(user_code),
            token_url=token_url,
            poll_form={**base_form, "grant_type": grant, "device_code": str(device_code)},
            interval=interval,
            deadline=self._clock() + lives,
        )

    def _poll(self, login: _DeviceLogin, until: float | None) -> TokenResponse:
        """Poll the token endpoint until the user approved (no lock held: this takes as long as the user does), the
        code expired, or ``until`` passed (:class:`LoginTimeout`)."""
        interval = login.interval
        end = login.deadline if until is None else min(login.deadline, until)
        while True:
            self._sleep(min(interval, max(0.0, end - self._clock())))
            # the last poll gets a moment even at the end: the user may have approved during the wait
            timeout = min(self._http_timeout, max(end - self._clock(), _LAST_POLL_S))
            status, data = post_form(login.token_url, login.poll_form, verify=self._verify, timeout=timeout)
            if status == 200:
                return _token_from(data, login.token_url)
            err = data.get("error")
            if err == "authorization_pending":
                pass
            elif err == "slow_down":
                interval = min(interval + 5.0, MAX_POLL_INTERVAL_S)  # RFC 8628 section 3.5
            else:
                raise LoginError(
                    f"device login failed at {printable_cut(login.token_url)} (HTTP {status}, {_idp_error(data)})",
                    method="DeviceFlow login",
                )
            if self._clock() >= end:
                if until is not None and until < login.deadline:
                    raise LoginTimeout(
                        "the device login was not approved within the time the caller had", method="DeviceFlow login"
                    )
                raise LoginError("device login expired before it was approved; try again", method="DeviceFlow login")

    def _await(self, login: _DeviceLogin, until: float | None) -> str:
        """Wait for the device login another thread runs, at most until its code expires (plus one poll) or
        ``until``."""
        end = login.deadline + login.interval + self._http_timeout
        cut = until is not None and until < end
        if until is not None:
            end = min(end, until)
        if not login.done.wait(max(0.0, end - self._clock())):
            if cut:
                raise LoginTimeout(
                    "the device login under way was not approved within the time the caller had",
                    method="DeviceFlow login",
                )
            raise LoginError("the device login under way did not finish in time", method="DeviceFlow login")
        if login.token is None:
            reason = "was interrupted" if not isinstance(login.error, Exception) else f"failed: {login.error}"
            raise LoginError(f"the device login under way {reason}", method="DeviceFlow login")
        return login.token.access_token


class ExternalCommand(Authenticator):
    """Runs a command (``admin.command``) whose stdout is the token.

    Its arguments may hold a secret (``--client-secret ...``), so ``repr()`` and every error name the program only,
    and quote its stderr with anything token-like redacted (:func:`redact_tokens`); stdout, where the token is, is
    never shown.
    """

    mode = "ExternalCommand"

    def __init__(self, command: Sequence[str] | str, *, header_key: str | None = None, timeout: float = 120.0) -> None:
        cmd = shlex.split(command) if isinstance(command, str) else list(command)
        if not cmd:
            raise ConfigError("ExternalCommand auth needs admin.command (the command that prints a token)")
        super().__init__(header_key=header_key)
        self.command = tuple(cmd)
        self._timeout = timeout

    @property
    def program(self) -> str:
        """The command's name (its first word without the directory): all that is shown of the command."""
        return os.path.basename(self.command[0]) or self.command[0]

    def __repr__(self) -> str:
        return f"ExternalCommand(program={self.program!r}, arguments={len(self.command) - 1})"

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None, ends: float | None) -> TokenResponse:
        shown = f"token command {self.program!r}"
        timeout = self._within(ends, self._timeout, shown)
        try:
            out = subprocess.run(list(self.command), capture_output=True, text=True, check=True, timeout=timeout)
        except FileNotFoundError:
            raise LoginError(f"{shown} not found", method="ExternalCommand login") from None
        except subprocess.TimeoutExpired:
            # cut by the call's budget: transient (the next call may have the time); its own limit: not
            error = LoginTimeout if timeout < self._timeout else LoginError
            raise error(f"{shown} did not finish within {timeout:g}s", method="ExternalCommand login") from None
        except subprocess.CalledProcessError as e:
            # stderr only: stdout is where a token would be.
            err = redact_tokens((e.stderr or "").strip()[-500:])
            raise LoginError(
                f"{shown} exited with {e.returncode}" + (f": {err}" if err else ""),
                method="ExternalCommand login",
            ) from None
        except OSError as e:  # not executable, a directory, ...
            raise LoginError(
                f"{shown} cannot be run ({e.strerror or type(e).__name__})", method="ExternalCommand login"
            ) from None
        token = out.stdout.strip()
        if not token:
            raise LoginError(f"{shown} printed nothing", method="ExternalCommand login")
        return TokenResponse(access_token=token)


class _Pkce(Authenticator):
    """Placeholder for ``authType: Pkce``: harmless while the server needs no token, a ConfigError once it does."""

    mode = "Pkce"

    def __init__(self, *, header_key: str | None = None, from_flytekit: bool = False) -> None:
        super().__init__(header_key=header_key)
        self.from_flytekit = from_flytekit  # mapped from a flytekit FlyteRemote: its words in the error

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None, ends: float | None) -> TokenResponse:
        if self.from_flytekit:
            raise ConfigError(
                "the FlyteRemote logs in with Pkce (auth_mode 'standard', flytekit's default): a browser redirect to "
                "localhost, which this package does not take over; pass remote= a Remote with DeviceFlow "
                "(interactive), ClientSecret (service account) or a StaticToken (e.g. Remote.from_config())"
            )
        raise ConfigError(
            "admin.authType Pkce needs a browser redirect to localhost, which a notebook kernel cannot receive; "
            "set admin.authType to DeviceFlow (interactive) or ClientSecret (service account) instead"
        )


def from_config(cfg: Any, *, verify: bool | str = True) -> Authenticator | None:
    """Build the authenticator a :class:`~flyteexec_widget.admin.config.PlatformConfig` asks for (None: no auth)."""
    mode = cfg.auth_type
    header = cfg.authorization_header or None
    if mode is None:
        token = getattr(cfg, "access_token", None)  # FLYTE_CREDENTIALS_ACCESS_TOKEN
        return StaticToken(token, header_key=header) if token else None
    # what both OAuth2 flows take from the config
    oauth: dict[str, Any] = {
        "token_url": cfg.token_url,
        "scopes": cfg.scopes,
        "audience": cfg.audience,
        "header_key": header,
        "verify": verify,
    }
    if mode == "ClientSecret":
        return ClientSecret(cfg.client_id or "", cfg.resolved_client_secret() or "", **oauth)
    if mode == "DeviceFlow":
        return DeviceFlow(cfg.client_id, **oauth)
    if mode == "ExternalCommand":
        return ExternalCommand(cfg.command, header_key=header)
    if mode == "Pkce":
        return _Pkce(header_key=header, from_flytekit=cfg.source == FLYTEKIT_SOURCE)
    raise ConfigError(f"unknown authType {mode!r}; valid values: ClientSecret, Pkce, ExternalCommand, DeviceFlow")
