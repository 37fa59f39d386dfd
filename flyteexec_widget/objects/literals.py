"""Flyte literals as Python values: a lazy resolver, one conversion function each way, and data references.

``LiteralsResolver`` mirrors flytekit's ``flytekit.core.type_engine.LiteralsResolver``: a read-only mapping over a
``LiteralMap`` whose values are converted only when they are read. It needs no flytekit and no Python types:
the conversion is driven by the literal itself and, when known, by the interface's ``LiteralType``.

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

``as_type`` (or a resolver's ``type_hints``) then coerces the value: dataclasses (recursively, from the decoded
dict), ``int`` <-> ``float``, ``datetime`` / ``date`` / ``timedelta`` (also from the ISO strings and seconds that
msgpack-encoded dataclasses carry), enums, ``Optional``/``Union``, ``list[T]`` and ``dict[str, T]``. A value that
cannot become the requested type raises a ``TypeError`` naming the literal's kind and the type; a resolver adds
the key.

``to_literal`` goes the other way, for signal values: given the signal's ``LiteralType`` it builds the literal
FlyteAdmin and propeller expect for that type (a STRUCT as a ``generic`` Struct, an enum as a string, a union
wrapped with its variant's type, ...) or raises a ``ValueError`` naming the expected type; without one, the literal
follows the Python value. ``describe_type`` is the one name of a type, for messages and for the view's gate rows.

No function here touches the network or a blob store.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import math
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import msgpack
from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import json_format, struct_pb2

from ..admin.plaintext import printable
from .protoview import to_timedelta, unknown_field_numbers

__all__ = [
    "BlobRef",
    "LiteralError",
    "LiteralKeyError",
    "LiteralsResolver",
    "OffloadedRef",
    "StructuredDatasetRef",
    "UnknownLiteral",
    "describe_type",
    "literal_kind",
    "to_literal",
    "to_python",
]

Literal = literals_pb2.Literal
LiteralMap = literals_pb2.LiteralMap
LiteralType = types_pb2.LiteralType

_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_MSGPACK_TAG = "msgpack"


# --------------------------------------------------------------------------------------------------------------
# References: what a literal that points at data (or at an error) becomes. Nothing is ever downloaded.
# --------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BlobRef:
    """A file or directory (``FlyteFile`` / ``FlyteDirectory``) by reference."""

    uri: str
    format: str = ""
    dimensionality: str = "single"  # "single" (a file) or "multipart" (a directory)


@dataclasses.dataclass(frozen=True)
class StructuredDatasetRef:
    """A structured dataset (a dataframe) by reference: ``columns`` is ``((name, type name), ...)``, maybe empty."""

    uri: str
    format: str = ""
    columns: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class OffloadedRef:
    """A literal too large to be inline, stored at ``uri``. ``inferred_type`` is a ``LiteralType`` or None."""

    uri: str
    size_bytes: int = 0
    inferred_type: Any = dataclasses.field(default=None, hash=False)

    @property
    def type_name(self) -> str:
        return describe_type(self.inferred_type) if self.inferred_type is not None else "unknown"

    def __repr__(self) -> str:
        return f"OffloadedRef(uri={self.uri!r}, size_bytes={self.size_bytes}, inferred_type={self.type_name!r})"


@dataclasses.dataclass(frozen=True)
class LiteralError:
    """An error carried as a value (e.g. the output of a failure node)."""

    failed_node_id: str
    message: str


@dataclasses.dataclass(frozen=True)
class UnknownLiteral:
    """A literal this version cannot convert (empty, or a kind from a newer Flyte): ``literal`` is the raw proto."""

    literal: Any = dataclasses.field(hash=False)

    @property
    def kind(self) -> str:
        return _kind_path(self.literal)

    def __repr__(self) -> str:
        return f"UnknownLiteral(kind={self.kind!r})"


_REFS = (BlobRef, StructuredDatasetRef, OffloadedRef, LiteralError, UnknownLiteral)


class LiteralKeyError(KeyError, ValueError):
    """A name that is not in the resolver. A ``KeyError`` for mappings, a ``ValueError`` as flytekit raises."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------------------------------------------
# Kinds: the one dispatch key. A literal's kind is the leaf of its oneofs: "integer", "blob", "collection", ...
# --------------------------------------------------------------------------------------------------------------


