"""objects.literals and its sibling modules (literal_to_python, python_to_literal, coerce, literal_refs,
literal_types): every literal kind on hand-built flyteidl protos, the resolver's mapping contract and laziness,
as_type coercions, to_literal, and (marker ``flytekit``) the same values as flytekit's TypeEngine/LiteralsResolver.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import typing
from typing import Any

import msgpack
import pytest
from flyteidl.core import interface_pb2, literals_pb2, types_pb2
from google.protobuf import struct_pb2

from flyteexec_widget.objects.literal_refs import (
    BlobRef,
    LiteralError,
    OffloadedRef,
    StructuredDatasetRef,
    UnknownLiteral,
)
from flyteexec_widget.objects.literal_to_python import literal_kind, to_python
from flyteexec_widget.objects.literal_types import describe_type
from flyteexec_widget.objects.literals import LiteralKeyError, LiteralsResolver
from flyteexec_widget.objects.python_to_literal import to_literal

UTC = dt.timezone.utc
L = literals_pb2
T = types_pb2


# ---------------------------------------------------------------------------------------------------------------
# builders
# ---------------------------------------------------------------------------------------------------------------


def prim(**kw: Any) -> literals_pb2.Literal:
    return L.Literal(scalar=L.Scalar(primitive=L.Primitive(**kw)))


def scalar(**kw: Any) -> literals_pb2.Literal:
    return L.Literal(scalar=L.Scalar(**kw))


def collection(*items: literals_pb2.Literal) -> literals_pb2.Literal:
    return L.Literal(collection=L.LiteralCollection(literals=list(items)))


def lmap(**items: literals_pb2.Literal) -> literals_pb2.Literal:
    return L.Literal(map=L.LiteralMap(literals=items))


def msgpack_literal(value: Any) -> literals_pb2.Literal:
    return scalar(binary=L.Binary(value=msgpack.packb(value), tag="msgpack"))


def simple(s: int) -> types_pb2.LiteralType:
    return T.LiteralType(simple=s)


def undecodable() -> literals_pb2.Literal:
    """A binary tagged msgpack that is not msgpack: converting it raises."""
    return scalar(binary=L.Binary(value=b"\xc1", tag="msgpack"))


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Inner:
    a: int
    b: str


@dataclasses.dataclass
class Outer:
    x: int
    y: float
    inner: Inner
    items: list[int]
    scores: dict[str, float]
    when: dt.datetime
    took: dt.timedelta
    maybe: int | None = None
    color: Color = Color.RED


# ---------------------------------------------------------------------------------------------------------------
# to_python: every kind on hand-built protos
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (prim(integer=42), 42),
        (prim(integer=-(2**62)), -(2**62)),
        (prim(float_value=1.25), 1.25),
        (prim(string_value="héllo"), "héllo"),
        (prim(string_value=""), ""),
        (prim(boolean=True), True),
        (prim(boolean=False), False),
        (scalar(none_type=L.Void()), None),
    ],
)
def test_primitives(literal: literals_pb2.Literal, expected: Any) -> None:
    value = to_python(literal)
    assert value == expected
    assert type(value) is type(expected)


def test_datetime_is_aware_utc_and_keeps_microseconds() -> None:
    lit = L.Literal(scalar=L.Scalar(primitive=L.Primitive()))
    lit.scalar.primitive.datetime.seconds = 1_704_164_645
    lit.scalar.primitive.datetime.nanos = 123_456_789
    value = to_python(lit)
    assert value == dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert value.tzinfo is UTC


def test_datetime_before_the_epoch() -> None:
    lit = L.Literal(scalar=L.Scalar(primitive=L.Primitive()))
    lit.scalar.primitive.datetime.FromDatetime(dt.datetime(1901, 5, 6, 7, 8, 9))
    assert to_python(lit) == dt.datetime(1901, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_datetime_out_of_range_is_a_clear_error() -> None:
    lit = L.Literal(scalar=L.Scalar(primitive=L.Primitive()))
    lit.scalar.primitive.datetime.seconds = 10**12
    with pytest.raises(ValueError, match="outside Python's datetime range"):
        to_python(lit)


def test_duration_is_timedelta() -> None:
    lit = L.Literal(scalar=L.Scalar(primitive=L.Primitive()))
    lit.scalar.primitive.duration.FromTimedelta(dt.timedelta(hours=1, seconds=3, microseconds=500))
    assert to_python(lit) == dt.timedelta(hours=1, seconds=3, microseconds=500)
    lit.scalar.primitive.duration.FromTimedelta(dt.timedelta(seconds=-1.5))
    assert to_python(lit) == dt.timedelta(seconds=-1.5)


def test_collections_and_maps_nest() -> None:
    lit = lmap(
        nums=collection(prim(integer=1), prim(integer=2)),
        nested=collection(lmap(a=prim(string_value="x")), collection()),
        empty=lmap(),
    )
    assert to_python(lit) == {"nums": [1, 2], "nested": [{"a": "x"}, []], "empty": {}}


def test_generic_struct_is_a_dict() -> None:
    struct = struct_pb2.Struct()
    struct.update({"a": 1, "b": [True, None, "s"], "c": {"d": 2.5}})
    value = to_python(scalar(generic=struct))
    assert value == {"a": 1.0, "b": [True, None, "s"], "c": {"d": 2.5}}


def test_generic_struct_shaped_by_literal_type() -> None:
    """Struct numbers are JSON floats: a declared INTEGER (e.g. a dataclass field) makes them ints again."""
    struct = struct_pb2.Struct()
    struct.update({"n": 3, "when": "2024-01-02T03:04:05+00:00", "took": 1.5, "ids": [1, 2]})
    lt = T.LiteralType(
        simple=T.STRUCT,
        structure=T.TypeStructure(
            dataclass_type={
                "n": simple(T.INTEGER),
                "when": simple(T.DATETIME),
                "took": simple(T.DURATION),
                "ids": T.LiteralType(collection_type=simple(T.INTEGER)),
            }
        ),
    )
    value = to_python(scalar(generic=struct), lt)
    assert value == {
        "n": 3,
        "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "took": dt.timedelta(seconds=1.5),
        "ids": [1, 2],
    }
    assert type(value["n"]) is int
    assert all(type(i) is int for i in value["ids"])


def test_binary_msgpack_is_decoded() -> None:
    data = {"a": [1, {"b": 2}], "c": None, "d": b"raw", "e": 1.5}
    assert to_python(msgpack_literal(data)) == data
    assert to_python(msgpack_literal([1, "two"])) == [1, "two"]
    assert to_python(msgpack_literal({1: "int key"})) == {1: "int key"}


def test_binary_other_tags_are_raw_bytes() -> None:
    assert to_python(scalar(binary=L.Binary(value=b"\x00\x01", tag="pickle"))) == b"\x00\x01"
    assert to_python(scalar(binary=L.Binary(value=b"abc"))) == b"abc"


def test_corrupt_msgpack_raises_a_clear_error() -> None:
    # b"\xc1" is reserved in msgpack: its FormatError has no message, which used to leave the reason empty.
    with pytest.raises(ValueError, match=r"tagged 'msgpack' \(1 bytes: c1\) does not decode: FormatError$"):
        to_python(undecodable())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", r"\(0 bytes: empty\) does not decode: ValueError: Unpack failed: incomplete input"),
        (b"\x92\x01", r"\(2 bytes: 92 01\) does not decode: ValueError: Unpack failed: incomplete input"),
        (b"\x01\x02", r"\(2 bytes: 01 02\) does not decode: ExtraData: unpack\(b\) received extra data"),
        (bytes(range(20)), r"\(20 bytes: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f \.\.\.\) does not decode"),
    ],
)
def test_undecodable_msgpack_names_the_bytes_and_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        to_python(scalar(binary=L.Binary(value=data, tag="msgpack")))


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(2**62, 0), (-(2**62), 0), (315_576_000_001, 0), (1, 1_000_000_000)],
)
def test_a_duration_literal_out_of_range_is_a_clear_error(seconds: int, nanos: int) -> None:
    lit = prim(duration={"seconds": seconds, "nanos": nanos})  # protobuf's ToTimedelta: a bare OverflowError
    with pytest.raises(ValueError, match=rf"duration literal: Duration\(seconds={seconds}, nanos={nanos}\) is not"):
        to_python(lit)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1e300, "1e+300"), (float("nan"), "nan"), (float("inf"), "inf"), (-float("inf"), "-inf"), (2**62, str(2**62))],
)
def test_a_msgpack_duration_out_of_range_is_a_clear_error(value: float, shown: str) -> None:
    # A dataclass field declared timedelta arrives as seconds; 1e300 raised OverflowError, NaN "cannot convert
    # float NaN to integer".
    with pytest.raises(ValueError, match=rf"msgpack duration of {re.escape(shown)} seconds is not a valid duration"):
        to_python(msgpack_literal(value), simple(T.DURATION))
    with pytest.raises(TypeError, match="cannot convert the binary\\(msgpack\\) literal to timedelta: value is"):
        to_python(msgpack_literal(value), as_type=dt.timedelta)
    assert to_python(msgpack_literal(90.5), simple(T.DURATION)) == dt.timedelta(seconds=90.5)


def test_union_is_unwrapped_with_the_variant_type() -> None:
    lit = scalar(union=L.Union(value=prim(integer=3), type=simple(T.INTEGER)))
    assert to_python(lit) == 3
    none = scalar(union=L.Union(value=scalar(none_type=L.Void()), type=simple(T.NONE)))
    assert to_python(none) is None
    # the variant's type guides the inner value: a msgpack dict with a DATETIME field
    variant = T.LiteralType(simple=T.STRUCT, structure=T.TypeStructure(dataclass_type={"t": simple(T.DATETIME)}))
    inner = msgpack_literal({"t": "2024-01-01T00:00:00+00:00"})
    assert to_python(scalar(union=L.Union(value=inner, type=variant))) == {"t": dt.datetime(2024, 1, 1, tzinfo=UTC)}


def test_a_bare_value_declared_optional_uses_the_optional_arm() -> None:
    optional_times = T.LiteralType(
        union_type=T.UnionType(variants=[T.LiteralType(collection_type=simple(T.DATETIME)), simple(T.NONE)])
    )
    lit = collection(msgpack_literal("2024-01-01T00:00:00Z"))
    assert to_python(lit, optional_times) == [dt.datetime(2024, 1, 1, tzinfo=UTC)]
    wider = T.LiteralType(union_type=T.UnionType(variants=[simple(T.DATETIME), simple(T.STRING)]))
    assert to_python(msgpack_literal("2024-01-01T00:00:00Z"), wider) == "2024-01-01T00:00:00Z"


def test_error_literal() -> None:
    lit = scalar(error=T.Error(failed_node_id="n1", message="boom"))
    assert to_python(lit) == LiteralError(failed_node_id="n1", message="boom")
    assert literal_kind(lit) == "error"


def test_blob_references_never_download() -> None:
    single = scalar(
        blob=L.Blob(uri="s3://b/f.csv", metadata=L.BlobMetadata(type=T.BlobType(format="csv", dimensionality=0)))
    )
    multi = scalar(
        blob=L.Blob(uri="s3://b/dir", metadata=L.BlobMetadata(type=T.BlobType(dimensionality=T.BlobType.MULTIPART)))
    )
    assert to_python(single) == BlobRef(uri="s3://b/f.csv", format="csv", dimensionality="single")
    assert to_python(multi) == BlobRef(uri="s3://b/dir", format="", dimensionality="multipart")
    assert repr(to_python(single)) == "BlobRef(uri='s3://b/f.csv', format='csv', dimensionality='single')"
    assert hash(to_python(single)) == hash(to_python(single))


def test_structured_dataset_reference_with_columns() -> None:
    sd_type = T.StructuredDatasetType(
        format="parquet",
        columns=[
            T.StructuredDatasetType.DatasetColumn(name="a", literal_type=simple(T.INTEGER)),
            T.StructuredDatasetType.DatasetColumn(
                name="b", literal_type=T.LiteralType(collection_type=simple(T.STRING))
            ),
        ],
    )
    lit = scalar(
        structured_dataset=L.StructuredDataset(
            uri="s3://b/df", metadata=L.StructuredDatasetMetadata(structured_dataset_type=sd_type)
        )
    )
    ref = to_python(lit)
    assert ref == StructuredDatasetRef(uri="s3://b/df", format="parquet", columns=(("a", "int"), ("b", "list[str]")))
    assert literal_kind(lit) == "structured_dataset"


def test_structured_dataset_falls_back_to_the_declared_type() -> None:
    lit = scalar(structured_dataset=L.StructuredDataset(uri="s3://b/df"))
    declared = T.LiteralType(
        structured_dataset_type=T.StructuredDatasetType(
            format="parquet", columns=[T.StructuredDatasetType.DatasetColumn(name="x", literal_type=simple(T.FLOAT))]
        )
    )
    assert to_python(lit) == StructuredDatasetRef(uri="s3://b/df")
    assert to_python(lit, declared) == StructuredDatasetRef("s3://b/df", "parquet", (("x", "float"),))


def test_legacy_schema_becomes_a_dataset_reference() -> None:
    col = T.SchemaType.SchemaColumn
    lit = scalar(schema=L.Schema(uri="s3://b/schema", type=T.SchemaType(columns=[col(name="t", type=col.DATETIME)])))
    assert to_python(lit) == StructuredDatasetRef(uri="s3://b/schema", format="", columns=(("t", "datetime"),))


def test_offloaded_literal_is_a_reference() -> None:
    lit = L.Literal(
        offloaded_metadata=L.LiteralOffloadedMetadata(
            uri="s3://b/offloaded.pb",
            size_bytes=10_000_000,
            inferred_type=T.LiteralType(collection_type=simple(T.INTEGER)),
        )
    )
    ref = to_python(lit)
    assert isinstance(ref, OffloadedRef)
    assert (ref.uri, ref.size_bytes) == ("s3://b/offloaded.pb", 10_000_000)
    assert ref.inferred_type == T.LiteralType(collection_type=simple(T.INTEGER))
    assert ref.type_name == "list[int]"
    assert repr(ref) == "OffloadedRef(uri='s3://b/offloaded.pb', size_bytes=10000000, inferred_type='list[int]')"
    hash(ref)  # frozen and hashable although it holds a proto
    bare = to_python(L.Literal(offloaded_metadata=L.LiteralOffloadedMetadata(uri="u")))
    assert bare == OffloadedRef(uri="u", size_bytes=0, inferred_type=None)
    assert bare.type_name == "unknown"


@pytest.mark.parametrize(
    ("literal", "kind"),
    [
        (L.Literal(), "<empty>"),
        (L.Literal(scalar=L.Scalar()), "scalar.<unset>"),
        (L.Literal(scalar=L.Scalar(primitive=L.Primitive())), "scalar.primitive.<unset>"),
    ],
)
def test_unknown_literals_come_back_raw(literal: literals_pb2.Literal, kind: str) -> None:
    value = to_python(literal)
    assert isinstance(value, UnknownLiteral)
    assert value.literal is literal
    assert value.kind == kind
    assert repr(value) == f"UnknownLiteral(kind={kind!r})"
    assert literal_kind(literal) == "unknown"


def test_a_kind_from_a_newer_flyte_is_unknown_not_a_crash() -> None:
    # Scalar field #42, length-delimited, as a future flyteidl might add: parsed as an unknown field.
    future = L.Scalar.FromString(bytes([(42 << 3 | 2) & 0x7F | 0x80, (42 << 3 | 2) >> 7, 2, 0x08, 0x01]))
    lit = L.Literal(scalar=future)
    value = to_python(lit)
    assert isinstance(value, UnknownLiteral)
    assert "scalar." in value.kind
    assert "42" in value.kind or "<unset>" in value.kind  # protobuf runtimes without UnknownFieldSet say <unset>
    resolver = LiteralsResolver({"new": lit, "old": prim(integer=1)})
    assert resolver["old"] == 1
    assert isinstance(resolver["new"], UnknownLiteral)
    assert "new: unknown" in repr(resolver)


def test_unknown_literal_as_a_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"unknown literal to int.*UnknownLiteral"):
        to_python(L.Literal(), as_type=int)
    assert isinstance(to_python(L.Literal(), as_type=UnknownLiteral), UnknownLiteral)


def test_literal_kind_names() -> None:
    assert literal_kind(prim(integer=1)) == "int"
    assert literal_kind(prim(float_value=1)) == "float"
    assert literal_kind(prim(string_value="")) == "str"
    assert literal_kind(prim(boolean=False)) == "bool"
    assert literal_kind(collection()) == "list"
    assert literal_kind(lmap()) == "dict"
    assert literal_kind(msgpack_literal({})) == "binary(msgpack)"
    assert literal_kind(scalar(binary=L.Binary(value=b""))) == "binary"
    assert literal_kind(scalar(generic=struct_pb2.Struct())) == "struct"
    assert literal_kind(scalar(none_type=L.Void())) == "none"
    assert literal_kind(scalar(union=L.Union(value=prim(integer=1)))) == "union[int]"
    assert literal_kind(L.Literal(offloaded_metadata=L.LiteralOffloadedMetadata())) == "offloaded"


def test_describe_type() -> None:
    assert describe_type(simple(T.INTEGER)) == "int"
    assert describe_type(T.LiteralType(map_value_type=T.LiteralType(collection_type=simple(T.FLOAT)))) == (
        "dict[str, list[float]]"
    )
    assert describe_type(T.LiteralType(enum_type=T.EnumType(values=["a", "b"]))) == "enum{a, b}"
    assert describe_type(T.LiteralType(union_type=T.UnionType(variants=[simple(T.INTEGER), simple(T.NONE)]))) == (
        "union[int, none]"
    )
    assert describe_type(T.LiteralType(blob=T.BlobType(format="csv"))) == "file(csv)"
    assert describe_type(T.LiteralType(blob=T.BlobType(dimensionality=T.BlobType.MULTIPART))) == "directory"
    assert describe_type(T.LiteralType()) == "unknown"
    assert describe_type(None) == "unknown"


# ---------------------------------------------------------------------------------------------------------------
# as_type coercions
# ---------------------------------------------------------------------------------------------------------------


def outer_dict() -> dict[str, Any]:
    return {
        "x": 1,
        "y": 2,  # an int where the dataclass says float
        "inner": {"a": 5, "b": "bee"},
        "items": [1, 2],
        "scores": {"k": 1},
        "when": "2024-01-01T00:00:00+00:00",
        "took": 5.0,
        "maybe": None,
        "color": "blue",
        "extra": "ignored",
    }


def test_dataclass_from_msgpack_recursively() -> None:
    value = to_python(msgpack_literal(outer_dict()), as_type=Outer)
    assert value == Outer(
        x=1,
        y=2.0,
        inner=Inner(a=5, b="bee"),
        items=[1, 2],
        scores={"k": 1.0},
        when=dt.datetime(2024, 1, 1, tzinfo=UTC),
        took=dt.timedelta(seconds=5),
        maybe=None,
        color=Color.BLUE,
    )
    assert type(value.y) is float
    assert type(value.scores["k"]) is float


def test_dataclass_from_generic_struct() -> None:
    struct = struct_pb2.Struct()
    struct.update({"a": 5, "b": "bee"})
    assert to_python(scalar(generic=struct), as_type=Inner) == Inner(a=5, b="bee")


def test_dataclass_missing_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Inner"):
        to_python(msgpack_literal({"a": 1}), as_type=Inner)
    with pytest.raises(TypeError, match=r"field 'a'.*str 'x'"):
        to_python(msgpack_literal({"a": "x", "b": "y"}), as_type=Inner)


@pytest.mark.parametrize(
    ("literal", "as_type", "expected"),
    [
        (prim(integer=3), float, 3.0),
        (prim(float_value=3.0), int, 3),
        (prim(integer=3), int | None, 3),
        (scalar(none_type=L.Void()), typing.Optional[int], None),  # noqa: UP045 - the typing spelling on purpose
        (prim(integer=3), typing.Union[float, int], 3),  # noqa: UP007 - exact arm wins
        (prim(string_value="blue"), Color, Color.BLUE),
        (prim(string_value="RED"), Color, Color.RED),  # by name, as a fallback
        (collection(prim(integer=1), prim(integer=2)), list[float], [1.0, 2.0]),
        (lmap(a=prim(integer=1)), dict[str, float], {"a": 1.0}),
        (lmap(a=prim(integer=1)), typing.Dict[str, int], {"a": 1}),  # noqa: UP006
        (collection(prim(integer=1)), list, [1]),
        (prim(string_value="2024-05-06T07:08:09+00:00"), dt.datetime, dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
        (msgpack_literal(90), dt.timedelta, dt.timedelta(seconds=90)),
        (prim(string_value="x"), typing.Annotated[str, "meta"], "x"),
        (prim(string_value="x"), Any, "x"),
        (msgpack_literal(b"\x01"), bytes, b"\x01"),
    ],
)
def test_as_type_coercions(literal: literals_pb2.Literal, as_type: Any, expected: Any) -> None:
    value = to_python(literal, as_type=as_type)
    assert value == expected
    assert type(value) is type(expected)


def test_datetime_as_date() -> None:
    lit = L.Literal(scalar=L.Scalar(primitive=L.Primitive()))
    lit.scalar.primitive.datetime.FromDatetime(dt.datetime(2024, 1, 2))
    assert to_python(lit, as_type=dt.date) == dt.date(2024, 1, 2)


@pytest.mark.parametrize(
    ("literal", "as_type", "words"),
    [
        (prim(float_value=3.5), int, ["float literal", "int", "3.5"]),
        (prim(string_value="3"), int, ["str literal", "int"]),
        (prim(integer=1), bool, ["int literal", "bool"]),
        (prim(integer=1), str, ["int literal", "str"]),
        (prim(string_value="green"), Color, ["Color", "'red', 'blue'"]),
        (scalar(none_type=L.Void()), int, ["none literal", "int"]),
        (collection(prim(string_value="a")), list[int], ["list literal", "list[int]"]),
        (prim(integer=1), list[int], ["not a list"]),
        (scalar(blob=L.Blob(uri="s3://x")), str, ["blob literal", "BlobRef", "never downloaded"]),
        (prim(integer=1), typing.Union[str, bool], ["no variant fits"]),  # noqa: UP007
        (prim(integer=1), tuple[int], ["not supported"]),
    ],
)
def test_impossible_coercions_are_clear_type_errors(
    literal: literals_pb2.Literal, as_type: Any, words: list[str]
) -> None:
    with pytest.raises(TypeError) as info:
        to_python(literal, as_type=as_type)
    for word in words:
        assert word in str(info.value)


# ---------------------------------------------------------------------------------------------------------------
# LiteralsResolver
# ---------------------------------------------------------------------------------------------------------------


def sample() -> LiteralsResolver:
    return LiteralsResolver(
        L.LiteralMap(
            literals={
                "a": prim(integer=1),
                "b": collection(prim(string_value="x"), prim(string_value="y")),
                "c": lmap(k=prim(float_value=0.5)),
            }
        )
    )


def test_resolver_is_a_read_only_mapping() -> None:
    r = sample()
    assert isinstance(r, typing.Mapping)
    assert len(r) == 3
    assert list(r) == ["a", "b", "c"]
    assert "a" in r
    assert "z" not in r
    assert 1 not in r
    assert r["a"] == 1
    assert r["b"] == ["x", "y"]
    assert dict(r.items()) == {"a": 1, "b": ["x", "y"], "c": {"k": 0.5}}
    assert r.native() == {"a": 1, "b": ["x", "y"], "c": {"k": 0.5}}
    assert r == {"a": 1, "b": ["x", "y"], "c": {"k": 0.5}}
    with pytest.raises(TypeError):
        r["a"] = 2  # type: ignore[index]


def test_resolver_literals_are_the_raw_protos() -> None:
    r = sample()
    assert r.literals["a"] == prim(integer=1)
    assert isinstance(r.literals["b"], literals_pb2.Literal)
    r.literals.pop("a")  # a copy: the resolver is unchanged
    assert "a" in r
    assert r.get_literal("c") == lmap(k=prim(float_value=0.5))


def test_resolver_order_is_the_interface_order_else_sorted() -> None:
    lm = L.LiteralMap(literals={k: prim(integer=i) for i, k in enumerate(["o2", "o0", "o1", "z", "a"])})
    assert list(LiteralsResolver(lm)) == ["a", "o0", "o1", "o2", "z"]
    vm = {k: interface_pb2.Variable(type=simple(T.INTEGER)) for k in ["o1", "o0", "o2", "absent"]}
    assert list(LiteralsResolver(lm, vm)) == ["o1", "o0", "o2", "a", "z"]
    assert list(LiteralsResolver({"y": prim(integer=1), "x": prim(integer=2)})) == ["y", "x"]


def test_resolver_accepts_a_plain_mapping_and_rejects_none() -> None:
    r = LiteralsResolver({"x": prim(boolean=True)})
    assert r["x"] is True
    with pytest.raises(ValueError, match="None"):
        LiteralsResolver(None)
    with pytest.raises(TypeError, match="LiteralMap"):
        LiteralsResolver([("x", prim(integer=1))])
    assert len(LiteralsResolver(L.LiteralMap())) == 0
    assert repr(LiteralsResolver({})) == "LiteralsResolver()"


def test_missing_key_errors_name_the_key_and_the_available_ones() -> None:
    r = sample()
    for read in (
        lambda: r["nope"],
        lambda: r.get("nope"),
        lambda: r.get("nope", as_type=int),
        lambda: r.get_literal("nope"),
    ):
        with pytest.raises(KeyError) as info:
            read()
        message = str(info.value)
        assert "'nope'" in message
        assert "'a', 'b', 'c'" in message
    # flytekit raises ValueError for a missing key: code written for it still catches ours
    with pytest.raises(ValueError, match="nope"):
        r["nope"]
    assert isinstance(LiteralKeyError("x"), KeyError)
    assert r.get("nope", default=7) == 7
    assert r.get("a", default=7) == 1


def test_conversion_is_lazy_and_errors_stay_with_their_key() -> None:
    """'b' cannot become its hinted type and 'c' cannot be decoded at all: reading 'a' never touches them."""
    r = LiteralsResolver(
        {"a": prim(integer=1), "b": prim(string_value="not a number"), "c": undecodable()},
        type_hints={"b": int},
    )
    assert r["a"] == 1
    assert r.get("a", as_type=float) == 1.0
    assert "b: str" in repr(r)  # repr does not convert
    assert len(r) == 3
    with pytest.raises(TypeError) as info:
        r["b"]
    message = str(info.value)
    assert "'b'" in message
    assert "str literal" in message
    assert "int" in message
    assert r.get("b", as_type=str) == "not a number"  # an explicit as_type beats the hint
    with pytest.raises(ValueError, match="msgpack"):
        r["c"]
    with pytest.raises(TypeError, match="'b'"):
        r.native()


def test_values_are_cached() -> None:
    r = LiteralsResolver({"big": msgpack_literal({"k": [1, 2, 3]})})
    first = r["big"]
    assert r["big"] is first
    assert r.get("big") is first
    as_dict = r.get("big", as_type=dict)
    assert r.get("big", as_type=dict) is as_dict
    # an unhashable as_type still works (just not cached)
    assert r.get("big", as_type=typing.Annotated[dict, []]) == {"k": [1, 2, 3]}


def test_type_hints_coerce_outputs() -> None:
    r = LiteralsResolver(
        {"o": msgpack_literal(outer_dict()), "n": prim(integer=2), "c": prim(string_value="red")},
        type_hints={"o": Outer, "n": float},
    )
    assert isinstance(r["o"], Outer)
    assert r["o"].inner == Inner(5, "bee")
    assert r["n"] == 2.0
    assert type(r["n"]) is float
    assert r["c"] == "red"
    r.update_type_hints({"c": Color})
    assert r["c"] is Color.RED
    assert r.type_hints == {"o": Outer, "n": float, "c": Color}


def test_variable_map_types_guide_conversion() -> None:
    when = simple(T.DATETIME)
    dc_type = T.LiteralType(simple=T.STRUCT, structure=T.TypeStructure(dataclass_type={"when": when}))
    variables = {"o": interface_pb2.Variable(type=dc_type, description="an output")}
    r = LiteralsResolver({"o": msgpack_literal({"when": "2024-01-01T00:00:00Z"})}, variable_map=variables)
    assert r["o"] == {"when": dt.datetime(2024, 1, 1, tzinfo=UTC)}
    assert r.variable_map is variables
    # a VariableMap proto works too, and variables without a literal are fine
    vm = interface_pb2.VariableMap(variables={"o": variables["o"], "unused": interface_pb2.Variable()})
    r2 = LiteralsResolver(L.LiteralMap(literals={"o": msgpack_literal({"when": "2024-01-01T00:00:00Z"})}), vm)
    assert r2["o"]["when"].year == 2024
    assert set(r2.variable_map or {}) == {"o", "unused"}
    assert LiteralsResolver({}).variable_map is None


def test_repr_is_short_and_shows_kinds() -> None:
    r = LiteralsResolver(
        {
            "n": prim(integer=1),
            "xs": collection(prim(integer=1), prim(integer=2)),
            "m": lmap(),
            "f": scalar(blob=L.Blob(uri="s3://x")),
            "dc": msgpack_literal({}),
            "opt": scalar(union=L.Union(value=scalar(none_type=L.Void()))),
            "bad": undecodable(),
        }
    )
    assert repr(r) == (
        "LiteralsResolver(n: int, xs: list(2), m: dict(0), f: blob, dc: binary(msgpack), opt: union[none], "
        "bad: binary(msgpack))"
    )
    assert str(r) == repr(r)
    many = LiteralsResolver({f"k{i}": prim(integer=i) for i in range(40)})
    assert repr(many).endswith("... 28 more)")
    assert len(repr(many)) < 250


# ---------------------------------------------------------------------------------------------------------------
# to_literal
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        0,
        -7,
        2**62,
        1.5,
        "",
        "text",
        None,
        dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        dt.timedelta(days=2, microseconds=3),
        dt.timedelta(seconds=-90),
        [1, 2, 3],
        [],
        {"a": 1.0, "b": [True, None]},
        {"nested": {"deep": ["x"]}},
        b"\x00bytes",
        BlobRef("s3://f", "csv", "single"),
        BlobRef("s3://d", "", "multipart"),
        StructuredDatasetRef("s3://df", "parquet"),
        LiteralError("n0", "boom"),
    ],
)
def test_to_literal_round_trips(value: Any) -> None:
    lit = to_literal(value)
    assert isinstance(lit, literals_pb2.Literal)
    back = to_python(lit)
    assert back == value
    assert type(back) is type(value)
    assert to_python(literals_pb2.Literal.FromString(lit.SerializeToString())) == value


def test_to_literal_normalises_datetimes_and_enums() -> None:
    assert to_python(to_literal(dt.datetime(2024, 1, 2, 3, 4))) == dt.datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert to_python(to_literal(dt.datetime(2024, 1, 2, 5, 0, tzinfo=plus_two))) == dt.datetime(
        2024, 1, 2, 3, tzinfo=UTC
    )
    assert to_python(to_literal(dt.date(2024, 1, 2))) == dt.datetime(2024, 1, 2, tzinfo=UTC)
    assert to_literal(Color.BLUE) == prim(string_value="blue")
    assert to_python(to_literal((1, 2))) == [1, 2]


def test_to_literal_rejects_what_it_cannot_build() -> None:
    with pytest.raises(TypeError, match="object"):
        to_literal(object())
    with pytest.raises(TypeError, match="str keys"):
        to_literal({1: "x"})


@pytest.mark.parametrize(
    ("value", "literal_type", "expected"),
    [
        (True, simple(T.BOOLEAN), prim(boolean=True)),
        (3, simple(T.INTEGER), prim(integer=3)),
        (3, simple(T.FLOAT), prim(float_value=3.0)),
        ("s", simple(T.STRING), prim(string_value="s")),
        (None, simple(T.NONE), scalar(none_type=L.Void())),
        (Color.RED, T.LiteralType(enum_type=T.EnumType(values=["red", "blue"])), prim(string_value="red")),
        ("blue", T.LiteralType(enum_type=T.EnumType(values=["red", "blue"])), prim(string_value="blue")),
        ([1, 2], T.LiteralType(collection_type=simple(T.FLOAT)), collection(prim(float_value=1), prim(float_value=2))),
        ({"a": 1}, T.LiteralType(map_value_type=simple(T.INTEGER)), lmap(a=prim(integer=1))),
        (b"x", simple(T.BINARY), scalar(binary=L.Binary(value=b"x"))),
    ],
)
def test_to_literal_with_a_type(value: Any, literal_type: types_pb2.LiteralType, expected: Any) -> None:
    assert to_literal(value, literal_type) == expected


def test_to_literal_with_datetime_duration_and_struct_types() -> None:
    when = dt.datetime(2024, 1, 2, tzinfo=UTC)
    assert to_python(to_literal(when, simple(T.DATETIME))) == when
    assert to_python(to_literal(dt.timedelta(minutes=1), simple(T.DURATION))) == dt.timedelta(minutes=1)
    struct_lit = to_literal({"k": [1, "two"]}, simple(T.STRUCT))
    assert struct_lit.scalar.WhichOneof("value") == "generic"
    assert to_python(struct_lit) == {"k": [1, "two"]}
    assert to_python(to_literal(Inner(1, "b"), simple(T.STRUCT)), as_type=Inner) == Inner(1, "b")


def test_to_literal_with_a_union_type_wraps_the_value() -> None:
    optional_int = T.LiteralType(union_type=T.UnionType(variants=[simple(T.INTEGER), simple(T.NONE)]))
    lit = to_literal(5, optional_int)
    assert lit.scalar.union.type == simple(T.INTEGER)
    assert to_python(lit) == 5
    assert to_literal(None, optional_int).scalar.union.type == simple(T.NONE)
    float_or_int = T.LiteralType(union_type=T.UnionType(variants=[simple(T.FLOAT), simple(T.INTEGER)]))
    assert to_literal(3, float_or_int).scalar.union.value == prim(integer=3)  # the exact variant first
    assert to_literal(3.5, float_or_int).scalar.union.value == prim(float_value=3.5)
    with pytest.raises(ValueError, match=r"union\[int, none\]"):
        to_literal("x", optional_int)


@pytest.mark.parametrize(
    ("value", "literal_type", "words"),
    [
        ("yes", simple(T.BOOLEAN), ["expected type bool", "expected a bool", "'yes'"]),
        (1, simple(T.BOOLEAN), ["bool"]),
        (True, simple(T.INTEGER), ["expected type int"]),
        (1.5, simple(T.INTEGER), ["expected type int"]),
        (1, simple(T.STRING), ["expected type str"]),
        (None, simple(T.STRING), ["None only fits an Optional"]),
        ("1h", simple(T.DURATION), ["timedelta"]),
        ("next tuesday", simple(T.DATETIME), ["datetime", "ISO-8601"]),
        ("green", T.LiteralType(enum_type=T.EnumType(values=["red"])), ["enum{red}", "'red'"]),
        ([1, "x"], T.LiteralType(collection_type=simple(T.INTEGER)), ["list[int]"]),
        ({"a": object()}, simple(T.STRUCT), ["struct", "['a']", "not JSON data"]),
        ("model.joblib", T.LiteralType(blob=T.BlobType()), ["a URI such as s3://bucket/key", "nothing is uploaded"]),
        (3, T.LiteralType(blob=T.BlobType()), ["BlobRef", "nothing is uploaded"]),
        (1, simple(T.ERROR), ["cannot be built"]),
    ],
)
def test_to_literal_type_mismatch_names_the_expected_type(
    value: Any, literal_type: types_pb2.LiteralType, words: list[str]
) -> None:
    with pytest.raises(ValueError, match="does not fit the expected type") as info:
        to_literal(value, literal_type)
    for word in words:
        assert word in str(info.value)


# ---------------------------------------------------------------------------------------------------------------
# to_literal with a signal's type, one type family at a time (what Remote.set_signal sends)
# ---------------------------------------------------------------------------------------------------------------


def tagged(simple_type: int, tag: str) -> types_pb2.LiteralType:
    """A union variant as flytekit declares it: the type with ``structure.tag`` = its transformer's name."""
    return T.LiteralType(simple=simple_type, structure=T.TypeStructure(tag=tag))


