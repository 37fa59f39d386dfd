"""The real widget in a real browser, against a sandbox running in this test process (stepped clock).

The notebook's kernel connects to the sandbox's endpoint, so the test drives time (``sandbox.advance``), reads
the sandbox's truth and RPC counts, and clicks in the page while the kernel's ``wait()`` blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier
from playwright.sync_api import Browser, Locator, Page, expect

from flyteexec_widget.objects.phases import NodePhase, WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI, LabServer, NotebookSession, collect_page_errors, save_screenshot, write_notebook

LONG_MS = 60_000  # generous: 2 shared cores, a kernel, a browser and a server


def _ref(wf_id: WorkflowExecutionIdentifier) -> str:
    return f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"


def _connect_cell(sb: Sandbox, ref: str) -> str:
    return (
        "from flyteexec_widget import Remote, watch\n"
        f"remote = Remote.for_sandbox({sb.endpoint!r})\n"
        f"execution = remote.fetch_execution({ref!r})\n"
        "print('FETCHED', execution.id.name)\n"
    )


_WAIT_CELL = "print('WAITING')\nexecution = execution.wait(timeout=600)\nprint('DONE', execution.phase.name)\n"


def _row(nb: NotebookSession, key: str) -> Locator:
    return nb.output(f'.fxw-row[data-key="{key}"]')


# ---- a finished execution with every node kind: structure, outputs, errors, links ---------------------------


@dataclass
class FinishedView:
    sb: Sandbox
    wf_id: WorkflowExecutionIdentifier
    page: Page
    nb: NotebookSession


@pytest.fixture(scope="module")
def all_kinds_view(lab_server: LabServer, chromium: Browser) -> Iterator[FinishedView]:
    """``all-kinds`` played to its end (FAILED after every other node finished), shown with ``watch()``."""
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        wf_id = sb.launch("all-kinds")
        sb.advance(2)  # the gates are waiting: their signals exist from here on
        remote.approve(wf_id, "approve-me")
        remote.set_signal(wf_id, "threshold", 0.7)
        assert sb.run_until_done(wf_id) == WorkflowPhase.FAILED
        name = "all-kinds.ipynb"
        write_notebook(lab_server.root_dir, name, [_connect_cell(sb, _ref(wf_id)) + "watch(execution)\n"])
        context = chromium.new_context(viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        page_errors = collect_page_errors(page)
        nb = NotebookSession(page, lab_server, name)
        try:
            nb.open()
            nb.run_all()
            nb.wait_for_output("FETCHED")
            expect(nb.output('.fxw[data-phase="FAILED"]')).to_be_visible(timeout=LONG_MS)
            yield FinishedView(sb, wf_id, page, nb)
            assert not page_errors, "the page reported errors:\n" + "\n".join(page_errors)
        except BaseException:
            save_screenshot(page, "FAILED-all-kinds-setup")
            raise
        finally:
            if nb.kernel_id:
                nb.shutdown()
            context.close()


def test_finished_execution_shows_every_top_level_node_with_its_phase(all_kinds_view: FinishedView) -> None:
    v = all_kinds_view
    truth = {k: p for k, p in v.sb.truth(v.wf_id).items() if "-" not in k}  # top level, no start/end nodes
    for key, phase in truth.items():
        expect(_row(v.nb, key)).to_have_attribute("data-phase", phase.name, timeout=LONG_MS)
    expect(_row(v.nb, "n10").locator(".fxw-c-status")).to_contain_text("Failed")
    v.nb.screenshot("all-kinds-finished")


def test_console_link_points_at_the_execution(all_kinds_view: FinishedView) -> None:
    v = all_kinds_view
    link = v.nb.output(".fxw-header a.fxw-exec")
    expect(link).to_have_attribute("href", v.sb.console_url(v.wf_id))
    expect(link).to_have_text(v.wf_id.name)


def test_launch_plan_node_links_to_its_child_execution(all_kinds_view: FinishedView) -> None:
    v = all_kinds_view
    link = _row(v.nb, "n5").locator("a.fxw-childlink")
    child = (link.text_content() or "").lstrip("→ ").strip()
    assert child, "the launch-plan node names no child execution"
    expect(link).to_have_attribute("href", v.sb.console_url(f"{v.wf_id.project}:{v.wf_id.domain}:{child}"))


def test_expanding_subworkflow_and_array_shows_children_and_subtask_counts(all_kinds_view: FinishedView) -> None:
    v = all_kinds_view
    nb = v.nb
    sub_children = nb.output('.fxw-row[data-key^="n2/"]')
    expect(sub_children).to_have_count(0)
    _row(nb, "n2").locator('[data-action="toggle"]').click()
    # The subworkflow's two task nodes, named as in the workflow, both succeeded.
    expect(sub_children).to_have_count(2, timeout=LONG_MS)
    expect(sub_children.locator(".fxw-name")).to_have_text(["prepare", "fit"])
    for i in range(2):
        expect(sub_children.nth(i)).to_have_attribute("data-phase", "SUCCEEDED")

    # The array node: 120 subtasks, all succeeded (latest retry of each index), counted on the row itself.
    array = _row(nb, "n9")
    expect(array.locator('.fxw-subcount[data-phase="SUCCEEDED"]')).to_have_text("\u00d7120")  # multiplication sign, 120
    array.locator('[data-action="toggle"]').click()
    subtasks = nb.output('.fxw-row[data-kind="subtask"][data-key^="n9["]')
    expect(subtasks.first).to_be_visible(timeout=LONG_MS)
    expect(nb.output('.fxw-row[data-key="n9[0]"]')).to_have_attribute("data-phase", "SUCCEEDED")
    v.nb.screenshot("all-kinds-expanded")
    # Collapse again so later tests see the top level.
    array.locator('[data-action="toggle"]').click()
    _row(nb, "n2").locator('[data-action="toggle"]').click()
    expect(sub_children).to_have_count(0)


def test_outputs_are_fetched_only_when_opened(all_kinds_view: FinishedView) -> None:
    v = all_kinds_view
    nb = v.nb
    v.sb.reset_rpc_counts()
    row = _row(nb, "n1")
    row.locator('[data-action="details"]').click()
    detail = nb.output('.fxw-detail[data-key="n1"]')
    expect(detail).to_be_visible(timeout=LONG_MS)
    # Opening the row's details shows what the row already knows: no data RPC yet.
    assert v.sb.rpc_counts().get("GetNodeExecutionData", 0) == 0
    detail.locator('details.fxw-io[data-which="outputs"] > summary').click()
    expect(detail.locator('details.fxw-io[data-which="outputs"] .fxw-kv')).to_contain_text(
        "from cache", timeout=LONG_MS
    )
    assert v.sb.rpc_counts().get("GetNodeExecutionData", 0) == 1
    v.nb.screenshot("all-kinds-outputs")
    row.locator('[data-action="details"]').click()
    expect(detail).to_have_count(0)


def test_a_failed_row_shows_its_exception_line_and_the_header_where_the_execution_failed(
    all_kinds_view: FinishedView,
) -> None:
    v = all_kinds_view
    nb = v.nb
    exception = "ValueError: column 'price' has 1273 non-numeric values"
    # The list call cut the traceback to its first line; the sync fetched the whole one, whose exception line the
    # row shows (not "Traceback (most recent call last):").
    summary = _row(nb, "n10").locator('.fxw-error[data-action="error"]')
    expect(summary).to_contain_text(exception)
    # The header names the node the execution failed at, without "USER: USER:ValueError".
    header_error = nb.output(".fxw-header-error summary")
    expect(header_error).to_have_text(f"Failed at explode (n10): {exception}, e.g. ['N/A', '12,50', '--']")
    expect(header_error).not_to_contain_text("USER")
    # "Jump to first failure" opens that node, whose detail has the whole traceback (no second fetch needed).
    nb.output('[data-action="first-failure"]').click()
    full = nb.output('.fxw-detail[data-key="n10"] pre.fxw-error-full')
    expect(full).to_contain_text(exception, timeout=LONG_MS)
    expect(full).to_contain_text('File "/root/pipeline/stage_0.py"')
    v.nb.screenshot("all-kinds-error")
    _row(nb, "n10").locator('[data-action="details"]').click()
    expect(full).to_have_count(0)


def test_jump_to_first_failure_goes_where_the_execution_failed_not_to_a_rejected_gate(
    open_notebook: OpenNotebook, stepped_sandbox: Sandbox
) -> None:
    sb = stepped_sandbox
    wf_id = sb.launch("all-kinds")
    sb.advance(5)  # "explode" (n10) has failed; the gates wait
    with Remote.for_sandbox(sb.endpoint) as remote:
        remote.reject(wf_id, "approve-me")  # n6 fails too, later, and sits before n10 in the tree
        remote.set_signal(wf_id, "threshold", 0.7)
    assert sb.run_until_done(wf_id) == WorkflowPhase.FAILED
    assert sb.truth(wf_id)["n6"] == NodePhase.FAILED
    nb = open_notebook("jump.ipynb", [_connect_cell(sb, _ref(wf_id)) + "watch(execution)\n"], "notebook7")
    nb.run_all()
    expect(nb.output('.fxw[data-phase="FAILED"]')).to_be_visible(timeout=LONG_MS)
    expect(nb.output(".fxw-header-error summary")).to_contain_text("Failed at explode (n10): ValueError")
    nb.output('[data-action="first-failure"]').click()
    expect(nb.output('.fxw-detail[data-key="n10"]')).to_be_visible(timeout=LONG_MS)
    expect(nb.output('.fxw-detail[data-key="n6"]')).to_have_count(0)
    nb.screenshot("jump-to-first-failure")


# ---- live: the tree changes while wait() blocks; Approve and Terminate clicked during wait() ----------------


@pytest.fixture
def stepped_sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped") as sb:
        yield sb


def _advance_until(
    sb: Sandbox, wf_id: WorkflowExecutionIdentifier, node: str, phase: NodePhase, max_steps: int = 60
) -> None:
    """Play the stepped clock 2 s at a time until ``node`` reaches ``phase`` in the sandbox's own state."""
    for _ in range(max_steps):
        if sb.truth(wf_id).get(node) == phase:
            return
        sb.advance(2)
    raise AssertionError(f"{node} never reached {phase.name}: {sb.truth(wf_id)}")


