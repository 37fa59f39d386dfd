"""The widget outside JupyterLab: Voila renders a notebook's outputs with its own widget manager (standalone, as VS
Code's is), so a widget that shows and updates there loads without JupyterLab's application around it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier
from playwright.sync_api import Page, expect

from flyteexec_widget.objects.phases import NodePhase
from flyteexec_widget.sandbox import Sandbox
from tests.browser.lab import REPO_ROOT, free_port, save_screenshot, write_notebook

LONG_MS = 60_000


def _advance_until(sb: Sandbox, wf_id: WorkflowExecutionIdentifier, node: str, phase: NodePhase) -> None:
    for _ in range(60):
        if sb.truth(wf_id).get(node) == phase:
            return
        sb.advance(2)
    raise AssertionError(f"{node} never reached {phase.name}: {sb.truth(wf_id)}")


class VoilaServer:
    """``voila voila.ipynb`` in ``folder`` on a free 127.0.0.1 port with a token, started once the test wrote the
    notebook (Voila runs it for each page load)."""

    def __init__(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "nb"
        self.folder.mkdir()
        self.port, self.token = free_port(), os.urandom(12).hex()
        self.env = dict(os.environ)
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            (tmp_path / var).mkdir()
            self.env[var] = str(tmp_path / var)
        # The kernel imports the package from this checkout, as the other browser tests' kernels do.
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        self.log_path = tmp_path / "voila.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "voila", "voila.ipynb", "--no-browser", f"--port={self.port}"]
        cmd += ["--Voila.ip=127.0.0.1", f"--token={self.token}", "--show_tracebacks=True"]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        probe = f"http://127.0.0.1:{self.port}/voila/static/?token={self.token}"
        deadline = time.monotonic() + 90
        while True:
            assert self.proc.poll() is None, f"voila exited early:\n{self.log_tail()}"
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers (its static folder lists nothing): it is up
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, f"voila did not answer within 90s:\n{self.log_tail()}"
                time.sleep(0.3)  # polling a server that is starting

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def voila(tmp_path: Path) -> Iterator[VoilaServer]:
    server = VoilaServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def test_the_widget_renders_and_updates_live_in_voila(voila: VoilaServer, page: Page) -> None:
    with Sandbox(clock="stepped") as sb:
        wf_id = sb.launch("demo")
        _advance_until(sb, wf_id, "n0", NodePhase.RUNNING)
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        write_notebook(
            voila.folder,
            "voila.ipynb",
            [
                "from flyteexec_widget import Remote, watch\n"
                f"remote = Remote.for_sandbox({sb.endpoint!r}, console_endpoint={sb.console_endpoint!r})\n"
                f"widget = watch({ref!r}, remote)\nwidget\n"
            ],
        )
        voila.start()
        page.goto(voila.url, timeout=LONG_MS)  # Voila runs the notebook before it sends the page
        widget = page.locator(".fxw.fxw-live")
        expect(widget).to_have_count(1, timeout=LONG_MS)
        expect(widget.locator(".fxw-wf")).to_have_text("sandbox.demo.wf")
        expect(widget.locator('.fxw-row[data-key="n0"]')).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
        # planned from the start, not started yet
        expect(widget.locator('.fxw-row[data-key="n1"]')).to_have_attribute("data-phase", "NOT_STARTED")
        save_screenshot(page, "voila-running")

        # Live: the sandbox moves on, the kernel's sync thread pushes it to the page.
        _advance_until(sb, wf_id, "n1", NodePhase.RUNNING)
        expect(widget.locator('.fxw-row[data-key="n0"]')).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        expect(widget.locator('.fxw-row[data-key="n1"]')).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
        expect(widget.locator(".fxw-header a.fxw-exec")).to_have_attribute("href", sb.console_url(wf_id))
        save_screenshot(page, "voila-live")
