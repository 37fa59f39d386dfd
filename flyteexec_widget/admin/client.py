"""AdminClient: a grpcio client for FlyteAdmin with deadlines, retries, auth and one error translation point.

Every RPC goes through :meth:`AdminClient.call`. The channel is created on first use, so constructing a client
never touches the network. It speaks protobufs only; :class:`flyteexec_widget.remote.Remote` adds the execution
objects on top (``fetch_execution``, ``sync_execution``, typed ``set_signal``).
"""

from __future__ import annotations

import functools
import logging
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar
from urllib.parse import urlsplit

import grpc
from flyteidl.admin import common_pb2, execution_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.service import (
    admin_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    dataproxy_pb2,
    dataproxy_pb2_grpc,
    signal_pb2_grpc,
)
from google.protobuf.message import Message

from . import auth as _auth
from .config import PlatformConfig, load_config, no_endpoint_message
from .daemon_pool import DaemonPool
from .errors import (
    ConfigError,
    DeadlineExceededError,
    FlyteAssertion,
    RpcFailure,
    ServerError,
    UnavailableError,
    translate_rpc_error,
)
from .plaintext import printable
from .refs import (
    ExecutionRef,
    check_part_lengths,
    check_same_cluster,
    console_base,
    entity_url,
    execution_url,
    normalize_endpoint,
    parse_execution_ref,
)
from .retry import NO_RETRY, RetryPolicy

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_LIST_ITEMS", "MAX_LIST_PAGES", "NODE_PAGE_SIZE", "AdminClient"]

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 1000
#: Page size of ``ListNodeExecutions``: one call for a level of up to this many nodes. FlyteAdmin sets no maximum
#: (flyteadmin ``pkg/manager/impl/validation/validation.go`` ``ValidateLimit`` rejects only 0; the repository
#: passes the limit to SQL as is) and FlyteConsole asks for 10,000 at once. With 1,000 a level of 1,000 nodes took
#: two calls one after the other (its start and end nodes are listed too), one round trip more before the first
#: paint. 5,000 list nodes of up to 4 KB each (a list response cuts errors to 100 bytes; ~0.3-2 KB is usual) stay
#: under the 20 MiB message limit below.
NODE_PAGE_SIZE = 5000
#: The most pages and items one listing reads: far beyond any real execution's nodes, attempts or signals (10
#: million at the default page size), so reaching them means a server that never ends its listing.
MAX_LIST_PAGES = 10_000
MAX_LIST_ITEMS = 1_000_000

#: Keepalive pings: never more often than a default FlyteAdmin accepts. It sets no enforcement policy
#: (flyteadmin/pkg/server/service.go), so on its plain gRPC listener (grpcServer.Serve) grpc-go's default holds: at
#: most one ping per 5 minutes while a call is in flight, one per 2 hours while idle (PermitWithoutStream=false); the
#: third ping too soon earns GOAWAY ``too_many_pings`` and a dropped connection (with ``secure: true`` gRPC goes
#: through net/http, ServeHTTP, which enforces nothing). So pings only during calls, every 5 minutes and a margin
#: (timers are not exact). Dead connections are still found: with keepalive on, gRPC sets TCP_USER_TIMEOUT to the
#: keepalive timeout (grpc proposal A18), so data a black hole swallows drops the connection after 20 s, and the
#: call is retried.
KEEPALIVE_TIME_MS = 330_000
KEEPALIVE_TIMEOUT_MS = 20_000
KEEPALIVE_PERMIT_WITHOUT_CALLS = 0

# Match FlyteAdmin's limits (32 KiB metadata, 20 MiB messages); keepalive as above.
_CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.max_metadata_size", 32 * 1024),
    ("grpc.max_receive_message_length", 20 * 1024 * 1024),
    ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
    ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    ("grpc.keepalive_permit_without_calls", KEEPALIVE_PERMIT_WITHOUT_CALLS),
]

_STUBS: dict[str, Callable[[grpc.Channel], Any]] = {
    "admin": admin_pb2_grpc.AdminServiceStub,
    "signal": signal_pb2_grpc.SignalServiceStub,
    "dataproxy": dataproxy_pb2_grpc.DataProxyServiceStub,
    "auth": auth_pb2_grpc.AuthMetadataServiceStub,
}

RetryHook = Callable[[int, float, RpcFailure], None]

#: No attempt gets a shorter deadline than this, and none starts with less of the call's budget left.
_MIN_ATTEMPT_S = 0.1

_T = TypeVar("_T")


class _CallerExecutor(DaemonPool):
    """A pool that runs each function in its caller's context (:func:`~.auth.caller_context`): a call made for a
    notebook cell may log in from the pool, one made for the sync thread may not, and IPython sends any output to
    the caller's cell. Its threads are daemons: a call stuck on a server that never answers holds up neither
    ``close()`` nor the interpreter's exit."""

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        return super().submit(functools.partial(_auth.caller_context().run, fn, *args, **kwargs))


def _bool_literal(value: bool) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=value)))


