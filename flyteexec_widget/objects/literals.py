"""Flyte literals as Python values: :class:`LiteralsResolver`, a lazy mapping over a ``LiteralMap``.

It mirrors flytekit's ``flytekit.core.type_engine.LiteralsResolver``: a read-only mapping whose values are
converted only when they are read, with no flytekit and no Python types needed. A resolver's ``type_hints`` (or
``get(..., as_type=)``) coerce a value as :mod:`.coerce` says; a value that cannot become the type raises a
``TypeError`` naming the key, the literal's kind and the type.

The rest of the literal handling lives beside it: :mod:`.literal_to_python` (``to_python``, ``literal_kind``),
:mod:`.python_to_literal` (``to_literal``, for signal values and launch inputs), :mod:`.coerce` (``as_type``),
:mod:`.literal_refs` (``BlobRef``, ``StructuredDatasetRef``, ... what data by reference becomes) and
:mod:`.literal_types` (a literal's kind, ``describe_type``). No function of them touches the network or a blob
store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from ..admin.plaintext import printable
from .coerce import describe_value
from .literal_to_python import literal_kind, to_python
from .literal_types import as_proto

__all__ = ["LiteralKeyError", "LiteralsResolver"]

LiteralMap = literals_pb2.LiteralMap
LiteralType = types_pb2.LiteralType


class LiteralKeyError(KeyError, ValueError):
    """A name that is not in the resolver. A ``KeyError`` for mappings, a ``ValueError`` as flytekit raises."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


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
        literals = as_proto(literals)
        if isinstance(literals, LiteralMap):  # a protobuf map has no order: sort it
            items = dict(sorted(literals.literals.items()))
        elif isinstance(literals, Mapping):
            items = dict(literals)
        else:
            raise TypeError(
                f"LiteralsResolver needs a LiteralMap or a mapping of name -> Literal, not {describe_value(literals)}"
            )
        if variable_map is not None and hasattr(variable_map, "variables"):  # a VariableMap proto
            variable_map = variable_map.variables
        if variable_map:  # the interface's order first (o0, o1, ...), then the rest
            items = {**{k: items[k] for k in variable_map if k in items}, **items}
        self._literals: dict[str, Any] = {name: as_proto(lit) for name, lit in items.items()}
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
        var = as_proto(self._variable_map[attr])
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
