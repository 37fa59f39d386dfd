"""Proof of faithfulness: flytekit's own client, unmodified, works against the sandbox.

flytekit is the reference FlyteAdmin client. If its ``fetch_execution``, ``sync_execution(sync_nodes=True)`` and
``wait()`` succeed on every scenario and see the same node ids and phases as the sandbox's truth, the sandbox
speaks FlyteAdmin's protocol the way real clients rely on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flyteidl.core import types_pb2

from flyteexec_widget.client import Remote
from flyteexec_widget.phases import NodePhase
from flyteexec_widget.sandbox import Sandbox

flytekit_remote = pytest.importorskip("flytekit.remote")
flytekit_config = pytest.importorskip("flytekit.configuration")

pytestmark = pytest.mark.flytekit


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped") as sb:
        yield sb


@pytest.fixture(scope="module")
def flyte_remote(sandbox: Sandbox) -> Any:
    cfg = flytekit_config.Config.for_endpoint(sandbox.endpoint, insecure=True)
    return flytekit_remote.FlyteRemote(cfg, default_project="flytesnacks", default_domain="development")


def _flytekit_tree(node_executions: dict[str, Any], prefix: str = "") -> dict[str, int]:
    """Flatten flytekit's synced node executions into {unique node id: phase}."""
    seen: dict[str, int] = {}
    for ne in node_executions.values():
        if ne.id.node_id.endswith(("start-node", "end-node")):
            continue  # flytekit keeps them in node_executions; the sandbox's truth (like the console) hides them
        seen[ne.id.node_id] = ne.closure.phase
        children = getattr(ne, "_underlying_node_executions", None) or []
        seen.update(_flytekit_tree({c.id.node_id: c for c in children}))
    return seen


def _run_approving_gates(sandbox: Sandbox, wf_id: Any) -> None:
    """Play the scenario to its end, approving every gate that waits (our client sets the signals)."""
    with Remote.for_sandbox(sandbox.endpoint) as remote:
        for _ in range(20):
            try:
                sandbox.run_until_done(wf_id, max_seconds=3600)
                return
            except RuntimeError:  # a gate waits for its signal
                for signal in remote.list_signals(wf_id):
                    if signal.HasField("value"):
                        continue
                    if signal.type.simple == types_pb2.SimpleType.BOOLEAN:
                        remote.approve(wf_id, signal.id.signal_id)
                    else:  # the typed gate of all-kinds waits for a float threshold
                        remote.set_signal(wf_id, signal.id.signal_id, 0.75)
    raise AssertionError(f"{wf_id.name} did not finish")


# Scenarios flytekit can walk completely. Each id is checked against the sandbox's truth.
SCENARIOS = ["single-task", "failure", "deep", "demo", "aborted", "all-kinds", "wide"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_flytekit_syncs_every_scenario(sandbox: Sandbox, flyte_remote: Any, scenario: str) -> None:
    wf_id = sandbox.launch(scenario)
    _run_approving_gates(sandbox, wf_id)
    execution = flyte_remote.fetch_execution(project=wf_id.project, domain=wf_id.domain, name=wf_id.name)
    synced = flyte_remote.sync_execution(execution, sync_nodes=True)
    assert synced.is_done
    seen = _flytekit_tree(synced.node_executions)
    truth = {k: int(v) for k, v in sandbox.truth(wf_id).items() if not k.endswith(("start-node", "end-node"))}
    assert seen, "flytekit saw no node executions"
    named = {k: NodePhase(v).name for k, v in seen.items()}
    assert named == {k: NodePhase(v).name for k, v in truth.items()}


def test_flytekit_wait_returns_at_terminal_phase(sandbox: Sandbox, flyte_remote: Any) -> None:
    wf_id = sandbox.launch("single-task")
    sandbox.run_until_done(wf_id, max_seconds=3600)
    execution = flyte_remote.fetch_execution(project=wf_id.project, domain=wf_id.domain, name=wf_id.name)
    done = flyte_remote.wait(execution, timeout=30, poll_interval=1, sync_nodes=True)
    assert done.is_done
    assert done.closure.phase == 4  # SUCCEEDED
