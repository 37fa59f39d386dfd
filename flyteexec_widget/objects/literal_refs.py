"""References: what a literal that points at data (or at an error) becomes. Nothing is ever downloaded."""

from __future__ import annotations

import dataclasses
from typing import Any

from .literal_types import describe_type, kind_path

__all__ = ["REFS", "BlobRef", "LiteralError", "OffloadedRef", "StructuredDatasetRef", "UnknownLiteral"]


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
        return kind_path(self.literal)

    def __repr__(self) -> str:
        return f"UnknownLiteral(kind={self.kind!r})"


REFS = (BlobRef, StructuredDatasetRef, OffloadedRef, LiteralError, UnknownLiteral)
