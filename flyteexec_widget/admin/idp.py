"""One HTTP request to an identity provider: a form POST, bounded in time and size, never redirected.

The authenticators (:mod:`.auth`) get their tokens with :func:`post_form`. What the identity provider (or a
FlyteAdmin announcing it) says is not trusted: a redirect would resend the request, client secret included, to
wherever it points; an answer dripped a byte at a time would hold the caller as long as the server liked (a socket
timeout bounds each read, not the request); and an answer of any size would be read whole. So a redirect is a
:class:`~.errors.LoginError`, the timeout bounds the whole exchange (:class:`~.errors.LoginTimeout` past it), and
more than :data:`MAX_RESPONSE_BYTES` is refused.

HTTP uses ``urllib`` from the standard library (no ``requests`` dependency); proxies from the environment apply.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import LoginError, LoginTimeout
from .plaintext import printable_cut

__all__ = ["MAX_RESPONSE_BYTES", "post_form"]


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


#: The most of an identity provider's answer read: a token or device-authorization reply is a few KB of JSON.
MAX_RESPONSE_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: urllib's default would resend the request, its ``Authorization: Basic`` header (the
    client secret) or its form (a refresh token, a device code) included, to whatever host the answer names, over
    plain http too. urllib then raises the 3xx as an HTTPError, which :func:`post_form` refuses."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Connections:
    """The HTTP connections one request opened, so the caller can cut them when its deadline passes (a socket's
    timeout bounds one read; a server that drips a byte at a time resets it on every byte)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: list[http.client.HTTPConnection] = []

    def tracking(self, http_class: Any) -> Callable[..., http.client.HTTPConnection]:
        def make(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
            conn: http.client.HTTPConnection = http_class(*args, **kwargs)
            with self._lock:
                self._conns.append(conn)
            return conn

        return make

    def cut(self) -> None:
        """Shut every socket down: a read blocked on it returns at once (best effort: not during a TLS handshake)."""
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _opener(verify: bool | str, conns: _Connections) -> urllib.request.OpenerDirector:
    """urllib's opener (proxies from the environment included) with no redirects and tracked connections."""

    class Http(urllib.request.HTTPHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(conns.tracking(http_class), req, **kwargs)

    class Https(urllib.request.HTTPSHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(conns.tracking(http_class), req, **kwargs)

    return urllib.request.build_opener(_NoRedirect, Http, Https(context=_ssl_context(verify)))


@dataclass
class _Answer:
    status: int = 0
    body: bytes = b""
    location: str | None = None  # a redirect's target
    error: BaseException | None = None


def _read_capped(resp: Any) -> bytes:
    length = resp.headers.get("Content-Length") if resp.headers is not None else None
    if length is not None and length.strip().isdigit() and int(length) > MAX_RESPONSE_BYTES:
        raise _TooLarge(int(length))
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = resp.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _TooLarge(size)
        chunks.append(chunk)


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _exchange(opener: urllib.request.OpenerDirector, req: urllib.request.Request, timeout: float, out: _Answer) -> None:
    """One POST and its whole answer, into ``out`` (runs on a daemon thread: see :func:`post_form`)."""
    try:
        try:
            resp: Any = opener.open(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            if 300 <= e.code < 400:
                out.status, out.location = e.code, e.headers.get("Location", "") if e.headers is not None else ""
                e.close()
                return
            resp = e  # an error status still has a body: the IdP's error code
        with resp:
            out.status = resp.status if getattr(resp, "status", None) is not None else resp.code
            out.body = _read_capped(resp)
    except BaseException as e:  # handed to the caller's thread
        out.error = e


def post_form(
    url: str,
    form: dict[str, str],
    *,
    headers: dict[str, str] | None = None,
    verify: bool | str = True,
    timeout: float = 30.0,
) -> tuple[int, dict[str, Any]]:
    """POST ``form`` url-encoded; return ``(status, json body)``. Non-JSON bodies become ``{}``.

    ``timeout`` bounds the whole exchange (connecting, sending, the answer read whole), not each socket read: a
    server that drips its answer a byte at a time still gets only ``timeout``. A redirect is refused (the request
    may carry the client secret or a refresh token: it goes to ``url`` only), and so is an answer over
    :data:`MAX_RESPONSE_BYTES`. Each failure is a :class:`LoginError` naming ``url`` (printable; it may come from
    the server); running out of time is a :class:`LoginTimeout`.
    """
    body = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    req.add_header("Accept", "application/json")
    req.add_header("Cache-Control", "no-cache")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    conns = _Connections()
    answer = _Answer()
    # On its own daemon thread, so that this one returns at the deadline whatever the server does (a TLS handshake
    # or a name lookup cannot be cut from outside); the connections are shut down then, which ends that thread too.
    worker = threading.Thread(
        target=_exchange, args=(_opener(verify, conns), req, timeout, answer), name="flyteexec-http", daemon=True
    )
    worker.start()
    worker.join(timeout)
    shown = printable_cut(url)
    if worker.is_alive():
        conns.cut()
        raise LoginTimeout(f"{shown} did not answer within {timeout:g}s")
    err = answer.error
    if isinstance(err, _TooLarge):
        raise LoginError(f"{shown} answered with more than {MAX_RESPONSE_BYTES:,} bytes; refused") from None
    if isinstance(err, (urllib.error.URLError, OSError, http.client.HTTPException)):
        reason = getattr(err, "reason", err)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise LoginTimeout(f"{shown} did not answer within {timeout:g}s") from None
        raise LoginError(f"cannot reach {shown}: {printable_cut(str(reason))}") from None
    if err is not None:
        raise err
    if answer.location is not None:
        raise LoginError(
            f"{shown} answered with a redirect (HTTP {answer.status}) to "
            f"{printable_cut(answer.location) or 'nowhere'}; "
            "not followed: the request carries credentials. Configure the URL it redirects to instead "
            "(admin.tokenUrl, or the identity provider's settings in FlyteAdmin)"
        )
    try:
        data = json.loads(answer.body.decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        data = {}
    return answer.status, data if isinstance(data, dict) else {}
