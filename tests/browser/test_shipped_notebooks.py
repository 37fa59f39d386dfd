"""The shipped quickstart as a user runs it: ``scripts/demo.sh`` serves JupyterLab, Run All, the user clicks
Approve in the widget while the gate's cell waits, the console link opens the sandbox's page, a clicked output
becomes ``widget.selected_output``, and no JupyterLab news toast covers the widget."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.lab import REPO_ROOT, LabServer, NotebookSession, free_port

QUICKSTART = REPO_ROOT / "notebooks" / "quickstart.ipynb"
LONG_MS = 120_000


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[LabServer]:
    """``bash scripts/demo.sh`` (install step skipped: the venv is ready) on a copy of the notebooks, with its own
    Jupyter dirs; the app is exposed so the test can run all cells."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(QUICKSTART, root / "quickstart.ipynb")  # the user's run must not write into the repository
    port, token = free_port(), os.urandom(12).hex()
    env = {**os.environ, "PORT": str(port), "JUPYTER_TOKEN": token, "FLYTEEXEC_DEMO_SKIP_INSTALL": "1"}
    env["FLYTEEXEC_DEMO_ROOT"] = str(root)
    # Slow enough to leave 15 s for the click (the quickstart's own rule: a minute at real speed).
    env["FLYTEEXEC_DEMO_SPEED"] = "4"
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTERLAB_SETTINGS_DIR"):
        (tmp_path / var).mkdir()
        env[var] = str(tmp_path / var)
    log_path = tmp_path / "demo.log"
    log = log_path.open("wb")
    args = ["--LabApp.expose_app_in_browser=True"]
    proc = subprocess.Popen(
        ["bash", str(REPO_ROOT / "scripts" / "demo.sh"), *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    server = LabServer(port, token, root, tmp_path / "data", proc, log_path, log)
    deadline = time.monotonic() + 90
    while True:
        assert proc.poll() is None, f"demo.sh exited early:\n{server.log_tail()}"
        try:
            with urllib.request.urlopen(server.url("api/status"), timeout=2):
                break
        except (urllib.error.URLError, OSError):
            assert time.monotonic() < deadline, f"demo.sh's JupyterLab did not answer within 90s:\n{server.log_tail()}"
            time.sleep(0.3)  # polling a server that is starting
    try:
        yield server
    finally:
        server.stop()


def _run_code(nb: NotebookSession, code: str) -> str:
    """Run ``code`` in the notebook's kernel (as a user's new cell would); return what it printed."""
    out: str = nb.page.evaluate(
        """async ([panelId, code]) => {
            const panel = Array.from(window.jupyterapp.shell.widgets('main')).find((w) => w.id === panelId);
            const future = panel.sessionContext.session.kernel.requestExecute({ code });
            let text = '';
            future.onIOPub = (msg) => {
                if (msg.header.msg_type === 'stream') text += msg.content.text;
                if (msg.header.msg_type === 'error') text += msg.content.evalue;
            };
            await future.done;
            return text;
        }""",
        [nb.panel_id, code],
    )
    return out


def test_quickstart_in_the_demo_the_user_approves_in_the_widget(demo_server: LabServer, page: Page) -> None:
    nb = NotebookSession(page, demo_server, "quickstart.ipynb", "lab").open()
    try:
        nb.run_all()
        nb.wait_for_output("'approve-deploy' is waiting: click Approve in the widget above", timeout_ms=LONG_MS)
        widget = nb.output(".fxw")
        approve = widget.locator('.fxw-row[data-key="n4"] [data-action="approve"]')
        expect(approve).to_be_visible(timeout=LONG_MS)
        nb.screenshot("quickstart-gate", widget)
        approve.click()
        nb.wait_for_output("'approve-deploy' was approved in the widget", timeout_ms=LONG_MS)
        nb.wait_for_output("phase: SUCCEEDED", timeout_ms=LONG_MS)
        nb.wait_for_output("endpoint: https://models.example.com/churn/v3")
        # One widget: watch() showed it, so wait() (run by the same Run All) did not show a second one.
        expect(widget).to_have_count(1)
        expect(widget).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        for key in ["n0", "n1", "n2", "n3", "n4", "n5"]:
            expect(widget.locator(f'.fxw-row[data-key="{key}"]')).to_have_attribute("data-phase", "SUCCEEDED")
        expect(widget.locator('.fxw-row[data-key="n4"] .fxw-name')).to_have_text("approve-deploy")
        expect(widget.locator('.fxw-row[data-key="n4"] .fxw-action-status')).to_have_text("Approved")
        # JupyterLab's news toast would have come right after it started, long before now: it never did.
        expect(page.get_by_text("Would you like to get notified about official Jupyter news?")).to_have_count(0)
        nb.screenshot("quickstart-done")
        nb.screenshot("quickstart-widget", widget)

        # The console link, in the cell's printout and in the header, opens the sandbox's page of the execution.
        printed = nb.output().filter(has_text="console: ").first.inner_text()
        url = re.search(r"console: (http://\S+)", printed)
        assert url, printed
        expect(widget.locator(".fxw-header a.fxw-exec")).to_have_attribute("href", url.group(1))
        with page.context.expect_page() as opened:
            widget.locator(".fxw-header a.fxw-exec").click()
        console = opened.value
        console.wait_for_load_state()
        expect(console.locator(".phase").first).to_have_text("SUCCEEDED")
        console.close()

        # A clicked output is widget.selected_output in Python.
        widget.locator('.fxw-row[data-key="n5"] [data-action="details"]').click()
        outputs = widget.locator('.fxw-detail[data-key="n5"] details.fxw-io[data-which="outputs"]')
        outputs.locator("summary").click()
        outputs.locator("button.fxw-k", has_text="endpoint").click()
        expect(outputs.locator(".fxw-io-note")).to_have_text("widget.selected_output = outputs['endpoint'] (str)")
        assert _run_code(nb, "print(repr(widget.selected_output))").strip() == "'https://models.example.com/churn/v3'"
    finally:
        nb.shutdown()
