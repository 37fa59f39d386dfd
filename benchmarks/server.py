"""The sandbox in a child process, driven over a pipe: what every benchmark case runs against.

Why a child process: a real FlyteAdmin runs elsewhere. In the same process the server's threads would share the
GIL with the client under test (slowing a concurrent client more than a serial one) and its CPU time would count
as the kernel's. :class:`SandboxProcess` mirrors the parts of :class:`~flyteexec_widget.sandbox.Sandbox` the
benchmarks use; execution ids cross the pipe as ``"project:domain:name"`` strings.

Added latency must model a network: N concurrent calls take about one latency, not N. If the sandbox's own
``latency_ms`` serialises calls (a sleep on gRPC's single serving thread), the child applies the latency itself,
per call on the worker thread, and says so in :attr:`SandboxProcess.latency_mode`.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, cast

#: Worker threads of the child's gRPC server: more than any client's concurrency (ours uses 16).
SERVER_WORKERS = 64
#: Probe of the sandbox's latency knob: this many concurrent calls at PROBE_MS each.
PROBE_CALLS = 16
PROBE_MS = 20.0


def _wf_key(wf_id: Any) -> str:
    return f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"


class _ChildState:
    """Everything the child keeps: the sandbox, and per-call latency when the benchmark applies it itself."""

    def __init__(self, clock: str, speed: float) -> None:
        from flyteexec_widget.sandbox import Sandbox

        from .scenario import register

        register()
        self.sb = Sandbox(port=0, clock=clock, speed=speed, max_workers=SERVER_WORKERS)
        self.latency_s = 0.0
        self.latency_mode = "sandbox"
        if self._sandbox_latency_serialises():
            self._install_own_latency()
            self.latency_mode = "benchmark (per call, concurrent)"
        #: Client calls and response bytes per client (the user agent's first word), see client_counts().
        self.by_client: dict[str, list[int]] = {}
        self._counts_lock = threading.Lock()
        self._install_client_counters()

    # -- latency -------------------------------------------------------------------------------------------------
    def _probe(self) -> float:
        import grpc
        from flyteidl.admin import execution_pb2
        from flyteidl.core import identifier_pb2
        from flyteidl.service import admin_pb2_grpc

        channel = grpc.insecure_channel(self.sb.endpoint)
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        req = execution_pb2.WorkflowExecutionGetRequest(
            id=identifier_pb2.WorkflowExecutionIdentifier(project="probe", domain="probe", name="probe")
        )

        def call(_: int) -> None:
            with contextlib.suppress(grpc.RpcError):  # NOT_FOUND is the expected answer: only the time matters
                stub.GetExecution(req, timeout=10)

        call(0)
        with ThreadPoolExecutor(PROBE_CALLS) as pool:
            t0 = time.perf_counter()
            list(pool.map(call, range(PROBE_CALLS)))
            elapsed = time.perf_counter() - t0
        channel.close()
        return elapsed

    def _sandbox_latency_serialises(self) -> bool:
        self.sb.set_latency(PROBE_MS)
        try:
            elapsed = self._probe()
        finally:
            self.sb.set_latency(0)
            self.sb.reset_rpc_counts()
        # Concurrent: ~1 x PROBE_MS. Serialised: ~PROBE_CALLS x PROBE_MS.
        return elapsed > 4 * PROBE_MS / 1000.0

    def _install_own_latency(self) -> None:
        """Wrap the sandbox's interceptor so each client call sleeps on its own worker thread."""
        from flyteexec_widget.sandbox.knobs import INTERNAL_METADATA_KEY

        knobs = self.sb.knobs
        original = knobs.intercept_service
        state = self

        def intercept_service(continuation: Callable[[Any], Any], details: Any) -> Any:
            handler = original(continuation, details)
            internal = any(k == INTERNAL_METADATA_KEY for k, _ in (details.invocation_metadata or ()))
            if handler is None or internal or handler.unary_unary is None:
                return handler
            inner = handler.unary_unary

            def delayed(request: Any, context: Any) -> Any:
                if state.latency_s:
                    time.sleep(state.latency_s)
                return inner(request, context)

            return cast(Any, handler)._replace(unary_unary=delayed)  # grpc's handlers are namedtuples

        # The instance attribute shadows the method, in the child process only.
        knobs.intercept_service = intercept_service  # type: ignore[method-assign]

    def _install_client_counters(self) -> None:
        """Count each client call and the bytes of its response message (the protobuf payload, without gRPC's
        framing) per client, told apart by the first word of its user agent (the benchmark gives ours its own)."""
        from flyteexec_widget.sandbox.knobs import INTERNAL_METADATA_KEY

        knobs = self.sb.knobs
        original = knobs.intercept_service
        state = self

        def intercept_service(continuation: Callable[[Any], Any], details: Any) -> Any:
            handler = original(continuation, details)
            metadata = dict(details.invocation_metadata or ())
            if handler is None or INTERNAL_METADATA_KEY in metadata or handler.unary_unary is None:
                return handler
            client = str(metadata.get("user-agent", "?")).split(" ")[0].split("/")[0]
            with state._counts_lock:
                state.by_client.setdefault(client, [0, 0])[0] += 1
            inner = handler.unary_unary

            def counted(request: Any, context: Any) -> Any:
                response = inner(request, context)
                with state._counts_lock:
                    state.by_client[client][1] += response.ByteSize()
                return response

            return cast(Any, handler)._replace(unary_unary=counted)

        knobs.intercept_service = intercept_service  # type: ignore[method-assign]

    def client_counts(self, reset: bool = False) -> dict[str, tuple[int, int]]:
        """``{client: (calls, response bytes)}`` since the last reset."""
        with self._counts_lock:
            out = {k: (v[0], v[1]) for k, v in self.by_client.items()}
            if reset:
                self.by_client.clear()
        return out

    def set_latency(self, ms: float) -> None:
        if self.latency_mode == "sandbox":
            self.sb.set_latency(ms)
        else:
            self.latency_s = float(ms) / 1000.0

    # -- scenario helpers --------------------------------------------------------------------------------------
    def _wf(self, key: str) -> Any:
        from flyteidl.core import identifier_pb2

        p, d, n = key.split(":")
        return identifier_pb2.WorkflowExecutionIdentifier(project=p, domain=d, name=n)

    def launch(self, scenario: str, params: dict[str, Any]) -> str:
        return _wf_key(self.sb.launch(scenario, **params))

    def answer_signals(self, key: str) -> int:
        """Approve every approve gate and give every typed signal a value (as internal calls: not counted)."""
        import grpc
        from flyteidl.admin import signal_pb2
        from flyteidl.core import literals_pb2, types_pb2
        from flyteidl.service import signal_pb2_grpc

        from flyteexec_widget.sandbox.knobs import INTERNAL_METADATA

        channel = grpc.insecure_channel(self.sb.endpoint)
        stub = signal_pb2_grpc.SignalServiceStub(channel)
        wf = self._wf(key)
        answered = 0
        resp = stub.ListSignals(
            signal_pb2.SignalListRequest(workflow_execution_id=wf, limit=1000), metadata=INTERNAL_METADATA, timeout=30
        )
        for sig in resp.signals:
            if sig.HasField("value"):
                continue
            simple = sig.type.simple
            prim = literals_pb2.Primitive()
            if simple == types_pb2.BOOLEAN:
                prim.boolean = True
            elif simple == types_pb2.FLOAT:
                prim.float_value = 0.5
            elif simple == types_pb2.INTEGER:
                prim.integer = 1
            else:
                prim.string_value = "ok"
            value = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=prim))
            stub.SetSignal(signal_pb2.SignalSetRequest(id=sig.id, value=value), metadata=INTERNAL_METADATA, timeout=30)
            answered += 1
        channel.close()
        return answered

    def settle(self, key: str, max_seconds: float) -> str:
        """Stepped clock: run until terminal, answering gates whenever nothing else is scheduled."""
        wf = self._wf(key)
        for _ in range(20):
            try:
                return str(self.sb.run_until_done(wf, max_seconds=max_seconds).name)
            except RuntimeError:
                if not self.answer_signals(key):
                    raise
        return str(self.sb.phase(wf).name)

    def auto_answer(self, key: str, period_s: float) -> None:
        """Real clock: answer the execution's signals in the background until it is terminal."""
        from flyteexec_widget.objects.phases import WORKFLOW_TERMINAL

        wf = self._wf(key)

        def loop() -> None:
            while self.sb.phase(wf) not in WORKFLOW_TERMINAL:
                with contextlib.suppress(Exception):  # the execution may end meanwhile; the next round sees it
                    self.answer_signals(key)
                time.sleep(period_s)

        threading.Thread(target=loop, daemon=True, name="bench-signals").start()

    def terminal_at(self, key: str) -> float | None:
        """When the execution became terminal (its ``updated_at``, sandbox time as epoch seconds), else None."""
        from flyteexec_widget.objects.phases import WORKFLOW_TERMINAL

        proto = self.sb.store.get_execution(self._wf(key))
        if self.sb.phase(self._wf(key)) not in WORKFLOW_TERMINAL:
            return None
        return float(proto.closure.updated_at.ToNanoseconds()) / 1e9

    def truth(self, key: str) -> dict[str, str]:
        return {k: v.name for k, v in self.sb.truth(self._wf(key)).items()}

    def dispatch(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        own = {
            "launch",
            "settle",
            "auto_answer",
            "answer_signals",
            "terminal_at",
            "truth",
            "set_latency",
            "client_counts",
        }
        if method in own:
            return getattr(self, method)(*args, **kwargs)
        if method == "endpoint":
            return self.sb.endpoint
        if method == "latency_mode":
            return self.latency_mode
        if method == "advance":
            return self.sb.advance(*args)
        if method == "phase":
            return self.sb.phase(self._wf(args[0])).name
        if method == "rpc_counts":
            return self.sb.rpc_counts()
        if method == "reset_rpc_counts":
            return self.sb.reset_rpc_counts()
        if method == "now":
            return self.sb.clock.now().timestamp()
        raise ValueError(f"unknown sandbox command {method!r}")


def _exit_with_parent() -> None:
    """End this process when the benchmark process is gone (killed before it could say goodbye)."""
    parent = os.getppid()
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _child_main(conn: Connection, clock: str, speed: float) -> None:
    threading.Thread(target=_exit_with_parent, daemon=True, name="bench-parent-watch").start()
    try:
        state = _ChildState(clock, speed)
    except BaseException:
        conn.send(("err", traceback.format_exc()))
        return
    conn.send(("ok", (state.sb.endpoint, state.latency_mode)))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            break
        if msg is None:
            break
        method, args, kwargs = msg
        try:
            conn.send(("ok", state.dispatch(method, args, kwargs)))
        except BaseException:
            conn.send(("err", traceback.format_exc()))
    state.sb.close()


class SandboxError(RuntimeError):
    """A command failed in the sandbox process (the message carries its traceback)."""


class SandboxProcess:
    """A :class:`~flyteexec_widget.sandbox.Sandbox` running in a child process (``clock="stepped"|"real"``)."""

    def __init__(self, clock: str = "stepped", speed: float = 1.0) -> None:
        if clock not in ("stepped", "real"):
            raise ValueError(f"clock must be 'stepped' or 'real', got {clock!r}")
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_child_main, args=(child, clock, speed), daemon=True, name="bench-sandbox")
        self._proc.start()
        child.close()
        self._lock = threading.Lock()
        self.clock = clock
        status, value = self._conn.recv()
        if status != "ok":
            self._proc.join(5)
            raise SandboxError(f"the sandbox process failed to start:\n{value}")
        self.endpoint: str = value[0]
        #: "sandbox" (its own latency knob) or "benchmark (per call, concurrent)" (see the module docstring).
        self.latency_mode: str = value[1]

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self._conn.send((method, args, kwargs))
            status, value = self._conn.recv()
        if status != "ok":
            raise SandboxError(f"sandbox {method}{args} failed:\n{value}")
        return value

    def launch(self, scenario: str, **params: int) -> str:
        """Create an execution; returns ``"project:domain:name"``."""
        return str(self._call("launch", scenario, params))

    def advance(self, seconds: float) -> int:
        return int(self._call("advance", seconds))

    def settle(self, wf: str, max_seconds: float = 7200) -> str:
        """Run to a terminal phase (stepped clock), answering gates; returns the phase name."""
        return str(self._call("settle", wf, max_seconds))

    def auto_answer(self, wf: str, period_s: float = 0.05) -> None:
        self._call("auto_answer", wf, period_s)

    def phase(self, wf: str) -> str:
        return str(self._call("phase", wf))

    def terminal_at(self, wf: str) -> float | None:
        value = self._call("terminal_at", wf)
        return None if value is None else float(value)

    def truth(self, wf: str) -> dict[str, str]:
        return dict(self._call("truth", wf))

    def rpc_counts(self) -> dict[str, int]:
        return dict(self._call("rpc_counts"))

    def reset_rpc_counts(self) -> None:
        self._call("reset_rpc_counts")

    def client_counts(self, reset: bool = False) -> dict[str, tuple[int, int]]:
        """``{client: (calls, response bytes)}`` since the last reset; clients are told apart by their user agent's
        first word (ours: :data:`benchmarks.clients.OURS_AGENT`; flytekit's: ``grpc-python``)."""
        return {k: (int(v[0]), int(v[1])) for k, v in self._call("client_counts", reset).items()}

    def set_latency(self, ms: float) -> None:
        self._call("set_latency", ms)

    def now(self) -> float:
        """The sandbox clock, as epoch seconds."""
        return float(self._call("now"))

    def close(self) -> None:
        if self._proc.is_alive():
            try:
                with self._lock:
                    self._conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(5)
        self._conn.close()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
