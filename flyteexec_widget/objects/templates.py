"""What a node is, beyond its NodeExecution: its kind, display name and gate, as the compiled workflow says.

The sync engine (:mod:`~flyteexec_widget.live.sync`) works a :class:`TemplateInfo` out for every node it wires and
sets it on the node wrapper (``FlyteNodeExecution._template_info``); the rows (:mod:`~flyteexec_widget.live.rows`)
read it. A node with no template known (inside a dynamic node, a workflow FlyteAdmin would not give, a wrapper no
sync has wired) gets its kind from its own metadata: :func:`node_kind`, the one place that guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from flyteidl.admin import node_execution_pb2
from flyteidl.core import workflow_pb2

__all__ = ["NodeKind", "PlannedNode", "TemplateInfo", "node_kind"]

NodeKind = Literal["task", "subworkflow", "dynamic", "branch", "launch_plan", "gate", "array", "subtask"]


@dataclass(frozen=True)
class TemplateInfo:
    """What the compiled workflow says about one node (set on its wrapper as ``_template_info`` by the sync)."""

    kind: NodeKind
    #: The name a user knows it by: the task's or workflow's short name, else the spec node id.
    name: str
    #: The gate condition (approve, signal or sleep) of a gate node, else None. Compared, not hashed (a message
    #: is unhashable).
    gate: workflow_pb2.GateNode | None = field(default=None, hash=False)
    #: For an array subtask that is a child node (event version 1): its index, used in the row key.
    index: int | None = None


@dataclass(frozen=True)
class PlannedNode:
    """A node the compiled workflow plans in one scope (set by the sync as ``_fx_planned`` on the execution wrapper
    for its top level, and on a subworkflow node's wrapper for its children): shown as a not-started row until a
    node execution with its ``spec_id`` appears in that scope."""

    #: The template node's id (a node execution's ``metadata.spec_node_id``).
    spec_id: str
    #: The id FlyteAdmin will most likely give its node execution (``<parent>-<attempt>-<spec id>`` below the top
    #: level, as propeller names children), so the row keeps its key when the node starts.
    node_id: str
    info: TemplateInfo
    #: A subworkflow's own planned nodes; empty for every other kind (a branch, dynamic or launch-plan node's
    #: children are unknown until it runs).
    children: tuple[PlannedNode, ...] = ()


def node_kind(proto: node_execution_pb2.NodeExecution) -> NodeKind:
    """A node's kind from its own metadata, for a node whose template is unknown (never "branch" or "gate")."""
    meta = proto.metadata
    if meta.is_array:
        return "array"
    if meta.is_dynamic:
        return "dynamic"
    if proto.closure.HasField("workflow_node_metadata"):
        return "launch_plan"
    if meta.is_parent_node:
        return "subworkflow"
    return "task"
