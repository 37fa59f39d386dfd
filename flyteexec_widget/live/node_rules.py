"""The sync engine's decisions about one node, from its own state (and its template, through
:mod:`~flyteexec_widget.live.node_templates`): whether it may have children or task attempts, may become a parent,
is settled; whether its listed error was cut; whether it is a start/end marker; when its array subtasks were seen to
start and end.

Kept apart from :class:`~flyteexec_widget.live.sync.TreeSync` because none of it needs a refresh in progress: each
rule can be read (and tested) on its own, with the FlyteAdmin behaviour that makes it necessary.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from google.protobuf import timestamp_pb2

from ..objects.phases import TaskPhase, is_terminal
from ..objects.protoview import is_valid_timestamp
from .compiled import END_NODE_ID, START_NODE_ID, id_key
from .node_templates import START_OR_END, compiled_of, template_for
from .tree_state import EntityCache, NodeState

#: Task phases of a subtask that has not started running (its start is when it leaves them).
_SUBTASK_WAITING = frozenset(
    {TaskPhase.UNDEFINED, TaskPhase.QUEUED, TaskPhase.INITIALIZING, TaskPhase.WAITING_FOR_RESOURCES}
)

#: A listed error message this long (in UTF-8 bytes) may have been cut: FlyteAdmin trims list responses to 100
#: bytes, backing off to a character boundary (``transformers.TrimErrorMessage``); a longer one is whole.
TRIMMED_ERROR_MIN_BYTES = 97
TRIMMED_ERROR_MAX_BYTES = 100

#: The task type flytekit's ``@dynamic`` registers (``flytekit/core/dynamic_workflow_task.py``): such a node may
#: become a parent that FlyteAdmin flags only from its children (see :func:`may_become_parent`).
DYNAMIC_TASK_TYPE = "dynamic-task"

START_OR_END_SUFFIXES = ("-" + START_NODE_ID, "-" + END_NODE_ID)


def error_maybe_trimmed(proto: node_execution_pb2.NodeExecution) -> bool:
    """Whether a listed node's error message may have been cut by the list response."""
    closure = proto.closure
    if not closure.HasField("error"):
        return False
    return TRIMMED_ERROR_MIN_BYTES <= len(closure.error.message.encode()) <= TRIMMED_ERROR_MAX_BYTES


def with_full_error(
    proto: node_execution_pb2.NodeExecution, full: core_execution_pb2.ExecutionError
) -> node_execution_pb2.NodeExecution:
    """``proto`` with the whole error message fetched earlier, if its listed message is that one cut short."""
    closure = proto.closure
    if not closure.HasField("error"):
        return proto
    listed = closure.error
    if listed.message == full.message or listed.code != full.code or not full.message.startswith(listed.message):
        return proto
    out = node_execution_pb2.NodeExecution()
    out.CopyFrom(proto)
    out.closure.error.message = full.message
    return out


def is_start_or_end(node: node_execution_pb2.NodeExecution) -> bool:
    """Whether a node execution is a start/end marker (hidden, as flytekit and the console hide them)."""
    node_id = node.id.node_id  # read once: asked of every listed node
    spec = node.metadata.spec_node_id or node_id
    return spec in START_OR_END or node_id.endswith(START_OR_END_SUFFIXES)


def may_have_children(node: NodeState) -> bool:
    """Whether a node's children are listed: it is a parent, or may be one FlyteAdmin has not flagged yet.

    FlyteAdmin derives ``is_parent_node`` from the children when no event set it, and its row does not move when
    they appear, so a filtered listing would not show the flag: a running node whose latest attempt already
    succeeded (a dynamic task whose workflow runs now) is asked for children every refresh until it ends. An
    ``is_dynamic`` node always: one reporting with event version 1 ends with ``is_dynamic`` alone, and the
    flag derivation stops (``transformers/node_execution.go`` ``FromNodeExecutionModel``).
    """
    meta = node.proto.metadata
    if meta.is_parent_node or meta.is_dynamic:
        return True
    if node.children is not None and node.children.nodes:
        return True
    if node.terminal or not node.tasks:
        return False
    return int(node.tasks[-1].closure.phase) == TaskPhase.SUCCEEDED


