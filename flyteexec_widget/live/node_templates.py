"""What a node's compiled workflow template says about it: the template node behind each node execution, its kind,
display name and interface (:class:`~flyteexec_widget.objects.templates.TemplateInfo`), and the planned nodes of
an execution or a subworkflow node.

Functions of the state (:mod:`~flyteexec_widget.live.tree_state`) and the per-remote entity cache alone: no RPCs
and nothing of a refresh in progress. They memoise on the state (a scope's template index, a node's template and
task info) because wiring asks them of every node, every paint.
"""

from __future__ import annotations

import re

from flyteidl.core import identifier_pb2, interface_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from ..objects.templates import PlannedNode, TemplateInfo, node_kind, shared_info, unknown_kind
from .compiled import (
    END_NODE_ID,
    START_NODE_ID,
    Compiled,
    branch_nodes,
    id_key,
    list_interface,
    planned_nodes,
    short_name,
    template_nodes,
)
from .tree_state import EntityCache, ExecState, NodeState, Scope

#: Array subtasks with event version 1 have the spec node id "n<index>" (propeller's array handler names its sub
#: node so); their unique id is "<array>-<attempt>-n<index>", hashed past 20 characters, so the id is only a fallback
#: (for events that carry no spec node id).
_SUBTASK_SPEC_ID = re.compile(r"^n(\d+)$")
_SUBTASK_ID = re.compile(r"-n(\d+)$")

#: The template ids of a workflow's start and end nodes (never shown, never planned).
START_OR_END = (START_NODE_ID, END_NODE_ID)


def compiled_of(cache: EntityCache, st: ExecState) -> Compiled | None:
    if st.compiled is not None:
        return st.compiled
    if st.proto is None or not st.proto.closure.HasField("workflow_id"):
        return None
    st.compiled = cache.workflows.get(id_key(st.proto.closure.workflow_id))
    return st.compiled


def scope_templates(cache: EntityCache, scope: Scope) -> dict[str, core_workflow_pb2.Node] | None:
    """Template nodes of a scope, by id (cached on the scope); None when unknown (inside a dynamic node, or no
    workflow yet)."""
    if scope.templates is None:
        scope.templates = _build_scope_templates(cache, scope)
    return scope.templates


def _build_scope_templates(cache: EntityCache, scope: Scope) -> dict[str, core_workflow_pb2.Node] | None:
    compiled = compiled_of(cache, scope.exec_state)
    if compiled is None:
        return None
    if scope.parent is None:
        if compiled.primary_nodes is None:  # (a compiled workflow a test put in the cache)
            compiled.primary_nodes = template_nodes(compiled.primary)
        return compiled.primary_nodes  # read only, as every scope's index: shared by executions of one workflow
    tmpl = template_for(cache, scope.parent)
    if tmpl is None:
        return None
    if tmpl.HasField("workflow_node") and tmpl.workflow_node.HasField("sub_workflow_ref"):
        sub = compiled.sub_workflows.get(id_key(tmpl.workflow_node.sub_workflow_ref))
        return template_nodes(sub) if sub is not None else None
    if tmpl.HasField("branch_node"):
        return branch_nodes(tmpl.branch_node)
    if tmpl.HasField("array_node"):
        return {"*": tmpl.array_node.node}
    return None  # dynamic: the generated workflow is not fetched (it would cost a data call per node)


def template_for(cache: EntityCache, node: NodeState) -> core_workflow_pb2.Node | None:
    if node.template is not None:
        return node.template
    templates = scope_templates(cache, node.scope)
    if templates is None:
        return None
    spec = node.spec_id
    node.template = templates.get(spec) or templates.get(node.proto.id.node_id) or templates.get("*")
    return node.template


