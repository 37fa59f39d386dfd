"""The sandbox's scenarios: registered workflows, launch plans and tasks, and the script of what happens.

A scenario is data. :func:`Scenario.script` returns a :class:`Script`: a tree of :class:`NodeSpec` (kind, id,
timings, attempts, outputs, failures, children) that :mod:`.player` interprets generically, the way propeller
interprets a compiled workflow. The registered protos (``Task``, ``Workflow`` with its compiled closure,
``LaunchPlan``) are derived from the same tree, so ``GetWorkflow``/``GetTask``/``GetLaunchPlan`` describe exactly
what runs.

Parameters (``wide(size=...)``, ``deep(depth=...)``) travel as execution inputs, as in Flyte: the launch plan has
an integer input with the default value, ``Sandbox.launch("wide", size=10000)`` passes ``size`` as an input, and
the player reads it back from the inputs it receives in ``on_create`` (so relaunch and recover replay it).
Because the shape of the graph depends on the parameters, the registered version names them
(``v1`` for the defaults, ``v1-size-10000`` otherwise).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeAlias

from flyteidl.admin import common_pb2, launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import (
    compiler_pb2,
    condition_pb2,
    identifier_pb2,
    interface_pb2,
    literals_pb2,
    tasks_pb2,
    types_pb2,
)
from flyteidl.core import (
    workflow_pb2 as core_workflow_pb2,
)
from google.protobuf import duration_pb2, struct_pb2

from ..objects.phases import CacheStatus
from .taskconf import task_conf

NodeKind = Literal["task", "subworkflow", "dynamic", "branch", "launch_plan", "gate", "array"]
ErrorKind = Literal["USER", "SYSTEM"]
FailurePolicy = Literal["FAIL_IMMEDIATELY", "FAIL_AFTER_EXECUTABLE_NODES_COMPLETE"]

DEFAULT_VERSION = "v1"
#: Every scenario task is a flytekit python function task (a map task is an array node over one).
TASK_TYPE = "python-task"
#: ... except a dynamic one: flytekit's ``@dynamic`` registers ``task_type="dynamic-task"``
#: (``flytekit/core/dynamic_workflow_task.py``), and propeller reports the template's type in task events.
DYNAMIC_TASK_TYPE = "dynamic-task"
#: The module path the scenario tasks pretend to live in (task names look like flytekit's ``module.function``).
MODULE = "sandbox"


# ----------------------------------------------------------------------------------------------------------------
# Values: what scenario inputs/outputs hold, turned into flyteidl literals and types
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BlobValue:
    """A file or directory reference (a model, a checkpoint)."""

    uri: str
    format: str = ""
    multipart: bool = False


@dataclass(frozen=True)
class DatasetValue:
    """A StructuredDataset reference (a dataframe)."""

    uri: str
    format: str = "parquet"
    columns: tuple[tuple[str, str], ...] = ()  # (name, "int" | "float" | "str" | "bool")


@dataclass(frozen=True)
class EnumValue:
    """A value of an enum type (flytekit: a str-valued ``enum.Enum``): ``value`` is one of ``values``."""

    value: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class MapValue:
    """A typed map (``dict[str, T]``; a plain dict is an untyped STRUCT): ``T`` is the first item's type."""

    items: Mapping[str, Any]


Value = Any  # int, float, str, bool, datetime, timedelta, dict, list, BlobValue, DatasetValue, EnumValue, MapValue

_SIMPLE = {
    bool: types_pb2.BOOLEAN,
    int: types_pb2.INTEGER,
    float: types_pb2.FLOAT,
    str: types_pb2.STRING,
}
_COLUMN_TYPES = {"int": types_pb2.INTEGER, "float": types_pb2.FLOAT, "str": types_pb2.STRING, "bool": types_pb2.BOOLEAN}


def literal_type_of(value: Value) -> types_pb2.LiteralType:
    """The flyteidl LiteralType a scenario value is declared with."""
    if isinstance(value, (bool, int, float, str)):
        return types_pb2.LiteralType(simple=_SIMPLE[type(value)])
    if isinstance(value, dict):
        return types_pb2.LiteralType(simple=types_pb2.STRUCT)
    if isinstance(value, datetime):
        return types_pb2.LiteralType(simple=types_pb2.DATETIME)
    if isinstance(value, timedelta):
        return types_pb2.LiteralType(simple=types_pb2.DURATION)
    if isinstance(value, EnumValue):
        return types_pb2.LiteralType(enum_type=types_pb2.EnumType(values=list(value.values)))
    if isinstance(value, MapValue):
        first = next(iter(value.items.values()), None)
        inner = literal_type_of(first) if first is not None else types_pb2.LiteralType(simple=types_pb2.NONE)
        return types_pb2.LiteralType(map_value_type=inner)
    if isinstance(value, BlobValue):
        dim = types_pb2.BlobType.MULTIPART if value.multipart else types_pb2.BlobType.SINGLE
        return types_pb2.LiteralType(blob=types_pb2.BlobType(format=value.format, dimensionality=dim))
    if isinstance(value, DatasetValue):
        cols = [
            types_pb2.StructuredDatasetType.DatasetColumn(
                name=name, literal_type=types_pb2.LiteralType(simple=_COLUMN_TYPES[t])
            )
            for name, t in value.columns
        ]
        return types_pb2.LiteralType(
            structured_dataset_type=types_pb2.StructuredDatasetType(columns=cols, format=value.format)
        )
    if isinstance(value, list):
        inner = literal_type_of(value[0]) if value else types_pb2.LiteralType(simple=types_pb2.NONE)
        return types_pb2.LiteralType(collection_type=inner)
    raise TypeError(f"scenario value of unsupported type {type(value).__name__}: {value!r}")


