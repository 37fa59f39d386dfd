"""The sandbox admin's state: executions, node and task executions, signals and registered entities.

State is never written directly: FlyteAdmin's event RPCs feed :meth:`Store.apply_workflow_event`,
:meth:`Store.apply_node_event` and :meth:`Store.apply_task_event`, which project each event into the entity's
closure the way flyteadmin does: phase rules and sticky metadata flags here, the merge rules of its
``repositories/transformers`` (started_at, duration, logs and external resources merged) in :mod:`.transformers`.
Listings are paged, filtered and sorted by :mod:`.listing`. Each record also keeps its row's write times on the
admin's clock (``created_at``/``updated_at`` columns, distinct from the event times in its closure).

Everything sits in memory behind one lock; :attr:`Store.generation` changes with every write (what lets the
servicers keep the answers of a store that has not changed, :mod:`.cache`). With a ``path`` every change is also
written through to SQLite (each record serialized, keyed by its id) and loaded back on open, so a restarted
sandbox keeps its executions.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

import grpc
from flyteidl.admin import (
    execution_pb2,
    launch_plan_pb2,
    node_execution_pb2,
    signal_pb2,
    task_execution_pb2,
    task_pb2,
    workflow_pb2,
)
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.event import event_pb2

from ..objects.phases import NODE_TERMINAL, TASK_TERMINAL, WORKFLOW_TERMINAL, NodePhase, TaskPhase, WorkflowPhase
from .errors import StoreError
from .listing import EXECUTION, NODE, SIGNAL, TASK, check_limit, datetime_ns, execution_joins, paginate, select
from .transformers import (
    duration_between,
    filter_logs_by_phase,
    filter_resource_logs_by_phase,
    merge_custom,
    merge_logs,
    merge_metadata,
    merge_reasons,
    replace_repeated,
    reported_at,
    sort_resources,
    to_timestamp,
    trimmed,
)

#: How many filtered and sorted node listings the store keeps for paging.
_MAX_LISTINGS = 32

_WF_QUEUED = int(WorkflowPhase.QUEUED)
_WF_RUNNING = int(WorkflowPhase.RUNNING)
_WF_ABORTING = int(WorkflowPhase.ABORTING)

ExecKey = tuple[str, str, str]
NodeKey = tuple[str, str, str, str]
TaskKey = tuple[str, str, str, str, str, str, str, str, int]
SignalKey = tuple[str, str, str, str]


# ---------------------------------------------------------------------------------------------------------------
# records


@dataclass
class ExecutionRecord:
    """One workflow execution: the admin proto plus the data FlyteAdmin keeps beside it."""

    proto: execution_pb2.Execution
    inputs: literals_pb2.LiteralMap
    outputs: literals_pb2.LiteralMap | None = None
    seq: int = 0
    created_ns: int = 0  # the row's write times on the admin's clock (ns since the epoch)
    updated_ns: int = 0


@dataclass
class NodeRecord:
    """One node execution. ``parent`` is the parent node's unique id ("" at top level); ``parent_row`` and
    ``parent_task_row`` are the row ids (``seq``) of the parent node and of the task execution that launched it,
    as flyteadmin's ``parent_id`` / ``parent_task_execution_id`` columns hold them."""

    proto: node_execution_pb2.NodeExecution
    parent: str = ""
    parent_task: str = ""
    inputs: literals_pb2.LiteralMap | None = None
    outputs: literals_pb2.LiteralMap | None = None
    dynamic: node_execution_pb2.DynamicWorkflowNodeMetadata | None = None
    event_version: int = 0
    seq: int = 0
    created_ns: int = 0
    updated_ns: int = 0
    children: list[str] = field(default_factory=list)
    parent_row: int | None = None
    parent_task_row: int | None = None

    @property
    def dynamic_ref(self) -> str:
        """Where flyteadmin would have stored the dynamic workflow's closure ("" for a node without one)."""
        return _fake_uri(*node_key(self.proto.id), "dynamic_workflow.pb") if self.dynamic is not None else ""


@dataclass
class TaskRecord:
    """One task execution attempt."""

    proto: task_execution_pb2.TaskExecution
    inputs: literals_pb2.LiteralMap | None = None
    outputs: literals_pb2.LiteralMap | None = None
    phase_version: int = 0
    seq: int = 0
    created_ns: int = 0
    updated_ns: int = 0
    child_nodes: int = 0


# ---------------------------------------------------------------------------------------------------------------
# small helpers


