"""Real-browser harness: a JupyterLab server process and Playwright helpers to drive notebooks in it.

The facts this relies on (flags, readiness, pitfalls) are in ../shared/docs/browser-testing.md. One server
serves both UIs: JupyterLab at ``/lab/tree/<nb>`` and Notebook 7 at ``/notebooks/<nb>``, both with
``window.jupyterapp`` exposed so a test can run cells through the app's own commands.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from playwright.sync_api import ConsoleMessage, Locator, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Flags checked on these machines (browser-testing.md); never --user-data-dir (Playwright refuses it).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

UI = Literal["lab", "notebook7"]

# An error output (traceback) in any cell: seen by the waits below so a broken notebook fails fast and says why.
_ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LabServer:
    """A running Jupyter server (JupyterLab + Notebook 7) on 127.0.0.1 with a temp root dir."""

    port: int
    token: str
    root_dir: Path
    data_dir: Path  # JUPYTER_DATA_DIR: kernelspecs written under data_dir/kernels are offered by the server
    proc: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """An authenticated URL for a server path such as ``lab/tree/x.ipynb``."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"

    def log_tail(self, n: int = 40) -> str:
        """The last lines of the server's log, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def shutdown_kernel(self, kernel_id: str) -> None:
        """``DELETE /api/kernels/<id>``; a kernel already gone is fine."""
        req = urllib.request.Request(self.url(f"api/kernels/{kernel_id}"), method="DELETE")
        try:
            with urllib.request.urlopen(req, timeout=30):
                pass
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise

    def stop(self) -> None:
        """SIGTERM (the server shuts its kernels down), then SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def start_lab_server(
    workdir: Path, *, extra_env: dict[str, str] | None = None, startup_timeout: float = 90.0
) -> LabServer:
    """Start ``jupyter lab`` from this venv, every JUPYTER_* dir under ``workdir``; return once /api/status answers."""
    root = workdir / "root"
    root.mkdir(parents=True)
    env = dict(os.environ)
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("IPYTHONDIR", "ipython"),
    ]:
        (workdir / sub).mkdir()
        env[var] = str(workdir / sub)
    # No news/update toasts over the notebook in screenshots (and no network requests from the page).
    notif = workdir / "settings" / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env.pop("JUPYTER_TOKEN", None)
    env["PYTHONUNBUFFERED"] = "1"
    # Kernels import the package from this checkout, also where it is not pip-installed (scripts/test.sh does).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env.update(extra_env or {})

    port = free_port()
    token = os.urandom(12).hex()
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log_path = workdir / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    server = LabServer(
        port=port, token=token, root_dir=root, data_dir=workdir / "data", proc=proc, log_path=log_path, _log=log
    )

    deadline = time.monotonic() + startup_timeout
    while True:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url("api/status"), timeout=2) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"jupyter lab not ready after {startup_timeout:.0f}s:\n{server.log_tail()}")
        time.sleep(0.2)  # polling a server that is starting: there is nothing to wait on but the socket


def write_notebook(root_dir: Path, name: str, cells: Sequence[str], kernel: str = "python3") -> Path:
    """Write code cells as ``root_dir/name`` (python3 kernel, so no kernel-picker dialog); return the path."""
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": kernel, "display_name": kernel, "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{i}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(cells)
        ],
    }
    path = root_dir / name
    path.write_text(json.dumps(nb, indent=1))
    return path


IPYKERNEL6 = "python3-ipykernel6"
PIP_TARGET = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target"]


def add_ipykernel6_kernel(server: LabServer, target: Path) -> str:
    """Offer a kernel ``python3-ipykernel6``: this venv's python with ipykernel 6 put ahead of the installed 7.

    The widget must work on both (ipykernel 7 changed how comm messages and threads interact, ipykernel #1450), so
    ipykernel 6 (+ nest-asyncio, which only 6 needs) is pip-installed into ``target`` (from PyPI, once per
    session) and put first on the kernel's PYTHONPATH. Returns the kernel name.
    """
    if not (target / "ipykernel" / "__init__.py").exists():
        subprocess.run(
            [*PIP_TARGET, str(target), "ipykernel>=6.29,<7", "nest-asyncio>=1.4"],
            check=True,
            timeout=300,
        )
    spec_dir = server.data_dir / "kernels" / IPYKERNEL6
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel 6)",
        "language": "python",
        "env": {"PYTHONPATH": os.pathsep.join([str(target), str(REPO_ROOT)])},
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return IPYKERNEL6


def notebook_url(server: LabServer, name: str, ui: UI = "lab") -> str:
    """Where ``name`` opens in JupyterLab (``lab``) or in Notebook 7 (``notebook7``).

    JupyterLab gets a workspace of its own per page: the default workspace is saved on the server and would
    reopen every notebook an earlier test opened (their cells and outputs in the same DOM).
    """
    if ui == "notebook7":
        return server.url(f"notebooks/{name}")
    workspace = re.sub(r"[^A-Za-z0-9]+", "-", name) + "-" + os.urandom(4).hex()
    return server.url(f"lab/workspaces/{workspace}/tree/{name}")


