"""``ProtoView``: read-only, flytekit-style attribute access over any protobuf message.

Code written against flytekit's models (``execution.closure.phase``, ``closure.error.message``,
``closure.started_at``, ``execution.id.project``, ...) keeps working on a view, while the view keeps the raw
message (``to_flyte_idl()``), so nothing is lost in a round trip (unknown fields included).

Conversions, field by field:

- ``google.protobuf.Timestamp`` -> an *aware* UTC ``datetime``; ``Duration`` -> ``timedelta``;
  wrapper types (``BoolValue``, ``StringValue``, ...) -> their ``value``; ``Struct``/``Value``/``ListValue`` ->
  plain ``dict``/``list``/scalars.
- any other singular sub-message -> a ``ProtoView``, or ``None`` when the field is unset;
  a scalar with presence (a ``oneof`` member such as ``output_uri``, or a proto3 ``optional``) -> ``None`` when unset.
- repeated fields -> ``list`` (of views, converted values or scalars); map fields -> ``dict``.
- enums -> ``int`` (as flytekit's models give them; the wrappers' ``.phase`` is the IntEnum).

Where the types DIFFER from flytekit's models (deliberately):

- Unset timestamps and durations are ``None``. flytekit returns the Unix epoch for an unset ``started_at`` and
  ``timedelta(0)`` for an unset ``duration`` (e.g. on a QUEUED execution), which read as real values.
- Every timestamp is timezone-aware UTC. flytekit's ``TaskExecutionClosure`` returns *naive* datetimes for
  ``started_at``/``created_at``/``updated_at``, so comparing the two needs ``.replace(tzinfo=timezone.utc)``.
- An unset sub-message is ``None`` everywhere. flytekit does so for most optional parts (``closure.error`` on a
  success, ``closure.outputs``, ``spec.notifications``, ``metadata.parent_node_execution``, ...) but builds empty
  models for a few (``spec.labels``, ``spec.annotations``, ``spec.metadata``, ``spec.auth_role``,
  ``spec.security_context``).
- Nested values are views, not flytekit model classes: ``isinstance`` checks against flytekit classes fail, and
  ``to_flyte_idl()`` on a nested view returns the nested *proto*.
- Fields flytekit's models drop (``closure.output_data``, ``closure.workflow_id``, task ``reason``/``reasons``,
  ``custom_info``, ``closure.dynamic_job_spec_uri``, ...) are simply available.

flytekit names that differ from the proto's field names are kept as aliases (see ``_ALIASES``):
``WorkflowNodeMetadata.execution_id`` (proto ``executionId``), ``ClusterAssignment.cluster_pool``
(``cluster_pool_name``), ``NodeExecutionClosure.target_metadata``, ``CatalogMetadata.source_execution``,
``Envs.envs`` (a dict; the proto has a list of key/value pairs), and ``TypedInterface.inputs``/``outputs``
(flytekit: ``dict[str, Variable]``, the proto nests them in ``VariableMap.variables``; these two aliases shadow
the proto fields of the same name, whose messages stay reachable through ``to_flyte_idl()``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format, text_format
from google.protobuf.message import Message

_UTC = datetime.timezone.utc

# A field descriptor. The stubs type it as a union of the pure-Python and the upb classes, which share no base.
FieldDescriptor = Any
_LABEL_REPEATED = 3  # FieldDescriptor.LABEL_REPEATED, for protobuf versions without ``is_repeated``

_WRAPPERS = frozenset(
    f"google.protobuf.{n}"
    for n in (
        *("BoolValue", "StringValue", "BytesValue", "Int32Value", "Int64Value", "UInt32Value", "UInt64Value"),
        *("FloatValue", "DoubleValue"),
    )
)
_JSON_LIKE = frozenset({"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"})


def convert_message(msg: Message) -> Any:
    """Convert a (set) sub-message to what a view returns for it: datetime, timedelta, a plain value or a view."""
    name = msg.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        return msg.ToDatetime(tzinfo=_UTC)  # type: ignore[attr-defined]
    if name == "google.protobuf.Duration":
        return msg.ToTimedelta()  # type: ignore[attr-defined]
    if name in _WRAPPERS:
        return msg.value  # type: ignore[attr-defined]
    if name in _JSON_LIKE:
        return json_format.MessageToDict(msg)
    return ProtoView(msg)


def _is_repeated(field: FieldDescriptor) -> bool:
    # protobuf >= 5.28 has ``is_repeated``; ``label`` is gone in protobuf 7.
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else field.label == _LABEL_REPEATED


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def convert_field(msg: Message, field: FieldDescriptor) -> Any:
    """The converted value of one field of ``msg`` (see the module docstring for the rules)."""
    value = getattr(msg, field.name)
    if _is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        if value_field.message_type is not None:
            return {k: convert_message(v) for k, v in value.items()}
        return dict(value)
    if _is_repeated(field):
        if field.message_type is not None:
            return [convert_message(v) for v in value]
        return list(value)
    if field.has_presence and not msg.HasField(field.name):
        return None
    if field.message_type is not None:
        return convert_message(value)
    return value


def _renamed(proto_field: str) -> Callable[[Message], Any]:
    def get(msg: Message) -> Any:
        return convert_field(msg, msg.DESCRIPTOR.fields_by_name[proto_field])

    return get


def _oneof(group: str) -> Callable[[Message], Any]:
    def get(msg: Message) -> Any:
        which = msg.WhichOneof(group)
        return None if which is None else convert_field(msg, msg.DESCRIPTOR.fields_by_name[which])

    return get


def _variables(proto_field: str) -> Callable[[Message], Any]:
    # flytekit's TypedInterface.inputs/outputs are dict[str, Variable]; the proto wraps them in a VariableMap.
    def get(msg: Message) -> Any:
        return {k: ProtoView(v) for k, v in getattr(msg, proto_field).variables.items()}

    return get


#: message full name -> {flytekit attribute name: getter}; an alias wins over a proto field of the same name.
_ALIASES: dict[str, dict[str, Callable[[Message], Any]]] = {
    "flyteidl.admin.WorkflowNodeMetadata": {"execution_id": _renamed("executionId")},
    # flytekit: Envs.envs -> dict; the proto holds a list of KeyValuePair in ``values``.
    "flyteidl.admin.Envs": {"envs": lambda m: {kv.key: kv.value for kv in m.values}},  # type: ignore[attr-defined]
    "flyteidl.admin.ClusterAssignment": {"cluster_pool": _renamed("cluster_pool_name")},
    "flyteidl.admin.NodeExecutionClosure": {"target_metadata": _oneof("target_metadata")},
    "flyteidl.core.CatalogMetadata": {"source_execution": _oneof("source_execution")},
    "flyteidl.core.TypedInterface": {"inputs": _variables("inputs"), "outputs": _variables("outputs")},
}


class ProtoView:
    """A read-only view of ``msg`` with flytekit-style attribute access; ``to_flyte_idl()`` returns ``msg``.

    The view does not copy the message: it is a window onto it. Equality compares the messages.
    """

    __slots__ = ("_msg",)
    _msg: Message

    def __init__(self, msg: Message) -> None:
        if not isinstance(msg, Message):
            raise TypeError(f"ProtoView needs a protobuf message, got {type(msg).__name__}")
        object.__setattr__(self, "_msg", msg)

    def __getattr__(self, name: str) -> Any:
        msg = self._msg
        desc = msg.DESCRIPTOR
        alias = _ALIASES.get(desc.full_name, {}).get(name)
        if alias is not None:
            return alias(msg)
        field = desc.fields_by_name.get(name)
        if field is None:
            raise AttributeError(f"{desc.full_name} has no field {name!r}; fields: {', '.join(sorted(self._names()))}")
        return convert_field(msg, field)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._msg.DESCRIPTOR.full_name} view is read-only (cannot set {name!r})")

    def _names(self) -> set[str]:
        desc = self._msg.DESCRIPTOR
        return set(desc.fields_by_name) | set(_ALIASES.get(desc.full_name, {}))

    def __dir__(self) -> list[str]:
        return sorted(self._names() | {"to_flyte_idl", "has", "serialize_to_string", "is_empty", "short_string"})

    def has(self, name: str) -> bool:
        """Whether the proto field ``name`` is set (``HasField``; for repeated/map fields: non-empty)."""
        field = self._msg.DESCRIPTOR.fields_by_name.get(name)
        if field is None:
            raise AttributeError(f"{self._msg.DESCRIPTOR.full_name} has no field {name!r}")
        if _is_repeated(field):
            return len(getattr(self._msg, name)) > 0
        if field.has_presence:
            return self._msg.HasField(name)
        return bool(getattr(self._msg, name))

    def to_flyte_idl(self) -> Message:
        """The underlying protobuf message (the same object, not a copy)."""
        return self._msg

    def serialize_to_string(self) -> bytes:
        """The message's wire bytes, as ``SerializeToString()``."""
        return self._msg.SerializeToString()

    @property
    def is_empty(self) -> bool:
        """Whether the message serializes to nothing (as flytekit's models)."""
        return self._msg.ByteSize() == 0

    def short_string(self) -> str:
        """A one-line text form of the message, shortened."""
        text = text_format.MessageToString(self._msg, as_one_line=True)
        return text if len(text) <= 200 else text[:199] + "…"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ProtoView):
            return self._msg == other._msg
        if isinstance(other, Message):
            return self._msg == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._msg.SerializeToString(deterministic=True))

    def __repr__(self) -> str:
        return f"<{self._msg.DESCRIPTOR.full_name} {self.short_string()}>"

    def __reduce__(self) -> tuple[type[ProtoView], tuple[Message]]:
        # copy/pickle would otherwise restore the slot through __setattr__, which a read-only view refuses.
        return (ProtoView, (self._msg,))
