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

from .phases import unknown_name
from .protoview import unknown_field_numbers

__all__ = ["NodeKind", "TemplateInfo", "node_kind", "unknown_kind"]

NodeKind = Literal["task", "subworkflow", "dynamic", "branch", "launch_plan", "gate", "array", "subtask"]


@dataclass(frozen=True)
class TemplateInfo:
    """What the compiled workflow says about one node (set on its wrapper as ``_template_info`` by the sync)."""

    #: A NodeKind, or "unknown (N)" for a node type this flyteidl does not know (see :func:`unknown_kind`).
    kind: NodeKind | str
    #: The name a user knows it by: the task's or workflow's short name, else the spec node id.
    name: str
    #: The gate condition (approve, signal or sleep) of a gate node, else None. Compared, not hashed (a message
    #: is unhashable).
    gate: workflow_pb2.GateNode | None = field(default=None, hash=False)
    #: For an array subtask that is a child node (event version 1): its index, used in the row key.
    index: int | None = None


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


def unknown_kind(node: workflow_pb2.Node) -> str:
    """The kind of a template node with none of the targets this flyteidl knows (a newer Flyte's node type):
    ``"unknown (N)"`` with N the field number of what it does have, or ``"unknown"`` when protobuf cannot tell."""
    numbers = unknown_field_numbers(node)
    return unknown_name(numbers[0]) if numbers else "unknown"