def union_of(*variants: types_pb2.LiteralType) -> types_pb2.LiteralType:
    return T.LiteralType(union_type=T.UnionType(variants=list(variants)))


def test_to_literal_union_wraps_the_value_with_the_chosen_variants_own_type() -> None:
    int_or_str = union_of(tagged(T.INTEGER, "int"), tagged(T.STRING, "str"))
    lit = to_literal(7, int_or_str)
    assert lit.scalar.union.value == prim(integer=7)
    assert lit.scalar.union.type == tagged(T.INTEGER, "int")  # the variant as declared, tag included
    assert to_literal("7", int_or_str).scalar.union.value == prim(string_value="7")  # a str stays a str
    # No variant of the value's own kind: the first variant it fits.
    struct_or_none = union_of(tagged(T.STRUCT, "Typed Dict"), tagged(T.NONE, "none"))
    lit = to_literal({"a": 1}, struct_or_none)
    assert lit.scalar.union.value.scalar.WhichOneof("value") == "generic"
    assert lit.scalar.union.type == tagged(T.STRUCT, "Typed Dict")
    assert to_python(lit) == {"a": 1}
    assert to_literal(None, struct_or_none).scalar.union.type == tagged(T.NONE, "none")
    # An enum next to str: a str that is also an enum value is the str (flytekit prefers the exact type too).
    color = T.LiteralType(enum_type=T.EnumType(values=["red", "blue"]))
    str_or_color = union_of(color, tagged(T.STRING, "str"))
    assert to_literal("red", str_or_color).scalar.union.type == tagged(T.STRING, "str")
    assert to_literal(Color.RED, union_of(tagged(T.INTEGER, "int"), color)).scalar.union.type == color