def _open_waiting_notebook(
    open_notebook: OpenNotebook,
    sb: Sandbox,
    wf_id: WorkflowExecutionIdentifier,
    name: str,
    ui: UI,
    *,
    first_cell_suffix: str = "",
    kernel: str = "python3",
) -> NotebookSession:
    """Run All on [connect (+ suffix), wait()]; return once the wait() cell has started."""
    nb = open_notebook(name, [_connect_cell(sb, _ref(wf_id)) + first_cell_suffix, _WAIT_CELL], ui, kernel=kernel)
    nb.run_all()
    nb.wait_for_output("WAITING")
    return nb


@pytest.mark.parametrize("ipykernel_major", [7, 6])
def test_rows_change_live_and_approve_works_during_wait(
    open_notebook: OpenNotebook, stepped_sandbox: Sandbox, request: pytest.FixtureRequest, ipykernel_major: int
) -> None:
    # ipykernel 7 is this venv's; 6 is put ahead of it in a kernel of its own (the sync thread and the click pump
    # depend on ipykernel's internals, which changed in 7).
    kernel = "python3" if ipykernel_major == 7 else request.getfixturevalue("ipykernel6")
    sb = stepped_sandbox
    wf_id = sb.launch("demo")
    _advance_until(sb, wf_id, "n0", NodePhase.RUNNING)
    nb = _open_waiting_notebook(
        open_notebook,
        sb,
        wf_id,
        f"live-approve-ipykernel{ipykernel_major}.ipynb",
        "lab",
        first_cell_suffix="import ipykernel\nprint('IPYKERNEL', ipykernel.__version__)\n",
        kernel=kernel,
    )
    version = nb.output().filter(has_text="IPYKERNEL").first.inner_text().split("IPYKERNEL")[1].split()[0]
    assert version.startswith(f"{ipykernel_major}."), version
    # wait() showed the widget: the first node runs, nothing else started (time stands still until we advance).
    expect(_row(nb, "n0")).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    expect(_row(nb, "n1")).to_have_attribute("data-phase", "NOT_STARTED")
    header = nb.output(".fxw-header")
    expect(nb.output('.fxw[data-phase="RUNNING"]')).to_be_visible(timeout=LONG_MS)
    expect(header.locator("a.fxw-exec")).to_have_text(wf_id.name)
    expect(header.locator(".fxw-wf")).to_have_text("sandbox.demo.wf")

    _advance_until(sb, wf_id, "n1", NodePhase.RUNNING)
    expect(_row(nb, "n0")).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
    expect(_row(nb, "n0").locator(".fxw-c-status")).to_contain_text("Succeeded")
    expect(_row(nb, "n1")).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    assert nb.cell_is_running(1), "wait() returned before the execution finished"
    nb.screenshot(f"live-running-ipykernel{ipykernel_major}")

    # "train" runs: propeller already reported where its deck goes, the task writes it only when it ends, so the
    # data proxy answers NOT_FOUND and the view says so, as a note (not an error), the button still there.
    _advance_until(sb, wf_id, "n2", NodePhase.RUNNING)
    expect(_row(nb, "n2")).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    _row(nb, "n2").locator('[data-action="details"]').click()
    deck_button = nb.output('.fxw-detail[data-key="n2"] [data-action="deck"]')
    deck_button.click()
    deck_note = nb.output('.fxw-detail[data-key="n2"] [data-action="deck"] ~ .fxw-action-status')
    expect(deck_note).to_have_text("the deck is written when the task ends", timeout=LONG_MS)
    expect(deck_note).not_to_have_class(re.compile("fxw-action-status--error"))
    expect(deck_button).to_be_enabled()
    expect(nb.output('.fxw-detail[data-key="n2"] iframe.fxw-deck')).to_have_count(0)
    nb.screenshot(f"live-deck-pending-ipykernel{ipykernel_major}", nb.output('.fxw-detail[data-key="n2"]'))

    _advance_until(sb, wf_id, "n4", NodePhase.RUNNING)  # the gate waits for its signal
    approve = _row(nb, "n4").locator('[data-action="approve"]')
    expect(approve).to_be_visible(timeout=LONG_MS)
    expect(_row(nb, "n4").locator(".fxw-c-status")).to_contain_text("Paused")
    nb.screenshot(f"live-gate-ipykernel{ipykernel_major}")
    assert nb.cell_is_running(1)
    approve.click()
    # The kernel answers the click while wait() still blocks: SetSignal reached the sandbox.
    expect(_row(nb, "n4").locator(".fxw-action-status")).to_have_text("Approved", timeout=LONG_MS)
    assert sb.rpc_counts().get("SetSignal") == 1
    assert nb.cell_is_running(1)

    assert sb.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
    nb.wait_for_output("DONE SUCCEEDED")
    for key in ["n0", "n1", "n2", "n3", "n4", "n5"]:
        expect(_row(nb, key)).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
    nb.screenshot(f"live-done-ipykernel{ipykernel_major}")

    # The deck of "train", written now that it ended: a signed link from the sandbox, in a sandboxed iframe.
    if nb.output('.fxw-detail[data-key="n2"]').count() == 0:  # the view may have been redrawn when wait() ended
        _row(nb, "n2").locator('[data-action="details"]').click()
    nb.output('.fxw-detail[data-key="n2"] [data-action="deck"]').click()
    frame = nb.output('.fxw-detail[data-key="n2"] iframe.fxw-deck')
    expect(frame).to_have_attribute("sandbox", "allow-scripts", timeout=LONG_MS)
    expect(frame.content_frame.locator("h2")).to_have_text("Training", timeout=LONG_MS)
    nb.screenshot(f"live-deck-ipykernel{ipykernel_major}", nb.output('.fxw-detail[data-key="n2"]'))


