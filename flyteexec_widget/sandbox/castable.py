"""FlyteAdmin's check of a SetSignal value against the signal's type: propeller's type-casting rules, ported.

FlyteAdmin (``flyteadmin/pkg/manager/impl/validation/signal_validator.go``, ``ValidateSignalSetRequest``, on
flyteorg/flyte master) infers the value's type with ``LiteralTypeForLiteral``, refuses an unknown one
(``ValidateLiteralType``), then requires ``AreTypesCastable(signal type, value type)``; both come from
``flytepropeller/pkg/compiler/validators`` (``utils.go``, ``typing.go``), ported here as they are written.

Note the order of that call: the signal's type is the *upstream* (producer) side and the value's the
*downstream* one, the reverse of a binding. What follows from it, and therefore from FlyteAdmin itself:

- a STRUCT signal takes a ``generic`` Struct or a msgpack-tagged ``binary``; a map literal is refused;
- an enum signal takes a string primitive;
- a signal of a union of two or more variants (``Optional[T]`` included) refuses every value: a ``Scalar.union``
  carries one variant, and each of the signal's variants would have to cast to it;
- an empty list is refused for a list signal (the "an empty collection matches anything" rule looks at the
  upstream side, here the signal).
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import text_format

__all__ = ["are_types_castable", "literal_type_for_literal", "validate_literal_type"]

_MSGPACK_TAG = "msgpack"  # coreutils.MESSAGEPACK

_PRIMITIVE_TYPES = {
    "integer": types_pb2.INTEGER,
    "float_value": types_pb2.FLOAT,
    "string_value": types_pb2.STRING,
    "boolean": types_pb2.BOOLEAN,
    "datetime": types_pb2.DATETIME,
    "duration": types_pb2.DURATION,
}


def _simple(simple: int) -> types_pb2.LiteralType:
    return types_pb2.LiteralType(simple=simple)


# --------------------------------------------------------------------------------------------------------------
# utils.go: the type of a value
# --------------------------------------------------------------------------------------------------------------


def literal_type_for_literal(literal: literals_pb2.Literal) -> types_pb2.LiteralType | None:
    """``LiteralTypeForLiteral``: the type a literal has by itself; None for an empty or unknown literal."""
    which = literal.WhichOneof("value")
    if which == "scalar":
        return _literal_type_for_scalar(literal.scalar)
    if which == "collection":
        return types_pb2.LiteralType(collection_type=_literal_type_for_literals(list(literal.collection.literals)))
    if which == "map":
        return types_pb2.LiteralType(map_value_type=_literal_type_for_literals(list(literal.map.literals.values())))
    if which == "offloaded_metadata":
        meta = literal.offloaded_metadata
        return meta.inferred_type if meta.HasField("inferred_type") else None
    return None


def _literal_type_for_scalar(scalar: literals_pb2.Scalar) -> types_pb2.LiteralType | None:
    which = scalar.WhichOneof("value")
    if which == "primitive":  # an unset primitive is NONE, as Go's switch default leaves it
        return _simple(_PRIMITIVE_TYPES.get(scalar.primitive.WhichOneof("value") or "", types_pb2.NONE))
    if which == "blob":
        return types_pb2.LiteralType(blob=scalar.blob.metadata.type) if scalar.blob.HasField("metadata") else None
    if which == "binary":  # RFC 5741: a msgpack-tagged binary is a dict / dataclass / BaseModel, so a STRUCT
        return _simple(types_pb2.STRUCT if scalar.binary.tag == _MSGPACK_TAG else types_pb2.BINARY)
    if which == "schema":
        return types_pb2.LiteralType(schema=scalar.schema.type)
    if which == "structured_dataset":
        sd = scalar.structured_dataset
        if not sd.HasField("metadata"):
            return types_pb2.LiteralType(structured_dataset_type=types_pb2.StructuredDatasetType())
        return types_pb2.LiteralType(structured_dataset_type=sd.metadata.structured_dataset_type)
    if which == "none_type":
        return _simple(types_pb2.NONE)
    if which == "error":
        return _simple(types_pb2.ERROR)
    if which == "generic":
        return _simple(types_pb2.STRUCT)
    if which == "union":
        return types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=[scalar.union.type]))
    return None


def _key(lt: types_pb2.LiteralType | None) -> str:
    """What Go compares and sorts by (``String()``); None is Go's nil."""
    return "<nil>" if lt is None else text_format.MessageToString(lt, as_one_line=True)