def to_literal(value: Value) -> literals_pb2.Literal:
    """A scenario value as a flyteidl Literal (dicts become a Struct, as flytekit stores untyped dicts)."""
    if isinstance(value, bool):
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=value)))
    if isinstance(value, int):
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=value)))
    if isinstance(value, float):
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(float_value=value)))
    if isinstance(value, str):
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value=value)))
    if isinstance(value, dict):
        s = struct_pb2.Struct()
        s.update(value)
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(generic=s))
    if isinstance(value, datetime):
        prim = literals_pb2.Primitive()
        prim.datetime.FromDatetime(value.astimezone(timezone.utc).replace(tzinfo=None))
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=prim))
    if isinstance(value, timedelta):
        prim = literals_pb2.Primitive()
        prim.duration.FromTimedelta(value)
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=prim))
    if isinstance(value, EnumValue):  # flytekit's EnumTransformer: the value as a string primitive
        return literals_pb2.Literal(
            scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value=value.value))
        )
    if isinstance(value, MapValue):
        return literals_pb2.Literal(
            map=literals_pb2.LiteralMap(literals={k: to_literal(v) for k, v in value.items.items()})
        )
    if isinstance(value, BlobValue):
        dim = types_pb2.BlobType.MULTIPART if value.multipart else types_pb2.BlobType.SINGLE
        blob = literals_pb2.Blob(
            uri=value.uri,
            metadata=literals_pb2.BlobMetadata(type=types_pb2.BlobType(format=value.format, dimensionality=dim)),
        )
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(blob=blob))
    if isinstance(value, DatasetValue):
        sd = literals_pb2.StructuredDataset(
            uri=value.uri,
            metadata=literals_pb2.StructuredDatasetMetadata(
                structured_dataset_type=literal_type_of(value).structured_dataset_type
            ),
        )
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(structured_dataset=sd))
    if isinstance(value, list):
        return literals_pb2.Literal(collection=literals_pb2.LiteralCollection(literals=[to_literal(v) for v in value]))
    raise TypeError(f"scenario value of unsupported type {type(value).__name__}: {value!r}")


def literal_map(values: Mapping[str, Value]) -> literals_pb2.LiteralMap:
    """A LiteralMap of scenario values."""
    return literals_pb2.LiteralMap(literals={k: to_literal(v) for k, v in values.items()})


def variable_map(values: Mapping[str, Value]) -> interface_pb2.VariableMap:
    """The declared variables for scenario values."""
    return interface_pb2.VariableMap(
        variables={k: interface_pb2.Variable(type=literal_type_of(v), description=k) for k, v in values.items()}
    )


# ----------------------------------------------------------------------------------------------------------------
# The script: a tree of node specs
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Failure:
    """How an attempt (or a gate, or a node) fails: ``ExecutionError`` fields."""

    code: str
    message: str
    kind: ErrorKind = "USER"


@dataclass(frozen=True)
class Attempt:
    """One task attempt: ``queued_s`` before it runs, ``run_s`` running, then success (``failure is None``)."""

    run_s: float
    failure: Failure | None = None
    queued_s: float = 1.0


@dataclass(frozen=True)
class Gate:
    """A gate node: ``approve`` (BOOLEAN signal), ``signal`` (typed signal) or ``sleep``.

    A signal gate's ``type`` is a simple type, ``struct`` (a dict, as flytekit declares ``dict``) or ``enum``
    (one of ``choices``, as flytekit declares an ``Enum``).
    """

    kind: Literal["approve", "signal", "sleep"]
    signal_id: str = ""
    type: Literal["bool", "int", "float", "str", "struct", "enum"] = "bool"
    output_name: str = "o0"
    sleep_s: float = 0.0
    choices: tuple[str, ...] = ()

    def literal_type(self) -> types_pb2.LiteralType:
        """The signal's type (approve gates are BOOLEAN)."""
        if self.kind == "approve":
            return types_pb2.LiteralType(simple=types_pb2.BOOLEAN)
        if self.type == "struct":
            return types_pb2.LiteralType(simple=types_pb2.STRUCT)
        if self.type == "enum":
            return types_pb2.LiteralType(enum_type=types_pb2.EnumType(values=self.choices))
        return types_pb2.LiteralType(simple=_COLUMN_TYPES[self.type])


@dataclass(frozen=True)
class Subtasks:
    """An array node's subtasks: ``size`` of them, ``parallelism`` at a time, ``run_s`` each.

    ``retries`` maps an index to how many attempts of it fail before one succeeds; ``permanent`` lists indices
    whose every attempt fails (the array node then fails unless ``min_success_ratio`` allows it).
    """

    size: int
    run_s: float = 3.0
    parallelism: int = 0  # 0: all at once
    retries: Mapping[int, int] = field(default_factory=dict)
    max_retries: int = 2
    permanent: frozenset[int] = frozenset()
    min_success_ratio: float = 1.0
    task: str = "map_task"
    #: 0: subtask progress travels in the array task's ``external_resources`` (propeller's default); 1: each subtask
    #: is a child node execution ``<array>-<attempt>-n<i>`` with its own task executions (``ArrayNode.EventVersion``).
    event_version: int = 0


@dataclass(frozen=True)
class NodeSpec:
    """One node of a script; ``id`` is the spec node id (``n0``), the player derives the unique ids.

    ``upstream=None`` means "after the previous sibling" (a chain), ``()`` means "at once".
    ``children`` are the nodes of a subworkflow, of the workflow a dynamic node generates, or the node a branch
    takes. A launch-plan node launches ``launch_plan`` (a scenario name) as a child execution. A dynamic node retried
    after its generated workflow timed out generates ``retry_children[attempt]`` (``children`` when absent).
    """

    id: str
    kind: NodeKind = "task"
    name: str = ""
    upstream: tuple[str, ...] | None = None
    attempts: tuple[Attempt, ...] = (Attempt(5.0),)
    inputs: Mapping[str, Value] = field(default_factory=dict)
    outputs: Mapping[str, Value] = field(default_factory=dict)
    cache: CacheStatus = CacheStatus.CACHE_DISABLED
    children: tuple[NodeSpec, ...] = ()
    failure_policy: FailurePolicy = "FAIL_IMMEDIATELY"
    gate: Gate | None = None
    array: Subtasks | None = None
    launch_plan: str = ""
    timeout_s: float | None = None
    skipped: bool = False
    deck: str = ""  # HTML of the node's deck ("" = no deck)
    logs: bool = True
    queued_s: float = 0.5  # node QUEUED -> work starts
    retry_children: tuple[tuple[NodeSpec, ...], ...] = ()
    #: A branch's other cases, compiled (``other`` blocks, the last one the ``else_node``) but never taken.
    not_taken: tuple[NodeSpec, ...] = ()

    def children_for(self, attempt: int) -> tuple[NodeSpec, ...]:
        """The children of the node's ``attempt`` (a dynamic node may generate a different workflow each time)."""
        return self.retry_children[attempt] if attempt < len(self.retry_children) else self.children

    @property
    def retries(self) -> int:
        """Retries declared in the node metadata (attempts beyond the first)."""
        return max(0, len(self.attempts) - 1)

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Script:
    """What one execution does: the workflow's nodes, its inputs and outputs, and optional self-abort."""

    workflow: str
    nodes: tuple[NodeSpec, ...]
    inputs: Mapping[str, Value] = field(default_factory=dict)
    outputs: Mapping[str, Value] = field(default_factory=dict)
    #: Inputs the launch plan fixes (``fixed_inputs``): in the workflow's interface, not among the launch plan's
    #: default inputs, and refused when given at launch.
    fixed_inputs: Mapping[str, Value] = field(default_factory=dict)
    failure_policy: FailurePolicy = "FAIL_IMMEDIATELY"
    abort_after_s: float | None = None  # a user terminates the execution after this long
    abort_cause: str = "Terminated from the console by a user"
    #: The workflow's event version (flyteadmin's ``eventVersion`` setting, 2 by default). Below 2 propeller reports
    #: DYNAMIC_RUNNING as RUNNING (``nodes/transformers.go``), which FlyteAdmin refuses as already recorded: a
    #: dynamic node then never reports itself a parent, FlyteAdmin derives it from its children.
    event_version: int = 2


