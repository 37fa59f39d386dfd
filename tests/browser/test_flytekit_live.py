"""flytekit's own objects, shown live, and being told when an execution ends: in JupyterLab (the bell also in
Notebook 7), with flytekit's unmodified ``FlyteRemote`` in the kernel against a stepped sandbox in this test process.

The browser context grants the notification permission, and an init script records every ``new Notification``
(the real constructor still runs) and lets the test say whether the tab is seen (``visibilityState``/``hasFocus``),
as a user switching tabs would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier
from playwright.sync_api import Browser, BrowserContext, Page, expect

from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from tests.browser.lab import UI, LabServer, NotebookSession, collect_page_errors, save_screenshot, write_notebook

pytest.importorskip("flytekit.remote")

LONG_MS = 60_000

#: Recorded notifications in window.__fxwNotifications; window.__fxwHidden = true makes the tab unseen.
_INIT_SCRIPT = """
(() => {
  const Real = window.Notification;
  window.__fxwNotifications = [];
  class Recording extends Real {
    constructor(title, options) {
      super(title, options);
      window.__fxwNotifications.push({ title, body: options && options.body });
    }
  }
  window.Notification = Recording;
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true,
    get() { return window.__fxwHidden ? "hidden" : "visible"; },
  });
  Document.prototype.hasFocus = function () { return !window.__fxwHidden; };
})();
"""


@pytest.fixture
def context(chromium: Browser, lab_server: LabServer) -> Iterator[BrowserContext]:
    ctx = chromium.new_context(viewport={"width": 1400, "height": 900})
    ctx.grant_permissions(["notifications"], origin=lab_server.base_url)
    ctx.add_init_script(_INIT_SCRIPT)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped") as sb:
        yield sb


def _launch_plan(sb: Sandbox, scenario: str) -> Any:
    """The id of the scenario's launch plan, registered by one launch of it."""
    wf_id = sb.launch(scenario)
    sb.run_until_done(wf_id)
    with Remote.for_sandbox(sb.endpoint) as remote:
        return remote.get_execution(wf_id).spec.launch_plan


def _flyte_remote_cell(sb: Sandbox) -> str:
    return (
        "import threading\n"
        "import flyteexec_widget\n"
        "from flytekit.configuration import Config\n"
        "from flytekit.remote import FlyteRemote\n"
        f"remote = FlyteRemote(Config.for_endpoint({sb.endpoint!r}, insecure=True),\n"
        "                      default_project='flytesnacks', default_domain='development')\n"
    )


def _open(page: Page, lab_server: LabServer, name: str, cells: list[str], ui: UI = "lab") -> NotebookSession:
    write_notebook(lab_server.root_dir, name, cells)
    nb = NotebookSession(page, lab_server, name, ui)
    nb.open()
    nb.run_all()
    return nb


