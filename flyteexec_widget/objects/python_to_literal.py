"""Python -> Literal: :func:`to_literal`, for signal values and launch inputs."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import math
import re
from collections.abc import Callable
from typing import Any

from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import struct_pb2

from .coerce import CoercionError, describe_value, to_bool, to_bytes, to_float, to_str, to_timedelta
from .literal_refs import BlobRef, LiteralError, StructuredDatasetRef
from .literal_types import as_proto, describe_type

__all__ = ["to_literal"]

Literal = literals_pb2.Literal

_UTC = _dt.timezone.utc


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
    literal_type = as_proto(literal_type)
    try:
        return _literal_for_type(value, literal_type)
    except CoercionError as e:
        expected = describe_type(literal_type)
        raise ValueError(f"{describe_value(value)} does not fit the expected type {expected}: {e}") from None


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
            raise TypeError(f"a map literal needs str keys, got {describe_value(bad[0])}")
        return Literal(map=literals_pb2.LiteralMap(literals={k: _literal_from_value(v) for k, v in value.items()}))
    ref = _literal_from_ref(value)
    if ref is not None:
        return ref
    raise TypeError(f"cannot build a Flyte literal from {describe_value(value)}")


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
        raise CoercionError("expected an int")
    if value not in _INT64:
        raise CoercionError("expected an int that fits in 64 bits")
    return value


def _datetime_value(value: Any) -> _dt.datetime | _dt.date:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise CoercionError("expected a datetime (or an ISO-8601 date and time)")


def _struct_literal(value: Any) -> Any:
    """A STRUCT literal: a ``generic`` Struct of JSON data. FlyteAdmin's SetSignal check takes it as a STRUCT (as it
    takes a msgpack-tagged ``binary``, which flytekit >= 1.14 writes for dicts), and every flytekit reads it back,
    into a dataclass too; a view's JSON maps onto it one to one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise CoercionError("expected a dict (or a JSON object's text)") from None
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if not isinstance(value, dict):
        raise CoercionError("expected a dict (or a JSON object's text)")
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
            raise CoercionError(f"{where or 'the value'} is {describe_value(value)}, which a JSON number cannot hold")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CoercionError(f"{where or 'the dict'} has the key {describe_value(key)}: JSON keys are strings")
            _check_json(item, f"{where}[{key!r}]")
        return
    raise CoercionError(f"{where or 'the value'} is {describe_value(value)}, which is not JSON data")


def _literal_for_simple(value: Any, simple: int) -> Any:
    if simple == types_pb2.NONE:
        if value is None:
            return _scalar(none_type=literals_pb2.Void())
        raise CoercionError("expected None")
    if value is None:
        raise CoercionError("a value is required (None only fits an Optional type)")
    if simple == types_pb2.BOOLEAN:
        return _primitive(boolean=_expect(value, to_bool, "a bool"))
    if simple == types_pb2.INTEGER:
        return _primitive(integer=_int64(value))
    if simple == types_pb2.FLOAT:
        return _primitive(float_value=_expect(value, to_float, "a float"))
    if simple == types_pb2.STRING:
        return _primitive(string_value=_expect(value, to_str, "a str"))
    if simple == types_pb2.DATETIME:
        return _timestamp_literal(_datetime_value(value))
    if simple == types_pb2.DURATION:
        return _duration_literal(_expect(value, to_timedelta, "a timedelta (or a number of seconds)"))
    if simple == types_pb2.STRUCT:
        return _struct_literal(value)
    if simple == types_pb2.BINARY:
        return _scalar(binary=literals_pb2.Binary(value=_expect(value, to_bytes, "bytes")))
    raise CoercionError("values of this type cannot be built here")


def _expect(value: Any, convert: Callable[[Any], Any], what: str) -> Any:
    try:
        return convert(value)
    except CoercionError:
        raise CoercionError(f"expected {what}") from None


def _literal_for_type(value: Any, literal_type: Any) -> Any:
    which = literal_type.WhichOneof("type")
    if which == "simple":
        return _literal_for_simple(value, literal_type.simple)
    if which == "enum_type":
        raw = value.value if isinstance(value, enum.Enum) else value
        allowed = list(literal_type.enum_type.values)
        if not isinstance(raw, str) or raw not in allowed:
            raise CoercionError("expected one of " + ", ".join(repr(v) for v in allowed))
        return _primitive(string_value=raw)  # flytekit's EnumTransformer: the value as a string primitive
    if which == "collection_type":
        if not isinstance(value, (list, tuple)):
            raise CoercionError("expected a list")
        items = [_within(f"item {i}", v, literal_type.collection_type) for i, v in enumerate(value)]
        return Literal(collection=literals_pb2.LiteralCollection(literals=items))
    if which == "map_value_type":
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise CoercionError("expected a dict with str keys")
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
        raise CoercionError(f"expected a URI such as s3://bucket/key, or a {wanted.__name__} (nothing is uploaded)")
    raise CoercionError("values of this type cannot be built here")


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def _data_ref_literal(uri: str, literal_type: Any, which: str) -> Any:
    """A blob or structured dataset by its URI (a form's text), typed as ``literal_type`` says: the blob's format
    and dimensionality, the dataset's format and columns, so FlyteAdmin's cast check sees the declared type."""
    uri = uri.strip()
    if not _URI.fullmatch(uri):
        raise CoercionError("expected a URI such as s3://bucket/key (nothing is uploaded)")
    if which == "blob":
        return _scalar(blob=literals_pb2.Blob(uri=uri, metadata=literals_pb2.BlobMetadata(type=literal_type.blob)))
    meta = literals_pb2.StructuredDatasetMetadata(structured_dataset_type=literal_type.structured_dataset_type)
    return _scalar(structured_dataset=literals_pb2.StructuredDataset(uri=uri, metadata=meta))


def _within(where: str, value: Any, literal_type: Any) -> Any:
    """One element of a list or map: its failure names where it is."""
    try:
        return _literal_for_type(value, literal_type)
    except CoercionError as e:
        raise CoercionError(f"{where}: {e}") from None


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
            except CoercionError:
                break  # e.g. an int past 64 bits: the loop below says why for every variant
    reasons = []
    for variant in variants:
        try:
            return wrap(_literal_for_type(value, variant), variant)
        except CoercionError as e:
            reasons.append(f"{describe_type(variant)}: {e}")
    raise CoercionError("it fits none of the variants (" + "; ".join(reasons) + ")")


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
