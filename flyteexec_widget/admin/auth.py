"""Authenticators: where the bearer token for FlyteAdmin comes from.

Like flytekit, a token is obtained lazily: the first call goes out with whatever token is cached (none at
first), and on UNAUTHENTICATED ``Remote.call`` asks the authenticator to :meth:`Authenticator.refresh` once and
retries. Tokens and secrets never appear in ``repr()``, log records or exception messages.

HTTP uses ``urllib`` from the standard library (no ``requests`` dependency).
"""

from __future__ import annotations

import base64
import html
import importlib
import json
import logging
import math
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import grpc

from .errors import AuthenticationError, ConfigError

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
    "from_config",
]

log = logging.getLogger(__name__)

DEFAULT_HEADER_KEY = "authorization"
_EXPIRY_MARGIN_S = 30.0  # refresh a little before the IdP says the token expires


class LoginError(AuthenticationError):
    """Getting a token failed (token endpoint refused, device flow expired, command failed, ...)."""

    def __init__(self, message: str, *, method: str = "login") -> None:
        super().__init__(message, code=grpc.StatusCode.UNAUTHENTICATED, method=method)


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
    """

    mode: ClassVar[str] = "?"

    def __init__(self, *, header_key: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.header_key = header_key or None
        self._clock = clock
        self._lock = threading.Lock()
        self._token: TokenResponse | None = None
        self._obtained_at = 0.0

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
            current = self._token
            if current is not None and current.access_token != stale and not self.expired():
                return current.access_token
            new = self._fetch(server, current)
            self._token = new
            self._obtained_at = self._clock()
            log.info("%s: obtained a new access token", self.mode)
            return new.access_token

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


def _in_ipython() -> bool:
    mod = sys.modules.get("IPython")
    if mod is None:
        return False
    try:
        return mod.get_ipython() is not None
    except Exception:  # IPython present but unusable: fall back to stderr
        return False


def show_device_prompt(verification_uri: str, user_code: str) -> None:
    """Tell the user where to log in: a clickable link in a notebook, a line on stderr elsewhere."""
    text = f"To log in to Flyte, open {verification_uri} and enter the code {user_code}"
    if _in_ipython() and urllib.parse.urlsplit(verification_uri).scheme in ("http", "https"):
        display_mod: Any = importlib.import_module("IPython.display")
        url = html.escape(verification_uri, quote=True)
        display_mod.display(
            display_mod.HTML(
                f'<div>To log in to Flyte, open <a href="{url}" target="_blank" rel="noopener noreferrer">'
                f"{html.escape(verification_uri)}</a> and enter the code <code>{html.escape(user_code)}</code></div>"
            )
        )
    else:
        print(text, file=sys.stderr, flush=True)


class DeviceFlow(Authenticator):
    """OAuth2 device authorization grant (RFC 8628): show a URL and a code, poll until the user approved.

    ``client_id`` defaults to the server's public client id. ``prompt(verification_uri, user_code)`` shows the
    login link (default :func:`show_device_prompt`); ``sleep``/``clock`` are injectable for tests.
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

    def __repr__(self) -> str:
        return f"DeviceFlow(client_id={self.client_id!r}, has_token={self._token is not None})"

    def _common(self, server: ServerAuthConfig) -> tuple[str, dict[str, str]]:
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
        return client_id, form

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None) -> TokenResponse:
        token_url = self.token_url or server.token_endpoint
        if not token_url:
            raise LoginError(
                "DeviceFlow auth: FlyteAdmin announces no token endpoint; set admin.tokenUrl", method="DeviceFlow login"
            )
        _http_url(token_url, "token endpoint")
        _, base_form = self._common(server)
        if previous is not None and previous.refresh_token:
            form = {**base_form, "grant_type": "refresh_token", "refresh_token": previous.refresh_token}
            status, data = post_form(token_url, form, verify=self._verify, timeout=self._http_timeout)
            if status == 200:
                return _token_from(data, token_url)
            log.info("DeviceFlow: refresh token refused (%s); starting a new device login", _idp_error(data))
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
        self._prompt(str(data.get("verification_uri_complete") or verification), str(user_code))
        interval = _seconds(data.get("interval"), 5.0) or 5.0  # RFC 8628 defaults
        deadline = self._clock() + (_seconds(data.get("expires_in"), 600.0) or 600.0)
        poll = {**base_form, "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": device_code}
        while True:
            self._sleep(interval)
            status, data = post_form(token_url, poll, verify=self._verify, timeout=self._http_timeout)
            if status == 200:
                return _token_from(data, token_url)
            err = data.get("error")
            if err == "authorization_pending":
                pass
            elif err == "slow_down":
                interval += 5.0  # RFC 8628 section 3.5
            else:
                raise LoginError(
                    f"device login failed at {token_url} (HTTP {status}, {_idp_error(data)})", method="DeviceFlow login"
                )
            if self._clock() >= deadline:
                raise LoginError("device login expired before it was approved; try again", method="DeviceFlow login")


class ExternalCommand(Authenticator):
    """Runs a command (``admin.command``) whose stdout is the token."""

    mode = "ExternalCommand"

    def __init__(self, command: Sequence[str] | str, *, header_key: str | None = None, timeout: float = 120.0) -> None:
        cmd = shlex.split(command) if isinstance(command, str) else list(command)
        if not cmd:
            raise ConfigError("ExternalCommand auth needs admin.command (the command that prints a token)")
        super().__init__(header_key=header_key)
        self.command = tuple(cmd)
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"ExternalCommand(command={list(self.command)!r})"

    def _fetch(self, server: ServerAuthConfig, previous: TokenResponse | None) -> TokenResponse:
        shown = " ".join(shlex.quote(c) for c in self.command)
        try:
            out = subprocess.run(list(self.command), capture_output=True, text=True, check=True, timeout=self._timeout)
        except FileNotFoundError:
            raise LoginError(f"token command `{shown}` not found", method="ExternalCommand login") from None
        except subprocess.TimeoutExpired:
            raise LoginError(
                f"token command `{shown}` did not finish within {self._timeout:g}s", method="ExternalCommand login"
            ) from None
        except subprocess.CalledProcessError as e:
            # stderr only: stdout is where a token would be.
            err = (e.stderr or "").strip()[-500:]
            raise LoginError(
                f"token command `{shown}` exited with {e.returncode}" + (f": {err}" if err else ""),
                method="ExternalCommand login",
            ) from None
        token = out.stdout.strip()
        if not token:
            raise LoginError(f"token command `{shown}` printed nothing", method="ExternalCommand login")
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
    """Build the authenticator a :class:`~flyteexec_widget.config.PlatformConfig` asks for (None: no auth)."""
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
