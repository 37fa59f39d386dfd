"""The propeller side of the sandbox: plays a scenario's script as workflow/node/task execution events.

:class:`Player` implements the ``ExecutionDriver`` the admin calls (``on_create``, ``on_terminate``,
``on_signal``). It interprets a :class:`~.scenarios.Script` generically - one interpreter for every scenario - and
reports progress only through the admin's own event RPCs (``CreateWorkflowEvent``, ``CreateNodeEvent``,
``CreateTaskEvent``), creates gate signals through ``SignalService.GetOrCreateSignal`` and child executions
through ``CreateExecution``, exactly as flytepropeller does. Inside a Sandbox those calls reach the servicers
in-process (:class:`~.admin.LocalCaller`: serialized, same handler code, no gRPC transport cost); a standalone
Player uses a gRPC channel to ``endpoint``. All state a client sees therefore
comes from events, projected by the admin as FlyteAdmin would.

Propeller details kept (flyteorg/flyte, flytepropeller ``pkg/controller/nodes``):
- unique node ids: ``parentUniqueId-parentAttempt-nodeId``, hashed to ``"f" + base32(fnv32a)`` past 20 chars
  (``common.GenerateUniqueID`` / ``encoding.FixedLengthUniqueIDForParts``); ``retry_group`` = parent attempt;
  ``spec_node_id``, ``node_name``, ``parent_node_metadata``, ``is_parent``/``is_dynamic``/``is_array`` flags;
- start-node and end-node events for workflows, subworkflows and dynamic workflows;
- one task execution per attempt; a retryable failure is reported as task ``FAILED`` (propeller maps
  ``PhaseRetryableFailure`` to ``TaskExecution_FAILED``) and the node stays RUNNING while the next attempt starts;
- array nodes (event version 0): one task execution, ``task_type="container_array"``,
  ``metadata.plugin_identifier="k8s-array"``, ``event_version=1``, ``external_resources`` per subtask attempt with
  ids ``<generated>-n<index>-<retry>``;
- dynamic nodes report DYNAMIC_RUNNING with the generated workflow in ``task_node_metadata.dynamic_workflow``
  (RUNNING when the workflow's event version is below 2); a generated workflow that times out is a retryable
  failure: the node is retried without an event of its own, and the next attempt's children are
  ``<node>-<attempt>-<id>`` (``nodes/dynamic``, ``executor.go`` ``handleRetryableFailure``);
- array nodes with event version 1: subtasks are child node executions ``GenerateUniqueID(array, attempt, n<i>)``
  with spec node id ``n<i>`` and a task execution per subtask retry, and the array node has no task execution;
- launch-plan nodes create a child execution named ``FixedLengthUniqueIDForParts(20, exec, node, attempt)``, hashed
  with fnv64a (``"f"`` + 13 characters: ``GetChildWorkflowExecutionIDV2``, definition version 1), with
  ``metadata.mode=CHILD_WORKFLOW`` and ``parent_node_execution``; aborting the parent terminates the child.

Threading: the driver methods only schedule work on the clock; every event is sent from clock callbacks
(``StepClock.advance``'s thread, or ``RealClock``'s thread), so the interpreter itself is single-threaded.
"""

from __future__ import annotations

import base64
import dataclasses
import heapq
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import grpc
from flyteidl.admin import common_pb2, execution_pb2, node_execution_pb2, signal_pb2
from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.core import catalog_pb2, identifier_pb2, literals_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from flyteidl.service import admin_pb2_grpc, signal_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from ..objects.phases import CacheStatus, NodePhase, TaskPhase, WorkflowPhase
from .clock import Clock, Handle
from .knobs import INTERNAL_METADATA
from .pages import log_path
from .scenarios import (
    SCENARIOS,
    TASK_TYPE,
    NodeSpec,
    Scenario,
    Script,
    Subtasks,
    compiled_dynamic_workflow,
    get_scenario,
    literal_map,
    scenario_for_launch_plan,
    task_name,
    task_type,
)

log = logging.getLogger(__name__)

PRODUCER_ID = "propeller.sandbox"
START_NODE = "start-node"
END_NODE = "end-node"
#: propeller's ``maxUniqueIDLength`` (node ids) and ``task.IDMaxLength`` (generated pod names).
MAX_UNIQUE_ID_LENGTH = 20
TASK_ID_MAX_LENGTH = 50
#: How propeller reports an attempt that failed but will be retried (see the module docstring).
RETRYABLE_TASK_PHASE = TaskPhase.FAILED
#: Seconds between two array-node task events (propeller batches subtask progress per evaluation round).
ARRAY_TICK_S = 1.0
RPC_TIMEOUT_S = 30.0

_BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz123456"
_B32_TRANSLATE = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _BASE32_ALPHABET.encode())

ExecKey = tuple[str, str, str]


# ----------------------------------------------------------------------------------------------------------------
# Ids, exactly as propeller computes them
# ----------------------------------------------------------------------------------------------------------------
def fnv32a(data: bytes) -> int:
    """32-bit FNV-1a hash."""
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def fnv64a(data: bytes) -> int:
    """64-bit FNV-1a hash (Go's ``hash/fnv.New64a``)."""
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fixed_length_unique_id(input_id: str, max_length: int, *, bits: int = 32) -> str:
    """``encoding.FixedLengthUniqueID``: the id itself if short enough, else ``"f"`` + base32 of its FNV-1a hash,
    32-bit by default (8 characters in all), 64-bit with ``bits=64`` (``encoding.Algorithm64``: 14 characters)."""
    raw = input_id.encode()
    if len(raw) <= max_length:  # Go's len(string) counts bytes, not characters
        return input_id
    if bits == 32:
        digest = fnv32a(raw).to_bytes(4, "big")
    elif bits == 64:
        digest = fnv64a(raw).to_bytes(8, "big")
    else:
        raise ValueError(f"bits must be 32 or 64, not {bits!r}")
    encoded = base64.b32encode(digest).decode().rstrip("=").encode().translate(_B32_TRANSLATE).decode()
    return "f" + encoded


def fixed_length_unique_id_for_parts(max_length: int, parts: Sequence[str], *, bits: int = 32) -> str:
    """``encoding.FixedLengthUniqueIDForParts``: parts joined by ``-`` (empty leading parts add no dash)."""
    out = ""
    for i, p in enumerate(parts):
        if i > 0 and out:
            out += "-"
        out += p
    return fixed_length_unique_id(out, max_length, bits=bits)


def unique_node_id(parent_unique_id: str | None, parent_attempt: int, node_id: str) -> str:
    """``common.GenerateUniqueID``: a node's id is ``parent-attempt-node`` below the top level."""
    if parent_unique_id is None:
        return fixed_length_unique_id_for_parts(MAX_UNIQUE_ID_LENGTH, ["", "", node_id])
    return fixed_length_unique_id_for_parts(MAX_UNIQUE_ID_LENGTH, [parent_unique_id, str(parent_attempt), node_id])


def child_execution_name(exec_name: str, node_id: str, attempt: int) -> str:
    """The name of the execution a launch-plan node launches: ``GetChildWorkflowExecutionIDV2`` (64-bit hash), which
    propeller uses for every workflow of definition version 1, the version it stamps on each new workflow
    (``subworkflow/launchplan.go`` ``GetChildWorkflowExecutionIDForExecution``, ``controller/handler.go``
    ``SetDefinitionVersionIfEmpty``); the 32-bit ``GetChildWorkflowExecutionID`` is for version-0 workflows only."""
    return fixed_length_unique_id_for_parts(MAX_UNIQUE_ID_LENGTH, [exec_name, node_id, str(attempt)], bits=64)


