"""flytekit's own objects watched live, over real gRPC: flytekit's unmodified ``FlyteRemote`` launches and fetches
on the sandbox, and ``watch()`` of its executions connects through that remote's settings, on a machine with no
Flyte config file (HOME and the working directory empty, no FLYTE_* variables)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flyteexec_widget import watch
from flyteexec_widget.admin import ipython
from flyteexec_widget.admin.config import ENV_VARS
from flyteexec_widget.admin.errors import ConfigError
from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.sandbox import Sandbox

flytekit_remote = pytest.importorskip("flytekit.remote")
flytekit_config = pytest.importorskip("flytekit.configuration")

pytestmark = pytest.mark.flytekit


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [*ENV_VARS, "FLYTECTL_CONFIG"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped") as sb:
        yield sb


@pytest.fixture(scope="module")
def flyte_remote(sandbox: Sandbox) -> Any:
    cfg = flytekit_config.Config.for_endpoint(sandbox.endpoint, insecure=True)
    return flytekit_remote.FlyteRemote(cfg, default_project="flytesnacks", default_domain="development")


def _execute(sandbox: Sandbox, flyte_remote: Any, scenario: str) -> Any:
    """flytekit's ``FlyteRemote.execute`` of the scenario's launch plan (registered by one sandbox launch)."""
    registered = sandbox.launch(scenario)
    lp_id = flyte_remote.fetch_execution(name=registered.name).spec.launch_plan
    lp = flyte_remote.fetch_launch_plan(lp_id.project, lp_id.domain, lp_id.name, lp_id.version)
    return flyte_remote.execute(lp, inputs={})


def test_watch_of_an_execute_result_uses_its_flyte_remote_and_calls_on_done(
    sandbox: Sandbox, flyte_remote: Any
) -> None:
    ex = _execute(sandbox, flyte_remote, "failure")
    assert ex._remote is flyte_remote  # flytekit's execute() keeps its remote
    done = threading.Event()
    finals: list[Any] = []

    def on_done(final: Any) -> None:
        finals.append(final)
        done.set()

    w = watch(ex, on_done=on_done, notify=True)  # no remote=, no config file: the FlyteRemote's endpoint
    try:
        remote = w.execution._remote
        assert (remote.endpoint, remote.insecure) == (sandbox.endpoint, True)
        assert w.notify is True
        sandbox.run_until_done(ex.id.to_flyte_idl(), max_seconds=3600)
        assert done.wait(60)
        assert len(finals) == 1
        assert finals[0] is w.execution
        assert finals[0].phase == WorkflowPhase.FAILED == sandbox.phase(ex.id.to_flyte_idl())
        assert w.header["phase"] == "FAILED"
        assert w.header["name"] == ex.id.name
        assert w.model.rows  # the node tree came over the FlyteRemote's connection
    finally:
        w.close()


def test_a_fetched_execution_has_no_remote_and_without_config_the_error_says_what_to_do(
    sandbox: Sandbox, flyte_remote: Any
) -> None:
    wf_id = sandbox.launch("single-task")
    fetched = flyte_remote.fetch_execution(name=wf_id.name)
    assert fetched._remote is None  # flytekit's fetch_execution() attaches none
    with pytest.raises(ConfigError) as info:
        watch(fetched)
    msg = str(info.value)
    assert "no config file was found (searched, in order: $FLYTECTL_CONFIG (unset)" in msg
    assert "set FLYTE_PLATFORM_URL=host:port" in msg
    assert "pass remote= (your FlyteRemote, or a Remote)" in msg
    w = watch(fetched, remote=flyte_remote)  # flytekit's FlyteRemote as remote=
    try:
        assert w.execution._remote.endpoint == sandbox.endpoint
        sandbox.run_until_done(wf_id, max_seconds=3600)
        assert w.watch is not None
        assert w.watch.wait(60)
        assert w.header["phase"] == "SUCCEEDED"
    finally:
        w.close()


def test_a_fetched_execution_uses_the_flyte_remote_of_the_notebook(
    sandbox: Sandbox, flyte_remote: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Shell:  # the kernel's namespace, as IPython keeps it: the user's variables
        user_ns = {"remote": flyte_remote}

    monkeypatch.setattr(ipython, "ipython_shell", Shell)
    wf_id = sandbox.launch("single-task")
    fetched = flyte_remote.fetch_execution(name=wf_id.name)
    w = watch(fetched)
    try:
        assert w.execution._remote.endpoint == sandbox.endpoint
        sandbox.run_until_done(wf_id, max_seconds=3600)
        assert w.watch is not None
        assert w.watch.wait(60)
        assert w.header["phase"] == "SUCCEEDED"
    finally:
        w.close()


def test_the_flyte_remotes_client_secret_carries_over_to_a_server_that_wants_a_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="flyteexec_widget")
    with Sandbox(clock="stepped", auth=True) as sb:
        wf_id = sb.launch("single-task")
        ac = sb.auth_config
        platform = flytekit_config.PlatformConfig(
            endpoint=sb.endpoint,
            insecure=True,
            auth_mode=flytekit_config.AuthType.CLIENTSECRET,
            client_id=ac.client_id,
            client_credentials_secret=ac.client_secret,
        )
        fr = flytekit_remote.FlyteRemote(
            flytekit_config.Config(platform=platform), default_project=wf_id.project, default_domain=wf_id.domain
        )
        fetched = fr.fetch_execution(name=wf_id.name)  # flytekit itself logs in
        w = watch(fetched, remote=fr)
        try:
            assert w.execution._remote.auth.mode == "ClientSecret"
            sb.run_until_done(wf_id, max_seconds=3600)
            assert w.watch is not None
            assert w.watch.wait(60)
            assert w.watch.error is None
            assert w.header["phase"] == "SUCCEEDED"  # every call of the watch carried our token
            # the secret reaches no widget state, repr, output or log line
            secret = ac.client_secret
            assert secret
            remote = w.execution._remote
            state = json.dumps(w.get_state(), default=str)
            bundle = json.dumps(w._repr_mimebundle_(), default=str)
            seen = [state, bundle, repr(w), repr(remote), repr(remote.auth), str(vars(w.execution)), caplog.text]
            assert all(secret not in text for text in seen)
        finally:
            w.close()


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _run_cells(cells: list[str], tmp_path: Path) -> list[list[dict[str, Any]]]:
    """Run ``cells`` in a real kernel of this venv (nbclient); return each cell's outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]  # type: ignore[no-untyped-call]
    repo = Path(__file__).resolve().parents[2]
    old = dict(os.environ)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), old.get("PYTHONPATH")]))
    os.environ["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter-data")  # this venv's python3 kernel, not a user's
    os.environ.pop("JUPYTER_PATH", None)
    try:
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return [list(c.get("outputs", [])) for c in nb.cells]


