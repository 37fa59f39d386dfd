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

HTTP uses ``urllib`` from the standard library (no ``requests`` dependency).
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import dataclasses
import html
import importlib
import json
import logging
import math
import os
import shlex
import ssl
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

import grpc

from . import ipython
from .errors import AuthenticationError, ConfigError, LoginRequiredError
from .plaintext import printable, redact_tokens

__all__ = [
    "DEFAULT_HEADER_KEY",
    "Authenticator",
    "ClientSecret",
    "DeviceFlow",
    "ExternalCommand",
    "LoginError",
    "ServerAuthConfig",
    "StaticToken",
    "TokenResponse",
    "basic_auth_header",
    "caller_context",
    "from_config",
    "may_prompt",
    "prompting",
]

log = logging.getLogger(__name__)

DEFAULT_HEADER_KEY = "authorization"
_EXPIRY_MARGIN_S = 30.0  # refresh a little before the IdP says the token expires


class LoginError(AuthenticationError):
    """Getting a token failed (token endpoint refused, device flow expired, command failed, ...)."""

    def __init__(self, message: str, *, method: str = "login") -> None:
        super().__init__(message, code=grpc.StatusCode.UNAUTHENTICATED, method=method)


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


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    if verify is False:
        # insecureSkipVerify: the user asked not to verify the IdP either (flytekit passes verify=False too).
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return ssl.create_default_context()


def _http_url(url: str, what: str) -> str:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise LoginError(f"{what} {url!r} is not an http(s) URL")
    return url


def post_form(
    url: str,
    form: dict[str, str],
    *,
    headers: dict[str, str] | None = None,
    verify: bool | str = True,
    timeout: float = 30.0,
) -> tuple[int, dict[str, Any]]:
    """POST ``form`` url-encoded; return ``(status, json body)``. Non-JSON bodies become ``{}``."""
    body = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    req.add_header("Accept", "application/json")
    req.add_header("Cache-Control", "no-cache")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    ctx = _ssl_context(verify) if url.startswith("https") else None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise LoginError(f"cannot reach {url}: {reason}") from None
    try:
        data = json.loads(raw.decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        data = {}
    return status, data if isinstance(data, dict) else {}


def _idp_error(data: dict[str, Any]) -> str:
    # Only the IdP's error code and description: never echo the request (it holds the secret).
    err = str(data.get("error", "")) or "no error code"
    desc = str(data.get("error_description", ""))[:200]
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
        raise LoginError(f"token endpoint {url} answered without an access_token")
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

    def refresh(self, server: ServerAuthConfig, stale: str | None = None) -> str:
        """Get a new token unless another thread already replaced ``stale``; return the current token."""
        with self._lock:
            current = self._usable(stale)
            if current is not None:
                return current
            token = self._store(self._fetch(server, self._token))
        self._notify()
        return token

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
    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None) -> TokenResponse:
        """Obtain a fresh token (called with the lock held)."""


class StaticToken(Authenticator):
    """A token you already have (from your IdP or a CI secret). It cannot be refreshed."""

    mode = "StaticToken"

    def __init__(self, token: str, *, header_key: str | None = None) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ConfigError("StaticToken needs a non-empty token string")
        super().__init__(header_key=header_key)
        self._token = TokenResponse(access_token=token.strip())

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None) -> TokenResponse:
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

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None) -> TokenResponse:
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
        status, data = post_form(url, form, headers=headers, verify=self._verify, timeout=self._http_timeout)
        if status != 200:
            raise LoginError(
                f"token endpoint {url} refused client {self.client_id!r} (HTTP {status}, {_idp_error(data)})",
                method="ClientSecret login",
            )
        return _token_from(data, url)