def _hide_tab(page: Page, hidden: bool) -> None:
    page.evaluate(
        """(hidden) => {
            window.__fxwHidden = hidden;
            document.dispatchEvent(new Event('visibilitychange'));
            if (!hidden) window.dispatchEvent(new Event('focus'));
        }""",
        hidden,
    )


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_an_execute_result_is_shown_live_and_the_bell_tells_when_it_ends(
    context: BrowserContext, lab_server: LabServer, sandbox: Sandbox, ui: UI
) -> None:
    lp = _launch_plan(sandbox, "deep")
    cell = _flyte_remote_cell(sandbox) + (
        f"lp = remote.fetch_launch_plan({lp.project!r}, {lp.domain!r}, {lp.name!r}, {lp.version!r})\n"
        "ex = remote.execute(lp, inputs={})\n"
        "print('EXECUTED', type(ex).__module__, ex.id.name)\n"
        "ex\n"
    )
    page = context.new_page()
    errors = collect_page_errors(page)
    nb = _open(page, lab_server, f"flytekit-execute-{ui}.ipynb", [cell], ui)
    try:
        nb.wait_for_output("EXECUTED flytekit.remote.executions")
        name = re.search(r"EXECUTED \S+ (\S+)", nb.output().filter(has_text="EXECUTED").first.inner_text())
        assert name is not None
        name_text = name.group(1)
        # flytekit's object, displayed by the cell, is the live widget (not flytekit's text repr)
        live = nb.output(".fxw-live")
        expect(live).to_have_count(1, timeout=LONG_MS)
        expect(live.locator(".fxw-exec")).to_have_text(name_text, timeout=LONG_MS)
        sandbox.advance(3)
        expect(live).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
        expect(live.locator(".fxw-row").first).to_be_visible(timeout=LONG_MS)
        bell = live.locator(".fxw-bell")
        expect(bell).to_have_attribute("aria-pressed", "false")
        nb.screenshot("flytekit-execute-bell-off", live.locator(".fxw-title"))
        bell.click()  # the user's click: the permission (granted in this context) is asked here, not before
        expect(bell).to_have_attribute("aria-pressed", "true")
        expect(bell).to_have_attribute("title", re.compile("You will be notified"))
        nb.screenshot("flytekit-execute-running", live)
        title = page.title()
        _hide_tab(page, True)  # the user went to another tab
        sandbox.run_until_done(WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name=name_text))
        expect(live).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        page.wait_for_function("() => window.__fxwNotifications.length > 0", timeout=LONG_MS)
        assert page.evaluate("() => window.__fxwNotifications") == [
            {
                "title": f"{name_text} succeeded",
                "body": f"sandbox.deep.wf flytesnacks/development/{name_text} Succeeded",
            }
        ]
        expect(page).to_have_title(f"✓ {name_text} — {title}")
        expect(bell).to_be_hidden()
        nb.save()  # JupyterLab rewrites the tab title when the notebook's dirty mark changes: the mark stays
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=LONG_MS)
        expect(page).to_have_title(f"✓ {name_text} — {title}")
        nb.screenshot("flytekit-execute-done", live)
        _hide_tab(page, False)  # back on the tab: the mark goes
        expect(page).to_have_title(title)
        assert page.evaluate("() => window.__fxwNotifications.length") == 1
        assert not errors, errors
    except BaseException:
        save_screenshot(page, f"FAILED-flytekit-execute-{ui}")
        raise
    finally:
        nb.shutdown()


def test_watch_of_a_fetched_execution_notifies_and_calls_on_done(
    context: BrowserContext, lab_server: LabServer, sandbox: Sandbox
) -> None:
    wf_id = sandbox.launch("failure")
    cell = _flyte_remote_cell(sandbox) + (
        f"ex = remote.fetch_execution(name={wf_id.name!r})  # flytekit attaches no remote here\n"
        "finals, done = [], threading.Event()\n"
        "def on_done(final):\n"
        "    finals.append((final.phase.name, threading.current_thread().name))\n"
        "    done.set()\n"
        "print('FETCHED', ex._remote)\n"
        "flyteexec_widget.watch(ex, notify=True, on_done=on_done)  # the notebook's FlyteRemote connects it\n"
    )
    wait_cell = "print('WAITING')\ndone.wait(120)\nprint('ON_DONE', finals)\n"
    page = context.new_page()
    errors = collect_page_errors(page)
    nb = _open(page, lab_server, "flytekit-fetched.ipynb", [cell, wait_cell])
    try:
        nb.wait_for_output("FETCHED None")
        live = nb.output(".fxw-live")
        expect(live).to_have_count(1, timeout=LONG_MS)
        expect(live.locator(".fxw-bell")).to_have_attribute("aria-pressed", "true")  # notify=True
        nb.wait_for_output("WAITING")
        _hide_tab(page, True)
        sandbox.run_until_done(wf_id)  # while the second cell blocks
        expect(live).to_have_attribute("data-phase", "FAILED", timeout=LONG_MS)
        nb.wait_for_output("ON_DONE [('FAILED', 'flyteexec-on-done')]")
        page.wait_for_function("() => window.__fxwNotifications.length > 0", timeout=LONG_MS)
        notes = page.evaluate("() => window.__fxwNotifications")
        assert notes == [
            {"title": f"{wf_id.name} failed", "body": f"sandbox.failure.wf flytesnacks/development/{wf_id.name} Failed"}
        ]
        expect(page).to_have_title(re.compile(f"^✗ {wf_id.name} — "))
        nb.screenshot("flytekit-fetched-done", live)
        _hide_tab(page, False)
        assert not errors, errors
    except BaseException:
        save_screenshot(page, "FAILED-flytekit-fetched")
        raise
    finally:
        nb.shutdown()