def _mimes(outputs: list[dict[str, Any]]) -> set[str]:
    return {m for out in outputs for m in out.get("data", {})}


def test_load_ext_shows_flytekits_execution_as_the_widget_in_a_kernel_and_the_switches_turn_it_off(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "home").mkdir()  # an empty HOME: no Flyte config file for the kernel either
    wf_id = sandbox.launch("single-task")
    sandbox.run_until_done(wf_id, max_seconds=3600)
    setup = (
        "%load_ext flyteexec_widget\n"
        "import flyteexec_widget\n"
        "from flytekit.configuration import Config\n"
        "from flytekit.remote import FlyteRemote\n"
        f"remote = FlyteRemote(Config.for_endpoint({sandbox.endpoint!r}, insecure=True),\n"
        "                      default_project='flytesnacks', default_domain='development')\n"
        f"ex = remote.fetch_execution(name={wf_id.name!r})\n"
    )
    outputs = _run_cells(
        [
            setup,
            "ex",
            "flyteexec_widget.flytekit_display(False)\nex",
            "flyteexec_widget.flytekit_display(True)\nex",
            "%unload_ext flyteexec_widget\nex",
        ],
        tmp_path,
    )
    shown, off, on_again, unloaded = outputs[1:]
    assert WIDGET_MIME in _mimes(shown)  # the live widget, through the notebook's FlyteRemote
    saved = next(o["data"]["text/plain"] for o in shown if "text/html" in o.get("data", {}))
    assert f"flytesnacks/development/{wf_id.name}" in saved
    assert "[Succeeded]" in saved
    for plain in (off, unloaded):  # flytekit's own text again
        assert WIDGET_MIME not in _mimes(plain)
        text = "".join(o["data"].get("text/plain", "") for o in plain if "data" in o)
        assert text.startswith(f'id {{\n  project: "flytesnacks"\n  domain: "development"\n  name: "{wf_id.name}"')
    assert WIDGET_MIME in _mimes(on_again)