def show_device_prompt(verification_uri: str, user_code: str) -> None:
    """Tell the user where to log in: a clickable link in a notebook, a line on stderr elsewhere."""
    text = f"To log in to Flyte, open {verification_uri} and enter the code {user_code}"
    # HTML only in a Jupyter kernel: a terminal IPython would print the HTML object's repr, not the link
    if ipython.in_kernel() and urllib.parse.urlsplit(verification_uri).scheme in ("http", "https"):
        # IPython is optional: only imported when it is already running
        display_mod: Any = importlib.import_module("IPython.display")
        url = html.escape(verification_uri, quote=True)
        display_mod.display(
            display_mod.HTML(
                f'<div>To log in to Flyte, open <a href="{url}" target="_blank" rel="noopener noreferrer">'
                f"{html.escape(verification_uri)}</a> and enter the code <code>{html.escape(user_code)}</code></div>"
            )
        )
    else:
        print(printable(text), file=sys.stderr, flush=True)  # the IdP's text must not drive the terminal


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
        parts = urllib.parse.urlsplit(self.url)
        shareable = parts.scheme in ("http", "https") and bool(parts.netloc)
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

    def refresh(self, server: ServerAuthConfig, stale: str | None = None) -> str:
        """The current token, else a token from the refresh token, else (where :func:`may_prompt`) a device login."""
        try:
            return super().refresh(server, stale)
        except LoginRequiredError:
            if not may_prompt():
                raise
        return self._log_in(server, stale)

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

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None) -> TokenResponse:
        """The silent part, under the lock: a token from the refresh token, else LoginRequiredError."""
        if self._login is not None:
            raise self._login.required()
        token_url, base_form = self._common(server)
        if previous is not None and previous.refresh_token:
            form = {**base_form, "grant_type": "refresh_token", "refresh_token": previous.refresh_token}
            status, data = post_form(token_url, form, verify=self._verify, timeout=self._http_timeout)
            if status == 200:
                return _token_from(data, token_url)
            log.info("DeviceFlow: refresh token refused (%s); a new device login is needed", _idp_error(data))
            self._token = dataclasses.replace(previous, refresh_token=None)  # not tried again on every refresh
        raise LoginRequiredError(LOGIN_FROM_A_CELL, method="DeviceFlow login")

    def _log_in(self, server: ServerAuthConfig, stale: str | None) -> str:
        """Run a device login on this thread, or wait for the one another thread runs."""
        with self._lock:
            current = self._usable(stale)
            if current is not None:  # someone logged in meanwhile
                return current
            login = self._login
            if login is not None:
                owner = False
            else:
                owner = True
                login = self._login = self._authorize(server)
        if not owner:
            return self._await(login)
        try:
            self._prompt(login.url, login.user_code)
            new = self._poll(login)
        except BaseException as exc:  # KeyboardInterrupt included: the waiters must not wait for nothing
            with self._lock:
                self._login = None
            login.error = exc
            login.done.set()
            raise
        with self._lock:
            token = self._store(new)
            self._login = None
        login.token = new
        login.done.set()
        self._notify()
        return token

    def _authorize(self, server: ServerAuthConfig) -> _DeviceLogin:
        """Start a device authorization (lock held: one request, bounded by ``http_timeout``)."""
        token_url, base_form = self._common(server)
        device_url = self.device_authorization_url or server.device_authorization_endpoint
        if not device_url:
            raise LoginError(
                "DeviceFlow auth: FlyteAdmin announces no device authorization endpoint; "
                "the identity provider may not support the device flow (use ClientSecret instead)",
                method="DeviceFlow login",
            )
        _http_url(device_url, "device authorization endpoint")
        status, data = post_form(device_url, base_form, verify=self._verify, timeout=self._http_timeout)
        device_code = data.get("device_code")
        user_code = data.get("user_code")
        verification = data.get("verification_uri") or data.get("verification_url")
        if status != 200 or not (device_code and user_code and verification):
            raise LoginError(
                f"device authorization endpoint {device_url} refused (HTTP {status}, {_idp_error(data)})",
                method="DeviceFlow login",
            )
        grant = "urn:ietf:params:oauth:grant-type:device_code"
        return _DeviceLogin(
            url=str(data.get("verification_uri_complete") or verification),
            user_code=str(user_code),
            token_url=token_url,
            poll_form={**base_form, "grant_type": grant, "device_code": str(device_code)},
            interval=_seconds(data.get("interval"), 5.0) or 5.0,  # RFC 8628 defaults
            deadline=self._clock() + (_seconds(data.get("expires_in"), 600.0) or 600.0),
        )

    def _poll(self, login: _DeviceLogin) -> TokenResponse:
        """Poll the token endpoint until the user approved (no lock held: this takes as long as the user does)."""
        interval = login.interval
        while True:
            self._sleep(interval)
            status, data = post_form(login.token_url, login.poll_form, verify=self._verify, timeout=self._http_timeout)
            if status == 200:
                return _token_from(data, login.token_url)
            err = data.get("error")
            if err == "authorization_pending":
                pass
            elif err == "slow_down":
                interval += 5.0  # RFC 8628 section 3.5
            else:
                raise LoginError(
                    f"device login failed at {login.token_url} (HTTP {status}, {_idp_error(data)})",
                    method="DeviceFlow login",
                )
            if self._clock() >= login.deadline:
                raise LoginError("device login expired before it was approved; try again", method="DeviceFlow login")

    def _await(self, login: _DeviceLogin) -> str:
        """Wait for the device login another thread runs, at most until its code expires (plus one poll)."""
        timeout = max(0.0, login.deadline - self._clock()) + login.interval + self._http_timeout
        if not login.done.wait(timeout):
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

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None) -> TokenResponse:
        shown = f"token command {self.program!r}"
        try:
            out = subprocess.run(list(self.command), capture_output=True, text=True, check=True, timeout=self._timeout)
        except FileNotFoundError:
            raise LoginError(f"{shown} not found", method="ExternalCommand login") from None
        except subprocess.TimeoutExpired:
            raise LoginError(
                f"{shown} did not finish within {self._timeout:g}s", method="ExternalCommand login"
            ) from None
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

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None) -> TokenResponse:
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
        return _Pkce(header_key=header)
    raise ConfigError(f"unknown authType {mode!r}; valid values: ClientSecret, Pkce, ExternalCommand, DeviceFlow")