def _kind(literal: Any) -> str:
    """The leaf oneof of a literal: a Primitive's field, else a Scalar's field, else a Literal's; "" if unset."""
    top = literal.WhichOneof("value")
    if top != "scalar":
        return top or ""
    scalar = literal.scalar.WhichOneof("value")
    if scalar != "primitive":
        return scalar or ""
    return literal.scalar.primitive.WhichOneof("value") or ""


def _kind_path(literal: Any) -> str:
    """Where the oneofs lead, for reprs: "scalar.primitive.<unset>", "<empty>", "scalar.<unknown field #12>"."""
    parts: list[str] = []
    msg = literal
    while True:
        which = msg.WhichOneof("value")
        if which is None:
            unknown = unknown_field_numbers(msg)
            if unknown:
                parts.append("<unknown field #" + ",".join(map(str, unknown)) + ">")
            else:
                parts.append("<unset>" if parts else "<empty>")
            return ".".join(parts)
        parts.append(which)
        if which not in ("scalar", "primitive"):
            return ".".join(parts)
        msg = getattr(msg, which)


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
    kind = _kind(literal)
    if kind == "binary":
        tag = literal.scalar.binary.tag
        return f"binary({tag})" if tag else "binary"
    if kind == "union":
        return f"union[{literal_kind(literal.scalar.union.value)}]"
    if kind not in _CONVERTERS:
        return "unknown"
    return _KIND_NAMES.get(kind, kind)


_SIMPLE_NAMES = {
    types_pb2.NONE: "none",
    types_pb2.INTEGER: "int",
    types_pb2.FLOAT: "float",
    types_pb2.STRING: "str",
    types_pb2.BOOLEAN: "bool",
    types_pb2.DATETIME: "datetime",
    types_pb2.DURATION: "timedelta",
    types_pb2.BINARY: "binary",
    types_pb2.ERROR: "error",
    types_pb2.STRUCT: "struct",
}

_DIMENSIONALITY = {types_pb2.BlobType.SINGLE: "single", types_pb2.BlobType.MULTIPART: "multipart"}

_SCHEMA_COLUMN_NAMES = {
    types_pb2.SchemaType.SchemaColumn.INTEGER: "int",
    types_pb2.SchemaType.SchemaColumn.FLOAT: "float",
    types_pb2.SchemaType.SchemaColumn.STRING: "str",
    types_pb2.SchemaType.SchemaColumn.BOOLEAN: "bool",
    types_pb2.SchemaType.SchemaColumn.DATETIME: "datetime",
    types_pb2.SchemaType.SchemaColumn.DURATION: "timedelta",
}


def describe_type(literal_type: Any) -> str:
    """A short, Python-like name for a ``LiteralType``: "int", "list[str]", "dict[str, float]", "blob(csv)"."""
    if literal_type is None:
        return "unknown"
    which = literal_type.WhichOneof("type")
    if which == "simple":
        name = _SIMPLE_NAMES.get(literal_type.simple, f"simple#{int(literal_type.simple)}")
        if name == "struct" and literal_type.structure.dataclass_type:
            return "dataclass"
        return name
    if which == "collection_type":
        return f"list[{describe_type(literal_type.collection_type)}]"
    if which == "map_value_type":
        return f"dict[str, {describe_type(literal_type.map_value_type)}]"
    if which == "union_type":
        return "union[" + ", ".join(describe_type(v) for v in literal_type.union_type.variants) + "]"
    if which == "enum_type":
        return "enum{" + ", ".join(literal_type.enum_type.values) + "}"
    if which == "blob":
        blob = literal_type.blob
        dim = "directory" if blob.dimensionality == types_pb2.BlobType.MULTIPART else "file"
        return f"{dim}({blob.format})" if blob.format else dim
    if which == "structured_dataset_type":
        fmt = literal_type.structured_dataset_type.format
        return f"structured_dataset({fmt})" if fmt else "structured_dataset"
    if which == "schema":
        return "schema"
    return "unknown"


# --------------------------------------------------------------------------------------------------------------
# Literal -> Python
# --------------------------------------------------------------------------------------------------------------


