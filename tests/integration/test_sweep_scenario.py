"""The sandbox's ``sweep`` family: one launch plan launched N times with typed hyperparameters, some failing with a
traceback, some still running, a float metric output; its tasks do not overwrite another scenario's."""

from __future__ import annotations

import pytest
from flyteidl.core import identifier_pb2

from flyteexec_widget.objects.literal_to_python import to_python
from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.scenarios import SCENARIOS
from flyteexec_widget.sandbox.sweep import accuracy, hyperparameters, launch_sweep, trial_outcome


def test_one_launch_plan_version_typed_inputs_and_every_outcome(sandbox: Sandbox) -> None:
    ids = launch_sweep(sandbox, 5)
    sandbox.advance(60)
    store = sandbox.store
    lps = {store.get_execution(i).spec.launch_plan.SerializeToString() for i in ids}
    assert len(lps) == 1  # one launch plan, one version, launched five times
    phases = [sandbox.phase(i) for i in ids]
    assert phases == [WorkflowPhase.SUCCEEDED] * 3 + [WorkflowPhase.FAILED, WorkflowPhase.RUNNING]
    assert [trial_outcome(t) for t in range(5)] == ["succeeded"] * 3 + ["failed", "running"]
    with store.lock:
        rec = store.execution_record(ids[1])
        inputs = {k: to_python(v) for k, v in rec.inputs.literals.items()}
        outputs = {k: to_python(v) for k, v in rec.outputs.literals.items()}
    assert inputs == hyperparameters(1)
    assert isinstance(inputs["learning_rate"], float)
    assert isinstance(inputs["batch_size"], int)
    assert isinstance(inputs["optimizer"], str)
    assert outputs == {"accuracy": accuracy(1)}
    error = store.get_execution(ids[3]).closure.error.message
    assert "Traceback (most recent call last):" in error
    assert error.splitlines()[-1].startswith("FloatingPointError: loss is NaN")


def test_the_launch_plan_declares_the_hyperparameters(sandbox: Sandbox, remote: Remote) -> None:
    (wf,) = launch_sweep(sandbox, 1)
    lp = remote.get_launch_plan(sandbox.store.get_execution(wf).spec.launch_plan)
    assert lp.id.version == "v1"
    assert set(lp.closure.expected_inputs.parameters) == {"learning_rate", "batch_size", "optimizer", "trial"}
    assert set(lp.closure.expected_outputs.variables) == {"accuracy"}


def test_the_sweep_registers_no_task_another_scenario_has() -> None:
    """Tasks are registered by name and version: a sweep task named like another scenario's would overwrite it."""

    def tasks(name: str) -> set[str]:
        return {e.id.name for e in SCENARIOS[name].entities("p", "d") if e.id.resource_type == identifier_pb2.TASK}

    others = set().union(*(tasks(n) for n in SCENARIOS if n != "sweep"))
    assert tasks("sweep")
    assert not tasks("sweep") & others


def test_bad_sweep_sizes_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="n >= 0"):
        launch_sweep(sandbox, -1)
    with pytest.raises(ValueError, match="trial"):
        sandbox.launch("sweep", trial=-1)