def exec_key(wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> ExecKey:
    """The store key of a workflow execution id."""
    return (wf_id.project, wf_id.domain, wf_id.name)


def node_key(node_id: identifier_pb2.NodeExecutionIdentifier) -> NodeKey:
    """The store key of a node execution id."""
    return (*exec_key(node_id.execution_id), node_id.node_id)


def task_key(task_id: identifier_pb2.TaskExecutionIdentifier) -> TaskKey:
    """The store key of a task execution id."""
    t = task_id.task_id
    return (*node_key(task_id.node_execution_id), t.project, t.domain, t.name, t.version, int(task_id.retry_attempt))


def entity_key(ident: identifier_pb2.Identifier) -> tuple[int, str, str, str, str]:
    """The store key of a registered task / workflow / launch plan id."""
    return (int(ident.resource_type), ident.project, ident.domain, ident.name, ident.version)


def _fake_uri(*parts: object) -> str:
    """Where a real FlyteAdmin would have offloaded data; the sandbox keeps the data itself and serves it inline."""
    return "s3://flyte-sandbox/metadata/" + "/".join(map(str, parts))


# ---------------------------------------------------------------------------------------------------------------
# persistence


def _b64(msg: Any | None) -> str | None:
    return None if msg is None else base64.b64encode(msg.SerializeToString()).decode("ascii")


def _unb64(cls: Any, text: str | None) -> Any:
    if text is None:
        return None
    msg = cls()
    msg.ParseFromString(base64.b64decode(text))
    return msg


def _row_times(rec: Any) -> dict[str, int]:
    return {"created_ns": rec.created_ns, "updated_ns": rec.updated_ns}


def _load_row_times(rec: Any, body: dict[str, Any]) -> None:
    """The row's write times (a state file from before they were kept: the closure's times stand in)."""
    c = rec.proto.closure
    rec.created_ns = body.get("created_ns", c.created_at.seconds * 1_000_000_000 + c.created_at.nanos)
    rec.updated_ns = body.get("updated_ns", c.updated_at.seconds * 1_000_000_000 + c.updated_at.nanos)


class _Persistence:
    """Write-through SQLite: one table, a JSON envelope of base64 protos per record, keyed by kind and id."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, "
            "body TEXT NOT NULL, PRIMARY KEY (kind, key))"
        )

    def put(self, kind: str, key: Sequence[object], seq: int, body: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO records (kind, key, seq, body) VALUES (?, ?, ?, ?)",
            (kind, json.dumps(list(key)), seq, json.dumps(body)),
        )

    def load(self) -> list[tuple[str, list[Any], int, dict[str, Any]]]:
        rows = self._db.execute("SELECT kind, key, seq, body FROM records ORDER BY seq").fetchall()
        return [(kind, json.loads(key), seq, json.loads(body)) for kind, key, seq, body in rows]

    def close(self) -> None:
        self._db.close()


# ---------------------------------------------------------------------------------------------------------------
# the store

W = TypeVar("W", bound=Callable[..., Any])


def _writes(fn: W) -> W:
    """A store method that may change state: runs under the lock and moves :attr:`Store.generation` when done
    (also when it fails part way: an error after a partial write must not leave a cached answer standing)."""

    @functools.wraps(fn)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                return fn(self, *args, **kwargs)
            finally:
                self._generation += 1

    return wrapper  # type: ignore[return-value]


class _WriteLock:
    """The store's lock as handed out to callers (:attr:`Store.lock`): whoever holds it may change records in
    place, so releasing it moves the store's generation."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._store._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._store._generation += 1  # still held: no reader sees the new state under the old generation
        self._store._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class Store:
    """All sandbox state, projected from events. Thread safe: one lock around everything.

    ``now`` gives the time the admin stamps itself (created_at of executions, registration times).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, now: Callable[[], datetime] | None = None) -> None:
        self._lock = threading.RLock()
        self._write_lock = _WriteLock(self)
        self._generation = 0
        self._text_timestamps = False
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._seq = itertools.count(1)
        self.executions: dict[ExecKey, ExecutionRecord] = {}
        self.nodes: dict[NodeKey, NodeRecord] = {}
        self.tasks: dict[TaskKey, TaskRecord] = {}
        self.signals: dict[SignalKey, signal_pb2.Signal] = {}
        self.entities: dict[tuple[int, str, str, str, str], Any] = {}
        self.blobs: dict[str, tuple[bytes, str]] = {}
        # indexes
        self._exec_nodes: dict[ExecKey, list[NodeKey]] = {}
        self._node_tasks: dict[NodeKey, list[TaskKey]] = {}
        self._exec_signals: dict[ExecKey, list[SignalKey]] = {}
        self._simple_seq: dict[tuple[str, tuple[Any, ...]], int] = {}
        # Node listings, filtered and sorted, reused while no node event touched their execution (paging through
        # 10,000 nodes would otherwise filter and sort all of them again for every page).
        self._node_writes: dict[ExecKey, int] = {}
        self._listings: dict[tuple[Any, ...], tuple[int, list[NodeRecord]]] = {}
        self._db = _Persistence(path) if path else None
        if self._db is not None:
            self._load()

    @property
    def lock(self) -> _WriteLock:
        """The store's lock (reentrant), for callers that need several reads to agree or change records in place
        (tests poisoning data): releasing it moves :attr:`generation`. Read-only code uses :attr:`reading`."""
        return self._write_lock

    @property
    def reading(self) -> threading.RLock:
        """The store's lock for reads only (it does not move :attr:`generation`): never change a record under it."""
        return self._lock

    @property
    def generation(self) -> int:
        """A number that changes with every write to the store (events, registrations, terminations, signals, the
        timestamp mode, anything done under :attr:`lock`): an answer computed at one generation is exact for as
        long as the generation stays the same."""
        return self._generation

    @property
    def text_timestamps(self) -> bool:
        """Compare timestamp filters as a SQLite-backed FlyteAdmin does: stored text against the value's text."""
        return self._text_timestamps

    @text_timestamps.setter
    def text_timestamps(self, enabled: bool) -> None:
        with self._lock:
            self._text_timestamps = bool(enabled)
            self._generation += 1

    def now(self) -> datetime:
        """The admin's clock."""
        return self._now()

    def _stamp(self, rec: Any, *, created: bool = False) -> None:
        """Record a write of ``rec``'s row at the admin's time, as gorm sets ``created_at``/``updated_at``."""
        now = datetime_ns(self._now())
        if created:
            rec.created_ns = now
        rec.updated_ns = now

    def close(self) -> None:
        """Close the SQLite file (the in-memory state stays readable)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- persistence ------------------------------------------------------------------------------------------

    def _save_execution(self, rec: ExecutionRecord) -> None:
        if self._db is not None:
            body = {
                "proto": _b64(rec.proto),
                "inputs": _b64(rec.inputs),
                "outputs": _b64(rec.outputs),
                **_row_times(rec),
            }
            self._db.put("execution", exec_key(rec.proto.id), rec.seq, body)

    def _save_node(self, rec: NodeRecord) -> None:
        if self._db is not None:
            body = {
                "proto": _b64(rec.proto),
                "parent": rec.parent,
                "parent_task": rec.parent_task,
                "inputs": _b64(rec.inputs),
                "outputs": _b64(rec.outputs),
                "dynamic": _b64(rec.dynamic),
                "event_version": rec.event_version,
                **_row_times(rec),
            }
            self._db.put("node", node_key(rec.proto.id), rec.seq, body)

    def _save_task(self, rec: TaskRecord) -> None:
        if self._db is not None:
            body = {
                "proto": _b64(rec.proto),
                "inputs": _b64(rec.inputs),
                "outputs": _b64(rec.outputs),
                "phase_version": rec.phase_version,
                **_row_times(rec),
            }
            self._db.put("task", task_key(rec.proto.id), rec.seq, body)

    def _save_simple(self, kind: str, key: Sequence[object], msg: Any) -> None:
        if self._db is not None:
            # Keep the first-seen order across rewrites (list order of signals after a reload).
            seq = self._simple_seq.setdefault((kind, tuple(key)), next(self._seq))
            self._db.put(kind, key, seq, {"proto": _b64(msg)})

    def _load(self) -> None:
        assert self._db is not None
        max_seq = 0
        for kind, key, seq, body in self._db.load():
            max_seq = max(max_seq, seq)
            self._simple_seq[(kind, tuple(key))] = seq
            if kind == "execution":
                erec = ExecutionRecord(
                    _unb64(execution_pb2.Execution, body["proto"]),
                    _unb64(literals_pb2.LiteralMap, body["inputs"]),
                    _unb64(literals_pb2.LiteralMap, body["outputs"]),
                    seq,
                )
                _load_row_times(erec, body)
                self.executions[exec_key(erec.proto.id)] = erec
                self._exec_nodes.setdefault(exec_key(erec.proto.id), [])
            elif kind == "node":
                nrec = NodeRecord(
                    _unb64(node_execution_pb2.NodeExecution, body["proto"]),
                    body["parent"],
                    body["parent_task"],
                    _unb64(literals_pb2.LiteralMap, body["inputs"]),
                    _unb64(literals_pb2.LiteralMap, body["outputs"]),
                    _unb64(node_execution_pb2.DynamicWorkflowNodeMetadata, body["dynamic"]),
                    body["event_version"],
                    seq,
                )
                _load_row_times(nrec, body)
                self._index_node(nrec)
            elif kind == "task":
                trec = TaskRecord(
                    _unb64(task_execution_pb2.TaskExecution, body["proto"]),
                    _unb64(literals_pb2.LiteralMap, body["inputs"]),
                    _unb64(literals_pb2.LiteralMap, body["outputs"]),
                    body["phase_version"],
                    seq,
                )
                _load_row_times(trec, body)
                self._index_task(trec)
            elif kind == "blob":
                self.blobs[key[0]] = (base64.b64decode(body["data"]), body["content_type"])
            elif kind == "signal":
                sig = _unb64(signal_pb2.Signal, body["proto"])
                self._index_signal(sig)
            elif kind in ("task_entity", "workflow_entity", "launch_plan_entity"):
                cls = {
                    "task_entity": task_pb2.Task,
                    "workflow_entity": workflow_pb2.Workflow,
                    "launch_plan_entity": launch_plan_pb2.LaunchPlan,
                }[kind]
                ent = _unb64(cls, body["proto"])
                self.entities[entity_key(ent.id)] = ent
        self._seq = itertools.count(max_seq + 1)

    def _index_node(self, rec: NodeRecord) -> None:
        key = node_key(rec.proto.id)
        is_new = key not in self.nodes
        self.nodes[key] = rec
        if is_new:
            self._exec_nodes.setdefault(key[:3], []).append(key)
            if rec.parent:
                parent = self.nodes.get((*key[:3], rec.parent))
                if parent is not None:
                    parent.children.append(rec.proto.id.node_id)
                    rec.parent_row = parent.seq
            if rec.parent_task:
                ptask = self._task_by_text(rec.parent_task)
                if ptask is not None:
                    ptask.child_nodes += 1
                    rec.parent_task_row = ptask.seq

    def _index_task(self, rec: TaskRecord) -> None:
        key = task_key(rec.proto.id)
        if key not in self.tasks:
            self._node_tasks.setdefault(key[:4], []).append(key)
        self.tasks[key] = rec

    def _index_signal(self, sig: signal_pb2.Signal) -> None:
        key = (*exec_key(sig.id.execution_id), sig.id.signal_id)
        if key not in self.signals:
            self._exec_signals.setdefault(key[:3], []).append(key)
        self.signals[key] = sig

    def _task_by_text(self, text: str) -> TaskRecord | None:
        return self.tasks.get(tuple(json.loads(text)))

    # -- registration -----------------------------------------------------------------------------------------

    @_writes
    def _put_entity(self, kind: str, entity: Any, resource_type: int) -> None:
        if not entity.id.name or not entity.id.version:
            raise ValueError(f"{kind} id needs a name and a version, got {entity.id}")
        with self._lock:
            copy = type(entity)()
            copy.CopyFrom(entity)
            copy.id.resource_type = resource_type
            # FlyteAdmin stamps registration time; a launch plan is also ACTIVE with its workflow's inputs.
            now = to_timestamp(self._now())
            if not copy.closure.HasField("created_at"):
                copy.closure.created_at.CopyFrom(now)
            if resource_type == identifier_pb2.LAUNCH_PLAN:
                if not copy.closure.HasField("updated_at"):
                    copy.closure.updated_at.CopyFrom(now)
                if not copy.closure.HasField("expected_inputs") and copy.spec.HasField("default_inputs"):
                    copy.closure.expected_inputs.CopyFrom(copy.spec.default_inputs)
            key = entity_key(copy.id)
            self.entities[key] = copy
            self._save_simple(f"{kind}_entity", key, copy)

    def put_task(self, task: task_pb2.Task) -> None:
        """Register a task (admin Task with its closure)."""
        self._put_entity("task", task, identifier_pb2.TASK)

    def put_workflow(self, workflow: workflow_pb2.Workflow) -> None:
        """Register a workflow (admin Workflow with ``closure.compiled_workflow``)."""
        self._put_entity("workflow", workflow, identifier_pb2.WORKFLOW)

    def put_launch_plan(self, launch_plan: launch_plan_pb2.LaunchPlan) -> None:
        """Register a launch plan (admin LaunchPlan; ``spec.workflow_id`` names its workflow)."""
        self._put_entity("launch_plan", launch_plan, identifier_pb2.LAUNCH_PLAN)

    @_writes
    def put_blob(self, uri: str, data: bytes, content_type: str = "text/html") -> None:
        """Store the bytes behind a URI an event points to (a deck's ``deck_uri``), served through signed URLs."""
        with self._lock:
            self.blobs[uri] = (bytes(data), content_type)
            if self._db is not None:
                body = {"data": base64.b64encode(bytes(data)).decode("ascii"), "content_type": content_type}
                self._db.put("blob", (uri,), next(self._seq), body)

    def get_blob(self, uri: str) -> tuple[bytes, str] | None:
        """The bytes and content type stored for ``uri``, or None."""
        with self._lock:
            return self.blobs.get(uri)

    def get_entity(self, ident: identifier_pb2.Identifier, resource_type: int) -> Any:
        """A registered task / workflow / launch plan; NOT_FOUND when unknown."""
        key = (resource_type, ident.project, ident.domain, ident.name, ident.version)
        with self._lock:
            ent = self.entities.get(key)
            if ent is None:
                kind = identifier_pb2.ResourceType.Name(resource_type)
                raise StoreError(
                    grpc.StatusCode.NOT_FOUND,
                    f"missing entity of type {kind} with identifier "
                    f"{ident.project}:{ident.domain}:{ident.name}:{ident.version}",
                )
            copy = type(ent)()
            copy.CopyFrom(ent)
            return copy

    # -- executions -------------------------------------------------------------------------------------------

    @_writes
    def create_execution(
        self,
        wf_id: identifier_pb2.WorkflowExecutionIdentifier,
        spec: execution_pb2.ExecutionSpec,
        inputs: literals_pb2.LiteralMap,
        workflow_id: identifier_pb2.Identifier,
    ) -> execution_pb2.Execution:
        """Store a new execution in phase UNDEFINED (flyteadmin's CreateExecutionModel); ALREADY_EXISTS on a name
        clash."""
        with self._lock:
            key = exec_key(wf_id)
            if key in self.executions:
                raise StoreError(grpc.StatusCode.ALREADY_EXISTS, f"execution with id {':'.join(key)} already exists")
            now = to_timestamp(self._now())
            proto = execution_pb2.Execution()
            proto.id.CopyFrom(wf_id)
            proto.spec.CopyFrom(spec)
            c = proto.closure
            c.phase = core_execution_pb2.WorkflowExecution.UNDEFINED
            c.created_at.CopyFrom(now)
            c.updated_at.CopyFrom(now)
            c.workflow_id.CopyFrom(workflow_id)
            c.state_change_details.state = execution_pb2.EXECUTION_ACTIVE
            c.state_change_details.occurred_at.CopyFrom(now)
            c.state_change_details.principal = spec.metadata.principal
            rec = ExecutionRecord(proto, inputs, None, next(self._seq))
            self._stamp(rec, created=True)
            self.executions[key] = rec
            self._exec_nodes.setdefault(key, [])
            self._save_execution(rec)
            return self._copy(proto)

    @staticmethod
    def _copy(proto: Any) -> Any:
        copy = type(proto)()
        copy.CopyFrom(proto)
        return copy

    def _execution(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> ExecutionRecord:
        rec = self.executions.get(exec_key(wf_id))
        if rec is None:
            raise StoreError(
                grpc.StatusCode.NOT_FOUND,
                f"missing entity of type execution with identifier {':'.join(exec_key(wf_id))}",
            )
        return rec

    def get_execution(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> execution_pb2.Execution:
        """The execution, error message whole; NOT_FOUND when unknown."""
        with self._lock:
            return self._copy(self._execution(wf_id).proto)

    def execution_record(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> ExecutionRecord:
        """The execution's record (a live object: read it under :attr:`lock`)."""
        with self._lock:
            return self._execution(wf_id)

    def list_executions(
        self,
        project: str,
        domain: str,
        *,
        limit: int,
        token: str,
        filters: str = "",
        sort_by: Any = None,
        name: str = "",
    ) -> tuple[list[execution_pb2.Execution], str]:
        """One page of a project/domain's executions (errors trimmed; ``name``: only that one). Without
        ``sort_by`` in the database's order (by name), as flyteadmin adds no ORDER BY."""
        with self._lock:
            check_limit(limit)
            recs = [
                r
                for k, r in self.executions.items()
                if k[0] == project and k[1] == domain and (not name or k[2] == name)
            ]
            recs.sort(key=lambda r: r.seq)
            chosen = select(
                recs,
                EXECUTION,
                filters,
                sort_by,
                joins=execution_joins(),
                text_times=self.text_timestamps,
                natural=lambda r: exec_key(r.proto.id),
            )
            page, nxt = paginate(chosen, limit, token)
            return [trimmed(r.proto) for r in page], nxt

    @_writes
    def terminate(
        self, wf_id: identifier_pb2.WorkflowExecutionIdentifier, cause: str, principal: str
    ) -> execution_pb2.Execution:
        """flyteadmin TerminateExecution: FAILED_PRECONDITION when terminal, else ABORTING + abort_metadata.
        ``closure.updated_at`` stays (SetExecutionAborting in ``repositories/transformers/execution.go`` does not
        touch it); only the row's write time moves."""
        with self._lock:
            rec = self._execution(wf_id)
            c = rec.proto.closure
            if c.phase in WORKFLOW_TERMINAL:
                raise StoreError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"Cannot abort an already terminated workflow execution: {':'.join(exec_key(wf_id))}",
                )
            c.phase = core_execution_pb2.WorkflowExecution.ABORTING
            c.abort_metadata.cause = cause
            c.abort_metadata.principal = principal
            self._stamp(rec)
            self._execution_written(rec)
            return self._copy(rec.proto)

    def _execution_written(self, rec: ExecutionRecord) -> None:
        self._save_execution(rec)
        # Node listings may filter on the execution's columns (execution.phase): cached ones are stale.
        key = exec_key(rec.proto.id)
        self._node_writes[key] = self._node_writes.get(key, 0) + 1

    @_writes
    def apply_workflow_event(self, ev: event_pb2.WorkflowExecutionEvent) -> None:
        """Project a WorkflowExecutionEvent (flyteadmin CreateWorkflowEvent + UpdateExecutionModelState)."""
        with self._lock:
            rec = self._execution(ev.execution_id)
            c = rec.proto.closure
            cur, new = int(c.phase), int(ev.phase)
            name = ":".join(exec_key(ev.execution_id))
            # Repeated QUEUED events are allowed (cluster reassignment).
            if new != _WF_QUEUED and cur == new:
                raise StoreError(
                    grpc.StatusCode.ALREADY_EXISTS,
                    f"This phase {WorkflowPhase(new).name} was already recorded for workflow execution {name}",
                )
            if cur in WORKFLOW_TERMINAL:
                raise StoreError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"Invalid phase change from {WorkflowPhase(cur).name} to {_name(WorkflowPhase, new)} "
                    f"for workflow execution {name}: already in a terminal state",
                )
            if cur == _WF_RUNNING and new == _WF_QUEUED:
                raise StoreError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"Cannot go from RUNNING to QUEUED for workflow execution {name}",
                )
            if cur == _WF_ABORTING and new not in WORKFLOW_TERMINAL:
                raise StoreError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"Invalid phase change from ABORTING to {_name(WorkflowPhase, new)} for workflow execution {name}",
                )
            c.phase = new
            c.updated_at.CopyFrom(ev.occurred_at)
            if new == _WF_RUNNING:
                c.started_at.CopyFrom(ev.occurred_at)
            if new in WORKFLOW_TERMINAL:
                if c.HasField("started_at"):
                    c.duration.CopyFrom(duration_between(c.started_at, ev.occurred_at))
                if ev.output_uri:
                    c.outputs.uri = ev.output_uri
                elif ev.HasField("output_data"):
                    rec.outputs = self._copy(ev.output_data)
                    c.outputs.uri = _fake_uri(*exec_key(ev.execution_id), "end-node", "data", "outputs.pb")
                elif ev.HasField("error"):
                    c.error.CopyFrom(ev.error)
            self._stamp(rec)
            self._execution_written(rec)

    # -- node executions --------------------------------------------------------------------------------------

    def _node(self, nid: identifier_pb2.NodeExecutionIdentifier) -> NodeRecord:
        rec = self.nodes.get(node_key(nid))
        if rec is None:
            raise StoreError(
                grpc.StatusCode.NOT_FOUND,
                f"missing entity of type node execution with identifier {':'.join(node_key(nid))}",
            )
        return rec

    def _node_view(self, rec: NodeRecord, *, listed: bool) -> node_execution_pb2.NodeExecution:
        """FromNodeExecutionModel: the stored proto, error trimmed in lists, is_parent_node from children."""
        proto = trimmed(rec.proto) if listed else self._copy(rec.proto)
        md = proto.metadata
        # flyteadmin derives the flags from preloaded children when the event didn't set them: always in List
        # (children are preloaded), in Get only for nodes created by event_version 0.
        if (listed or rec.event_version == 0) and not (md.is_parent_node or md.is_dynamic) and rec.children:
            md.is_parent_node = True
            if rec.dynamic is not None:
                md.is_dynamic = True
        return proto

    def get_node_execution(self, nid: identifier_pb2.NodeExecutionIdentifier) -> node_execution_pb2.NodeExecution:
        """The node execution, error message whole; NOT_FOUND when unknown."""
        with self._lock:
            return self._node_view(self._node(nid), listed=False)

    def node_record(self, nid: identifier_pb2.NodeExecutionIdentifier) -> NodeRecord:
        """The node's record (a live object: read it under :attr:`lock`)."""
        with self._lock:
            return self._node(nid)

    def list_node_executions(
        self,
        wf_id: identifier_pb2.WorkflowExecutionIdentifier,
        *,
        limit: int,
        token: str,
        filters: str = "",
        sort_by: Any = None,
        unique_parent_id: str = "",
    ) -> tuple[list[node_execution_pb2.NodeExecution], str]:
        """One page of top-level nodes, or of ``unique_parent_id``'s children (NOT_FOUND for an unknown parent).

        As flyteadmin's ``node_execution_manager.go``: an unknown execution is not checked for, its listing is
        empty; an unknown parent is NOT_FOUND (the parent's row is looked up for its id). Without ``sort_by`` the
        order is the primary key's (node id), not creation order.
        """
        with self._lock:
            check_limit(limit)
            ekey = exec_key(wf_id)
            if unique_parent_id and (*ekey, unique_parent_id) not in self.nodes:
                raise StoreError(
                    grpc.StatusCode.NOT_FOUND,
                    f"missing entity of type node execution with identifier {':'.join(ekey)}:{unique_parent_id}",
                )
            sort = (sort_by.key, sort_by.direction) if sort_by is not None else None
            cache_key = (ekey, unique_parent_id, filters, sort, self.text_timestamps)
            version = self._node_writes.get(ekey, 0)
            cached = self._listings.get(cache_key)
            if cached is not None and cached[0] == version:
                chosen = cached[1]
            else:
                nodes = [self.nodes[k] for k in self._exec_nodes.get(ekey, [])]
                if unique_parent_id:
                    recs = [r for r in nodes if r.parent == unique_parent_id]
                else:
                    recs = [r for r in nodes if not r.parent and not r.parent_task]
                chosen = self._select_nodes(recs, ekey, filters, sort_by)
                self._listings.pop(cache_key, None)
                self._listings[cache_key] = (version, chosen)
                while len(self._listings) > _MAX_LISTINGS:
                    del self._listings[next(iter(self._listings))]  # the oldest
            page, nxt = paginate(chosen, limit, token)
            return [self._node_view(r, listed=True) for r in page], nxt

    def _select_nodes(self, recs: list[NodeRecord], ekey: ExecKey, filters: str, sort_by: Any) -> list[NodeRecord]:
        """Filter and sort node records of one execution as a node listing does (joins, text times, key order)."""
        return select(
            recs,
            NODE,
            filters,
            sort_by,
            joins=self._node_joins(ekey),
            text_times=self.text_timestamps,
            natural=_by_node_id,
        )

    def list_node_executions_for_task(
        self,
        tid: identifier_pb2.TaskExecutionIdentifier,
        *,
        limit: int,
        token: str,
        filters: str = "",
        sort_by: Any = None,
    ) -> tuple[list[node_execution_pb2.NodeExecution], str]:
        """One page of the nodes a task execution launched (``parent_task_metadata`` in their events); NOT_FOUND
        for an unknown task execution (flyteadmin looks its row up)."""
        with self._lock:
            check_limit(limit)
            self._task(tid)
            text = json.dumps(list(task_key(tid)))
            ekey = exec_key(tid.node_execution_id.execution_id)
            recs = [self.nodes[k] for k in self._exec_nodes.get(ekey, []) if self.nodes[k].parent_task == text]
            chosen = self._select_nodes(recs, ekey, filters, sort_by)
            page, nxt = paginate(chosen, limit, token)
            return [self._node_view(r, listed=True) for r in page], nxt

    def _node_joins(self, ekey: ExecKey) -> dict[str, Callable[[Any], Any]]:
        """The rows a node listing's filters may join (``execution.`` columns)."""
        execution = self.executions.get(ekey)
        return {"execution": lambda r: execution}

    def all_nodes(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> list[NodeRecord]:
        """Every node of an execution, children included, in creation order."""
        with self._lock:
            self._execution(wf_id)
            return [self.nodes[k] for k in self._exec_nodes.get(exec_key(wf_id), [])]

    @_writes
    def apply_node_event(self, ev: event_pb2.NodeExecutionEvent) -> None:
        """Project a NodeExecutionEvent (flyteadmin CreateNodeEvent + Create/UpdateNodeExecutionModel)."""
        with self._lock:
            self._execution(ev.id.execution_id)
            key = node_key(ev.id)
            rec = self.nodes.get(key)
            try:
                if rec is None:
                    self._create_node(ev)
                else:
                    self._update_node(rec, ev)
            finally:
                self._node_writes[key[:3]] = self._node_writes.get(key[:3], 0) + 1  # cached listings are stale

    def _create_node(self, ev: event_pb2.NodeExecutionEvent) -> None:
        parent = ""
        if ev.HasField("parent_node_metadata"):
            parent = ev.parent_node_metadata.node_id
            pid = identifier_pb2.NodeExecutionIdentifier(node_id=parent, execution_id=ev.id.execution_id)
            self._node(pid)
        parent_task = ""
        if ev.HasField("parent_task_metadata"):
            tkey = task_key(ev.parent_task_metadata.id)
            if tkey not in self.tasks:
                raise StoreError(
                    grpc.StatusCode.NOT_FOUND, f"missing entity of type task execution with identifier {tkey}"
                )
            parent_task = json.dumps(list(tkey))
        proto = node_execution_pb2.NodeExecution()
        proto.id.CopyFrom(ev.id)
        c = proto.closure
        c.phase = ev.phase
        c.created_at.CopyFrom(ev.occurred_at)
        c.updated_at.CopyFrom(reported_at(ev))
        md = proto.metadata
        md.retry_group = ev.retry_group
        md.spec_node_id = ev.spec_node_id
        md.is_parent_node = ev.is_parent
        md.is_dynamic = ev.is_dynamic
        md.is_array = ev.is_array
        md.is_eager = ev.is_eager
        rec = NodeRecord(proto, parent, parent_task, event_version=int(ev.event_version), seq=next(self._seq))
        self._stamp(rec, created=True)
        self._node_inputs(rec, ev)
        if ev.phase == NodePhase.RUNNING:
            c.started_at.CopyFrom(ev.occurred_at)
            c.deck_uri = ev.deck_uri
        if ev.phase in NODE_TERMINAL:
            self._node_terminal(rec, ev)
        self._node_task_metadata(rec, ev, update=False)
        self._index_node(rec)
        self._save_node(rec)

    def _update_node(self, rec: NodeRecord, ev: event_pb2.NodeExecutionEvent) -> None:
        c = rec.proto.closure
        cur, new = int(c.phase), int(ev.phase)
        if cur == new:
            raise StoreError(
                grpc.StatusCode.ALREADY_EXISTS,
                f"This phase was already recorded {NodePhase(cur).name} for {':'.join(node_key(ev.id))}",
            )
        if cur in NODE_TERMINAL:
            raise StoreError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"Invalid phase change from {NodePhase(cur).name} to {_name(NodePhase, new)} for node execution "
                f"{':'.join(node_key(ev.id))}: already in a terminal state",
            )
        child: identifier_pb2.WorkflowExecutionIdentifier | None = None
        if ev.HasField("workflow_node_metadata"):
            child = ev.workflow_node_metadata.execution_id
            self._execution(child)  # the launched execution must exist
        self._node_inputs(rec, ev)
        self._stamp(rec)
        c.phase = new
        c.updated_at.CopyFrom(reported_at(ev))
        if new == NodePhase.RUNNING:
            c.started_at.CopyFrom(ev.occurred_at)
            c.deck_uri = ev.deck_uri
        if new in NODE_TERMINAL:
            self._node_terminal(rec, ev)
        if child is not None and c.WhichOneof("target_metadata") != "workflow_node_metadata":
            c.workflow_node_metadata.executionId.CopyFrom(child)
        self._node_task_metadata(rec, ev, update=True)
        md = rec.proto.metadata
        # Sticky: only ever switched on by an event.
        md.is_parent_node = md.is_parent_node or ev.is_parent
        md.is_dynamic = md.is_dynamic or ev.is_dynamic
        md.is_array = md.is_array or ev.is_array
        self._save_node(rec)

    def _node_inputs(self, rec: NodeRecord, ev: event_pb2.NodeExecutionEvent) -> None:
        if rec.proto.input_uri:
            return  # inputs are static over the node execution
        which = ev.WhichOneof("input_value")
        if which == "input_uri":
            rec.proto.input_uri = ev.input_uri
        elif which == "input_data":
            rec.inputs = self._copy(ev.input_data)
            rec.proto.input_uri = _fake_uri(*node_key(ev.id), "data", "inputs.pb")

    def _node_terminal(self, rec: NodeRecord, ev: event_pb2.NodeExecutionEvent) -> None:
        c = rec.proto.closure
        if c.HasField("started_at"):
            c.duration.CopyFrom(duration_between(c.started_at, ev.occurred_at))
        which = ev.WhichOneof("output_result")
        if which == "output_uri":
            c.output_uri = ev.output_uri
        elif which == "output_data":
            # FlyteAdmin's default InlineEventDataPolicy offloads: the closure gets a URI, the data is served by
            # GetNodeExecutionData.
            rec.outputs = self._copy(ev.output_data)
            c.output_uri = _fake_uri(*node_key(ev.id), "data", "outputs.pb")
        elif which == "error":
            c.error.CopyFrom(ev.error)
        c.deck_uri = ev.deck_uri

    def _node_task_metadata(self, rec: NodeRecord, ev: event_pb2.NodeExecutionEvent, *, update: bool) -> None:
        """TaskNodeMetadata (cache status, checkpoint) and the dynamic workflow. ``dynamic_job_spec_uri`` is kept
        only on the update path: CreateNodeExecutionModel ignores it (``repositories/transformers/node_execution.go``),
        while the dynamic workflow's closure is stored on both (``node_execution_manager.go``)."""
        if not ev.HasField("task_node_metadata"):
            return
        c = rec.proto.closure
        tnm = ev.task_node_metadata
        target = node_execution_pb2.TaskNodeMetadata(checkpoint_uri=tnm.checkpoint_uri)
        if tnm.HasField("catalog_key"):
            target.cache_status = tnm.cache_status
            target.catalog_key.CopyFrom(tnm.catalog_key)
        c.task_node_metadata.CopyFrom(target)
        if tnm.HasField("dynamic_workflow"):
            dyn = tnm.dynamic_workflow
            if update and dyn.dynamic_job_spec_uri:
                c.dynamic_job_spec_uri = dyn.dynamic_job_spec_uri
            if dyn.HasField("compiled_workflow"):
                # flyteadmin answers with the compiled closure's primary template id; GetNodeExecutionData adds the
                # closure's dynamic_job_spec_uri when it is read.
                rec.dynamic = node_execution_pb2.DynamicWorkflowNodeMetadata(
                    id=dyn.compiled_workflow.primary.template.id, compiled_workflow=dyn.compiled_workflow
                )

    # -- task executions --------------------------------------------------------------------------------------

    def _task(self, tid: identifier_pb2.TaskExecutionIdentifier) -> TaskRecord:
        rec = self.tasks.get(task_key(tid))
        if rec is None:
            raise StoreError(
                grpc.StatusCode.NOT_FOUND,
                f"missing entity of type task execution with identifier {task_key(tid)}",
            )
        return rec

    def _task_view(self, rec: TaskRecord) -> task_execution_pb2.TaskExecution:
        """FromTaskExecutionModel: the error message whole, also in lists (ListTaskExecutions uses the default
        transformer options since flyteadmin PR #536, ``task_execution_manager.go``), is_parent from children."""
        proto = self._copy(rec.proto)
        if rec.child_nodes:
            proto.is_parent = True
        return proto

    def get_task_execution(self, tid: identifier_pb2.TaskExecutionIdentifier) -> task_execution_pb2.TaskExecution:
        """The task execution, error message whole; NOT_FOUND when unknown."""
        with self._lock:
            return self._task_view(self._task(tid))

    def task_record(self, tid: identifier_pb2.TaskExecutionIdentifier) -> TaskRecord:
        """The task execution's record (a live object: read it under :attr:`lock`)."""
        with self._lock:
            return self._task(tid)

    def list_task_executions(
        self,
        nid: identifier_pb2.NodeExecutionIdentifier,
        *,
        limit: int,
        token: str,
        filters: str = "",
        sort_by: Any = None,
    ) -> tuple[list[task_execution_pb2.TaskExecution], str]:
        """One page of a node's task executions (attempts; without ``sort_by`` in primary-key order). An unknown
        node is not checked for: its listing is empty (``task_execution_manager.go``)."""
        with self._lock:
            check_limit(limit)
            recs = [self.tasks[k] for k in self._node_tasks.get(node_key(nid), [])]
            node, execution = self.nodes.get(node_key(nid)), self.executions.get(exec_key(nid.execution_id))
            joins = {"node_execution": lambda r: node, "execution": lambda r: execution}
            chosen = select(
                recs,
                TASK,
                filters,
                sort_by,
                joins=joins,
                text_times=self.text_timestamps,
                natural=lambda r: task_key(r.proto.id),
            )
            page, nxt = paginate(chosen, limit, token)
            return [self._task_view(r) for r in page], nxt

    @_writes
    def apply_task_event(self, ev: event_pb2.TaskExecutionEvent) -> None:
        """Project a TaskExecutionEvent (flyteadmin CreateTaskEvent + Create/UpdateTaskExecutionModel)."""
        with self._lock:
            self._node(ev.parent_node_execution_id)
            t = ev.task_id
            key = (*node_key(ev.parent_node_execution_id), t.project, t.domain, t.name, t.version, ev.retry_attempt)
            rec = self.tasks.get(key)
            if rec is not None:
                self._update_task(rec, ev)
                return
            tid = identifier_pb2.TaskExecutionIdentifier(
                task_id=ev.task_id, node_execution_id=ev.parent_node_execution_id, retry_attempt=ev.retry_attempt
            )
            tid.task_id.resource_type = identifier_pb2.TASK
            self._create_task(tid, ev)

    def _create_task(self, tid: identifier_pb2.TaskExecutionIdentifier, ev: event_pb2.TaskExecutionEvent) -> None:
        proto = task_execution_pb2.TaskExecution()
        proto.id.CopyFrom(tid)
        c = proto.closure
        c.phase = ev.phase
        c.created_at.CopyFrom(ev.occurred_at)
        c.updated_at.CopyFrom(reported_at(ev))
        c.logs.extend(ev.logs)
        if ev.HasField("custom_info"):
            c.custom_info.CopyFrom(ev.custom_info)
        c.task_type = ev.task_type
        if ev.HasField("metadata"):
            c.metadata.CopyFrom(ev.metadata)
            replace_repeated(c.metadata.external_resources, sort_resources(list(ev.metadata.external_resources)))
        c.event_version = ev.event_version
        merge_reasons(c, ev)
        rec = TaskRecord(proto, phase_version=int(ev.phase_version), seq=next(self._seq))
        self._stamp(rec, created=True)
        self._task_inputs(rec, ev)
        if ev.phase == TaskPhase.RUNNING:
            c.started_at.CopyFrom(ev.occurred_at)
        if ev.phase in TASK_TERMINAL:
            self._task_terminal(rec, ev)
        self._index_task(rec)
        self._save_task(rec)

    def _update_task(self, rec: TaskRecord, ev: event_pb2.TaskExecutionEvent) -> None:
        c = rec.proto.closure
        cur, new = int(c.phase), int(ev.phase)
        if cur == new and ev.phase_version <= rec.phase_version:
            raise StoreError(
                grpc.StatusCode.ALREADY_EXISTS,
                f"This phase {TaskPhase(cur).name} was already recorded for {task_key(rec.proto.id)}",
            )
        if cur in TASK_TERMINAL:
            raise StoreError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"Invalid phase change from {TaskPhase(cur).name} to {_name(TaskPhase, new)} for task execution "
                f"{task_key(rec.proto.id)}: already in a terminal state",
            )
        self._task_inputs(rec, ev)
        self._stamp(rec)
        phase_change = cur != new
        c.phase = new
        rec.phase_version = int(ev.phase_version)
        c.updated_at.CopyFrom(reported_at(ev))
        replace_repeated(c.logs, filter_logs_by_phase(merge_logs(list(c.logs), list(ev.logs)), new))
        merge_reasons(c, ev)
        if cur != TaskPhase.RUNNING and new == TaskPhase.RUNNING and not c.HasField("started_at"):
            c.started_at.CopyFrom(ev.occurred_at)
        if new in TASK_TERMINAL:
            self._task_terminal(rec, ev)
        if ev.HasField("custom_info"):
            if c.HasField("custom_info"):
                c.custom_info.CopyFrom(merge_custom(c.custom_info, ev.custom_info))
            else:
                c.custom_info.CopyFrom(ev.custom_info)
        if ev.HasField("metadata"):
            merge_metadata(c, ev.metadata)
        if phase_change:
            filter_resource_logs_by_phase(c.metadata.external_resources, new)
        if ev.event_version > c.event_version:
            c.event_version = ev.event_version
        self._save_task(rec)

    def _task_inputs(self, rec: TaskRecord, ev: event_pb2.TaskExecutionEvent) -> None:
        if rec.proto.input_uri:
            return
        which = ev.WhichOneof("input_value")
        if which == "input_uri":
            rec.proto.input_uri = ev.input_uri
        elif which == "input_data":
            rec.inputs = self._copy(ev.input_data)
            rec.proto.input_uri = _fake_uri(*task_key(rec.proto.id), "inputs.pb")

    def _task_terminal(self, rec: TaskRecord, ev: event_pb2.TaskExecutionEvent) -> None:
        c = rec.proto.closure
        if c.HasField("started_at"):
            c.duration.CopyFrom(duration_between(c.started_at, ev.occurred_at))
        which = ev.WhichOneof("output_result")
        if which == "output_uri":
            c.output_uri = ev.output_uri
        elif which == "output_data":
            rec.outputs = self._copy(ev.output_data)
            c.output_uri = _fake_uri(*task_key(rec.proto.id), "outputs.pb")
        elif which == "error":
            c.error.CopyFrom(ev.error)

    # -- signals ----------------------------------------------------------------------------------------------

    def get_or_create_signal(
        self, sid: identifier_pb2.SignalIdentifier, literal_type: types_pb2.LiteralType
    ) -> signal_pb2.Signal:
        """The signal, created with ``literal_type`` if new (the execution must exist)."""
        with self._lock:
            self._execution(sid.execution_id)
            key = (*exec_key(sid.execution_id), sid.signal_id)
            sig = self.signals.get(key)
            if sig is None:
                sig = signal_pb2.Signal(id=sid, type=literal_type)
                self._index_signal(sig)
                self._save_simple("signal", key, sig)
                self._generation += 1
            return self._copy(sig)

    def list_signals(
        self,
        wf_id: identifier_pb2.WorkflowExecutionIdentifier,
        *,
        limit: int,
        token: str,
        filters: str = "",
        sort_by: Any = None,
    ) -> tuple[list[signal_pb2.Signal], str]:
        """One page of an execution's signals (without ``sort_by`` by signal id, the primary key's order)."""
        with self._lock:
            check_limit(limit)
            recs = [self.signals[k] for k in self._exec_signals.get(exec_key(wf_id), [])]
            chosen = select(
                recs, SIGNAL, filters, sort_by, text_times=self.text_timestamps, natural=lambda s: s.id.signal_id
            )
            page, nxt = paginate(chosen, limit, token)
            return [self._copy(s) for s in page], nxt

    @_writes
    def set_signal(self, sid: identifier_pb2.SignalIdentifier, value: literals_pb2.Literal) -> signal_pb2.Signal:
        """Store a signal's value (overwrites); INVALID_ARGUMENT if the signal is unknown. The value's type was
        checked by the servicer first (``castable.validate_literal_type``, as flyteadmin's signal validator)."""
        with self._lock:
            key = (*exec_key(sid.execution_id), sid.signal_id)
            sig = self.signals.get(key)
            if sig is None:
                raise StoreError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"failed to validate that signal [{sid.signal_id}] exists for execution {':'.join(key[:3])}",
                )
            sig.value.CopyFrom(value)
            self._save_simple("signal", key, sig)
            return self._copy(sig)


def _by_node_id(rec: NodeRecord) -> str:
    return rec.proto.id.node_id  # type: ignore[no-any-return]


def _name(enum_cls: Any, value: int) -> str:
    try:
        return enum_cls(value).name  # type: ignore[no-any-return]
    except ValueError:
        return f"PHASE_{value}"
