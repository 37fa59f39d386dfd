"""A launch plan's typed inputs, and the inputs of a new execution built from Python values against them.

What FlyteAdmin does with the inputs of ``CreateExecution`` (``CheckAndFetchInputsForExecution`` in
``flyteadmin/pkg/manager/impl/validation/execution_validator.go``, flyteorg/flyte master): a name the launch plan
does not expect is INVALID_ARGUMENT ("invalid input x"), a value whose type does not cast to the declared one is
INVALID_ARGUMENT ("invalid x input wrong type"), a missing required one too, defaults fill the rest and fixed
inputs are added (giving one is refused). :func:`launch_inputs` makes the same checks before any call, with a
message that names the input and says what fits, so a bad value never reaches the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flyteidl.core import literals_pb2

from .literal_types import describe_type
from .python_to_literal import to_literal

__all__ = ["InputsError", "Parameter", "fixed_of", "launch_inputs", "parameters_of"]


class InputsError(ValueError):
    """Inputs that do not fit the launch plan; ``fields`` maps each bad input's name to what is wrong with it."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("; ".join(f"input {name!r}: {why}" for name, why in sorted(self.fields.items())))


@dataclass(frozen=True)
class Parameter:
    """One input of a launch plan: its name, ``LiteralType``, whether it must be given, and its default literal."""

    name: str
    type: Any  # flyteidl.core.LiteralType
    required: bool
    default: Any  # flyteidl.core.Literal | None
    description: str = ""


def parameters_of(launch_plan: Any) -> dict[str, Parameter]:
    """The inputs a launch plan (admin ``LaunchPlan``) takes, by name, sorted: ``closure.expected_inputs`` as
    FlyteAdmin computed them at registration, else ``spec.default_inputs`` (the same for a registered plan).
    Fixed inputs are not among them (see :func:`fixed_of`)."""
    params = launch_plan.closure.expected_inputs.parameters or launch_plan.spec.default_inputs.parameters
    out: dict[str, Parameter] = {}
    for name in sorted(params):
        p = params[name]
        out[name] = Parameter(
            name=name,
            type=p.var.type,
            required=bool(p.required) and not p.HasField("default"),
            default=p.default if p.HasField("default") else None,
            description=p.var.description,
        )
    return out


def fixed_of(launch_plan: Any) -> dict[str, Any]:
    """The launch plan's fixed inputs (name -> ``Literal``), sorted: they cannot be changed at launch."""
    fixed = launch_plan.spec.fixed_inputs.literals
    return {name: fixed[name] for name in sorted(fixed)}


def launch_inputs(
    launch_plan: Any, values: Mapping[str, Any], base: literals_pb2.LiteralMap | None = None
) -> literals_pb2.LiteralMap:
    """The ``LiteralMap`` to launch ``launch_plan`` with: ``base`` (e.g. the inputs of the execution being
    relaunched; fixed and unknown names in it are dropped) overlaid with ``values``, each a Python value (or a
    ``Literal``, taken as is) built for the input's declared type by
    :func:`~flyteexec_widget.objects.python_to_literal.to_literal`.

    Raises :class:`InputsError` naming every input that is unknown, fixed, does not fit its type (saying what
    the type is and what would fit) or is required and missing.
    """
    params = parameters_of(launch_plan)
    fixed = fixed_of(launch_plan)
    out = literals_pb2.LiteralMap()
    if base is not None:
        for name, literal in base.literals.items():
            if name in params:
                out.literals[name].CopyFrom(literal)
    errors: dict[str, str] = {}
    for name, value in values.items():
        if name in fixed:
            errors[name] = "fixed by the launch plan; it cannot be changed"
            continue
        param = params.get(name)
        if param is None:
            valid = ", ".join(params) or "none"
            errors[name] = f"the launch plan has no such input (its inputs: {valid})"
            continue
        if isinstance(value, literals_pb2.Literal):
            out.literals[name].CopyFrom(value)
            continue
        try:
            out.literals[name].CopyFrom(to_literal(value, param.type))
        except (ValueError, TypeError) as e:
            errors[name] = str(e) or f"does not fit {describe_type(param.type)}"
    for name, param in params.items():
        if param.required and name not in out.literals and name not in errors:
            errors[name] = f"required ({describe_type(param.type)}), and this execution has no value for it"
    if errors:
        raise InputsError(errors)
    return out
