"""Rows while the kernel is busy: Run All on a notebook whose cell after ``watch()`` keeps the kernel busy.

The view must not need an answer from the kernel to show its rows: they are pushed from the kernel (the sync
thread's messages reach the page while a cell runs), and every output of the widget reads the same store. Requests
that do need the kernel say so while it is busy and are answered once it is free. A page reloaded while the cell
runs cannot restore widget models (that needs the kernel): the saved snapshot shows until the model is back.

The busy cell waits up to 60 s for a file the test creates, so "while the kernel is busy" is a fact the test
controls (``cell_is_running``), not a timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier
from playwright.sync_api import Locator, expect

from flyteexec_widget.objects.phases import NodePhase
from flyteexec_widget.sandbox import Sandbox
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI, LabServer, NotebookSession

LONG_MS = 60_000


@pytest.fixture
def stepped_sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped") as sb:
        yield sb


def _advance_until(sb: Sandbox, wf_id: WorkflowExecutionIdentifier, node: str, phase: NodePhase) -> None:
    for _ in range(60):
        if sb.truth(wf_id).get(node) == phase:
            return
        sb.advance(2)
    raise AssertionError(f"{node} never reached {phase.name}: {sb.truth(wf_id)}")


def _cells(sb: Sandbox, wf_id: WorkflowExecutionIdentifier, release: Path) -> list[str]:
    ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
    watch_cell = (
        "from flyteexec_widget import Remote, watch\n"
        f"remote = Remote.for_sandbox({sb.endpoint!r})\n"
        f"w = watch({ref!r}, remote)\n"
        "w\n"
    )
    busy_cell = (
        "import pathlib, time\n"
        "display(w)  # a second output of the same widget, made while this cell keeps the kernel busy\n"
        "print('BUSY')\n"
        f"release = pathlib.Path({str(release)!r})\n"
        "for _ in range(600):  # up to 60 s, like a slow cell after watch()\n"
        "    if release.exists():\n"
        "        break\n"
        "    time.sleep(0.1)\n"
        "print('FREE')\n"
    )
    return [watch_cell, busy_cell]


def _live(nb: NotebookSession, n: int = 0) -> Locator:
    return nb.output(".fxw-live").nth(n)


def _row(view: Locator, key: str) -> Locator:
    return view.locator(f'.fxw-row[data-key="{key}"]')


@pytest.mark.parametrize(("ui", "ipykernel_major"), [("lab", 7), ("notebook7", 7), ("lab", 6)])
def test_rows_show_and_change_while_the_next_cell_runs(
    lab_server: LabServer,
    open_notebook: OpenNotebook,
    stepped_sandbox: Sandbox,
    request: pytest.FixtureRequest,
    ui: UI,
    ipykernel_major: int,
) -> None:
    # ipykernel 6 and 7 hand messages from threads to iopub differently (ipykernel #1450): both are tried.
    kernel = "python3" if ipykernel_major == 7 else request.getfixturevalue("ipykernel6")
    sb = stepped_sandbox
    wf_id = sb.launch("demo")
    _advance_until(sb, wf_id, "n0", NodePhase.RUNNING)
    release = lab_server.root_dir / f"release-busy-{ui}-{ipykernel_major}"
    nb = open_notebook(f"busy-{ui}-{ipykernel_major}.ipynb", _cells(sb, wf_id, release), ui, kernel=kernel)
    nb.run_all()
    nb.wait_for_output("BUSY")
    assert nb.cell_is_running(1), "the busy cell ended before the test looked"

    # Both outputs of the widget fill, though the kernel answers nothing while the busy cell runs: the first
    # node runs, the five others are planned by the workflow and shown as not started, in graph order.
    for view in (_live(nb, 0), _live(nb, 1)):
        expect(_row(view, "n0")).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
        expect(view.locator(".fxw-row").locator(".fxw-name")).to_have_text(
            ["load_data", "preprocess_shard", "train", "evaluate", "approve-deploy", "deploy"]
        )
        for key in ["n1", "n2", "n3", "n4", "n5"]:
            expect(_row(view, key)).to_have_attribute("data-phase", "NOT_STARTED")
        expect(view.locator(".fxw-done")).to_have_text("0 of 6 nodes done")
    assert nb.cell_is_running(1)
    nb.screenshot(f"busy-rows-while-cell-runs-ipykernel{ipykernel_major}")

    # Live changes while the kernel stays busy.
    _advance_until(sb, wf_id, "n1", NodePhase.RUNNING)
    for view in (_live(nb, 0), _live(nb, 1)):
        expect(_row(view, "n0")).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        expect(_row(view, "n1")).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
        expect(view.locator(".fxw-done")).to_have_text("1 of 6 nodes done")
    # The array's 8 shards are counted on its row, not as nodes.
    _advance_until(sb, wf_id, "n2", NodePhase.RUNNING)
    for view in (_live(nb, 0), _live(nb, 1)):
        expect(_row(view, "n1").locator(".fxw-shards")).to_have_text("8 of 8 shards", timeout=LONG_MS)
        expect(view.locator(".fxw-done")).to_have_text("2 of 6 nodes done")
    assert nb.cell_is_running(1)

    # A request that needs the kernel (the outputs of n0) says it waits for it, and is answered once it can be.
    view = _live(nb, 0)
    _row(view, "n0").locator('[data-action="details"]').click()
    outputs = view.locator('.fxw-detail[data-key="n0"] details.fxw-io[data-which="outputs"]')
    outputs.locator("summary").click()
    expect(outputs.locator(".fxw-io-note")).to_contain_text("waiting for the kernel", timeout=LONG_MS)
    assert nb.cell_is_running(1)
    nb.screenshot(f"busy-request-waits-for-the-kernel-ipykernel{ipykernel_major}")
    release.touch()
    nb.wait_for_output("FREE")
    expect(outputs.locator(".fxw-io-body")).to_contain_text("100000", timeout=LONG_MS)  # output "rows"
    expect(outputs.locator(".fxw-io-note")).to_have_text("")


def test_a_page_reloaded_while_a_cell_runs_shows_the_saved_snapshot_until_the_model_is_back(
    lab_server: LabServer, open_notebook: OpenNotebook, stepped_sandbox: Sandbox
) -> None:
    sb = stepped_sandbox
    wf_id = sb.launch("demo")
    _advance_until(sb, wf_id, "n0", NodePhase.RUNNING)
    release = lab_server.root_dir / "release-reload"
    nb = open_notebook("busy-reload.ipynb", _cells(sb, wf_id, release), "lab")
    nb.run_all()
    nb.wait_for_output("BUSY")
    _advance_until(sb, wf_id, "n1", NodePhase.RUNNING)
    expect(_row(_live(nb), "n1")).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    # The kernel refreshes the saved snapshot (hidden next to the live view) while the execution runs.
    expect(nb.saved('tr[data-key="n1"]').first).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    nb.save()
    assert nb.cell_is_running(1)

    nb.reload()
    # No widget model can come back while the cell runs: the saved snapshot shows, marked as such; no error, no
    # "Loading widget..." placeholder.
    saved = nb.saved(".fxw-saved").first
    expect(saved).to_be_visible(timeout=LONG_MS)
    expect(saved.locator(".fxw-saved-note")).to_contain_text("Saved snapshot, taken")
    expect(saved.locator('tr[data-key="n1"]')).to_have_attribute("data-phase", "RUNNING")
    expect(nb.panel.get_by_text("Error displaying widget")).to_have_count(0)
    placeholders = nb.panel.get_by_text("Loading widget...")
    expect(placeholders).to_have_count(2)  # both outputs of the widget wait for their model, out of sight
    for i in range(2):
        expect(placeholders.nth(i)).to_be_hidden()
    # (The reloaded page does not know that the cell runs: its prompt reads "[ ]". It runs until `release` exists.)
    nb.screenshot("reload-while-busy-saved-snapshot")

    release.touch()
    # The kernel is free: the models are restored, the live views replace the snapshots and fill with rows.
    expect(_row(_live(nb), "n1")).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    expect(nb.saved(".fxw-saved").first).to_be_hidden()
    nb.screenshot("reload-after-busy-live-again")