def test_to_literal_union_that_nothing_fits_names_every_variant() -> None:
    int_or_str = union_of(tagged(T.INTEGER, "int"), tagged(T.STRING, "str"))
    with pytest.raises(ValueError, match="fits none of the variants") as info:
        to_literal([1], int_or_str)
    msg = str(info.value)
    assert "list [1] does not fit the expected type union[int, str]" in msg
    assert "int: expected an int" in msg
    assert "str: expected a str" in msg


def test_to_literal_enum_is_one_of_its_values_as_a_string() -> None:
    color = T.LiteralType(enum_type=T.EnumType(values=["red", "blue"]))
    assert to_literal("blue", color) == prim(string_value="blue")
    assert to_literal(Color.RED, color) == prim(string_value="red")
    with pytest.raises(ValueError, match=r"str 'green' does not fit the expected type enum\{red, blue\}"):
        to_literal("green", color)
    with pytest.raises(ValueError, match="expected one of 'red', 'blue'"):
        to_literal(1, color)


def test_to_literal_struct_is_a_generic_struct_of_json_data() -> None:
    struct = simple(T.STRUCT)
    lit = to_literal({"a": 1, "b": [1, 2], "c": {"d": None, "e": True}}, struct)
    assert lit.scalar.WhichOneof("value") == "generic"
    expected = struct_pb2.Struct()
    expected.update({"a": 1, "b": [1, 2], "c": {"d": None, "e": True}})
    assert lit.scalar.generic == expected
    assert to_python(lit) == {"a": 1, "b": [1, 2], "c": {"d": None, "e": True}}
    assert to_literal('{"a": 1, "b": [1, 2]}', struct) == to_literal({"a": 1, "b": [1, 2]}, struct)  # JSON text
    assert to_python(to_literal(Inner(3, "x"), struct)) == {"a": 3, "b": "x"}  # a dataclass: its fields
    # A dataclass's declared field types bring the ints back as ints.
    declared = T.LiteralType(simple=T.STRUCT, structure=T.TypeStructure(dataclass_type={"a": simple(T.INTEGER)}))
    back = to_python(to_literal({"a": 3}, declared), declared)
    assert back == {"a": 3}
    assert type(back["a"]) is int


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ([1, 2], ["expected a dict"]),
        ("[1, 2]", ["expected a dict"]),
        ("{not json", ["expected a dict (or a JSON object's text)"]),
        ({"when": dt.datetime(2024, 1, 1)}, ["['when'] is datetime", "not JSON data"]),
        ({"x": [1, float("nan")]}, ["['x'][1] is float nan", "a JSON number cannot hold"]),
        ({"x": 10**400}, ["['x'] is int 1000", "a JSON number cannot hold"]),
        ({1: "a"}, ["the key int 1", "JSON keys are strings"]),
    ],
)
def test_to_literal_struct_refuses_what_json_cannot_hold(value: Any, words: list[str]) -> None:
    with pytest.raises(ValueError, match="does not fit the expected type struct") as info:
        to_literal(value, simple(T.STRUCT))
    for word in words:
        assert word in str(info.value)


