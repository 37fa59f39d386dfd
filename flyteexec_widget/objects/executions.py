"""Execution wrappers mirroring ``flytekit.remote.executions``, built directly on flyteidl messages.

``FlyteWorkflowExecution``, ``FlyteNodeExecution`` and ``FlyteTaskExecution`` each wrap one FlyteAdmin message
(``admin.Execution``, ``admin.NodeExecution``, ``admin.TaskExecution``) and keep it as is, so
``to_flyte_idl()`` / ``serialize_to_string()`` give back exactly what the server sent (unknown fields included).
``closure``, ``id``, ``spec`` and ``metadata`` are :class:`~flyteexec_widget.objects.protoview.ProtoView` s with
flytekit's attribute names. ``inputs`` / ``outputs`` are fetched lazily through the ``remote`` on first access.

The wrappers never talk to the network themselves: they call ``remote.get_execution_data``,
``get_node_execution_data``, ``get_task_execution_data``, ``get_workflow``, ``get_launch_plan``, ``get_task``,
``sync_execution`` and ``generate_console_url``. The sync engine (:mod:`~flyteexec_widget.live.sync`) fills the
child links (``_node_executions``, ``_task_executions``, ...), replaces the message through ``_update(proto)``, sets
each node's ``_template_info`` and counts changes in ``_fx_version`` / ``_fx_tree_version`` (the rows are cached
per version).

Differences from flytekit, on purpose (each is also noted where it happens):

- ``outputs`` of an execution that ended without an error but without success (ABORTED, a SKIPPED node) raise a
  ``FlyteAssertion`` saying so; flytekit returns an empty resolver (or ``None``).
- ``outputs`` / ``error`` treat a RECOVERED node as finished (it is terminal in FlyteAdmin, and has outputs);
  flytekit raises "wait until completed" for it, because its ``is_done`` omits RECOVERED. ``is_done`` itself
  matches flytekit (see ``FlyteNodeExecution.is_done``).
- ``inputs`` / ``outputs`` are fetched on access instead of during ``sync()``, so they also work on an execution
  that was never synced. Data too large to be returned inline raises :class:`DataNotInlineError` (with the size
  and URL) instead of being downloaded: this package has no blob-store access.
- ``flyte_workflow`` / ``task`` are views of the admin ``Workflow`` / ``Task`` messages, not flytekit entities.
- ``FlyteWorkflowExecution.sync()`` defaults to ``sync_nodes=True`` (flytekit: ``False``), like ``wait()``.
"""

from __future__ import annotations

import datetime
import os
import textwrap
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar

from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2
from google.protobuf.message import Message

from ..admin.errors import FlyteAssertion
from ..admin.plaintext import printable
from . import phases
from .literals import LiteralsResolver
from .protoview import InvalidTimeError, ProtoView, to_timedelta
from .templates import PlannedNode, TemplateInfo

__all__ = [
    "DataNotInlineError",
    "FlyteNodeExecution",
    "FlyteTaskExecution",
    "FlyteWorkflowExecution",
    "RemoteExecutionBase",
]


class DataNotInlineError(FlyteAssertion):
    """The inputs or outputs exist but FlyteAdmin did not return them inline (too large: above its
    ``maxSizeInBytes``, 2 MB by default). ``url`` is where they are (a presigned URL when the server signs URLs,
    otherwise empty), ``size_bytes`` their size; ``which`` is ``"inputs"`` or ``"outputs"``.
    """

    def __init__(self, subject: str, which: str, size_bytes: int, url: str) -> None:
        where = f" at {printable(url)}" if url else ""  # the server's URL: no terminal control in a message
        super().__init__(
            f"The {which} of {subject} are not available inline (size {size_bytes} bytes{where}): "
            "FlyteAdmin returns data above its size limit only as a link."
        )
        self.which = which
        self.size_bytes = size_bytes
        self.url = url


