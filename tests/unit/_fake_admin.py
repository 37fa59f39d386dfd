"""Small in-process fakes for the client tests: a gRPC server with FlyteAdmin servicers and an OAuth2 HTTP server.

The gRPC fakes record every call (method, metadata, the deadline the server saw) and can be told to fail the next
calls of a method with given status codes, or to require a bearer token.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from flyteidl.admin import execution_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import (
    admin_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    dataproxy_pb2,
    dataproxy_pb2_grpc,
    signal_pb2_grpc,
)


@dataclass
class Call:
    method: str
    metadata: dict[str, str]
    time_remaining: float | None
    request: Any


@dataclass
class State:
    """Shared by all fake servicers of one server."""

    calls: list[Call] = field(default_factory=list)
    fail: dict[str, list[grpc.StatusCode]] = field(default_factory=dict)  # method -> codes for its next calls
    required_auth: tuple[str, str] | None = None  # (metadata key, "Bearer tok") every non-auth call must carry
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, method: str, request: Any, context: grpc.ServicerContext) -> None:
        md = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        with self.lock:
            self.calls.append(Call(method, md, context.time_remaining(), request))
            queued = self.fail.get(method)
            code = queued.pop(0) if queued else None
        if code is not None:
            context.abort(code, f"injected {code.name}")
        if self.required_auth is not None:
            key, value = self.required_auth
            if md.get(key) != value:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "token missing or invalid")

    def count(self, method: str) -> int:
        return sum(1 for c in self.calls if c.method == method)

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


def wf_id(name: str = "exec1", project: str = "flytesnacks", domain: str = "development") -> Any:
    return identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)


def node_execution(wid: Any, node_id: str, created_s: int) -> Any:
    ne = node_execution_pb2.NodeExecution(id=identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wid))
    ne.closure.created_at.FromSeconds(created_s)
    return ne


def _page(items: list[Any], request: Any, context: grpc.ServicerContext) -> tuple[list[Any], str]:
    """FlyteAdmin's offset paging: token = str(offset + n) only when the page is full."""
    if request.limit <= 0:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "limit must be > 0")
    try:
        offset = int(request.token or "0")
    except ValueError:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad token")
    chunk = items[offset : offset + request.limit]
    token = str(offset + len(chunk)) if len(chunk) == request.limit else ""
    return chunk, token


