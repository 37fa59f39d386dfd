"""Remote: the user's FlyteAdmin client, flytekit's ``FlyteRemote`` for watching executions.

:class:`~flyteexec_widget.admin.client.AdminClient` speaks protobufs; ``Remote`` adds what needs the layers above
it: execution objects (``fetch_execution``), the sync engine (``sync_execution``) and literals built from Python
values (``set_signal``). It sits above every layer it joins, so none of them imports it.
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import identifier_pb2, literals_pb2

from .admin.client import AdminClient
from .admin.refs import parse_execution_ref
from .admin.retry import RetryPolicy
from .live import sync
from .objects.executions import FlyteWorkflowExecution
from .objects.literals import to_literal

__all__ = ["Remote", "RetryPolicy"]


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

    def set_signal(self, execution: Any, signal_id: str, value: Any) -> None:
        """``SetSignal``: ``value`` is a flyteidl Literal or a simple Python value (converted by ``to_literal``)."""
        literal = value if isinstance(value, literals_pb2.Literal) else to_literal(value)
        self.send_signal(execution, signal_id, literal)