class _DataResponse(Protocol):
    """What ``remote.get_*_execution_data`` return (the admin ``*ExecutionGetDataResponse`` messages)."""

    @property
    def full_inputs(self) -> literals_pb2.LiteralMap: ...
    @property
    def full_outputs(self) -> literals_pb2.LiteralMap: ...
    @property
    def inputs(self) -> Any: ...
    @property
    def outputs(self) -> Any: ...


class RemoteLike(Protocol):
    """What the wrappers call on their ``remote``: :class:`flyteexec_widget.Remote` is one. A Protocol, because
    ``Remote`` sits above this layer (it builds these wrappers); so does flytekit's ``FlyteRemote``, mostly."""

    def get_execution_data(self, wf_id: Any) -> Any: ...
    def get_node_execution_data(self, node_id: Any) -> Any: ...
    def get_task_execution_data(self, task_id: Any) -> Any: ...
    def get_workflow(self, ident: Any) -> Any: ...
    def get_launch_plan(self, ident: Any) -> Any: ...
    def get_task(self, ident: Any) -> Any: ...
    def generate_console_url(self, execution_or_id: Any) -> str: ...
    def sync_execution(self, execution: Any, sync_nodes: bool = True) -> Any: ...


_Self = TypeVar("_Self", bound="RemoteExecutionBase")


