"""The shipped notebooks run top to bottom in a real kernel (this venv's python3), against the sandbox.

quickstart.ipynb starts its own sandbox in the kernel; your_cluster.ipynb, with FLYTEEXEC_NOTEBOOK_TEST=1, uses
a sandbox with auth (ClientSecret through a flytectl config file, fetch by console URL). FLYTEEXEC_DEMO_SPEED
makes the scripted executions play fast, so each notebook runs in seconds. Also: scripts/demo.sh serves the
quickstart and stops on one Ctrl-C.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


def _run_notebook(name: str, env: dict[str, str], tmp_path: Path) -> list[str]:
    """Execute ``notebooks/<name>`` with nbclient; return each code cell's text output (stdout + text/plain)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(NOTEBOOKS / name), as_version=4)  # type: ignore[no-untyped-call]
    old = dict(os.environ)
    # The kernel inherits this environment: the package from this checkout even where it is not installed.
    os.environ.update(env)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), old.get("PYTHONPATH")]))
    # "python3" must be this venv's kernel, not one a user-level kernelspec (~/.local/share/jupyter) points at.
    os.environ["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter-data")
    os.environ.pop("JUPYTER_PATH", None)
    try:
        client = NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
        client.execute()  # raises CellExecutionError, with the traceback, if a cell fails
    finally:
        os.environ.clear()
        os.environ.update(old)
    return [_cell_text(cell) for cell in nb.cells if cell.cell_type == "code"]


def _cell_text(cell: Any) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def test_quickstart_runs_to_success_and_prints_outputs(tmp_path: Path) -> None:
    cells = _run_notebook("quickstart.ipynb", {"FLYTEEXEC_DEMO_SPEED": "30"}, tmp_path)
    text = "\n".join(cells)
    # Nobody clicks here: the gate's cell left the click to the user, then approved through the API and said so.
    assert "'approve-deploy' is waiting: click Approve in the widget above" in cells[2]
    assert "nobody decided within 10s: approved 'approve-deploy' through the API" in cells[2]
    assert "phase: SUCCEEDED" in text
    assert "endpoint: https://models.example.com/churn/v3" in text
    assert "'accuracy': 0.934" in text
    # The node table lists every top-level node, all succeeded.
    node_lines = [line for line in cells[-1].splitlines() if line.startswith("n")]
    assert [line.split()[0] for line in node_lines] == ["n0", "n1", "n2", "n3", "n4", "n5"]
    assert all(line.split()[1] == "SUCCEEDED" for line in node_lines)
    assert "train loss: 0.1873" in text
    # The console link points at the sandbox's pages (its HTTP side), not at its gRPC port.
    pages = re.search(r"its pages at (http://127\.0\.0\.1:\d+)", cells[0])
    assert pages, cells[0]
    assert f"console: {pages.group(1)}/console/projects/flytesnacks/domains/development/executions/" in cells[1]


def test_your_cluster_runs_against_an_auth_sandbox(tmp_path: Path) -> None:
    cells = _run_notebook(
        "your_cluster.ipynb", {"FLYTEEXEC_NOTEBOOK_TEST": "1", "FLYTEEXEC_DEMO_SPEED": "30"}, tmp_path
    )
    text = "\n".join(cells)
    assert "auth='ClientSecret'" in cells[0]
    assert "phase: SUCCEEDED" in text
    assert "output o0 = 'Hello, world!'" in text


def test_notebooks_are_committed_without_outputs() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], f"{path.name} is committed with outputs"
                assert cell["execution_count"] is None, f"{path.name} is committed with execution counts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_demo_script_serves_the_quickstart_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, token = _free_port(), "demo-test-token"
    env = {
        **os.environ,
        "PORT": str(port),
        "JUPYTER_TOKEN": token,
        "FLYTEEXEC_DEMO_SKIP_INSTALL": "1",  # the venv is ready; the install step is what scripts/test.sh runs
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    proc = subprocess.Popen(
        ["bash", str(REPO / "scripts" / "demo.sh")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        contents = f"http://127.0.0.1:{port}/api/contents/quickstart.ipynb?content=0&token={token}"
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"demo.sh exited early: {proc.stdout.read() if proc.stdout else ''}"
            try:
                with urllib.request.urlopen(contents, timeout=2) as resp:
                    model = json.load(resp)
                    break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, "JupyterLab from demo.sh did not answer within 90s"
                time.sleep(0.3)  # polling a server that is starting
        assert model["type"] == "notebook"  # the root dir is notebooks/, the quickstart is at its top
        # No "get notified about Jupyter news?" toast over the widget: JupyterLab shows it while the setting fetchNews
        # is "none", its default (the demo's overrides change the defaults the server sends; the user's own win).
        settings = f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}"
        with urllib.request.urlopen(settings, timeout=10) as resp:
            props = json.load(resp)["schema"]["properties"]
        assert (props["fetchNews"]["default"], props["checkForUpdates"]["default"]) == ("false", False)
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends (demo.sh execs JupyterLab)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode is not None
        assert f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token={token}" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_demo_installs_jupyterlab_and_the_package_but_no_test_tools(tmp_path: Path) -> None:
    """demo.sh installs the demo extra: what pip would install for it, from nothing, has no test tool in it."""
    assert "pip install -q -e '.[demo]'" in (REPO / "scripts" / "demo.sh").read_text()
    report = tmp_path / "report.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report),
            f"{REPO}[demo]",
        ],
        check=True,
        timeout=600,
    )
    names = {item["metadata"]["name"].lower().replace("_", "-") for item in json.loads(report.read_text())["install"]}
    assert {"flyteexec-widget", "jupyterlab", "ipykernel", "anywidget", "ipywidgets", "grpcio"} <= names
    assert not names & {"pytest", "playwright", "flytekit", "mypy", "ruff", "nbclient-tests", "voila"}, names


@pytest.mark.parametrize("script", ["demo.sh", "test.sh"])
def test_scripts_parse(script: str) -> None:
    subprocess.run(["bash", "-n", str(REPO / "scripts" / script)], check=True)
