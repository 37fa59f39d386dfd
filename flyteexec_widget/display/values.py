"""Python values as the JSON-safe typed tree the outputs viewer renders, and the paths that fetch a cut part whole.

An input or output is sent only when the view asks for it (see :mod:`.widget`), as :func:`value_tree` of the Python
value the literal resolver gives. The first answer is a preview (:data:`PREVIEW_LIMITS`); whatever was cut carries
its ``path``, which a "show all" request sends back to be resolved (:func:`resolve_path`) and encoded again with
:data:`FULL_LIMITS`. Nothing here talks to the view or the server: plain values in, plain JSON out.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..objects.literal_refs import BlobRef, LiteralError, OffloadedRef, StructuredDatasetRef, UnknownLiteral
from ..objects.literal_types import describe_type

__all__ = ["FULL_LIMITS", "PREVIEW_LIMITS", "path_label", "resolve_path", "value_tree", "variable_type"]

#: How much of a value the first answer carries; "show all" asks again for one subtree with the FULL limits.
PREVIEW_LIMITS = {"max_items": 50, "max_chars": 2_000, "max_depth": 8}
#: "Show all" still has a ceiling, so one click cannot send gigabytes to the browser.
FULL_LIMITS = {"max_items": 20_000, "max_chars": 2_000_000, "max_depth": 32}

_SAFE_INT = 2**53  # larger integers lose precision as JavaScript numbers: sent as strings


def value_tree(
    value: Any,
    *,
    max_items: int = PREVIEW_LIMITS["max_items"],
    max_chars: int = PREVIEW_LIMITS["max_chars"],
    max_depth: int = PREVIEW_LIMITS["max_depth"],
    path: Sequence[str | int] = (),
) -> dict[str, Any]:
    """Describe ``value`` as a JSON-safe tree the view renders by type.

    Nodes: ``{"t": "none"|"bool"|"int"|"float"|"str"|"bytes"|"datetime"|"date"|"duration"|"enum", "v": ...}``,
    containers ``{"t": "list"|"map"|"record", "len", "items": [...], "truncated"}`` (map/record items are
    ``{"k", "v"}``), references ``{"t": "blob"|"structured_dataset"|"offloaded", "uri", "format", ...}``,
    ``{"t": "error", "message", "node"}`` and ``{"t": "object", "type", "v": repr}``. Whatever was cut (a long
    string, a big collection, a deep nesting) says so (``truncated``) and carries ``path``: the steps from the
    variable (a name, then item positions) that a "show all" request sends back to :func:`resolve_path`.
    """
    limits = {"max_items": max_items, "max_chars": max_chars, "max_depth": max_depth}
    return _tree(value, list(path), 0, limits)


def _truncate_text(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


def _tree(value: Any, path: list[str | int], depth: int, lim: Mapping[str, int]) -> dict[str, Any]:
    # Order matters: bool before int, enums before their base types, references before dataclasses.
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, enum.Enum):
        return {"t": "enum", "type": type(value).__name__, "v": str(value.name)}
    if isinstance(value, int):
        return {"t": "int", "v": value if -_SAFE_INT < value < _SAFE_INT else str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": value if math.isfinite(value) else repr(value)}
    if isinstance(value, str):
        text, cut = _truncate_text(value, lim["max_chars"])
        node: dict[str, Any] = {"t": "str", "v": text, "len": len(value)}
        return _mark(node, cut, path)
    if isinstance(value, (bytes, bytearray)):
        shown = bytes(value[: min(len(value), lim["max_chars"] // 2)])
        return _mark({"t": "bytes", "v": shown.hex(), "len": len(value)}, len(shown) < len(value), path)
    if isinstance(value, _dt.datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, _dt.timedelta):
        return {"t": "duration", "v": value.total_seconds()}
    if isinstance(value, BlobRef):
        kind = "directory" if value.dimensionality == "multipart" else "file"
        return {"t": "blob", "uri": value.uri, "format": value.format, "dimensionality": kind}
    if isinstance(value, StructuredDatasetRef):
        cols = [{"name": n, "type": t} for n, t in value.columns]
        return {"t": "structured_dataset", "uri": value.uri, "format": value.format, "columns": cols}
    if isinstance(value, OffloadedRef):
        return {"t": "offloaded", "uri": value.uri, "size_bytes": value.size_bytes, "type": value.type_name}
    if isinstance(value, LiteralError):
        return {"t": "error", "message": value.message, "node": value.failed_node_id}
    if isinstance(value, UnknownLiteral):
        return {"t": "object", "type": "unknown literal", "v": value.kind}
    if depth >= lim["max_depth"]:
        return _mark({"t": "object", "type": type(value).__name__, "v": "…"}, True, path)
    if isinstance(value, Mapping):
        entries = list(value.items())
        items = [
            {"k": str(k), "v": _tree(v, [*path, i], depth + 1, lim)}
            for i, (k, v) in enumerate(entries[: lim["max_items"]])
        ]
        return _mark({"t": "map", "len": len(entries), "items": items}, len(entries) > len(items), path)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        items = [
            {"k": f.name, "v": _tree(getattr(value, f.name), [*path, i], depth + 1, lim)}
            for i, f in enumerate(fields[: lim["max_items"]])
        ]
        node = {"t": "record", "type": type(value).__name__, "len": len(fields), "items": items}
        return _mark(node, len(fields) > len(items), path)
    if isinstance(value, (list, tuple, set, frozenset)):
        seq = list(value) if isinstance(value, (set, frozenset)) else value
        items = [_tree(v, [*path, i], depth + 1, lim) for i, v in enumerate(seq[: lim["max_items"]])]
        return _mark({"t": "list", "len": len(seq), "items": items}, len(seq) > len(items), path)
    text, cut = _truncate_text(_safe_repr(value), lim["max_chars"])
    return _mark({"t": "object", "type": type(value).__qualname__, "v": text}, cut, path)


def _mark(node: dict[str, Any], truncated: bool, path: list[str | int]) -> dict[str, Any]:
    """Flag a cut node with the path that fetches it whole."""
    if truncated:
        node["truncated"] = True
        node["path"] = list(path)
    return node


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as e:  # a user type's __repr__ may raise: show that instead of failing the whole answer
        return f"<{type(value).__qualname__}: repr failed: {type(e).__name__}>"


def resolve_path(root: Mapping[str, Any], path: Sequence[Any]) -> Any:
    """The value at ``path`` (a variable name, then item positions as produced by :func:`value_tree`).

    Raises ``ValueError`` naming the step that does not exist.
    """
    if not path or not isinstance(path[0], str):
        raise ValueError(f"path must start with a variable name, got {list(path)!r}")
    value = root[path[0]]
    for step, pos in enumerate(path[1:], start=1):
        if not isinstance(pos, int) or isinstance(pos, bool) or pos < 0:
            raise ValueError(f"path step {step} must be a position (int >= 0), got {pos!r}")
        try:
            if isinstance(value, Mapping):
                value = list(value.values())[pos]
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                value = getattr(value, dataclasses.fields(value)[pos].name)
            elif isinstance(value, (list, tuple)):
                value = value[pos]
            elif isinstance(value, (set, frozenset)):
                value = list(value)[pos]
            else:
                raise ValueError(f"path step {step}: a {type(value).__name__} has no items")
        except IndexError:
            raise ValueError(f"path step {step}: position {pos} is out of range") from None
    return value


def path_label(path: Sequence[Any]) -> str:
    """``x[3][0]``: how the view and the log name a selected entry."""
    return str(path[0]) + "".join(f"[{p}]" for p in path[1:])


def variable_type(var: Any) -> str:
    """The type label of an interface variable (or a bare LiteralType), e.g. ``list[int]``."""
    try:
        literal_type = var.type if hasattr(var, "type") else var
        return describe_type(literal_type)
    except Exception:  # an interface from a newer Flyte: the type name is decoration only
        return "unknown"