def to_python(literal: Any, literal_type: Any = None, as_type: Any = None) -> Any:
    """Convert one ``flyteidl.core.Literal`` to a Python value (see the module docstring for the table).

    ``literal_type`` (the interface ``Variable.type``) refines the conversion: datetimes and durations inside
    msgpack/Struct data, integers inside Struct data, a structured dataset's columns. ``as_type`` then coerces
    the value to a Python type, raising ``TypeError`` when it cannot.
    """
    literal = _as_proto(literal)
    value = _convert(literal, _as_proto(literal_type))
    if as_type is None:
        return value
    try:
        return _coerce(value, as_type)
    except _CoercionError as e:
        raise TypeError(f"cannot convert the {literal_kind(literal)} literal to {_type_name(as_type)}: {e}") from None


def _convert(literal: Any, literal_type: Any) -> Any:
    kind = _kind(literal)
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
        if simple == types_pb2.DURATION and _is_number(value):
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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------------------------
# as_type coercion
# --------------------------------------------------------------------------------------------------------------


class _CoercionError(Exception):
    """Internal: why a value cannot become a type; to_python turns it into a TypeError with the literal's kind."""


def _type_name(tp: Any) -> str:
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__qualname__ if tp.__module__ != "builtins" else tp.__name__
    return repr(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any) -> Any:
    if tp is None or tp is Any or tp is object:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _coerce(value, args[0])
    if origin is typing.Union or origin is types.UnionType:
        return _coerce_union(value, args)
    if tp is type(None):
        if value is None:
            return None
        raise _CoercionError(f"value is {_short(value)}, not None")
    if isinstance(value, _REFS) and not (isinstance(tp, type) and isinstance(value, tp)):
        raise _CoercionError(f"the value is a {type(value).__name__} (data is never downloaded)")
    if origin in (list, typing.List) or tp is list:  # noqa: UP006
        if not isinstance(value, list):
            raise _CoercionError(f"value is {_short(value)}, not a list")
        return [_coerce(v, args[0]) for v in value] if args else value
    if origin in (dict, typing.Dict) or tp is dict:  # noqa: UP006
        if not isinstance(value, dict):
            raise _CoercionError(f"value is {_short(value)}, not a dict")
        return {k: _coerce(v, args[1]) for k, v in value.items()} if len(args) == 2 else value
    if origin is not None:
        raise _CoercionError(f"{_type_name(tp)} is not supported")
    if not isinstance(tp, type):
        raise _CoercionError(f"{tp!r} is not a type")
    coercer = _SCALAR_COERCERS.get(tp)
    if coercer is not None:
        return coercer(value)
    if issubclass(tp, enum.Enum):
        return _coerce_enum(value, tp)
    if dataclasses.is_dataclass(tp):
        return _coerce_dataclass(value, tp)
    if isinstance(value, tp):
        return value
    if isinstance(value, dict) and hasattr(tp, "model_validate"):  # pydantic v2 models, encoded like dataclasses
        try:
            return tp.model_validate(value)
        except Exception as e:
            raise _CoercionError(str(e)) from e
    raise _CoercionError(f"value is {_short(value)}")