def test_to_literal_collection_converts_each_item_and_names_the_bad_one() -> None:
    list_of_lists = T.LiteralType(collection_type=T.LiteralType(collection_type=simple(T.INTEGER)))
    assert to_literal([[1], (2, 3)], list_of_lists) == collection(
        collection(prim(integer=1)), collection(prim(integer=2), prim(integer=3))
    )
    assert to_literal([], list_of_lists) == literals_pb2.Literal(collection=literals_pb2.LiteralCollection())
    with pytest.raises(ValueError, match=r"list\[list\[int\]\]: item 1: item 0: expected an int"):
        to_literal([[1], ["x"]], list_of_lists)
    with pytest.raises(ValueError, match="expected a list"):
        to_literal({"a": 1}, list_of_lists)


def test_to_literal_map_converts_each_value_and_names_the_bad_key() -> None:
    floats = T.LiteralType(map_value_type=simple(T.FLOAT))
    assert to_literal({"a": 1, "b": 2.5}, floats) == lmap(a=prim(float_value=1.0), b=prim(float_value=2.5))
    with pytest.raises(ValueError, match=r"dict\[str, float\]: key 'b': expected a float"):
        to_literal({"a": 1, "b": "x"}, floats)
    with pytest.raises(ValueError, match="expected a dict with str keys"):
        to_literal({1: 1.0}, floats)


