"""Whole-tree sync of a workflow execution, and the incremental refresh the live monitor runs every second.

:func:`sync_execution` returns the complete tree, filled the way flytekit's ``FlyteRemote.sync_execution`` fills
it (``node_executions``, ``subworkflow_node_executions``, ``task_executions``, ``workflow_executions``,
``interface``). :class:`TreeSync` keeps what it learnt between refreshes, so a refresh fetches only what can still
change:

* a scope (the top level of an execution, or the children of a parent node) is listed while its owner is not
  terminal, and once more, whole, after the owner was seen terminal; after that it is final and never listed again;
* a re-listing asks only for nodes updated since the last one (``gte(node_execution_updated_at, watermark)``), so a
  1,000-node level costs one small page; every :data:`FULL_LISTING_EVERY`-th listing of a level is whole, so an
  event FlyteAdmin stored late (see :data:`WATERMARK_MARGIN`) shows up within a few refreshes, never "never". A
  filtered listing must return the node that set the watermark (update times never go back); one that does not
  proves the server's filter broken (a SQLite-backed FlyteAdmin compares the timestamp as text and can match
  nothing), and that execution is listed whole from then on (logged once). The watermark is the newest update
  seen less :data:`WATERMARK_MARGIN`, until a listing a margin later (on our clock) showed every event up to it;
* the refresh plans and wires only the nodes that can still change: finished nodes with nothing left to fetch leave
  their scope's ``active`` set (and are not wired again) until a listing changes them or a workflow or task
  interface is learnt, so a steady refresh of 10,000 finished nodes costs what its running ones cost;
* a node's children are listed while it is a parent, or may have become one without its own update time moving:
  FlyteAdmin derives ``is_parent_node`` from the children when no event said so (a dynamic node reporting with event
  version 1 never does; it ends with ``is_dynamic`` alone), so a running node whose task attempt already succeeded,
  and any ``is_dynamic`` node, has its children listed too;
* children of a retried parent (a dynamic node's attempts 0 and 1: ``n1-0-dn0``, ``n1-1-dn0``) all come under the
  one parent, each with its ``retry_group``; :mod:`~flyteexec_widget.live.rows` groups them by parent attempt;
* task attempts are listed for nodes whose ``updated_at``/phase moved, and for running ones: FlyteAdmin does not
  touch a node when an event of its task arrives (new attempt, logs, array subtask progress), so an unchanged
  running node must still be asked, but only :attr:`TreeSync.attempts_budget` of those per refresh, the least
  recently listed first (a wide fan-out of 800 running nodes costs 50 calls a refresh, not 800); running array
  nodes always (their subtask progress exists only in their task's events), and so running dynamic tasks not yet
  seen as parents (their attempt's success is what says to list their children);
* inputs, outputs and decks are never fetched here (the wrappers fetch them lazily);
* the error of a failed node is fetched whole once (``GetNodeExecution``: list responses cut it to 100 bytes,
  which leaves the first line of a traceback), for the first :data:`FULL_ERRORS` failures of an execution.

The compiled workflow also says which nodes are planned: each scope whose template is known (the top level, a
subworkflow's children) gets its :class:`~flyteexec_widget.objects.templates.PlannedNode` s as ``_fx_planned`` on
its owner's wrapper, so a node without a node execution yet is shown as not started.

Every round of a refresh sends all independent calls at once on ``remote.executor`` and handles the answers on
the calling thread, so a refresh costs about (tree depth) x (round-trip time). A watch's refresh (one given
``publish``) is in two phases: the listings of every level first, then ``publish()`` (rows from the listings
alone, attempts marked pending), then the nodes' own calls (attempts, whole errors) on worker loops that take the next
call themselves, the nodes a view asked for (:meth:`TreeSync.prioritize`) first, publishing as they fill in (the
background stream, :mod:`~flyteexec_widget.live.attempt_stream`); it still returns the whole tree.

Workflow templates (kinds, names, gates, interfaces) are fetched once per workflow id and remote and cached; what
they say about each node is set on its wrapper as a :class:`~flyteexec_widget.objects.templates.TemplateInfo`
(``_template_info``).

Every change the sync makes to a node wrapper bumps its ``_fx_version``, and any change in a tree bumps the root's
``_fx_tree_version``: :mod:`~flyteexec_widget.live.rows` rebuilds only what moved.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any

from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2
from google.protobuf import timestamp_pb2

from ..admin.errors import RpcFailure
from ..objects.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
from ..objects.phases import style
from ..objects.protoview import MAX_TIMESTAMP_SECONDS, MIN_TIMESTAMP_SECONDS
from . import gcpause
from .attempt_stream import Job, Priorities, stream
from .compiled import Compiled, id_key, planned_nodes
from .node_rules import (
    START_OR_END_SUFFIXES,
    error_maybe_trimmed,
    is_settled,
    is_start_or_end,
    may_become_parent,
    may_have_children,
    may_have_tasks,
    nothing_below,
    observe_subtasks,
    with_full_error,
)
from .node_templates import (
    START_OR_END,
    all_started,
    compiled_of,
    node_info,
    planned_children,
    plans_nothing,
    template_for,
)
from .remote_calls import SyncRemote, get_node_error, get_task_interface, get_workflow
from .tree_state import ExecState, NodeState, Scope, cache_for, version_of

# is_start_or_end lives in node_rules; it stays importable from here because this module's __all__ has always
# offered it (public API). The rest of node_rules is imported where it is used.
__all__ = ["TreeSync", "is_start_or_end", "rpc_error_summary", "sync_execution", "tree_for"]

log = logging.getLogger(__name__)


#: The column re-listings filter on. FlyteAdmin returns a node's ``closure.updated_at`` from the event's
#: ``reported_at`` (propeller's clock) and stores the same value in ``node_execution_updated_at``; its ``updated_at``
#: column is the row's write time on the admin's clock. The watermark comes from ``closure.updated_at``, so it is
#: compared with the column that holds that very value: a clock difference between propeller and FlyteAdmin then
#: cannot hide updates (with ``updated_at``, propeller running 2 s ahead would lose every update of the next 2 s).
UPDATED_AT_COLUMN = "node_execution_updated_at"

#: Re-listings ask for nodes with ``UPDATED_AT_COLUMN >= newest seen - margin`` (``gte``, so equal timestamps are
#: included). An event stored more than this after its ``reported_at`` (a slow event RPC) can fall below the filter:
#: the periodic whole listing (:data:`FULL_LISTING_EVERY`) and the final whole listing catch it.
#:
#: The margin is needed only until the events it covers are stored. An event reported (propeller's clock) no later
#: than the watermark W was sent no later than W's own event, which FlyteAdmin had stored when a listing showed W;
#: so, reaching FlyteAdmin within the margin, it is stored at most the margin after that listing came back, whatever
#: the difference between propeller's clock and ours (both events' times are on propeller's). A listing started that
#: long after (on our monotonic clock) therefore sees every such event, and from then on, while W stays the newest,
#: the level is re-listed from W itself: after a big fan-out finished, a quiet level of 10,000 nodes no longer
#: returns every node that ended within the margin of the last one at every refresh.
WATERMARK_MARGIN = _dt.timedelta(seconds=5)

#: Every this many filtered listings of one level, one whole listing (one call more, a bigger page).
FULL_LISTING_EVERY = 10

#: Attempt listings per refresh for running nodes that did not change (changed nodes are always listed).
ATTEMPTS_BUDGET = 50

#: Failed nodes per execution whose whole error message is fetched (one ``GetNodeExecution`` each).
FULL_ERRORS = 50

#: A publishing refresh (a watch's) shows its rows before the nodes' own calls (attempts, whole errors) when this
#: many nodes wait for their first attempt listing (its first refresh does whenever any wait): fewer cost less
#: than the extra publication saves.
EARLY_PAINT_NEW_NODES = 16

#: Largest valid ``Timestamp.nanos`` (the listing handler's inlined range check).
_MAX_NANOS = 999_999_999


# --------------------------------------------------------------------------------------------------------------
# The refresh: rounds of concurrent jobs
# --------------------------------------------------------------------------------------------------------------


class TreeSync:
    """Keeps one execution's tree in sync; :meth:`refresh` fetches only what can still change.

    Thread-safe: refreshes are serialised (the RPCs of one refresh run concurrently on ``remote.executor``).
    """

    def __init__(self, remote: SyncRemote, execution: FlyteWorkflowExecution) -> None:
        self.remote = remote
        self.execution = execution
        self._cache = cache_for(remote)
        #: Held by each refresh; the scheduler holds it across refresh + model update, so a concurrent
        #: ``execution.sync()`` cannot change the wrappers while the model reads them.
        self.lock = threading.RLock()
        self._dirty = True  # something changed since the tree version was last bumped
        self._refresh_no = 0
        proto = execution.to_flyte_idl()
        self._root = ExecState(wf_id=proto.id, wrapper=execution, proto=proto if proto.HasField("closure") else None)
        self._root.fetched_in = -1
        self._execs: dict[tuple[str, str, str], ExecState] = {self._exec_key(proto.id): self._root}
        #: Calls the last refresh issued (a listing of several pages counts once); the sandbox counts exactly.
        self.last_rpc_count = 0
        #: Attempt listings per refresh for running nodes that did not change (see the module docstring).
        self.attempts_budget = ATTEMPTS_BUDGET
        self._budget_left = 0
        #: Nodes whose whole error is (being) fetched: at most FULL_ERRORS, in the order they were seen failed.
        self._full_error_nodes: set[tuple[str, str, str, str]] = set()
        #: The server's updated_at filter proved broken on this execution: every level is listed whole from then on.
        self.whole_listings = False
        #: Nodes whose attempts a view asked for (:meth:`prioritize`), by (project, domain, name, node id).
        self._priorities = Priorities()
        #: A publishing refresh has shown rows before their attempts once (the first one always does).
        self._painted = False
        #: Planning only the calls rows come from (a publishing refresh's first phase).
        self._rows_only = False
        #: Nodes the refresh under way saw for the first time.
        self._new_nodes = 0
        #: Bumped when an execution's message first names its workflow (see :meth:`_knowledge`).
        self._generation = 0
        #: Monotonic seconds, for when a listing's watermark is covered (:data:`WATERMARK_MARGIN`); tests set it.
        self.clock: Callable[[], float] = time.monotonic

    @staticmethod
    def _exec_key(wf_id: identifier_pb2.WorkflowExecutionIdentifier) -> tuple[str, str, str]:
        return (wf_id.project, wf_id.domain, wf_id.name)

    # ---- public ----------------------------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """True once the execution is terminal and every part of its tree is final: nothing left to fetch."""
        with self.lock:
            return self._refresh_no > 0 and not self._plan(True, self._refresh_no + 1)

    def refresh(
        self,
        sync_nodes: bool = True,
        *,
        publish: Callable[[], None] | None = None,
        stopped: Callable[[], bool] | None = None,
    ) -> FlyteWorkflowExecution:
        """Bring the wrappers up to date with FlyteAdmin and return the root execution wrapper (the whole tree:
        every node with its attempts).

        ``publish`` (a watch's model update) makes it a publishing refresh: the node listings come first, then
        ``publish()`` shows those rows (nodes whose attempts are not listed yet have ``_fx_attempts_pending``)
        before the nodes' own calls (attempts, whole errors) start; ``publish()`` is called again every
        :data:`~flyteexec_widget.live.attempt_stream.PROGRESS_PUBLISH_S` while they do, and as soon as a
        prioritized node's answer came. It is called on this thread with the tree's lock held; the caller publishes
        the finished tree itself.

        ``stopped`` (with ``publish``): once it says True (the watch was stopped: its widget closed), no further
        attempt listing starts and the refresh returns with the rest still pending; the next refresh lists them.

        Raises the first :class:`~flyteexec_widget.admin.errors.RpcFailure` of a round (after the round's other calls
        finished); what earlier rounds learnt is kept, so the next refresh resumes from there.
        """
        with self.lock:
            return self._refresh(sync_nodes, publish, stopped)

    def execution_moved(self) -> bool:
        """Whether the execution itself moved (its phase or update time: a workflow event) since a refresh last saw
        it: one ``GetExecution`` of the root, without the tree's lock and without touching the wrappers (the
        refresh that follows reads it again). The scheduler's cheap end check between the refreshes of a watch a
        blocked ``wait()`` depends on. Raises what the call raises."""
        seen = self._root.proto
        now = self.remote.get_execution(self._root.wf_id)
        if seen is None:
            return True
        return version_of(now.closure.updated_at, now.closure.phase) != version_of(
            seen.closure.updated_at, seen.closure.phase
        )

    def prioritize(self, nodes: Iterable[FlyteNodeExecution]) -> int:
        """Have these nodes' attempts listed before the others still waiting (a row the user opened): in the
        refresh under way, else in the next one. Thread-safe and without waiting for the tree's lock; returns how
        many of them are still waiting for their attempts."""
        keys = []
        for w in nodes:
            if not getattr(w, "_fx_attempts_pending", False):
                continue
            ident = w.to_flyte_idl().id
            ex = ident.execution_id
            keys.append((ex.project, ex.domain, ex.name, ident.node_id))
        if keys:
            self._priorities.add(keys)
        return len(keys)

    def _refresh(
        self,
        sync_nodes: bool,
        publish: Callable[[], None] | None = None,
        stopped: Callable[[], bool] | None = None,
    ) -> FlyteWorkflowExecution:
        self._refresh_no += 1
        self.last_rpc_count = 0
        self._budget_left = self.attempts_budget
        done: set[tuple[Any, ...]] = set()
        self._new_nodes = 0
        if publish is not None and sync_nodes:
            # One pause from the listings' wrappers to the paint's rows (see gcpause): a collector turned back on
            # between them would scan every wrapper just made, before the rows show.
            with gcpause.paused():
                self._list_levels(sync_nodes, done)
                if self._worth_painting():
                    # before planning the nodes' own calls (that takes time per node) and before any of them
                    self._painted = True
                    self._paint(sync_nodes, publish)
        while True:
            jobs = self._within_budget([j for j in self._plan(sync_nodes, self._refresh_no) if j.key not in done])
            if not jobs:
                break
            done.update(j.key for j in jobs)
            if publish is None:
                self._run_round(jobs)
                continue
            self._stream(jobs, sync_nodes, publish, stopped)
        if done or self._dirty:  # a finished tree with nothing fetched needs no rewiring
            self._wire(sync_nodes)
        for st in self._execs.values():
            st.terminal_before = st.terminal
        if self._dirty:  # the model rebuilds rows only when the tree version moved
            self._dirty = False
            self.execution._fx_tree_version += 1
        self._priorities.clear()  # every node's attempts are listed now
        return self.execution

    def _list_levels(self, sync_nodes: bool, done: set[tuple[Any, ...]]) -> None:
        """A publishing refresh's first phase: rows come from the listings alone, so every level is listed first
        (planning nothing else, which costs time per node), the nodes' own calls after."""
        while True:
            self._rows_only = True
            try:
                rows_jobs = [j for j in self._plan(sync_nodes, self._refresh_no) if j.key not in done]
            finally:
                self._rows_only = False
            if not rows_jobs:
                return
            done.update(j.key for j in rows_jobs)
            self._run_round(rows_jobs)

    def _run_round(self, jobs: Sequence[Job]) -> None:
        results = self._run(jobs)
        for job, result in zip(jobs, results, strict=True):
            job.handle(result)

    def _worth_painting(self) -> bool:
        """Whether to publish the rows before the nodes' own calls: in the first publishing refresh (when any node
        waits for its attempts), and when this refresh found many new nodes (a big fan-out started: counted, not
        walked, so a steady refresh of 10,000 nodes pays nothing for the question)."""
        if self._painted:
            return self._new_nodes >= EARLY_PAINT_NEW_NODES
        return any(
            node.tasks_for is None and may_have_tasks(self._cache, node)
            for st in self._execs.values()
            for node in self._all_nodes(st.top)
        )

    def _all_nodes(self, scope: Scope) -> Iterable[NodeState]:
        for node in scope.nodes.values():
            yield node
            if node.children is not None:
                yield from self._all_nodes(node.children)

    def _paint(self, sync_nodes: bool, publish: Callable[[], None]) -> None:
        """Wire what is known into the wrappers and have the caller publish it."""
        with gcpause.paused():  # a first paint allocates every row at once (see gcpause)
            self._wire(sync_nodes)
            if self._dirty:
                self._dirty = False
                self.execution._fx_tree_version += 1
            try:
                publish()
            except Exception:  # the view's trouble must not fail the sync: the final publication comes anyway
                log.exception("publishing the rows of %s early failed", self._root.wf_id.name)

    def _stream(
        self,
        jobs: Sequence[Job],
        sync_nodes: bool,
        publish: Callable[[], None],
        stopped: Callable[[], bool] | None,
    ) -> None:
        """The nodes' own calls of a publishing refresh, on worker loops (:func:`attempt_stream.stream`)."""
        workers = getattr(self.remote, "max_workers", None)

        def on_call() -> None:
            self.last_rpc_count += 1

        stream(
            jobs,
            executor=self.remote.executor,
            workers=workers if isinstance(workers, int) and workers > 0 else 16,
            priorities=self._priorities,
            paint=partial(self._paint, sync_nodes, publish),
            stopped=stopped,
            on_call=on_call,
        )

    def _node_key(self, node: NodeState) -> tuple[str, str, str, str]:
        return (*node.scope.exec_state.key, node.proto.id.node_id)

    def _bump(self, wrapper: FlyteNodeExecution) -> None:
        """Mark a node wrapper as changed: its row is rebuilt (rows are cached per ``_fx_version``), and so is the
        tree's (the whole tree's rows are reused while the root's ``_fx_tree_version`` stays)."""
        wrapper._fx_version += 1
        self._dirty = True

    def _bump_attempts(self, wrapper: FlyteNodeExecution) -> None:
        """:meth:`_bump` for a change of the node's attempts alone (listed, or no longer pending): the row fields its
        own message decides, kept on the wrapper (``_fx_own_fields``), stay valid for the new version."""
        kept = wrapper._fx_own_fields
        self._bump(wrapper)
        if kept is not None and kept[2] == wrapper._fx_version - 1:
            wrapper._fx_own_fields = (kept[0], kept[1], wrapper._fx_version, kept[3])

    def _within_budget(self, jobs: list[Job]) -> list[Job]:
        """Every needed job, and as many optional ones as the refresh's budget has left (least recently run first).

        Optional jobs left out are planned again in the next round and dropped again once the budget is spent.
        """
        optional = sorted((j for j in jobs if j.optional_rank is not None), key=lambda j: j.optional_rank or 0)
        keep = {id(j) for j in optional[: max(0, self._budget_left)]}
        self._budget_left -= len(keep)
        return [j for j in jobs if j.optional_rank is None or id(j) in keep]

    # ---- planning ----------------------------------------------------------------------------------------------

    def _plan(self, sync_nodes: bool, refresh_no: int) -> list[Job]:
        """Every job the current state calls for in refresh ``refresh_no`` (the caller drops those already run)."""
        jobs: list[Job] = []
        for st in list(self._execs.values()) if sync_nodes else [self._root]:
            jobs.extend(self._plan_exec(st, sync_nodes, refresh_no))
        return jobs

    def _plan_exec(self, st: ExecState, sync_nodes: bool, refresh_no: int) -> list[Job]:
        jobs: list[Job] = []
        ekey = self._exec_key(st.wf_id)
        if not st.terminal_before and st.fetched_in != refresh_no:
            jobs.append(Job(("exec", *ekey), partial(self.remote.get_execution, st.wf_id), self._on_exec(st)))
        if st.proto is not None and st.proto.closure.HasField("workflow_id"):
            ident = st.proto.closure.workflow_id
            wf_key = id_key(ident)
            if wf_key not in self._cache.workflows:
                jobs.append(Job(("wf", *wf_key), partial(get_workflow, self.remote, ident), self._on_workflow(wf_key)))
        elif (
            not self._rows_only
            and st.proto is not None
            and st.proto.spec.launch_plan.resource_type == identifier_pb2.TASK
        ):
            # A single-task execution from an admin that names no workflow: the task gives the interface.
            task_id = st.proto.spec.launch_plan
            task_key = id_key(task_id)
            if task_key not in self._cache.task_interfaces:
                jobs.append(
                    Job(("task", *task_key), partial(get_task_interface, self.remote, task_id), self._on_task(task_key))
                )
        if sync_nodes:
            jobs.extend(self._plan_scope(st.top, st.version, st.terminal, refresh_no))
        return jobs

    def _plan_scope(
        self, scope: Scope, owner_version: tuple[int, ...] | None, owner_terminal: bool, refresh_no: int
    ) -> list[Job]:
        jobs: list[Job] = []
        # Listed while the owner runs (once per refresh), and once more, whole, after the owner was seen terminal:
        # whatever a filtered listing may have missed, the final tree is exactly what FlyteAdmin holds.
        if (scope.listed_for != owner_version) if owner_terminal else (scope.listed_in != refresh_no):
            filtered = (
                not owner_terminal
                and scope.watermark is not None
                and not self._cache.filters_unsupported
                and not self.whole_listings
                and scope.filtered_listings < FULL_LISTING_EVERY - 1
            )
            # ``filtered`` in the key: a filtered listing found broken is followed by a whole one in the same refresh
            key = (
                "list",
                *scope.exec_state.key,
                scope.parent_id,
                owner_version,
                refresh_no,
                filtered,
            )
            started: list[float] = []  # when the listing's call started (our clock), for its handler
            jobs.append(
                Job(
                    key,
                    self._lister(scope, filtered, started),
                    self._on_list(scope, owner_version, refresh_no, filtered, started),
                )
            )
            # The nodes' own calls wait for the listing: then each node is seen in its newest state, and a node
            # that just finished has its attempts listed once (final), not once as running and again as done.
            return jobs
        if self._rows_only and scope.plain:
            return jobs  # every node a leaf (see Scope.plain): a wide level's 1,000 nodes not asked one by one
        self._refill(scope)
        settled: list[str] = []
        for node_id, node in scope.active.items():
            node_jobs = self._plan_node(node, refresh_no)
            if node_jobs:
                jobs.extend(node_jobs)
            elif not self._rows_only and is_settled(node):
                settled.append(node_id)
        for node_id in settled:
            del scope.active[node_id]
        return jobs

    def _knowledge(self) -> tuple[int, int]:
        """What planning and wiring read beyond a node's own state (compiled workflows, task interfaces, which
        workflow an execution runs); when it moves, every node is planned and wired again once."""
        return (self._cache.generation, self._generation)

    def _refill(self, scope: Scope) -> None:
        """Every node of the scope active and unwired again if what they were settled against may have changed."""
        known = self._knowledge()
        if scope.known != known:
            scope.known = known
            scope.active = dict(scope.nodes)
            scope.unwired = dict(scope.nodes)

    def _touch(self, node: NodeState) -> None:
        """The node changed (a listing, its attempts, its whole error): plan and wire it again."""
        node_id = node.proto.id.node_id
        node.scope.active[node_id] = node
        node.scope.unwired[node_id] = node

    def _plan_node(self, node: NodeState, refresh_no: int) -> list[Job]:
        if self._rows_only and nothing_below(node):
            return []  # most nodes of a wide tree: listing the levels, nothing below them to list
        jobs: list[Job] = []
        version: tuple[int, ...] = node.version
        terminal = node.terminal
        if not terminal and node.scope.exec_state.terminal:
            # A node left running in a finished execution (FlyteAdmin keeps e.g. nodes of an aborted run RUNNING
            # when no event came): fetched once more, then as final as a finished node. Without this the tree
            # would never be complete and every later sync() would ask for it again.
            version, terminal = (*version, 1), True
        # Attempts: once after updated_at/phase moved (needed); for a running node that did not change also every
        # refresh while the budget lasts (optional: its task's events do not touch the node).
        changed = node.tasks_for != version
        if self._rows_only:
            pass  # a publishing refresh lists the levels first: the node's own calls come after
        elif may_have_tasks(self._cache, node) and (changed or (not terminal and node.tasks_in != refresh_no)):
            key = ("tasks", *node.scope.exec_state.key, node.proto.id.node_id, version, refresh_no)
            call = partial(self.remote.list_task_executions, node.proto.id)
            # An array node's progress (its subtasks) lives only in its task's events: never left for later; nor is
            # a dynamic task's success, after which its children are listed (see node_rules.may_become_parent).
            needed = changed or node.proto.metadata.is_array or (not terminal and may_become_parent(self._cache, node))
            jobs.append(
                Job(key, call, self._on_tasks(node, version), None if needed else node.tasks_in, self._node_key(node))
            )
        if not self._rows_only and node.tasks and node.template is None and template_for(self._cache, node) is None:
            # No template (a node inside a dynamic one): the interface comes from its task, fetched once per id.
            task_id = node.tasks[-1].id.task_id
            task_key = id_key(task_id)
            compiled = compiled_of(self._cache, node.scope.exec_state)
            known = compiled is not None and task_key in compiled.task_interfaces
            if not known and task_key not in self._cache.task_interfaces:
                get_iface = partial(get_task_interface, self.remote, task_id)
                jobs.append(Job(("task", *task_key), get_iface, self._on_task(task_key)))
        if not self._rows_only:
            jobs.extend(self._plan_full_error(node, terminal))
        if may_have_children(node):
            if node.children is None:
                node.children = Scope(node.scope.exec_state, node.proto.id.node_id, parent=node)
                node.scope.parents[node.proto.id.node_id] = node
            jobs.extend(self._plan_scope(node.children, version, terminal, refresh_no))
        # the flag before the message: reading an unset sub-message builds an empty one, for every node of a plan
        closure = node.proto.closure
        if node.child_exec is None and closure.HasField("workflow_node_metadata"):
            child_id = closure.workflow_node_metadata.executionId
            if not child_id.name:
                return jobs
            key3 = self._exec_key(child_id)
            child = self._execs.get(key3)
            if child is None:
                wrapper = FlyteWorkflowExecution(admin_execution_pb2.Execution(id=child_id), remote=self.remote)
                child = self._execs[key3] = ExecState(wf_id=child_id, wrapper=wrapper, proto=None)
            node.child_exec = child
            self._touch(node)
            # _plan() walks every known execution: the child's own jobs are planned there (next round).
        return jobs

    def _plan_full_error(self, node: NodeState, terminal: bool) -> list[Job]:
        """GetNodeExecution once for a finished node whose listed error may be cut (the first FULL_ERRORS)."""
        # cheapest checks first: every finished node of a plan passes through here
        if not terminal or node.full_error is not None or not style("node", node.proto.closure.phase).failed:
            return []
        if not error_maybe_trimmed(node.proto):
            return []
        key = (*node.scope.exec_state.key, node.proto.id.node_id)
        if key not in self._full_error_nodes:
            if len(self._full_error_nodes) >= FULL_ERRORS:
                return []
            self._full_error_nodes.add(key)
        call = partial(get_node_error, self.remote, node.proto.id)
        return [Job(("error", *key), call, self._on_full_error(node), node_key=self._node_key(node))]

    # ---- calls ---------------------------------------------------------------------------------------------------

    def _lister(
        self, scope: Scope, filtered: bool, started: list[float]
    ) -> Callable[[], list[node_execution_pb2.NodeExecution]]:
        wf_id, parent = scope.exec_state.wf_id, scope.parent_id
        filters = ""
        if filtered and scope.watermark is not None:
            since = scope.watermark.ToDatetime(tzinfo=_dt.timezone.utc)
            if not scope.mark_covered:
                since -= WATERMARK_MARGIN
            filters = f"gte({UPDATED_AT_COLUMN}," + since.strftime("%Y-%m-%dT%H:%M:%S.%fZ") + ")"

        def call() -> list[node_execution_pb2.NodeExecution]:
            started.append(self.clock())
            if filters:
                try:
                    return self.remote.list_node_executions(wf_id, unique_parent_id=parent, filters=filters)
                except RpcFailure as exc:
                    # A server that cannot filter on updated_at (INVALID_ARGUMENT, or a database error): list
                    # whole levels from now on. Transient and permanent failures are the caller's business, and so
                    # is a server failing whatever it is asked (the whole listing below fails too): an outage must
                    # not switch filtering off for good.
                    if exc.transient or exc.permanent:
                        raise
                    nodes = self.remote.list_node_executions(wf_id, unique_parent_id=parent)
                    log.info("FlyteAdmin rejected an updated_at filter (%s); listing whole levels from now on", exc)
                    self._cache.filters_unsupported = True
                    return nodes
            return self.remote.list_node_executions(wf_id, unique_parent_id=parent)

        return call

    def _run(self, jobs: Sequence[Job]) -> list[Any]:
        """Run the jobs concurrently on the remote's executor; raise the first failure after all finished."""
        self.last_rpc_count += len(jobs)
        if len(jobs) == 1:
            return [jobs[0].call()]
        executor = self.remote.executor
        futures: list[Future[Any]] = [executor.submit(j.call) for j in jobs]
        results: list[Any] = []
        first_error: BaseException | None = None
        for fut in futures:
            try:
                results.append(fut.result())
            except BaseException as exc:  # re-raised below, after the other calls finished
                results.append(None)
                if first_error is None:
                    first_error = exc
        if first_error is not None:
            raise first_error
        return results

    # ---- handlers --------------------------------------------------------------------------------------------------

    def _on_exec(self, st: ExecState) -> Callable[[admin_execution_pb2.Execution], None]:
        def handle(proto: admin_execution_pb2.Execution) -> None:
            if proto != st.proto:
                self._dirty = True
                if st.proto is None or st.proto.closure.workflow_id != proto.closure.workflow_id:
                    self._generation += 1  # its workflow (templates, kinds) may be known now: look at every node again
            st.proto = proto
            st.fetched_in = self._refresh_no
            st.wrapper._update(proto)

        return handle

    def _on_task(self, key: tuple[int, str, str, str, str]) -> Callable[[interface_pb2.TypedInterface | None], None]:
        def handle(iface: interface_pb2.TypedInterface | None) -> None:
            with self._cache.lock:
                self._cache.task_interfaces[key] = iface
                self._cache.generation += 1

        return handle

    def _on_workflow(self, key: tuple[int, str, str, str, str]) -> Callable[[Compiled | None], None]:
        def handle(compiled: Compiled | None) -> None:
            with self._cache.lock:
                self._cache.workflows[key] = compiled
                self._cache.generation += 1

        return handle

    def _on_list(
        self,
        scope: Scope,
        owner_version: tuple[int, ...] | None,
        refresh_no: int,
        filtered: bool,
        started: list[float],
    ) -> Callable[[list[node_execution_pb2.NodeExecution]], None]:
        def handle(protos: list[node_execution_pb2.NodeExecution]) -> None:
            if filtered and self._filter_missed(scope, protos):
                return  # planned again, whole, in this refresh
            scope.listed_for = owner_version
            scope.listed_in = refresh_no
            scope.filtered_listings = scope.filtered_listings + 1 if filtered else 0
            # The newest update time, as a tuple while looping: a Timestamp message per newer node (most of a
            # listing sorted by creation) cost more than the rest of this loop.
            mark = scope.watermark
            newest = (mark.seconds, mark.nanos) if mark is not None else None
            # Every message's fields are read once here, and the scope's in locals (a first paint takes 1,000 nodes
            # in at once): what is_start_or_end() and is_valid_timestamp() read, inlined.
            nodes, plain, remote, added = scope.nodes, scope.plain, self.remote, 0
            for proto in protos:
                closure = proto.closure
                ts = closure.updated_at
                seen = (ts.seconds, ts.nanos)
                # A time out of range cannot be written as a filter: as the watermark it would fail every sync.
                if (newest is None or seen > newest) and (
                    MIN_TIMESTAMP_SECONDS <= seen[0] <= MAX_TIMESTAMP_SECONDS and 0 <= seen[1] <= _MAX_NANOS
                ):
                    newest = seen
                node_id = proto.id.node_id
                meta = proto.metadata
                spec_id = meta.spec_node_id or node_id
                if spec_id in START_OR_END or node_id.endswith(START_OR_END_SUFFIXES):
                    continue  # (is_start_or_end)
                if plain and (meta.is_parent_node or meta.is_dynamic or closure.HasField("workflow_node_metadata")):
                    plain = False  # may have children, or a child execution
                node = nodes.get(node_id)
                if node is None:
                    wrapper = FlyteNodeExecution(proto, remote=remote)
                    wrapper._fx_version += 1  # versioned from the start, so the model can cache its row (_bump)
                    added += 1
                    node = nodes[node_id] = NodeState(proto, wrapper, scope, spec_id)
                    if scope.known is not None:  # else every node is taken in at the scope's first look
                        self._touch(node)
                    continue
                if node.full_error is not None:
                    proto = with_full_error(proto, node.full_error)
                if node.proto != proto:
                    if node.children is not None and node.proto.metadata != proto.metadata:
                        node.children.known = None  # its children's kinds read its metadata (is_array)
                    node.proto = proto
                    node.wrapper._update(proto)
                    self._bump(node.wrapper)
                    self._touch(node)
            scope.plain = plain
            if added:
                self._new_nodes += added
                self._dirty = True  # (what _bump says for each)
            if newest is not None and (mark is None or newest > (mark.seconds, mark.nanos)):
                scope.watermark = timestamp_pb2.Timestamp(seconds=newest[0], nanos=newest[1])
                # a newer event: stored by now, its margin runs from here
                scope.mark_seen_at, scope.mark_covered = self.clock(), False
            elif (
                scope.mark_seen_at is not None
                and started
                and started[0] - scope.mark_seen_at >= WATERMARK_MARGIN.total_seconds()
            ):
                scope.mark_covered = True

        return handle

    def _on_full_error(self, node: NodeState) -> Callable[[core_execution_pb2.ExecutionError | None], None]:
        def handle(error: core_execution_pb2.ExecutionError | None) -> None:
            # An empty error marks it as asked (not fetched again); the listed message then stays.
            node.full_error = error if error is not None else core_execution_pb2.ExecutionError()
            if error is None:
                return
            proto = with_full_error(node.proto, error)
            if proto is not node.proto:
                node.proto = proto
                node.wrapper._update(proto)
                self._bump(node.wrapper)
                self._touch(node)

        return handle

    def _filter_missed(self, scope: Scope, protos: list[node_execution_pb2.NodeExecution]) -> bool:
        """Whether a filtered listing lacks the node that set the scope's watermark (its update time is at least the
        watermark, and update times never go back): then the server's filter is broken, e.g. a SQLite-backed
        FlyteAdmin compares the stored text ``2006-01-02 15:04:05`` with our RFC 3339 ``T`` value and can match
        nothing (flyteadmin passes the value to SQL as text: ``util/filters.go`` knows no snake_case time field).
        The tree is listed whole from then on; logged once."""
        mark = scope.watermark
        if mark is None:
            return False
        for proto in protos:
            ts = proto.closure.updated_at
            if (ts.seconds, ts.nanos) >= (mark.seconds, mark.nanos):
                return False
        if not self.whole_listings:
            self.whole_listings = True
            # INFO, not WARNING: this runs on the sync thread, where a WARNING prints into whatever cell runs.
            log.info(
                "execution %s: the filtered listing missed the newest node (e.g. a SQLite-backed FlyteAdmin compares "
                "timestamps as text): listing this execution whole from now on",
                scope.exec_state.wf_id.name,
            )
        return True

    def _on_tasks(
        self, node: NodeState, version: tuple[int, ...]
    ) -> Callable[[list[task_execution_pb2.TaskExecution]], None]:
        def handle(protos: list[task_execution_pb2.TaskExecution]) -> None:
            first = node.tasks_for is None
            node.tasks_for = version
            node.tasks_in = self._refresh_no
            protos = sorted(protos, key=lambda t: t.id.retry_attempt)
            if first:
                self._touch(node)  # no longer pending
            if protos == node.tasks:
                return
            self._touch(node)
            if node.proto.metadata.is_array:
                observe_subtasks(node, protos, first)
            node.tasks = protos
            if protos:
                node.scope.plain = False  # a running node whose attempt succeeded may have children
            for proto in protos:
                attempt = proto.id.retry_attempt
                tw = node.task_wrappers.get(attempt)
                if tw is None:
                    node.task_wrappers[attempt] = FlyteTaskExecution(proto, remote=self.remote)
                else:
                    tw._update(proto)
            self._bump_attempts(node.wrapper)

        return handle

    # ---- templates and wiring ----------------------------------------------------------------------------------

    def _wire(self, sync_nodes: bool) -> None:
        """Point the wrappers at each other the way flytekit does, and attach what rows are built from."""
        if not sync_nodes:
            return
        for st in self._execs.values():
            compiled = compiled_of(self._cache, st)
            if compiled is not None and st.wrapper._flyte_workflow is None:
                # What flytekit's sync sets too; the wrapper types workflow outputs with its interface.
                st.wrapper._flyte_workflow = compiled.raw
            if compiled is not None and st.planned is None:
                st.planned = () if all_started(self._cache, st) else planned_nodes(compiled.primary, compiled, "")
            if st.wrapper._fx_planned is not st.planned:
                st.wrapper._fx_planned = st.planned
                self._dirty = True
            st.wrapper._node_executions = self._wire_scope(st.top)

    def _wire_scope(self, scope: Scope) -> dict[str, FlyteNodeExecution]:
        """Wire the scope's new and changed nodes (and every parent, for its children); returns its wrappers by id,
        the same dict as last time while no node was added (an unchanged level of 10,000 nodes costs nothing)."""
        self._refill(scope)
        if scope.wired is None or len(scope.wired) != len(scope.nodes):
            scope.wired = {node_id: node.wrapper for node_id, node in scope.nodes.items()}
        todo = scope.unwired
        scope.unwired = {}
        if len(todo) == len(scope.nodes):  # every node (a first paint)
            visit: Iterable[NodeState] = scope.nodes.values()
        elif len(todo) * 4 > len(scope.nodes):
            visit = [n for node_id, n in scope.nodes.items() if node_id in todo or n.children is not None]
        else:  # new and changed nodes, then the parents (their order in the scope does not matter here)
            visit = [*todo.values(), *(n for node_id, n in scope.parents.items() if node_id not in todo)]
        for node in visit:
            w = node.wrapper
            info, iface = node_info(self._cache, node)
            old = w._template_info
            if old is not info and (old is None or old != info):  # (a dataclass == has no identity check)
                w._template_info = info
                self._bump(w)
            w._task_executions = [node.task_wrappers[t.id.retry_attempt] for t in node.tasks] if node.tasks else []
            pending = node.tasks_for is None and may_have_tasks(self._cache, node)
            if w._fx_attempts_pending != pending:
                w._fx_attempts_pending = pending
                self._bump_attempts(w)
            if node.subtask_times:
                w._fx_subtask_times = node.subtask_times
            if node.children is not None:
                w._subworkflow_node_executions = self._wire_scope(node.children)
            if node.child_exec is not None:
                w._workflow_executions = [node.child_exec.wrapper]
            if iface is not None:
                w._interface = iface
            if node.planned is None and not node.no_planned:
                if node.task_info is not None and node.task_info[0] is node.template:
                    node.no_planned = True  # a task node's template (most nodes) never plans children
                else:
                    node.planned = planned_children(self._cache, node)
                    # nor does any template but a workflow node's: not asked again every wiring
                    node.no_planned = node.planned is None and plans_nothing(node)
            if w._fx_planned is not node.planned:
                w._fx_planned = node.planned
                self._bump(w)
        return scope.wired


