"""A saved notebook reopens showing its execution: after a kernel restart, after a reload, and when it was saved
while the execution still ran, in JupyterLab and Notebook 7; never "Error displaying widget", never a credential
in the file.

The kernel logs in to an auth sandbox with a client secret read from a file outside the notebook, so the test can
check that neither the secret nor any token the sandbox issued ended up in the saved notebook.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier
from playwright.sync_api import expect

from flyteexec_widget.objects.phases import NodePhase, WorkflowPhase
from flyteexec_widget.sandbox import Sandbox
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI, LabServer, NotebookSession

LONG_MS = 60_000


@pytest.fixture
def auth_sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped", auth=True) as sb:
        yield sb


def _advance_until(sb: Sandbox, wf_id: WorkflowExecutionIdentifier, node: str, phase: NodePhase) -> None:
    for _ in range(60):
        if sb.truth(wf_id).get(node) == phase:
            return
        sb.advance(2)
    raise AssertionError(f"{node} never reached {phase.name}: {sb.truth(wf_id)}")


def _watch_cell(sb: Sandbox, wf_id: WorkflowExecutionIdentifier, secret_file: Path) -> str:
    cfg = sb.auth_config
    ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
    return (
        "import pathlib\n"
        "from flyteexec_widget import ClientSecret, Remote, watch\n"
        f"secret = pathlib.Path({str(secret_file)!r}).read_text()\n"
        f"remote = Remote.for_sandbox({sb.endpoint!r}, auth=ClientSecret({cfg.client_id!r}, secret))\n"
        f"watch({ref!r}, remote)\n"
    )


def _assert_no_credentials(sb: Sandbox, path: Path) -> None:
    saved = path.read_text()
    issued = list(sb.authority._tokens)  # type: ignore[union-attr]
    assert issued, "the kernel never logged in: the check would prove nothing"
    assert not [t for t in issued if t in saved]
    assert sb.auth_config.client_secret not in saved
    assert "application/vnd.jupyter.widget-state+json" not in json.loads(saved)["metadata"].get("widgets", {})


def _expect_saved_snapshot(nb: NotebookSession, phases: dict[str, str]) -> None:
    """The saved snapshot is on screen (marked, with its time), with these rows; no widget error anywhere."""
    saved = nb.saved(".fxw-saved").first
    expect(saved).to_be_visible(timeout=LONG_MS)
    expect(saved.locator(".fxw-saved-note")).to_contain_text("Saved snapshot, taken")
    for key, phase in phases.items():
        expect(saved.locator(f'tr[data-key="{key}"]')).to_have_attribute("data-phase", phase)
    expect(nb.panel.get_by_text("Error displaying widget")).to_have_count(0)
    expect(nb.output(".fxw-live")).to_have_count(0)


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_after_a_kernel_restart_and_a_reload_the_last_state_shows(
    lab_server: LabServer, open_notebook: OpenNotebook, auth_sandbox: Sandbox, ui: UI
) -> None:
    sb = auth_sandbox
    wf_id = sb.launch("failure")
    assert sb.run_until_done(wf_id) == WorkflowPhase.FAILED
    secret = lab_server.root_dir.parent / f"secret-{ui}"
    secret.write_text(sb.auth_config.client_secret)
    name = f"restart-{ui}.ipynb"
    nb = open_notebook(name, [_watch_cell(sb, wf_id, secret)], ui)
    nb.run_all()
    live = nb.output(".fxw-live")
    expect(live.locator('.fxw-row[data-key="n1"]')).to_have_attribute("data-phase", "FAILED", timeout=LONG_MS)
    expect(nb.saved(".fxw-saved").first).to_be_hidden()  # the live view is on screen: its snapshot is not
    # The watch is done: the saved snapshot holds the final tree.
    expect(nb.saved('tr[data-key="n1"]').first).to_have_attribute("data-phase", "FAILED", timeout=LONG_MS)
    nb.save()

    nb.restart_kernel()
    # The view stays (the page still has the model's last state) and says it is a saved snapshot now; no error box.
    sync_line = live.locator(".fxw-sync")
    expect(sync_line).to_contain_text("Saved snapshot: the kernel that ran this cell is gone", timeout=LONG_MS)
    expect(sync_line).to_contain_text("last synced")
    expect(live.locator('.fxw-row[data-key="n1"]')).to_have_attribute("data-phase", "FAILED")
    expect(live.locator('[data-action="relaunch"]')).to_have_count(0)  # no action can work without the kernel
    expect(nb.panel.get_by_text("Error displaying widget")).to_have_count(0)
    nb.screenshot("restarted-kernel")

    nb.reload()
    # A reloaded page cannot get the model back from the new kernel: the saved snapshot shows instead.
    _expect_saved_snapshot(nb, {"n0": "SUCCEEDED", "n1": "FAILED", "n2": "ABORTED", "n3": "NOT_STARTED"})
    header_error = nb.saved(".fxw-header-error").first
    expect(header_error.locator("summary")).to_contain_text("Failed at transform (n1): KeyError")
    # propeller's raw "failed at Node[n1]. USER: USER:KeyError" text is folded under that line, as in the live view
    expect(header_error.locator("pre.fxw-error-full")).to_be_hidden()
    header_error.locator("summary").click()
    expect(header_error.locator("pre.fxw-error-full")).to_contain_text("failed at Node[n1]")
    # in the live view's box (JupyterLab's own pre rule would take away its border and padding)
    boxed = "e => [getComputedStyle(e).borderLeftStyle, getComputedStyle(e).paddingLeft]"
    assert header_error.locator("pre.fxw-error-full").evaluate(boxed) == ["solid", "8px"]
    nb.screenshot("restarted-kernel-reloaded")
    _assert_no_credentials(sb, lab_server.root_dir / name)


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_a_notebook_saved_while_its_execution_ran_reopens_with_the_state_it_was_saved_in(
    lab_server: LabServer, open_notebook: OpenNotebook, auth_sandbox: Sandbox, ui: UI
) -> None:
    sb = auth_sandbox
    wf_id = sb.launch("demo")
    _advance_until(sb, wf_id, "n0", NodePhase.RUNNING)
    secret = lab_server.root_dir.parent / f"secret-running-{ui}"
    secret.write_text(sb.auth_config.client_secret)
    name = f"saved-running-{ui}.ipynb"
    nb = open_notebook(name, [_watch_cell(sb, wf_id, secret)], ui)
    nb.run_all()
    expect(nb.output('.fxw-row[data-key="n0"]')).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    _advance_until(sb, wf_id, "n2", NodePhase.RUNNING)  # later than when the cell displayed the widget
    expect(nb.output('.fxw-row[data-key="n2"]')).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    # While it runs, the kernel refreshes the saved snapshot (out of sight next to the live view).
    expect(nb.saved('tr[data-key="n2"]').first).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    nb.save()
    nb.shutdown()  # closed: nothing of this kernel is left to restore the widget from

    reopened = open_notebook(name, None, ui)
    _expect_saved_snapshot(
        reopened,
        {"n0": "SUCCEEDED", "n1": "SUCCEEDED", "n2": "RUNNING", "n3": "NOT_STARTED", "n5": "NOT_STARTED"},
    )
    reopened.screenshot("saved-while-running-reopened")
    _assert_no_credentials(sb, lab_server.root_dir / name)