def test_to_literal_datetime_from_datetimes_dates_and_iso_text() -> None:
    when = simple(T.DATETIME)
    utc = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert to_python(to_literal(utc, when)) == utc
    assert to_python(to_literal(dt.datetime(2026, 1, 2, 3, 4, 5), when)) == utc  # naive means UTC
    assert to_python(to_literal("2026-01-02T03:04:05Z", when)) == utc  # what a view sends
    assert to_python(to_literal("2026-01-02T05:04:05+02:00", when)) == utc
    assert to_python(to_literal(dt.date(2026, 1, 2), when)) == dt.datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="expected a datetime"):
        to_literal(1767322800, when)


def test_to_literal_duration_from_timedeltas_and_seconds() -> None:
    took = simple(T.DURATION)
    assert to_python(to_literal(dt.timedelta(minutes=2), took)) == dt.timedelta(minutes=2)
    assert to_python(to_literal(90, took)) == dt.timedelta(seconds=90)  # what a view sends
    assert to_python(to_literal(1.5, took)) == dt.timedelta(seconds=1.5)
    for bad in ("90", True, float("inf")):
        with pytest.raises(ValueError, match="expected a timedelta"):
            to_literal(bad, took)


def test_to_literal_integer_takes_the_text_of_a_whole_number_past_a_browsers_53_bits() -> None:
    big = 2**53 + 1  # a JavaScript number cannot hold it: the view sends its digits
    assert to_literal(str(big), simple(T.INTEGER)) == prim(integer=big)
    assert to_literal(" -7 ", simple(T.INTEGER)) == prim(integer=-7)
    with pytest.raises(ValueError, match="fits in 64 bits"):
        to_literal(2**63, simple(T.INTEGER))
    with pytest.raises(ValueError, match="expected an int"):
        to_literal("7.5", simple(T.INTEGER))