def iter_specs(nodes: Sequence[NodeSpec]) -> Iterator[NodeSpec]:
    """Every node spec of a tree, depth first."""
    for n in nodes:
        yield n
        yield from iter_specs(n.children)
        for kids in n.retry_children:
            yield from iter_specs(kids)


# ----------------------------------------------------------------------------------------------------------------
# Scenario: parameters, script, registered entities
# ----------------------------------------------------------------------------------------------------------------
Entity: TypeAlias = "task_pb2.Task | workflow_pb2.Workflow | launch_plan_pb2.LaunchPlan"


@dataclass(frozen=True)
class Scenario:
    """A named scenario: a script builder with integer parameters, plus the entities to register for it."""

    name: str
    description: str
    build: Callable[..., Script]
    params: Mapping[str, int] = field(default_factory=dict)
    limits: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    # -- parameters -------------------------------------------------------------------------------------------
    def resolve(self, **params: Any) -> dict[str, int]:
        """Defaults overlaid with ``params``, validated (a clear error names the bad parameter)."""
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            valid = ", ".join(sorted(self.params)) or "none"
            raise ValueError(f"scenario {self.name!r} has no parameter {unknown[0]!r} (valid parameters: {valid})")
        out = dict(self.params)
        for k, v in params.items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise ValueError(f"scenario {self.name!r} parameter {k!r} must be an int, got {v!r}")
            lo, hi = self.limits.get(k, (1, 1_000_000))
            if not lo <= v <= hi:
                raise ValueError(f"scenario {self.name!r} parameter {k!r} must be between {lo} and {hi}, got {v}")
            out[k] = v
        return out

    def version(self, **params: Any) -> str:
        """The registered version for these parameters (``v1`` for the defaults)."""
        p = self.resolve(**params)
        extra = [f"{k}-{v}" for k, v in sorted(p.items()) if v != self.params[k]]
        return "-".join([DEFAULT_VERSION, *extra])

    def inputs(self, **params: Any) -> literals_pb2.LiteralMap:
        """The execution inputs of a launch: the script's inputs plus the parameters."""
        p = self.resolve(**params)
        return literal_map({**self.script(**p).inputs, **p})

    def params_from_inputs(self, inputs: literals_pb2.LiteralMap) -> dict[str, int]:
        """Read the parameters back from execution inputs (missing ones take their default)."""
        out: dict[str, int] = {}
        for k in self.params:
            lit = inputs.literals.get(k)
            if lit is not None and lit.HasField("scalar") and lit.scalar.primitive.HasField("integer"):
                out[k] = int(lit.scalar.primitive.integer)
        return self.resolve(**out)

    def script(self, **params: Any) -> Script:
        """The script for these parameters."""
        return self.build(**self.resolve(**params))

    # -- identifiers --------------------------------------------------------------------------------------------
    def workflow_name(self) -> str:
        return f"{MODULE}.{self.name.replace('-', '_')}.wf"

    def launch_plan_id(self, project: str, domain: str, **params: Any) -> identifier_pb2.Identifier:
        """The launch plan to create an execution of (``name`` is the scenario's workflow name, as flytekit does)."""
        return identifier_pb2.Identifier(
            resource_type=identifier_pb2.LAUNCH_PLAN,
            project=project,
            domain=domain,
            name=self.workflow_name(),
            version=self.version(**params),
        )

    # -- entities -----------------------------------------------------------------------------------------------
    def entities(self, project: str, domain: str, **params: Any) -> list[Entity]:
        """Tasks, workflow and launch plan for these parameters (and those of launched child scenarios)."""
        p = self.resolve(**params)
        return _Builder(self, project, domain, p).build()


def scenario_for_launch_plan(name: str) -> Scenario | None:
    """The scenario a launch plan name belongs to (``sandbox.wide.wf`` -> ``wide``)."""
    for s in SCENARIOS.values():
        if s.workflow_name() == name:
            return s
    return None


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; the error lists the valid names."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; valid scenarios: {', '.join(SCENARIOS)}") from None


# ----------------------------------------------------------------------------------------------------------------
# Registered entities, derived from the script tree
# ----------------------------------------------------------------------------------------------------------------
def task_type(spec: NodeSpec) -> str:
    """The task type flytekit registers for a task/dynamic node's task."""
    return DYNAMIC_TASK_TYPE if spec.kind == "dynamic" else TASK_TYPE


def task_name(spec: NodeSpec) -> str:
    """The registered task name of a task/dynamic/array node."""
    base = spec.array.task if spec.kind == "array" and spec.array else (spec.name or spec.id)
    return f"{MODULE}.{base}"


