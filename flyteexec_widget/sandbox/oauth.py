"""The sandbox's small HTTP side (stdlib ``http.server`` on 127.0.0.1): a local OAuth2 authorization server
(client credentials and device flow), the signed-URL download server for decks, and the stand-in console and log
pages (:mod:`.pages`) the sandbox's console and log links point at.

Tokens are opaque random strings the :class:`TokenAuthority` remembers; the gRPC auth interceptor asks it whether
a bearer token is valid. Device codes are approved from Python (``approve_device_code(user_code)``), standing in
for the user's browser visit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote_plus, urlsplit

log = logging.getLogger(__name__)

#: The confidential client the sandbox accepts (client credentials), fixed so configs can be written once.
CLIENT_ID = "flyteexec-sandbox"
CLIENT_SECRET = "sandbox-secret"
#: The public client FlyteAdmin advertises (GetPublicClientConfig), used by device flow and PKCE.
PUBLIC_CLIENT_ID = "flytectl"
SCOPES = ("all", "offline")
TOKEN_TTL_S = 3600
DEVICE_CODE_TTL_S = 600
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True)
class AuthConfig:
    """What a client needs to log in to an ``auth=True`` sandbox."""

    client_id: str
    client_secret: str = field(repr=False)  # a secret never shows in a repr or a log line
    token_url: str
    device_authorization_url: str
    issuer: str
    public_client_id: str = PUBLIC_CLIENT_ID
    scopes: tuple[str, ...] = SCOPES
    authorization_metadata_key: str = "flyte-authorization"


@dataclass
class _DeviceGrant:
    device_code: str
    user_code: str
    client_id: str
    expires_at: float
    approved: bool = False
    scopes: list[str] = field(default_factory=list)


class TokenAuthority:
    """Issues and checks opaque bearer tokens; holds pending device-flow grants. Uses real time for expiry
    (token lifetimes are about the client's wall clock, not the scenario clock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (subject, expires_at)
        self._refresh: dict[str, str] = {}  # refresh token -> subject
        self._devices: dict[str, _DeviceGrant] = {}  # device_code -> grant

    def issue(self, subject: str, *, refresh: bool = False) -> dict[str, Any]:
        """A new token response for ``subject`` (with a refresh token when asked)."""
        token = secrets.token_urlsafe(24)
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_S,
            "scope": " ".join(SCOPES),
        }
        with self._lock:
            self._tokens[token] = (subject, time.monotonic() + TOKEN_TTL_S)
            if refresh:
                rt = secrets.token_urlsafe(24)
                self._refresh[rt] = subject
                body["refresh_token"] = rt
        return body

    def subject(self, token: str) -> str | None:
        """Who holds ``token``, or None if it is unknown or expired."""
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None or entry[1] < time.monotonic():
                return None
            return entry[0]

    def is_valid(self, token: str) -> bool:
        """Whether ``token`` was issued here and has not expired."""
        return self.subject(token) is not None

    def revoke_all(self, *, refresh_tokens: bool = False) -> None:
        """Invalidate every access token (to test a client's refresh on UNAUTHENTICATED); with ``refresh_tokens``
        every refresh token too (the session ended: a device-flow user must log in again)."""
        with self._lock:
            self._tokens.clear()
            if refresh_tokens:
                self._refresh.clear()

    def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        """A new token for a known refresh token."""
        with self._lock:
            subject = self._refresh.get(refresh_token)
        return None if subject is None else self.issue(subject, refresh=True)

    def start_device(self, client_id: str, scopes: list[str]) -> _DeviceGrant:
        """Begin a device authorization."""
        alphabet = "BCDFGHJKLMNPQRSTVWXZ"
        user_code = "".join(secrets.choice(alphabet) for _ in range(4)) + "-"
        user_code += "".join(secrets.choice(alphabet) for _ in range(4))
        grant = _DeviceGrant(secrets.token_urlsafe(24), user_code, client_id, time.monotonic() + DEVICE_CODE_TTL_S)
        grant.scopes = scopes
        with self._lock:
            self._devices[grant.device_code] = grant
        return grant

    def approve(self, user_code: str) -> None:
        """Approve a pending device authorization, as the user would in the browser."""
        with self._lock:
            for grant in self._devices.values():
                if grant.user_code == user_code.strip().upper():
                    grant.approved = True
                    return
        raise ValueError(f"unknown user_code {user_code!r}: no pending device authorization has it")

    def poll_device(self, device_code: str) -> tuple[str, _DeviceGrant | None]:
        """``("ok", grant)`` once approved, else ``("authorization_pending"|"expired_token"|"invalid_grant", None)``."""
        with self._lock:
            grant = self._devices.get(device_code)
            if grant is None:
                return "invalid_grant", None
            if grant.expires_at < time.monotonic():
                del self._devices[device_code]
                return "expired_token", None
            if not grant.approved:
                return "authorization_pending", None
            del self._devices[device_code]
            return "ok", grant


