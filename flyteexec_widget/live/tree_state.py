"""What the sync engine keeps between refreshes: one state object per execution, scope (a level of nodes) and node,
and the per-remote cache of compiled workflows and task interfaces.

Plain data with no RPCs and no decisions: :class:`~flyteexec_widget.live.sync.TreeSync` fills and reads it, the
node rules (:mod:`~flyteexec_widget.live.node_rules`) and template lookups
(:mod:`~flyteexec_widget.live.node_templates`) read it. Kept apart so the shape of what a refresh remembers can be
read in one place, without the refresh around it.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from google.protobuf import timestamp_pb2

from ..objects.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
from ..objects.phases import is_terminal
from ..objects.templates import PlannedNode, TemplateInfo
from .compiled import Compiled


def version_of(ts: timestamp_pb2.Timestamp, phase: int) -> tuple[int, int, int]:
    """What "changed" means for a node or execution: its updated_at and phase."""
    return (ts.seconds, ts.nanos, int(phase))


@dataclass
class Scope:
    """The nodes under one owner: an execution's top level, or a parent node's children."""

    exec_state: ExecState
    parent_id: str
    parent: NodeState | None = None
    nodes: dict[str, NodeState] = field(default_factory=dict)  # node_id -> state, first-seen order
    watermark: timestamp_pb2.Timestamp | None = None
    #: ``TreeSync.clock()`` when a listing first showed the current watermark (its event was stored by then).
    mark_seen_at: float | None = None
    #: A listing started ``sync.WATERMARK_MARGIN`` or more after ``mark_seen_at`` came back with the same watermark:
    #: every event up to it is stored and listed, so re-listings ask from the watermark itself (see
    #: ``sync.WATERMARK_MARGIN``).
    mark_covered: bool = False
    listed_for: tuple[int, ...] | None = None  # owner version when last listed
    listed_in: int = -1  # refresh number of the last listing
    filtered_listings: int = 0  # filtered listings since the last whole one
    # Template nodes by id, built once per scope: rebuilding them for each node's first lookup made a sync
    # quadratic in the number of nodes (10,000 nodes: minutes). A compiled workflow never changes once fetched.
    templates: dict[str, core_workflow_pb2.Node] | None = None
    #: The nodes planning still visits, in first-seen order: a finished node with nothing left to fetch leaves
    #: (``node_rules.is_settled``), so a steady refresh of 10,000 finished nodes plans only the running ones. A node
    #: comes back when a listing changes it; all of them when what planning reads beyond the node may have changed
    #: (``known``, see ``TreeSync._knowledge``).
    active: dict[str, NodeState] = field(default_factory=dict)
    #: The nodes whose wrappers wiring must update (new or changed since the last wiring); parents are always wired.
    unwired: dict[str, NodeState] = field(default_factory=dict)
    #: The scope's nodes that have a scope of children (wired every time, for their children).
    parents: dict[str, NodeState] = field(default_factory=dict)
    #: What ``active`` and ``unwired`` were last filled for (``TreeSync._knowledge``); None: never.
    known: tuple[int, int] | None = None
    #: The scope's wrappers as last wired (``_node_executions`` / ``_subworkflow_node_executions``): kept while no
    #: node was added, so an unchanged level costs nothing to wire.
    wired: dict[str, FlyteNodeExecution] | None = None
    #: No node of the scope can have anything below it to list: no listed message says parent, dynamic or child
    #: execution, and no node has attempts (a running one whose attempt succeeded may be a parent) or children
    #: yet. Set by the listing's handler; once False, for good. A publishing refresh's first phase (listing the
    #: levels) then skips the scope's nodes instead of asking each (see ``node_rules.nothing_below``).
    plain: bool = True


@dataclass
class NodeState:
    proto: node_execution_pb2.NodeExecution
    wrapper: FlyteNodeExecution
    scope: Scope
    #: ``metadata.spec_node_id`` or else the node id: the template's id (fixed for a node id)
    spec_id: str = ""
    tasks: list[task_execution_pb2.TaskExecution] = field(default_factory=list)
    task_wrappers: dict[int, FlyteTaskExecution] = field(default_factory=dict)
    tasks_for: tuple[int, ...] | None = None
    tasks_in: int = -1
    children: Scope | None = None
    child_exec: ExecState | None = None
    template: core_workflow_pb2.Node | None = None
    # An array node's subtask attempts: the phase last seen, and when they were seen to start and end.
    subtask_phases: dict[tuple[int, int], int] = field(default_factory=dict)
    subtask_times: dict[tuple[int, int], tuple[str | None, str | None]] = field(default_factory=dict)
    #: A subworkflow node's planned children, once its template is known.
    planned: tuple[PlannedNode, ...] | None = None
    #: The whole error message (GetNodeExecution), kept over later listings that cut it again.
    full_error: core_execution_pb2.ExecutionError | None = None
    #: Its template is known and plans no children (not a subworkflow): ``planned`` stays None for good.
    no_planned: bool = False
    #: A task node's (template, dynamic, info, interface) as node_templates.node_info last made them.
    task_info: tuple[Any, bool, TemplateInfo, interface_pb2.TypedInterface | None] | None = None

    @property
    def version(self) -> tuple[int, int, int]:
        return version_of(self.proto.closure.updated_at, self.proto.closure.phase)

    @property
    def terminal(self) -> bool:
        return is_terminal("node", self.proto.closure.phase)


@dataclass
class ExecState:
    wf_id: identifier_pb2.WorkflowExecutionIdentifier
    wrapper: FlyteWorkflowExecution
    proto: admin_execution_pb2.Execution | None
    top: Scope = field(init=False)
    key: tuple[str, str, str] = field(init=False)
    fetched_in: int = -1
    terminal_before: bool = False  # terminal at the end of a previous refresh: never fetched again
    planned: tuple[PlannedNode, ...] | None = None  # its top level's planned nodes, once the workflow is known
    #: Its compiled workflow once known (node_templates.compiled_of): looked up per node several times a paint, and a
    #: registered workflow never changes once fetched.
    compiled: Compiled | None = None

    def __post_init__(self) -> None:
        self.top = Scope(self, "")
        # (project, domain, name): part of every job key of its nodes, read from the message once
        self.key = (self.wf_id.project, self.wf_id.domain, self.wf_id.name)

    @property
    def version(self) -> tuple[int, int, int] | None:
        if self.proto is None:
            return None
        return version_of(self.proto.closure.updated_at, self.proto.closure.phase)

    @property
    def terminal(self) -> bool:
        return self.proto is not None and is_terminal("workflow", self.proto.closure.phase)


class EntityCache:
    """Compiled workflows per remote (registered entities are immutable, so a cache never goes stale)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: None: the workflow could not be fetched (kinds then come from node metadata alone).
        self.workflows: dict[tuple[int, str, str, str, str], Compiled | None] = {}
        #: Task interfaces of single-task executions whose closure names no workflow (GetTask, once per id).
        self.task_interfaces: dict[tuple[int, str, str, str, str], interface_pb2.TypedInterface | None] = {}
        self.filters_unsupported = False
        #: Bumped whenever a workflow or task interface is added: what planning and wiring read of them may change.
        self.generation = 0


_CACHES: weakref.WeakKeyDictionary[Any, EntityCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(remote: Any) -> EntityCache:
    with _CACHES_LOCK:
        try:
            return _CACHES[remote]
        except KeyError:
            cache = _CACHES[remote] = EntityCache()
            return cache
        except TypeError:  # not weak-referenceable (a test double): a private cache
            return EntityCache()
