"""The board in JupyterLab and Notebook 7 on a sweep of 20: live phase changes, new executions appearing, sorting by the
metric, opening one execution's tree under the board, comparing two."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.clock import StepClock
from flyteexec_widget.sandbox.sweep import accuracy, launch_sweep, trial_outcome
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI

LONG_MS = 60_000


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_a_sweep_board_updates_sorts_opens_and_compares(open_notebook: OpenNotebook, ui: UI) -> None:
    # sandbox time a few minutes behind the browser's clock, so start times and running durations read as real ones
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=3)
    with Sandbox(clock=StepClock(start=start)) as sb:
        ids = launch_sweep(sb, 16)
        sb.advance(30)
        trial_of = {i.name: t for t, i in enumerate(ids)}
        nb = open_notebook(
            f"board-{ui}.ipynb",
            [
                "from flyteexec_widget import Remote, board\n"
                f"remote = Remote.for_sandbox({sb.endpoint!r})\n"
                "b = board(remote=remote, project='flytesnacks', domain='development',\n"
                "          launch_plan='sandbox.sweep.wf', metric='accuracy', poll_interval=0.5)\n"
                "print('BOARD')\n"
                "b\n"
            ],
            ui,
        )
        nb.run_all()
        nb.wait_for_output("BOARD")
        rows = nb.output("tr.fxb-row")
        expect(rows).to_have_count(16, timeout=LONG_MS)
        # the saved snapshot (what the notebook shows without its kernel) hides behind the live board
        expect(nb.panel.locator(".fxb-saved")).to_have_count(1)
        expect(nb.panel.locator(".fxb-saved")).to_be_hidden()
        # the hyperparameters that differ are columns of their own, the metric too
        heads = nb.output("th[data-col]")
        expect(nb.output('th[data-col="input:learning_rate"]')).to_have_count(1)
        expect(nb.output('th[data-col="input:batch_size"]')).to_have_count(1)
        expect(nb.output('th[data-col="metric"]')).to_have_text("accuracy")
        assert heads.count() >= 10
        failed = ids[3].name
        expect(nb.output(f'tr[data-key$=":{failed}"] td.fxb-error')).to_contain_text(
            "FloatingPointError: loss is NaN", timeout=LONG_MS
        )
        running = ids[4].name
        expect(nb.output(f'tr[data-key$=":{running}"]')).to_have_attribute("data-phase", "RUNNING")
        expect(nb.output(f'tr[data-key$=":{running}"] td.fxb-progress')).to_contain_text("1 of 3 nodes")

        # new executions that match appear while the board runs, and change phase live
        new = launch_sweep(sb, 4, start=16)
        trial_of.update({i.name: 16 + t for t, i in enumerate(new)})
        expect(rows).to_have_count(20, timeout=LONG_MS)
        sb.advance(2)
        expect(nb.output(f'tr[data-key$=":{new[0].name}"]')).to_have_attribute("data-phase", "RUNNING", timeout=LONG_MS)
        sb.advance(30)
        expect(nb.output(f'tr[data-key$=":{new[0].name}"]')).to_have_attribute(
            "data-phase", "SUCCEEDED", timeout=LONG_MS
        )
        expect(nb.output(f'tr[data-key$=":{new[2].name}"]')).to_have_attribute("data-phase", "FAILED")  # trial 18

        # sort by the metric: best first, executions without one last
        nb.output('th[data-col="metric"]').click()
        expect(nb.output('th[data-col="metric"]')).to_have_attribute("aria-sort", "descending")
        best = max(
            (n for n, t in trial_of.items() if trial_outcome(t) == "succeeded"), key=lambda n: accuracy(trial_of[n])
        )
        expect(rows.first).to_have_attribute("data-key", f"flytesnacks:development:{best}", timeout=LONG_MS)
        expect(rows.first.locator("td.fxb-metric")).to_have_text(repr(accuracy(trial_of[best])))
        expect(rows.last.locator("td.fxb-metric")).not_to_have_text("0.")
        nb.screenshot("board-sweep-sorted", nb.output(".fxb").first)

        # filter by phase
        nb.output('.fxb-chip[data-phase="FAILED"]').click()
        expect(rows).to_have_count(4)
        nb.output('.fxb-chip[data-phase=""]').click()
        expect(rows).to_have_count(20)

        # open one: its tree widget under the board
        rows.first.locator("td.fxb-status").click()
        tree = nb.output(".fxw-live")
        expect(tree).to_have_count(1, timeout=LONG_MS)
        expect(tree.locator('.fxw-row[data-key="n1"]')).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        expect(rows.first).to_have_class("fxb-row fxb-row--open")

        # compare two: the differing inputs and outputs marked, node durations side by side
        rows.nth(0).locator("input.fxb-check").check()
        rows.nth(1).locator("input.fxb-check").check()
        compare = nb.output('button[data-action="compare"]')
        expect(compare).to_be_enabled()
        compare.click()
        panel = nb.output(".fxb-compare")
        expect(panel.locator('tr.fxb-diff[data-name="accuracy"]')).to_have_count(1, timeout=LONG_MS)
        expect(panel.locator('table[data-section="nodes"] tr[data-node="n1"]')).to_have_count(1)
        expect(panel.locator("tr.fxb-slower, table[data-section=nodes] tr[data-node]")).not_to_have_count(0)
        nb.screenshot("board-compare", nb.output(".fxb").first)

        # pin the open tree, open another: side by side
        rows.first.locator('button[data-action="pin"]').click()
        expect(rows.first.locator('button[data-action="unpin"]')).to_have_text("pinned", timeout=LONG_MS)
        rows.nth(2).locator("td.fxb-status").click()
        expect(nb.output(".fxw-live")).to_have_count(2, timeout=LONG_MS)
        expect(nb.output("tr.fxb-row--open")).to_have_count(2)
        nb.output(".fxw-live").nth(1).scroll_into_view_if_needed()
        nb.screenshot("board-trees-side-by-side")
        rows.nth(2).locator('button[data-action="close-pane"]').click()
        expect(nb.output(".fxw-live")).to_have_count(1, timeout=LONG_MS)
        expect(nb.output("tr.fxb-row--open")).to_have_count(1)

        # terminate a running one, after the confirmation
        rows.nth(0).locator("input.fxb-check").uncheck()
        rows.nth(1).locator("input.fxb-check").uncheck()
        nb.output('.fxb-chip[data-phase="RUNNING"]').click()
        target = rows.first.get_attribute("data-key")
        rows.first.locator("input.fxb-check").check()
        nb.output('button[data-action="terminate"]').click()
        confirm = nb.output(".fxb-confirm")
        expect(confirm).to_contain_text("Terminate 1 execution")
        confirm.locator('[data-action="terminate-confirm"]').click()
        expect(confirm.locator(".fxw-action-status")).to_contain_text("terminate: 1 of 1 done", timeout=LONG_MS)
        nb.output('.fxb-chip[data-phase=""]').click()
        expect(nb.output(f'tr[data-key="{target}"]')).to_have_attribute("data-phase", re.compile("ABORT"))

        # dark theme in a 600 px window, in JupyterLab with the file browser open (the board gets about 230 px), in
        # Notebook 7 (no side panel: about 560 px): what is wider (the table, the comparison's tables) scrolls
        # inside its own box, nothing spills out of the board, the sticky heading keeps an opaque background (rows
        # scroll under it) and the text stays light on dark
        nb.page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})"
        )
        nb.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        nb.page.set_viewport_size({"width": 600, "height": 1000})
        board_el = nb.output(".fxb").first
        nb.page.wait_for_function(
            "([id, most]) => document.getElementById(id).querySelector('.fxb').clientWidth < most",
            arg=[nb.panel_id, 400 if ui == "lab" else 600],
        )
        board_el.scroll_into_view_if_needed()
        nb.screenshot("board-dark-600", board_el)
        spilled = board_el.evaluate(
            """(b) => {
                const right = b.getBoundingClientRect().right + 1;
                const scrolls = (el) => el.closest('.fxb-scroll, .fxb-compare') !== null;
                return [...b.querySelectorAll('*')]
                    .filter((el) => el.getBoundingClientRect().right > right && !scrolls(el.parentElement))
                    .map((el) => `${el.tagName}.${el.className}`);
            }"""
        )
        assert spilled == []
        assert board_el.evaluate("(b) => b.scrollWidth <= b.clientWidth + 1")
        colors = nb.output(".fxb-table thead th").first.evaluate(
            "(th) => [getComputedStyle(th).backgroundColor, getComputedStyle(th).color]"
        )
        assert colors[0] not in ("rgba(0, 0, 0, 0)", "transparent")
        assert sum(int(v) for v in re.findall(r"\d+", colors[1])[:3]) > 3 * 128  # light text
