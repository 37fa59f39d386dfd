"""What a node is, beyond its NodeExecution: its kind, display name and gate, as the compiled workflow says.

The sync engine (:mod:`~flyteexec_widget.live.sync`) works a :class:`TemplateInfo` out for every node it wires and
sets it on the node wrapper (``FlyteNodeExecution._template_info``); the rows (:mod:`~flyteexec_widget.live.rows`)
read it. A node with no template known (inside a dynamic node, a workflow FlyteAdmin would not give, a wrapper no
sync has wired) gets its kind from its own metadata: :func:`node_kind`, the one place that guesses.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from typing import Literal

from flyteidl.admin import node_execution_pb2
from flyteidl.core import workflow_pb2

from .phases import unknown_name
from .protoview import unknown_field_numbers

__all__ = ["NodeKind", "PlannedNode", "TemplateInfo", "child_node_id", "node_kind", "shared_info", "unknown_kind"]

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


def shared_info(kind: NodeKind | str, name: str) -> TemplateInfo:
    """``TemplateInfo(kind, name)``, one object for all nodes alike (it is frozen): a fan-out runs thousands of
    nodes of one task, and making each its own cost a first paint ~1 ms per 1,000 nodes, twice. Names longer than
    a task's name can reasonably be (a hostile server's) are not kept."""
    if len(kind) + len(name) > _SHARED_NAME_CHARS:
        return TemplateInfo(kind, name)
    return _shared_info(kind, name)


_SHARED_NAME_CHARS = 1024


@functools.lru_cache(maxsize=4096)
def _shared_info(kind: NodeKind | str, name: str) -> TemplateInfo:
    return TemplateInfo(kind, name)


@dataclass(frozen=True)
class PlannedNode:
    """A node the compiled workflow plans in one scope (set by the sync as ``_fx_planned`` on the execution wrapper
    for its top level, and on a subworkflow node's wrapper for its children): shown as a not-started row until a
    node execution with its ``spec_id`` appears in that scope."""

    #: The template node's id (a node execution's ``metadata.spec_node_id``).
    spec_id: str
    #: The id FlyteAdmin will give its node execution's first run (:func:`child_node_id` with attempt 0 below the
    #: top level), so the row keeps its key when the node starts.
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


def unknown_kind(node: workflow_pb2.Node) -> str:
    """The kind of a template node with none of the targets this flyteidl knows (a newer Flyte's node type):
    ``"unknown (N)"`` with N the field number of what it does have, or ``"unknown"`` when protobuf cannot tell."""
    numbers = unknown_field_numbers(node)
    return unknown_name(numbers[0]) if numbers else "unknown"


#: Propeller's ``maxUniqueIDLength``: a child node id longer than this is hashed.
MAX_UNIQUE_ID_LENGTH = 20
_B32_TRANSLATE = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"abcdefghijklmnopqrstuvwxyz123456")


def child_node_id(parent_id: str, parent_attempt: int, spec_id: str) -> str:
    """The id propeller gives node ``spec_id`` run by attempt ``parent_attempt`` of node ``parent_id`` (""
    at the top level): ``<parent>-<attempt>-<spec id>`` (the spec id alone at the top level), and past 20 characters
    ``"f"`` and the lower-case base32 of its 32-bit FNV-1a hash instead (``common.GenerateUniqueID`` and
    ``encoding.FixedLengthUniqueIDForParts`` in flytepropeller; as the sandbox's player names nodes)."""
    text = f"{parent_id}-{parent_attempt}-{spec_id}" if parent_id else spec_id
    if len(text) <= MAX_UNIQUE_ID_LENGTH:
        return text
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return "f" + base64.b32encode(h.to_bytes(4, "big")).rstrip(b"=").translate(_B32_TRANSLATE).decode()
