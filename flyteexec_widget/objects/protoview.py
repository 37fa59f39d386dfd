"""``ProtoView``: read-only, flytekit-style attribute access over any protobuf message.

Code written against flytekit's models (``execution.closure.phase``, ``closure.error.message``,
``closure.started_at``, ``execution.id.project``, ...) keeps working on a view, while the view keeps the raw
message (``to_flyte_idl()``), so nothing is lost in a round trip (unknown fields included).

Conversions, field by field:

- ``google.protobuf.Timestamp`` -> an *aware* UTC ``datetime``; ``Duration`` -> ``timedelta``; a value Python
  cannot hold (a year past 9999 or before 1, nanos out of range, a duration over 10,000 years) raises
  :class:`InvalidTimeError` naming the field and the value, for that field only;
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

from ..admin.errors import FlyteExecWidgetError

_UTC = datetime.timezone.utc

# The ranges protobuf documents (timestamp.proto, duration.proto): 0001-01-01 to 9999-12-31 (Python's datetime
# range too) and +-10,000 years; nanos within one second. A server may send anything in the int64/int32 fields.
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799
#: The range of ``Timestamp.seconds`` a datetime holds, for callers that check a time inline.
MIN_TIMESTAMP_SECONDS = _MIN_SECONDS
MAX_TIMESTAMP_SECONDS = _MAX_SECONDS
_MAX_DURATION_SECONDS = 315_576_000_000
#: The largest ``Duration.seconds`` a timedelta holds (+-10,000 years), for callers that check a duration inline.
MAX_DURATION_SECONDS = _MAX_DURATION_SECONDS
_MAX_NANOS = 999_999_999
_EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class InvalidTimeError(FlyteExecWidgetError, ValueError):
    """A ``Timestamp`` or ``Duration`` from the server that is not a valid time (out of Python's range)."""


def to_datetime(ts: Any, where: str = "Timestamp") -> datetime.datetime:
    """An aware UTC datetime from a ``google.protobuf.Timestamp``; :class:`InvalidTimeError` naming ``where`` and
    the value if it is out of range (protobuf's own error does not say which field, and its range text is wrong)."""
    if not is_valid_timestamp(ts):
        raise InvalidTimeError(
            f"{where}: Timestamp(seconds={ts.seconds}, nanos={ts.nanos}) is not a valid time "
            f"(seconds must be in {_MIN_SECONDS}..{_MAX_SECONDS}, years 1 to 9999; nanos in 0..{_MAX_NANOS})"
        )
    # what ts.ToDatetime(tzinfo=UTC) gives (microseconds rounded toward zero), without its astimezone(): rows
    # convert two or three times per node, 10,000 nodes at a time
    return _EPOCH_UTC + datetime.timedelta(seconds=ts.seconds, microseconds=ts.nanos // 1000)


def is_valid_duration(d: Any) -> bool:
    """Whether a ``Duration`` converts to a timedelta (:func:`to_timedelta` does not raise): integer checks only."""
    return bool(abs(d.seconds) <= _MAX_DURATION_SECONDS and abs(d.nanos) <= _MAX_NANOS)


def to_timedelta(d: Any, where: str = "Duration") -> datetime.timedelta:
    """A timedelta from a ``google.protobuf.Duration``; :class:`InvalidTimeError` naming ``where`` and the value if
    it is out of protobuf's range (+-10,000 years; past that, protobuf raises a bare OverflowError)."""
    if not is_valid_duration(d):
        raise InvalidTimeError(
            f"{where}: Duration(seconds={d.seconds}, nanos={d.nanos}) is not a valid duration "
            f"(seconds must be within +-{_MAX_DURATION_SECONDS}, 10,000 years; nanos within +-{_MAX_NANOS})"
        )
    return d.ToTimedelta()  # type: ignore[no-any-return]


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


def is_valid_timestamp(ts: Any) -> bool:
    """Whether a ``Timestamp`` converts to a datetime (integer checks only: cheap enough for every listed node)."""
    return bool(_MIN_SECONDS <= ts.seconds <= _MAX_SECONDS and 0 <= ts.nanos <= _MAX_NANOS)


def unknown_field_numbers(msg: Message) -> list[int]:
    """Field numbers of ``msg`` this flyteidl does not know (a newer Flyte's additions), when protobuf can tell."""
    try:
        from google.protobuf import unknown_fields

        field_set = unknown_fields.UnknownFieldSet(msg)
        return sorted({field_set[i].field_number for i in range(len(field_set))})
    except Exception:  # older protobuf runtimes cannot list them
        return []


def convert_message(msg: Message, where: str = "") -> Any:
    """Convert a (set) sub-message to what a view returns for it: datetime, timedelta, a plain value or a view.
    ``where`` (the field's full name) is what an :class:`InvalidTimeError` names."""
    name = msg.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        return to_datetime(msg, where or name)
    if name == "google.protobuf.Duration":
        return to_timedelta(msg, where or name)
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
            return {k: convert_message(v, f"{field.full_name}[{k!r}]") for k, v in value.items()}
        return dict(value)
    if _is_repeated(field):
        if field.message_type is not None:
            return [convert_message(v, f"{field.full_name}[{i}]") for i, v in enumerate(value)]
        return list(value)
    if field.has_presence and not msg.HasField(field.name):
        return None
    if field.message_type is not None:
        return convert_message(value, field.full_name)
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
