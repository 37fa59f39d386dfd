"""The Graph view in JupyterLab and Notebook 7 on all-kinds, while it runs: nodes and edges of the compiled workflow,
phase colours that follow the execution live, a subworkflow that expands, and a click that opens the node's detail in
the tree. Screenshots at 1,400 and 600 px, light and dark, land in ``test-artifacts/browser/`` (``lab-graph-*``,
``notebook7-graph-*``)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier
from playwright.sync_api import Locator, expect

from flyteexec_widget.objects.phases import NodePhase
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.clock import StepClock
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI, NotebookSession

LONG_MS = 60_000


def _advance_until(sb: Sandbox, wf_id: WorkflowExecutionIdentifier, node_id: str, phase: NodePhase) -> None:
    for _ in range(400):
        if sb.truth(wf_id).get(node_id) == phase:
            return
        sb.advance(0.5)
    raise AssertionError(f"{node_id} never reached {phase.name}: {sb.truth(wf_id).get(node_id)}")


def _set_theme(nb: NotebookSession, theme: str) -> None:
    label = "JupyterLab Dark" if theme == "dark" else "JupyterLab Light"
    nb.page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", label)
    nb.page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === light", arg=str(theme == "light").lower()
    )


def _left_area(nb: NotebookSession, open_: bool) -> None:
    """JupyterLab's file browser side panel open or closed."""
    nb.page.evaluate(
        """(open) => {
            const app = window.jupyterapp;
            if (app.shell.leftCollapsed === open) app.commands.execute('application:toggle-left-area');
        }""",
        open_,
    )
    nb.page.wait_for_function("(open) => window.jupyterapp.shell.leftCollapsed === !open", arg=open_)