class FakeAdmin(admin_pb2_grpc.AdminServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state
        self.executions: dict[str, Any] = {}
        self.node_executions: list[Any] = []  # returned sorted by created_at when asked ascending
        self.task_executions: list[Any] = []

    def add_execution(self, wid: Any) -> Any:
        ex = execution_pb2.Execution(id=wid)
        self.executions[wid.name] = ex
        return ex

    def GetExecution(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("GetExecution", request, context)
        ex = self.executions.get(request.id.name)
        if ex is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "missing entity")
        return ex

    def ListNodeExecutions(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("ListNodeExecutions", request, context)
        items = list(self.node_executions)
        if request.sort_by.key == "created_at":
            items.sort(
                key=lambda n: n.closure.created_at.seconds,
                reverse=request.sort_by.direction == request.sort_by.DESCENDING,
            )
        chunk, token = _page(items, request, context)
        return node_execution_pb2.NodeExecutionList(node_executions=chunk, token=token)

    def ListTaskExecutions(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("ListTaskExecutions", request, context)
        chunk, token = _page(self.task_executions, request, context)
        return task_execution_pb2.TaskExecutionList(task_executions=chunk, token=token)

    def TerminateExecution(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("TerminateExecution", request, context)
        return execution_pb2.ExecutionTerminateResponse()

    def RelaunchExecution(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("RelaunchExecution", request, context)
        new = identifier_pb2.WorkflowExecutionIdentifier(
            project=request.id.project, domain=request.id.domain, name=request.name or "relaunched"
        )
        return execution_pb2.ExecutionCreateResponse(id=new)

    def RecoverExecution(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("RecoverExecution", request, context)
        new = identifier_pb2.WorkflowExecutionIdentifier(
            project=request.id.project, domain=request.id.domain, name=request.name or "recovered"
        )
        return execution_pb2.ExecutionCreateResponse(id=new)


class FakeSignal(signal_pb2_grpc.SignalServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state
        self.signals: list[Any] = []
        self.set: list[Any] = []

    def ListSignals(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("ListSignals", request, context)
        chunk, token = _page(self.signals, request, context)
        return signal_pb2.SignalList(signals=chunk, token=token)

    def SetSignal(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("SetSignal", request, context)
        self.set.append(request)
        return signal_pb2.SignalSetResponse()


class FakeDataProxy(dataproxy_pb2_grpc.DataProxyServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state
        self.decks: dict[str, list[str]] = {}  # node id -> signed urls

    def CreateDownloadLink(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.state.enter("CreateDownloadLink", request, context)
        urls = self.decks.get(request.node_execution_id.node_id)
        if urls is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no deck")
        return dataproxy_pb2.CreateDownloadLinkResponse(pre_signed_urls=dataproxy_pb2.PreSignedURLs(signed_url=urls))


class FakeAuthMetadata(auth_pb2_grpc.AuthMetadataServiceServicer):
    """Answers UNIMPLEMENTED (auth disabled) until ``public``/``oauth`` are set."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.public: Any = None
        self.oauth: Any = None

    def GetPublicClientConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self.state.lock:
            self.state.calls.append(Call("GetPublicClientConfig", {}, context.time_remaining(), request))
        if self.public is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "auth disabled")
        return self.public

    def GetOAuth2Metadata(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self.state.lock:
            self.state.calls.append(Call("GetOAuth2Metadata", {}, context.time_remaining(), request))
        if self.oauth is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "auth disabled")
        return self.oauth

    def configure(self, *, header_key: str = "", token_endpoint: str = "", device_endpoint: str = "") -> None:
        self.public = auth_pb2.PublicClientAuthConfigResponse(
            client_id="flytectl", authorization_metadata_key=header_key, scopes=["all"]
        )
        self.oauth = auth_pb2.OAuth2MetadataResponse(
            token_endpoint=token_endpoint, device_authorization_endpoint=device_endpoint
        )


@dataclass
class FakeServer:
    endpoint: str
    state: State
    admin: FakeAdmin
    signal: FakeSignal
    dataproxy: FakeDataProxy
    auth: FakeAuthMetadata


@contextmanager
def serve(tls: tuple[bytes, bytes] | None = None) -> Iterator[FakeServer]:
    """An in-process gRPC server on 127.0.0.1 with every fake servicer; ``tls=(key_pem, cert_pem)`` serves TLS."""
    state = State()
    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    fakes = FakeServer("", state, FakeAdmin(state), FakeSignal(state), FakeDataProxy(state), FakeAuthMetadata(state))
    admin_pb2_grpc.add_AdminServiceServicer_to_server(fakes.admin, server)
    signal_pb2_grpc.add_SignalServiceServicer_to_server(fakes.signal, server)
    dataproxy_pb2_grpc.add_DataProxyServiceServicer_to_server(fakes.dataproxy, server)
    auth_pb2_grpc.add_AuthMetadataServiceServicer_to_server(fakes.auth, server)
    if tls is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([tls]))
    server.start()
    fakes.endpoint = f"127.0.0.1:{port}"
    try:
        yield fakes
    finally:
        server.stop(None)


def bool_value(lit: Any) -> bool:
    assert lit.WhichOneof("value") == "scalar"
    return bool(lit.scalar.primitive.boolean)


# ---------------------------------------------------------------- OAuth2 HTTP fake


@dataclass
class HttpRequest:
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class FakeIdP:
    """A stdlib HTTP server answering POSTs from per-path scripts of ``(status, json)`` replies."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []
        self.replies: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                idp.requests.append(HttpRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, form))
                script = idp.replies.get(self.path) or [(404, {"error": "not_found"})]
                status, body = script.pop(0) if len(script) > 1 else script[0]
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # a short poll interval so shutdown() returns at once
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> FakeIdP:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class RawHttp:
    """A TCP server on 127.0.0.1 that reads each request (headers and a Content-Length body) and answers with
    ``answer(send)``: raw bytes, written as the test likes (a redirect, an answer dripped a byte at a time, a huge
    one). ``requests`` holds every request received, raw."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self._closing = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._sock.settimeout(0.05)  # accept() wakes up to see the server closing
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(30)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.requests.append(head + b"\r\n\r\n" + body)

            def send(raw: bytes) -> bool:
                """Write ``raw``; False once the client went away or the server is closing."""
                if self._closing.is_set():
                    return False
                try:
                    conn.sendall(raw)
                except OSError:
                    return False
                return True

            self.answer(send)

    def __enter__(self) -> RawHttp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._thread.join(5)
        self._sock.close()