def _duration(seconds: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromTimedelta(timedelta(seconds=seconds))
    return d


def _resource_entries(quantities: Mapping[str, str]) -> list[tasks_pb2.Resources.ResourceEntry]:
    """``{"cpu": "2", "memory": "4Gi"}`` as ``Resources`` entries (names as flytekit's ``Resources`` maps them)."""
    return [
        tasks_pb2.Resources.ResourceEntry(name=tasks_pb2.Resources.ResourceName.Value(k.upper()), value=v)
        for k, v in quantities.items()
    ]


class _Builder:
    """Turns a scenario's script into registrable protos."""

    def __init__(self, scenario: Scenario, project: str, domain: str, params: dict[str, int]) -> None:
        self.scenario = scenario
        self.project = project
        self.domain = domain
        self.params = params
        self.version = scenario.version(**params)
        self.script = scenario.script(**params)
        self.tasks: dict[str, tasks_pb2.TaskTemplate] = {}
        self.sub_workflows: dict[str, core_workflow_pb2.WorkflowTemplate] = {}
        self.children: list[Entity] = []

    def _id(self, rt: int, name: str, version: str | None = None) -> identifier_pb2.Identifier:
        return identifier_pb2.Identifier(
            resource_type=rt, project=self.project, domain=self.domain, name=name, version=version or self.version
        )

    def _task(self, spec: NodeSpec) -> identifier_pb2.Identifier:
        name = task_name(spec)
        tid = self._id(identifier_pb2.TASK, name)
        if name not in self.tasks:
            inputs = dict(spec.inputs)
            outputs = dict(spec.outputs)
            if spec.kind == "array":
                # The array node's outputs are lists; the task it maps produces one element per subtask.
                outputs = {k: v[0] if isinstance(v, list) and v else v for k, v in outputs.items()}
            cached = spec.cache != CacheStatus.CACHE_DISABLED
            conf = task_conf(name.removeprefix(f"{MODULE}."))
            metadata = tasks_pb2.TaskMetadata(
                discoverable=cached,
                discovery_version="1.0" if cached else "",
                cache_serializable=cached and conf.cache_serializable,
                runtime=tasks_pb2.RuntimeMetadata(
                    type=tasks_pb2.RuntimeMetadata.FLYTE_SDK, version="1.16.0", flavor="python"
                ),
                retries=literals_pb2.RetryStrategy(retries=spec.retries),
                timeout=_duration(spec.timeout_s) if spec.timeout_s else None,
            )
            if conf.interruptible is not None:  # a oneof: unset means "the workflow's default"
                metadata.interruptible = conf.interruptible
            self.tasks[name] = tasks_pb2.TaskTemplate(
                id=tid,
                type=task_type(spec),
                metadata=metadata,
                interface=interface_pb2.TypedInterface(inputs=variable_map(inputs), outputs=variable_map(outputs)),
                container=tasks_pb2.Container(
                    image=conf.image,
                    args=["pyflyte-execute", "--task-module", MODULE, "--task-name", spec.name or spec.id],
                    resources=tasks_pb2.Resources(
                        requests=_resource_entries(conf.requests), limits=_resource_entries(conf.limits)
                    ),
                    env=[literals_pb2.KeyValuePair(key=k, value=v) for k, v in conf.env.items()],
                ),
            )
        return tid

    def _bindings(self, values: Mapping[str, Value]) -> list[literals_pb2.Binding]:
        return [
            literals_pb2.Binding(var=k, binding=literals_pb2.BindingData(scalar=to_literal(v).scalar))
            if to_literal(v).HasField("scalar")
            else literals_pb2.Binding(var=k, binding=literals_pb2.BindingData())
            for k, v in values.items()
        ]

    def _node(self, spec: NodeSpec, prev: str | None) -> core_workflow_pb2.Node:
        upstream = list(spec.upstream) if spec.upstream is not None else ([prev] if prev else [])
        node = core_workflow_pb2.Node(
            id=spec.id,
            metadata=core_workflow_pb2.NodeMetadata(
                name=spec.display_name,
                retries=literals_pb2.RetryStrategy(retries=spec.retries),
                timeout=_duration(spec.timeout_s) if spec.timeout_s else None,
            ),
            inputs=self._bindings(spec.inputs),
            upstream_node_ids=upstream,
        )
        if spec.kind in ("task", "dynamic"):
            node.task_node.reference_id.CopyFrom(self._task(spec))
        elif spec.kind == "array":
            inner = core_workflow_pb2.Node(
                id=spec.id, task_node=core_workflow_pb2.TaskNode(reference_id=self._task(spec))
            )
            arr = spec.array or Subtasks(size=0)
            node.array_node.CopyFrom(
                core_workflow_pb2.ArrayNode(
                    node=inner, parallelism=arr.parallelism, min_success_ratio=arr.min_success_ratio
                )
            )
        elif spec.kind == "subworkflow":
            wf = self._workflow_template(f"{self.scenario.workflow_name()}.{spec.name or spec.id}", spec)
            node.workflow_node.sub_workflow_ref.CopyFrom(wf.id)
        elif spec.kind == "launch_plan":
            child = get_scenario(spec.launch_plan)
            self.children.extend(child.entities(self.project, self.domain))
            node.workflow_node.launchplan_ref.CopyFrom(child.launch_plan_id(self.project, self.domain))
        elif spec.kind == "branch":
            taken = spec.children[0] if spec.children else NodeSpec(id="n0")
            then = self._node(dataclasses.replace(taken, upstream=()), None)
            cond = condition_pb2.BooleanExpression(
                comparison=condition_pb2.ComparisonExpression(
                    operator=condition_pb2.ComparisonExpression.GT,
                    left_value=condition_pb2.Operand(var=".x"),
                    right_value=condition_pb2.Operand(primitive=literals_pb2.Primitive(float_value=0.5)),
                )
            )
            node.branch_node.if_else.case.CopyFrom(core_workflow_pb2.IfBlock(condition=cond, then_node=then))
            for i, other in enumerate(spec.not_taken):
                case = self._node(dataclasses.replace(other, upstream=()), None)
                if i == len(spec.not_taken) - 1:
                    node.branch_node.if_else.else_node.CopyFrom(case)
                else:
                    node.branch_node.if_else.other.append(core_workflow_pb2.IfBlock(condition=cond, then_node=case))
            if not spec.not_taken:
                node.branch_node.if_else.error.CopyFrom(
                    types_pb2.Error(failed_node_id=spec.id, message="no branch matched")
                )
        elif spec.kind == "gate":
            gate = spec.gate or Gate("sleep")
            if gate.kind == "approve":
                node.gate_node.approve.signal_id = gate.signal_id
            elif gate.kind == "signal":
                node.gate_node.signal.CopyFrom(
                    core_workflow_pb2.SignalCondition(
                        signal_id=gate.signal_id, type=gate.literal_type(), output_variable_name=gate.output_name
                    )
                )
            else:
                node.gate_node.sleep.duration.CopyFrom(_duration(gate.sleep_s))
        return node

    def _nodes(self, specs: Sequence[NodeSpec]) -> list[core_workflow_pb2.Node]:
        out = []
        prev: str | None = None
        for s in specs:
            out.append(self._node(s, prev))
            prev = s.id
        return out

    def _connections(self, nodes: Sequence[core_workflow_pb2.Node]) -> compiler_pb2.ConnectionSet:
        cs = compiler_pb2.ConnectionSet()
        ids = {n.id for n in nodes}
        for n in nodes:
            ups = [u for u in n.upstream_node_ids if u in ids] or ["start-node"]
            cs.upstream[n.id].ids.extend(ups)
            for u in ups:
                cs.downstream[u].ids.append(n.id)
        has_down = {u for n in nodes for u in n.upstream_node_ids}
        for n in nodes:
            if n.id not in has_down:
                cs.downstream[n.id].ids.append("end-node")
                cs.upstream["end-node"].ids.append(n.id)
        return cs

    def _workflow_template(self, name: str, spec: NodeSpec) -> core_workflow_pb2.WorkflowTemplate:
        if name in self.sub_workflows:
            return self.sub_workflows[name]
        wf = core_workflow_pb2.WorkflowTemplate(
            id=self._id(identifier_pb2.WORKFLOW, name),
            metadata=core_workflow_pb2.WorkflowMetadata(on_failure=_policy(spec.failure_policy)),
            interface=interface_pb2.TypedInterface(
                inputs=variable_map(spec.inputs), outputs=variable_map(spec.outputs)
            ),
            nodes=self._nodes(spec.children),
        )
        self.sub_workflows[name] = wf
        return wf

    def build(self) -> list[Entity]:
        script = self.script
        wf_inputs = {**script.inputs, **self.params}
        primary = core_workflow_pb2.WorkflowTemplate(
            id=self._id(identifier_pb2.WORKFLOW, self.scenario.workflow_name()),
            metadata=core_workflow_pb2.WorkflowMetadata(on_failure=_policy(script.failure_policy)),
            interface=interface_pb2.TypedInterface(
                inputs=variable_map({**wf_inputs, **script.fixed_inputs}), outputs=variable_map(script.outputs)
            ),
            nodes=self._nodes(script.nodes),
            outputs=[
                literals_pb2.Binding(var=k, binding=literals_pb2.BindingData(promise=types_pb2.OutputReference(var=k)))
                for k in script.outputs
            ],
        )
        closure = compiler_pb2.CompiledWorkflowClosure(
            primary=compiler_pb2.CompiledWorkflow(template=primary, connections=self._connections(primary.nodes)),
            sub_workflows=[
                compiler_pb2.CompiledWorkflow(template=t, connections=self._connections(t.nodes))
                for t in self.sub_workflows.values()
            ],
            tasks=[compiler_pb2.CompiledTask(template=t) for t in self.tasks.values()],
        )
        # Tasks a dynamic node calls are not in the static closure, but flytekit registers them with the rest.
        for parent in iter_specs(script.nodes):
            if parent.kind == "dynamic":
                for spec in iter_specs((*parent.children, *(n for kids in parent.retry_children for n in kids))):
                    if spec.kind in ("task", "dynamic", "array"):
                        self._task(spec)
        tasks = [
            task_pb2.Task(id=t.id, closure=task_pb2.TaskClosure(compiled_task=compiler_pb2.CompiledTask(template=t)))
            for t in self.tasks.values()
        ]
        workflow = workflow_pb2.Workflow(
            id=primary.id,
            closure=workflow_pb2.WorkflowClosure(compiled_workflow=closure),
            short_description=self.scenario.description,
        )
        lp_id = self._id(identifier_pb2.LAUNCH_PLAN, self.scenario.workflow_name())
        params = interface_pb2.ParameterMap(
            parameters={
                k: interface_pb2.Parameter(var=interface_pb2.Variable(type=literal_type_of(v)), default=to_literal(v))
                for k, v in wf_inputs.items()
            }
        )
        launch_plan = launch_plan_pb2.LaunchPlan(
            id=lp_id,
            spec=launch_plan_pb2.LaunchPlanSpec(
                workflow_id=primary.id,
                entity_metadata=launch_plan_pb2.LaunchPlanMetadata(),
                default_inputs=params,
                fixed_inputs=literal_map(script.fixed_inputs),
                labels=common_pb2.Labels(values={"scenario": self.scenario.name}),
            ),
            closure=launch_plan_pb2.LaunchPlanClosure(
                state=launch_plan_pb2.ACTIVE,
                expected_inputs=params,
                expected_outputs=variable_map(script.outputs),
            ),
        )
        return [*tasks, workflow, launch_plan, *self.children]


def _policy(p: FailurePolicy) -> int:
    return int(core_workflow_pb2.WorkflowMetadata.OnFailurePolicy.Value(p))


def compiled_dynamic_workflow(
    parent: NodeSpec, project: str, domain: str, version: str = DEFAULT_VERSION
) -> compiler_pb2.CompiledWorkflowClosure:
    """The compiled workflow a dynamic node generates (sent in its DYNAMIC_RUNNING event, as propeller does)."""
    tmp = Scenario(
        name="dynamic",
        description="",
        build=lambda: Script(workflow="", nodes=parent.children),
    )
    b = _Builder(tmp, project, domain, {})
    b.version = version
    nodes = b._nodes(parent.children)
    template = core_workflow_pb2.WorkflowTemplate(
        id=b._id(identifier_pb2.WORKFLOW, f"{MODULE}.{parent.name or parent.id}.dynamic"),
        interface=interface_pb2.TypedInterface(outputs=variable_map(parent.outputs)),
        nodes=nodes,
    )
    return compiler_pb2.CompiledWorkflowClosure(
        primary=compiler_pb2.CompiledWorkflow(template=template, connections=b._connections(nodes)),
        sub_workflows=[compiler_pb2.CompiledWorkflow(template=t) for t in b.sub_workflows.values()],
        tasks=[compiler_pb2.CompiledTask(template=t) for t in b.tasks.values()],
    )


# ----------------------------------------------------------------------------------------------------------------
# The scenarios
# ----------------------------------------------------------------------------------------------------------------
BUCKET = "s3://sandbox-data/flytesnacks/development"


def _stack_trace(frames: int = 40) -> str:
    lines = ["Traceback (most recent call last):"]
    for i in range(frames):
        lines.append(f'  File "/root/pipeline/stage_{i % 7}.py", line {100 + 7 * i}, in step_{i}')
        lines.append(f"    result = step_{i + 1}(frame, config=config, depth={i})")
    lines.append('  File "/root/pipeline/explode.py", line 42, in explode')
    lines.append("    raise ValueError(f\"column 'price' has {n_bad} non-numeric values, e.g. {examples}\")")
    lines.append("ValueError: column 'price' has 1273 non-numeric values, e.g. ['N/A', '12,50', '--']")
    return "\n".join(lines)


def _deck(title: str, body: str) -> str:
    head = f"<head><meta charset='utf-8'><title>{title}</title></head>"
    return f"<!doctype html><html>{head}<body><h2>{title}</h2>{body}</body></html>"


def _demo() -> Script:
    df = DatasetValue(
        uri=f"{BUCKET}/churn/raw.parquet",
        columns=(("customer_id", "int"), ("tenure", "int"), ("monthly_charges", "float"), ("churned", "bool")),
    )
    shard_uris = [f"{BUCKET}/churn/shards/part-{i:03d}.parquet" for i in range(8)]
    model = BlobValue(uri=f"{BUCKET}/churn/model/model.joblib", format="joblib")
    metrics = {"accuracy": 0.934, "f1": 0.912, "auc": 0.971, "n_test": 20000}
    oom = Failure(
        code="OOMKilled",
        message="[1/1] currentAttempt done. Last Error: USER::Pod failed: container train was OOMKilled "
        "(exit code 137). Memory limit 4Gi; consider requesting more memory.",
        kind="USER",
    )
    nodes = (
        NodeSpec(
            id="n0",
            name="load_data",
            inputs={"source": "bigquery://analytics.churn_2026", "limit": 100000},
            outputs={"df": df, "rows": 100000},
            attempts=(Attempt(6.0, queued_s=2.0),),
            cache=CacheStatus.CACHE_POPULATED,
        ),
        NodeSpec(
            id="n1",
            kind="array",
            name="preprocess_shard",
            inputs={"shard": shard_uris[0]},
            outputs={"o0": shard_uris},
            array=Subtasks(size=8, run_s=4.0, parallelism=4, retries={5: 1}, task="preprocess_shard"),
        ),
        NodeSpec(
            id="n2",
            name="train",
            inputs={"learning_rate": 0.05, "epochs": 20},
            outputs={"model": model, "epochs": 20, "loss": 0.1873},
            attempts=(Attempt(5.0, oom, queued_s=2.0), Attempt(10.0, queued_s=2.0)),
            deck=_deck(
                "Training",
                "<table><tr><th>epoch</th><th>loss</th></tr>"
                + "".join(f"<tr><td>{e}</td><td>{0.9 / (e + 1) + 0.15:.4f}</td></tr>" for e in range(20))
                + "</table>",
            ),
        ),
        NodeSpec(
            id="n3",
            name="evaluate",
            inputs={"model": model},
            outputs={"metrics": metrics, "report": "accuracy 93.4% on 20,000 held-out customers"},
            attempts=(Attempt(5.0),),
            deck=_deck("Evaluation", "<p>Accuracy 93.4%, F1 0.912, AUC 0.971</p>"),
        ),
        NodeSpec(id="n4", kind="gate", name="approve-deploy", gate=Gate("approve", signal_id="approve-deploy")),
        NodeSpec(
            id="n5",
            name="deploy",
            inputs={"model": model},
            outputs={"endpoint": "https://models.example.com/churn/v3"},
            attempts=(Attempt(4.0),),
        ),
    )
    return Script(
        workflow="demo",
        nodes=nodes,
        inputs={"source": "bigquery://analytics.churn_2026"},
        outputs={"model": model, "metrics": metrics, "endpoint": "https://models.example.com/churn/v3"},
    )


def _all_kinds() -> Script:
    user_retry = Failure(code="USER:ConnectionError", message="ConnectionError: feature store timed out after 30s")
    nodes = (
        NodeSpec(
            id="n0",
            name="flaky",
            upstream=(),
            outputs={"o0": 3},
            attempts=(Attempt(3.0, user_retry), Attempt(3.0, user_retry), Attempt(3.0)),
        ),
        NodeSpec(id="n1", name="cached", upstream=(), outputs={"o0": "from cache"}, cache=CacheStatus.CACHE_HIT),
        NodeSpec(
            id="n2",
            kind="subworkflow",
            name="sub_pipeline",
            upstream=(),
            outputs={"o0": 0.5},
            children=(
                NodeSpec(id="n0", name="prepare", outputs={"o0": 10}, attempts=(Attempt(3.0),)),
                NodeSpec(id="n1", name="fit", outputs={"o0": 0.5}, attempts=(Attempt(4.0),)),
            ),
        ),
        NodeSpec(
            id="n3",
            kind="dynamic",
            name="fan_out",
            upstream=(),
            outputs={"o0": [1, 2, 3]},
            attempts=(Attempt(2.0),),
            children=(
                NodeSpec(id="dn0", name="square", upstream=(), outputs={"o0": 1}, attempts=(Attempt(3.0),)),
                NodeSpec(id="dn1", name="square", upstream=(), outputs={"o0": 4}, attempts=(Attempt(4.0),)),
                NodeSpec(
                    id="dn2",
                    kind="array",
                    name="nested_map",
                    upstream=("dn0", "dn1"),
                    outputs={"o0": [1, 2, 3]},
                    array=Subtasks(size=10, run_s=2.0, task="nested_map"),
                ),
            ),
        ),
        NodeSpec(
            id="n4",
            kind="branch",
            name="choose",
            upstream=(),
            outputs={"o0": "left"},
            children=(NodeSpec(id="n0", name="take_left", outputs={"o0": "left"}, attempts=(Attempt(3.0),)),),
            not_taken=(NodeSpec(id="n1", name="take_right", outputs={"o0": "right"}),),
        ),
        NodeSpec(id="n5", kind="launch_plan", name="child", upstream=(), launch_plan="single-task"),
        NodeSpec(id="n6", kind="gate", name="approve-me", upstream=(), gate=Gate("approve", signal_id="approve-me")),
        NodeSpec(
            id="n7",
            kind="gate",
            name="threshold",
            upstream=(),
            gate=Gate("signal", signal_id="threshold", type="float", output_name="threshold"),
        ),
        NodeSpec(id="n8", kind="gate", name="cool-down", upstream=(), gate=Gate("sleep", sleep_s=20.0)),
        NodeSpec(
            id="n9",
            kind="array",
            name="score_batch",
            upstream=(),
            outputs={"o0": [0.1, 0.2]},
            array=Subtasks(size=120, run_s=3.0, parallelism=40, retries={7: 1, 13: 2, 42: 1, 99: 1}, task="score"),
        ),
        NodeSpec(
            id="n10",
            name="explode",
            upstream=(),
            attempts=(Attempt(4.0, Failure(code="USER:ValueError", message=_stack_trace())),),
        ),
        NodeSpec(id="n11", name="slow_query", upstream=(), attempts=(Attempt(600.0),), timeout_s=30.0),
        NodeSpec(id="n12", name="notify", upstream=("n4",), skipped=True),
    )
    return Script(
        workflow="all-kinds",
        nodes=nodes,
        failure_policy="FAIL_AFTER_EXECUTABLE_NODES_COMPLETE",
    )


def _signals() -> Script:
    """Gates that wait for typed signals a user answers with more than a number: a JSON config and a choice."""
    nodes = (
        NodeSpec(id="n0", name="prepare", outputs={"o0": "ready"}, attempts=(Attempt(2.0),)),
        NodeSpec(
            id="n1",
            kind="gate",
            name="config",
            upstream=("n0",),
            gate=Gate("signal", signal_id="config", type="struct", output_name="config"),
        ),
        NodeSpec(
            id="n2",
            kind="gate",
            name="color",
            upstream=("n0",),
            gate=Gate("signal", signal_id="color", type="enum", choices=("red", "green", "blue"), output_name="color"),
        ),
        NodeSpec(id="n3", name="apply", upstream=("n1", "n2"), outputs={"o0": "applied"}, attempts=(Attempt(2.0),)),
    )
    return Script(workflow="signals", nodes=nodes, outputs={"result": "applied"})


def _failure() -> Script:
    return Script(
        workflow="failure",
        nodes=(
            NodeSpec(id="n0", name="extract", outputs={"o0": 42}, attempts=(Attempt(3.0),)),
            NodeSpec(
                id="n1",
                name="transform",
                upstream=("n0",),
                attempts=(
                    Attempt(4.0, Failure("USER:KeyError", "KeyError: 'customer_id' not found in input columns")),
                ),
            ),
            NodeSpec(id="n2", name="side_report", upstream=("n0",), attempts=(Attempt(60.0),)),
            NodeSpec(id="n3", name="load", upstream=("n1", "n2")),
        ),
    )


def _aborted() -> Script:
    return Script(
        workflow="aborted",
        nodes=(
            NodeSpec(id="n0", name="warm_up", attempts=(Attempt(3.0),)),
            NodeSpec(id="n1", name="long_training", attempts=(Attempt(3600.0),)),
            NodeSpec(id="n2", name="publish"),
        ),
        abort_after_s=15.0,
    )


def _single_task() -> Script:
    return Script(
        workflow="single-task",
        nodes=(
            NodeSpec(
                id="n0",
                name="say_hello",
                inputs={"name": "world"},
                outputs={"o0": "Hello, world!"},
                attempts=(Attempt(4.0),),
            ),
        ),
        inputs={"name": "world"},
        outputs={"o0": "Hello, world!"},
    )


def _deep(depth: int) -> Script:
    def level(d: int) -> NodeSpec:
        leaf = NodeSpec(id="n0", name=f"work_{d}", outputs={"o0": d}, attempts=(Attempt(2.0),))
        if d >= depth:
            return dataclasses.replace(leaf, id="n1", name=f"leaf_{d}")
        return NodeSpec(
            id="n1",
            kind="subworkflow",
            name=f"level_{d}",
            outputs={"o0": d},
            children=(leaf, level(d + 1)),
        )

    top = level(1)
    return Script(
        workflow="deep",
        nodes=(
            NodeSpec(id="n0", name="start", outputs={"o0": 0}, attempts=(Attempt(2.0),)),
            dataclasses.replace(top, id="n1"),
        ),
    )


def _wide(size: int) -> Script:
    nodes = tuple(
        NodeSpec(
            id=f"n{i}",
            name="work",
            upstream=(),
            inputs={"i": i},
            outputs={"o0": i * i},
            attempts=(Attempt(2.0 + (i % 5), queued_s=0.5),),
            queued_s=0.0,
        )
        for i in range(size)
    )
    return Script(workflow="wide", nodes=nodes, outputs={"n": size})


def _dynamic_retry() -> Script:
    """A dynamic node whose generated workflow times out, so propeller retries the node: the children of both
    attempts (``n1-0-dn0`` ..., ``n1-1-dn0`` ...) come back under the one parent, told apart by ``retry_group``."""
    square = NodeSpec(id="dn0", name="square", upstream=(), outputs={"o0": 4}, attempts=(Attempt(3.0),))
    stuck = NodeSpec(
        id="dn1", name="fetch_remote", upstream=(), outputs={"o0": 9}, attempts=(Attempt(60.0),), timeout_s=6.0
    )
    quick = dataclasses.replace(stuck, attempts=(Attempt(2.0),))
    total = NodeSpec(id="dn2", name="add", upstream=("dn0", "dn1"), outputs={"o0": 13}, attempts=(Attempt(1.0),))
    nodes = (
        NodeSpec(id="n0", name="prepare", outputs={"o0": 2}, attempts=(Attempt(2.0),)),
        NodeSpec(
            id="n1",
            kind="dynamic",
            name="fan_out",
            outputs={"o0": 13},
            attempts=(Attempt(2.0), Attempt(2.0)),
            retry_children=((square, stuck, total), (square, quick, total)),
        ),
        NodeSpec(id="n2", name="report", outputs={"o0": "13"}, attempts=(Attempt(1.0),)),
    )
    return Script(workflow="dynamic-retry", nodes=nodes, outputs={"o0": "13"})


def _long_names() -> Script:
    """Node ids longer than propeller's 20 characters at every level: unique ids become ``"f" + base32(fnv32a)``,
    the top level's included (a subworkflow, a dynamic node, a branch, map tasks)."""
    region = ("north", "south", "east")
    nodes = (
        NodeSpec(id="load_customer_records", name="load", outputs={"o0": 1000}, attempts=(Attempt(2.0),)),
        NodeSpec(
            id="feature_engineering_stage",
            kind="subworkflow",
            name="features",
            upstream=(),
            children=(
                NodeSpec(id="normalize_numeric_columns", name="normalize", attempts=(Attempt(2.0),)),
                NodeSpec(
                    id="score_feature_quality",
                    kind="array",
                    name="score_feature",
                    array=Subtasks(size=4, run_s=2.0, retries={2: 1}, task="score_feature"),
                ),
            ),
        ),
        NodeSpec(
            id="train_model_for_each_region",
            kind="dynamic",
            name="train_regions",
            upstream=("load_customer_records",),
            attempts=(Attempt(2.0),),
            children=tuple(
                NodeSpec(id=f"train_region_model_{r}", name="train_region", upstream=(), attempts=(Attempt(3.0),))
                for r in region
            ),
        ),
        NodeSpec(
            id="score_every_customer_batch",
            kind="array",
            name="score_batch",
            upstream=(),
            array=Subtasks(size=6, run_s=2.0, task="score_batch"),
        ),
        NodeSpec(
            id="choose_deployment_target",
            kind="branch",
            name="choose_target",
            upstream=("train_model_for_each_region",),
            children=(NodeSpec(id="deploy_to_staging_cluster", name="deploy", attempts=(Attempt(2.0),)),),
        ),
    )
    return Script(workflow="long-names", nodes=nodes)


def _array_node_v1() -> Script:
    """Array nodes with ``ArrayNode.EventVersion: 1``: each subtask is a child node execution with spec node id
    ``n<i>`` and one task execution per retry. Under ``score_all_batches`` (17 characters) the subtask ids
    ``score_all_batches-0-n<i>`` pass 20 characters and are hashed, so only the spec node id tells the index."""
    nodes = (
        NodeSpec(id="n0", name="prepare", outputs={"o0": 12}, attempts=(Attempt(2.0),)),
        NodeSpec(
            id="score_all_batches",
            kind="array",
            name="score_batch",
            array=Subtasks(size=12, run_s=2.0, parallelism=6, retries={3: 1}, task="score_batch", event_version=1),
        ),
        NodeSpec(
            id="n2",
            kind="subworkflow",
            name="nested",
            upstream=("n0",),
            children=(
                NodeSpec(
                    id="n0",
                    kind="array",
                    name="check_batch",
                    array=Subtasks(size=3, run_s=2.0, task="check_batch", event_version=1),
                ),
            ),
        ),
    )
    return Script(workflow="array-node-v1", nodes=nodes)


def _late_parent() -> Script:
    """A FlyteAdmin configured with ``eventVersion: 1``: propeller reports a dynamic node's DYNAMIC_RUNNING as
    RUNNING, which FlyteAdmin refuses as already recorded, so the node becomes a parent only through its children
    (FlyteAdmin derives ``is_parent_node`` from them); its own row is not touched when they appear. Siblings keep
    reporting meanwhile, so the dynamic node's update time falls far behind the newest of its level."""
    nodes = (
        NodeSpec(
            id="n0",
            kind="dynamic",
            name="plan_work",
            upstream=(),
            outputs={"o0": 3},
            attempts=(Attempt(20.0),),
            children=tuple(
                NodeSpec(id=f"dn{i}", name="work", upstream=(), outputs={"o0": i}, attempts=(Attempt(4.0 + i),))
                for i in range(3)
            ),
        ),
        NodeSpec(id="n1", name="tick", upstream=(), attempts=(Attempt(8.0),)),
        NodeSpec(id="n2", name="tock", attempts=(Attempt(40.0),)),
    )
    return Script(workflow="late-parent", nodes=nodes, event_version=1)


def _typed_inputs() -> Script:
    """A launch plan whose inputs cover every type family a launch form edits, and a fixed one."""
    table = DatasetValue(uri=f"{BUCKET}/sales/2026-11.parquet", columns=(("store", "int"), ("revenue", "float")))
    inputs: dict[str, Value] = {
        "epochs": 20,
        "learning_rate": 0.05,
        "run_name": "nightly",
        "dry_run": False,
        "start_at": datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc),
        "timeout": timedelta(minutes=45),
        "optimizer": EnumValue("adam", ("adam", "sgd", "rmsprop")),
        "layers": [64, 32, 16],
        "weights": MapValue({"loss": 1.0, "l2": 0.01}),
        "config": {"dropout": 0.2, "augment": True},
        "checkpoint": BlobValue(uri=f"{BUCKET}/models/base.joblib", format="joblib"),
        "sales": table,
    }
    nodes = (
        NodeSpec(
            id="n0",
            name="prepare_sales",
            inputs={"sales": table, "start_at": inputs["start_at"]},
            outputs={"rows": 125000},
            attempts=(Attempt(3.0),),
        ),
        NodeSpec(
            id="n1",
            name="fit_model",
            inputs={"epochs": 20, "learning_rate": 0.05, "layers": [64, 32, 16]},
            outputs={"loss": 0.183},
            attempts=(Attempt(5.0),),
        ),
        NodeSpec(
            id="n2", name="write_report", outputs={"summary": "loss 0.183 after 20 epochs"}, attempts=(Attempt(2.0),)
        ),
    )
    return Script(
        workflow="typed-inputs",
        nodes=nodes,
        inputs=inputs,
        outputs={"summary": "loss 0.183 after 20 epochs"},
        fixed_inputs={"region": "eu-west-1"},
    )