_ENTITY_KIND = {identifier_pb2.TASK: "task", identifier_pb2.LAUNCH_PLAN: "launch_plan"}  # anything else: workflow


def _entity_id(obj: Any) -> identifier_pb2.Identifier | None:
    """The ``core.Identifier`` of a registered entity (the id itself, an admin Task/Workflow/LaunchPlan, a view or
    flytekit model of one), else None (executions have other identifier types)."""
    to_idl = getattr(obj, "to_flyte_idl", None)
    if callable(to_idl):
        obj = to_idl()
    if isinstance(obj, identifier_pb2.Identifier):
        return obj
    ident = getattr(obj, "id", None) if isinstance(obj, Message) else None
    return ident if isinstance(ident, identifier_pb2.Identifier) else None


def _ts_key(msg: Any) -> tuple[int, int]:
    ts = msg.closure.created_at
    return (ts.seconds, ts.nanos)


_C = TypeVar("_C", bound="AdminClient")


class AdminClient:
    """A FlyteAdmin client: every RPC the package uses, returning protobufs (``Remote`` is the user's subclass).

    - ``endpoint``: the admin's ``host:port`` (a ``dns:///`` prefix is dropped).
    - ``insecure``: plain-text gRPC (sandbox). Otherwise TLS with the system roots, or ``ca_cert_file_path``'s.
    - ``insecure_skip_verify``: gRPC Python cannot skip certificate verification; like flytekit, the certificate
      the server presents is fetched (unverified) when the channel opens and trusted as the only root. The name
      in it must still match the endpoint's host.
    - ``auth``: an :class:`~flyteexec_widget.admin.auth.Authenticator` (None: send no token).
    - ``rpc_timeout``: the deadline of every attempt of a call, in seconds (``call(timeout=...)`` overrides it per
      call).
    - ``retry``: how transient failures (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED) are
      retried, and the time budget of a call with its retries (``RetryPolicy.total_timeout``, 60 s by default).
    - ``max_workers``: size of :attr:`executor`, the pool the sync layer runs concurrent calls on (32: a tree's
      attempt listings are one small call per node, bound by round trips; with 16, 1,000 of them at 5 ms took
      ~25% longer).
    - ``on_retry(attempt, delay, error)``: called before each retry sleep (the live view shows "reconnecting").
    - ``sleep`` and ``clock`` (monotonic seconds, for the budget): injectable so tests never wait;
      ``channel_options``: extra gRPC channel options (they replace the defaults of the same name, e.g.
      ``grpc.keepalive_time_ms``).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        insecure: bool = False,
        insecure_skip_verify: bool = False,
        ca_cert_file_path: str | None = None,
        console_endpoint: str | None = None,
        auth: _auth.Authenticator | None = None,
        default_project: str | None = None,
        default_domain: str | None = None,
        rpc_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        max_workers: int = 32,
        on_retry: RetryHook | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        channel_options: list[tuple[str, Any]] | None = None,
    ) -> None:
        endpoint = normalize_endpoint(endpoint)
        if endpoint.startswith(("http://", "https://")):
            raise ConfigError(
                f"endpoint {endpoint!r} is a URL; pass the admin's 'host:port' (e.g. 'flyte.example.com:443'), "
                "and insecure=True for plain-text gRPC"
            )
        try:
            _ = urlsplit("//" + endpoint).port  # raises on "[::1" (Invalid IPv6 URL) and "host:abc" (bad port)
        except ValueError as e:
            raise ConfigError(f"endpoint {endpoint!r} is not a 'host:port' address: {e}") from None
        for flag, value in (("insecure", insecure), ("insecure_skip_verify", insecure_skip_verify)):
            if not isinstance(value, bool):  # bool("false") is True: a plain-text channel must be asked for exactly
                raise ConfigError(f"{flag} must be True or False, got {value!r}")
        if not rpc_timeout or rpc_timeout <= 0:
            raise ConfigError(f"rpc_timeout must be a positive number of seconds, got {rpc_timeout!r}")
        if max_workers < 1:
            raise ConfigError(f"max_workers must be >= 1, got {max_workers!r}")
        if auth is not None and not isinstance(auth, _auth.Authenticator):
            raise ConfigError(f"auth must be an Authenticator (StaticToken, ClientSecret, ...), got {type(auth)}")
        self.endpoint = endpoint
        self.insecure = insecure
        self.insecure_skip_verify = insecure_skip_verify
        self.ca_cert_file_path = ca_cert_file_path
        self.console_endpoint = console_endpoint
        self.auth = auth
        self.default_project = default_project
        self.default_domain = default_domain
        self.rpc_timeout = float(rpc_timeout)
        self.retry = retry or RetryPolicy()
        self.max_workers = max_workers
        self.on_retry = on_retry
        self._sleep = sleep
        self._clock = clock
        # one value per option, the caller's winning (a repeated key's effect would depend on gRPC's lookup order)
        self._channel_options = list({**dict(_CHANNEL_OPTIONS), **dict(channel_options or [])}.items())
        self._lock = threading.Lock()
        self._channel: grpc.Channel | None = None
        self._stubs: dict[str, Any] = {}
        self._executor: _CallerExecutor | None = None
        self._server_auth: _auth.ServerAuthConfig | None = None
        self._closed = False

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    def from_config(cls: type[_C], path: str | None = None, **overrides: Any) -> _C:
        """Build from the flytectl config (search order + ``FLYTE_*`` env vars); keyword arguments win."""
        return cls.from_platform_config(load_config(path), **overrides)

    @classmethod
    def from_platform_config(cls: type[_C], cfg: PlatformConfig, **overrides: Any) -> _C:
        """Build from a :class:`~flyteexec_widget.admin.config.PlatformConfig` (read from files, or mapped from
        flytekit's); keyword arguments win."""
        kwargs: dict[str, Any] = {
            "endpoint": cfg.endpoint,
            "insecure": cfg.insecure,
            "insecure_skip_verify": cfg.insecure_skip_verify,
            "ca_cert_file_path": cfg.ca_cert_file_path,
            "console_endpoint": cfg.console_endpoint,
        }
        kwargs.update(overrides)
        if not kwargs.get("endpoint"):
            raise ConfigError(no_endpoint_message(cfg.source))
        if "auth" not in overrides:
            verify: bool | str = True
            if kwargs.get("insecure_skip_verify"):
                verify = False
            elif kwargs.get("ca_cert_file_path"):
                verify = str(kwargs["ca_cert_file_path"])
            kwargs["auth"] = _auth.from_config(cfg, verify=verify)
        endpoint = kwargs.pop("endpoint")
        return cls(endpoint, **kwargs)

    @classmethod
    def for_sandbox(cls: type[_C], endpoint: str = "127.0.0.1:30080", **kw: Any) -> _C:
        """A plain-text (insecure) client for a local sandbox."""
        kw.setdefault("insecure", True)
        return cls(endpoint, **kw)

    def __repr__(self) -> str:
        mode = "none" if self.auth is None else self.auth.mode
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, insecure={self.insecure}, auth={mode!r})"

    # ------------------------------------------------------------------ channel and lifecycle

    def _credentials(self) -> grpc.ChannelCredentials:
        if self.insecure_skip_verify:
            # gRPC Python cannot turn verification off. Like flytekit, trust whatever certificate the server
            # presents right now (fetched without verification) as the only root. The host name must still match.
            host, _, port = self.endpoint.rpartition(":")
            if not host or not port.isdigit():
                host, port = self.endpoint, "443"
            try:
                # bounded like an RPC: a black-holed endpoint would otherwise hang here, holding the channel lock
                pem = ssl.get_server_certificate((host, int(port)), timeout=self.rpc_timeout)
            except OSError as e:  # socket.timeout included
                raise UnavailableError(
                    f"FlyteAdmin at {self.endpoint} is unavailable (insecure_skip_verify: cannot fetch its "
                    f"certificate: {e})",
                    code=grpc.StatusCode.UNAVAILABLE,
                    method="connect",
                ) from e
            return grpc.ssl_channel_credentials(root_certificates=pem.encode())
        if self.ca_cert_file_path:
            try:
                with open(self.ca_cert_file_path, "rb") as fh:
                    roots = fh.read()
            except OSError as e:
                raise ConfigError(f"caCertFilePath {self.ca_cert_file_path!r} cannot be read: {e.strerror}") from e
            return grpc.ssl_channel_credentials(root_certificates=roots)
        return grpc.ssl_channel_credentials()

    def _get_channel(self) -> grpc.Channel:
        with self._lock:
            if self._closed:
                raise FlyteAssertion(f"{self!r} is closed")
            if self._channel is None:
                if self.insecure:
                    self._channel = grpc.insecure_channel(self.endpoint, options=self._channel_options)
                else:
                    self._channel = grpc.secure_channel(
                        self.endpoint, self._credentials(), options=self._channel_options
                    )
                log.info("FlyteAdmin channel to %s (%s)", self.endpoint, "insecure" if self.insecure else "TLS")
            return self._channel

    def _stub(self, service: str) -> Any:
        stub = self._stubs.get(service)
        if stub is None:
            factory = _STUBS.get(service)
            if factory is None:
                raise ValueError(f"unknown service {service!r}; valid: {', '.join(_STUBS)}")
            stub = self._stubs[service] = factory(self._get_channel())
        return stub

    @property
    def executor(self) -> Executor:
        """A bounded thread pool (``max_workers``) for concurrent RPCs, created on first use. Each call runs in
        its caller's context, so a login on a worker may prompt only if it could have on the caller's thread."""
        with self._lock:
            if self._closed:
                raise FlyteAssertion(f"{self!r} is closed")
            if self._executor is None:
                pool = self._executor = _CallerExecutor(self.max_workers, thread_name_prefix="flyteexec-rpc")
                # A client dropped without close() (a notebook cell that makes a new Remote each run) must not
                # leave its up to max_workers idle threads behind for the kernel's life: they reference the pool,
                # not the client, so the pool is shut down when the client is collected.
                weakref.finalize(self, pool.shutdown)
            return self._executor

    def close(self) -> None:
        """Close the channel and the thread pool. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            channel, self._channel = self._channel, None
            executor, self._executor = self._executor, None
            self._stubs.clear()
        if executor is not None:
            # wait=False: close() may run on one of the pool's own threads; running calls fail as "closed"
            executor.shutdown(wait=False, cancel_futures=True)
        if channel is not None:
            channel.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ auth

    def server_auth_config(self, *, timeout: float | None = None) -> _auth.ServerAuthConfig:
        """What ``AuthMetadataService`` announces (fetched once; empty if the server has auth disabled).
        ``timeout``: the seconds both calls may take together (None: each its own budget)."""
        cached = self._server_auth
        if cached is not None:
            return cached
        ends = None if timeout is None else self._clock() + timeout
        try:
            pub = self.call(
                "auth", "GetPublicClientConfig", auth_pb2.PublicClientAuthConfigRequest(), budget=self._left(ends)
            )
            oauth = self.call("auth", "GetOAuth2Metadata", auth_pb2.OAuth2MetadataRequest(), budget=self._left(ends))
        except RpcFailure as e:
            if e.code != grpc.StatusCode.UNIMPLEMENTED:
                raise
            log.info("FlyteAdmin at %s has no AuthMetadataService (auth disabled)", self.endpoint)
            cached = _auth.ServerAuthConfig()
        else:
            cached = _auth.ServerAuthConfig(
                token_endpoint=oauth.token_endpoint,
                authorization_endpoint=oauth.authorization_endpoint,
                device_authorization_endpoint=oauth.device_authorization_endpoint,
                client_id=pub.client_id,
                redirect_uri=pub.redirect_uri,
                scopes=tuple(pub.scopes),
                authorization_metadata_key=pub.authorization_metadata_key,
                audience=pub.audience,
            )
        self._server_auth = cached
        return cached

    def _left(self, ends: float | None) -> float | None:
        """Seconds until ``ends`` (the client's clock), never below one attempt's minimum; None for None."""
        return None if ends is None else max(_MIN_ATTEMPT_S, ends - self._clock())

    def _refresh(self, auth: _auth.Authenticator, stale: str | None, ends: float | None) -> float | None:
        """A new token within what is left of the call's budget (the auth metadata calls and the identity
        provider's answers count); returns the call's new end: the time a user spent approving a device login is
        the user's, not the server's, and is added back."""
        left = self._left(ends)
        with _auth.counting_user_wait() as user_waited:
            auth.refresh(self.server_auth_config(timeout=left), stale, timeout=left)
        return None if ends is None else ends + user_waited()

    def _auth_metadata(
        self, service: str, ends: float | None
    ) -> tuple[list[tuple[str, str]], str | None, float | None]:
        """The call metadata, the token it carries (None when none is sent) and the call's end (see _refresh)."""
        auth = self.auth
        if auth is None or service == "auth":  # AuthMetadataService needs no token
            return [], None, ends
        if auth.expired():
            ends = self._refresh(auth, auth.token(), ends)
        token = auth.token()
        if token is None:
            return [], None, ends  # lazy, like flytekit: obtained on the first UNAUTHENTICATED
        server = self.server_auth_config(timeout=self._left(ends))
        key = auth.header_key or server.authorization_metadata_key or _auth.DEFAULT_HEADER_KEY
        return [(key.lower(), f"Bearer {token}")], token, ends

    # ------------------------------------------------------------------ the one call path

    def call(
        self,
        service: str,
        method: str,
        request: Any,
        *,
        timeout: float | None = None,
        subject: str | None = None,
        retry: bool = True,
        on_retry: RetryHook | None = None,
        budget: float | None = None,
    ) -> Any:
        """Invoke ``service.method(request)`` with a deadline, auth metadata, transient retries and translation.

        ``service`` is ``admin``, ``signal``, ``dataproxy`` or ``auth``; ``subject`` names what the call is about
        in error messages (e.g. ``"project:domain:name"``). Every attempt has the deadline ``timeout`` (default
        ``rpc_timeout``), and all of them together, a token refresh included, the time ``budget`` in seconds
        (default: the retry policy's ``total_timeout``, at least one whole deadline; the pages of a listing share
        one). Raises :class:`~flyteexec_widget.admin.errors.RpcFailure` subclasses only.
        """
        stub = self._stub(service)
        fn = getattr(stub, method, None)
        if fn is None:
            raise ValueError(f"{service} service has no method {method!r}")
        deadline = self.rpc_timeout if timeout is None else float(timeout)
        policy = self.retry if retry else NO_RETRY
        if budget is None and policy.total_timeout is not None:
            budget = max(policy.total_timeout, deadline)
        give_up_at = None if budget is None else self._clock() + max(budget, _MIN_ATTEMPT_S)
        hook = on_retry or self.on_retry
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            metadata, token, give_up_at = self._auth_metadata(service, give_up_at)
            # the last attempt gets what is left of the budget (a token refresh above may have used some)
            left = deadline if give_up_at is None else min(deadline, give_up_at - self._clock())
            try:
                return fn(request, timeout=max(left, _MIN_ATTEMPT_S), metadata=metadata)
            except ValueError as err:
                # grpc raises ValueError when a call races close(); say so in our terms
                if self._closed:
                    raise FlyteAssertion(f"{self!r} is closed") from None
                raise err
            except grpc.RpcError as err:
                code = err.code() if callable(getattr(err, "code", None)) else grpc.StatusCode.UNKNOWN
                if (
                    code == grpc.StatusCode.UNAUTHENTICATED
                    and self.auth is not None
                    and service != "auth"
                    and not refreshed
                ):
                    refreshed = True
                    attempt -= 1  # the refresh round does not use up a retry
                    log.info("%s: UNAUTHENTICATED, getting a new token and retrying once", method)
                    give_up_at = self._refresh(self.auth, token, give_up_at)
                    continue
                failure = translate_rpc_error(err, method=method, endpoint=self.endpoint, subject=subject)
                if self._closed:  # close() cancelled the call: nothing to retry
                    raise FlyteAssertion(f"{self!r} is closed") from None
                if not (failure.transient and attempt < policy.max_attempts):
                    raise failure from None
                delay = policy.backoff(attempt)
                if give_up_at is not None and self._clock() + delay + _MIN_ATTEMPT_S > give_up_at:
                    log.info("%s (attempt %d): the call's %gs budget is spent, giving up", failure, attempt, budget)
                    raise failure from None
                # info, not warning: retries are expected, and an unconfigured root logger would print
                # warnings from the sync thread into whatever notebook cell is running
                log.info("%s (attempt %d/%d), retrying in %.2fs", failure, attempt, policy.max_attempts, delay)
                if hook is not None:
                    try:
                        hook(attempt, delay, failure)
                    except Exception:  # a UI hook must not break the call
                        log.exception("on_retry hook failed")
                self._sleep(delay)

    # ------------------------------------------------------------------ RPC wrappers (raw protos in/out)

    @staticmethod
    def _subject(wf_id: Any) -> str:
        return f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"

    @classmethod
    def _node_subject(cls, node_id: Any) -> str:
        return f"{cls._subject(node_id.execution_id)} node {node_id.node_id}"

    @classmethod
    def _task_subject(cls, task_id: Any) -> str:
        t = task_id.task_id
        return f"{cls._node_subject(task_id.node_execution_id)} task {t.name} attempt {task_id.retry_attempt}"

    def get_execution(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> Any:
        """``GetExecution`` -> admin ``Execution``."""
        req = execution_pb2.WorkflowExecutionGetRequest(id=wf_id)
        return self.call("admin", "GetExecution", req, subject=self._subject(wf_id))

    def list_node_executions(
        self,
        wf_id: identifier_pb2.WorkflowExecutionIdentifier,
        *,
        unique_parent_id: str = "",
        filters: str = "",
        limit: int = NODE_PAGE_SIZE,
    ) -> list[Any]:
        """Every page of ``ListNodeExecutions``, sorted by ``created_at`` ascending (start/end nodes included)."""
        subject = self._subject(wf_id) + (f" parent {unique_parent_id}" if unique_parent_id else "")
        sort = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.ASCENDING)

        def page(token: str) -> Any:
            return node_execution_pb2.NodeExecutionListRequest(
                workflow_execution_id=wf_id,
                limit=limit,
                token=token,
                filters=filters,
                sort_by=sort,
                unique_parent_id=unique_parent_id,
            )

        nodes = self._all_pages("admin", "ListNodeExecutions", page, "node_executions", subject)
        nodes.sort(key=_ts_key)  # stable: the server's order is kept for equal timestamps
        return nodes

    def list_executions(
        self,
        project: str,
        domain: str,
        *,
        filters: str = "",
        sort_by: common_pb2.Sort | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
    ) -> list[Any]:
        """Every page of ``ListExecutions`` of a project/domain with FlyteAdmin ``filters`` (e.g.
        ``eq(launch_plan.name,x)+value_in(phase,RUNNING;QUEUED)``), newest first unless ``sort_by`` says otherwise
        (offset pages are consistent only over an order asked for); at most ``max_items`` (then it stops paging).
        FlyteAdmin trims list errors to 100 bytes and leaves ``spec.inputs`` out (``ListExecutions`` in
        ``manager/impl/execution_manager.go``): the inputs are ``GetExecutionData``'s."""
        check_part_lengths(project=project, domain=domain)
        subject = f"{project}:{domain} executions"
        sort = (
            sort_by if sort_by is not None else common_pb2.Sort(key="created_at", direction=common_pb2.Sort.DESCENDING)
        )
        page_size = limit if max_items is None else max(1, min(limit, max_items))

        def page(token: str) -> Any:
            return common_pb2.ResourceListRequest(
                id=common_pb2.NamedEntityIdentifier(project=project, domain=domain),
                limit=page_size,
                token=token,
                filters=filters,
                sort_by=sort,
            )

        return self._all_pages("admin", "ListExecutions", page, "executions", subject, max_items=max_items)

    def _all_pages(
        self,
        service: str,
        method: str,
        request: Callable[[str], Message],
        field: str,
        subject: str,
        *,
        max_items: int | None = None,
    ) -> list[Any]:
        """Every item of a paged listing (``request(token)`` builds a page's request). The pages share one time
        budget, the retry policy's ``total_timeout``, and at most :data:`MAX_LIST_PAGES` pages and
        :data:`MAX_LIST_ITEMS` items are read: a server that answers every page with a new token would otherwise
        hold the caller (a watch's sync, holding its tree's lock) for ever."""
        total = self.retry.total_timeout
        ends = None if total is None else self._clock() + max(total, self.rpc_timeout)
        out: list[Any] = []
        token = ""
        seen: set[str] = {""}
        pages = 0
        while True:
            if pages >= MAX_LIST_PAGES or len(out) > MAX_LIST_ITEMS:
                raise ServerError(
                    f"{method} {subject}: the listing did not end after {pages:,} pages and {len(out):,} items "
                    f"(the limits are {MAX_LIST_PAGES:,} pages and {MAX_LIST_ITEMS:,} items, far beyond any real "
                    f"execution): FlyteAdmin at {self.endpoint} keeps answering with a next page",
                    code=grpc.StatusCode.OUT_OF_RANGE,
                    method=method,
                    details=f"the listing did not end after {pages:,} pages",
                )
            if pages and ends is not None and self._clock() >= ends:
                raise DeadlineExceededError(
                    f"{method} {subject}: the listing did not end within its {total:g}s budget "
                    f"({pages:,} pages, {len(out):,} items so far) at {self.endpoint}",
                    code=grpc.StatusCode.DEADLINE_EXCEEDED,
                    method=method,
                )
            resp = self.call(service, method, request(token), subject=subject, budget=self._left(ends))
            pages += 1
            out.extend(getattr(resp, field))
            token = resp.token
            if max_items is not None and len(out) >= max_items:
                return out[:max_items]
            if not token:
                return out
            if token in seen:  # a server that repeats a token would loop forever
                log.info("%s: server repeated page token %r; stopping", method, printable(token[:100]))
                return out
            seen.add(token)

    def get_node_execution(self, node_id: identifier_pb2.NodeExecutionIdentifier) -> Any:
        """``GetNodeExecution`` -> admin ``NodeExecution`` (untrimmed error message)."""
        req = node_execution_pb2.NodeExecutionGetRequest(id=node_id)
        return self.call("admin", "GetNodeExecution", req, subject=self._node_subject(node_id))

    def list_task_executions(
        self, node_id: identifier_pb2.NodeExecutionIdentifier, *, limit: int = DEFAULT_PAGE_SIZE
    ) -> list[Any]:
        """Every page of ``ListTaskExecutions`` for one node, ordered by retry attempt."""
        subject = self._node_subject(node_id)
        sort = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.ASCENDING)

        def page(token: str) -> Any:
            return task_execution_pb2.TaskExecutionListRequest(
                node_execution_id=node_id, limit=limit, token=token, sort_by=sort
            )

        tasks = self._all_pages("admin", "ListTaskExecutions", page, "task_executions", subject)
        tasks.sort(key=lambda t: t.id.retry_attempt)
        return tasks

    def get_task_execution(self, task_id: identifier_pb2.TaskExecutionIdentifier) -> Any:
        """``GetTaskExecution`` -> admin ``TaskExecution``."""
        req = task_execution_pb2.TaskExecutionGetRequest(id=task_id)
        return self.call("admin", "GetTaskExecution", req, subject=self._task_subject(task_id))

    def get_execution_data(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> Any:
        """``GetExecutionData`` -> ``WorkflowExecutionGetDataResponse``."""
        req = execution_pb2.WorkflowExecutionGetDataRequest(id=wf_id)
        return self.call("admin", "GetExecutionData", req, subject=self._subject(wf_id))

    def get_node_execution_data(self, node_id: identifier_pb2.NodeExecutionIdentifier) -> Any:
        """``GetNodeExecutionData`` -> ``NodeExecutionGetDataResponse``."""
        req = node_execution_pb2.NodeExecutionGetDataRequest(id=node_id)
        return self.call("admin", "GetNodeExecutionData", req, subject=self._node_subject(node_id))

    def get_task_execution_data(self, task_id: identifier_pb2.TaskExecutionIdentifier) -> Any:
        """``GetTaskExecutionData`` -> ``TaskExecutionGetDataResponse``."""
        req = task_execution_pb2.TaskExecutionGetDataRequest(id=task_id)
        return self.call("admin", "GetTaskExecutionData", req, subject=self._task_subject(task_id))

    @staticmethod
    def _entity_subject(ident: identifier_pb2.Identifier) -> str:
        return f"{ident.project}:{ident.domain}:{ident.name}@{ident.version}"

    def get_workflow(self, ident: identifier_pb2.Identifier) -> Any:
        """``GetWorkflow`` -> admin ``Workflow``."""
        req = common_pb2.ObjectGetRequest(id=ident)
        return self.call("admin", "GetWorkflow", req, subject="workflow " + self._entity_subject(ident))

    def get_launch_plan(self, ident: identifier_pb2.Identifier) -> Any:
        """``GetLaunchPlan`` -> admin ``LaunchPlan``."""
        req = common_pb2.ObjectGetRequest(id=ident)
        return self.call("admin", "GetLaunchPlan", req, subject="launch plan " + self._entity_subject(ident))

    def get_task(self, ident: identifier_pb2.Identifier) -> Any:
        """``GetTask`` -> admin ``Task``."""
        req = common_pb2.ObjectGetRequest(id=ident)
        return self.call("admin", "GetTask", req, subject="task " + self._entity_subject(ident))

    def list_signals(
        self, wf_id: identifier_pb2.WorkflowExecutionIdentifier, *, limit: int = DEFAULT_PAGE_SIZE, filters: str = ""
    ) -> list[Any]:
        """Every page of ``SignalService.ListSignals`` for one execution (``filters``: e.g. ``eq(signal_id,x)``),
        by signal id: offset pages are consistent only over an order asked for (FlyteAdmin adds no ORDER BY)."""
        subject = self._subject(wf_id)
        sort = common_pb2.Sort(key="signal_id", direction=common_pb2.Sort.ASCENDING)

        def page(token: str) -> Any:
            return signal_pb2.SignalListRequest(
                workflow_execution_id=wf_id, limit=limit, token=token, filters=filters, sort_by=sort
            )

        return self._all_pages("signal", "ListSignals", page, "signals", subject)

    def create_download_link(self, node_id: identifier_pb2.NodeExecutionIdentifier) -> list[str]:
        """Signed URLs of a node's Flyte Deck; ``[]`` when there is no deck (NOT_FOUND)."""
        req = dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=node_id
        )
        try:
            resp = self.call("dataproxy", "CreateDownloadLink", req, subject=self._node_subject(node_id))
        except RpcFailure as e:
            if e.code == grpc.StatusCode.NOT_FOUND:
                return []
            raise
        urls = list(resp.pre_signed_urls.signed_url) or list(resp.signed_url)
        return [u for u in urls if u]

    # ------------------------------------------------------------------ user level

    def _ref(self, execution: Any) -> ExecutionRef:
        """Parse a reference; a console URL must be of this cluster (its host is the endpoint's or the console's)."""
        ref = parse_execution_ref(execution, default_project=self.default_project, default_domain=self.default_domain)
        check_same_cluster(ref, self.endpoint, self.console_endpoint)
        return ref

    def _wf_id(self, execution: Any) -> identifier_pb2.WorkflowExecutionIdentifier:
        """Accept our wrappers, admin protos, a WorkflowExecutionIdentifier, or any reference refs can parse."""
        wf_id = self._wf_id_of(execution)
        check_part_lengths(project=wf_id.project, domain=wf_id.domain, name=wf_id.name)
        return wf_id

    def _wf_id_of(self, execution: Any) -> identifier_pb2.WorkflowExecutionIdentifier:
        if isinstance(execution, identifier_pb2.WorkflowExecutionIdentifier):
            return execution
        to_idl = getattr(execution, "to_flyte_idl", None)
        if callable(to_idl):
            execution = to_idl()
        if isinstance(execution, identifier_pb2.WorkflowExecutionIdentifier):
            return execution
        # admin Execution / NodeExecution / TaskExecution protos: walk to the workflow execution id
        ident = getattr(execution, "id", None)
        if ident is not None and not isinstance(execution, (str, tuple)):
            for path in ((), ("execution_id",), ("node_execution_id", "execution_id")):
                cur = ident
                for attr in path:
                    cur = getattr(cur, attr, None)
                if isinstance(cur, identifier_pb2.WorkflowExecutionIdentifier):
                    return cur
        ref = self._ref(execution)
        return identifier_pb2.WorkflowExecutionIdentifier(project=ref.project, domain=ref.domain, name=ref.name)

    def console_base(self) -> str:
        """The FlyteConsole base URL for this admin."""
        return console_base(self.endpoint, self.insecure, self.console_endpoint)

    def generate_console_url(self, execution_or_id: Any) -> str:
        """The console page of an execution, or of a task/workflow/launch plan given by its ``Identifier`` (or the
        admin message, e.g. ``execution.flyte_workflow``): the same strings flytekit's ``generate_console_url``
        builds. A node or task execution gives its workflow execution's page (flytekit fails on those)."""
        entity = _entity_id(execution_or_id)
        if entity is not None:
            kind = _ENTITY_KIND.get(entity.resource_type, "workflow")
            return entity_url(self.console_base(), kind, entity.project, entity.domain, entity.name, entity.version)
        wf_id = self._wf_id(execution_or_id)
        return execution_url(self.console_base(), wf_id.project, wf_id.domain, wf_id.name)

    def terminate(self, execution: Any, cause: str = "") -> None:
        """``TerminateExecution`` with ``cause`` (FAILED_PRECONDITION if it already finished)."""
        wf_id = self._wf_id(execution)
        req = execution_pb2.ExecutionTerminateRequest(id=wf_id, cause=cause)
        self.call("admin", "TerminateExecution", req, subject=self._subject(wf_id))

    def relaunch(self, execution: Any, name: str | None = None) -> identifier_pb2.WorkflowExecutionIdentifier:
        """``RelaunchExecution``: run it again with the same inputs; returns the new execution's id."""
        wf_id = self._wf_id(execution)
        if name:
            check_part_lengths(name=name)
        req = execution_pb2.ExecutionRelaunchRequest(id=wf_id, name=name or "")
        # Not retried: a request that reached the server before the connection broke would launch twice.
        return self.call("admin", "RelaunchExecution", req, subject=self._subject(wf_id), retry=False).id

    def create_execution(
        self,
        launch_plan: identifier_pb2.Identifier,
        inputs: literals_pb2.LiteralMap,
        *,
        project: str,
        domain: str,
        name: str | None = None,
        like: execution_pb2.ExecutionSpec | None = None,
        reference: identifier_pb2.WorkflowExecutionIdentifier | None = None,
    ) -> identifier_pb2.WorkflowExecutionIdentifier:
        """``CreateExecution`` of ``launch_plan`` with ``inputs`` in ``project``/``domain``; returns the new id.

        As flytekit's ``FlyteRemote.execute``: mode MANUAL, and FlyteAdmin names the execution unless ``name`` is
        given (it must then be new: ALREADY_EXISTS otherwise). FlyteAdmin fills defaults and fixed inputs and
        answers INVALID_ARGUMENT for an unknown input, a wrong type or a missing required one.

        ``like``: an execution's spec whose run settings the new one takes (service account, labels, annotations,
        raw output prefix, parallelism, envs, notifications...), as FlyteAdmin's ``RelaunchExecution`` reruns the
        existing spec (flyteadmin/pkg/manager/impl/execution_manager.go); its launch plan, inputs and metadata are
        not taken, nor ``overwrite_cache`` (RelaunchExecution takes that from its request: off unless asked).
        ``reference``: the execution this one relaunches (metadata mode RELAUNCH, ``reference_execution``, as
        RelaunchExecution records it).
        """
        if name:
            check_part_lengths(name=name)
        spec = execution_pb2.ExecutionSpec()
        if like is not None:
            spec.CopyFrom(like)
            # the deprecated spec.inputs would compete with the request's; the metadata (parent node, nesting,
            # principal, system metadata) was the other execution's
            spec.ClearField("inputs")
            spec.ClearField("metadata")
            spec.ClearField("overwrite_cache")
        spec.launch_plan.CopyFrom(launch_plan)
        if reference is not None:
            spec.metadata.mode = execution_pb2.ExecutionMetadata.RELAUNCH
            spec.metadata.reference_execution.CopyFrom(reference)
        else:
            spec.metadata.mode = execution_pb2.ExecutionMetadata.MANUAL
        req = execution_pb2.ExecutionCreateRequest(
            project=project, domain=domain, name=name or "", spec=spec, inputs=inputs
        )
        subject = f"{project}:{domain} launch plan {self._entity_subject(launch_plan)}"
        # Not retried, like relaunch: it creates a new execution.
        return self.call("admin", "CreateExecution", req, subject=subject, retry=False).id

    def recover(self, execution: Any, name: str | None = None) -> identifier_pb2.WorkflowExecutionIdentifier:
        """``RecoverExecution``: rerun from the last failure, reusing succeeded nodes; returns the new id."""
        wf_id = self._wf_id(execution)
        if name:
            check_part_lengths(name=name)
        req = execution_pb2.ExecutionRecoverRequest(id=wf_id, name=name or "")
        # Not retried, like relaunch: it creates a new execution.
        return self.call("admin", "RecoverExecution", req, subject=self._subject(wf_id), retry=False).id

    def send_signal(self, execution: Any, signal_id: str, literal: literals_pb2.Literal) -> None:
        """``SetSignal`` with a ready literal (``Remote.set_signal`` builds one from a Python value)."""
        if not signal_id or not isinstance(signal_id, str):
            raise FlyteAssertion(f"signal_id must be a non-empty string, got {signal_id!r}")
        wf_id = self._wf_id(execution)
        req = signal_pb2.SignalSetRequest(
            id=identifier_pb2.SignalIdentifier(signal_id=signal_id, execution_id=wf_id), value=literal
        )
        self.call("signal", "SetSignal", req, subject=f"{self._subject(wf_id)} signal {signal_id}")

    def approve(self, execution: Any, signal_id: str) -> None:
        """Approve a gate: ``SetSignal`` with the BOOLEAN literal ``true``."""
        self.send_signal(execution, signal_id, _bool_literal(True))

    def reject(self, execution: Any, signal_id: str) -> None:
        """Reject a gate: ``SetSignal`` with the BOOLEAN literal ``false`` (the node fails)."""
        self.send_signal(execution, signal_id, _bool_literal(False))
