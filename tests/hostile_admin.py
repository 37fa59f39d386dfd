"""A hostile FlyteAdmin for tests: a real gRPC server on 127.0.0.1 whose every answer the test chooses.

It serves every method of AdminService, SignalService, DataProxyService and AuthMetadataService. For each method
a test scripts a sequence of replies with :meth:`HostileAdmin.script`; each call takes the next one and the last
one repeats for ever. A reply is:

- a protobuf message: sent as it is, whatever its type (unknown enum values, extreme numbers, huge strings...);
- ``bytes``: sent as the serialized response, untouched (:func:`with_unknown_field` adds a field no client knows);
- ``Status(code, details)`` or a bare ``grpc.StatusCode``: the call fails with that status;
- :data:`HANG` (or ``Hang(then=...)``): the call is accepted and never answered until the client gives up (its
  deadline or a cancel), :meth:`HostileAdmin.release` (then it answers ``then``: UNAVAILABLE by default), or the
  server stops;
- a callable ``(request, context) -> reply``: decided per call (it may return any of the above).

Methods that were not scripted answer UNIMPLEMENTED (for AuthMetadataService that means "auth disabled", as on a
sandbox). Every call is recorded (:attr:`HostileAdmin.calls`); :meth:`HostileAdmin.wait_for_call` blocks until a
call arrived, so a test knows the client is stuck inside it. The ``hostile_admin`` fixture (``tests/conftest.py``)
gives a started server per test; :func:`execution` and :meth:`HostileAdmin.serve_execution` build the answers a
fetch and a watch need, for tests that poison only one value.

Examples::

    # fetch works, then every later call hangs: wait() must still time out on time
    hostile_admin.script("GetExecution", execution("ex1"), HANG)
    remote = Remote.for_sandbox(hostile_admin.endpoint)
    ex = remote.fetch_execution("flytesnacks:development:ex1")

    # a burst of INTERNAL, then normal answers
    burst = [Status(grpc.StatusCode.INTERNAL, "database is down")] * 20
    hostile_admin.script("GetExecution", *burst, execution("ex1"))

    # a node with an error kind and a phase this flyteidl does not know, plus an unknown field on the execution
    bad = node_execution("ex1", "n0", phase=99)
    bad.closure.error.kind = 42
    hostile_admin.serve_execution(with_unknown_field(execution("ex1"), 4242, b"from the future"), nodes=[bad])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import grpc
from flyteidl.admin import execution_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import admin_pb2, auth_pb2, dataproxy_pb2
from flyteidl.service import signal_pb2 as signal_service_pb2
from google.protobuf import message_factory
from google.protobuf.message import Message

__all__ = [
    "HANG",
    "Call",
    "Hang",
    "HostileAdmin",
    "Status",
    "execution",
    "node_execution",
    "task_execution",
    "wf_id",
    "with_unknown_field",
]

_SERVICES = (
    admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
    signal_service_pb2.DESCRIPTOR.services_by_name["SignalService"],
    dataproxy_pb2.DESCRIPTOR.services_by_name["DataProxyService"],
    auth_pb2.DESCRIPTOR.services_by_name["AuthMetadataService"],
)
#: Method name -> its service; the four services share no method name, so a bare name is enough.
METHODS = {m.name: s for s in _SERVICES for m in s.methods}


@dataclass(frozen=True)
class Status:
    """A reply that fails the call with ``code`` and ``details``."""

    code: grpc.StatusCode
    details: str = ""


@dataclass(frozen=True)
class Hang:
    """A reply that never comes: the call waits until the client gives up, :meth:`HostileAdmin.release` (then it
    answers ``then``) or the server stops."""

    then: Any = Status(grpc.StatusCode.UNAVAILABLE, "released by the test")


#: Accept the call and never answer it.
HANG = Hang()


@dataclass
class Call:
    """One call the server received."""

    method: str
    request: Any
    metadata: dict[str, str]
    time_remaining: float | None  # the client's deadline as the server saw it (None: no deadline)
    at: float = field(default_factory=time.monotonic)


class HostileAdmin:
    """A gRPC FlyteAdmin on 127.0.0.1 answering what each method was scripted to answer (see the module docstring).

    Use as a context manager (or the ``hostile_admin`` fixture); :attr:`endpoint` is ``"127.0.0.1:<port>"``.
    """

    def __init__(self, max_workers: int = 64) -> None:
        self.endpoint = ""
        self.calls: list[Call] = []
        self._scripts: dict[str, list[Any]] = {}
        self._cond = threading.Condition()
        self._hung: set[threading.Event] = set()
        self._stopping = False
        # Hung calls each hold a server thread until released: room for many before later calls would queue.
        self._server = grpc.server(ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="hostile-admin"))
        for service in _SERVICES:
            handlers = {m.name: self._handler(m) for m in service.methods}
            self._server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))

    # ---- scripting ---------------------------------------------------------------------------------------------

    def script(self, method: str, *replies: Any) -> None:
        """Answer the next calls of ``method`` with ``replies`` in order, the last one for ever after (replaces
        what was scripted for it). No replies: back to UNIMPLEMENTED."""
        if method not in METHODS:
            raise ValueError(f"no FlyteAdmin method {method!r}; valid: {', '.join(sorted(METHODS))}")
        with self._cond:
            self._scripts[method] = list(replies)

    def release(self) -> None:
        """Let every call hung right now answer its ``Hang.then`` (later HANG replies hang again)."""
        with self._cond:
            hung = list(self._hung)
        for ev in hung:
            ev.set()

    def serve_execution(
        self,
        ex: Message | bytes,
        *,
        nodes: Iterable[Any] = (),
        children: Mapping[str, Iterable[Any]] | None = None,
        tasks: Iterable[Any] = (),
        workflow: Any = Status(grpc.StatusCode.NOT_FOUND, "no workflow"),
    ) -> None:
        """Script what fetching and watching one execution asks: ``GetExecution`` answers ``ex``,
        ``ListNodeExecutions`` the top-level ``nodes`` (one page), or ``children[parent node id]`` for a parent,
        ``ListTaskExecutions`` the ``tasks`` of the node asked for, ``GetWorkflow`` ``workflow`` (NOT_FOUND: node
        kinds then come from node metadata), ``ListSignals`` none."""
        # A NodeExecution does not carry its parent (FlyteAdmin keeps it in a column): given here by parent id.
        levels = {"": list(nodes), **{k: list(v) for k, v in (children or {}).items()}}
        task_list = list(tasks)

        def list_nodes(request: Any, context: Any) -> Any:
            return node_execution_pb2.NodeExecutionList(node_executions=levels.get(request.unique_parent_id, []))

        def list_tasks(request: Any, context: Any) -> Any:
            picked = [t for t in task_list if t.id.node_execution_id.node_id == request.node_execution_id.node_id]
            return task_execution_pb2.TaskExecutionList(task_executions=picked)

        self.script("GetExecution", ex)
        self.script("ListNodeExecutions", list_nodes)
        self.script("ListTaskExecutions", list_tasks)
        self.script("GetWorkflow", workflow)
        self.script("ListSignals", signal_pb2.SignalList())

    # ---- observing -----------------------------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        """The calls of ``method`` received so far."""
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for_call(self, method: str, count: int = 1, timeout: float = 30.0) -> Call:
        """Block until ``method`` was called ``count`` times; return that call. Raises ``AssertionError`` after
        ``timeout`` seconds (a generous bound: the client never called)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._of(method)) >= count, timeout):
                seen = [c.method for c in self.calls]
                raise AssertionError(f"{method} was not called {count} time(s) within {timeout}s; calls: {seen}")
            return self._of(method)[count - 1]

    def _of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # ---- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> HostileAdmin:
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.endpoint = f"127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        """Stop serving: every hung call ends, the clients see UNAVAILABLE or CANCELLED."""
        with self._cond:
            self._stopping = True
        self.release()
        self._server.stop(None).wait(5)

    def __enter__(self) -> HostileAdmin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- serving -------------------------------------------------------------------------------------------------

    def _handler(self, method: Any) -> grpc.RpcMethodHandler:
        request_class = message_factory.GetMessageClass(method.input_type)
        name = method.name

        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            md = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
            with self._cond:
                self.calls.append(Call(name, request, md, context.time_remaining()))
                script = self._scripts.get(name)
                reply = (script.pop(0) if len(script) > 1 else script[0]) if script else None
                self._cond.notify_all()
            if reply is None:
                reply = Status(grpc.StatusCode.UNIMPLEMENTED, f"{name} is not scripted")
            return self._answer(reply, request, context)

        return grpc.unary_unary_rpc_method_handler(
            handle, request_deserializer=request_class.FromString, response_serializer=_serialize
        )

    def _answer(self, reply: Any, request: Any, context: grpc.ServicerContext) -> Any:
        while True:
            if isinstance(reply, grpc.StatusCode):
                reply = Status(reply)
            if isinstance(reply, Status):
                context.abort(reply.code, reply.details)
            if isinstance(reply, Hang):
                reply = self._hang(reply, context)
                continue
            if callable(reply) and not isinstance(reply, (Message, bytes)):
                reply = reply(request, context)
                continue
            return reply

    def _hang(self, hang: Hang, context: grpc.ServicerContext) -> Any:
        ev = threading.Event()
        with self._cond:
            self._hung.add(ev)
            if self._stopping:
                ev.set()
        # the client's deadline or cancel ends the call on the server too: stop holding a thread for it
        context.add_callback(ev.set)
        try:
            ev.wait()
        finally:
            with self._cond:
                self._hung.discard(ev)
        if self._stopping:
            return Status(grpc.StatusCode.UNAVAILABLE, "the server is stopping")
        if not context.is_active():
            return Status(grpc.StatusCode.CANCELLED, "the client went away")  # nobody reads it
        return hang.then


def _serialize(reply: Any) -> bytes:
    return reply if isinstance(reply, bytes) else reply.SerializeToString()


# ---- builders ------------------------------------------------------------------------------------------------


def wf_id(name: str = "ex1", project: str = "flytesnacks", domain: str = "development") -> Any:
    """A ``WorkflowExecutionIdentifier``."""
    return identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)


def execution(
    name: str = "ex1", phase: int = core_execution_pb2.WorkflowExecution.RUNNING, started_s: int = 1000
) -> Any:
    """An admin ``Execution`` of ``flytesnacks:development:<name>`` in ``phase``, started at ``started_s``."""
    ex = execution_pb2.Execution(id=wf_id(name))
    ex.closure.phase = phase
    ex.closure.created_at.FromSeconds(started_s)
    ex.closure.started_at.FromSeconds(started_s)
    ex.closure.updated_at.FromSeconds(started_s)
    return ex


def node_execution(
    ex_name: str, node_id: str, phase: int = core_execution_pb2.NodeExecution.RUNNING, created_s: int = 1000
) -> Any:
    """An admin ``NodeExecution`` ``node_id`` of execution ``ex_name`` in ``phase``."""
    ne = node_execution_pb2.NodeExecution(
        id=identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf_id(ex_name))
    )
    ne.metadata.spec_node_id = node_id
    ne.closure.phase = phase
    ne.closure.created_at.FromSeconds(created_s)
    ne.closure.started_at.FromSeconds(created_s)
    ne.closure.updated_at.FromSeconds(created_s)
    return ne


def task_execution(node: Any, attempt: int = 0, phase: int = core_execution_pb2.TaskExecution.RUNNING) -> Any:
    """An admin ``TaskExecution`` (attempt ``attempt``) of ``node`` (a ``NodeExecution``)."""
    te = task_execution_pb2.TaskExecution()
    te.id.node_execution_id.CopyFrom(node.id)
    te.id.task_id.CopyFrom(
        identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project="flytesnacks", domain="development")
    )
    te.id.task_id.name = f"tasks.{node.id.node_id}"
    te.id.retry_attempt = attempt
    te.closure.phase = phase
    te.closure.created_at.CopyFrom(node.closure.created_at)
    te.closure.updated_at.CopyFrom(node.closure.updated_at)
    return te


def with_unknown_field(msg: Message | bytes, number: int = 4242, value: bytes = b"unknown") -> bytes:
    """``msg`` serialized with a length-delimited field ``number`` appended that no flyteidl message declares."""
    raw = msg if isinstance(msg, bytes) else msg.SerializeToString()
    return raw + _varint(number << 3 | 2) + _varint(len(value)) + value


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)
