"""A retried dynamic node in the real widget (JupyterLab and Notebook 7): its latest attempt's children by default, the
earlier attempt's behind the row's attempt switch, and counts of the latest attempt only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.sandbox import Sandbox
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI

LONG_MS = 60_000


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_a_retried_dynamic_node_switches_between_its_attempts_children(open_notebook: OpenNotebook, ui: UI) -> None:
    with Sandbox(clock="stepped") as sb:
        wf_id = sb.launch("dynamic-retry")
        assert sb.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        nb = open_notebook(
            f"attempts-{ui}.ipynb",
            [
                "from flyteexec_widget import Remote, watch\n"
                f"remote = Remote.for_sandbox({sb.endpoint!r})\n"
                f"execution = remote.fetch_execution({ref!r})\n"
                "print('FETCHED', execution.id.name)\n"
                "watch(execution)\n"
            ],
            ui,
        )
        nb.run_all()
        nb.wait_for_output("FETCHED")
        parent = nb.output('.fxw-row[data-key="n1"]')
        expect(parent).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        # counts: 2 top-level tasks, the dynamic node and attempt 2's three children; attempt 1's timeout is not one
        expect(nb.output(".fxw-done")).to_have_text("6 of 6 nodes done")
        expect(nb.output('.fxw-chip[data-phase="TIMED_OUT"]')).to_have_count(0)

        switch = parent.locator("select.fxw-attempt")
        expect(switch).to_have_value("1")
        expect(switch.locator("option")).to_have_text(["#1", "#2"])
        parent.locator('[data-action="toggle"]').click()
        children = nb.output('.fxw-row[data-key^="n1/"]')
        expect(children).to_have_count(3, timeout=LONG_MS)
        expect(nb.output('.fxw-row[data-key^="n1/n1-1-"]')).to_have_count(3)
        nb.screenshot("dynamic-retry-latest-attempt")

        switch.select_option("0")
        expect(nb.output('.fxw-row[data-key^="n1/n1-0-"]')).to_have_count(2, timeout=LONG_MS)
        expect(nb.output('.fxw-row[data-key^="n1/n1-1-"]')).to_have_count(0)
        expect(nb.output('.fxw-row[data-key="n1/n1-0-dn1"]')).to_have_attribute("data-phase", "TIMED_OUT")
        nb.screenshot("dynamic-retry-earlier-attempt")