def may_become_parent(cache: EntityCache, node: NodeState) -> bool:
    """Whether a running node's attempts are listed every refresh, outside the budget: a dynamic task (by its
    template's task type, or its attempts' where no template is known) not yet seen as a parent.

    Below event version 2 FlyteAdmin never hears such a node go DYNAMIC_RUNNING, and its row does not move when
    its children appear: only its task attempt's success (:func:`may_have_children`) says to list children,
    and asking for it once per refresh makes the children show in the refresh after they appear. Why only
    ``dynamic-task`` and not every running task node (any task may return a dynamic workflow to propeller): on
    a 10,000-node execution whose fan-out runs 800 task nodes at once, that would be 800 attempt listings every
    refresh, the very cost ``sync.ATTEMPTS_BUDGET`` bounds; this costs one call per running flytekit dynamic
    task until it has children (then its children's listing shows them). A dynamic workflow from another task
    type (an older SDK's ``python-task``) is still seen within ``ceil(running / budget)`` refreshes, in the
    next one while no more than ``budget`` unchanged nodes run, and at the latest at the periodic whole
    listing (which shows FlyteAdmin's derived ``is_parent_node``).
    """
    if may_have_children(node):
        return False  # its children are listed anyway
    tmpl = template_for(cache, node)
    if tmpl is not None and tmpl.HasField("task_node"):
        compiled = compiled_of(cache, node.scope.exec_state)
        if compiled is not None:
            return compiled.task_types.get(id_key(tmpl.task_node.reference_id)) == DYNAMIC_TASK_TYPE
    return bool(node.tasks) and node.tasks[-1].closure.task_type == DYNAMIC_TASK_TYPE


def may_have_tasks(cache: EntityCache, node: NodeState) -> bool:
    """Whether a node runs task attempts: not a pure container (subworkflow, branch), launch plan or gate."""
    meta = node.proto.metadata
    if meta.is_array:
        return not meta.is_parent_node  # with event version 1 its subtasks are nodes, with their own attempts
    if meta.is_dynamic:
        return True
    tmpl = template_for(cache, node)
    if tmpl is not None and tmpl.HasField("task_node"):
        return True  # a dynamic task FlyteAdmin flagged as a parent from its children only
    if meta.is_parent_node:
        return False
    if node.proto.closure.HasField("workflow_node_metadata"):
        return False
    if tmpl is not None:
        return bool(tmpl.HasField("array_node"))
    return True


def is_settled(node: NodeState) -> bool:
    """Whether a node that planned no call needs no further look until it changes: finished (or left running
    in a finished execution, after its final look) and no parent (a parent's children are planned through it).
    Everything else planning reads is the node's own state (a change comes back through ``TreeSync._touch``) or
    ``TreeSync._knowledge``."""
    if node.children is not None or may_have_children(node):
        return False
    return node.terminal or node.scope.exec_state.terminal


def nothing_below(node: NodeState) -> bool:
    """No children to list and no child execution not seen before: a leaf as far as the levels go."""
    if may_have_children(node):
        return False
    return node.child_exec is not None or not node.proto.closure.HasField("workflow_node_metadata")


def observe_subtasks(node: NodeState, protos: Sequence[task_execution_pb2.TaskExecution], first: bool) -> None:
    """Note when array subtask attempts were seen to start and end: FlyteAdmin keeps no times per subtask.

    A subtask attempt's phase changed between two listings, so it changed at the latest at the ``updated_at`` of
    the task execution now carrying it (the time of its last event): exact when the listing follows each event,
    later by up to one refresh otherwise. Attempts already there at the first listing have no known start.
    """
    for t in protos:
        at = _iso(t.closure.updated_at)
        for res in t.closure.metadata.external_resources:
            key = (res.index, res.retry_attempt)
            before = node.subtask_phases.get(key)
            node.subtask_phases[key] = res.phase
            if first or before == res.phase:
                continue
            start, end = node.subtask_times.get(key, (None, None))
            was_waiting = before is None or before in _SUBTASK_WAITING
            if start is None and was_waiting and res.phase not in _SUBTASK_WAITING:
                start = at
            if end is None and is_terminal("task", res.phase):
                end = at
            node.subtask_times[key] = (start, end)


def _iso(ts: timestamp_pb2.Timestamp) -> str | None:
    """ISO-8601 UTC, or None for a time out of range (a hostile or broken server's)."""
    if not is_valid_timestamp(ts):
        return None
    return ts.ToDatetime(tzinfo=_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
