"""What the sync engine calls on its remote (:class:`SyncRemote`), and the calls whose permanent refusal it takes as
"unknown" rather than as a failed refresh: a workflow (indexed as it comes), a task's interface, a node's whole error.

Kept apart from :class:`~flyteexec_widget.live.sync.TreeSync` because each is one RPC and its error policy, with no
state of the tree: transient and server errors are raised (the refresh fails and is retried, nothing is cached),
any other refusal is logged and gives None.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any, Protocol

from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2, workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2

from ..admin.errors import RpcFailure
from ..objects.executions import RemoteLike
from .compiled import Compiled, template_nodes

# The sync engine's logger, as before these calls had a module of their own: users filter its warnings by that name.
log = logging.getLogger(__name__.rpartition(".")[0] + ".sync")


class SyncRemote(RemoteLike, Protocol):
    """What the sync calls on its remote (:class:`flyteexec_widget.Remote` is one): the RPCs below, and what the
    wrappers it builds call (:class:`~flyteexec_widget.objects.executions.RemoteLike`)."""

    @property
    def executor(self) -> Executor: ...

    def get_execution(self, wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> admin_execution_pb2.Execution: ...

    def list_node_executions(
        self, wf_id: identifier_pb2.WorkflowExecutionIdentifier, *, unique_parent_id: str = "", filters: str = ""
    ) -> list[node_execution_pb2.NodeExecution]: ...

    def list_task_executions(
        self, node_exec_id: identifier_pb2.NodeExecutionIdentifier
    ) -> list[task_execution_pb2.TaskExecution]: ...

    def get_workflow(self, identifier: identifier_pb2.Identifier) -> workflow_pb2.Workflow: ...

    def get_task(self, identifier: identifier_pb2.Identifier) -> Any: ...

    def get_node_execution(
        self, node_exec_id: identifier_pb2.NodeExecutionIdentifier
    ) -> node_execution_pb2.NodeExecution: ...


def get_workflow(remote: SyncRemote, ident: identifier_pb2.Identifier) -> Compiled | None:
    """The workflow behind an execution, indexed; None when FlyteAdmin will not give it (kinds then come from
    metadata). Indexed here, on the worker thread, as soon as it came: a first paint's workflow comes before
    the node listing it waits for, and the top level's index is then ready when the listing comes."""
    try:
        wf = remote.get_workflow(ident)
    except RpcFailure as exc:
        if exc.transient or exc.server_error:  # may work next time: the sync is retried, nothing is cached
            raise
        log.warning("cannot fetch workflow %s (%s); node kinds are inferred from node metadata", ident.name, exc)
        return None
    compiled = Compiled.from_workflow(wf)
    compiled.primary_nodes = template_nodes(compiled.primary)
    return compiled


def get_task_interface(remote: SyncRemote, ident: identifier_pb2.Identifier) -> interface_pb2.TypedInterface | None:
    try:
        task = remote.get_task(ident)
    except RpcFailure as exc:
        if exc.transient or exc.server_error:
            raise
        log.warning("cannot fetch task %s (%s); its interface stays unknown", ident.name, exc)
        return None
    return task.closure.compiled_task.template.interface


def get_node_error(
    remote: SyncRemote, node_id: identifier_pb2.NodeExecutionIdentifier
) -> core_execution_pb2.ExecutionError | None:
    """A node's whole error (None: it has none, or FlyteAdmin will not give it: the cut one stays)."""
    try:
        proto = remote.get_node_execution(node_id)
    except RpcFailure as exc:
        if exc.transient or exc.server_error:  # may work next time: asked again next refresh
            raise
        log.warning("cannot fetch the whole error of node %s (%s); its list message stays", node_id.node_id, exc)
        return None
    return proto.closure.error if proto.closure.HasField("error") else None