# ---------------------------------------------------------------------------------------------------------------
# Against flytekit, the reference implementation
# ---------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class KitInner:
    a: int
    b: str


@dataclasses.dataclass
class KitOuter:
    x: int
    y: float
    s: str
    inner: KitInner
    items: list[int]
    m: dict[str, float]
    when: dt.datetime
    took: dt.timedelta
    opt: typing.Optional[int] = None  # noqa: UP045 - flytekit's own spelling
    color: Color = Color.RED


KIT_CASES: list[tuple[str, Any, Any]] = [
    ("int", 5, int),
    ("float", 1.5, float),
    ("str", "héllo", str),
    ("bool", True, bool),
    ("datetime", dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), dt.datetime),
    ("naive datetime", dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime),
    ("timedelta", dt.timedelta(seconds=3.5), dt.timedelta),
    ("list[int]", [1, 2, 3], list[int]),
    ("dict[str, float]", {"a": 1.0, "b": 2.5}, dict[str, float]),
    ("nested", {"a": [[1], [2, 3]]}, dict[str, list[list[int]]]),
    (
        "dataclass",
        KitOuter(
            1,
            2.0,
            "s",
            KitInner(3, "b"),
            [4],
            {"k": 1.0},
            dt.datetime(2024, 1, 1, tzinfo=UTC),
            dt.timedelta(seconds=5),
            None,
            Color.BLUE,
        ),
        KitOuter,
    ),
    ("dataclass opt set", KitInner(7, "x"), typing.Optional[KitInner]),  # noqa: UP045
    ("Optional[int] None", None, typing.Optional[int]),  # noqa: UP045
    ("Optional[int] 3", 3, typing.Optional[int]),  # noqa: UP045
    ("Union[int, str]", "x", typing.Union[int, str]),  # noqa: UP007
    ("dict", {"a": [1, {"b": 2}], "c": None}, dict),
    ("enum", Color.BLUE, Color),
    ("date", dt.date(2024, 1, 2), dt.date),
]