def _short(value: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _coerce_union(value: Any, args: tuple[Any, ...]) -> Any:
    if value is None:
        if type(None) in args:
            return None
        raise _CoercionError("value is None and the type is not Optional")
    candidates = [a for a in args if a is not type(None)]
    for arm in candidates:  # an exact match first: Union[float, int] keeps an int an int
        if isinstance(arm, type) and typing.get_origin(arm) is None and type(value) is arm:
            return value
    reasons = []
    for arm in candidates:
        try:
            return _coerce(value, arm)
        except _CoercionError as e:
            reasons.append(f"{_type_name(arm)}: {e}")
    raise _CoercionError("no variant fits (" + "; ".join(reasons) + ")")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _CoercionError(f"value is {_short(value)}")


def _to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _CoercionError(f"value is {_short(value)}")


def _to_float(value: Any) -> float:
    if _is_number(value):
        return float(value)
    raise _CoercionError(f"value is {_short(value)}")


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    raise _CoercionError(f"value is {_short(value)}")


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    raise _CoercionError(f"value is {_short(value)}")


def _to_datetime(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise _CoercionError(f"value is {_short(value)}")


def _to_date(value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise _CoercionError(f"value is {_short(value)}")


def _to_timedelta(value: Any) -> _dt.timedelta:
    if isinstance(value, _dt.timedelta):
        return value
    if _is_number(value) and math.isfinite(value):
        try:
            return _dt.timedelta(seconds=value)
        except OverflowError:
            raise _CoercionError(f"value is {_short(value)} seconds, past timedelta's range") from None
    raise _CoercionError(f"value is {_short(value)}")


_SCALAR_COERCERS: dict[type, Callable[[Any], Any]] = {
    bool: _to_bool,
    int: _to_int,
    float: _to_float,
    str: _to_str,
    bytes: _to_bytes,
    _dt.datetime: _to_datetime,
    _dt.date: _to_date,
    _dt.timedelta: _to_timedelta,
}


def _coerce_enum(value: Any, tp: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, tp):
        return value
    try:
        return tp(value)
    except ValueError:
        pass
    if isinstance(value, str) and value in tp.__members__:
        return tp[value]
    allowed = ", ".join(repr(m.value) for m in tp)
    raise _CoercionError(f"value is {_short(value)}, not one of {allowed}")


def _coerce_dataclass(value: Any, tp: type) -> Any:
    if isinstance(value, tp):
        return value
    if not isinstance(value, dict):
        raise _CoercionError(f"value is {_short(value)}, not a dict of fields")
    try:
        hints = typing.get_type_hints(tp)
    except Exception:  # unresolvable annotations: take the fields as they are
        hints = {}
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(tp):
        if not f.init or f.name not in value:
            continue
        try:
            kwargs[f.name] = _coerce(value[f.name], hints.get(f.name, Any))
        except _CoercionError as e:
            raise _CoercionError(f"field {f.name!r}: {e}") from None
    try:
        return tp(**kwargs)
    except TypeError as e:  # a required field is missing
        raise _CoercionError(str(e)) from None


# --------------------------------------------------------------------------------------------------------------
# Python -> Literal (signal values)
# --------------------------------------------------------------------------------------------------------------


def to_literal(value: Any, literal_type: Any = None) -> Any:
    """Build a ``flyteidl.core.Literal`` from a Python value, shaped by ``literal_type`` when it is given.

    With ``literal_type`` (a signal's type: ``Remote.set_signal`` passes it) the literal is the one FlyteAdmin
    and propeller expect for that type, and the value must fit it, else a ``ValueError`` names the value and the
    expected type (:func:`describe_type`'s name). What each type accepts (JSON values are what a view sends):

    =========================  ====================================================================================
    type                       accepted value -> literal
    =========================  ====================================================================================
    INTEGER                    ``int``, or a string of one (a browser's number holds only 53 bits) -> ``integer``
    FLOAT                      ``int`` or ``float`` -> ``float_value``
    STRING / BOOLEAN           ``str`` (or a str-valued enum member) / ``bool``
    DATETIME                   ``datetime``, ``date`` or an ISO-8601 string; naive means UTC -> ``datetime``
    DURATION                   ``timedelta`` or a number of seconds -> ``duration``
    NONE                       ``None`` -> ``none_type``
    STRUCT                     a ``dict`` of JSON data, a JSON object's text, or a dataclass -> a ``generic``
                               ``google.protobuf.Struct`` (its numbers are doubles, as in JSON)
    BINARY                     ``bytes`` -> an untagged ``binary``
    ``collection_type``        a list or tuple, element by element -> ``collection``
    ``map_value_type``         a ``dict`` with ``str`` keys, value by value -> ``map``
    ``enum_type``              one of its values (or an enum member with that value) -> a ``string_value``
    ``union_type``             the value of the variant of exactly its own kind, else of the first variant it fits,
                               wrapped as flytekit's ``UnionTransformer`` does: ``Union(value, type=variant)``
    ``blob`` / structured ds   a ``BlobRef`` / ``StructuredDatasetRef``, or a URI string (``s3://...``) typed as
                               the type declares it (format, dimensionality, columns); nothing is uploaded
    =========================  ====================================================================================

    Without ``literal_type`` the literal follows the value: bool, int, float, str, datetime (a naive one is taken
    as UTC; flytekit takes it as local time), date (midnight UTC, as flytekit), timedelta, None, an enum (its
    value), list, tuple, ``dict`` with ``str`` keys (a map), ``bytes`` (an untagged binary), ``BlobRef`` and
    ``StructuredDatasetRef``.
    """
    if literal_type is None:
        return _literal_from_value(value)
    literal_type = _as_proto(literal_type)
    try:
        return _literal_for_type(value, literal_type)
    except _CoercionError as e:
        raise ValueError(f"{_short(value)} does not fit the expected type {describe_type(literal_type)}: {e}") from None


def _scalar(**kwargs: Any) -> Any:
    return Literal(scalar=literals_pb2.Scalar(**kwargs))


def _primitive(**kwargs: Any) -> Any:
    return _scalar(primitive=literals_pb2.Primitive(**kwargs))


def _timestamp_literal(value: _dt.datetime | _dt.date) -> Any:
    if not isinstance(value, _dt.datetime):
        value = _dt.datetime.combine(value, _dt.time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    prim = literals_pb2.Primitive()
    prim.datetime.FromDatetime(value.astimezone(_UTC).replace(tzinfo=None))
    return _scalar(primitive=prim)


def _duration_literal(value: _dt.timedelta) -> Any:
    prim = literals_pb2.Primitive()
    prim.duration.FromTimedelta(value)
    return _scalar(primitive=prim)


def _literal_from_value(value: Any) -> Any:
    if value is None:
        return _scalar(none_type=literals_pb2.Void())
    if isinstance(value, enum.Enum):
        return _literal_from_value(value.value)
    if isinstance(value, bool):
        return _primitive(boolean=value)
    if isinstance(value, int):
        return _primitive(integer=value)
    if isinstance(value, float):
        return _primitive(float_value=value)
    if isinstance(value, str):
        return _primitive(string_value=value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return _timestamp_literal(value)
    if isinstance(value, _dt.timedelta):
        return _duration_literal(value)
    if isinstance(value, bytes):
        return _scalar(binary=literals_pb2.Binary(value=value))
    if isinstance(value, (list, tuple)):
        return Literal(collection=literals_pb2.LiteralCollection(literals=[_literal_from_value(v) for v in value]))
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise TypeError(f"a map literal needs str keys, got {_short(bad[0])}")
        return Literal(map=literals_pb2.LiteralMap(literals={k: _literal_from_value(v) for k, v in value.items()}))
    ref = _literal_from_ref(value)
    if ref is not None:
        return ref
    raise TypeError(f"cannot build a Flyte literal from {_short(value)}")


def _literal_from_ref(value: Any) -> Any:
    if isinstance(value, BlobRef):
        dim = types_pb2.BlobType.MULTIPART if value.dimensionality == "multipart" else types_pb2.BlobType.SINGLE
        blob_type = types_pb2.BlobType(format=value.format, dimensionality=dim)
        return _scalar(blob=literals_pb2.Blob(uri=value.uri, metadata=literals_pb2.BlobMetadata(type=blob_type)))
    if isinstance(value, StructuredDatasetRef):
        sd_type = types_pb2.StructuredDatasetType(format=value.format)
        meta = literals_pb2.StructuredDatasetMetadata(structured_dataset_type=sd_type)
        return _scalar(structured_dataset=literals_pb2.StructuredDataset(uri=value.uri, metadata=meta))
    if isinstance(value, LiteralError):
        return _scalar(error=types_pb2.Error(failed_node_id=value.failed_node_id, message=value.message))
    return None


_INT64 = range(-(2**63), 2**63)
_INTEGRAL_TEXT = re.compile(r"[-+]?\d+")


def _int64(value: Any) -> int:
    """An INTEGER signal's value: an int, or the text of one (a view sends whole numbers past 2**53 as text)."""
    if isinstance(value, str) and _INTEGRAL_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise _CoercionError("expected an int")
    if value not in _INT64:
        raise _CoercionError("expected an int that fits in 64 bits")
    return value


def _datetime_value(value: Any) -> _dt.datetime | _dt.date:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise _CoercionError("expected a datetime (or an ISO-8601 date and time)")


def _struct_literal(value: Any) -> Any:
    """A STRUCT literal: a ``generic`` Struct of JSON data. FlyteAdmin's SetSignal check takes it as a STRUCT (as it
    takes a msgpack-tagged ``binary``, which flytekit >= 1.14 writes for dicts), and every flytekit reads it back,
    into a dataclass too; a view's JSON maps onto it one to one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _CoercionError("expected a dict (or a JSON object's text)") from None
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if not isinstance(value, dict):
        raise _CoercionError("expected a dict (or a JSON object's text)")
    _check_json(value, "")
    struct = struct_pb2.Struct()
    struct.update(value)
    return _scalar(generic=struct)


def _check_json(value: Any, where: str) -> None:
    """Raise unless ``value`` is JSON data (what a Struct can hold), naming where the first bad part is."""
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, (int, float)):
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int past a double's range
            finite = False
        if not finite:
            raise _CoercionError(f"{where or 'the value'} is {_short(value)}, which a JSON number cannot hold")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _CoercionError(f"{where or 'the dict'} has the key {_short(key)}: JSON keys are strings")
            _check_json(item, f"{where}[{key!r}]")
        return
    raise _CoercionError(f"{where or 'the value'} is {_short(value)}, which is not JSON data")


def _literal_for_simple(value: Any, simple: int) -> Any:
    if simple == types_pb2.NONE:
        if value is None:
            return _scalar(none_type=literals_pb2.Void())
        raise _CoercionError("expected None")
    if value is None:
        raise _CoercionError("a value is required (None only fits an Optional type)")
    if simple == types_pb2.BOOLEAN:
        return _primitive(boolean=_expect(value, _to_bool, "a bool"))
    if simple == types_pb2.INTEGER:
        return _primitive(integer=_int64(value))
    if simple == types_pb2.FLOAT:
        return _primitive(float_value=_expect(value, _to_float, "a float"))
    if simple == types_pb2.STRING:
        return _primitive(string_value=_expect(value, _to_str, "a str"))
    if simple == types_pb2.DATETIME:
        return _timestamp_literal(_datetime_value(value))
    if simple == types_pb2.DURATION:
        return _duration_literal(_expect(value, _to_timedelta, "a timedelta (or a number of seconds)"))
    if simple == types_pb2.STRUCT:
        return _struct_literal(value)
    if simple == types_pb2.BINARY:
        return _scalar(binary=literals_pb2.Binary(value=_expect(value, _to_bytes, "bytes")))
    raise _CoercionError("values of this type cannot be built here")


def _expect(value: Any, convert: Callable[[Any], Any], what: str) -> Any:
    try:
        return convert(value)
    except _CoercionError:
        raise _CoercionError(f"expected {what}") from None


def _literal_for_type(value: Any, literal_type: Any) -> Any:
    which = literal_type.WhichOneof("type")
    if which == "simple":
        return _literal_for_simple(value, literal_type.simple)
    if which == "enum_type":
        raw = value.value if isinstance(value, enum.Enum) else value
        allowed = list(literal_type.enum_type.values)
        if not isinstance(raw, str) or raw not in allowed:
            raise _CoercionError("expected one of " + ", ".join(repr(v) for v in allowed))
        return _primitive(string_value=raw)  # flytekit's EnumTransformer: the value as a string primitive
    if which == "collection_type":
        if not isinstance(value, (list, tuple)):
            raise _CoercionError("expected a list")
        items = [_within(f"item {i}", v, literal_type.collection_type) for i, v in enumerate(value)]
        return Literal(collection=literals_pb2.LiteralCollection(literals=items))
    if which == "map_value_type":
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise _CoercionError("expected a dict with str keys")
        entries = {k: _within(f"key {k!r}", v, literal_type.map_value_type) for k, v in value.items()}
        return Literal(map=literals_pb2.LiteralMap(literals=entries))
    if which == "union_type":
        return _literal_for_union(value, literal_type.union_type.variants)
    if which in ("blob", "structured_dataset_type"):
        wanted = BlobRef if which == "blob" else StructuredDatasetRef
        if isinstance(value, wanted):
            return _literal_from_ref(value)
        if isinstance(value, str):
            return _data_ref_literal(value, literal_type, which)
        raise _CoercionError(f"expected a URI such as s3://bucket/key, or a {wanted.__name__} (nothing is uploaded)")
    raise _CoercionError("values of this type cannot be built here")


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def _data_ref_literal(uri: str, literal_type: Any, which: str) -> Any:
    """A blob or structured dataset by its URI (a form's text), typed as ``literal_type`` says: the blob's format
    and dimensionality, the dataset's format and columns, so FlyteAdmin's cast check sees the declared type."""
    uri = uri.strip()
    if not _URI.fullmatch(uri):
        raise _CoercionError("expected a URI such as s3://bucket/key (nothing is uploaded)")
    if which == "blob":
        return _scalar(blob=literals_pb2.Blob(uri=uri, metadata=literals_pb2.BlobMetadata(type=literal_type.blob)))
    meta = literals_pb2.StructuredDatasetMetadata(structured_dataset_type=literal_type.structured_dataset_type)
    return _scalar(structured_dataset=literals_pb2.StructuredDataset(uri=uri, metadata=meta))


def _within(where: str, value: Any, literal_type: Any) -> Any:
    """One element of a list or map: its failure names where it is."""
    try:
        return _literal_for_type(value, literal_type)
    except _CoercionError as e:
        raise _CoercionError(f"{where}: {e}") from None


def _literal_for_union(value: Any, variants: Any) -> Any:
    """The value as flytekit's ``UnionTransformer`` stores it: ``Scalar.union`` holding the variant's literal and
    the variant's own ``LiteralType`` (with its ``structure.tag``, which flytekit reads back to pick the variant)."""

    def wrap(inner: Any, variant: Any) -> Any:
        return _scalar(union=literals_pb2.Union(value=inner, type=variant))

    # A variant of exactly the value's own kind first, so Union[float, int] keeps 3 an integer and a str stays a str
    # next to an enum that has it as a value (flytekit prefers str there too).
    own = _own_kind(value)
    for variant in variants:
        if own and variant.WhichOneof("type") == "simple" and _SIMPLE_KIND.get(variant.simple) == own:
            try:
                return wrap(_literal_for_type(value, variant), variant)
            except _CoercionError:
                break  # e.g. an int past 64 bits: the loop below says why for every variant
    reasons = []
    for variant in variants:
        try:
            return wrap(_literal_for_type(value, variant), variant)
        except _CoercionError as e:
            reasons.append(f"{describe_type(variant)}: {e}")
    raise _CoercionError("it fits none of the variants (" + "; ".join(reasons) + ")")


_SIMPLE_KIND = {
    types_pb2.NONE: "none_type",
    types_pb2.INTEGER: "integer",
    types_pb2.FLOAT: "float_value",
    types_pb2.STRING: "string_value",
    types_pb2.BOOLEAN: "boolean",
    types_pb2.DATETIME: "datetime",
    types_pb2.DURATION: "duration",
}


def _own_kind(value: Any) -> str:
    """The literal kind a simple Python value has by itself ("" for anything else)."""
    if value is None:
        return "none_type"
    for python_type, kind in _OWN_KINDS:
        if isinstance(value, python_type):
            return kind
    return ""


_OWN_KINDS: tuple[tuple[type, str], ...] = (  # bool before int, datetime before date: subclasses first
    (bool, "boolean"),
    (int, "integer"),
    (float, "float_value"),
    (str, "string_value"),
    (_dt.datetime, "datetime"),
    (_dt.timedelta, "duration"),
)


def _as_proto(message: Any) -> Any:
    """Accept flytekit model objects too (they have ``to_flyte_idl()``); protobuf messages pass through."""
    to_idl = getattr(message, "to_flyte_idl", None)
    return to_idl() if callable(to_idl) else message


# --------------------------------------------------------------------------------------------------------------
# The resolver
# --------------------------------------------------------------------------------------------------------------

_MISSING: Any = object()


class LiteralsResolver(Mapping[str, Any]):
    """A read-only, lazy ``Mapping[str, Any]`` over a ``LiteralMap``, like flytekit's ``LiteralsResolver``.

    ``resolver["x"]`` converts ``x`` on first access and caches it; ``resolver.get("x", as_type=T)`` converts
    with a Python type (cached per type). Without ``as_type`` a value comes out as the literal (guided by
    ``variable_map``'s types) says, or as ``type_hints[name]`` says when a hint was given.

    Differences from flytekit: a missing name raises ``LiteralKeyError`` (both a ``KeyError`` and a
    ``ValueError``) from ``[]`` and ``get`` (flytekit raises ``ValueError`` / ``AttributeError``); ``get`` with
    ``default=`` returns the default for a missing name; no ``variable_map`` or type is needed to convert; blobs
    and datasets come back as references (``BlobRef``, ``StructuredDatasetRef``), never downloaded.
    """

    def __init__(
        self,
        literals: Any,
        variable_map: Mapping[str, Any] | None = None,
        type_hints: Mapping[str, Any] | None = None,
    ) -> None:
        if literals is None:
            raise ValueError("LiteralsResolver needs a LiteralMap or a mapping of name -> Literal, not None")
        literals = _as_proto(literals)
        if isinstance(literals, LiteralMap):  # a protobuf map has no order: sort it
            items = dict(sorted(literals.literals.items()))
        elif isinstance(literals, Mapping):
            items = dict(literals)
        else:
            raise TypeError(
                f"LiteralsResolver needs a LiteralMap or a mapping of name -> Literal, not {_short(literals)}"
            )
        if variable_map is not None and hasattr(variable_map, "variables"):  # a VariableMap proto
            variable_map = variable_map.variables
        if variable_map:  # the interface's order first (o0, o1, ...), then the rest
            items = {**{k: items[k] for k in variable_map if k in items}, **items}
        self._literals: dict[str, Any] = {name: _as_proto(lit) for name, lit in items.items()}
        self._variable_map = variable_map
        self._type_hints: dict[str, Any] = dict(type_hints or {})
        self._cache: dict[tuple[str, Any], Any] = {}

    # -- Mapping ---------------------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._literals)

    def __len__(self) -> int:
        return len(self._literals)

    def __contains__(self, key: object) -> bool:
        return key in self._literals

    # -- flytekit's API --------------------------------------------------------------------------------------
    def get(self, attr: str, as_type: Any = None, *, default: Any = _MISSING) -> Any:
        """The Python value of ``attr``, converted with ``as_type`` (else the type hint for ``attr``, if any).

        Raises ``LiteralKeyError`` naming the available keys when ``attr`` is missing (unless ``default`` is
        given), and ``TypeError`` naming the key, the literal's kind and the type when it cannot be converted.
        """
        if attr not in self._literals:
            if default is not _MISSING:
                return default
            raise LiteralKeyError(self._missing_message(attr))
        if as_type is None:
            as_type = self._type_hints.get(attr)
        cache_key = (attr, as_type)
        try:
            return self._cache[cache_key]
        except KeyError:
            pass
        except TypeError:  # an unhashable as_type: convert without caching
            return self._convert(attr, as_type)
        value = self._convert(attr, as_type)
        self._cache[cache_key] = value
        return value

    def _convert(self, attr: str, as_type: Any) -> Any:
        try:
            return to_python(self._literals[attr], self._literal_type(attr), as_type)
        except TypeError as e:
            raise TypeError(f"{attr!r}: {e}") from None

    def _literal_type(self, attr: str) -> Any:
        if not self._variable_map or attr not in self._variable_map:
            return None
        var = _as_proto(self._variable_map[attr])
        if isinstance(var, LiteralType):
            return var
        return var.type if var.HasField("type") else None

    def _missing_message(self, attr: str) -> str:
        available = ", ".join(repr(k) for k in self._literals) or "none"
        return f"no literal named {attr!r}; available: {available}"

    def get_literal(self, key: str) -> Any:
        """The raw ``Literal`` proto of ``key``."""
        if key not in self._literals:
            raise LiteralKeyError(self._missing_message(key))
        return self._literals[key]

    @property
    def literals(self) -> dict[str, Any]:
        """The raw ``Literal`` protos by name (a copy of the mapping; the protos themselves are shared)."""
        return dict(self._literals)

    @property
    def variable_map(self) -> Mapping[str, Any] | None:
        return self._variable_map

    @property
    def type_hints(self) -> dict[str, Any]:
        return dict(self._type_hints)

    def update_type_hints(self, type_hints: Mapping[str, Any]) -> None:
        """Add or replace type hints (as flytekit's), for the values read from now on."""
        self._type_hints.update(type_hints)

    def native(self) -> dict[str, Any]:
        """Every value converted (with the type hints), as a plain dict."""
        return {name: self[name] for name in self._literals}

    # -- display ---------------------------------------------------------------------------------------------
    _REPR_MAX_KEYS = 12

    def __repr__(self) -> str:
        shown = list(self._literals.items())[: self._REPR_MAX_KEYS]
        # the names are the server's text, shown in text/plain: printable
        parts = [f"{printable(name)}: {self._kind_label(name, lit)}" for name, lit in shown]
        if len(self._literals) > len(shown):
            parts.append(f"... {len(self._literals) - len(shown)} more")
        return "LiteralsResolver(" + ", ".join(parts) + ")"

    __str__ = __repr__

    def _kind_label(self, name: str, literal: Any) -> str:
        kind = literal_kind(literal)
        if kind in ("list", "dict"):
            size = len(literal.collection.literals) if kind == "list" else len(literal.map.literals)
            return f"{kind}({size})"
        return kind