def node_info(cache: EntityCache, node: NodeState) -> tuple[TemplateInfo, interface_pb2.TypedInterface | None]:
    proto, meta = node.proto, node.proto.metadata
    tmpl = template_for(cache, node)
    compiled = compiled_of(cache, node.scope.exec_state)
    parent = node.scope.parent
    if (parent is None or not parent.proto.metadata.is_array) and tmpl is not None and tmpl.HasField("task_node"):
        return _task_node_info(node, tmpl, compiled)  # most nodes: the rest does not apply
    spec_id = meta.spec_node_id or proto.id.node_id
    task_name = short_name(node.tasks[-1].id.task_id.name) if node.tasks else ""
    if parent is not None and parent.proto.metadata.is_array:
        m = _SUBTASK_SPEC_ID.match(meta.spec_node_id) or _SUBTASK_ID.search(proto.id.node_id)
        index = int(m.group(1)) if m else None
        name = f"{task_name or spec_id}[{index}]" if index is not None else (task_name or spec_id)
        return TemplateInfo("subtask", name, index=index), None
    exec_proto = node.scope.exec_state.proto
    if tmpl is None and node.scope.parent is None and exec_proto is not None and compiled is None:
        lp = exec_proto.spec.launch_plan
        if lp.resource_type == identifier_pb2.TASK:
            return TemplateInfo("task", short_name(lp.name) or spec_id), cache.task_interfaces.get(id_key(lp))
    if tmpl is None:
        kind = node_kind(proto)
        iface = None
        if node.tasks and kind in ("task", "dynamic", "array"):  # e.g. inside a dynamic node
            task_key = id_key(node.tasks[-1].id.task_id)
            iface = (compiled.task_interfaces.get(task_key) if compiled else None) or cache.task_interfaces.get(
                task_key
            )
            if iface is not None and kind == "array":
                iface = list_interface(iface)
        return TemplateInfo(kind, task_name or spec_id), iface
    if tmpl.HasField("workflow_node"):
        wn = tmpl.workflow_node
        if wn.HasField("launchplan_ref"):
            child_iface = None
            if node.child_exec is not None:
                child_compiled = compiled_of(cache, node.child_exec)
                child_iface = child_compiled.primary.interface if child_compiled else None
            return TemplateInfo("launch_plan", short_name(wn.launchplan_ref.name) or spec_id), child_iface
        sub = compiled.sub_workflows.get(id_key(wn.sub_workflow_ref)) if compiled else None
        return TemplateInfo("subworkflow", short_name(wn.sub_workflow_ref.name) or spec_id), (
            sub.interface if sub is not None else None
        )
    if tmpl.HasField("branch_node"):
        return TemplateInfo("branch", tmpl.metadata.name or spec_id), None
    if tmpl.HasField("gate_node"):
        return TemplateInfo("gate", tmpl.metadata.name or spec_id, tmpl.gate_node), None
    if tmpl.HasField("array_node"):
        sub_node = tmpl.array_node.node
        iface = None
        name = tmpl.metadata.name or spec_id
        if sub_node.HasField("task_node") and compiled is not None:
            ref = sub_node.task_node.reference_id
            name = short_name(ref.name) or name
            task_iface = compiled.task_interfaces.get(id_key(ref))
            iface = list_interface(task_iface) if task_iface is not None else None
        return TemplateInfo("array", name), iface
    return TemplateInfo(unknown_kind(tmpl), spec_id), None  # a node type newer than this flyteidl


def _task_node_info(
    node: NodeState, tmpl: core_workflow_pb2.Node, compiled: Compiled | None
) -> tuple[TemplateInfo, interface_pb2.TypedInterface | None]:
    """:func:`node_info` of a node whose template is a task node (not an array's subtask)."""
    # A task node with children is dynamic, flagged or not (event version 1 never flags it while it runs).
    dynamic = node.proto.metadata.is_dynamic or (node.children is not None and bool(node.children.nodes))
    kept = node.task_info
    if kept is not None and kept[0] is tmpl and kept[1] == dynamic:
        return kept[2], kept[3]  # the same template and flag: the same info (wired again every refresh)
    ref = tmpl.task_node.reference_id
    if compiled is None:
        iface = None
        name = short_name(ref.name) or node.spec_id
        info = shared_info("dynamic" if dynamic else "task", name)
    else:
        # A fan-out's nodes run one task: its info and interface are worked out once per task id and kind.
        key = (id_key(ref), dynamic)
        hit = compiled.task_node_infos.get(key)
        if hit is None:
            name = short_name(ref.name)
            iface = compiled.task_interfaces.get(key[0])
            info = shared_info("dynamic" if dynamic else "task", name or node.spec_id)
            if name:  # (else the name is the node's own)
                compiled.task_node_infos[key] = (info, iface)
        else:
            info, iface = hit
    node.task_info = (tmpl, dynamic, info, iface)
    return info, iface


def all_started(cache: EntityCache, st: ExecState) -> bool:
    """Whether every node the execution's workflow plans at its top level has a node execution: then it plans
    no row (the rows show a planned node only until a node execution with its spec id is in its scope, and a
    listed node stays), and a first paint of a wide level skips ordering and naming 1,000 template nodes only
    to find each of them started. Conservative: anything it does not recognise (a failure node) says no."""
    templates = scope_templates(cache, st.top)
    nodes = st.top.nodes
    if templates is None or len(nodes) + 3 < len(templates):  # (start, end and failure nodes are not planned)
        return False
    started = {node.spec_id for node in nodes.values()}
    return all(t in started or t in START_OR_END for t in templates)


def plans_nothing(node: NodeState) -> bool:
    """Its template is known and is not a workflow node: it never has planned children."""
    return node.template is not None and not node.template.HasField("workflow_node")


def planned_children(cache: EntityCache, node: NodeState) -> tuple[PlannedNode, ...] | None:
    """A subworkflow node's planned children (None while its template is unknown, or for any other kind)."""
    tmpl = template_for(cache, node)
    compiled = compiled_of(cache, node.scope.exec_state)
    if tmpl is None or compiled is None or not tmpl.HasField("workflow_node"):
        return None
    ref = tmpl.workflow_node.sub_workflow_ref if tmpl.workflow_node.HasField("sub_workflow_ref") else None
    sub = compiled.sub_workflows.get(id_key(ref)) if ref is not None else None
    return planned_nodes(sub, compiled, node.proto.id.node_id) if sub is not None else None