@pytest.fixture(scope="module")
def kit() -> Any:
    """flytekit's TypeEngine, imported only by these tests (the package never imports flytekit)."""
    type_engine = pytest.importorskip("flytekit.core.type_engine")
    context_manager = pytest.importorskip("flytekit.core.context_manager")
    return type_engine, context_manager.FlyteContextManager.current_context()


def kit_literal(kit: Any, value: Any, python_type: Any) -> tuple[Any, Any]:
    """(flytekit Literal model, flytekit LiteralType model) for a value."""
    type_engine, ctx = kit
    literal_type = type_engine.TypeEngine.to_literal_type(python_type)
    return type_engine.TypeEngine.to_literal(ctx, value, python_type, literal_type), literal_type


@pytest.mark.flytekit
@pytest.mark.parametrize(("name", "value", "python_type"), KIT_CASES, ids=[c[0] for c in KIT_CASES])
def test_same_values_as_flytekit(kit: Any, name: str, value: Any, python_type: Any) -> None:
    type_engine, _ctx = kit
    literal, literal_type = kit_literal(kit, value, python_type)
    expected = type_engine.LiteralsResolver({"v": literal}).get("v", as_type=python_type)

    proto = literal.to_flyte_idl()
    ours = LiteralsResolver({"v": proto}).get("v", as_type=python_type)
    assert ours == expected
    assert type(ours) is type(expected)
    assert to_python(proto, literal_type.to_flyte_idl(), as_type=python_type) == expected
    if isinstance(expected, dt.datetime):
        assert ours.tzinfo == expected.tzinfo == UTC  # both aware UTC


