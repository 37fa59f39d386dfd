"""What a literal is and what a type is called, without converting anything.

A literal's kind is the leaf of its oneofs (:func:`kind_of`: "integer", "blob", "collection", ...): the one key
:mod:`.literal_to_python` dispatches on. :func:`describe_type` is the one name of a ``LiteralType``, for messages
and for the view's gate rows.
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import types_pb2

from .protoview import unknown_field_numbers

__all__ = ["as_proto", "describe_type", "kind_of", "kind_path"]


def kind_of(literal: Any) -> str:
    """The leaf oneof of a literal: a Primitive's field, else a Scalar's field, else a Literal's; "" if unset."""
    top = literal.WhichOneof("value")
    if top != "scalar":
        return top or ""
    scalar = literal.scalar.WhichOneof("value")
    if scalar != "primitive":
        return scalar or ""
    return literal.scalar.primitive.WhichOneof("value") or ""


def kind_path(literal: Any) -> str:
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


def as_proto(message: Any) -> Any:
    """Accept flytekit model objects too (they have ``to_flyte_idl()``); protobuf messages pass through."""
    to_idl = getattr(message, "to_flyte_idl", None)
    return to_idl() if callable(to_idl) else message