def test_terminate_during_wait_aborts_the_execution_in_notebook7(
    open_notebook: OpenNotebook, stepped_sandbox: Sandbox
) -> None:
    sb = stepped_sandbox
    wf_id = sb.launch("demo")
    _advance_until(sb, wf_id, "n1", NodePhase.RUNNING)
    nb = _open_waiting_notebook(open_notebook, sb, wf_id, "terminate.ipynb", "notebook7")
    expect(_row(nb, "n1")).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    nb.output('.fxw-header [data-action="terminate"]').click()
    nb.output(".fxw-cause").fill("browser test")
    nb.output('[data-action="terminate-confirm"]').click()
    # The confirmation's status line: busy until the kernel answered (during wait()), then the outcome.
    status = nb.output('[data-action="terminate-confirm"] ~ .fxw-action-status')
    expect(status).to_have_text("Termination requested", timeout=LONG_MS)
    assert sb.rpc_counts().get("TerminateExecution") == 1
    assert nb.cell_is_running(1), "wait() returned before the abort was played"

    assert sb.run_until_done(wf_id) == WorkflowPhase.ABORTED
    nb.wait_for_output("DONE ABORTED")
    expect(nb.output('.fxw[data-phase="ABORTED"]')).to_be_visible(timeout=LONG_MS)
    nb.screenshot("terminated")


def test_wait_after_watch_in_run_all_shows_one_widget(open_notebook: OpenNotebook, stepped_sandbox: Sandbox) -> None:
    # Under Run All the view's first message queues behind the wait() cell: wait() must still see the widget.
    sb = stepped_sandbox
    wf_id = sb.launch("single-task")
    _advance_until(sb, wf_id, "n0", NodePhase.RUNNING)  # running, and stays so until the test advances
    nb = _open_waiting_notebook(
        open_notebook, sb, wf_id, "watch-then-wait.ipynb", "lab", first_cell_suffix="watch(execution)\n"
    )
    expect(nb.output(".fxw").first).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
    assert sb.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
    nb.wait_for_output("DONE SUCCEEDED")
    expect(nb.output(".fxw").first).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
    nb.screenshot("watch-then-wait")
    expect(nb.output(".fxw")).to_have_count(1)