@pytest.mark.flytekit
@pytest.mark.parametrize(
    ("value", "python_type"),
    [
        (5, int),
        (1.5, float),
        ("s", str),
        (False, bool),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), dt.datetime),
        (dt.timedelta(minutes=3), dt.timedelta),
        ([1, 2], list[int]),
        ({"a": 1.0}, dict[str, float]),
        (None, typing.Optional[int]),  # noqa: UP045
        (4, typing.Optional[int]),  # noqa: UP045
    ],
)
def test_without_as_type_the_literal_type_suffices(kit: Any, value: Any, python_type: Any) -> None:
    """With only the interface (variable_map), as flytekit guesses from it, the values are the same."""
    literal, literal_type = kit_literal(kit, value, python_type)
    variable = interface_pb2.Variable(type=literal_type.to_flyte_idl())
    ours = LiteralsResolver({"v": literal.to_flyte_idl()}, variable_map={"v": variable})["v"]
    assert ours == value
    assert type(ours) is type(value)


@pytest.mark.flytekit
def test_dataclass_without_as_type_is_its_field_dict(kit: Any) -> None:
    value = KIT_CASES[10][1]
    literal, literal_type = kit_literal(kit, value, KitOuter)
    variable = interface_pb2.Variable(type=literal_type.to_flyte_idl())
    as_dict = LiteralsResolver({"v": literal.to_flyte_idl()}, variable_map={"v": variable})["v"]
    assert as_dict["when"] == value.when  # shaped by the declared field types
    assert as_dict["took"] == value.took
    assert as_dict["inner"] == {"a": 3, "b": "b"}
    assert as_dict["color"] == "blue"
    assert describe_type(literal_type.to_flyte_idl()) == "dataclass"


@pytest.mark.flytekit
@pytest.mark.parametrize(
    ("value", "python_type"),
    [
        (True, bool),
        (7, int),
        (2.5, float),
        ("s", str),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), dt.datetime),
        (dt.timedelta(seconds=42), dt.timedelta),
        ([1, 2], list[int]),
        ({"a": 1.0}, dict[str, float]),
        (None, typing.Optional[int]),  # noqa: UP045
        (3, typing.Optional[int]),  # noqa: UP045
        ({"k": [1, "two"]}, dict),
        (KitInner(1, "b"), KitInner),
        (Color.BLUE, Color),
        (7, typing.Union[int, str]),  # noqa: UP007
        ("x", typing.Union[int, str]),  # noqa: UP007
        ({"a": 1.5}, typing.Optional[dict]),  # noqa: UP045
        ([[1, 2], []], list[list[int]]),
        ({"a": [1.5]}, dict[str, list[float]]),
    ],
)
def test_flytekit_reads_our_literals(kit: Any, value: Any, python_type: Any) -> None:
    """to_literal(value, type) builds what flytekit itself reads back as the same value (set_signal's contract)."""
    type_engine, ctx = kit
    from flytekit.models.literals import Literal as KitLiteral

    literal_type = type_engine.TypeEngine.to_literal_type(python_type)
    ours = to_literal(value, literal_type.to_flyte_idl())
    back = type_engine.TypeEngine.to_python_value(ctx, KitLiteral.from_flyte_idl(ours), python_type)
    assert back == value


@pytest.mark.flytekit
def test_flytekit_models_are_accepted(kit: Any) -> None:
    literal, literal_type = kit_literal(kit, [1, 2], list[int])
    from flytekit.models.literals import LiteralMap as KitLiteralMap

    assert LiteralsResolver(KitLiteralMap({"v": literal}))["v"] == [1, 2]
    assert to_python(literal, literal_type) == [1, 2]
    assert to_literal([1, 2], literal_type) == literal.to_flyte_idl()
