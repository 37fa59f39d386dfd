"""The sandbox's gRPC servicers: AdminService, SignalService, DataProxyService and AuthMetadataService over
:class:`~.store.Store`, behaving as FlyteAdmin does (see ``flyteadmin-semantics.md``).

Methods not implemented here answer UNIMPLEMENTED (the generated base servicers do). The read methods a watch
repeats (Get/List of executions, nodes, attempts and entities) keep their answers, serialized, while the store has
not changed (:mod:`.cache`). The admin never runs an execution itself: after CreateExecution / Relaunch / Recover
/ Terminate / SetSignal it calls the :class:`ExecutionDriver` (the player), which answers with events through the
event RPCs, as propeller does.
"""

from __future__ import annotations

import functools
import logging
import random
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import grpc
from flyteidl.admin import (
    common_pb2,
    event_pb2,
    execution_pb2,
    node_execution_pb2,
    signal_pb2,
    task_execution_pb2,
    version_pb2,
)
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.service import admin_pb2_grpc, auth_pb2, auth_pb2_grpc, dataproxy_pb2, dataproxy_pb2_grpc, signal_pb2_grpc
from google.protobuf import text_format

from .. import __version__
from .cache import ResponseCache
from .castable import are_types_castable, literal_type_for_literal, validate_literal_type
from .errors import StoreError
from .knobs import AUTH_METADATA_KEY, INTERNAL_METADATA, bearer_token
from .oauth import BlobSigner, HttpSide, TokenAuthority
from .store import Store, exec_key

log = logging.getLogger(__name__)

_MODE = execution_pb2.ExecutionMetadata
#: flyteadmin's default (and maximum) lifetime of a download link.
DEFAULT_LINK_EXPIRY = timedelta(hours=1)


class ExecutionDriver(Protocol):
    """What the admin calls after storing a change; the player implements it (see docs/architecture.md)."""

    def on_create(
        self,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        spec: execution_pb2.ExecutionSpec,
        inputs: literals_pb2.LiteralMap,
    ) -> None:
        """An execution was created (CreateExecution, RelaunchExecution or RecoverExecution)."""
        ...

    def on_terminate(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, cause: str) -> None:
        """TerminateExecution set the execution ABORTING."""
        ...

    def on_signal(self, signal_id: identifier_pb2.SignalIdentifier, value: literals_pb2.Literal) -> None:
        """SetSignal stored a value."""
        ...


class NameGenerator:
    """Execution names like flyteadmin's: "a" + 19 lowercase letters/digits; seeded for reproducible tests."""

    _ALPHABET = string.ascii_lowercase + string.digits

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def __call__(self) -> str:
        return "a" + "".join(self._rng.choice(self._ALPHABET) for _ in range(19))


F = TypeVar("F", bound=Callable[..., Any])


def _rpc(fn: F) -> F:
    """Turn a :class:`StoreError` raised by a servicer method into the matching gRPC status."""

    @functools.wraps(fn)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return fn(self, request, context)
        except StoreError as err:
            context.abort(err.code, err.message)

    return wrapper  # type: ignore[return-value]


