"""Knobs for tests and benchmarks, as one ``grpc.ServerInterceptor``: rpc counts, added latency, injected
failures, bearer-token auth and the client connections calls came on.

Calls the sandbox makes to itself (the player sending events, creating signals) carry the metadata
``(INTERNAL_METADATA_KEY, INTERNAL_METADATA_VALUE)``: they are not counted, never delayed or failed, and pass auth,
so a test measures and disturbs only the client under test.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import grpc

#: Metadata the sandbox's own calls carry (the player's event RPCs): ``metadata=INTERNAL_METADATA``.
INTERNAL_METADATA_KEY = "x-sandbox-internal"
INTERNAL_METADATA_VALUE = "1"
INTERNAL_METADATA: tuple[tuple[str, str], ...] = ((INTERNAL_METADATA_KEY, INTERNAL_METADATA_VALUE),)

#: FlyteAdmin's default ``authorization_metadata_key``; plain ``authorization`` is accepted too, as flyteadmin does.
AUTH_METADATA_KEY = "flyte-authorization"

#: Services whose methods need no token (flyteadmin serves AuthMetadataService unauthenticated).
_OPEN_SERVICES = ("flyteidl.service.AuthMetadataService",)

#: Longest sleep used to push a call past its caller's deadline.
_MAX_DEADLINE_SLEEP_S = 30.0

#: Real sleeping, behind a name tests can replace to observe latency without timing anything.
_sleep = time.sleep


def _short(method: str) -> str:
    return method.rsplit("/", 1)[-1]


def _metadata(details: grpc.HandlerCallDetails) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in details.invocation_metadata or ():
        key, value = item[0], item[1]
        out[key.lower()] = value if isinstance(value, str) else value.decode("latin-1")
    return out


def bearer_token(metadata: dict[str, str]) -> str | None:
    """The bearer token in ``flyte-authorization`` (or ``authorization``) metadata, else None."""
    for key in (AUTH_METADATA_KEY, "authorization"):
        value = metadata.get(key, "")
        if value[:7].lower() == "bearer ":
            return value[7:].strip() or None
    return None


def _abort_handler(
    code: grpc.StatusCode, message: str, sleep_past_deadline: bool = False
) -> grpc.RpcMethodHandler[Any, Any]:
    def behaviour(request: Any, context: grpc.ServicerContext) -> Any:
        del request
        if sleep_past_deadline:
            remaining = context.time_remaining()
            if remaining is not None:
                # Really run past the caller's deadline, as a stuck server does.
                _sleep(min(remaining + 0.05, _MAX_DEADLINE_SLEEP_S))
        context.abort(code, message)

    return grpc.unary_unary_rpc_method_handler(behaviour)


class _FailureRule:
    def __init__(self, code: grpc.StatusCode, methods: Collection[str] | str | None) -> None:
        self.code = code
        if isinstance(methods, str):
            methods = [methods]  # one method name, not its characters
        if methods is not None and not all(isinstance(m, str) and m for m in methods):
            raise ValueError(f"methods must be RPC short names such as 'ListNodeExecutions', got {methods!r}")
        self.methods = frozenset(m.rsplit("/", 1)[-1] for m in methods) if methods is not None else None

    def applies(self, method: str) -> bool:
        return self.methods is None or method in self.methods


if TYPE_CHECKING:  # grpc-stubs make the interceptor generic; the runtime class is not subscriptable
    _ServerInterceptor = grpc.ServerInterceptor[Any, Any]
else:
    _ServerInterceptor = grpc.ServerInterceptor


class KnobsInterceptor(_ServerInterceptor):
    """Counts client calls, adds latency, injects failures and checks bearer tokens (when ``token_check`` is set).

    ``token_check(token) -> bool`` says whether a bearer token is valid; None turns auth off.
    """

    def __init__(self, latency_ms: float = 0.0, token_check: Callable[[str], bool] | None = None) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._latency_s = 0.0
        self.set_latency(latency_ms)
        self._token_check = token_check
        self._fail_next: list[tuple[int, _FailureRule]] = []
        self._fraction: tuple[float, _FailureRule, random.Random] | None = None
        self._peers: dict[str, None] = {}  # client connections, in order of first call

    # -- knobs ------------------------------------------------------------------------------------------------

    def rpc_counts(self) -> dict[str, int]:
        """Client calls received per method short name (``{"ListNodeExecutions": 3}``), internal calls excluded."""
        with self._lock:
            return dict(self._counts)

    def reset_rpc_counts(self) -> None:
        """Forget the counts."""
        with self._lock:
            self._counts.clear()

    def peers(self) -> list[str]:
        """The client connections (``context.peer()``) calls came on, in order of first call."""
        with self._lock:
            return list(self._peers)

    def _saw_peer(self, peer: str) -> None:
        with self._lock:
            self._peers.setdefault(peer, None)

    def set_latency(self, ms: float) -> None:
        """Add ``ms`` milliseconds (a real sleep, on the call's own worker thread: concurrent calls overlap as on a
        network) before every client call."""
        value = float(ms)
        if value != value or value < 0:
            raise ValueError(f"latency ms must be a number >= 0, got {ms!r}")
        with self._lock:
            self._latency_s = value / 1000.0

    def fail_next(
        self, n: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE, methods: Collection[str] | str | None = None
    ) -> None:
        """Fail the next ``n`` client calls (to ``methods`` short names, or any) with ``code``.

        DEADLINE_EXCEEDED is produced the real way: the server sleeps past the caller's deadline first.
        """
        if int(n) < 0:
            raise ValueError(f"n must be >= 0, got {n!r}")
        if not isinstance(code, grpc.StatusCode) or code == grpc.StatusCode.OK:
            raise ValueError(f"code must be a non-OK grpc.StatusCode, got {code!r}")
        with self._lock:
            if n:
                self._fail_next.append((int(n), _FailureRule(code, methods)))

    def fail_fraction(
        self,
        p: float,
        code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE,
        seed: int | None = 0,
        methods: Collection[str] | str | None = None,
    ) -> None:
        """Fail each client call with probability ``p`` (seeded, so reproducible); ``p=0`` turns it off."""
        prob = float(p)
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"p must be within [0, 1], got {p!r}")
        if not isinstance(code, grpc.StatusCode) or code == grpc.StatusCode.OK:
            raise ValueError(f"code must be a non-OK grpc.StatusCode, got {code!r}")
        with self._lock:
            self._fraction = (prob, _FailureRule(code, methods), random.Random(seed)) if prob > 0 else None

    def clear_failures(self) -> None:
        """Drop every pending injected failure."""
        with self._lock:
            self._fail_next.clear()
            self._fraction = None

    # -- interception -----------------------------------------------------------------------------------------

    def _injected(self, method: str) -> grpc.StatusCode | None:
        with self._lock:
            for i, (left, rule) in enumerate(self._fail_next):
                if rule.applies(method):
                    if left <= 1:
                        del self._fail_next[i]
                    else:
                        self._fail_next[i] = (left - 1, rule)
                    return rule.code
            if self._fraction is not None:
                prob, rule, rng = self._fraction
                if rule.applies(method) and rng.random() < prob:
                    return rule.code
        return None

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        """Apply the knobs to one incoming call."""
        metadata = _metadata(details)
        if metadata.get(INTERNAL_METADATA_KEY) == INTERNAL_METADATA_VALUE:
            return continuation(details)
        method = _short(details.method)
        with self._lock:
            self._counts[method] += 1
            latency = self._latency_s
        return _delayed(self._handler(continuation, details, method, metadata), latency, self._saw_peer)

    def _handler(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        details: grpc.HandlerCallDetails,
        method: str,
        metadata: dict[str, str],
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        code = self._injected(method)
        if code is not None:
            return _abort_handler(
                code, f"injected failure ({code.name}) by the sandbox", code == grpc.StatusCode.DEADLINE_EXCEEDED
            )
        if self._token_check is not None and not details.method.lstrip("/").startswith(_OPEN_SERVICES):
            token = bearer_token(metadata)
            if token is None:
                return _abort_handler(
                    grpc.StatusCode.UNAUTHENTICATED,
                    f"missing bearer token in metadata {AUTH_METADATA_KEY!r} (or 'authorization')",
                )
            if not self._token_check(token):
                return _abort_handler(grpc.StatusCode.UNAUTHENTICATED, "invalid or expired bearer token")
        return continuation(details)


def _delayed(
    handler: grpc.RpcMethodHandler[Any, Any] | None, latency_s: float, saw_peer: Callable[[str], None]
) -> grpc.RpcMethodHandler[Any, Any] | None:
    """``handler`` noting the call's connection (``saw_peer``), with ``latency_s`` of sleep before its behaviour, on
    the worker thread that runs the call.

    gRPC runs ``intercept_service`` on the server's one serving thread: a sleep there would serialise every call
    (N concurrent calls taking N x latency instead of ~latency, unlike a network). Every sandbox method is unary.
    """
    if handler is None or handler.unary_unary is None:
        return handler
    behaviour = handler.unary_unary

    def slow(request: Any, context: grpc.ServicerContext) -> Any:
        saw_peer(context.peer())
        if latency_s:
            _sleep(latency_s)
        return behaviour(request, context)

    return grpc.unary_unary_rpc_method_handler(
        slow, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )
