"""A local FlyteAdmin over real gRPC, with scripted executions: for the demo, the tests and the benchmarks.

>>> with Sandbox(clock="stepped") as sb:                       # doctest: +SKIP
...     wf_id = sb.launch("demo")
...     sb.run_until_done(wf_id)

The admin side (:mod:`.admin`, :mod:`.store`) projects events into state as FlyteAdmin does; the player
(:mod:`.player`) plays propeller, sending those events over gRPC on the schedule of a :mod:`.clock`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

import grpc
from flyteidl.admin import execution_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import admin_pb2_grpc

from ..objects.phases import WORKFLOW_TERMINAL, NodePhase, WorkflowPhase
from .admin import (
    AdminContext,
    ExecutionDriver,
    LocalCaller,
    NameGenerator,
    ServingGate,
    add_servicers,
    build_servicers,
)
from .cache import ResponseCache
from .clock import Clock, RealClock, StepClock
from .errors import StoreError
from .knobs import INTERNAL_METADATA, KnobsInterceptor
from .oauth import AuthConfig, BlobSigner, HttpSide, TokenAuthority
from .pages import Pages, console_path
from .player import Player
from .scenarios import SCENARIOS, get_scenario
from .store import Store, exec_key

__all__ = ["DEFAULT_MIN_PING_INTERVAL_MS", "AuthConfig", "ExecutionDriver", "Sandbox"]

log = logging.getLogger(__name__)

DEFAULT_PROJECT = "flytesnacks"
DEFAULT_DOMAIN = "development"
_MAX_MESSAGE = 256 * 1024 * 1024  # wide executions list thousands of nodes per page
#: grpc-go's and grpcio's default minimum interval between a client's pings (``MinTime`` of the enforcement policy).
DEFAULT_MIN_PING_INTERVAL_MS = 5 * 60 * 1000


def _wf_id(value: identifier_pb2.WorkflowExecutionIdentifier | str) -> identifier_pb2.WorkflowExecutionIdentifier:
    if isinstance(value, identifier_pb2.WorkflowExecutionIdentifier):
        return value
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) == 3 and all(parts):
            return identifier_pb2.WorkflowExecutionIdentifier(project=parts[0], domain=parts[1], name=parts[2])
    raise ValueError(f"execution id must be a WorkflowExecutionIdentifier or 'project:domain:name', got {value!r}")


class Sandbox:
    """A local FlyteAdmin: gRPC on ``127.0.0.1:port`` (0 picks one), a small HTTP side (OAuth2, deck downloads).

    ``clock="stepped"`` (deterministic: time moves only in :meth:`advance`) or ``"real"`` (``speed`` times
    faster than real time), or any :class:`~.clock.Clock`. ``latency_ms`` adds a real delay to every client
    call. ``state_path`` keeps state in SQLite across restarts. ``auth=True`` requires a bearer token
    (see :attr:`auth_config`). ``seed`` makes generated execution names reproducible (stepped clock).
    ``text_timestamps`` compares timestamp filters as a SQLite-backed FlyteAdmin does (see
    :meth:`compare_timestamps_as_text`). ``min_ping_interval_ms`` is the keepalive enforcement of grpc-go's and
    grpcio's servers, which FlyteAdmin keeps (5 minutes; no pings at all while no call is in flight): a client
    pinging more often gets GOAWAY ``too_many_pings``. Tests shrink it together with the client's ping interval.
    """

    def __init__(
        self,
        port: int = 0,
        clock: str | Clock = "stepped",
        speed: float = 1.0,
        latency_ms: float = 0,
        state_path: str | os.PathLike[str] | None = None,
        auth: bool = False,
        *,
        seed: int | None = 0,
        max_workers: int = 16,
        register_defaults: bool = True,
        text_timestamps: bool = False,
        min_ping_interval_ms: int = DEFAULT_MIN_PING_INTERVAL_MS,
    ) -> None:
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int in 0..65535 (0 picks a free port), got {port!r}")
        if isinstance(clock, str):
            if clock == "stepped":
                self._clock: Clock = StepClock()
            elif clock == "real":
                self._clock = RealClock(speed=speed)
                seed = None  # names must not repeat across real runs sharing a state file
            else:
                raise ValueError(f"clock must be 'stepped', 'real' or a Clock object, got {clock!r}")
        else:
            self._clock = clock
        if (
            isinstance(min_ping_interval_ms, bool)
            or not isinstance(min_ping_interval_ms, int)
            or min_ping_interval_ms < 1
        ):
            raise ValueError(f"min_ping_interval_ms must be a positive int, got {min_ping_interval_ms!r}")
        self._port = port
        self._min_ping_interval_ms = min_ping_interval_ms
        self._max_workers = int(max_workers)
        self._auth = bool(auth)
        self._register_defaults = register_defaults
        self._lock = threading.RLock()
        self.store = Store(state_path, now=self._clock.now)
        self.store.text_timestamps = bool(text_timestamps)
        self.authority = TokenAuthority() if auth else None
        self.knobs = KnobsInterceptor(latency_ms, token_check=self.authority.is_valid if self.authority else None)
        self._signer = BlobSigner(self._clock.now)
        self._http = HttpSide(
            self.authority or TokenAuthority(), self._signer, self.store.get_blob, pages=Pages(self.store).handle
        )
        self._ctx = AdminContext(self.store, NameGenerator(seed), self._http, self.authority)
        self._servicers = build_servicers(self._ctx, self._signer, auth=self._auth)
        self._gate = ServingGate()
        self._server: grpc.Server | None = None
        self._channel: grpc.Channel | None = None
        self._driver: Any = None
        self._registered: set[tuple[str, str, str, str]] = set()
        self._closed = False
        try:
            self.start()
        except BaseException:
            self.close()  # no clock thread or open file left behind by a failed start (e.g. port in use)
            raise

    # -- lifecycle --------------------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """``"127.0.0.1:PORT"`` of the gRPC server."""
        return f"127.0.0.1:{self._port}"

    @property
    def clock(self) -> Clock:
        """The sandbox's clock."""
        return self._clock

    @property
    def running(self) -> bool:
        """Whether the gRPC server is serving."""
        return self._server is not None

    def start(self) -> None:
        """Serve (again): after :meth:`stop` the same ports are reused and the state is kept. Idempotent."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this Sandbox is closed; create a new one")
            if self._server is not None:
                return
            self._http.start()
            server = grpc.server(
                ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="sandbox-grpc"),
                interceptors=[self.knobs],
                options=[
                    ("grpc.max_send_message_length", _MAX_MESSAGE),
                    ("grpc.max_receive_message_length", _MAX_MESSAGE),
                    ("grpc.so_reuseport", 0),  # a port clash must fail loudly, not share the port
                    # FlyteAdmin's keepalive enforcement on its plain gRPC listener is grpc-go's default
                    # (flyteadmin/pkg/server/service.go sets none): pings at most every 5 minutes during calls, one
                    # per 2 hours while idle (as grpcio's server judges them); the third bad ping earns GOAWAY
                    # too_many_pings.
                    ("grpc.http2.min_ping_interval_without_data_ms", self._min_ping_interval_ms),
                    ("grpc.keepalive_permit_without_calls", 0),
                    ("grpc.http2.max_ping_strikes", 2),
                ],
            )
            add_servicers(server, self._servicers)
            try:
                bound = server.add_insecure_port(f"127.0.0.1:{self._port}")
            except RuntimeError as err:
                raise OSError(f"cannot listen on 127.0.0.1:{self._port}: {err}") from err
            if not bound:
                raise OSError(f"cannot listen on 127.0.0.1:{self._port} (in use?)")
            self._port = bound
            server.start()
            self._server = server
            self._gate.set(True)
            if self._driver is None:
                self._driver = self._make_driver()
                self._ctx.driver = self._driver
            if self._register_defaults:
                self._register_defaults = False
                self._register_all(DEFAULT_PROJECT, DEFAULT_DOMAIN)

    def stop(self) -> None:
        """Stop serving (clients see UNAVAILABLE); state and ports are kept for :meth:`start`. Idempotent."""
        with self._lock:
            self._gate.set(False)
            if self._channel is not None:
                self._channel.close()
                self._channel = None
            if self._server is not None:
                self._server.stop(grace=None).wait()
                self._server = None
            self._http.stop()

    def close(self) -> None:
        """Stop everything for good: server, HTTP side, player, clock, SQLite file. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._gate.close()  # a player call waiting for a restart gives up
            # Clock first (no new callbacks), then the player, while the server still answers its last calls.
            self._clock.close()
            close = getattr(self._driver, "close", None)
            if callable(close):
                close()
            self.stop()
            self.store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _make_driver(self) -> Any:
        # Its calls go in-process through the servicers (see LocalCaller); the endpoint is kept for reference.
        return Player(
            endpoint=self.endpoint,
            clock=self._clock,
            store=self.store,
            transport=LocalCaller(self._servicers, self._gate),
            log_base=self._http.base_url,  # task log links open the HTTP side's log pages
        )

    @property
    def driver(self) -> ExecutionDriver | None:
        """What the admin calls after CreateExecution/Terminate/SetSignal (the player, unless replaced)."""
        return self._ctx.driver

    @driver.setter
    def driver(self, driver: ExecutionDriver | None) -> None:
        self._ctx.driver = driver

    # -- scenarios --------------------------------------------------------------------------------------------

    def _register_all(self, project: str, domain: str) -> None:
        for name in SCENARIOS:
            self._register(name, project, domain, {})

    def _register(self, scenario: str, project: str, domain: str, params: dict[str, Any]) -> Any:
        sc = get_scenario(scenario)
        version = sc.version(**params)
        key = (scenario, project, domain, version)
        if key not in self._registered:
            for entity in sc.entities(project, domain, **params):
                rt = entity.id.resource_type
                if rt == identifier_pb2.TASK:
                    self.store.put_task(entity)
                elif rt == identifier_pb2.WORKFLOW:
                    self.store.put_workflow(entity)
                elif rt == identifier_pb2.LAUNCH_PLAN:
                    self.store.put_launch_plan(entity)
                else:
                    raise ValueError(f"scenario {scenario!r} produced an entity of unknown type: {entity.id}")
            self._registered.add(key)
        return sc

    def _stub(self) -> admin_pb2_grpc.AdminServiceStub:
        with self._lock:
            if self._server is None:
                raise RuntimeError("the sandbox is stopped: call start() first")
            if self._channel is None:
                self._channel = grpc.insecure_channel(self.endpoint)
            return admin_pb2_grpc.AdminServiceStub(self._channel)

    def launch(
        self,
        scenario: str,
        project: str = DEFAULT_PROJECT,
        domain: str = DEFAULT_DOMAIN,
        name: str | None = None,
        **params: Any,
    ) -> identifier_pb2.WorkflowExecutionIdentifier:
        """Register ``scenario`` (for these ``params``) and create an execution of it over gRPC (as an internal
        call: not counted, not failed). Returns the execution id."""
        sc = self._register(scenario, project, domain, params)
        spec = execution_pb2.ExecutionSpec(launch_plan=sc.launch_plan_id(project, domain, **params))
        spec.metadata.mode = execution_pb2.ExecutionMetadata.MANUAL
        spec.metadata.principal = "sandbox"
        request = execution_pb2.ExecutionCreateRequest(
            project=project, domain=domain, name=name or "", spec=spec, inputs=sc.inputs(**params)
        )
        response = self._stub().CreateExecution(request, metadata=INTERNAL_METADATA, timeout=30)
        return response.id

    # -- time -------------------------------------------------------------------------------------------------

    def _step_clock(self) -> StepClock:
        if not isinstance(self._clock, StepClock):
            raise RuntimeError("advance()/run_until_done() need clock='stepped'; this sandbox runs in real time")
        return self._clock

    def advance(self, seconds: float) -> int:
        """Stepped clock: move time by ``seconds``, playing every due event synchronously. Returns how many
        scheduled steps ran."""
        return self._step_clock().advance(seconds)

    def run_until_done(
        self, wf_id: identifier_pb2.WorkflowExecutionIdentifier | str, max_seconds: float = 24 * 3600
    ) -> WorkflowPhase:
        """Stepped clock: advance until the execution is terminal (jumping from one due event to the next).

        Raises ``TimeoutError`` if it is not terminal after ``max_seconds`` of sandbox time, and
        ``RuntimeError`` if nothing is scheduled while it still runs (e.g. a gate waits for a signal).
        """
        clock = self._step_clock()
        ident = _wf_id(wf_id)
        start = clock.now()
        while True:
            phase = self.phase(ident)
            if phase in WORKFLOW_TERMINAL:
                return phase
            used = (clock.now() - start).total_seconds()
            if used >= max_seconds:
                raise TimeoutError(
                    f"execution {':'.join(exec_key(ident))} is still {phase.name} after {max_seconds}s of sandbox time"
                )
            due = clock.next_due()
            if due is None:
                raise RuntimeError(
                    f"execution {':'.join(exec_key(ident))} is {phase.name} but nothing is scheduled "
                    "(waiting for a signal or approval?)"
                )
            # at least a microsecond: a step due within one of now (datetimes round to microseconds) must not loop
            clock.advance(min(max((due - clock.now()).total_seconds(), 1e-6), max_seconds - used))

    # -- inspection -------------------------------------------------------------------------------------------

    def phase(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier | str) -> WorkflowPhase:
        """The execution's phase, from the store (``LookupError`` for an unknown execution)."""
        try:
            return WorkflowPhase(self.store.get_execution(_wf_id(wf_id)).closure.phase)
        except StoreError as err:
            raise LookupError(err.message) from None

    def truth(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier | str) -> dict[str, NodePhase]:
        """Every node the sandbox knows for an execution (children included), unique node id -> phase."""
        try:
            with self.store.reading:
                nodes = self.store.all_nodes(_wf_id(wf_id))
                return {r.proto.id.node_id: NodePhase(r.proto.closure.phase) for r in nodes}
        except StoreError as err:
            raise LookupError(err.message) from None

    @property
    def console_endpoint(self) -> str:
        """Where the sandbox's stand-in console pages are (``http://127.0.0.1:PORT`` of its HTTP side): pass it as
        a client's ``console_endpoint`` (``Remote.for_sandbox(sb.endpoint, console_endpoint=sb.console_endpoint)``),
        as a cluster's ``console.endpoint`` setting points clients at FlyteConsole."""
        return self._http.base_url

    def console_url(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier | str) -> str:
        """The execution's page on the HTTP side (a client with :attr:`console_endpoint` links to the same)."""
        ident = _wf_id(wf_id)
        return self.console_endpoint + console_path(ident.project, ident.domain, ident.name)

    # -- knobs ------------------------------------------------------------------------------------------------

    def rpc_counts(self) -> dict[str, int]:
        """Client calls per method short name (the sandbox's own calls excluded)."""
        return self.knobs.rpc_counts()

    def reset_rpc_counts(self) -> None:
        """Forget the counts."""
        self.knobs.reset_rpc_counts()

    def set_latency(self, ms: float) -> None:
        """Add ``ms`` milliseconds (real time) to every client call."""
        self.knobs.set_latency(ms)

    def fail_next(
        self, n: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE, methods: Collection[str] | str | None = None
    ) -> None:
        """Fail the next ``n`` client calls (to ``methods`` short names, or any) with ``code``."""
        self.knobs.fail_next(n, code, methods)

    def fail_fraction(
        self,
        p: float,
        code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE,
        seed: int | None = 0,
        methods: Collection[str] | str | None = None,
    ) -> None:
        """Fail each client call with probability ``p`` (seeded); ``p=0`` turns it off."""
        self.knobs.fail_fraction(p, code, seed, methods)

    def clear_failures(self) -> None:
        """Drop every pending injected failure."""
        self.knobs.clear_failures()

    @property
    def answer_cache(self) -> ResponseCache:
        """The read answers kept while the store is unchanged (``hits``/``misses`` counts; see :mod:`.cache`)."""
        return self._servicers.admin.cache

    def compare_timestamps_as_text(self, enabled: bool = True) -> None:
        """Answer timestamp filters as a SQLite-backed FlyteAdmin (single-binary sandboxes) does: flyteadmin passes
        the value as text (``util/filters.go``), and SQLite compares it with the stored ``2006-01-02 15:04:05...``
        text, so an RFC 3339 ``...T...Z`` value matches nothing on the same day (Postgres compares timestamps)."""
        with self.store.lock:
            self.store.text_timestamps = bool(enabled)

    def client_peers(self) -> list[str]:
        """The client connections (``ipv4:127.0.0.1:PORT``) calls came on, in order of first call: a client
        that had to reconnect (e.g. after a GOAWAY) shows a second one."""
        return self.knobs.peers()

    # -- auth -------------------------------------------------------------------------------------------------

    @property
    def auth_config(self) -> AuthConfig:
        """Client id/secret and the token and device endpoints (``auth=True`` only)."""
        if not self._auth:
            raise RuntimeError("this sandbox runs without auth: create it with Sandbox(auth=True)")
        return self._http.auth_config()

    def approve_device_code(self, user_code: str) -> None:
        """Approve a pending device-flow login, as the user would in the browser."""
        if self.authority is None:
            raise RuntimeError("this sandbox runs without auth: create it with Sandbox(auth=True)")
        self.authority.approve(user_code)

    def revoke_tokens(self, *, refresh_tokens: bool = False) -> None:
        """Invalidate every issued access token (clients must refresh or log in again); with ``refresh_tokens``
        every refresh token too (a device-flow client must log in again)."""
        if self.authority is None:
            raise RuntimeError("this sandbox runs without auth: create it with Sandbox(auth=True)")
        self.authority.revoke_all(refresh_tokens=refresh_tokens)