def _node(nb: NotebookSession, key: str) -> Locator:
    return nb.output(f'.fxw-graph .fxw-gnode[data-key="{key}"]')


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_graph_of_all_kinds_live_expand_and_open_detail(open_notebook: OpenNotebook, ui: UI) -> None:
    # sandbox time a few minutes behind the browser's clock, so the header's elapsed time reads as a real one (the
    # expanded picture is the README's)
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=4)
    with Sandbox(clock=StepClock(start=start)) as sb:
        wf_id = sb.launch("all-kinds")
        _advance_until(sb, wf_id, "n0", NodePhase.RUNNING)  # "flaky" runs (three attempts) until the test advances
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        nb = open_notebook(
            f"graph-{ui}.ipynb",
            [
                "from flyteexec_widget import Remote, watch\n"
                f"remote = Remote.for_sandbox({sb.endpoint!r})\n"
                f"execution = remote.fetch_execution({ref!r})\n"
                "print('FETCHED', execution.id.name)\n"
                "watch(execution)\n"
            ],
            ui,
        )
        try:
            nb.page.set_viewport_size({"width": 1400, "height": 1000})
            nb.run_all()
            nb.wait_for_output("FETCHED")
            expect(nb.output('.fxw-row[data-key="n0"]')).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)

            nb.output('[data-action="view"][data-view="graph"]').click()
            expect(nb.output(".fxw-viewport")).to_be_hidden()
            # Every top-level node of the compiled workflow, plus start and end, and the compiled connections.
            expect(nb.output(".fxw-graph .fxw-gnode[data-key]")).to_have_count(13, timeout=LONG_MS)
            expect(nb.output(".fxw-graph .fxw-gterminal")).to_have_count(2)
            expect(nb.output(".fxw-graph .fxw-gedge")).to_have_count(25)  # 12 from start, n4 -> n12, 12 to end
            expect(nb.output('.fxw-gedge[data-from="n4"][data-to="n12"]')).to_have_count(1)
            expect(_node(nb, "n0")).to_have_attribute("data-phase", "RUNNING")
            expect(_node(nb, "n0")).to_have_class("fxw-gnode fxw-badge--running")
            expect(_node(nb, "n0").locator(".fxw-gsub")).to_have_text("Running · task")
            expect(_node(nb, "n12")).to_have_attribute("data-phase", "NOT_STARTED")  # planned: greyed
            expect(_node(nb, "n12").locator(".fxw-gname")).to_have_text("notify")
            nb.screenshot("graph-running-1400-light", nb.output(".fxw"))

            # Live: the execution moves on while the graph is shown.
            _advance_until(sb, wf_id, "n0", NodePhase.SUCCEEDED)
            expect(_node(nb, "n0")).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
            expect(_node(nb, "n0")).to_have_class("fxw-gnode fxw-badge--succeeded")
            _advance_until(sb, wf_id, "n2-0-n0", NodePhase.SUCCEEDED)

            # A subworkflow expands into its own graph, its nodes coloured by their rows.
            expect(_node(nb, "n2/n2-0-n0")).to_have_count(0)
            _node(nb, "n2").locator(".fxw-gexp").click()
            expect(_node(nb, "n2/n2-0-n0")).to_be_visible()
            expect(_node(nb, "n2/n2-0-n1")).to_be_visible()
            expect(_node(nb, "n2/n2-0-n0")).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
            expect(nb.output(".fxw-gcluster")).to_have_count(1)
            # A dynamic node, once it ran, opens into the workflow it generated (asked of the kernel by its key).
            _advance_until(sb, wf_id, "n3", NodePhase.SUCCEEDED)
            expect(_node(nb, "n3")).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
            _node(nb, "n3").locator(".fxw-gexp").click()
            expect(_node(nb, "n3/n3-0-dn2")).to_be_visible(timeout=LONG_MS)
            expect(_node(nb, "n3/n3-0-dn2").locator(".fxw-gname")).to_have_text("nested_map")
            expect(_node(nb, "n3/n3-0-dn0")).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
            expect(nb.output('.fxw-gedge[data-from="dn0"][data-to="dn2"]')).to_have_count(1)
            expect(nb.output(".fxw-gcluster")).to_have_count(2)
            nb.screenshot("graph-expanded-1400-light", nb.output(".fxw"))

            # A branch opens into its cases (if / else): the one it took has its row, the other reads "Not taken".
            _advance_until(sb, wf_id, "n4", NodePhase.SUCCEEDED)
            expect(_node(nb, "n4")).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
            _node(nb, "n4").locator(".fxw-gexp").click()
            expect(_node(nb, "n4/n4-0-n0")).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
            expect(_node(nb, "n4/n4-0-n0").locator(".fxw-gsub")).to_have_text("Succeeded · task")
            expect(_node(nb, "n4/n4-0-n1").locator(".fxw-gname")).to_have_text("take_right")
            expect(_node(nb, "n4/n4-0-n1").locator(".fxw-gsub")).to_have_text("Not taken · task")
            expect(_node(nb, "n4/n4-0-n1")).to_have_attribute("data-phase", "NOT_STARTED")
            expect(nb.output(".fxw-gcluster")).to_have_count(3)
            nb.screenshot("graph-branch-1400-light", nb.output(".fxw"))
            _node(nb, "n4").locator(".fxw-gexp").click()  # closed again: the pictures below as before
            expect(nb.output(".fxw-gcluster")).to_have_count(2)

            # The toolbar's filter dims the nodes that do not match, in the graph too.
            search = nb.output(".fxw-search")
            search.fill("square")
            expect(_node(nb, "n3/n3-0-dn0")).not_to_have_class(re.compile(r"\bfxw-gdim\b"))
            expect(_node(nb, "n0")).to_have_class(re.compile(r"\bfxw-gdim\b"))
            expect(nb.output(".fxw-graph-note")).to_have_text('2 nodes match "square"')
            search.fill("")
            expect(nb.output(".fxw-graph .fxw-gdim")).to_have_count(0)
            expect(nb.output(".fxw-graph-note")).to_contain_text("at the top level")  # not the stale match count
            if ui == "lab":  # Notebook 7 has no side panel open beside the notebook
                _left_area(nb, False)
            for theme in ("light", "dark"):
                _set_theme(nb, theme)
                for width in (1400, 600):
                    nb.page.set_viewport_size({"width": width, "height": 1000})
                    expect(_node(nb, "n2/n2-0-n0")).to_be_visible()
                    nb.page.wait_for_timeout(500)  # the theme's and the resize's repaint, for the picture only
                    nb.screenshot(f"graph-{width}-{theme}", nb.output(".fxw"))
            # Narrow: "Fit to width" scales the whole graph into the output, which then needs no sideways scroll.
            fit = nb.output('[data-action="graph-fit"]')
            fit.click()
            expect(fit).to_have_attribute("aria-pressed", "true")
            canvas = nb.output(".fxw-graph-canvas")
            fits = "(c) => c.querySelector('svg').getBoundingClientRect().width <= c.clientWidth + 1"
            assert canvas.evaluate(fits)
            nb.page.wait_for_timeout(300)
            nb.screenshot("graph-600-dark-fit", nb.output(".fxw"))
            fit.click()
            expect(fit).to_have_attribute("aria-pressed", "false")
            assert not canvas.evaluate(fits)  # at 100% the graph is wider than 600 px: it scrolls
            _set_theme(nb, "light")  # a saved setting: later tests on this server expect the light one
            if ui == "lab":
                _left_area(nb, True)
            nb.page.set_viewport_size({"width": 1400, "height": 1000})

            # A click on a node opens its detail: the tree, scrolled to the row, its detail open.
            _node(nb, "n2/n2-0-n0").locator(".fxw-gname").click()
            expect(nb.output(".fxw-viewport")).to_be_visible()
            expect(nb.output(".fxw-graph")).to_be_hidden()
            expect(nb.output('.fxw-detail[data-key="n2/n2-0-n0"]')).to_be_visible(timeout=LONG_MS)
            expect(nb.output('[data-action="view"][data-view="tree"]')).to_have_attribute("aria-pressed", "true")

            # Back to the graph: drawn again at once from the graph fetched before, the expansion kept.
            nb.output('[data-action="view"][data-view="graph"]').click()
            expect(_node(nb, "n2/n2-0-n1")).to_be_visible()
            names = nb.output(".fxw-graph .fxw-gnode[data-key] > .fxw-gname").all_text_contents()
            assert {"flaky", "sub_pipeline", "prepare", "fit", "notify"} <= set(names), json.dumps(names)
        finally:
            nb.raise_on_error()


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_a_graph_too_big_to_draw_at_once_asks_first(open_notebook: OpenNotebook, ui: UI) -> None:
    """Past GRAPH_MAX_NODES (1,500) nodes the layout and SVG take seconds and the page would not answer: the view
    says how many nodes there are and draws them only when asked."""
    with Sandbox(clock="stepped") as sb:
        wf_id = sb.launch("wide", size=1600)
        sb.advance(1)
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        nb = open_notebook(
            f"graph-big-{ui}.ipynb",
            [
                "from flyteexec_widget import Remote, watch\n"
                f"remote = Remote.for_sandbox({sb.endpoint!r})\n"
                f"execution = remote.fetch_execution({ref!r})\n"
                "print('FETCHED', execution.id.name)\n"
                "watch(execution)\n"
            ],
            ui,
        )
        try:
            nb.page.set_viewport_size({"width": 1400, "height": 1000})
            nb.run_all()
            nb.wait_for_output("FETCHED")
            expect(nb.output(".fxw-row").first).to_be_visible(timeout=LONG_MS)
            nb.output('[data-action="view"][data-view="graph"]').click()
            big = nb.output(".fxw-graph-big")
            expect(big).to_contain_text("This graph has 1,600 nodes", timeout=LONG_MS)
            expect(nb.output(".fxw-graph .fxw-gnode")).to_have_count(0)
            nb.screenshot("graph-too-big", nb.output(".fxw"))
            nb.output('[data-action="graph-draw-anyway"]').focus()
            nb.page.keyboard.press("Enter")  # the keyboard works too (the canvas's own Enter handler is for nodes)
            expect(nb.output(".fxw-graph .fxw-gnode")).to_have_count(1602, timeout=LONG_MS)
            expect(nb.output(".fxw-graph-big")).to_have_count(0)
            expect(nb.output(".fxw-graph-note")).to_contain_text("1600 nodes at the top level")
        finally:
            nb.raise_on_error()