def _fmt_duration(d: datetime.timedelta) -> str:
    s = d.total_seconds()
    if s < 60:
        return f"{s:.1f}s"
    m, s = divmod(int(s), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def _yaml_like(msg: Message, indent: int) -> str:
    """flytekit's ``short_string`` body: set fields as an indented tree, empty sub-messages left out."""
    lines: list[str] = []
    for desc, value in msg.ListFields():
        if isinstance(value, Message):
            if value.ListFields():
                lines.append(" " * indent + desc.name + ":" + os.linesep)
                lines.append(_yaml_like(value, indent + 2))
            continue
        # server text (names, errors, URIs) in text/plain: no ANSI sequence, bidi override or forged line
        text = printable(textwrap.shorten(str(value).strip(), width=80))
        if text:
            lines.append(" " * indent + desc.name + ": " + text + os.linesep)
    return "".join(lines)


class RemoteExecutionBase:
    """What the three wrappers share: the message, its phase, and the lazy, cached inputs/outputs.

    ``remote`` is a :class:`~flyteexec_widget.Remote` (or anything with the few methods named in the module
    docstring); without one, data that is not in the message itself cannot be read. ``type_hints`` (output name ->
    Python type) steer how ``outputs`` convert.
    """

    _KIND: ClassVar[phases.PhaseKind]
    _PROTO: ClassVar[type[Message]]
    _PHASES: ClassVar[type[phases.WorkflowPhase] | type[phases.NodePhase] | type[phases.TaskPhase]]
    _DONE: ClassVar[frozenset[int]]  # flytekit's is_done set

    def __init__(
        self, proto: Message, remote: RemoteLike | None = None, type_hints: Mapping[str, type] | None = None
    ) -> None:
        if not isinstance(proto, self._PROTO):
            raise TypeError(
                f"{type(self).__name__} wraps a {self._PROTO.DESCRIPTOR.full_name} message, "
                f"got {type(proto).__module__}.{type(proto).__qualname__}"
            )
        self._proto: Any = proto
        self._remote = remote
        self._type_hints: dict[str, type] | None = dict(type_hints) if type_hints else None
        self._interface: interface_pb2.TypedInterface | None = None
        # Cached data: a resolver or the DataNotInlineError to raise again. Inputs are cached once found (they never
        # change once written), outputs only once the execution is terminal (a running node's may still appear).
        self._inputs: LiteralsResolver | DataNotInlineError | None = None
        self._outputs: LiteralsResolver | DataNotInlineError | None = None

    # ---- construction and serialization -------------------------------------------------------------------

    @classmethod
    def from_flyte_idl(cls: type[_Self], proto: Message) -> _Self:
        """Wrap a FlyteAdmin message (kept as is, not copied)."""
        return cls(proto)

    @classmethod
    def promote_from_model(
        cls: type[_Self],
        base_model: Any,
        remote: RemoteLike | None = None,
        type_hints: Mapping[str, type] | None = None,
    ) -> _Self:
        """Wrap ``base_model``: one of our wrappers, a raw message, or anything with ``to_flyte_idl()`` (a flytekit
        model or flytekit's own ``Flyte*Execution``, whose ``type_hints`` are kept unless ``type_hints`` is given;
        note that flytekit models rebuild their message and drop fields they do not know, so prefer passing the
        message itself when you have it).
        """
        if isinstance(base_model, RemoteExecutionBase):
            if not isinstance(base_model, cls):
                raise TypeError(f"cannot promote a {type(base_model).__name__} to a {cls.__name__}")
            return cls(
                base_model._proto,
                remote if remote is not None else base_model._remote,
                type_hints if type_hints is not None else base_model._type_hints,
            )
        proto = base_model if isinstance(base_model, Message) else None
        if proto is None and callable(getattr(base_model, "to_flyte_idl", None)):
            proto = base_model.to_flyte_idl()
        if proto is None:
            raise TypeError(
                f"{cls.__name__}.promote_from_model needs a {cls._PROTO.DESCRIPTOR.full_name} message, an object "
                f"with to_flyte_idl() returning one, or a {cls.__name__}; got {type(base_model).__name__}"
            )
        if type_hints is None:
            # flytekit's own FlyteWorkflowExecution keeps the hints given to FlyteRemote.execute(type_hints=...)
            theirs = getattr(base_model, "_type_hints", None)
            type_hints = theirs if isinstance(theirs, Mapping) else None
        return cls(proto, remote, type_hints)

    def to_flyte_idl(self) -> Any:
        """The wrapped message, exactly as received."""
        return self._proto

    def serialize_to_string(self) -> bytes:
        """The message's wire bytes (``SerializeToString()``), unknown fields included."""
        return bytes(self._proto.SerializeToString())

    @property
    def is_empty(self) -> bool:
        """Whether the message serializes to nothing (as flytekit)."""
        return bool(self._proto.ByteSize() == 0)

    def _update(self, proto: Message) -> None:
        """Replace the message with a newer one of the same execution (called by the sync layer).

        Nothing derived from the message is cached, except data: inputs (which never change once found) and
        outputs (cached only once terminal, and a terminal phase never changes), so those are kept.
        """
        if not isinstance(proto, self._PROTO):
            raise TypeError(f"{type(self).__name__}._update needs a {self._PROTO.DESCRIPTOR.full_name} message")
        if proto.id != self._proto.id:  # type: ignore[attr-defined]
            raise ValueError(f"{type(self).__name__}._update got a message of another execution than {self._subject}")
        self._proto = proto

    # ---- identity and state -------------------------------------------------------------------------------

    @property
    def id(self) -> ProtoView:
        """The identifier (flytekit attribute names: ``project``, ``domain``, ``name``, ``node_id``, ...)."""
        return ProtoView(self._proto.id)

    @property
    def closure(self) -> ProtoView:
        """The closure: ``phase`` (int), ``started_at`` (aware datetime), ``duration`` (timedelta), ``error``..."""
        return ProtoView(self._proto.closure)

    @property
    def phase(self) -> int:
        """``closure.phase`` as this kind's IntEnum (a plain int for a phase this version does not know)."""
        value = int(self._proto.closure.phase)
        try:
            return self._PHASES(value)
        except ValueError:
            return value

    @property
    def is_done(self) -> bool:
        """Whether the execution is complete (flytekit's set of phases)."""
        return int(self._proto.closure.phase) in self._DONE

    @property
    def is_successful(self) -> bool:
        """Whether the execution completed successfully (a RECOVERED node counts as successful)."""
        return phases.style(self._KIND, self._proto.closure.phase).succeeded

    @property
    def _phase_name(self) -> str:
        return phases.phase_name(self._KIND, self._proto.closure.phase)

    @property
    def _ref(self) -> str:
        """A short reference, e.g. ``flytesnacks:development:abc/n0``."""
        raise NotImplementedError

    @property
    def _subject(self) -> str:
        """How messages name this execution, e.g. ``workflow execution flytesnacks:development:abc`` (printable:
        node and task names are the server's text, and messages end up in a terminal)."""
        return f"{self._KIND} execution {printable(self._ref)}"

    @property
    def error(self) -> ProtoView | None:
        """The error (``code``, ``message``, ``kind``, ``error_uri``), ``None`` if it finished without one.

        Raises ``FlyteAssertion`` while the execution is not finished.
        """
        closure = self._proto.closure  # read once: the sync thread may swap the message meanwhile
        self._require_terminal(closure.phase, "its error")
        return ProtoView(closure.error) if closure.HasField("error") else None

    def _require_terminal(self, phase: int, what: str) -> None:
        if not phases.is_terminal(self._KIND, phase):
            raise FlyteAssertion(
                f"{self._subject} is {phases.phase_name(self._KIND, phase)}: "
                f"wait until it has completed before requesting {what}."
            )

    def __repr__(self) -> str:
        parts = [type(self).__name__, printable(self._ref), self._phase_name]
        if self._proto.closure.HasField("duration"):
            try:
                parts.append(_fmt_duration(to_timedelta(self._proto.closure.duration)))
            except InvalidTimeError:  # a repr must not raise: the field itself says what is wrong
                parts.append("invalid duration")
        return "<" + " ".join(parts) + ">"

    def short_string(self) -> str:
        """The message as an indented tree of its set fields (flytekit's format)."""
        body = _yaml_like(self._proto, 2).rstrip(os.linesep)
        return f"Flyte Serialized object ({type(self).__name__}):" + os.linesep + body

    def verbose_string(self) -> str:
        """Every set field of the message, nothing shortened (protobuf text format)."""
        return f"{type(self).__name__}:{os.linesep}{self._proto}"

    def __str__(self) -> str:
        return self.short_string()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RemoteExecutionBase):
            return type(self) is type(other) and self._proto == other._proto
        return NotImplemented

    def __hash__(self) -> int:
        # The id never changes (``_update`` checks it), so the hash stays stable while the sync layer updates the
        # message; equal messages have equal ids, as hashing requires.
        return hash((type(self).__name__, self._proto.id.SerializeToString(deterministic=True)))

    # ---- data ---------------------------------------------------------------------------------------------

    def _fetch_data(self, remote: RemoteLike) -> _DataResponse:
        raise NotImplementedError

    def _inline_inputs(self) -> literals_pb2.LiteralMap | None:
        """Inputs carried by the message itself, if any (before an RPC)."""
        return None

    def _inline_outputs(self) -> literals_pb2.LiteralMap | None:
        """Outputs carried by the message's closure (deprecated fields older admins still fill), if any."""
        closure = self._proto.closure
        if closure.HasField("output_data"):
            return closure.output_data
        return None

    def _data_interface(self) -> interface_pb2.TypedInterface | None:
        """The interface whose variable types guide how inputs/outputs convert, if known."""
        return self._interface

    def _require_remote(self, what: str) -> RemoteLike:
        if self._remote is None:
            raise FlyteAssertion(
                f"Reading the {what} of {self._subject} needs a remote: create it with remote=Remote(...) "
                "or get it from remote.fetch_execution()."
            )
        return self._remote

    def _resolver(self, literal_map: literals_pb2.LiteralMap, which: str) -> LiteralsResolver:
        variables = None
        interface = self._data_interface()
        if interface is not None:
            variables = getattr(interface, which).variables
        hints = self._type_hints if which == "outputs" else None
        return LiteralsResolver(literal_map, variable_map=variables, type_hints=hints)

    def _load(self, which: str, *, outputs_final: bool = False) -> LiteralsResolver | DataNotInlineError:
        """The inputs or outputs: from the message if it carries them, else one ``Get*ExecutionData`` call.

        That call answers both sides, so the other side is cached too once it cannot change any more: the inputs
        when the outputs are read (only done once the execution succeeded), the outputs when the inputs are read
        and ``outputs_final`` (the execution had succeeded before the call).
        """
        inline = self._inline_inputs() if which == "inputs" else self._inline_outputs()
        if inline is not None:
            return self._resolver(inline, which)
        resp = self._fetch_data(self._require_remote(which))
        if which == "outputs":
            if self._inputs is None and self._inline_inputs() is None:
                self._inputs = self._from_response(resp, "inputs")
        elif outputs_final and self._outputs is None and self._inline_outputs() is None:
            self._outputs = self._from_response(resp, "outputs")
        return self._from_response(resp, which)

    def _from_response(self, resp: _DataResponse, which: str) -> LiteralsResolver | DataNotInlineError:
        full: literals_pb2.LiteralMap = resp.full_inputs if which == "inputs" else resp.full_outputs
        blob = resp.inputs if which == "inputs" else resp.outputs
        if not full.literals and blob.bytes > 0:
            return DataNotInlineError(self._subject, which, int(blob.bytes), str(blob.url))
        return self._resolver(full, which)

    @staticmethod
    def _unwrap(value: LiteralsResolver | DataNotInlineError) -> LiteralsResolver:
        if isinstance(value, DataNotInlineError):
            raise value
        return value

    @property
    def inputs(self) -> LiteralsResolver:
        """The inputs, fetched on first access (needs a remote) and then cached.

        Raises :class:`DataNotInlineError` when they exist but are too large for FlyteAdmin to return inline.
        Before the execution has received its inputs (a QUEUED node) this is empty, and asked again next time.
        """
        if self._inputs is not None:
            return self._unwrap(self._inputs)
        # Read before the fetch, so a phase change meanwhile cannot cache stale emptiness or unfinished outputs.
        closure = self._proto.closure
        terminal = phases.is_terminal(self._KIND, closure.phase)
        succeeded = phases.style(self._KIND, closure.phase).succeeded and not closure.HasField("error")
        value = self._load("inputs", outputs_final=succeeded)
        if isinstance(value, DataNotInlineError) or len(value) > 0 or terminal:
            self._inputs = value
        return self._unwrap(value)

    @property
    def outputs(self) -> LiteralsResolver:
        """The outputs, fetched on first access (needs a remote), cached once the execution is terminal.

        Raises ``FlyteAssertion`` while the execution is not finished, when it failed (with the error message), and
        (unlike flytekit, which returns empty outputs) when it ended without success and without an error
        (ABORTED, a SKIPPED node). Raises :class:`DataNotInlineError` when the outputs are too large to be inline.
        """
        if self._outputs is not None:
            return self._unwrap(self._outputs)
        closure = self._proto.closure  # read once: the sync thread may swap the message meanwhile
        self._require_terminal(closure.phase, "the outputs")
        name = phases.phase_name(self._KIND, closure.phase)
        if closure.HasField("error"):
            raise FlyteAssertion(
                f"Outputs of {self._subject} could not be found because the execution ended in failure "
                f"({name}). Error message: {printable(closure.error.message, multiline=True)}"
            )
        if not phases.style(self._KIND, closure.phase).succeeded:
            raise FlyteAssertion(f"{self._subject} ended {name}{self._no_outputs_cause()}: it has no outputs.")
        value = self._load("outputs")
        self._outputs = value  # terminal: outputs can no longer change
        return self._unwrap(value)

    def _no_outputs_cause(self) -> str:
        return ""


