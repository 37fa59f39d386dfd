"""``as_type`` coercion: a converted literal's value made into a requested Python type (dataclasses, numbers,
dates and durations, enums, ``Optional``/``Union``, ``list[T]``, ``dict[str, T]``), or a :class:`CoercionError`
saying why not. The scalar coercers (``to_int``, ``to_str``, ...) also check the values :mod:`.python_to_literal`
builds literals from."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import math
import types
import typing
from collections.abc import Callable
from typing import Any

from .literal_refs import REFS

__all__ = ["CoercionError", "coerce", "describe_value", "is_number", "type_name"]


class CoercionError(Exception):
    """Why a value cannot become a type: ``to_python`` turns it into a TypeError naming the literal's kind,
    ``to_literal`` into a ValueError naming the expected type."""


def type_name(tp: Any) -> str:
    """A Python type as a message names it: ``int``, ``Point``, ``list[int]``."""
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__qualname__ if tp.__module__ != "builtins" else tp.__name__
    return repr(tp).replace("typing.", "")


def coerce(value: Any, tp: Any) -> Any:
    """``value`` (a converted literal's) as ``tp``, else :class:`CoercionError` saying why."""
    if tp is None or tp is Any or tp is object:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return coerce(value, args[0])
    if origin is typing.Union or origin is types.UnionType:
        return _coerce_union(value, args)
    if tp is type(None):
        if value is None:
            return None
        raise CoercionError(f"value is {describe_value(value)}, not None")
    if isinstance(value, REFS) and not (isinstance(tp, type) and isinstance(value, tp)):
        raise CoercionError(f"the value is a {type(value).__name__} (data is never downloaded)")
    if origin in (list, typing.List) or tp is list:  # noqa: UP006
        if not isinstance(value, list):
            raise CoercionError(f"value is {describe_value(value)}, not a list")
        return [coerce(v, args[0]) for v in value] if args else value
    if origin in (dict, typing.Dict) or tp is dict:  # noqa: UP006
        if not isinstance(value, dict):
            raise CoercionError(f"value is {describe_value(value)}, not a dict")
        return {k: coerce(v, args[1]) for k, v in value.items()} if len(args) == 2 else value
    if origin is not None:
        raise CoercionError(f"{type_name(tp)} is not supported")
    if not isinstance(tp, type):
        raise CoercionError(f"{tp!r} is not a type")
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
            raise CoercionError(str(e)) from e
    raise CoercionError(f"value is {describe_value(value)}")


def describe_value(value: Any) -> str:
    """A value for a message: its type and its repr, cut to 60 characters."""
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _coerce_union(value: Any, args: tuple[Any, ...]) -> Any:
    if value is None:
        if type(None) in args:
            return None
        raise CoercionError("value is None and the type is not Optional")
    candidates = [a for a in args if a is not type(None)]
    for arm in candidates:  # an exact match first: Union[float, int] keeps an int an int
        if isinstance(arm, type) and typing.get_origin(arm) is None and type(value) is arm:
            return value
    reasons = []
    for arm in candidates:
        try:
            return coerce(value, arm)
        except CoercionError as e:
            reasons.append(f"{type_name(arm)}: {e}")
    raise CoercionError("no variant fits (" + "; ".join(reasons) + ")")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise CoercionError(f"value is {describe_value(value)}")


def to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise CoercionError(f"value is {describe_value(value)}")


def to_float(value: Any) -> float:
    if is_number(value):
        return float(value)
    raise CoercionError(f"value is {describe_value(value)}")


def to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    raise CoercionError(f"value is {describe_value(value)}")


def to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    raise CoercionError(f"value is {describe_value(value)}")


def to_datetime(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise CoercionError(f"value is {describe_value(value)}")


def to_date(value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise CoercionError(f"value is {describe_value(value)}")


def to_timedelta(value: Any) -> _dt.timedelta:
    if isinstance(value, _dt.timedelta):
        return value
    if is_number(value) and math.isfinite(value):
        try:
            return _dt.timedelta(seconds=value)
        except OverflowError:
            raise CoercionError(f"value is {describe_value(value)} seconds, past timedelta's range") from None
    raise CoercionError(f"value is {describe_value(value)}")


_SCALAR_COERCERS: dict[type, Callable[[Any], Any]] = {
    bool: to_bool,
    int: to_int,
    float: to_float,
    str: to_str,
    bytes: to_bytes,
    _dt.datetime: to_datetime,
    _dt.date: to_date,
    _dt.timedelta: to_timedelta,
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
    raise CoercionError(f"value is {describe_value(value)}, not one of {allowed}")


def _coerce_dataclass(value: Any, tp: type) -> Any:
    if isinstance(value, tp):
        return value
    if not isinstance(value, dict):
        raise CoercionError(f"value is {describe_value(value)}, not a dict of fields")
    try:
        hints = typing.get_type_hints(tp)
    except Exception:  # unresolvable annotations: take the fields as they are
        hints = {}
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(tp):
        if not f.init or f.name not in value:
            continue
        try:
            kwargs[f.name] = coerce(value[f.name], hints.get(f.name, Any))
        except CoercionError as e:
            raise CoercionError(f"field {f.name!r}: {e}") from None
    try:
        return tp(**kwargs)
    except TypeError as e:  # a required field is missing
        raise CoercionError(str(e)) from None


def is_number(value: Any) -> bool:
    """An int or a float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
