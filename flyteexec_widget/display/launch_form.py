"""The relaunch form: fields built from a launch plan's typed inputs, prefilled, and the texts typed back.

The view (``static/relaunch.js``) draws one field per input and checks each as it is typed; the kernel is the
authority: :func:`parse_form` turns the texts into Python values, and
:func:`~flyteexec_widget.objects.launch_inputs.launch_inputs` builds the literals for the declared types, so a bad
value comes back naming its input and what fits. A field (JSON for the view, ``{"fields": [...]}``):

``{"name", "type": describe_type name, "kind", "text": the prefilled text, "required", "fixed", "values"?: enum
values, "description"?}``. ``kind`` is how the text is read:

==================  ==========================================================================================
kind                text
==================  ==========================================================================================
int / float         a whole number (64-bit) / a number, or ``inf``, ``-inf``, ``nan``
str                 the text as it is
bool                ``true`` or ``false``
datetime            ISO 8601 (``2026-11-01T06:30:00Z``; without a zone, UTC)
duration            a number of seconds
enum                one of ``values``
list / map / struct JSON (a list / an object); datetimes as ISO strings, durations as seconds, blobs as URIs
union               JSON when the text is JSON, else the text (a string that reads as JSON is shown quoted)
blob / dataset      a URI (``s3://bucket/key``); nothing is uploaded
none                empty
unsupported         shown, not editable: the execution's literal is launched as it is
fixed               shown, not editable: the launch plan fixes it
==================  ==========================================================================================
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from ..objects.launch_inputs import InputsError, Parameter, fixed_of, launch_inputs, parameters_of
from ..objects.literal_refs import BlobRef, StructuredDatasetRef
from ..objects.literal_to_python import to_python
from ..objects.literal_types import describe_type

__all__ = ["form_fields", "kind_of", "literal_text", "parse_form", "parse_text"]

_SIMPLE_KINDS = {
    types_pb2.INTEGER: "int",
    types_pb2.FLOAT: "float",
    types_pb2.STRING: "str",
    types_pb2.BOOLEAN: "bool",
    types_pb2.DATETIME: "datetime",
    types_pb2.DURATION: "duration",
    types_pb2.STRUCT: "struct",
    types_pb2.NONE: "none",
}

#: Kinds whose text is JSON.
JSON_KINDS = ("list", "map", "struct")


def kind_of(literal_type: Any) -> str:
    """How a form reads the text of an input of this ``LiteralType`` (see the module docstring)."""
    which = literal_type.WhichOneof("type")
    if which == "simple":
        return _SIMPLE_KINDS.get(literal_type.simple, "unsupported")
    return {
        "enum_type": "enum",
        "collection_type": "list",
        "map_value_type": "map",
        "union_type": "union",
        "blob": "blob",
        "structured_dataset_type": "dataset",
    }.get(which or "", "unsupported")


def _seconds_text(td: _dt.timedelta) -> str:
    s = td.total_seconds()
    return str(int(s)) if s.is_integer() else repr(s)


def _iso(value: _dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    """A Python value as a form's JSON holds it: datetimes as ISO text, durations as seconds, data as URIs."""
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if isinstance(value, _dt.timedelta):
        s = value.total_seconds()
        return int(s) if s.is_integer() else s
    if isinstance(value, (BlobRef, StructuredDatasetRef)):
        return value.uri
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a {type(value).__name__} has no text in a form")


def literal_text(literal: Any, literal_type: Any) -> str:
    """The text a field of ``literal_type`` shows for ``literal`` (the inverse of :func:`parse_text`).

    Raises ``TypeError`` / ``ValueError`` for a literal a form cannot show (bytes, an unknown kind).
    """
    kind = kind_of(literal_type)
    value = to_python(literal, literal_type)
    if kind == "bool" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "float" and isinstance(value, float):
        return repr(value)
    if kind == "datetime" and isinstance(value, _dt.datetime):
        return _iso(value)
    if kind == "duration" and isinstance(value, _dt.timedelta):
        return _seconds_text(value)
    if kind in ("blob", "dataset") and isinstance(value, (BlobRef, StructuredDatasetRef)):
        return value.uri
    if kind in ("int", "str", "enum") and isinstance(value, (int, str)) and not isinstance(value, bool):
        return str(value)
    if kind == "none":
        return ""
    if kind in (*JSON_KINDS, "union"):
        if kind == "union" and isinstance(value, str) and not _reads_as_json(value):
            return value  # bare: parse_text gives it back as this string; "42" or "true" are quoted below
        return json.dumps(_jsonable(value), ensure_ascii=False)
    raise TypeError(f"a {kind} input cannot show a {type(value).__name__}")


def _reads_as_json(text: str) -> bool:
    """Whether a union field's text would be read as JSON (parse_text), not as the string it is."""
    try:
        json.loads(text.strip())
    except ValueError:
        return False
    return True


_INT = re.compile(r"[-+]?\d+")
#: The non-finite floats a float field takes, as Python writes them (``repr``: what the field is prefilled with).
_NON_FINITE = ("nan", "inf", "+inf", "-inf")


