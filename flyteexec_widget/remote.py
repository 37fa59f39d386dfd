"""Remote: the user's FlyteAdmin client, flytekit's ``FlyteRemote`` for watching executions.

:class:`~flyteexec_widget.admin.client.AdminClient` speaks protobufs; ``Remote`` adds what needs the layers above
it: execution objects (``fetch_execution``), the sync engine (``sync_execution``), typed signal values
(``set_signal``: the signal's ``LiteralType`` from ``ListSignals``, the literal from
``objects.python_to_literal.to_literal``) and relaunching with new inputs (``relaunch(..., inputs=)``: typed by
the launch plan, ``objects.launch_inputs``). It sits above every layer it joins, so none of them imports it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import grpc
from flyteidl.admin import signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2

from .admin.client import AdminClient
from .admin.errors import FlyteAssertion, InvalidArgumentError, NotFoundError
from .admin.refs import parse_execution_ref
from .live import sync
from .objects.executions import DataNotInlineError, FlyteWorkflowExecution
from .objects.launch_inputs import launch_inputs
from .objects.python_to_literal import to_literal

__all__ = ["Remote"]


class Remote(AdminClient):
    """A FlyteAdmin client that mirrors the parts of flytekit's ``FlyteRemote`` used to watch executions.

    Construction, ``from_config``, ``for_sandbox`` and every RPC are :class:`AdminClient`'s.
    """

    def fetch_execution(
        self, project: Any = None, domain: str | None = None, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """Fetch one execution: ``(project, domain, name)``, ``name=`` with defaults, ``"P:D:N"``, a console URL, or
        (alone) an execution's identifier, message or wrapper (ours or flytekit's; a node's gives its workflow's)."""
        if domain is None and name is None and project is not None:
            wf_id = self._wf_id(project)
        else:
            ref = parse_execution_ref(
                project, domain, name, default_project=self.default_project, default_domain=self.default_domain
            )
            wf_id = identifier_pb2.WorkflowExecutionIdentifier(project=ref.project, domain=ref.domain, name=ref.name)
        return FlyteWorkflowExecution(self.get_execution(wf_id), remote=self)

    def sync_execution(self, execution: FlyteWorkflowExecution, sync_nodes: bool = True) -> FlyteWorkflowExecution:
        """Refresh an execution (and its node tree when ``sync_nodes``); see :func:`live.sync.sync_execution`."""
        return sync.sync_execution(self, execution, sync_nodes=sync_nodes)

    def relaunch(
        self, execution: Any, name: str | None = None, inputs: Mapping[str, Any] | None = None
    ) -> identifier_pb2.WorkflowExecutionIdentifier:
        """Run an execution again; returns the new execution's id. FlyteAdmin names it unless ``name`` is given.

        Without ``inputs``: ``RelaunchExecution`` (the same inputs, FlyteAdmin records where it came from). With
        ``inputs`` (name -> Python value, or a ``Literal``): ``CreateExecution`` of the execution's launch plan with
        this execution's inputs, those in ``inputs`` replaced; each value is built for the launch plan's declared
        type (see :func:`~flyteexec_widget.objects.python_to_literal.to_literal`: ints, floats, str, bool, datetimes,
        timedeltas or seconds, enum values, lists, dicts, blobs and datasets by URI). A value that does not fit,
        an unknown or fixed input raise :class:`~flyteexec_widget.objects.launch_inputs.InputsError` naming each
        input, before anything is launched.
        """
        if inputs is None:
            return super().relaunch(execution, name)
        launch_plan, current, spec = self._relaunch_sources(execution)
        wf_id = self._wf_id(execution)
        literals = launch_inputs(launch_plan, inputs, base=current)
        return self.create_execution(
            launch_plan.id, literals, project=wf_id.project, domain=wf_id.domain, name=name, like=spec, reference=wf_id
        )

    def launch_plan_and_inputs(self, execution: Any) -> tuple[Any, literals_pb2.LiteralMap]:
        """The admin ``LaunchPlan`` an execution was launched from (``spec.launch_plan``: one ``GetLaunchPlan``)
        and the execution's inputs (``GetExecutionData``).

        Raises :class:`~flyteexec_widget.objects.executions.DataNotInlineError` when FlyteAdmin did not return the
        inputs inline (too large): relaunching over the launch plan's defaults would silently change them.
        """
        launch_plan, inputs, _ = self._relaunch_sources(execution)
        return launch_plan, inputs

    def _relaunch_sources(self, execution: Any) -> tuple[Any, literals_pb2.LiteralMap, Any]:
        """:meth:`launch_plan_and_inputs` and the execution's spec (its run settings, which a relaunch keeps)."""
        wf_id = self._wf_id(execution)
        proto = self.get_execution(wf_id)
        launch_plan = self.get_launch_plan(proto.spec.launch_plan)
        data = self.get_execution_data(wf_id)
        if not data.full_inputs.literals and data.inputs.bytes > 0:
            raise DataNotInlineError(self._subject(wf_id), "inputs", int(data.inputs.bytes), str(data.inputs.url))
        return launch_plan, data.full_inputs, proto.spec

    def set_signal(self, execution: Any, signal_id: str, value: Any) -> None:
        """``SetSignal`` with ``value`` as the signal's own type (flytekit's ``set_signal`` guesses it from the value).

        A flyteidl ``Literal`` is sent as it is. Any other value becomes the literal of the signal's ``LiteralType``
        (read with ``ListSignals``; see :func:`~flyteexec_widget.objects.python_to_literal.to_literal` for what each
        type accepts), so a struct, an enum, a union, a list or a map arrives as FlyteAdmin checks it.

        Raises ``InvalidArgumentError`` before any ``SetSignal`` when the value does not fit the type (naming the
        signal, the value and the type), and ``NotFoundError`` when the execution has no such signal yet: propeller
        creates it when the gate node starts.
        """
        if isinstance(value, literals_pb2.Literal):
            self.send_signal(execution, signal_id, value)
            return
        if not signal_id or not isinstance(signal_id, str):
            raise FlyteAssertion(f"signal_id must be a non-empty string, got {signal_id!r}")
        wf_id = self._wf_id(execution)
        subject = f"{self._subject(wf_id)} signal {signal_id}"
        signal = self._signal(wf_id, signal_id, subject)
        try:
            literal = to_literal(value, signal.type)
        except ValueError as e:
            raise InvalidArgumentError(
                f"SetSignal {subject}: {e}", code=grpc.StatusCode.INVALID_ARGUMENT, method="SetSignal"
            ) from None
        self.send_signal(wf_id, signal_id, literal)

    def _signal(
        self, wf_id: identifier_pb2.WorkflowExecutionIdentifier, signal_id: str, subject: str
    ) -> signal_pb2.Signal:
        """The execution's admin ``Signal`` named ``signal_id`` (filtered by the server when the id is safe to put in
        FlyteAdmin's filter syntax, where ``+ , ; ( )`` separate things)."""
        filters = f"eq(signal_id,{signal_id})" if _FILTERABLE_ID.fullmatch(signal_id) else ""
        for signal in self.list_signals(wf_id, filters=filters):
            if signal.id.signal_id == signal_id:
                return signal
        raise NotFoundError(
            f"SetSignal {subject}: the execution has no such signal (yet): its gate node has not started",
            code=grpc.StatusCode.NOT_FOUND,
            method="ListSignals",
        )


_FILTERABLE_ID = re.compile(r"[A-Za-z0-9_.:-]+")
