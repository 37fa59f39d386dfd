"""The ``sweep`` scenario family: one launch plan launched many times with different hyperparameters.

A hyperparameter sweep as notebooks run them: the launch plan ``sandbox.sweep.wf`` (one version, ``v1``) takes
``learning_rate`` (float), ``batch_size`` (int), ``optimizer`` (str) and ``trial`` (int), and returns ``accuracy``
(float). Which hyperparameters a trial gets, and how it goes, follows from ``trial`` alone, so a sweep replays the
same on every run and relaunch/recover replay a trial:

- ``trial % 5 == 3`` fails in ``train_trial`` with a Python traceback (``FloatingPointError: loss is NaN ...``);
- ``trial % 5 == 4`` is still training an hour later (a sweep of 100 has 20 running at real time);
- the others succeed after 6 to 10 seconds with an accuracy computed from the hyperparameters.

``Sandbox.launch("sweep", trial=i)`` launches one trial; :func:`launch_sweep` launches ``n`` of them. Unlike the
other scenarios, the version does not name the parameter: the graph is the same for every trial (only the inputs,
timings and outcome differ), which is what makes it one launch plan launched N times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from flyteidl.core import identifier_pb2, literals_pb2

from .scenarios import DEFAULT_VERSION, Attempt, Failure, NodeSpec, Scenario, Script, literal_map

__all__ = ["LEARNING_RATES", "SWEEP", "SweepScenario", "hyperparameters", "launch_sweep", "trial_outcome"]

LEARNING_RATES = (0.001, 0.003, 0.01, 0.03)
BATCH_SIZES = (32, 64, 128)
OPTIMIZERS = ("adam", "sgd")
#: How long a trial that is "still running" trains (sandbox seconds).
RUNNING_S = 3600.0


def hyperparameters(trial: int) -> dict[str, Any]:
    """The inputs of trial ``trial`` (``trial`` itself included)."""
    return {
        "learning_rate": LEARNING_RATES[trial % len(LEARNING_RATES)],
        "batch_size": BATCH_SIZES[(trial // len(LEARNING_RATES)) % len(BATCH_SIZES)],
        "optimizer": OPTIMIZERS[(trial // 12) % len(OPTIMIZERS)],
        "trial": trial,
    }


def trial_outcome(trial: int) -> str:
    """``"failed"``, ``"running"`` (for an hour) or ``"succeeded"``."""
    return {3: "failed", 4: "running"}.get(trial % 5, "succeeded")


def accuracy(trial: int) -> float:
    """The metric a succeeded trial reports: deterministic, different per trial, in [0.6, 0.95]."""
    hp = hyperparameters(trial)
    lr_score = {0.001: 0.05, 0.003: 0.12, 0.01: 0.15, 0.03: 0.08}[hp["learning_rate"]]
    bs_score = {32: 0.02, 64: 0.05, 128: 0.03}[hp["batch_size"]]
    opt_score = 0.06 if hp["optimizer"] == "adam" else 0.0
    jitter = ((trial * 37) % 11) / 1000.0
    return round(0.62 + lr_score + bs_score + opt_score + jitter, 4)


def _traceback(hp: dict[str, Any]) -> str:
    return "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "/root/sweep/train.py", line 88, in train',
            "    loss = step(model, batch, lr=learning_rate)",
            '  File "/root/sweep/train.py", line 41, in step',
            '    raise FloatingPointError(f"loss is NaN at step {i} (learning_rate={lr})")',
            f"FloatingPointError: loss is NaN at step 412 (learning_rate={hp['learning_rate']}, "
            f"batch_size={hp['batch_size']})",
        ]
    )


def _sweep(trial: int) -> Script:
    hp = hyperparameters(trial)
    outcome = trial_outcome(trial)
    if outcome == "failed":
        train = Attempt(3.0 + trial % 3, Failure("USER:FloatingPointError", _traceback(hp)))
    elif outcome == "running":
        train = Attempt(RUNNING_S)
    else:
        train = Attempt(4.0 + trial % 5)
    acc = accuracy(trial)
    inputs = {k: v for k, v in hp.items() if k != "trial"}
    nodes = (
        NodeSpec(id="n0", name="load_trial_data", outputs={"o0": 50_000}, attempts=(Attempt(1.0 + trial % 2),)),
        NodeSpec(
            id="n1",
            name="train_trial",
            inputs=inputs,
            outputs={"o0": f"s3://sandbox/models/{trial}"},
            attempts=(train,),
        ),
        NodeSpec(id="n2", name="evaluate_trial", outputs={"o0": acc}, attempts=(Attempt(1.0),)),
    )
    return Script(workflow="sweep", nodes=nodes, inputs=inputs, outputs={"accuracy": acc})


@dataclass(frozen=True)
class SweepScenario(Scenario):
    """A scenario whose launch plan has one version for every trial, and typed hyperparameters as inputs."""

    def version(self, **params: Any) -> str:
        self.resolve(**params)  # still validates
        return DEFAULT_VERSION

    def inputs(self, **params: Any) -> literals_pb2.LiteralMap:
        return literal_map(hyperparameters(self.resolve(**params)["trial"]))


SWEEP = SweepScenario(
    "sweep",
    "A hyperparameter sweep trial: train with (learning_rate, batch_size, optimizer), report accuracy",
    _sweep,
    {"trial": 0},
    {"trial": (0, 1_000_000)},
)


class _Launcher(Protocol):
    launch: Callable[..., identifier_pb2.WorkflowExecutionIdentifier]


def launch_sweep(
    sandbox: _Launcher, n: int, *, start: int = 0, project: str | None = None, domain: str | None = None
) -> list[identifier_pb2.WorkflowExecutionIdentifier]:
    """Launch trials ``start`` .. ``start + n - 1`` of the sweep on ``sandbox``; returns their ids in order."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"launch_sweep needs a number of trials n >= 0, got {n!r}")
    where: dict[str, str] = {}
    if project is not None:
        where["project"] = project
    if domain is not None:
        where["domain"] = domain
    return [sandbox.launch("sweep", trial=t, **where) for t in range(start, start + n)]