def sync_execution(
    remote: SyncRemote, execution: FlyteWorkflowExecution, sync_nodes: bool = True
) -> FlyteWorkflowExecution:
    """Sync ``execution`` (in place) with FlyteAdmin and return it, with its whole node tree if ``sync_nodes``.

    Like flytekit's ``FlyteRemote.sync_execution``, but concurrent, and without fetching inputs/outputs (the
    wrappers fetch them on first access). A :class:`TreeSync` kept on the execution makes repeated syncs
    incremental.
    """
    return tree_for(remote, execution).refresh(sync_nodes=sync_nodes)


_TREE_FOR_LOCK = threading.Lock()


def tree_for(remote: SyncRemote, execution: FlyteWorkflowExecution) -> TreeSync:
    """The :class:`TreeSync` of this execution object (kept on it as ``_tree_sync``), created on first use.

    Sharing it means ``execution.sync()``, ``wait()`` and a widget's watch of the same object refresh one tree,
    one at a time, each incrementally, instead of fighting over the wrappers.
    """
    with _TREE_FOR_LOCK:
        tree = execution._tree_sync
        if not isinstance(tree, TreeSync) or tree.remote is not remote:
            tree = TreeSync(remote, execution)
            execution._tree_sync = tree
        return tree


def rpc_error_summary(exc: BaseException) -> str:
    """One line for the model's sync status."""
    if isinstance(exc, RpcFailure):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