class FlyteWorkflowExecution(RemoteExecutionBase):
    """A workflow execution on a FlyteAdmin (wraps ``flyteidl.admin.execution_pb2.Execution``)."""

    _KIND = "workflow"
    _PROTO = execution_pb2.Execution
    _PHASES = phases.WorkflowPhase
    _DONE = phases.WORKFLOW_TERMINAL

    #: Bumped by the sync whenever anything in the tree below changed (0: never synced); the rows of a whole tree
    #: are reused while it stays.
    _fx_tree_version: int = 0
    #: The ``live.sync.TreeSync`` that refreshes this tree, kept here so every sync of this object shares it
    #: (typed loosely: this module sits below ``live``).
    _tree_sync: object = None
    #: The top-level nodes its compiled workflow plans (set by the sync; None: not known): rows for those not
    #: started yet.
    _fx_planned: tuple[PlannedNode, ...] | None = None

    def __init__(
        self,
        proto: execution_pb2.Execution,
        remote: RemoteLike | None = None,
        type_hints: Mapping[str, type] | None = None,
    ) -> None:
        super().__init__(proto, remote, type_hints)
        self._node_executions: dict[str, FlyteNodeExecution] | None = None
        self._flyte_workflow: Message | None = None

    @property
    def _ref(self) -> str:
        i = self._proto.id
        return f"{i.project}:{i.domain}:{i.name}"

    @property
    def spec(self) -> ProtoView:
        """The spec: ``launch_plan``, ``metadata`` (``mode``, ``principal``, ...), ``labels``, ..."""
        return ProtoView(self._proto.spec)

    @property
    def node_executions(self) -> dict[str, FlyteNodeExecution]:
        """Top-level node executions by node id (start/end nodes excluded); ``{}`` until nodes were synced."""
        return self._node_executions or {}

    @property
    def execution_url(self) -> str | None:
        """The console URL of this execution, ``None`` without a remote (as flytekit)."""
        if self._remote is None:
            return None
        return str(self._remote.generate_console_url(self))

    @property
    def flyte_workflow(self) -> ProtoView | None:
        """The executed workflow as a view of the admin ``Workflow`` message (flytekit: a ``FlyteWorkflow``).

        Fetched once through the remote: the workflow id is ``closure.workflow_id`` or, when the admin did not
        fill it, the launch plan's ``spec.workflow_id``. ``None`` without a remote and for single-task executions
        (as flytekit, whose sync leaves it unset for them).
        """
        if self._flyte_workflow is None:
            if self._remote is None:
                return None
            lp = self._proto.spec.launch_plan
            if lp.resource_type == identifier_pb2.TASK:
                return None
            closure = self._proto.closure
            if closure.HasField("workflow_id"):
                wf_id = closure.workflow_id
            else:
                wf_id = self._remote.get_launch_plan(lp).spec.workflow_id
            self._flyte_workflow = self._remote.get_workflow(wf_id)
        return ProtoView(self._flyte_workflow)

    def sync(self, sync_nodes: bool = True) -> FlyteWorkflowExecution:
        """Fetch the current state (and, with ``sync_nodes``, the whole node tree) into this object; returns it.

        Defaults to ``sync_nodes=True`` (flytekit: ``False``) so that ``node_executions`` is filled.
        """
        if self._remote is None:
            raise FlyteAssertion(f"Cannot sync {self._subject} without a remote")
        result: FlyteWorkflowExecution = self._remote.sync_execution(self, sync_nodes=sync_nodes)
        return result

    def wait(
        self,
        timeout: datetime.timedelta | float | None = None,
        poll_interval: datetime.timedelta | float | None = None,
        sync_nodes: bool = True,
        *,
        show: bool | None = None,
        notify: bool = False,
    ) -> FlyteWorkflowExecution:
        """Block until the execution completes (showing the live widget in a notebook); returns this object.

        ``timeout`` / ``poll_interval`` are timedeltas or seconds; ``show`` forces the widget on or off;
        ``notify``: told when it ends (the widget's bell on, or the terminal bell).
        Raises ``FlyteTimeout`` when ``timeout`` passes first. See :func:`flyteexec_widget.display.waiting.wait`.
        """
        if self._remote is None:
            raise FlyteAssertion(f"Cannot wait for {self._subject} without a remote")
        # The one upward import (with the two display hooks below): flytekit's API puts wait() and notebook display
        # on the execution object, and the display layer loads only when they are used.
        from ..display import waiting

        result: FlyteWorkflowExecution = waiting.wait(
            self, timeout=timeout, poll_interval=poll_interval, sync_nodes=sync_nodes, show=show, notify=notify
        )
        return result

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """Displaying the execution in a cell shows the live widget, with text and static HTML fallbacks."""
        from ..display.notebook import repr_mimebundle  # upward, see wait()

        return repr_mimebundle(self)

    def _ipython_display_(self) -> None:
        """Like ``_repr_mimebundle_``, but with a display id so the output ends on the final state."""
        from ..display.notebook import ipython_display_for  # upward, see wait()

        ipython_display_for(self)

    def _inline_inputs(self) -> literals_pb2.LiteralMap | None:
        # Older admins return the full inputs in closure.computed_inputs (deprecated); newer ones leave it empty.
        computed = self._proto.closure.computed_inputs
        return computed if computed.literals else None

    def _inline_outputs(self) -> literals_pb2.LiteralMap | None:
        closure = self._proto.closure
        if closure.HasField("outputs") and closure.outputs.HasField("values"):
            return closure.outputs.values
        return super()._inline_outputs()

    def _data_interface(self) -> interface_pb2.TypedInterface | None:
        # Set by the sync layer, else the workflow's own interface once ``flyte_workflow`` was fetched (no RPC here).
        if self._interface is None and self._flyte_workflow is not None:
            compiled = self._flyte_workflow.closure.compiled_workflow  # type: ignore[attr-defined]
            if compiled.primary.template.HasField("interface"):
                return compiled.primary.template.interface
        return self._interface

    def _no_outputs_cause(self) -> str:
        closure = self._proto.closure
        if closure.HasField("abort_metadata") and closure.abort_metadata.cause:
            return f" ({printable(closure.abort_metadata.cause)})"
        if closure.HasField("abort_cause") and closure.abort_cause:
            return f" ({printable(closure.abort_cause)})"
        return ""

    def _fetch_data(self, remote: RemoteLike) -> _DataResponse:
        return remote.get_execution_data(self._proto.id)  # type: ignore[no-any-return]