def _cache_fill() -> Script:
    """Runs the task all-kinds' ``cached`` node hits, and populates the cache with it: launched first, it is the
    execution that hit names as its source (the player's catalog records it)."""
    nodes = (
        NodeSpec(
            id="n0",
            name="cached",
            outputs={"o0": "from cache"},
            attempts=(Attempt(2.0),),
            cache=CacheStatus.CACHE_POPULATED,
        ),
    )
    return Script(workflow="cache-fill", nodes=nodes)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("demo", "An ML pipeline: load, map over shards, train (one retry), evaluate, approve, deploy", _demo),
        Scenario("all-kinds", "Every node kind Flyte has, failing at the end (failure, timeout)", _all_kinds),
        Scenario("signals", "Gates waiting for typed signals: a struct (JSON) and an enum", _signals),
        Scenario("failure", "A task fails with a user error; the parallel task is aborted", _failure),
        Scenario("aborted", "A long training run terminated by a user", _aborted),
        Scenario("single-task", "One task that says hello", _single_task),
        Scenario("deep", "Subworkflows nested `depth` levels deep", _deep, {"depth": 6}, {"depth": (1, 50)}),
        Scenario("wide", "`size` parallel task nodes (paginated listing)", _wide, {"size": 1000}, {"size": (1, 20000)}),
        Scenario("dynamic-retry", "A dynamic node retried after its generated workflow timed out", _dynamic_retry),
        Scenario("long-names", "Node ids over 20 characters at every level (hashed unique ids)", _long_names),
        Scenario("array-node-v1", "Array subtasks reported as child node executions (event version 1)", _array_node_v1),
        Scenario("late-parent", "A dynamic node that becomes a parent only through its children", _late_parent),
        Scenario("typed-inputs", "A launch plan with inputs of every type (relaunch with new inputs)", _typed_inputs),
        Scenario("cache-fill", "Populates the cache that all-kinds' `cached` node hits (its source)", _cache_fill),
    )
}

# The sweep family (one launch plan launched N times with different inputs) lives in sandbox/sweep.py; it is
# registered here, where the player looks scenarios up.
from .sweep import SWEEP  # noqa: E402  (sweep.py builds on the names above)

SCENARIOS[SWEEP.name] = SWEEP

__all__ = [
    "DYNAMIC_TASK_TYPE",
    "SCENARIOS",
    "TASK_TYPE",
    "Attempt",
    "BlobValue",
    "DatasetValue",
    "EnumValue",
    "Failure",
    "Gate",
    "MapValue",
    "NodeSpec",
    "Scenario",
    "Script",
    "Subtasks",
    "compiled_dynamic_workflow",
    "get_scenario",
    "iter_specs",
    "literal_map",
    "scenario_for_launch_plan",
    "to_literal",
]
