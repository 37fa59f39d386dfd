"""Which client a board uses, over real gRPC on a machine with no Flyte config file: flytekit's unmodified
``FlyteRemote`` as ``remote=``, a flytekit execution's own ``FlyteRemote`` when none is given (as ``watch()``
does), and ``board()`` with no ``remote=`` run again (a cell re-run) replacing its previous board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flyteexec_widget.admin.config import ENV_VARS
from flyteexec_widget.display.board import board
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.sweep import launch_sweep

P, D = "flytesnacks", "development"
SWEEP_LP = "sandbox.sweep.wf"


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [*ENV_VARS, "FLYTECTL_CONFIG"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def flyte_remote(sandbox: Sandbox) -> Any:
    remote = pytest.importorskip("flytekit.remote")
    config = pytest.importorskip("flytekit.configuration")
    cfg = config.Config.for_endpoint(sandbox.endpoint, insecure=True)
    return remote.FlyteRemote(cfg, default_project=P, default_domain=D)


@pytest.mark.flytekit
def test_a_flyte_remote_as_remote_lists_the_query(sandbox: Sandbox, flyte_remote: Any) -> None:
    ids = launch_sweep(sandbox, 3)
    sandbox.advance(30)
    b = board(remote=flyte_remote, launch_plan=SWEEP_LP, metric="accuracy")  # project/domain: the FlyteRemote's
    try:
        assert b.refresh(30)
        assert sorted(r["name"] for r in b.rows) == sorted(i.name for i in ids)
        assert b.model.sync_status["state"] == "live"
        assert (b.remote.endpoint, b.remote.insecure) == (sandbox.endpoint, True)
    finally:
        b.close()


@pytest.mark.flytekit
def test_flytekit_executions_without_remote_use_their_own_flyte_remote(sandbox: Sandbox, flyte_remote: Any) -> None:
    registered = sandbox.launch("failure")
    lp_id = flyte_remote.fetch_execution(name=registered.name).spec.launch_plan
    lp = flyte_remote.fetch_launch_plan(lp_id.project, lp_id.domain, lp_id.name, lp_id.version)
    ex = flyte_remote.execute(lp, inputs={})  # holds its FlyteRemote; no config file on this machine
    b = board([ex])
    try:
        assert b.refresh(30)
        assert [r["name"] for r in b.rows] == [ex.id.name]
        assert b.remote.endpoint == sandbox.endpoint
    finally:
        b.close()


def test_running_the_cell_again_without_remote_closes_the_previous_board(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLYTE_PLATFORM_URL", sandbox.endpoint)
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "true")
    launch_sweep(sandbox, 2)
    first = board(project=P, domain=D, launch_plan=SWEEP_LP)  # each call reads the config: a new client
    again = board(project=P, domain=D, launch_plan=SWEEP_LP)
    try:
        assert not first.watch.active  # the old board's refresh loop does not run on for good
        assert again.watch.active
        assert again.refresh(30)
        assert len(again.rows) == 2
    finally:
        first.close()
        again.close()