class FlyteNodeExecution(RemoteExecutionBase):
    """A node execution (wraps ``flyteidl.admin.node_execution_pb2.NodeExecution``)."""

    _KIND = "node"
    _PROTO = node_execution_pb2.NodeExecution
    _PHASES = phases.NodePhase
    _DONE = phases.FLYTEKIT_NODE_DONE

    #: Kind, display name and gate from the compiled workflow, set by the sync (None: never wired by one).
    _template_info: TemplateInfo | None = None
    #: A subworkflow node's planned children (set by the sync; None: not known or not a subworkflow).
    _fx_planned: tuple[PlannedNode, ...] | None = None
    #: Bumped by the sync whenever this node, its attempts or its template info changed (0: never synced); its
    #: row is rebuilt only then.
    _fx_version: int = 0
    #: An array node's subtask attempts, ``(index, retry) -> (started, ended)`` as the sync saw them (ISO-8601 UTC):
    #: FlyteAdmin keeps no times per subtask. None: never observed by a sync.
    _fx_subtask_times: Mapping[tuple[int, int], tuple[str | None, str | None]] | None = None
    #: True while a watch's sync has shown this node from its listing and not yet listed its attempts (its row then
    #: says its attempts are unknown, not that there are none); never True after ``sync()`` returned.
    _fx_attempts_pending: bool = False
    #: ``(message, template info, _fx_version, fields)``: the row fields those two alone decide (``live.rows``), for
    #: that version; the sync carries them to the next version when only the attempts changed (a watch builds a
    #: row from the listing, then again when the attempts come: the node's own part once).
    _fx_own_fields: tuple[Any, Any, int, Any] | None = None

    def __init__(
        self,
        proto: node_execution_pb2.NodeExecution,
        remote: RemoteLike | None = None,
        type_hints: Mapping[str, type] | None = None,
    ) -> None:
        super().__init__(proto, remote, type_hints)
        self._task_executions: list[FlyteTaskExecution] | None = None
        self._subworkflow_node_executions: dict[str, FlyteNodeExecution] | None = None
        self._workflow_executions: list[FlyteWorkflowExecution] = []

    @property
    def _ref(self) -> str:
        i = self._proto.id
        e = i.execution_id
        return f"{e.project}:{e.domain}:{e.name}/{i.node_id}"

    @property
    def is_done(self) -> bool:
        """Whether the node is complete, with flytekit's phases: SUCCEEDED, FAILED, TIMED_OUT, ABORTED, SKIPPED.

        Like flytekit this says ``False`` for RECOVERED, although FlyteAdmin treats RECOVERED as final (it is in
        ``phases.NODE_TERMINAL``); ``error``, ``outputs`` and ``is_successful`` do treat RECOVERED as finished.
        """
        return super().is_done

    @property
    def input_uri(self) -> str:
        """Where the node's inputs are stored."""
        return str(self._proto.input_uri)

    @property
    def metadata(self) -> ProtoView:
        """``retry_group``, ``is_parent_node``, ``spec_node_id``, ``is_dynamic``, ``is_array``, ``is_eager``."""
        return ProtoView(self._proto.metadata)

    @property
    def interface(self) -> ProtoView | None:
        """The interface of the node's task or subworkflow (set by the sync layer), ``None`` if unknown.

        A view of ``flyteidl.core.TypedInterface`` whose ``inputs``/``outputs`` are ``dict[str, Variable view]``
        as in flytekit's ``TypedInterface``.
        """
        return None if self._interface is None else ProtoView(self._interface)

    @property
    def task_executions(self) -> list[FlyteTaskExecution]:
        """One task execution per attempt (task nodes), ``[]`` otherwise or before a sync."""
        return self._task_executions or []

    @property
    def workflow_executions(self) -> list[FlyteWorkflowExecution]:
        """The child execution(s) of a launch-plan node."""
        return self._workflow_executions

    @property
    def subworkflow_node_executions(self) -> dict[str, FlyteNodeExecution]:
        """Child node executions of a parent node (subworkflow, dynamic, branch) by node id; ``{}`` otherwise."""
        return self._subworkflow_node_executions or {}

    @property
    def executions(self) -> list[Any]:
        """The task executions, else the child node executions, else the launch-plan child executions, else ``[]``.

        flytekit returns ``task_executions or <child node executions> or []``; the last fallback is ours (its type
        hint promises workflow executions, which it never returns).
        """
        return self.task_executions or list(self.subworkflow_node_executions.values()) or self.workflow_executions

    def _fetch_data(self, remote: RemoteLike) -> _DataResponse:
        return remote.get_node_execution_data(self._proto.id)  # type: ignore[no-any-return]


