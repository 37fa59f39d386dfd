"""The shipped quickstart notebook, as a user runs it: JupyterLab, Run All, the widget live, then the outputs."""

from __future__ import annotations

import shutil

from playwright.sync_api import expect

from tests.browser.conftest import OpenNotebook
from tests.browser.lab import REPO_ROOT, LabServer, NotebookSession

QUICKSTART = REPO_ROOT / "notebooks" / "quickstart.ipynb"


def test_quickstart_runs_all_in_jupyterlab(lab_server: LabServer, open_notebook: OpenNotebook) -> None:
    shutil.copy(QUICKSTART, lab_server.root_dir / "quickstart.ipynb")
    nb: NotebookSession = open_notebook("quickstart.ipynb", None, "lab")
    nb.run_all()
    nb.wait_for_output("phase: SUCCEEDED", timeout_ms=180_000)
    nb.wait_for_output("endpoint: https://models.example.com/churn/v3")
    # One widget: watch() showed it, so wait() (run by the same Run All) did not show a second one.
    expect(nb.output(".fxw")).to_have_count(1)
    widget = nb.output(".fxw")
    expect(widget).to_have_attribute("data-phase", "SUCCEEDED", timeout=60_000)
    for key in ["n0", "n1", "n2", "n3", "n4", "n5"]:
        expect(widget.locator(f'.fxw-row[data-key="{key}"]')).to_have_attribute("data-phase", "SUCCEEDED")
    expect(widget.locator('.fxw-row[data-key="n4"] .fxw-name')).to_have_text("approve-deploy")
    nb.screenshot("quickstart-done")
    nb.screenshot("quickstart-widget", widget)
