"""The typed value tree of the outputs viewer: one node kind per Python type, cuts that carry the path to fetch
them whole, and resolving those paths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

import pytest

from flyteexec_widget.display.values import resolve_path, value_tree
from flyteexec_widget.objects.literal_refs import BlobRef, LiteralError, StructuredDatasetRef


@dataclasses.dataclass
class Point:
    x: int
    label: str


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {"t": "none"}),
        (True, {"t": "bool", "v": True}),
        (2**60, {"t": "int", "v": str(2**60)}),  # beyond JavaScript's exact integers
        (math.nan, {"t": "float", "v": "nan"}),
        (1.5, {"t": "float", "v": 1.5}),
        (b"\x00\xff", {"t": "bytes", "v": "00ff", "len": 2}),
        (dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), {"t": "datetime", "v": "2026-01-02T00:00:00+00:00"}),
        (dt.timedelta(minutes=1), {"t": "duration", "v": 60.0}),
        (
            BlobRef("s3://b/f.csv", "csv"),
            {"t": "blob", "uri": "s3://b/f.csv", "format": "csv", "dimensionality": "file"},
        ),
        (
            StructuredDatasetRef("s3://b/df", "parquet", (("a", "int"),)),
            {
                "t": "structured_dataset",
                "uri": "s3://b/df",
                "format": "parquet",
                "columns": [{"name": "a", "type": "int"}],
            },
        ),
        (LiteralError("n2", "boom"), {"t": "error", "message": "boom", "node": "n2"}),
        (
            Point(1, "a"),
            {
                "t": "record",
                "type": "Point",
                "len": 2,
                "items": [{"k": "x", "v": {"t": "int", "v": 1}}, {"k": "label", "v": {"t": "str", "v": "a", "len": 1}}],
            },
        ),
        (
            {"k": [1]},
            {
                "t": "map",
                "len": 1,
                "items": [{"k": "k", "v": {"t": "list", "len": 1, "items": [{"t": "int", "v": 1}]}}],
            },
        ),
    ],
)
def test_value_tree_by_type(value: Any, expected: dict[str, Any]) -> None:
    tree = value_tree(value)
    assert tree == expected
    json.dumps(tree, allow_nan=False)  # always valid JSON


def test_value_tree_cuts_deep_nesting_with_a_path() -> None:
    deep: Any = 1
    for _ in range(12):
        deep = [deep]
    tree = value_tree(deep, path=["x"], max_depth=3)
    cut = tree["items"][0]["items"][0]["items"][0]
    assert cut == {"t": "object", "type": "list", "v": "…", "truncated": True, "path": ["x", 0, 0, 0]}
    assert resolve_path({"x": deep}, cut["path"]) == deep[0][0][0]


def test_value_tree_survives_a_repr_that_raises() -> None:
    class Weird:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert value_tree(Weird())["v"].endswith("repr failed: RuntimeError>")


def test_resolve_path_walks_maps_records_and_lists() -> None:
    root = {"o": {"a": Point(3, "p"), "b": [10, 20]}}
    assert resolve_path(root, ["o", 0, 1]) == "p"
    assert resolve_path(root, ["o", 1, 1]) == 20
    with pytest.raises(ValueError, match="out of range"):
        resolve_path(root, ["o", 1, 5])
    with pytest.raises(ValueError, match="variable name"):
        resolve_path(root, [0])