class NotebookSession:
    """One notebook opened in one page: open, run all, wait for outputs, screenshot, shut its kernel down.

    Every locator is scoped to this notebook's panel (``self.panel``), never to the whole page.
    """

    def __init__(self, page: Page, server: LabServer, name: str, ui: UI = "lab") -> None:
        self.page = page
        self.server = server
        self.name = name
        self.ui = ui
        self.panel_id = ""
        self.kernel_id = ""

    @property
    def panel(self) -> Locator:
        """The notebook panel's element."""
        if not self.panel_id:
            raise RuntimeError(f"{self.name} is not open: call open() first")
        return self.page.locator(f'[id="{self.panel_id}"]')

    def open(self, timeout_ms: float = 90_000) -> NotebookSession:
        """Load the notebook page and wait until its kernel has answered kernel_info."""
        self.page.goto(notebook_url(self.server, self.name, self.ui))
        self.page.wait_for_function(
            """(path) => {
                const app = window.jupyterapp;
                if (!app || !app.shell) return false;
                return Array.from(app.shell.widgets('main')).some(w => w.context && w.context.path === path);
            }""",
            arg=self.name,
            timeout=timeout_ms,
        )
        ids = self.page.evaluate(
            """async ([path, timeoutMs]) => {
                const timeout = new Promise((_, reject) => setTimeout(
                    () => reject(new Error(`kernel of ${path} not ready after ${timeoutMs} ms`)), timeoutMs));
                const app = window.jupyterapp;
                const panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path);
                app.shell.activateById(panel.id);
                const ready = (async () => {
                    await panel.context.ready;
                    await panel.sessionContext.ready;
                    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
                    if (!kernel) throw new Error('no kernel for ' + path);
                    await kernel.info;
                    return [panel.id, kernel.id];
                })();
                return await Promise.race([ready, timeout]);
            }""",
            [self.name, timeout_ms],
        )
        self.panel_id, self.kernel_id = ids
        return self

    def run_all(self, timeout_ms: float = 30_000) -> None:
        """Run every cell through the app's own command; returns once the first code cell has started (the rest
        run in the kernel meanwhile)."""
        # The panel is named explicitly (``widgetId``): the command otherwise acts on the tracker's current
        # notebook, which is not always set yet on a fresh page. The command's promise settles only when the last
        # cell ends: it is not awaited (a blocking cell would block us), only its failure is kept.
        self.page.evaluate(
            """(panelId) => {
                window.__fxwRunAllError = undefined;
                window.jupyterapp.commands.execute('notebook:run-all-cells', {widgetId: panelId})
                    .catch((e) => { window.__fxwRunAllError = String(e && e.stack || e); });
            }""",
            self.panel_id,
        )
        self.page.wait_for_function(
            r"""(panelId) => {
                if (window.__fxwRunAllError) return true;
                const prompts = document.getElementById(panelId)?.querySelectorAll('.jp-CodeCell .jp-InputPrompt');
                return Array.from(prompts || []).some((p) => /\[(\*|\d+)\]/.test(p.textContent));
            }""",
            arg=self.panel_id,
            timeout=timeout_ms,
        )
        error = self.page.evaluate("() => window.__fxwRunAllError")
        if error:
            raise AssertionError(f"Run All failed in {self.name}: {error}")

    def output(self, selector: str = "") -> Locator:
        """Inside this notebook's output areas only (text locators elsewhere would also match cell sources), the
        widget's saved-snapshot outputs left out (:meth:`saved` has those)."""
        outputs = self.panel.locator(".jp-OutputArea-output:not(:has(.fxw-saved))")
        return outputs.locator(selector) if selector else outputs

    def saved(self, selector: str = "") -> Locator:
        """The widget's saved-snapshot outputs (shown only while its live view is not on screen)."""
        outputs = self.panel.locator(".jp-OutputArea-output:has(.fxw-saved)")
        return outputs.locator(selector) if selector else outputs

    def save(self) -> None:
        """Save the notebook through the app (as Ctrl+S), and wait until the server has it."""
        self.page.evaluate(
            """async (panelId) => {
                const app = window.jupyterapp;
                const panel = Array.from(app.shell.widgets('main')).find(w => w.id === panelId);
                await panel.context.save();
            }""",
            self.panel_id,
        )

    def reload(self, timeout_ms: float = 90_000) -> None:
        """Reload the page and wait for the notebook's panel, not for its kernel (a running cell keeps the kernel
        from answering until it ends)."""
        self.page.reload()
        self.page.wait_for_function(
            """(path) => {
                const app = window.jupyterapp;
                if (!app || !app.shell) return false;
                const panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path);
                return Boolean(panel && panel.context.isReady);
            }""",
            arg=self.name,
            timeout=timeout_ms,
        )
        self.panel_id = self.page.evaluate(
            """(path) => Array.from(window.jupyterapp.shell.widgets('main'))
                .find(w => w.context && w.context.path === path).id""",
            self.name,
        )

    def restart_kernel(self, timeout_ms: float = 90_000) -> None:
        """Restart the notebook's kernel (no dialog) and wait until the new one is ready."""
        self.kernel_id = self.page.evaluate(
            """async ([panelId, timeoutMs]) => {
                const app = window.jupyterapp;
                const panel = Array.from(app.shell.widgets('main')).find(w => w.id === panelId);
                const kernel = panel.sessionContext.session.kernel;
                const timeout = new Promise((_, reject) => setTimeout(
                    () => reject(new Error(`kernel not back after ${timeoutMs} ms`)), timeoutMs));
                await Promise.race([kernel.restart().then(() => kernel.info), timeout]);
                return kernel.id;
            }""",
            [self.panel_id, timeout_ms],
        )

    def wait_for_output(self, marker: str, timeout_ms: float = 60_000) -> None:
        """Wait until an output area contains ``marker``; fail at once, with the traceback, if a cell raised."""
        self.page.wait_for_function(
            """([panelId, marker, errSel]) => {
                const panel = document.getElementById(panelId);
                if (!panel) return false;
                if (panel.querySelector(errSel)) return true;
                return Array.from(panel.querySelectorAll('.jp-OutputArea-output'))
                    .some(e => e.textContent.includes(marker));
            }""",
            arg=[self.panel_id, marker, _ERROR_OUTPUT],
            timeout=timeout_ms,
        )
        self.raise_on_error()

    def raise_on_error(self) -> None:
        """Fail with the notebook's own traceback text if any cell shows an error output."""
        errors = self.panel.locator(_ERROR_OUTPUT)
        if errors.count():
            text = "\n---\n".join(errors.all_inner_texts())
            raise AssertionError(f"a cell of {self.name} raised:\n{text}")

    def cell_is_running(self, index: int) -> bool:
        """Whether code cell ``index`` shows the ``[*]:`` prompt (kernel.status is not reliable, see the doc)."""
        prompt = self.panel.locator(".jp-Cell").nth(index).locator(".jp-InputPrompt")
        return "*" in (prompt.inner_text() or "")

    def screenshot(self, name: str, element: Locator | None = None) -> Path:
        """Save a PNG under test-artifacts/browser/ (the page, or just ``element``) and return its path."""
        if element is None:
            return save_screenshot(self.page, f"{self.ui}-{name}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.ui}-{name}") + ".png")
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(path))
        return path

    def shutdown(self) -> None:
        """Shut this notebook's kernel down (kernels left running would compete for the 2 cores)."""
        if self.kernel_id:
            self.server.shutdown_kernel(self.kernel_id)
            self.kernel_id = ""


