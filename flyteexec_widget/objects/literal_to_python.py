"""Literal -> Python: :func:`to_python`, driven by the literal itself and, when known, by the interface's
``LiteralType``; :func:`literal_kind`, a short name for what a literal holds. No flytekit, no Python types needed.

What a literal becomes (``to_python``):

=======================  ===============================================================================
literal                  Python value
=======================  ===============================================================================
integer / float / str    ``int`` / ``float`` / ``str`` (an enum value stays a ``str`` unless ``as_type``)
boolean                  ``bool``
datetime                 an *aware* UTC ``datetime`` (flytekit returns the same)
duration                 ``timedelta``
none_type                ``None``
collection / map         ``list`` / ``dict`` (converted element by element)
generic (Struct)         ``dict`` (numbers are floats, as in JSON, unless the LiteralType says INTEGER)
binary, tag "msgpack"    the decoded value (flytekit's encoding of dataclasses, dicts, pydantic models)
binary, other tag        the raw ``bytes``
union                    the value inside, converted with the variant's type
error                    ``LiteralError(failed_node_id, message)``
blob                     ``BlobRef(uri, format, dimensionality)``: never downloaded
structured dataset       ``StructuredDatasetRef(uri, format, columns)``: never downloaded
schema (legacy)          ``StructuredDatasetRef(uri, "", columns)``
offloaded literal        ``OffloadedRef(uri, size_bytes, inferred_type)``: never downloaded
anything else            ``UnknownLiteral(literal)``: a literal from a newer Flyte does not crash anything
=======================  ===============================================================================

``as_type`` then coerces the value (:mod:`.coerce`); a value that cannot become the requested type raises a
``TypeError`` naming the literal's kind and the type. Nothing here touches the network or a blob store.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from typing import Any

import msgpack
from flyteidl.core import types_pb2
from google.protobuf import json_format

from .coerce import CoercionError, coerce, is_number, type_name
from .literal_refs import BlobRef, LiteralError, OffloadedRef, StructuredDatasetRef, UnknownLiteral
from .literal_types import as_proto, describe_type, kind_of
from .protoview import to_timedelta

__all__ = ["literal_kind", "to_python"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MSGPACK_TAG = "msgpack"


def to_python(literal: Any, literal_type: Any = None, as_type: Any = None) -> Any:
    """Convert one ``flyteidl.core.Literal`` to a Python value (see the module docstring for the table).

    ``literal_type`` (the interface ``Variable.type``) refines the conversion: datetimes and durations inside
    msgpack/Struct data, integers inside Struct data, a structured dataset's columns. ``as_type`` then coerces
    the value to a Python type, raising ``TypeError`` when it cannot.
    """
    literal = as_proto(literal)
    value = _convert(literal, as_proto(literal_type))
    if as_type is None:
        return value
    try:
        return coerce(value, as_type)
    except CoercionError as e:
        raise TypeError(f"cannot convert the {literal_kind(literal)} literal to {type_name(as_type)}: {e}") from None


def _convert(literal: Any, literal_type: Any) -> Any:
    kind = kind_of(literal)
    converter = _CONVERTERS.get(kind)
    if converter is None:
        return UnknownLiteral(literal)
    if kind != "union" and _sub_type(literal_type, "union_type") is not None:
        literal_type = _optional_arm(literal_type)  # a bare value declared Optional[T] (older flytekit)
    return converter(literal, literal_type)


def _optional_arm(literal_type: Any) -> Any:
    """T for a union type of T and none, else None (a wider union says nothing certain about a bare value)."""
    arms = [v for v in literal_type.union_type.variants if not _is_none_type(v)]
    return arms[0] if len(arms) == 1 else None


def _sub_type(literal_type: Any, field: str) -> Any:
    """``literal_type.<field>`` when that oneof is set, else None."""
    if literal_type is not None and literal_type.WhichOneof("type") == field:
        return getattr(literal_type, field)
    return None


def _datetime(literal: Any, _lt: Any) -> _dt.datetime:
    ts = literal.scalar.primitive.datetime
    try:
        return _EPOCH + _dt.timedelta(seconds=ts.seconds, microseconds=ts.nanos // 1000)
    except OverflowError:
        raise ValueError(f"timestamp of {ts.seconds} s since the epoch is outside Python's datetime range") from None


def _duration(literal: Any, _lt: Any) -> _dt.timedelta:
    # protobuf's ToTimedelta raises a bare OverflowError past timedelta's range: say which value instead
    return to_timedelta(literal.scalar.primitive.duration, "duration literal")


def _seconds_to_timedelta(value: float, where: str) -> _dt.timedelta:
    """``timedelta(seconds=value)``, or a ValueError naming the value (NaN, infinity, past 999,999,999 days)."""
    try:
        if not math.isfinite(value):
            raise OverflowError
        return _dt.timedelta(seconds=value)
    except OverflowError:
        raise ValueError(
            f"{where} of {value!r} seconds is not a valid duration (a finite number within +-999,999,999 days)"
        ) from None


def _collection(literal: Any, literal_type: Any) -> list[Any]:
    element_type = _sub_type(literal_type, "collection_type")
    return [_convert(item, element_type) for item in literal.collection.literals]


def _map(literal: Any, literal_type: Any) -> dict[str, Any]:
    value_type = _sub_type(literal_type, "map_value_type")
    return {key: _convert(item, value_type) for key, item in sorted(literal.map.literals.items())}


def _binary(literal: Any, literal_type: Any) -> Any:
    binary = literal.scalar.binary
    if binary.tag != _MSGPACK_TAG:
        return bytes(binary.value)
    try:
        decoded = msgpack.unpackb(binary.value, raw=False, strict_map_key=False, timestamp=3)
    except Exception as e:
        # Some msgpack errors have no message (FormatError on a reserved byte): name the type and the bytes.
        data = bytes(binary.value)
        head = data[:16].hex(" ") + (" ..." if len(data) > 16 else "")
        reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        raise ValueError(
            f"binary literal tagged 'msgpack' ({len(data)} bytes: {head or 'empty'}) does not decode: {reason}"
        ) from e
    return _shape(decoded, literal_type)


def _generic(literal: Any, literal_type: Any) -> Any:
    return _shape(json_format.MessageToDict(literal.scalar.generic), literal_type)


def _union(literal: Any, literal_type: Any) -> Any:
    union = literal.scalar.union
    variant = union.type if union.HasField("type") else None
    return _convert(union.value, variant)


def _error(literal: Any, _lt: Any) -> LiteralError:
    err = literal.scalar.error
    return LiteralError(failed_node_id=err.failed_node_id, message=err.message)


def _blob(literal: Any, _lt: Any) -> BlobRef:
    blob = literal.scalar.blob
    blob_type = blob.metadata.type
    return BlobRef(
        uri=blob.uri,
        format=blob_type.format,
        dimensionality=_DIMENSIONALITY.get(blob_type.dimensionality, str(blob_type.dimensionality)),
    )


def _structured_dataset(literal: Any, literal_type: Any) -> StructuredDatasetRef:
    sd = literal.scalar.structured_dataset
    sd_type = sd.metadata.structured_dataset_type
    declared = _sub_type(literal_type, "structured_dataset_type")
    fmt = sd_type.format or (declared.format if declared is not None else "")
    columns = sd_type.columns or (declared.columns if declared is not None else ())
    return StructuredDatasetRef(
        uri=sd.uri,
        format=fmt,
        columns=tuple((c.name, describe_type(c.literal_type)) for c in columns),
    )


def _schema(literal: Any, _lt: Any) -> StructuredDatasetRef:
    schema = literal.scalar.schema
    columns = tuple((c.name, _SCHEMA_COLUMN_NAMES.get(c.type, str(c.type))) for c in schema.type.columns)
    return StructuredDatasetRef(uri=schema.uri, format="", columns=columns)


def _offloaded(literal: Any, _lt: Any) -> OffloadedRef:
    meta = literal.offloaded_metadata
    inferred = meta.inferred_type if meta.HasField("inferred_type") else None
    return OffloadedRef(uri=meta.uri, size_bytes=meta.size_bytes, inferred_type=inferred)


_CONVERTERS: dict[str, Callable[[Any, Any], Any]] = {
    "integer": lambda lit, _lt: lit.scalar.primitive.integer,
    "float_value": lambda lit, _lt: lit.scalar.primitive.float_value,
    "string_value": lambda lit, _lt: lit.scalar.primitive.string_value,
    "boolean": lambda lit, _lt: lit.scalar.primitive.boolean,
    "datetime": _datetime,
    "duration": _duration,
    "none_type": lambda _lit, _lt: None,
    "collection": _collection,
    "map": _map,
    "binary": _binary,
    "generic": _generic,
    "union": _union,
    "error": _error,
    "blob": _blob,
    "structured_dataset": _structured_dataset,
    "schema": _schema,
    "offloaded_metadata": _offloaded,
}


def _shape(value: Any, literal_type: Any) -> Any:
    """Apply a LiteralType to plain decoded data (msgpack or Struct): ISO strings -> datetime, seconds ->
    timedelta, integral floats -> int, recursively through lists, dicts and dataclass fields. Leaves anything
    that does not match the type as it is (the data wins over the declaration)."""
    if literal_type is None:
        return value
    which = literal_type.WhichOneof("type")
    if which == "simple":
        simple = literal_type.simple
        if simple == types_pb2.DATETIME and isinstance(value, str):
            try:
                return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
        if simple == types_pb2.DURATION and is_number(value):
            return _seconds_to_timedelta(value, "msgpack duration")
        if simple == types_pb2.INTEGER and isinstance(value, float) and value.is_integer():
            return int(value)
        if simple == types_pb2.STRUCT and isinstance(value, dict) and literal_type.structure.dataclass_type:
            fields = literal_type.structure.dataclass_type
            return {k: _shape(v, fields[k]) if k in fields else v for k, v in value.items()}
        return value
    if which == "collection_type" and isinstance(value, list):
        return [_shape(v, literal_type.collection_type) for v in value]
    if which == "map_value_type" and isinstance(value, dict):
        return {k: _shape(v, literal_type.map_value_type) for k, v in value.items()}
    if which == "union_type" and value is not None:  # Optional[T]: shape with T; wider unions stay as they are
        return _shape(value, _optional_arm(literal_type))
    return value


def _is_none_type(literal_type: Any) -> bool:
    return bool(literal_type.WhichOneof("type") == "simple" and literal_type.simple == types_pb2.NONE)


_KIND_NAMES = {
    "integer": "int",
    "float_value": "float",
    "string_value": "str",
    "boolean": "bool",
    "datetime": "datetime",
    "duration": "timedelta",
    "none_type": "none",
    "collection": "list",
    "map": "dict",
    "generic": "struct",
    "offloaded_metadata": "offloaded",
}


def literal_kind(literal: Any) -> str:
    """A short human name for what a literal holds, without converting it: "int", "list", "blob", "binary(msgpack)"."""
    kind = kind_of(literal)
    if kind == "binary":
        tag = literal.scalar.binary.tag
        return f"binary({tag})" if tag else "binary"
    if kind == "union":
        return f"union[{literal_kind(literal.scalar.union.value)}]"
    if kind not in _CONVERTERS:
        return "unknown"
    return _KIND_NAMES.get(kind, kind)


_DIMENSIONALITY = {types_pb2.BlobType.SINGLE: "single", types_pb2.BlobType.MULTIPART: "multipart"}

_SCHEMA_COLUMN_NAMES = {
    types_pb2.SchemaType.SchemaColumn.INTEGER: "int",
    types_pb2.SchemaType.SchemaColumn.FLOAT: "float",
    types_pb2.SchemaType.SchemaColumn.STRING: "str",
    types_pb2.SchemaType.SchemaColumn.BOOLEAN: "bool",
    types_pb2.SchemaType.SchemaColumn.DATETIME: "datetime",
    types_pb2.SchemaType.SchemaColumn.DURATION: "timedelta",
}