def _cached(fn: F) -> F:
    """A read RPC whose answer is a function of the request and the store: kept while the store does not change
    (:class:`~.cache.ResponseCache`; errors are not kept)."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(self: AdminServicer, request: Any, context: grpc.ServicerContext) -> Any:
        return self.cache.answer(name, request, lambda: fn(self, request, context))

    return wrapper  # type: ignore[return-value]


def _invalid(message: str) -> StoreError:
    return StoreError(grpc.StatusCode.INVALID_ARGUMENT, message)


def _require_exec_id(wf_id: identifier_pb2.WorkflowExecutionIdentifier, what: str = "id") -> None:
    for part in ("project", "domain", "name"):
        if not getattr(wf_id, part):
            raise _invalid(f"missing {part} in {what}")


def _require_node_id(nid: identifier_pb2.NodeExecutionIdentifier) -> None:
    _require_exec_id(nid.execution_id, "execution_id")
    if not nid.node_id:
        raise _invalid("missing node_id")


def _fill_data(resp: Any, inputs: literals_pb2.LiteralMap | None, outputs: literals_pb2.LiteralMap | None) -> None:
    """``full_inputs`` / ``full_outputs`` of a Get*Data response: the stored maps, empty maps (not null) if none."""
    for field, value in (("full_inputs", inputs), ("full_outputs", outputs)):
        if value is not None:
            getattr(resp, field).CopyFrom(value)
        else:
            getattr(resp, field).SetInParent()


class AdminContext:
    """What the servicers share: the store, the driver slot, the name generator and the auth/HTTP side."""

    def __init__(
        self,
        store: Store,
        names: NameGenerator,
        http: HttpSide | None = None,
        authority: TokenAuthority | None = None,
    ) -> None:
        self.store = store
        self.names = names
        self.http = http
        self.authority = authority
        self.driver: ExecutionDriver | None = None

    def principal(self, context: grpc.ServicerContext) -> str:
        """The caller's identity (the token's subject) when auth is on, else ""."""
        if self.authority is None:
            return ""
        md = {k.lower(): (v if isinstance(v, str) else v.decode("latin-1")) for k, v in context.invocation_metadata()}
        token = bearer_token(md)
        return (self.authority.subject(token) or "") if token else ""


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):  # type: ignore[misc]
    """flyteidl.service.AdminService over the store."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._store = ctx.store
        #: Answers of the read methods while the store is unchanged (see :mod:`.cache`).
        self.cache = ResponseCache(ctx.store)

    # -- entities ---------------------------------------------------------------------------------------------

    @_cached
    @_rpc
    def GetTask(self, request: common_pb2.ObjectGetRequest, context: grpc.ServicerContext) -> Any:
        return self._store.get_entity(request.id, identifier_pb2.TASK)

    @_cached
    @_rpc
    def GetWorkflow(self, request: common_pb2.ObjectGetRequest, context: grpc.ServicerContext) -> Any:
        return self._store.get_entity(request.id, identifier_pb2.WORKFLOW)

    @_cached
    @_rpc
    def GetLaunchPlan(self, request: common_pb2.ObjectGetRequest, context: grpc.ServicerContext) -> Any:
        return self._store.get_entity(request.id, identifier_pb2.LAUNCH_PLAN)

    def GetVersion(self, request: Any, context: grpc.ServicerContext) -> version_pb2.GetVersionResponse:
        return version_pb2.GetVersionResponse(
            control_plane_version=version_pb2.Version(
                Build="flyteexec-widget-sandbox", Version=f"v{__version__}-sandbox", BuildTime=""
            )
        )

    # -- executions -------------------------------------------------------------------------------------------

    def _inputs_for(self, lp: Any, given: literals_pb2.LiteralMap) -> literals_pb2.LiteralMap:
        """flyteadmin ``CheckAndFetchInputsForExecution`` (``flyteadmin/pkg/manager/impl/validation/
        execution_validator.go``, flyteorg/flyte master): an unknown name is INVALID_ARGUMENT ("invalid input x"),
        so is a value whose inferred type (``LiteralTypeForLiteral``) does not cast to the declared one
        (``AreTypesCastable(inputType, expected)``: "invalid x input wrong type"); defaults fill the rest, a
        missing required input is refused, fixed inputs are added and cannot be given."""
        params = lp.closure.expected_inputs.parameters or lp.spec.default_inputs.parameters
        fixed = lp.spec.fixed_inputs.literals
        out = literals_pb2.LiteralMap()
        for name, lit in given.literals.items():
            if name in fixed:
                raise _invalid(f"input {name!r} is fixed by the launch plan and cannot be overridden")
            # Unknown names are rejected only when the launch plan declares its inputs at all.
            if params and name not in params:
                raise _invalid(f"invalid input {name!r}; the launch plan's inputs are: {', '.join(sorted(params))}")
            # A parameter without a declared type (hand-made test fixtures; a registered launch plan always has
            # one) is not type-checked.
            if name in params and params[name].var.type.WhichOneof("type"):
                expected = params[name].var.type
                value_type = literal_type_for_literal(lit)
                if value_type is None or not are_types_castable(value_type, expected):
                    raise _invalid(
                        f"invalid {name} input wrong type. Expected {_one_line(expected)}, but got "
                        f"{_one_line(value_type) if value_type is not None else 'an unknown type'}"
                    )
            out.literals[name].CopyFrom(lit)
        for name, param in params.items():
            if name in out.literals:
                continue
            if param.HasField("default"):
                out.literals[name].CopyFrom(param.default)
            elif param.required:
                raise _invalid(f"missing required input {name!r}")
        for name, lit in fixed.items():
            out.literals[name].CopyFrom(lit)
        return out

    def _start(
        self,
        wf_id: identifier_pb2.WorkflowExecutionIdentifier,
        spec: execution_pb2.ExecutionSpec,
        inputs: literals_pb2.LiteralMap,
        workflow_id: identifier_pb2.Identifier,
        context: grpc.ServicerContext,
    ) -> execution_pb2.ExecutionCreateResponse:
        principal = self._ctx.principal(context)
        if principal:
            spec.metadata.principal = principal
        self._store.create_execution(wf_id, spec, inputs, workflow_id)
        driver = self._ctx.driver
        if driver is not None:
            # Outside the store lock: the driver may answer with events at once (real clock).
            try:
                driver.on_create(wf_id, spec, inputs)
            except Exception:
                log.exception("sandbox driver failed to start %s", ":".join(exec_key(wf_id)))
                context.abort(grpc.StatusCode.INTERNAL, "the sandbox player failed to start the execution")
        return execution_pb2.ExecutionCreateResponse(id=wf_id)

    def _fresh_name(self, project: str, domain: str) -> str:
        """A generated name not used yet (a seeded generator repeats across sandboxes sharing a state file)."""
        while True:
            name = self._ctx.names()
            if (project, domain, name) not in self._store.executions:
                return name

    @_rpc
    def CreateExecution(self, request: execution_pb2.ExecutionCreateRequest, context: grpc.ServicerContext) -> Any:
        if not request.project or not request.domain:
            raise _invalid("missing project or domain")
        if not request.HasField("spec") or not request.spec.HasField("launch_plan"):
            raise _invalid("missing spec.launch_plan")
        lp = self._store.get_entity(request.spec.launch_plan, identifier_pb2.LAUNCH_PLAN)
        given = request.inputs if request.HasField("inputs") else request.spec.inputs
        inputs = self._inputs_for(lp, given)
        spec = execution_pb2.ExecutionSpec()
        spec.CopyFrom(request.spec)
        spec.launch_plan.resource_type = identifier_pb2.LAUNCH_PLAN
        spec.ClearField("inputs")
        wf_id = identifier_pb2.WorkflowExecutionIdentifier(
            project=request.project,
            domain=request.domain,
            name=request.name or self._fresh_name(request.project, request.domain),
            org=request.org,
        )
        return self._start(wf_id, spec, inputs, lp.spec.workflow_id, context)

    def _again(
        self,
        ref: identifier_pb2.WorkflowExecutionIdentifier,
        name: str,
        mode: int,
        context: grpc.ServicerContext,
        *,
        overwrite_cache: bool = False,
        metadata: execution_pb2.ExecutionMetadata | None = None,
    ) -> execution_pb2.ExecutionCreateResponse:
        _require_exec_id(ref)
        with self._store.reading:
            original = self._store.execution_record(ref)
            spec = execution_pb2.ExecutionSpec()
            spec.CopyFrom(original.proto.spec)
            inputs = literals_pb2.LiteralMap()
            inputs.CopyFrom(original.inputs)
            workflow_id = identifier_pb2.Identifier()
            workflow_id.CopyFrom(original.proto.closure.workflow_id)
        if metadata is not None:
            spec.metadata.CopyFrom(metadata)
        spec.metadata.mode = mode
        spec.metadata.reference_execution.CopyFrom(ref)
        if overwrite_cache:
            spec.overwrite_cache = True
        wf_id = identifier_pb2.WorkflowExecutionIdentifier(
            project=ref.project, domain=ref.domain, name=name or self._fresh_name(ref.project, ref.domain), org=ref.org
        )
        return self._start(wf_id, spec, inputs, workflow_id, context)

    @_rpc
    def RelaunchExecution(self, request: execution_pb2.ExecutionRelaunchRequest, context: grpc.ServicerContext) -> Any:
        return self._again(request.id, request.name, _MODE.RELAUNCH, context, overwrite_cache=request.overwrite_cache)

    @_rpc
    def RecoverExecution(self, request: execution_pb2.ExecutionRecoverRequest, context: grpc.ServicerContext) -> Any:
        md = request.metadata if request.HasField("metadata") else None
        return self._again(request.id, request.name, _MODE.RECOVERED, context, metadata=md)

    @_cached
    @_rpc
    def GetExecution(self, request: execution_pb2.WorkflowExecutionGetRequest, context: grpc.ServicerContext) -> Any:
        _require_exec_id(request.id)
        return self._store.get_execution(request.id)

    @_cached
    @_rpc
    def ListExecutions(self, request: common_pb2.ResourceListRequest, context: grpc.ServicerContext) -> Any:
        if not request.id.project or not request.id.domain:
            raise _invalid("missing project or domain in id")
        sort = request.sort_by if request.HasField("sort_by") else None
        items, token = self._store.list_executions(
            request.id.project,
            request.id.domain,
            limit=request.limit,
            token=request.token,
            filters=request.filters,
            sort_by=sort,
            name=request.id.name,
        )
        return execution_pb2.ExecutionList(executions=items, token=token)

    @_rpc
    def GetExecutionData(
        self, request: execution_pb2.WorkflowExecutionGetDataRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_exec_id(request.id)
        with self._store.reading:
            rec = self._store.execution_record(request.id)
            resp = execution_pb2.WorkflowExecutionGetDataResponse()
            _fill_data(resp, rec.inputs, rec.outputs)
            return resp

    @_rpc
    def TerminateExecution(
        self, request: execution_pb2.ExecutionTerminateRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_exec_id(request.id)
        self._store.terminate(request.id, request.cause, self._ctx.principal(context))
        driver = self._ctx.driver
        if driver is not None:
            try:
                driver.on_terminate(request.id, request.cause)
            except Exception:
                log.exception("sandbox driver failed to abort %s", ":".join(exec_key(request.id)))
        return execution_pb2.ExecutionTerminateResponse()

    # -- node executions --------------------------------------------------------------------------------------

    @_cached
    @_rpc
    def GetNodeExecution(
        self, request: node_execution_pb2.NodeExecutionGetRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_node_id(request.id)
        return self._store.get_node_execution(request.id)

    @_cached
    @_rpc
    def ListNodeExecutions(
        self, request: node_execution_pb2.NodeExecutionListRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_exec_id(request.workflow_execution_id, "workflow_execution_id")
        items, token = self._store.list_node_executions(
            request.workflow_execution_id,
            limit=request.limit,
            token=request.token,
            filters=request.filters,
            sort_by=request.sort_by if request.HasField("sort_by") else None,
            unique_parent_id=request.unique_parent_id,
        )
        return node_execution_pb2.NodeExecutionList(node_executions=items, token=token)

    @_cached
    @_rpc
    def ListNodeExecutionsForTask(
        self, request: node_execution_pb2.NodeExecutionForTaskListRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_node_id(request.task_execution_id.node_execution_id)
        items, token = self._store.list_node_executions_for_task(
            request.task_execution_id,
            limit=request.limit,
            token=request.token,
            filters=request.filters,
            sort_by=request.sort_by if request.HasField("sort_by") else None,
        )
        return node_execution_pb2.NodeExecutionList(node_executions=items, token=token)

    @_rpc
    def GetNodeExecutionData(
        self, request: node_execution_pb2.NodeExecutionGetDataRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_node_id(request.id)
        with self._store.reading:
            rec = self._store.node_record(request.id)
            resp = node_execution_pb2.NodeExecutionGetDataResponse()
            _fill_data(resp, rec.inputs, rec.outputs)
            if rec.dynamic is not None:
                resp.dynamic_workflow.CopyFrom(rec.dynamic)
                # read from the closure, as node_execution_manager.go's GetNodeExecutionData does
                resp.dynamic_workflow.dynamic_job_spec_uri = rec.proto.closure.dynamic_job_spec_uri
            nid = request.id
            base = (
                f"flyte://v1/{nid.execution_id.project}/{nid.execution_id.domain}/{nid.execution_id.name}/{nid.node_id}"
            )
            resp.flyte_urls.inputs = f"{base}/i"
            resp.flyte_urls.outputs = f"{base}/o"
            if rec.proto.closure.deck_uri:
                resp.flyte_urls.deck = f"{base}/d"
            return resp

    @_rpc
    def GetDynamicNodeWorkflow(
        self, request: node_execution_pb2.GetDynamicNodeWorkflowRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_node_id(request.id)
        with self._store.reading:
            rec = self._store.node_record(request.id)
            if rec.dynamic is None:
                raise StoreError(grpc.StatusCode.NOT_FOUND, "node does not contain dynamic workflow")
            return node_execution_pb2.DynamicNodeWorkflowResponse(compiled_workflow=rec.dynamic.compiled_workflow)

    # -- task executions --------------------------------------------------------------------------------------

    @_cached
    @_rpc
    def GetTaskExecution(
        self, request: task_execution_pb2.TaskExecutionGetRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_node_id(request.id.node_execution_id)
        return self._store.get_task_execution(request.id)

    @_cached
    @_rpc
    def ListTaskExecutions(
        self, request: task_execution_pb2.TaskExecutionListRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_node_id(request.node_execution_id)
        items, token = self._store.list_task_executions(
            request.node_execution_id,
            limit=request.limit,
            token=request.token,
            filters=request.filters,
            sort_by=request.sort_by if request.HasField("sort_by") else None,
        )
        return task_execution_pb2.TaskExecutionList(task_executions=items, token=token)

    @_rpc
    def GetTaskExecutionData(
        self, request: task_execution_pb2.TaskExecutionGetDataRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_node_id(request.id.node_execution_id)
        with self._store.reading:
            rec = self._store.task_record(request.id)
            resp = task_execution_pb2.TaskExecutionGetDataResponse()
            _fill_data(resp, rec.inputs, rec.outputs)
            nid = request.id.node_execution_id
            e = nid.execution_id
            base = f"flyte://v1/{e.project}/{e.domain}/{e.name}/{nid.node_id}/{request.id.retry_attempt}"
            resp.flyte_urls.inputs = f"{base}/i"
            resp.flyte_urls.outputs = f"{base}/o"
            node = self._store.nodes.get((e.project, e.domain, e.name, nid.node_id))
            if node is not None and node.proto.closure.deck_uri:
                resp.flyte_urls.deck = f"{base}/d"
            return resp

    # -- events (propeller's side; the player calls these) ----------------------------------------------------

    @_rpc
    def CreateWorkflowEvent(
        self, request: event_pb2.WorkflowExecutionEventRequest, context: grpc.ServicerContext
    ) -> Any:
        _require_exec_id(request.event.execution_id, "event.execution_id")
        self._store.apply_workflow_event(request.event)
        return event_pb2.WorkflowExecutionEventResponse()

    @_rpc
    def CreateNodeEvent(self, request: event_pb2.NodeExecutionEventRequest, context: grpc.ServicerContext) -> Any:
        _require_node_id(request.event.id)
        self._store.apply_node_event(request.event)
        return event_pb2.NodeExecutionEventResponse()

    @_rpc
    def CreateTaskEvent(self, request: event_pb2.TaskExecutionEventRequest, context: grpc.ServicerContext) -> Any:
        _require_node_id(request.event.parent_node_execution_id)
        if not request.event.task_id.name:
            raise _invalid("missing event.task_id")
        self._store.apply_task_event(request.event)
        return event_pb2.TaskExecutionEventResponse()


class SignalServicer(signal_pb2_grpc.SignalServiceServicer):  # type: ignore[misc]
    """flyteidl.service.SignalService: gate-node signals."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._store = ctx.store

    @_rpc
    def GetOrCreateSignal(self, request: signal_pb2.SignalGetOrCreateRequest, context: grpc.ServicerContext) -> Any:
        _require_exec_id(request.id.execution_id, "id.execution_id")
        if not request.id.signal_id:
            raise _invalid("missing id.signal_id")
        if not request.HasField("type"):
            raise _invalid("missing type")
        return self._store.get_or_create_signal(request.id, request.type)

    @_rpc
    def ListSignals(self, request: signal_pb2.SignalListRequest, context: grpc.ServicerContext) -> Any:
        _require_exec_id(request.workflow_execution_id, "workflow_execution_id")
        items, token = self._store.list_signals(
            request.workflow_execution_id,
            limit=request.limit,
            token=request.token,
            filters=request.filters,
            sort_by=request.sort_by if request.HasField("sort_by") else None,
        )
        return signal_pb2.SignalList(signals=items, token=token)

    @_rpc
    def SetSignal(self, request: signal_pb2.SignalSetRequest, context: grpc.ServicerContext) -> Any:
        _require_exec_id(request.id.execution_id, "id.execution_id")
        if not request.HasField("value"):
            raise _invalid("missing value")
        self._validate_signal_value(request.id, request.value)
        self._store.set_signal(request.id, request.value)
        driver = self._ctx.driver
        if driver is not None:
            try:
                driver.on_signal(request.id, request.value)
            except Exception:
                log.exception("sandbox driver failed to handle signal %s", request.id.signal_id)
        return signal_pb2.SignalSetResponse()

    def _validate_signal_value(self, sid: identifier_pb2.SignalIdentifier, value: literals_pb2.Literal) -> None:
        """FlyteAdmin's ``ValidateSignalSetRequest`` (``flyteadmin/pkg/manager/impl/validation/signal_validator.go``
        on flyteorg/flyte master): the signal must exist, and the value's inferred type must be known and castable
        from the signal's type (see :mod:`.castable`), else INVALID_ARGUMENT. FlyteAdmin prints the stored type as
        raw bytes; the sandbox prints it as text."""
        signal_type = self._signal_type(sid)
        if signal_type is None:
            execution = ":".join(exec_key(sid.execution_id))
            raise _invalid(f"failed to validate that signal [{sid.signal_id}] exists for execution {execution}")
        value_type = literal_type_for_literal(value)
        problem = validate_literal_type(value_type)
        if problem:
            raise _invalid(f"Failed to validate literal type for [] with err: {problem}")
        assert value_type is not None  # validate_literal_type refuses None
        if not are_types_castable(signal_type, value_type):
            raise _invalid(
                f"requested signal value [{_one_line(value)}] is not castable to existing signal type "
                f"[{_one_line(signal_type)}]"
            )

    def _signal_type(self, sid: identifier_pb2.SignalIdentifier) -> Any:
        """The stored signal's LiteralType, None if the execution has no such signal (yet)."""
        token = ""
        while True:
            signals, token = self._store.list_signals(sid.execution_id, limit=100, token=token)
            for signal in signals:
                if signal.id.signal_id == sid.signal_id:
                    return signal.type
            if not token:
                return None


def _one_line(message: Any) -> str:
    return text_format.MessageToString(message, as_one_line=True)


class DataProxyServicer(dataproxy_pb2_grpc.DataProxyServiceServicer):  # type: ignore[misc]
    """flyteidl.service.DataProxyService: CreateDownloadLink for decks (signed URLs on the local HTTP server)."""

    def __init__(self, ctx: AdminContext, signer: BlobSigner) -> None:
        self._ctx = ctx
        self._signer = signer

    @_rpc
    def CreateDownloadLink(
        self, request: dataproxy_pb2.CreateDownloadLinkRequest, context: grpc.ServicerContext
    ) -> Any:
        if request.artifact_type != dataproxy_pb2.ARTIFACT_TYPE_DECK:
            raise _invalid("unsupported artifact type: only ARTIFACT_TYPE_DECK is supported")
        if request.WhichOneof("source") != "node_execution_id":
            raise _invalid("missing node_execution_id")
        _require_node_id(request.node_execution_id)
        expires_in = DEFAULT_LINK_EXPIRY
        if request.HasField("expires_in") and request.expires_in.ToTimedelta() != timedelta(0):
            expires_in = request.expires_in.ToTimedelta()
        if not timedelta(0) < expires_in <= DEFAULT_LINK_EXPIRY:
            raise _invalid(f"expires_in must be within (0, {DEFAULT_LINK_EXPIRY}], got {expires_in}")
        store = self._ctx.store
        with store.reading:
            try:
                deck_uri = store.node_record(request.node_execution_id).proto.closure.deck_uri
            except StoreError as err:
                # flyteadmin's dataproxy answers INVALID_ARGUMENT for a node it cannot find.
                raise _invalid(f"failed to find node execution: {err.message}") from None
        # flyteadmin's dataproxy/service.go: NOT_FOUND without a deck_uri, and NOT_FOUND while the object it names
        # does not exist yet (propeller reports deck_uri from RUNNING on; the task writes the file when it ends).
        if not deck_uri:
            raise StoreError(grpc.StatusCode.NOT_FOUND, "no deckUrl found for this node execution")
        if store.get_blob(deck_uri) is None:
            raise StoreError(grpc.StatusCode.NOT_FOUND, "object not found")
        if self._ctx.http is None:
            raise StoreError(grpc.StatusCode.UNAVAILABLE, "the sandbox HTTP server is not running")
        expires_at = store.now() + expires_in
        url = self._signer.sign(self._ctx.http.base_url, deck_uri, expires_at)
        resp = dataproxy_pb2.CreateDownloadLinkResponse(signed_url=[url])
        resp.expires_at.FromDatetime(expires_at.replace(tzinfo=None) - (expires_at.utcoffset() or timedelta(0)))
        resp.pre_signed_urls.signed_url.append(url)
        resp.pre_signed_urls.expires_at.CopyFrom(resp.expires_at)
        return resp


class AuthMetadataServicer(auth_pb2_grpc.AuthMetadataServiceServicer):  # type: ignore[misc]
    """flyteidl.service.AuthMetadataService (registered only when auth is on; otherwise UNIMPLEMENTED)."""

    def __init__(self, http: HttpSide) -> None:
        self._http = http

    def GetOAuth2Metadata(self, request: Any, context: grpc.ServicerContext) -> auth_pb2.OAuth2MetadataResponse:
        cfg = self._http.auth_config()
        return auth_pb2.OAuth2MetadataResponse(
            issuer=cfg.issuer,
            authorization_endpoint=f"{cfg.issuer}/oauth2/authorize",
            token_endpoint=cfg.token_url,
            device_authorization_endpoint=cfg.device_authorization_url,
            response_types_supported=["code"],
            scopes_supported=list(cfg.scopes),
            token_endpoint_auth_methods_supported=["client_secret_basic"],
            jwks_uri=f"{cfg.issuer}/oauth2/jwks",
            code_challenge_methods_supported=["S256"],
            grant_types_supported=[
                "client_credentials",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
        )

    def GetPublicClientConfig(
        self, request: Any, context: grpc.ServicerContext
    ) -> auth_pb2.PublicClientAuthConfigResponse:
        cfg = self._http.auth_config()
        return auth_pb2.PublicClientAuthConfigResponse(
            client_id=cfg.public_client_id,
            redirect_uri="http://localhost:53593/callback",
            scopes=list(cfg.scopes),
            authorization_metadata_key=AUTH_METADATA_KEY,
            service_http_endpoint="",
            audience="",
        )


@dataclass(frozen=True)
class Servicers:
    """The sandbox's servicer objects: registered on every (re)started gRPC server, and called in-process by
    :class:`LocalCaller` for the sandbox's own calls."""

    admin: AdminServicer
    signal: SignalServicer
    dataproxy: DataProxyServicer
    auth: AuthMetadataServicer | None


def build_servicers(ctx: AdminContext, signer: BlobSigner, *, auth: bool) -> Servicers:
    """Every sandbox servicer over ``ctx`` (AuthMetadataService only with ``auth``)."""
    auth_servicer = None
    if auth:
        assert ctx.http is not None
        auth_servicer = AuthMetadataServicer(ctx.http)
    return Servicers(AdminServicer(ctx), SignalServicer(ctx), DataProxyServicer(ctx, signer), auth_servicer)


if TYPE_CHECKING:  # grpc-stubs make the handler generic; the runtime class is not subscriptable
    _GenericRpcHandler = grpc.GenericRpcHandler[Any, Any]
else:
    _GenericRpcHandler = grpc.GenericRpcHandler


class _CachedWire(_GenericRpcHandler):
    """AdminService's handlers with response serializers that send a cached answer as its stored bytes."""

    def __init__(self, inner: _GenericRpcHandler, cache: ResponseCache) -> None:
        self._inner = inner
        self._cache = cache
        self._serializers: dict[Any, Callable[[Any], bytes]] = {}

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        handler = self._inner.service(details)
        if handler is None or handler.response_serializer is None:
            return handler
        default = handler.response_serializer
        serialize = self._serializers.get(default)
        if serialize is None:
            serialize = self._serializers.setdefault(default, self._cache.serializer(default))
        return cast(Any, handler)._replace(response_serializer=serialize)  # grpc's handlers are namedtuples


class _Registrar:
    """Stands in for the server while the generated code registers AdminService, to wrap its handlers."""

    def __init__(self, server: grpc.Server, cache: ResponseCache) -> None:
        self._server = server
        self._cache = cache

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self._server.add_generic_rpc_handlers(tuple(_CachedWire(h, self._cache) for h in handlers))

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        serializers: dict[Any, Callable[[Any], bytes]] = {}
        wrapped = {}
        for name, h in handlers.items():
            default = h.response_serializer
            if default is not None and default not in serializers:
                serializers[default] = self._cache.serializer(default)
            wrapped[name] = h._replace(response_serializer=serializers[default]) if default is not None else h
        self._server.add_registered_method_handlers(service, wrapped)  # type: ignore[attr-defined]


def add_servicers(server: grpc.Server, servicers: Servicers) -> None:
    """Register every sandbox service on ``server`` (AdminService's cached answers go out as their stored bytes)."""
    admin_pb2_grpc.add_AdminServiceServicer_to_server(servicers.admin, _Registrar(server, servicers.admin.cache))
    signal_pb2_grpc.add_SignalServiceServicer_to_server(servicers.signal, server)
    dataproxy_pb2_grpc.add_DataProxyServiceServicer_to_server(servicers.dataproxy, server)
    if servicers.auth is not None:
        auth_pb2_grpc.add_AuthMetadataServiceServicer_to_server(servicers.auth, server)


# ---------------------------------------------------------------------------------------------------------------
# in-process calls (the player's events)


class LocalRpcError(grpc.RpcError):
    """What a servicer's ``context.abort`` raises for an in-process call: a ``grpc.RpcError`` with ``code()`` and
    ``details()``, like the error a gRPC stub raises."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self._code = code
        self._details = details

    def code(self) -> grpc.StatusCode:
        """The status code the handler answered with."""
        return self._code

    def details(self) -> str:
        """The handler's message."""
        return self._details


class _LocalContext:
    """The part of ``grpc.ServicerContext`` the servicers use, for an in-process call."""

    __slots__ = ("_metadata",)

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._metadata = metadata

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise LocalRpcError(code, details)

    def time_remaining(self) -> float | None:
        return None

    def is_active(self) -> bool:
        return True


class ServingGate:
    """Whether the sandbox serves: in-process calls wait while it is stopped, as gRPC's ``wait_for_ready`` does."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._serving = False
        self._closed = False

    def set(self, serving: bool) -> None:
        """Record a start (``True``) or a stop (``False``)."""
        with self._cond:
            self._serving = serving
            self._cond.notify_all()

    def close(self) -> None:
        """The sandbox is closing: callers waiting for a restart give up."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """True once serving; False after ``timeout`` seconds or when closed."""
        if self._serving:  # the common case, without the lock (a bool read is atomic)
            return True
        with self._cond:
            self._cond.wait_for(lambda: self._serving or self._closed, timeout)
            return self._serving


class LocalCaller:
    """The sandbox's own calls (the player's events, signals and child executions), made in-process.

    Each request is serialized and parsed again, exactly what crossing the wire does, and handed to the same
    servicer method a gRPC call reaches, with the internal metadata: the admin projects it through the very code
    path a remote propeller's event takes. What is skipped is only gRPC's transport (~1.5 ms of CPU per call with
    client and server in one process), which made a 10,000-node execution take minutes to play. Internal calls
    are exempt from the knobs (counts, latency, failures, auth) in either case. While the sandbox is stopped, a
    call waits for it to serve again (up to ``timeout``), then fails UNAVAILABLE, as a gRPC call with
    ``wait_for_ready`` would.
    """

    def __init__(self, servicers: Servicers, gate: ServingGate, timeout: float = 30.0) -> None:
        self._targets: dict[str, Any] = {"admin": servicers.admin, "signal": servicers.signal}
        self._gate = gate
        self._timeout = timeout
        self._context = _LocalContext(INTERNAL_METADATA)

    def __call__(self, service: str, method: str, request: Any) -> Any:
        """Call ``service`` (``"admin"`` or ``"signal"``) ``method`` with ``request``; raises ``grpc.RpcError``."""
        target = self._targets.get(service)
        handler = getattr(target, method, None) if target is not None else None
        if handler is None:
            raise LocalRpcError(grpc.StatusCode.UNIMPLEMENTED, f"no method {service}.{method} in the sandbox")
        if not self._gate.wait(self._timeout):
            raise LocalRpcError(grpc.StatusCode.UNAVAILABLE, "the sandbox is not serving")
        wire = type(request).FromString(request.SerializeToString())
        try:
            response = handler(wire, self._context)
        except LocalRpcError:
            raise
        except Exception as err:
            # gRPC answers a handler's unexpected exception with UNKNOWN; so does this path.
            log.exception("sandbox %s.%s failed", service, method)
            raise LocalRpcError(grpc.StatusCode.UNKNOWN, f"exception calling application: {err}") from err
        return type(response).FromString(response.SerializeToString())