def parse_text(kind: str, text: str, values: tuple[str, ...] = ()) -> Any:
    """The Python value a field's text stands for; ``ValueError`` says what a valid text is."""
    t = text.strip()
    if kind == "int":
        if not _INT.fullmatch(t):
            raise ValueError("enter a whole number, e.g. 42")
        return int(t)
    if kind == "float" and t.lower() in _NON_FINITE:
        return float(t)  # a Flyte float is a double: an input of inf (e.g. a default float("inf")) relaunches as is
    if kind in ("float", "duration"):
        try:
            n = float(t)
        except ValueError:
            n = math.nan
        if not math.isfinite(n):  # 1e400 overflows: not an infinity anyone typed
            raise ValueError("enter a number, e.g. 0.5" if kind == "float" else "enter a number of seconds, e.g. 90")
        return n
    if kind == "bool":
        if t not in ("true", "false"):
            raise ValueError("choose true or false")
        return t == "true"
    if kind == "datetime":
        try:
            return _dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("enter an ISO 8601 date and time, e.g. 2026-11-01T06:30:00Z") from None
    if kind == "enum":
        if t not in values:
            raise ValueError("choose one of " + ", ".join(values))
        return t
    if kind == "str":
        return text
    if kind in ("blob", "dataset"):
        return t
    if kind == "none":
        if t:
            raise ValueError("this input takes no value: leave it empty")
        return None
    if kind in JSON_KINDS:
        try:
            value = json.loads(t)
        except json.JSONDecodeError as e:
            raise ValueError(f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
        shape = {"list": list, "map": dict, "struct": dict}[kind]
        if not isinstance(value, shape):
            raise ValueError(
                "enter a JSON list, e.g. [1, 2]" if kind == "list" else 'enter a JSON object, e.g. {"a": 1}'
            )
        return value
    if kind == "union":
        try:
            return json.loads(t)
        except json.JSONDecodeError:
            return text
    raise ValueError(f"a {kind} input cannot be edited here")


def form_fields(launch_plan: Any, inputs: literals_pb2.LiteralMap | None) -> list[dict[str, Any]]:
    """The form of a launch plan (admin ``LaunchPlan``), prefilled with ``inputs`` (the execution's; an input it
    lacks shows the launch plan's default): the editable inputs by name, then the fixed ones."""
    given = inputs.literals if inputs is not None else {}
    fields: list[dict[str, Any]] = []
    for name, param in parameters_of(launch_plan).items():
        fields.append(_field(param, given.get(name)))
    for name, literal in fixed_of(launch_plan).items():
        field: dict[str, Any] = {"name": name, "kind": "fixed", "required": False, "fixed": True}
        try:
            field["type"] = _literal_type_name(literal)
            field["text"] = json.dumps(_jsonable(to_python(literal)), ensure_ascii=False)
        except (TypeError, ValueError):
            field["type"], field["text"] = "unknown", "(not shown)"
        fields.append(field)
    return fields


def _literal_type_name(literal: Any) -> str:
    value = to_python(literal)
    return type(value).__name__ if not isinstance(value, (BlobRef, StructuredDatasetRef)) else "uri"


def _field(param: Parameter, literal: Any) -> dict[str, Any]:
    kind = kind_of(param.type)
    field: dict[str, Any] = {
        "name": param.name,
        "type": describe_type(param.type),
        "kind": kind,
        "required": param.required,
        "fixed": False,
        "text": "",
    }
    if param.description and param.description != param.name:
        field["description"] = param.description
    if kind == "enum":
        field["values"] = list(param.type.enum_type.values)
    source = literal if literal is not None else param.default
    if source is not None:
        try:
            field["text"] = literal_text(source, param.type)
        except (TypeError, ValueError):
            field["kind"] = "unsupported"  # launched as it is (a bytes value, a literal of a newer Flyte)
            field["text"] = "(kept as it is: this form cannot edit it)"
    elif kind == "unsupported":
        field["text"] = "(this form cannot edit it)"
    return field


def parse_form(
    launch_plan: Any, texts: Mapping[str, Any], inputs: literals_pb2.LiteralMap | None
) -> literals_pb2.LiteralMap:
    """The inputs to launch with: ``texts`` (input name -> the field's text) read by each input's kind, over
    ``inputs`` (the execution's, which an unsupported field keeps). An empty text leaves an optional input to
    its default. Raises :class:`~flyteexec_widget.objects.launch_inputs.InputsError` naming every bad field."""
    params = parameters_of(launch_plan)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, text in texts.items():
        param = params.get(name)
        if param is None:  # unknown or fixed: launch_inputs names it
            values[name] = text
            continue
        if not isinstance(text, str):
            errors[name] = f"expected the field's text, got {type(text).__name__}"
            continue
        kind = kind_of(param.type)
        if kind == "unsupported":
            continue  # not editable: the execution's literal (base) goes as it is
        if text.strip() == "" and kind not in ("str", "none"):
            if param.required:
                errors[name] = f"a value is required ({describe_type(param.type)})"
            continue  # FlyteAdmin fills the default
        try:
            values[name] = parse_text(kind, text, tuple(param.type.enum_type.values))
        except ValueError as e:
            errors[name] = f"{e} ({describe_type(param.type)})"
    base = literals_pb2.LiteralMap()
    if inputs is not None:
        for name, literal in inputs.literals.items():
            # an emptied optional field goes back to its default: drop the execution's value for it
            param = params.get(name)
            if param is None or not (name in texts and name not in values and kind_of(param.type) != "unsupported"):
                base.literals[name].CopyFrom(literal)
    try:
        result = launch_inputs(launch_plan, values, base=base)
    except InputsError as e:
        raise InputsError({**e.fields, **errors}) from None
    if errors:
        raise InputsError(errors)
    return result
