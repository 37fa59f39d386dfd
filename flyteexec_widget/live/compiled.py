"""A workflow's compiled closure, indexed: what each template node is, and which nodes a scope plans.

Read by the sync engine (:mod:`~flyteexec_widget.live.sync`) to name and classify nodes (kind, display name, gate,
interface) and to list the planned, not yet started nodes in graph order. Pure functions of the admin ``Workflow``
message: no RPC, no state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flyteidl.admin import workflow_pb2
from flyteidl.core import identifier_pb2, interface_pb2, types_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from ..objects.templates import PlannedNode, TemplateInfo, child_node_id, shared_info, unknown_kind

#: FlyteAdmin's start and end nodes: in every template and execution, never a user's node.
START_NODE_ID = "start-node"
END_NODE_ID = "end-node"


def id_key(ident: identifier_pb2.Identifier) -> tuple[int, str, str, str, str]:
    return (ident.resource_type, ident.project, ident.domain, ident.name, ident.version)


def short_name(name: str) -> str:
    """``"my.module.t1"`` -> ``"t1"``: what a user calls a task or workflow."""
    return name.rsplit(".", 1)[-1] if name else name


@dataclass
class Compiled:
    """A workflow's compiled closure, indexed for lookups."""

    raw: workflow_pb2.Workflow
    primary: core_workflow_pb2.WorkflowTemplate
    sub_workflows: dict[tuple[int, str, str, str, str], core_workflow_pb2.WorkflowTemplate]
    task_interfaces: dict[tuple[int, str, str, str, str], interface_pb2.TypedInterface]
    task_types: dict[tuple[int, str, str, str, str], str]
    #: ``template_nodes(primary)``, when the sync made it on receipt (see ``remote_calls.get_workflow``).
    primary_nodes: dict[str, core_workflow_pb2.Node] | None = None
    #: ``(task id key, dynamic) -> (TemplateInfo, interface)`` of task nodes, filled by the sync as it names them.
    task_node_infos: dict[tuple[tuple[int, str, str, str, str], bool], tuple[TemplateInfo, Any]] = field(
        default_factory=dict
    )

    @classmethod
    def from_workflow(cls, wf: workflow_pb2.Workflow) -> Compiled:
        closure = wf.closure.compiled_workflow
        return cls(
            raw=wf,
            primary=closure.primary.template,
            sub_workflows={id_key(s.template.id): s.template for s in closure.sub_workflows},
            task_interfaces={id_key(t.template.id): t.template.interface for t in closure.tasks},
            task_types={id_key(t.template.id): t.template.type for t in closure.tasks},
        )


def template_nodes(template: core_workflow_pb2.WorkflowTemplate) -> dict[str, core_workflow_pb2.Node]:
    nodes = {n.id: n for n in template.nodes}
    if template.HasField("failure_node"):
        nodes[template.failure_node.id] = template.failure_node
    return nodes


def branch_nodes(branch: core_workflow_pb2.BranchNode) -> dict[str, core_workflow_pb2.Node]:
    if_else = branch.if_else
    nodes = [if_else.case.then_node, *(b.then_node for b in if_else.other)]
    if if_else.HasField("else_node"):
        nodes.append(if_else.else_node)
    return {n.id: n for n in nodes if n.id}


def list_interface(iface: interface_pb2.TypedInterface) -> interface_pb2.TypedInterface:
    """The interface of an array node over ``iface``: every input and output becomes a list."""
    out = interface_pb2.TypedInterface()
    for src, dst in ((iface.inputs, out.inputs), (iface.outputs, out.outputs)):
        for name, var in src.variables.items():
            dst.variables[name].CopyFrom(
                interface_pb2.Variable(
                    type=types_pb2.LiteralType(collection_type=var.type), description=var.description
                )
            )
    return out


def graph_order(template: core_workflow_pb2.WorkflowTemplate) -> list[core_workflow_pb2.Node]:
    """The template's nodes (start/end excluded) upstream first, ties in the template's own order (Kahn)."""
    # ids read once (each read of a message's string field builds a new str; a first paint orders 10,000 nodes)
    nodes = [(n.id, n) for n in template.nodes]
    nodes = [(i, n) for i, n in nodes if i != START_NODE_ID and i != END_NODE_ID]
    ids = {i for i, _ in nodes}
    waiting = {i: {u for u in n.upstream_node_ids if u in ids and u != i} for i, n in nodes}
    out: list[core_workflow_pb2.Node] = []
    placed: set[str] = set()
    pending = nodes
    while pending:
        ready = [(i, n) for i, n in pending if waiting[i] <= placed]
        if not ready:  # a cycle (bad data): the rest in template order rather than never
            ready = pending
        out.extend(n for _, n in ready)
        placed.update(i for i, _ in ready)
        pending = [(i, n) for i, n in pending if i not in placed]
    return out


def planned_info(tmpl: core_workflow_pb2.Node, compiled: Compiled) -> TemplateInfo:
    """Kind and name of a template node that has not run (as the sync engine's ``node_templates.node_info`` names it
    once it runs)."""
    if tmpl.HasField("task_node"):  # most nodes: first, and without reading the name the others use
        return shared_info("task", short_name(tmpl.task_node.reference_id.name) or tmpl.id)
    name = tmpl.metadata.name or tmpl.id
    if tmpl.HasField("workflow_node"):
        wn = tmpl.workflow_node
        if wn.HasField("launchplan_ref"):
            return TemplateInfo("launch_plan", short_name(wn.launchplan_ref.name) or tmpl.id)
        return TemplateInfo("subworkflow", short_name(wn.sub_workflow_ref.name) or tmpl.id)
    if tmpl.HasField("branch_node"):
        return TemplateInfo("branch", name)
    if tmpl.HasField("gate_node"):
        return TemplateInfo("gate", name, tmpl.gate_node)
    if tmpl.HasField("array_node"):
        sub = tmpl.array_node.node
        if sub.HasField("task_node"):
            name = short_name(sub.task_node.reference_id.name) or name
        return TemplateInfo("array", name)
    return TemplateInfo(unknown_kind(tmpl), tmpl.id)  # a node type newer than this flyteidl


def planned_nodes(
    template: core_workflow_pb2.WorkflowTemplate, compiled: Compiled, parent_id: str, depth: int = 0
) -> tuple[PlannedNode, ...]:
    """The nodes ``template`` plans, in graph order, with a subworkflow's own planned nodes below it."""
    out: list[PlannedNode] = []
    for tmpl in graph_order(template):
        spec_id = tmpl.id
        node_id = child_node_id(parent_id, 0, spec_id)
        children: tuple[PlannedNode, ...] = ()
        wn = tmpl.workflow_node if tmpl.HasField("workflow_node") else None
        if wn is not None and wn.HasField("sub_workflow_ref") and depth < 100:  # 100: a recursive template
            sub = compiled.sub_workflows.get(id_key(wn.sub_workflow_ref))
            if sub is not None:
                children = planned_nodes(sub, compiled, node_id, depth + 1)
        out.append(PlannedNode(spec_id, node_id, planned_info(tmpl, compiled), children))
    return tuple(out)