def _literal_type_for_literals(literals: list[literals_pb2.Literal]) -> types_pb2.LiteralType:
    """``literalTypeForLiterals``: the one element type, NONE for none, else a union of the distinct types."""
    inner: list[types_pb2.LiteralType | None] = []
    seen: set[str] = set()
    none_type: types_pb2.LiteralType | None = None
    for item in literals:
        other = literal_type_for_literal(item)
        if item.WhichOneof("value") == "collection" and not item.collection.literals:
            none_type = other  # an empty nested list says nothing about the element type
            continue
        if _key(other) not in seen:
            inner.append(other)
            seen.add(_key(other))
    if not inner and none_type is not None:
        inner.append(none_type)
    if not inner:
        return _simple(types_pb2.NONE)
    if len(inner) == 1:
        return inner[0] or types_pb2.LiteralType()
    inner.sort(key=_key)
    return _build_multiple_type_union(inner)


def _build_multiple_type_union(inner: list[types_pb2.LiteralType | None]) -> types_pb2.LiteralType:
    variants: list[types_pb2.LiteralType] = []
    nested = False
    for x in inner:
        if x is not None and x.collection_type.WhichOneof("type") == "union_type":
            nested = True
            variants.extend(x.collection_type.union_type.variants)
        else:
            variants.append(x or types_pb2.LiteralType())
    union = types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=variants))
    return types_pb2.LiteralType(collection_type=union) if nested else union


def validate_literal_type(lt: types_pb2.LiteralType | None) -> str:
    """``ValidateLiteralType``: "" when the inferred type is known all the way down, else why not."""
    while lt is not None:
        which = lt.WhichOneof("type")
        if which == "collection_type":
            lt = lt.collection_type
        elif which == "map_value_type":
            lt = lt.map_value_type
        else:
            return "" if which else "got unknown literal type"
    return "got unknown literal type"


# --------------------------------------------------------------------------------------------------------------
# typing.go: may a value of ``upstream`` type flow where ``downstream`` is expected
# --------------------------------------------------------------------------------------------------------------


def are_types_castable(upstream: types_pb2.LiteralType, downstream: types_pb2.LiteralType) -> bool:
    """``AreTypesCastable(upstream, downstream)``."""
    variants = upstream.union_type.variants if upstream.WhichOneof("type") == "union_type" else []
    if len(variants) == 1 and _casts_from(downstream, variants[0]):  # a singular union is also its one variant
        return True
    return _casts_from(downstream, upstream)


def _is_none(lt: types_pb2.LiteralType | None) -> bool:
    return lt is not None and lt.WhichOneof("type") == "simple" and lt.simple == types_pb2.NONE


def _sub(lt: types_pb2.LiteralType, field: str) -> Any:
    """Go's ``lt.GetX()``: the sub-message when that oneof is set, else nil."""
    return getattr(lt, field) if lt.WhichOneof("type") == field else None


def _casts_from(downstream: types_pb2.LiteralType, upstream: types_pb2.LiteralType) -> bool:
    """``getTypeChecker(downstream).CastsFrom(upstream)``."""
    which = downstream.WhichOneof("type")
    if which == "collection_type":
        inner = _sub(upstream, "collection_type")
        if _is_none(inner):  # "empty collections match any collection": the upstream's, here the signal's
            return True
        return inner is not None and _casts_from(downstream.collection_type, inner)
    if which == "map_value_type":
        inner = _sub(upstream, "map_value_type")
        if _is_none(inner):
            return True
        return inner is not None and _casts_from(downstream.map_value_type, inner)
    if which == "blob":
        blob = _sub(upstream, "blob")
        if blob is None:
            return False
        return not blob.format or not downstream.blob.format or bool(blob.format == downstream.blob.format)
    if which == "schema":
        return _schema_casts_from(downstream.schema, upstream)
    if which == "union_type":
        return _union_casts_from(downstream.union_type, upstream)
    if which == "structured_dataset_type":
        return _structured_dataset_casts_from(downstream.structured_dataset_type, upstream)
    if _is_none(downstream):
        return _is_none(upstream)
    return _trivial_casts_from(downstream, upstream)


