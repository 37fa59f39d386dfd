"""The benchmarks' own sandbox scenario: ``bench-rolling``, a wide tree that works through its nodes ``active`` at
a time.

The sandbox's ``wide`` scenario starts every node at once and finishes them in five groups of 20%, so between two
refreshes either nothing changes or a fifth of the tree does. A steady-state refresh figure needs the state the
issue describes: many nodes listed, about ``active`` of them running, about 1% changing per half second. Here
``active`` chains run side by side (node ``i`` follows node ``i - active``), started ``1 / active`` seconds apart,
each node runs one second, so every ``1 / active`` seconds one node finishes and the next one starts. As in
FlyteAdmin, a node exists only once it started: at ``t`` seconds about ``active * t`` nodes are listed, all
finished except the ``active`` running ones.
"""

from __future__ import annotations

from flyteexec_widget.sandbox.scenarios import SCENARIOS, Attempt, NodeSpec, Scenario, Script

NAME = "bench-rolling"
RUN_S = 1.0


def _rolling(size: int, active: int) -> Script:
    nodes = tuple(
        NodeSpec(
            id=f"n{i}",
            name="work",
            upstream=(f"n{i - active}",) if i >= active else (),
            inputs={"i": i},
            outputs={"o0": i * i},
            attempts=(Attempt(RUN_S, queued_s=0.0),),
            # Chains start 1/active s apart, so one node ends (and the next starts) every 1/active s, not all at once.
            queued_s=i * RUN_S / active if i < active else 0.0,
        )
        for i in range(size)
    )
    return Script(workflow=NAME, nodes=nodes, outputs={"n": size})


ROLLING = Scenario(
    NAME,
    "`size` task nodes, `active` running at any time (benchmarks: steady-state refresh)",
    _rolling,
    {"size": 1000, "active": 10},
    {"size": (1, 20000), "active": (1, 1000)},
)


STEADY_NAME = "bench-steady"


def _steady(size: int, active: int, run_s: int, tail: int) -> Script:
    """``size - tail`` nodes that all run one second at once, then ``tail`` nodes in ``active`` chains of
    ``run_s``-second nodes, started ``run_s / active`` seconds apart: a big finished tree with a slow trickle of
    changes (one node ends and the next starts every ``run_s / active`` seconds)."""
    done = size - tail
    nodes = [
        NodeSpec(id=f"n{i}", name="work", upstream=(), outputs={"o0": i}, attempts=(Attempt(RUN_S, queued_s=0.0),))
        for i in range(done)
    ]
    for j in range(tail):
        i = done + j
        nodes.append(
            NodeSpec(
                id=f"n{i}",
                name="slow",
                upstream=(f"n{i - active}",) if j >= active else (),
                outputs={"o0": i},
                attempts=(Attempt(float(run_s), queued_s=0.0),),
                queued_s=j * run_s / active if j < active else 0.0,
            )
        )
    return Script(workflow=STEADY_NAME, nodes=tuple(nodes), outputs={"n": size})


STEADY = Scenario(
    STEADY_NAME,
    "`size` task nodes: all but `tail` finish at once, then `active` chains of `run_s`-second nodes "
    "(benchmarks: load on FlyteAdmin per watcher)",
    _steady,
    {"size": 1000, "active": 5, "run_s": 60, "tail": 120},
    {"size": (2, 20000), "active": (1, 100), "run_s": (1, 3600), "tail": (1, 20000)},
)


def steady_params(size: int, changes_per_min: float, seconds: float) -> dict[str, int]:
    """``bench-steady`` parameters for ``size`` nodes with about ``changes_per_min`` node phase changes a minute
    (a start and an end each) lasting at least ``seconds`` (twice over: ours, then flytekit, may watch in turn)."""
    active = 5
    run_s = max(1, round(2 * active * 60 / changes_per_min))
    tail = min(size - 1, active * (int(2 * seconds / run_s) + 3))
    return {"size": size, "active": active, "run_s": run_s, "tail": tail}


def register() -> None:
    """Add the benchmarks' scenarios to the sandbox's registry (in the process that runs the sandbox)."""
    SCENARIOS.setdefault(NAME, ROLLING)
    SCENARIOS.setdefault(STEADY_NAME, STEADY)


def listed_at(listed: int, active: int) -> float:
    """Sandbox seconds after launch at which about ``listed`` nodes exist (``active`` of them running)."""
    return listed / active * RUN_S - RUN_S / 2


def changes_per_second(active: int) -> float:
    """Nodes whose phase changes per sandbox second in the steady state (one starts and one ends per stagger)."""
    return 2 * active / RUN_S