class FlyteTaskExecution(RemoteExecutionBase):
    """One attempt of a task (wraps ``flyteidl.admin.task_execution_pb2.TaskExecution``)."""

    _KIND = "task"
    _PROTO = task_execution_pb2.TaskExecution
    _PHASES = phases.TaskPhase
    _DONE = phases.TASK_TERMINAL

    def __init__(
        self,
        proto: task_execution_pb2.TaskExecution,
        remote: RemoteLike | None = None,
        type_hints: Mapping[str, type] | None = None,
    ) -> None:
        super().__init__(proto, remote, type_hints)
        self._task: Message | None = None

    @property
    def _ref(self) -> str:
        i = self._proto.id
        n = i.node_execution_id
        e = n.execution_id
        return f"{e.project}:{e.domain}:{e.name}/{n.node_id}/{i.task_id.name} attempt {i.retry_attempt}"

    @property
    def input_uri(self) -> str:
        """Where the task's inputs are stored."""
        return str(self._proto.input_uri)

    @property
    def is_parent(self) -> bool:
        """Whether this task execution launched child node executions (e.g. a dynamic task)."""
        return bool(self._proto.is_parent)

    @property
    def task(self) -> ProtoView | None:
        """The task definition as a view of the admin ``Task`` message (flytekit: a ``FlyteTask``), fetched once
        through the remote; ``None`` without one.
        """
        if self._task is None:
            if self._remote is None:
                return None
            self._task = self._remote.get_task(self._proto.id.task_id)
        return ProtoView(self._task)

    def _fetch_data(self, remote: RemoteLike) -> _DataResponse:
        return remote.get_task_execution_data(self._proto.id)  # type: ignore[no-any-return]