#: Page errors of Notebook 7 itself, harmless (browser-testing.md): not ours to fail on.
KNOWN_PAGE_ERRORS = ("reading 'schema'", "Command 'filebrowser:open-path' not registered")

#: JupyterLab 4.6's splash screen (@jupyterlab/apputils-extension) removes its element with
#: ``window.setTimeout(() => document.body.removeChild(splash), 200)``; when the app shows the splash again within
#: those 200 ms (the relaunch test's page does, about one load in two on a quiet machine), the second timeout throws
#: "Failed to execute 'removeChild' on 'Node'" from JupyterLab's own core bundle. Ignored only with that stack:
#: our modules never call removeChild, and an error thrown from them names their blob module, not jlab_core.
_LAB_SPLASH_ERROR = "Failed to execute 'removeChild' on 'Node'"


def _known_lab_error(exc: object) -> bool:
    stack = str(getattr(exc, "stack", "") or "")
    frames = [line.strip() for line in stack.splitlines() if line.strip().startswith("at ")]
    return _LAB_SPLASH_ERROR in str(exc) and len(frames) == 1 and "/static/lab/jlab_core." in frames[0]


def collect_page_errors(page: Page) -> list[str]:
    """A list that fills with the page's uncaught exceptions and with console messages from the widget
    (``flyteexec-widget: ...`` warnings, e.g. a request the kernel answered with an error)."""
    errors: list[str] = []

    def on_page_error(exc: object) -> None:
        text = str(exc)
        if not any(known in text for known in KNOWN_PAGE_ERRORS) and not _known_lab_error(exc):
            errors.append(f"uncaught: {text}")

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning") and "flyteexec-widget" in msg.text:
            errors.append(f"console.{msg.type}: {msg.text}")

    page.on("pageerror", on_page_error)
    page.on("console", on_console)
    return errors


def save_screenshot(page: Page, name: str) -> Path:
    """Save a PNG of the page under test-artifacts/browser/ (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def make_workdir(prefix: str) -> Path:
    """A fresh temp dir for one server's root and JUPYTER_* dirs."""
    return Path(tempfile.mkdtemp(prefix=prefix))