def _trivial_casts_from(downstream: types_pb2.LiteralType, upstream: types_pb2.LiteralType) -> bool:
    if upstream.WhichOneof("type") == "enum_type" and _simple_of(downstream) == types_pb2.STRING:
        return True  # an enum can be consumed as a string
    if downstream.WhichOneof("type") == "enum_type" and _simple_of(upstream) == types_pb2.STRING:
        return True  # and built from one: enums are constrained strings
    if upstream.structure.tag and downstream.structure.tag != upstream.structure.tag:
        return False
    if _simple_of(upstream) == types_pb2.STRUCT and _simple_of(downstream) == types_pb2.STRUCT:
        # Go compares the two JSON schemas in ``metadata`` only when both have one; an inferred value type never
        # has one, so for SetSignal this is always true (Go's same-or-supertype schema test is only an equality
        # here).
        if not upstream.HasField("metadata") or not downstream.HasField("metadata"):
            return True
        return bool(upstream.metadata == downstream.metadata)
    return bool(_without_decorations(upstream) == _without_decorations(downstream))


def _simple_of(lt: types_pb2.LiteralType) -> int | None:
    return lt.simple if lt.WhichOneof("type") == "simple" else None


def _without_decorations(lt: types_pb2.LiteralType) -> types_pb2.LiteralType:
    """The type without ``structure``, ``metadata`` and ``annotation``, which Go ignores when comparing."""
    copy = types_pb2.LiteralType()
    copy.CopyFrom(lt)
    for field in ("structure", "metadata", "annotation"):
        copy.ClearField(field)
    return copy


def _union_casts_from(downstream: types_pb2.UnionType, upstream: types_pb2.LiteralType) -> bool:
    upstream_union = _sub(upstream, "union_type")
    if upstream_union is not None:  # every upstream variant must find a compatible downstream variant
        return all(any(are_types_castable(u, d) for d in downstream.variants) for u in upstream_union.variants)
    matches = sum(1 for d in downstream.variants if are_types_castable(upstream, d))
    return matches == 1  # only if one variant can be selected unambiguously


def _schema_casts_from(downstream: types_pb2.SchemaType, upstream: types_pb2.LiteralType) -> bool:
    schema = _sub(upstream, "schema")
    sd = _sub(upstream, "structured_dataset_type")
    if schema is None and sd is None:
        return False
    if schema is not None:
        if not schema.columns or not downstream.columns:
            return True
        have = {c.name: c.type for c in schema.columns}
        return all(have.get(c.name) == c.type for c in downstream.columns)
    if sd.format and sd.format.lower() != "parquet":  # a FlyteSchema is only ever parquet
        return False
    if not sd.columns or not downstream.columns:
        return True
    have_simple = {c.name: _simple_of(c.literal_type) for c in sd.columns}
    return all(c.name in have_simple and _column_matches(c.type, have_simple[c.name]) for c in downstream.columns)


def _structured_dataset_casts_from(
    downstream: types_pb2.StructuredDatasetType, upstream: types_pb2.LiteralType
) -> bool:
    if _is_none(upstream):  # structured datasets are nullable
        return True
    sd = _sub(upstream, "structured_dataset_type")
    schema = _sub(upstream, "schema")
    if sd is None and schema is None:
        return False
    if schema is not None:
        if downstream.format and downstream.format.lower() != "parquet":
            return False
        if not schema.columns or not downstream.columns:
            return True
        have_type = {c.name: c.type for c in schema.columns}
        return all(
            c.name in have_type and _column_matches(have_type[c.name], _simple_of(c.literal_type))
            for c in downstream.columns
        )
    if sd.format and downstream.format and sd.format.lower() != downstream.format.lower():
        return False
    if not sd.columns or not downstream.columns:
        return True
    have = {c.name: c.literal_type for c in sd.columns}
    return all(c.name in have and _casts_from(c.literal_type, have[c.name]) for c in downstream.columns)


_SCHEMA_COLUMN_SIMPLE = {
    types_pb2.SchemaType.SchemaColumn.INTEGER: types_pb2.INTEGER,
    types_pb2.SchemaType.SchemaColumn.FLOAT: types_pb2.FLOAT,
    types_pb2.SchemaType.SchemaColumn.STRING: types_pb2.STRING,
    types_pb2.SchemaType.SchemaColumn.BOOLEAN: types_pb2.BOOLEAN,
    types_pb2.SchemaType.SchemaColumn.DATETIME: types_pb2.DATETIME,
    types_pb2.SchemaType.SchemaColumn.DURATION: types_pb2.DURATION,
}


def _column_matches(schema_column_type: int, simple: int | None) -> bool:
    """``schemaTypeIsMatchStructuredDatasetType``."""
    wanted = _SCHEMA_COLUMN_SIMPLE.get(schema_column_type)
    return wanted is not None and wanted == simple