def _key(wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> ExecKey:
    return (wf_id.project, wf_id.domain, wf_id.name)


# ----------------------------------------------------------------------------------------------------------------
# The player
# ----------------------------------------------------------------------------------------------------------------
class Player:
    """Plays scenario scripts for the executions the admin creates; the sandbox's ``ExecutionDriver``.

    ``endpoint`` is the admin's ``host:port`` (or a callable returning it, read when the first event is sent).
    ``put_blob(uri, data, content_type)`` stores deck HTML behind the ``deck_uri`` events carry (the admin serves
    it for ``CreateDownloadLink``); passing the sandbox ``store`` uses its ``put_blob``. ``log_base`` prefixes task
    log links. ``transport(service, method, request) -> response`` replaces the gRPC channel (the Sandbox passes
    its in-process :class:`~.admin.LocalCaller`: the same servicer code, without gRPC's per-call cost); it raises
    ``grpc.RpcError`` as a stub does.
    """

    def __init__(
        self,
        clock: Clock,
        endpoint: str | Callable[[], str],
        *,
        put_blob: Callable[[str, bytes, str], None] | None = None,
        store: Any = None,
        scenarios: Mapping[str, Scenario] = SCENARIOS,
        log_base: str = "http://localhost:30080",
        producer_id: str = PRODUCER_ID,
        transport: Callable[[str, str, Any], Any] | None = None,
    ) -> None:
        self.clock = clock
        self._endpoint = endpoint
        self._transport = transport
        self._put_blob = put_blob if put_blob is not None else getattr(store, "put_blob", None)
        self._scenarios = scenarios
        self.log_base = log_base.rstrip("/")
        self.producer_id = producer_id
        self._lock = threading.Lock()
        self._channel: grpc.Channel | None = None
        self._admin: admin_pb2_grpc.AdminServiceStub | None = None
        self._signal: signal_pb2_grpc.SignalServiceStub | None = None
        self._runs: dict[ExecKey, _Run] = {}
        # child execution -> callback into the launch-plan node that launched it
        self._child_done: dict[ExecKey, Callable[[_Run], None]] = {}
        self._finished: dict[ExecKey, threading.Event] = {}
        # The stand-in for DataCatalog's artifact metadata: (dataset id, artifact tag) -> the task execution that put
        # the value (propeller's datacatalog client stores exec-project/-domain/-name/-node/-attempt with each
        # artifact and reads them back as a cache hit's source: nodes/catalog/datacatalog/transformer.go). In
        # memory: a sandbox reopened on its SQLite file starts with an empty cache.
        self.catalog: dict[tuple[str, ...], identifier_pb2.TaskExecutionIdentifier] = {}
        self._closed = False

    # -- ExecutionDriver ----------------------------------------------------------------------------------------
    def on_create(
        self,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        spec: execution_pb2.ExecutionSpec,
        inputs: literals_pb2.LiteralMap,
    ) -> None:
        """An execution was stored (create, relaunch, recover or a child): start playing it."""
        ex_id = identifier_pb2.WorkflowExecutionIdentifier()
        ex_id.CopyFrom(execution_id)
        sp = execution_pb2.ExecutionSpec()
        sp.CopyFrom(spec)
        ins = literals_pb2.LiteralMap()
        ins.CopyFrom(inputs)
        self.clock.call_later(0, lambda: self._start(ex_id, sp, ins))

    def on_terminate(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, cause: str) -> None:
        """TerminateExecution set ABORTING: abort what runs, then report the execution ABORTED."""
        key = _key(execution_id)
        self.clock.call_later(0, lambda: self._terminate(key, cause))

    def on_signal(self, signal_id: identifier_pb2.SignalIdentifier, value: literals_pb2.Literal) -> None:
        """SetSignal stored a value: release the gate waiting for it."""
        key = _key(signal_id.execution_id)
        sid = signal_id.signal_id
        val = literals_pb2.Literal()
        val.CopyFrom(value)
        self.clock.call_later(0, lambda: self._signal_set(key, sid, val))

    def close(self) -> None:
        """Stop playing: close the channel (pending clock callbacks become no-ops)."""
        with self._lock:
            self._closed = True
            channel, self._channel = self._channel, None
            self._admin = self._signal = None
        if channel is not None:
            channel.close()

    # -- introspection (tests, the CLI) ------------------------------------------------------------------------
    def active_executions(self) -> list[ExecKey]:
        """Executions still being played."""
        with self._lock:
            return [k for k, r in self._runs.items() if not r.finished]

    # -- gRPC ---------------------------------------------------------------------------------------------------
    def _stubs(self) -> tuple[admin_pb2_grpc.AdminServiceStub, signal_pb2_grpc.SignalServiceStub]:
        with self._lock:
            if self._closed:
                raise RuntimeError("player is closed")
            if self._admin is None or self._signal is None:
                endpoint = self._endpoint() if callable(self._endpoint) else self._endpoint
                self._channel = grpc.insecure_channel(endpoint)
                self._admin = admin_pb2_grpc.AdminServiceStub(self._channel)
                self._signal = signal_pb2_grpc.SignalServiceStub(self._channel)
            return self._admin, self._signal

    def call(self, service: str, method: str, request: Any) -> Any:
        """One internal RPC (marked so the sandbox neither counts, delays, fails nor authenticates it).

        ``wait_for_ready`` rides out a sandbox restart. ALREADY_EXISTS (a repeated event) is ignored, as propeller
        does; FAILED_PRECONDITION (an event after the execution ended) is logged and ignored. Any other error is
        logged and the script goes on (returns None): one refused event must not stall the whole execution.
        """
        try:
            if self._transport is not None:
                if self._closed:
                    return None
                return self._transport(service, method, request)
            try:
                admin, signal = self._stubs()
            except RuntimeError:
                return None
            stub: Any = admin if service == "admin" else signal
            return getattr(stub, method)(
                request, metadata=INTERNAL_METADATA, timeout=RPC_TIMEOUT_S, wait_for_ready=True
            )
        except grpc.RpcError as e:
            code = e.code() if callable(getattr(e, "code", None)) else None
            details = e.details() if callable(getattr(e, "details", None)) else str(e)
            if code == grpc.StatusCode.ALREADY_EXISTS:
                return None
            if code == grpc.StatusCode.FAILED_PRECONDITION:
                log.info("sandbox player: %s refused: %s", method, details)
            elif not self._closed:
                log.error("sandbox player: %s failed with %s: %s", method, code, details)
            return None

    # -- scheduling helpers -------------------------------------------------------------------------------------
    def _start(
        self,
        ex_id: identifier_pb2.WorkflowExecutionIdentifier,
        spec: execution_pb2.ExecutionSpec,
        inputs: literals_pb2.LiteralMap,
    ) -> None:
        if self._closed:
            return
        lp_name = spec.launch_plan.name
        scenario = next((s for s in self._scenarios.values() if s.workflow_name() == lp_name), None)
        if scenario is None:
            scenario = scenario_for_launch_plan(lp_name)
        if scenario is None:
            log.warning("sandbox player: no scenario for launch plan %r; failing %s", lp_name, ex_id.name)
            self._send_workflow_end(
                ex_id,
                WorkflowPhase.FAILED,
                _error("NoScript", f"the sandbox has no script for launch plan {lp_name!r}", "SYSTEM"),
            )
            return
        try:
            params = scenario.params_from_inputs(inputs)
        except ValueError:
            log.exception("sandbox player: bad parameters for %s", ex_id.name)
            params = dict(scenario.params)
        run = _Run(self, ex_id, spec, inputs, scenario, scenario.script(**params))
        with self._lock:
            self._runs[_key(ex_id)] = run
        run.start()

    def _terminate(self, key: ExecKey, cause: str) -> None:
        with self._lock:
            run = self._runs.get(key)
        if run is not None:
            run.abort(cause)
            return
        # Not played by this player (e.g. loaded from a state file after a restart): nothing runs, just end it.
        ex_id = identifier_pb2.WorkflowExecutionIdentifier(project=key[0], domain=key[1], name=key[2])
        self._send_workflow_end(ex_id, WorkflowPhase.ABORTED, None)

    def _send_workflow_end(
        self,
        ex_id: identifier_pb2.WorkflowExecutionIdentifier,
        phase: WorkflowPhase,
        error: core_execution_pb2.ExecutionError | None,
    ) -> None:
        ev = event_pb2.WorkflowExecutionEvent(
            execution_id=ex_id, producer_id=self.producer_id, phase=int(phase), occurred_at=_ts(self)
        )
        if error is not None:
            ev.error.CopyFrom(error)
        self.call("admin", "CreateWorkflowEvent", admin_event_pb2.WorkflowExecutionEventRequest(event=ev))

    def _signal_set(self, key: ExecKey, signal_id: str, value: literals_pb2.Literal) -> None:
        with self._lock:
            run = self._runs.get(key)
        if run is not None:
            run.signal(signal_id, value)

    def finished_event(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> threading.Event:
        """An event set once this player has played the execution to its end (for real-clock waits in tests)."""
        key = _key(execution_id)
        with self._lock:
            return self._finished.setdefault(key, threading.Event())

    def _run_finished(self, run: _Run) -> None:
        with self._lock:
            # Forget the interpreter state (a 10,000-node run holds ~10,000 node objects): a long-lived sandbox
            # (the CLI, the benchmarks) would otherwise keep every execution it ever played.
            self._runs.pop(_key(run.ex_id), None)
            self._finished.setdefault(_key(run.ex_id), threading.Event()).set()
            cb = self._child_done.pop(_key(run.ex_id), None)
        if cb is not None:
            cb(run)

    def _expect_child(self, key: ExecKey, cb: Callable[[_Run], None]) -> None:
        with self._lock:
            self._child_done[key] = cb

    @property
    def keeps_blobs(self) -> bool:
        """Whether decks can be stored (a blob store was given)."""
        return self._put_blob is not None

    def put_blob(self, uri: str, data: bytes, content_type: str) -> bool:
        if self._put_blob is None:
            return False
        self._put_blob(uri, data, content_type)
        return True


# ----------------------------------------------------------------------------------------------------------------
# One execution
# ----------------------------------------------------------------------------------------------------------------
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _ts(player: Player) -> Timestamp:
    """The clock's now as a Timestamp (by arithmetic: ``FromDatetime`` costs more than a whole event's rest)."""
    d = player.clock.now() - _EPOCH
    return Timestamp(seconds=d.days * 86400 + d.seconds, nanos=d.microseconds * 1000)


def _error(code: str, message: str, kind: str = "USER") -> core_execution_pb2.ExecutionError:
    k = core_execution_pb2.ExecutionError.USER if kind == "USER" else core_execution_pb2.ExecutionError.SYSTEM
    return core_execution_pb2.ExecutionError(code=code, message=message, kind=k)


@dataclass
class _Outcome:
    phase: NodePhase
    error: core_execution_pb2.ExecutionError | None = None


class _Run:
    """The interpreter state of one execution."""

    def __init__(
        self,
        player: Player,
        ex_id: identifier_pb2.WorkflowExecutionIdentifier,
        spec: execution_pb2.ExecutionSpec,
        inputs: literals_pb2.LiteralMap,
        scenario: Scenario,
        script: Script,
    ) -> None:
        self.player = player
        self.ex_id = ex_id
        self.spec = spec
        self.inputs = inputs
        self.scenario = scenario
        self.script = script
        self.version = spec.launch_plan.version or scenario.version()
        self.handles: set[Handle] = set()
        self.finished = False
        self.phase = WorkflowPhase.QUEUED
        self.gates: dict[str, _NodeRun] = {}
        self.recovered: dict[str, node_execution_pb2.NodeExecution] = {}
        self.root: _Graph | None = None
        self.outputs = literal_map(script.outputs)

    # -- plumbing -----------------------------------------------------------------------------------------------
    def later(self, delay_s: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` after ``delay_s`` unless the execution has finished (or was aborted) by then."""
        box: list[Handle] = []

        def guarded() -> None:
            if box:
                # pop, not read: the handle refers to this closure, which would otherwise keep a reference cycle
                # per scheduled step alive for the cyclic GC (a measurable cost on 10,000-node executions)
                self.handles.discard(box.pop())
            if not self.finished:
                fn()

        h = self.player.clock.call_later(delay_s, guarded)
        box.append(h)
        self.handles.add(h)

    def wf_event(self, phase: WorkflowPhase, **fields: Any) -> None:
        self.phase = phase
        ev = event_pb2.WorkflowExecutionEvent(
            execution_id=self.ex_id,
            producer_id=self.player.producer_id,
            phase=int(phase),
            occurred_at=_ts(self.player),
            **fields,
        )
        self.player.call("admin", "CreateWorkflowEvent", admin_event_pb2.WorkflowExecutionEventRequest(event=ev))

    def node_event(self, ev: event_pb2.NodeExecutionEvent) -> None:
        self.player.call("admin", "CreateNodeEvent", admin_event_pb2.NodeExecutionEventRequest(event=ev))

    def task_event(self, ev: event_pb2.TaskExecutionEvent) -> None:
        self.player.call("admin", "CreateTaskEvent", admin_event_pb2.TaskExecutionEventRequest(event=ev))

    def id_of(self, kind: int, name: str, version: str | None = None) -> identifier_pb2.Identifier:
        return identifier_pb2.Identifier(
            resource_type=kind,
            project=self.ex_id.project,
            domain=self.ex_id.domain,
            name=name,
            version=version or self.version,
        )

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        meta = self.spec.metadata
        if meta.mode == execution_pb2.ExecutionMetadata.RECOVERED and meta.HasField("reference_execution"):
            self._load_recovery(meta.reference_execution)
        self.wf_event(WorkflowPhase.RUNNING)
        self.root = _Graph(
            self,
            specs=self.script.nodes,
            parent=None,
            policy=self.script.failure_policy,
            start_end=True,
            inputs=self.inputs,
            outputs=self.outputs,
            on_done=self._graph_done,
        )
        self.root.start()
        if self.script.abort_after_s is not None:
            self.later(self.script.abort_after_s, self._self_abort)

    def _self_abort(self) -> None:
        """The scripted user presses Terminate: through the admin, which calls back ``on_terminate``."""
        req = execution_pb2.ExecutionTerminateRequest(id=self.ex_id, cause=self.script.abort_cause)
        self.player.call("admin", "TerminateExecution", req)

    def _graph_done(self, outcome: _Outcome) -> None:
        if outcome.phase == NodePhase.SUCCEEDED:
            self.wf_event(WorkflowPhase.SUCCEEDING)
            self.wf_event(WorkflowPhase.SUCCEEDED, output_data=self.outputs)
        else:
            err = outcome.error or _error("UnknownError", "workflow failed")
            if self.phase != WorkflowPhase.FAILING:
                self.wf_event(WorkflowPhase.FAILING, error=err)
            self.wf_event(WorkflowPhase.FAILED, error=err)
        self._finish()

    def _finish(self) -> None:
        self.finished = True
        for h in list(self.handles):
            h.cancel()
        self.handles.clear()
        self.player._run_finished(self)

    def abort(self, cause: str) -> None:
        """Abort everything running (task and node ABORTED events), then the workflow ABORTED."""
        if self.finished:
            return
        for h in list(self.handles):
            h.cancel()
        self.handles.clear()
        if self.root is not None:
            self.root.abort(cause)
        self.gates.clear()
        # No output result: propeller sends ABORTED bare, and flyteadmin shows the abort_metadata (cause, principal)
        # TerminateExecution recorded.
        self.wf_event(WorkflowPhase.ABORTED)
        self._finish()

    def signal(self, signal_id: str, value: literals_pb2.Literal) -> None:
        node = self.gates.pop(signal_id, None)
        if node is not None and not self.finished:
            node.gate_released(value)

    # -- recovery -----------------------------------------------------------------------------------------------
    def _load_recovery(self, ref: identifier_pb2.WorkflowExecutionIdentifier) -> None:
        """Read the reference execution's node phases over gRPC, the way propeller's recovery client does."""

        def walk(parent: str) -> None:
            token = ""
            while True:
                req = node_execution_pb2.NodeExecutionListRequest(
                    workflow_execution_id=ref, limit=1000, token=token, unique_parent_id=parent
                )
                resp = self.player.call("admin", "ListNodeExecutions", req)
                if resp is None:
                    return
                for ne in resp.node_executions:
                    nid = ne.id.node_id
                    self.recovered[nid] = ne
                    done = ne.closure.phase in (NodePhase.SUCCEEDED, NodePhase.RECOVERED)
                    if ne.metadata.is_parent_node and not done:
                        walk(nid)
                if not resp.token:
                    return
                token = resp.token

        walk("")  # a failed call is logged by Player.call: the nodes it did not list simply run again

    def recovered_outputs(self, unique_id: str) -> literals_pb2.LiteralMap | None:
        """The outputs of a node that succeeded in the reference execution, or None if it must run again."""
        ne = self.recovered.get(unique_id)
        if ne is None or ne.closure.phase not in (NodePhase.SUCCEEDED, NodePhase.RECOVERED):
            return None
        req = node_execution_pb2.NodeExecutionGetDataRequest(id=ne.id)
        data = self.player.call("admin", "GetNodeExecutionData", req)
        return data.full_outputs if data is not None else literals_pb2.LiteralMap()


# ----------------------------------------------------------------------------------------------------------------
# A graph of sibling nodes: a workflow, a subworkflow, a dynamic workflow or a branch
# ----------------------------------------------------------------------------------------------------------------
class _Graph:
    def __init__(
        self,
        run: _Run,
        *,
        specs: Sequence[NodeSpec],
        parent: _NodeRun | None,
        policy: str,
        start_end: bool,
        inputs: literals_pb2.LiteralMap,
        outputs: literals_pb2.LiteralMap,
        on_done: Callable[[_Outcome], None],
        in_dynamic: bool = False,
    ) -> None:
        self.run = run
        self.specs = list(specs)
        self.parent = parent
        self.policy = policy
        self.start_end = start_end
        self.inputs = inputs
        self.outputs = outputs
        self.on_done = on_done
        self.in_dynamic = in_dynamic
        self.nodes: dict[str, _NodeRun] = {}
        self.results: dict[str, NodePhase] = {}
        self.failure: core_execution_pb2.ExecutionError | None = None
        self.failure_phase = NodePhase.FAILED  # TIMED_OUT when the first failure was a timeout (retryable)
        # The parent's attempt when this graph was built: children of a retried parent keep their lineage.
        self._parent_attempt = parent.attempt if parent else 0
        self.done = False
        self.upstream: dict[str, tuple[str, ...]] = {}
        self.downstream: dict[str, list[str]] = {s.id: [] for s in self.specs}
        self._by_id = {s.id: s for s in self.specs}
        prev: str | None = None
        for s in self.specs:
            ups = s.upstream if s.upstream is not None else ((prev,) if prev else ())
            self.upstream[s.id] = ups
            for u in ups:
                self.downstream.setdefault(u, []).append(s.id)
            prev = s.id
        self.running = 0
        self._depth = 0  # > 0 while starting nodes (a node may finish synchronously, e.g. a skipped one)

    @property
    def parent_unique_id(self) -> str | None:
        return self.parent.unique_id if self.parent else None

    @property
    def parent_attempt(self) -> int:
        return self._parent_attempt

    def unique_id(self, node_id: str) -> str:
        return unique_node_id(self.parent_unique_id, self.parent_attempt, node_id)

    def base_event(
        self, node_id: str, spec_node_id: str, name: str, phase: NodePhase, unique_id: str | None = None
    ) -> event_pb2.NodeExecutionEvent:
        """The fields every node event of this graph carries (propeller's ``ToNodeExecutionEvent``)."""
        now = _ts(self.run.player)
        uid = unique_id if unique_id is not None else self.unique_id(node_id)
        ev = event_pb2.NodeExecutionEvent(
            id=identifier_pb2.NodeExecutionIdentifier(node_id=uid, execution_id=self.run.ex_id),
            producer_id=self.run.player.producer_id,
            phase=int(phase),
            occurred_at=now,
            reported_at=now,
            event_version=1,
            spec_node_id=spec_node_id,
            node_name=name,
            is_in_dynamic_chain=self.in_dynamic,
        )
        if self.parent is not None:
            ev.parent_node_metadata.node_id = self.parent.unique_id
            ev.retry_group = str(self._parent_attempt)
        return ev

    def start(self) -> None:
        if self.start_end:
            ev = self.base_event(START_NODE, START_NODE, START_NODE, NodePhase.SUCCEEDED)
            ev.output_data.CopyFrom(self.inputs)
            self.run.node_event(ev)
        self._try_start([s.id for s in self.specs if not self.upstream[s.id]])

    def _try_start(self, ids: Sequence[str]) -> None:
        """Start those of ``ids`` whose upstream nodes are all done (incremental: no scan of the whole graph)."""
        self._depth += 1
        try:
            for sid in ids:
                if self.done or sid in self.nodes:
                    continue
                ups = self.upstream[sid]
                if not all(u in self.results for u in ups):
                    continue
                if any(self.results[u] not in _PASSED for u in ups):
                    continue  # an upstream node failed: this one never runs
                node = _NodeRun(self, self._spec(sid))
                self.nodes[sid] = node
                self.running += 1
                if any(self.results[u] == NodePhase.SKIPPED for u in ups):
                    node.skip()
                else:
                    node.start()
        finally:
            self._depth -= 1
        if self._depth == 0 and not self.done and self.running == 0:
            self._finish()

    def _spec(self, sid: str) -> NodeSpec:
        return self._by_id[sid]

    def _finish(self) -> None:
        self.done = True
        if self.failure is not None:
            self.on_done(_Outcome(self.failure_phase, self.failure))
            return
        if self.start_end:
            ev = self.base_event(END_NODE, END_NODE, END_NODE, NodePhase.SUCCEEDED)
            ev.input_data.CopyFrom(self.outputs)
            ev.output_data.CopyFrom(self.outputs)
            self.run.node_event(ev)
        self.on_done(_Outcome(NodePhase.SUCCEEDED))

    def node_done(self, node: _NodeRun, outcome: _Outcome) -> None:
        if self.done:
            return
        self.running -= 1
        self.results[node.spec.id] = outcome.phase
        if outcome.phase in (NodePhase.FAILED, NodePhase.TIMED_OUT, NodePhase.ABORTED):
            if self.failure is None:
                self.failure_phase = NodePhase.TIMED_OUT if outcome.phase == NodePhase.TIMED_OUT else NodePhase.FAILED
                err = outcome.error or _error("UnknownError", f"node {node.unique_id} failed")
                self.failure = _error(
                    err.code,
                    f"failed at Node[{node.unique_id}]. {_kind_name(err.kind)}: {err.code}, caused by: {err.message}",
                    _kind_name(err.kind),
                )
            if self.policy == "FAIL_IMMEDIATELY":
                self.done = True
                if self.parent is None:
                    # propeller: the workflow turns FAILING, aborts what still runs, then reports FAILED
                    self.run.wf_event(WorkflowPhase.FAILING, error=self.failure)
                for other in self.nodes.values():
                    if other is not node:
                        other.abort("Aborting: another node of the workflow failed (FAIL_IMMEDIATELY)")
                self.on_done(_Outcome(self.failure_phase, self.failure))
                return
        self._try_start(self.downstream.get(node.spec.id, ()))

    def abort(self, cause: str) -> None:
        self.done = True
        for node in self.nodes.values():
            node.abort(cause)


_PASSED = (NodePhase.SUCCEEDED, NodePhase.RECOVERED, NodePhase.SKIPPED)


def _kind_name(kind: int) -> str:
    return "SYSTEM" if kind == core_execution_pb2.ExecutionError.SYSTEM else "USER"


# ----------------------------------------------------------------------------------------------------------------
# One node
# ----------------------------------------------------------------------------------------------------------------
class _NodeRun:
    def __init__(self, graph: _Graph, spec: NodeSpec) -> None:
        self.graph = graph
        self.run = graph.run
        self.player = graph.run.player
        self.spec = spec
        self.unique_id = graph.unique_id(spec.id)
        self.attempt = 0  # propeller's CurrentAttempt: children's lineage uses it
        self.phase = NodePhase.UNDEFINED
        self.task_phase: TaskPhase | None = None  # of the running attempt
        self.task_phase_version = 0
        self.child: _Graph | None = None
        self.child_exec: identifier_pb2.WorkflowExecutionIdentifier | None = None
        self.dynamic = False
        self.inputs = literal_map(spec.inputs)
        self.outputs = literal_map(spec.outputs)
        self.array_state: dict[tuple[int, int], TaskPhase] = {}
        self.subnodes: dict[int, _SubNode] = {}  # array subtasks with event version 1
        self._task_id: identifier_pb2.Identifier | None = None
        self._nid: identifier_pb2.NodeExecutionIdentifier | None = None
        self._pod_names: dict[int, str] = {}

    # -- events -------------------------------------------------------------------------------------------------
    @property
    def terminal(self) -> bool:
        return self.phase in (
            NodePhase.SUCCEEDED,
            NodePhase.FAILED,
            NodePhase.ABORTED,
            NodePhase.SKIPPED,
            NodePhase.TIMED_OUT,
            NodePhase.RECOVERED,
        )

    def _project_domain(self) -> tuple[str, str]:
        return self.run.ex_id.project, self.run.ex_id.domain

    def node_execution_id(self) -> identifier_pb2.NodeExecutionIdentifier:
        if self._nid is None:
            self._nid = identifier_pb2.NodeExecutionIdentifier(node_id=self.unique_id, execution_id=self.run.ex_id)
        return self._nid

    def task_id(self) -> identifier_pb2.Identifier:
        if self._task_id is None:
            self._task_id = self.run.id_of(identifier_pb2.TASK, task_name(self.spec))
        return self._task_id

    def node_event(self, phase: NodePhase, **fields: Any) -> None:
        self.phase = phase
        ev = self.graph.base_event(self.spec.id, self.spec.id, self.spec.display_name, phase, self.unique_id)
        kind = self.spec.kind
        if kind == "subworkflow":
            ev.is_parent = True
        if self.dynamic:
            # propeller (nodes/transformers.go): IsParent only on the event that carries the generated workflow
            ev.is_dynamic = True
            meta = fields.get("task_node_metadata")
            ev.is_parent = meta is not None and meta.HasField("dynamic_workflow")
        if kind == "array":
            ev.is_array = True
            ev.is_parent = self.spec.array is not None and self.spec.array.event_version >= 1
        if kind in ("task", "dynamic", "array"):
            ev.target_entity.CopyFrom(self.task_id())
        elif kind == "launch_plan":
            ev.target_entity.CopyFrom(get_scenario(self.spec.launch_plan).launch_plan_id(*self._project_domain()))
        if phase == NodePhase.QUEUED:
            ev.input_data.CopyFrom(self.inputs)
        for k, v in fields.items():
            if isinstance(v, (bool, str, int)):
                setattr(ev, k, v)
            else:
                getattr(ev, k).CopyFrom(v)
        self.run.node_event(ev)

    def task_event(self, phase: TaskPhase, attempt: int, **fields: Any) -> None:
        version = self.task_phase_version + 1 if phase == self.task_phase else 0
        self.task_phase = phase
        self.task_phase_version = version
        now = _ts(self.player)
        ev = event_pb2.TaskExecutionEvent(
            task_id=self.task_id(),
            parent_node_execution_id=self.node_execution_id(),
            retry_attempt=attempt,
            phase=int(phase),
            phase_version=version,
            producer_id=self.player.producer_id,
            occurred_at=now,
            reported_at=now,
            task_type="container_array" if self.spec.kind == "array" else task_type(self.spec),
        )
        if self.spec.kind == "array":
            ev.event_version = 1
            ev.metadata.plugin_identifier = "k8s-array"
        else:
            ev.metadata.plugin_identifier = "container"
            ev.metadata.generated_name = self.pod_name(attempt)
        for k, v in fields.items():
            if k == "logs":
                ev.logs.extend(v)
            elif k == "external_resources":
                ev.metadata.external_resources.extend(v)
            elif isinstance(v, (bool, str, int)):
                setattr(ev, k, v)
            else:
                getattr(ev, k).CopyFrom(v)
        self.run.task_event(ev)

    def pod_name(self, attempt: int) -> str:
        """The generated pod name (``FixedLengthUniqueIDForParts(50, exec, node, attempt)``)."""
        name = self._pod_names.get(attempt)
        if name is None:
            parts = [self.run.ex_id.name, self.unique_id, str(attempt)]
            name = self._pod_names[attempt] = fixed_length_unique_id_for_parts(TASK_ID_MAX_LENGTH, parts)
        return name

    def logs(self, attempt: int, *, pending: bool = False, index: int | None = None) -> list[Any]:
        """Task log links named as propeller's log plugin names them, pointing at the sandbox's log pages.

        An array subtask's link (``index``; ``attempt`` is then its retry) gets ``-<index>`` appended to the plugin's
        display name, as propeller's ArrayNode does (``nodes/array/event_recorder.go``: ``"%s-%d"``): each retry
        of an index has its own link of the same name, told apart by its retry attempt.
        """
        if not self.spec.logs:
            return []
        ex = self.run.ex_id
        name = "Kubernetes Logs (User)" if index is None else f"Kubernetes Logs (User)-{index}"
        uri = self.player.log_base + log_path(ex.project, ex.domain, ex.name, self.unique_id, attempt, index)
        return [
            core_execution_pb2.TaskLog(
                uri=uri,
                name=name,
                message_format=core_execution_pb2.TaskLog.JSON,
                ShowWhilePending=pending,
            )
        ]

    def later(self, delay_s: float, fn: Callable[[], None]) -> None:
        def guarded() -> None:
            if not self.terminal:
                fn()

        self.run.later(delay_s, guarded)

    def done(self, phase: NodePhase, error: core_execution_pb2.ExecutionError | None = None, **fields: Any) -> None:
        if error is not None:
            fields["error"] = error
        self.node_event(phase, **fields)
        self.graph.node_done(self, _Outcome(phase, error))

    # -- start ----------------------------------------------------------------------------------------------
    def skip(self) -> None:
        self.done(NodePhase.SKIPPED)

    def start(self) -> None:
        spec = self.spec
        if spec.skipped:
            self.skip()
            return
        recovered = self.run.recovered_outputs(self.unique_id) if self.run.recovered else None
        if recovered is not None:
            self.node_event(NodePhase.QUEUED)
            self.done(NodePhase.RECOVERED, output_data=recovered)
            return
        self.node_event(NodePhase.QUEUED)
        if spec.kind in ("task", "dynamic"):
            if spec.cache == CacheStatus.CACHE_HIT:
                self.later(spec.queued_s, self._cache_hit)
            else:
                self.later(spec.queued_s, lambda: self._attempt(0))
        elif spec.kind == "array":
            self.later(spec.queued_s, self._array_start)
        elif spec.kind in ("subworkflow", "branch"):
            self.later(spec.queued_s, self._run_children)
        elif spec.kind == "launch_plan":
            self.later(spec.queued_s, self._launch_child)
        elif spec.kind == "gate":
            self.later(spec.queued_s, self._gate_start)
        else:  # pragma: no cover - NodeKind is closed
            raise ValueError(f"unknown node kind {spec.kind!r}")

    # -- tasks ----------------------------------------------------------------------------------------------
    def _cache_meta(self, status: CacheStatus, attempt: int = 0) -> event_pb2.TaskNodeMetadata:
        """The node event's cache status and catalog key; ``attempt``: the attempt whose outputs a
        CACHE_POPULATED stores (recorded as the source of later hits)."""
        meta = event_pb2.TaskNodeMetadata(cache_status=int(status))
        if status in (CacheStatus.CACHE_HIT, CacheStatus.CACHE_POPULATED):
            key = catalog_pb2.CatalogMetadata(
                dataset_id=self.run.id_of(identifier_pb2.DATASET, f"flyte_task-{task_name(self.spec)}", "1.0"),
                artifact_tag=catalog_pb2.CatalogArtifactTag(
                    artifact_id=f"art-{fnv32a(self.unique_id.encode()):08x}",
                    name=f"flyte_cached-{fnv32a(task_name(self.spec).encode()):08x}",
                ),
            )
            d = key.dataset_id
            entry = (d.project, d.domain, d.name, d.version, key.artifact_tag.name)
            if status == CacheStatus.CACHE_POPULATED:
                source = identifier_pb2.TaskExecutionIdentifier(
                    task_id=self.task_id(), node_execution_id=self.node_execution_id(), retry_attempt=attempt
                )
                # Recorded, not reported: a first put reports no source (datacatalog.go createArtifact:
                # EventCatalogMetadata(datasetID, tag, nil)); only an overwrite (updateArtifact) names one.
                self.player.catalog[entry] = source
            else:
                hit = self.player.catalog.get(entry)
                key.source_task_execution.CopyFrom(hit if hit is not None else self._unknown_source())
            meta.catalog_key.CopyFrom(key)
        return meta

    def _unknown_source(self) -> identifier_pb2.TaskExecutionIdentifier:
        """The source propeller reports for an artifact whose metadata names no execution (one put before July 2020,
        or, here, a cached value no execution in this sandbox produced): ``GetSourceFromMetadata``'s defaults,
        name and node ``unknown``, task version ``unknown``, project and domain those of the current task."""
        task = identifier_pb2.Identifier()
        task.CopyFrom(self.task_id())
        task.version = "unknown"
        ex = self.run.ex_id
        return identifier_pb2.TaskExecutionIdentifier(
            task_id=task,
            node_execution_id=identifier_pb2.NodeExecutionIdentifier(
                node_id="unknown",
                execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                    project=ex.project, domain=ex.domain, name="unknown"
                ),
            ),
            retry_attempt=0,
        )

    def _cache_hit(self) -> None:
        self.done(
            NodePhase.SUCCEEDED,
            output_data=self.outputs,
            task_node_metadata=self._cache_meta(CacheStatus.CACHE_HIT),
        )

    def _attempt(self, k: int) -> None:
        spec = self.spec
        a = spec.attempts[k]
        self.task_phase = None
        self.task_event(
            TaskPhase.QUEUED, k, input_data=self.inputs, reason="task submitted to K8s", logs=self.logs(k, pending=True)
        )
        if k == 0:
            fields: dict[str, Any] = {}
            if spec.cache != CacheStatus.CACHE_DISABLED:
                fields["task_node_metadata"] = self._cache_meta(CacheStatus.CACHE_MISS)
            deck = self._deck_uri()
            if deck:
                # Propeller reports where the deck will be from RUNNING on (``nodes/task/handler.go``), before the
                # task wrote it: until the end, CreateDownloadLink answers NOT_FOUND.
                fields["deck_uri"] = deck
            self.node_event(NodePhase.RUNNING, **fields)
        self.later(a.queued_s, lambda: self._attempt_running(k))

    def _attempt_running(self, k: int) -> None:
        spec = self.spec
        a = spec.attempts[k]
        self.task_event(TaskPhase.RUNNING, k, logs=self.logs(k))
        if spec.timeout_s is not None and a.queued_s + a.run_s > spec.timeout_s:
            self.later(max(0.0, spec.timeout_s - a.queued_s), lambda: self._timed_out(k))
        else:
            self.later(a.run_s, lambda: self._attempt_end(k))

    def _timed_out(self, k: int) -> None:
        timeout = self.spec.timeout_s or 0.0
        msg = f"task active timeout [{timeout:g}s] expired"
        self.task_event(TaskPhase.ABORTED, k, reason=msg, logs=self.logs(k))
        self.done(NodePhase.TIMED_OUT, _error("TimeoutExpired", msg, "SYSTEM"))

    def _attempt_end(self, k: int) -> None:
        spec = self.spec
        a = spec.attempts[k]
        if a.failure is not None:
            err = _error(a.failure.code, a.failure.message, a.failure.kind)
            last = k + 1 >= len(spec.attempts)
            self.task_event(TaskPhase.FAILED if last else RETRYABLE_TASK_PHASE, k, error=err, logs=self.logs(k))
            if last:
                self.done(NodePhase.FAILED, err)
            else:
                self.attempt = k + 1
                self.later(1.0, lambda: self._attempt(k + 1))
            return
        self.task_event(TaskPhase.SUCCEEDED, k, output_data=self.outputs, logs=self.logs(k))
        if spec.kind == "dynamic":
            self._dynamic_children()
            return
        fields: dict[str, Any] = {"output_data": self.outputs}
        if spec.cache != CacheStatus.CACHE_DISABLED:
            fields["task_node_metadata"] = self._cache_meta(CacheStatus.CACHE_POPULATED, k)
        deck = self._write_deck()
        if deck:
            fields["deck_uri"] = deck
        self.done(NodePhase.SUCCEEDED, **fields)

    def _deck_uri(self) -> str:
        """Where the node's deck goes ("" when it has none, or the sandbox keeps no blobs)."""
        if not self.spec.deck or not self.player.keeps_blobs:
            return ""
        ex = self.run.ex_id
        return f"s3://sandbox-data/metadata/{ex.project}/{ex.domain}/{ex.name}/{self.unique_id}/deck.html"

    def _write_deck(self) -> str:
        """Store the node's deck HTML in the sandbox's blob store, as a task does when it ends; its ``deck_uri``."""
        uri = self._deck_uri()
        return uri if uri and self.player.put_blob(uri, self.spec.deck.encode(), "text/html") else ""

    # -- parents --------------------------------------------------------------------------------------------
    def _run_children(self) -> None:
        self.node_event(NodePhase.RUNNING)
        spec = self.spec
        self.child = _Graph(
            self.run,
            specs=spec.children,
            parent=self,
            policy=spec.failure_policy,
            start_end=spec.kind != "branch",
            inputs=self.inputs,
            outputs=self.outputs,
            on_done=self._children_done,
            in_dynamic=self.graph.in_dynamic,
        )
        self.child.start()

    def _dynamic_children(self) -> None:
        self.dynamic = True
        ex = self.run.ex_id
        generated = dataclasses.replace(self.spec, children=self.spec.children_for(self.attempt))
        meta = event_pb2.TaskNodeMetadata(
            dynamic_workflow=event_pb2.DynamicWorkflowNodeMetadata(
                id=self.run.id_of(identifier_pb2.WORKFLOW, f"{task_name(self.spec)}.dynamic"),
                compiled_workflow=compiled_dynamic_workflow(generated, ex.project, ex.domain, self.run.version),
                dynamic_job_spec_uri=f"s3://sandbox-data/metadata/{ex.project}/{ex.domain}/{ex.name}/"
                f"{self.unique_id}/{self.attempt}/futures.pb",
            )
        )
        # A retried node is DYNAMIC_RUNNING already: FlyteAdmin refuses the repeated phase (ALREADY_EXISTS, which
        # propeller ignores), so the new attempt's workflow is never stored. Below event version 2 propeller sends
        # RUNNING instead, refused the same way: the node never says it is a parent.
        phase = NodePhase.DYNAMIC_RUNNING if self.run.script.event_version >= 2 else NodePhase.RUNNING
        self.node_event(phase, task_node_metadata=meta)
        self.child = _Graph(
            self.run,
            specs=generated.children,
            parent=self,
            policy="FAIL_IMMEDIATELY",
            start_end=True,
            inputs=self.inputs,
            outputs=self.outputs,
            on_done=self._children_done,
            in_dynamic=True,
        )
        self.child.start()

    def _children_done(self, outcome: _Outcome) -> None:
        if self.terminal:
            return
        if outcome.phase == NodePhase.SUCCEEDED:
            self.done(NodePhase.SUCCEEDED, output_data=self.outputs)
        elif self.dynamic and outcome.phase == NodePhase.TIMED_OUT and self.attempt + 1 < len(self.spec.attempts):
            # propeller: a generated workflow that timed out is a retryable failure (one that failed is permanent,
            # dynamic_workflow.go IsFailurePermanent). The retry sends no node event (executor.go); the next attempt
            # runs the task again, and its workflow's nodes are <node>-<attempt>-<id>, listed under the same parent.
            self.attempt += 1
            self.child = None
            self.later(1.0, lambda: self._attempt(self.attempt))
        else:
            self.done(NodePhase.FAILED, outcome.error)

    # -- launch plans ---------------------------------------------------------------------------------------
    def _launch_child(self) -> None:
        child = get_scenario(self.spec.launch_plan)
        ex = self.run.ex_id
        name = child_execution_name(ex.name, self.unique_id, self.attempt)
        child_id = identifier_pb2.WorkflowExecutionIdentifier(project=ex.project, domain=ex.domain, name=name)
        self.child_exec = child_id
        self.player._expect_child(_key(child_id), self._child_finished)
        req = execution_pb2.ExecutionCreateRequest(
            project=ex.project,
            domain=ex.domain,
            name=name,
            spec=execution_pb2.ExecutionSpec(
                launch_plan=child.launch_plan_id(ex.project, ex.domain),
                metadata=execution_pb2.ExecutionMetadata(
                    mode=execution_pb2.ExecutionMetadata.CHILD_WORKFLOW,
                    principal=self.run.spec.metadata.principal or "sandbox",
                    nesting=self.run.spec.metadata.nesting + 1,
                    parent_node_execution=identifier_pb2.NodeExecutionIdentifier(
                        node_id=self.unique_id, execution_id=ex
                    ),
                ),
                labels=common_pb2.Labels(values={"scenario": child.name}),
            ),
            inputs=child.inputs(),
        )
        self.player.call("admin", "CreateExecution", req)
        self.node_event(NodePhase.RUNNING, workflow_node_metadata=event_pb2.WorkflowNodeMetadata(execution_id=child_id))

    def _child_finished(self, child: _Run) -> None:
        if self.terminal or self.run.finished:
            return
        wnm = event_pb2.WorkflowNodeMetadata(execution_id=child.ex_id)
        if child.phase == WorkflowPhase.SUCCEEDED:
            self.done(NodePhase.SUCCEEDED, output_data=child.outputs, workflow_node_metadata=wnm)
        else:
            msg = f"execution {child.ex_id.name} ended {child.phase.name}"
            self.done(NodePhase.FAILED, _error("SubWorkflowExecutionFailed", msg, "USER"), workflow_node_metadata=wnm)

    # -- gates ----------------------------------------------------------------------------------------------
    def _gate_start(self) -> None:
        gate = self.spec.gate
        self.node_event(NodePhase.RUNNING)
        if gate is None or gate.kind == "sleep":
            self.later(gate.sleep_s if gate else 0.0, lambda: self.done(NodePhase.SUCCEEDED))
            return
        sig = identifier_pb2.SignalIdentifier(signal_id=gate.signal_id, execution_id=self.run.ex_id)
        self.run.gates[gate.signal_id] = self
        self.player.call(
            "signal", "GetOrCreateSignal", signal_pb2.SignalGetOrCreateRequest(id=sig, type=gate.literal_type())
        )

    def gate_released(self, value: literals_pb2.Literal) -> None:
        gate = self.spec.gate
        if gate is None or self.terminal:
            return
        if gate.kind == "approve":
            if value.scalar.primitive.boolean:
                self.done(NodePhase.SUCCEEDED)
            else:
                self.done(
                    NodePhase.FAILED,
                    _error("ReceivedRejectSignal", f"received reject signal for gate node [{self.unique_id}]", "USER"),
                )
            return
        self.done(NodePhase.SUCCEEDED, output_data=literals_pb2.LiteralMap(literals={gate.output_name: value}))

    # -- array nodes ----------------------------------------------------------------------------------------
    def _array_start(self) -> None:
        arr = self.spec.array or Subtasks(size=0)
        self.node_event(NodePhase.RUNNING)
        if arr.event_version >= 1:
            self._subnodes_start(arr)
            return
        self.task_event(TaskPhase.QUEUED, 0, input_data=self.inputs)
        timeline = _subtask_timeline(arr)
        if not timeline:
            self.later(ARRAY_TICK_S, self._array_end)
            return
        ticks: dict[float, list[tuple[int, int, TaskPhase]]] = {}
        for t, index, retry, phase in timeline:
            ticks.setdefault(math.ceil(t / ARRAY_TICK_S) * ARRAY_TICK_S, []).append((index, retry, phase))
        for t in sorted(ticks):
            self.later(max(t, 0.0), lambda batch=ticks[t]: self._array_tick(batch))  # type: ignore[misc]
        self.later(max(ticks) + ARRAY_TICK_S, self._array_end)

    def _external(self, index: int, retry: int, phase: TaskPhase) -> event_pb2.ExternalResourceInfo:
        gen = fixed_length_unique_id_for_parts(TASK_ID_MAX_LENGTH, [self.run.ex_id.name, self.unique_id, str(retry)])
        return event_pb2.ExternalResourceInfo(
            external_id=f"{gen}-n{index}-{retry}",
            index=index,
            retry_attempt=retry,
            phase=int(phase),
            cache_status=int(CacheStatus.CACHE_DISABLED),
            logs=self.logs(retry, index=index) if phase != TaskPhase.QUEUED else [],
        )

    def _array_tick(self, batch: list[tuple[int, int, TaskPhase]]) -> None:
        latest: dict[tuple[int, int], TaskPhase] = {}
        for index, retry, phase in batch:
            latest[(index, retry)] = phase
        self.array_state.update(latest)
        resources = [self._external(i, r, p) for (i, r), p in sorted(latest.items())]
        self.task_event(TaskPhase.RUNNING, 0, external_resources=resources)

    def _array_end(self) -> None:
        arr = self.spec.array or Subtasks(size=0)
        own_task = arr.event_version < 1  # with event version 1 the array node has no task execution of its own
        final: dict[int, TaskPhase] = {}
        for (index, retry), phase in sorted(self.array_state.items()):
            del retry
            final[index] = phase
        ok = sum(1 for p in final.values() if p == TaskPhase.SUCCEEDED)
        if arr.size == 0 or ok >= math.ceil(arr.min_success_ratio * arr.size):
            if own_task:
                self.task_event(TaskPhase.SUCCEEDED, 0, output_data=self.outputs)
            self.done(NodePhase.SUCCEEDED, output_data=self.outputs)
            return
        failed = sorted(i for i, p in final.items() if p != TaskPhase.SUCCEEDED)
        msg = f"{len(failed)} of {arr.size} subtasks failed (indices {failed[:10]})"
        msg += f"; min_success_ratio {arr.min_success_ratio}"
        err = _error("ArrayNodeSubtasksFailed", msg, "USER")
        if own_task:
            self.task_event(TaskPhase.FAILED, 0, error=err)
        self.done(NodePhase.FAILED, err)

    def _subnodes_start(self, arr: Subtasks) -> None:
        """Event version 1: each subtask is a node of its own, played on the subtask timeline."""
        timeline = _subtask_timeline(arr)
        last_retry: dict[int, int] = {}
        for _, index, retry, _ in timeline:
            last_retry[index] = max(retry, last_retry.get(index, 0))
        self.subnodes = {i: _SubNode(self, i, last_retry.get(i, 0)) for i in range(arr.size)}
        # propeller evaluates the sub nodes once per round: their events come in batches, as with version 0
        ticks: dict[float, list[tuple[int, int, TaskPhase]]] = {}
        for t, index, retry, phase in timeline:
            ticks.setdefault(math.ceil(t / ARRAY_TICK_S) * ARRAY_TICK_S, []).append((index, retry, phase))
        for t, batch in sorted(ticks.items()):
            self.later(max(t, 0.0), lambda batch=batch: self._subnodes_tick(batch))  # type: ignore[misc]
        self.later(max(ticks, default=0.0) + ARRAY_TICK_S, self._array_end)

    def _subnodes_tick(self, batch: list[tuple[int, int, TaskPhase]]) -> None:
        for index, retry, phase in batch:
            self.subnodes[index].report(retry, phase)

    # -- abort ----------------------------------------------------------------------------------------------
    def abort(self, cause: str) -> None:
        """Abort this node and what runs below it (task ABORTED, children, child execution, then node ABORTED)."""
        if self.terminal or self.phase == NodePhase.UNDEFINED:
            return
        if self.child is not None:
            self.child.abort(cause)
        for sub in self.subnodes.values():
            sub.abort(cause)
        if self.child_exec is not None:
            req = execution_pb2.ExecutionTerminateRequest(id=self.child_exec, cause=f"parent aborted: {cause}")
            self.player.call("admin", "TerminateExecution", req)
        if self.task_phase is not None and self.task_phase not in (
            TaskPhase.SUCCEEDED,
            TaskPhase.FAILED,
            TaskPhase.ABORTED,
        ):
            self.task_event(TaskPhase.ABORTED, self.attempt, reason=cause)
        if self.spec.gate is not None:
            self.run.gates.pop(self.spec.gate.signal_id, None)
        self.node_event(NodePhase.ABORTED, error=_error("NodeAborted", cause or "aborted", "USER"))


class _SubNode:
    """One array subtask reported as a node execution (event version 1), as propeller's node executor reports the
    array's sub node: id ``GenerateUniqueID(array, array attempt, "n<index>")``, spec node id and name ``n<index>``
    (``nodes/array/handler.go`` ``buildArrayNodeContext``), one task execution per subtask retry."""

    def __init__(self, array: _NodeRun, index: int, last_retry: int) -> None:
        self.array = array
        self.index = index
        self.last_retry = last_retry
        self.spec_id = f"n{index}"
        self.unique_id = unique_node_id(array.unique_id, array.attempt, self.spec_id)
        self.nid = identifier_pb2.NodeExecutionIdentifier(node_id=self.unique_id, execution_id=array.run.ex_id)
        self.phase = NodePhase.UNDEFINED
        self.task_phase: tuple[int, TaskPhase, int] | None = None  # (retry, phase, phase version) last reported

    @property
    def terminal(self) -> bool:
        return self.phase in (NodePhase.SUCCEEDED, NodePhase.FAILED, NodePhase.ABORTED)

    def node_event(self, phase: NodePhase, error: core_execution_pb2.ExecutionError | None = None) -> None:
        self.phase = phase
        arr, now = self.array, _ts(self.array.player)
        ev = event_pb2.NodeExecutionEvent(
            id=self.nid,
            producer_id=arr.player.producer_id,
            phase=int(phase),
            occurred_at=now,
            reported_at=now,
            event_version=1,
            spec_node_id=self.spec_id,
            node_name=self.spec_id,
            is_in_dynamic_chain=arr.graph.in_dynamic,
            retry_group=str(arr.attempt),
            target_entity=arr.task_id(),
        )
        ev.parent_node_metadata.node_id = arr.unique_id
        if error is not None:
            ev.error.CopyFrom(error)
        arr.run.node_event(ev)

    def task_event(self, retry: int, phase: TaskPhase, **fields: Any) -> None:
        prev = self.task_phase
        version = prev[2] + 1 if prev is not None and prev[:2] == (retry, phase) else 0
        self.task_phase = (retry, phase, version)
        arr, now = self.array, _ts(self.array.player)
        pod = fixed_length_unique_id_for_parts(TASK_ID_MAX_LENGTH, [arr.run.ex_id.name, self.unique_id, str(retry)])
        ev = event_pb2.TaskExecutionEvent(
            task_id=arr.task_id(),
            parent_node_execution_id=self.nid,
            retry_attempt=retry,
            phase=int(phase),
            phase_version=version,
            producer_id=arr.player.producer_id,
            occurred_at=now,
            reported_at=now,
            task_type=TASK_TYPE,
            **fields,
        )
        ev.metadata.plugin_identifier = "container"
        ev.metadata.generated_name = pod
        if arr.spec.logs and phase != TaskPhase.QUEUED:
            ns = f"{arr.run.ex_id.project}-{arr.run.ex_id.domain}"
            uri = f"{arr.player.log_base}/kubernetes-dashboard/#/log/{ns}/{pod}/pod?namespace={ns}"
            ev.logs.append(core_execution_pb2.TaskLog(uri=uri, name="Kubernetes Logs (User)"))
        arr.run.task_event(ev)

    def report(self, retry: int, phase: TaskPhase) -> None:
        """One step of the subtask timeline: attempt ``retry`` reached ``phase``."""
        if self.terminal or self.array.terminal:
            return
        self.array.array_state[(self.index, retry)] = phase
        if phase == TaskPhase.QUEUED:
            if retry == 0:
                self.node_event(NodePhase.QUEUED)
            self.task_event(retry, phase)
        elif phase == TaskPhase.RUNNING:
            self.task_event(retry, phase)
            if retry == 0:
                self.node_event(NodePhase.RUNNING)
        elif phase == TaskPhase.SUCCEEDED:
            self.task_event(retry, phase)
            self.node_event(NodePhase.SUCCEEDED)
        else:
            err = _error("USER:RuntimeError", f"subtask {self.index} attempt {retry} failed", "USER")
            self.task_event(retry, TaskPhase.FAILED, error=err)
            if retry >= self.last_retry:  # a retryable failure keeps the node RUNNING
                self.node_event(NodePhase.FAILED, err)

    def abort(self, cause: str) -> None:
        if self.terminal or self.phase == NodePhase.UNDEFINED:
            return
        if self.task_phase is not None and self.task_phase[1] in (TaskPhase.QUEUED, TaskPhase.RUNNING):
            self.task_event(self.task_phase[0], TaskPhase.ABORTED, reason=cause)
        self.node_event(NodePhase.ABORTED, _error("NodeAborted", cause or "aborted", "USER"))


def _subtask_timeline(arr: Subtasks) -> list[tuple[float, int, int, TaskPhase]]:
    """When each subtask attempt is queued, runs and ends, with ``parallelism`` subtasks at a time."""
    out: list[tuple[float, int, int, TaskPhase]] = []
    slots = arr.parallelism if arr.parallelism > 0 else max(arr.size, 1)
    free: list[float] = [0.0] * min(slots, max(arr.size, 1))
    heapq.heapify(free)
    for i in range(arr.size):
        t = heapq.heappop(free)
        fails = arr.max_retries + 1 if i in arr.permanent else min(arr.retries.get(i, 0), arr.max_retries)
        attempts = fails if i in arr.permanent else fails + 1
        run_s = arr.run_s * (0.75 + 0.05 * ((i * 37) % 11))
        for r in range(attempts):
            out.append((t, i, r, TaskPhase.QUEUED))
            out.append((t + 0.5, i, r, TaskPhase.RUNNING))
            t += 0.5 + run_s
            out.append((t, i, r, TaskPhase.FAILED if r < fails else TaskPhase.SUCCEEDED))
            t += 0.5
        heapq.heappush(free, t)
    out.sort(key=lambda e: (e[0], e[1], e[2]))
    return out


__all__ = [
    "Player",
    "child_execution_name",
    "fixed_length_unique_id",
    "fixed_length_unique_id_for_parts",
    "fnv32a",
    "fnv64a",
    "unique_node_id",
]