class BlobSigner:
    """Signs download URLs for stored blobs (decks): HMAC over the URI and the expiry, checked on download."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._key = secrets.token_bytes(32)
        self._now = now

    def _sig(self, uri: str, expires: int) -> str:
        return hmac.new(self._key, f"{uri}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, base_url: str, uri: str, expires_at: datetime) -> str:
        """A URL under ``base_url`` that downloads ``uri`` until ``expires_at`` (scenario clock time)."""
        expires = int(expires_at.timestamp())
        encoded = base64.urlsafe_b64encode(uri.encode()).decode("ascii").rstrip("=")
        return f"{base_url}/blobs/{encoded}?expires={expires}&signature={self._sig(uri, expires)}"

    def verify(self, encoded: str, expires: str, signature: str) -> str | None:
        """The URI a signed path stands for, or None if the signature is wrong or the link expired."""
        try:
            uri = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            exp = int(expires)
        except ValueError:
            return None
        if not hmac.compare_digest(self._sig(uri, exp), signature):
            return None
        if exp < self._now().timestamp():
            return None
        return uri


class HttpSide:
    """The HTTP server: ``/oauth2/token``, ``/oauth2/device/authorize``, ``/.well-known/oauth-authorization-server``
    and ``/blobs/<signed>``. ``blob(uri) -> (bytes, content_type) | None`` reads the store. ``pages(path, query)
    -> (status, html) | None`` answers any other GET (the console and log pages), None meaning 404."""

    def __init__(
        self,
        authority: TokenAuthority,
        signer: BlobSigner,
        blob: Callable[[str], tuple[bytes, str] | None],
        port: int = 0,
        pages: Callable[[str, str], tuple[int, bytes] | None] | None = None,
    ) -> None:
        self.authority = authority
        self.signer = signer
        self._blob = blob
        self._pages = pages
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the sandbox HTTP server is not running: call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        """The bound port (0 before the first start)."""
        return self._port

    def auth_config(self) -> AuthConfig:
        """Client settings for this server."""
        base = self.base_url
        return AuthConfig(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_url=f"{base}/oauth2/token",
            device_authorization_url=f"{base}/oauth2/device/authorize",
            issuer=base,
        )

    def start(self) -> None:
        """Serve on 127.0.0.1 (the same port as before after a restart); idempotent."""
        if self._server is not None:
            return
        side = self

        class Handler(_Handler):
            owner = side

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and join the thread; idempotent."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None


class _Handler(BaseHTTPRequestHandler):
    owner: HttpSide
    server_version = "flyteexec-sandbox"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox http: " + format, *args)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json", extra)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def _basic_client(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except ValueError:
            return None
        cid, _, secret = decoded.partition(":")
        # flytekit sends quote_plus(secret); accept both forms.
        return unquote_plus(cid), unquote_plus(secret)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/.well-known/oauth-authorization-server":
            cfg = self.owner.auth_config()
            self._json(
                200,
                {
                    "issuer": cfg.issuer,
                    "token_endpoint": cfg.token_url,
                    "device_authorization_endpoint": cfg.device_authorization_url,
                    "grant_types_supported": ["client_credentials", "refresh_token", DEVICE_GRANT],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                },
            )
            return
        if parts.path.startswith("/blobs/"):
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            uri = self.owner.signer.verify(
                parts.path[len("/blobs/") :], query.get("expires", ""), query.get("signature", "")
            )
            if uri is None:
                self._send(403, b"invalid or expired signature", "text/plain; charset=utf-8")
                return
            blob = self.owner._blob(uri)
            if blob is None:
                self._send(404, f"no data stored for {uri}".encode(), "text/plain; charset=utf-8")
                return
            self._send(200, blob[0], blob[1])
            return
        try:
            page = self.owner._pages(parts.path, parts.query) if self.owner._pages is not None else None
        except Exception:  # a page that cannot be built says so; the server thread goes on
            log.exception("sandbox http: the page %s failed", parts.path)
            self._send(500, b"the sandbox could not build this page (see its log)", "text/plain; charset=utf-8")
            return
        if page is not None:
            self._send(page[0], page[1], "text/html; charset=utf-8")
            return
        self._send(404, b"not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        form = self._form()
        authority = self.owner.authority
        if path == "/oauth2/device/authorize":
            client_id = form.get("client_id", "")
            if client_id not in (PUBLIC_CLIENT_ID, CLIENT_ID):
                self._json(400, {"error": "invalid_client", "error_description": f"unknown client_id {client_id!r}"})
                return
            grant = authority.start_device(client_id, form.get("scope", "").split())
            verification = f"{self.owner.base_url}/device"
            self._json(
                200,
                {
                    "device_code": grant.device_code,
                    "user_code": grant.user_code,
                    "verification_uri": verification,
                    "verification_uri_complete": f"{verification}?user_code={quote(grant.user_code)}",
                    "expires_in": DEVICE_CODE_TTL_S,
                    "interval": 1,
                },
            )
            return
        if path != "/oauth2/token":
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        grant_type = form.get("grant_type", "")
        if grant_type == "client_credentials":
            creds = self._basic_client() or (form.get("client_id", ""), form.get("client_secret", ""))
            if creds != (CLIENT_ID, CLIENT_SECRET):
                self._json(401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="sandbox"'})
                return
            self._json(200, authority.issue(CLIENT_ID))
        elif grant_type == DEVICE_GRANT:
            status, polled = authority.poll_device(form.get("device_code", ""))
            if polled is None:
                self._json(400, {"error": status})
                return
            self._json(200, authority.issue(f"device:{polled.client_id}", refresh=True))
        elif grant_type == "refresh_token":
            body = authority.refresh(form.get("refresh_token", ""))
            if body is None:
                self._json(400, {"error": "invalid_grant"})
                return
            self._json(200, body)
        else:
            self._json(400, {"error": "unsupported_grant_type", "error_description": f"grant_type {grant_type!r}"})
