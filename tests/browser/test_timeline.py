"""The Timeline view and the attempts lists in JupyterLab and Notebook 7, against the sandbox playing all-kinds live (a
real clock at double speed, so bars grow and the "now" line moves as the watch follows it; its gates keep it running).

A retried node's bar has one segment per attempt in its phase colour, the cached node is marked, a waiting gate's
bar ends at the "now" line; sorting by name and by duration reorders the rows; dragging on the axis zooms, a
double-click resets; clicking an attempt's segment opens the row's detail on that attempt (its error, reason and
own log links); an array subtask's detail lists each retry; the expansion and filter are the tree's. Screenshots
at 1,400 and 600 px, light and dark, go to test-artifacts/browser/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect

from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.sandbox import Sandbox
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI, NotebookSession

LONG_MS = 90_000


def _set_theme(nb: NotebookSession, theme: str) -> None:
    label = "JupyterLab Dark" if theme == "dark" else "JupyterLab Light"
    nb.page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", label)
    nb.page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === light", arg=str(theme == "light").lower()
    )


def _box(loc: Locator) -> dict[str, float]:
    box = loc.bounding_box()
    assert box is not None
    return box


def _wait_order(nb: NotebookSession, keys: list[str]) -> None:
    """Wait until the timeline rows ``keys`` are drawn in this order, top to bottom (a sort redraws at the next
    frame); fails with a timeout otherwise."""
    nb.page.wait_for_function(
        """(keys) => {
            const row = (k) => document.querySelector(`.fxw-tv-row[data-key="${k}"]`);
            const ys = keys.map((k) => row(k)?.getBoundingClientRect().y);
            return ys.every((y, i) => y !== undefined && (i === 0 || ys[i - 1] < y));
        }""",
        arg=keys,
        timeout=10_000,
    )


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_the_timeline_draws_attempts_zooms_sorts_and_opens_an_attempts_detail(
    open_notebook: OpenNotebook, ui: UI
) -> None:
    with Sandbox(clock="real", speed=2.0) as sb:
        wf_id = sb.launch("all-kinds")
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        nb = open_notebook(
            f"timeline-{ui}.ipynb",
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
        view = nb.output(".fxw-live")
        # the retried task and the array node are done (the gates keep the execution running)
        expect(view.locator('.fxw-row[data-key="n0"]')).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        expect(view.locator('.fxw-row[data-key="n9"]')).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)

        view.locator('[data-action="view"][data-view="timeline"]').click()
        expect(view.locator('[data-action="view"][data-view="timeline"]')).to_have_attribute("aria-pressed", "true")
        expect(view.locator(".fxw-tv")).to_be_visible()
        expect(view.locator(".fxw-viewport")).to_be_hidden()

        # flaky: two failed attempts then one that succeeded, each its own segment, left to right, after its queue
        n0 = view.locator('.fxw-tv-row[data-key="n0"]')
        attempts = n0.locator('.fxw-tv-seg[data-seg="attempt"]')
        expect(attempts).to_have_count(3)
        assert [attempts.nth(i).get_attribute("data-phase") for i in range(3)] == ["FAILED", "FAILED", "SUCCEEDED"]
        xs = [_box(attempts.nth(i))["x"] for i in range(3)]
        assert xs == sorted(xs)
        assert "fxw-badge--failed" in (attempts.nth(0).get_attribute("class") or "")
        assert "fxw-badge--succeeded" in (attempts.nth(2).get_attribute("class") or "")
        assert "attempt 1: Failed" in (attempts.nth(0).get_attribute("title") or "")
        assert "UTC" in (attempts.nth(0).get_attribute("title") or "")
        expect(n0.locator('.fxw-tv-seg[data-seg="queued"]')).to_have_count(1)
        assert _box(n0.locator('.fxw-tv-seg[data-seg="queued"]'))["x"] <= xs[0]
        # the cached node is marked; the array node is one bar, its subtasks rows of their own once expanded
        expect(view.locator('.fxw-tv-row[data-key="n1"] .fxw-tv-cache')).to_have_text("cache hit")
        expect(view.locator('.fxw-tv-row[data-key="n9"] .fxw-tv-seg[data-seg="run"]')).to_have_count(1)
        # a waiting gate's bar grows live up to the "now" line
        now = view.locator(".fxw-tv-now")
        expect(now).to_be_visible()
        live = view.locator('.fxw-tv-row[data-key="n6"] .fxw-tv-seg--live')
        expect(live).to_have_count(1)
        edge = _box(live)["x"] + _box(live)["width"]
        assert abs(edge - _box(now)["x"]) < 6, (edge, _box(now))
        for width in (1400, 600):
            for theme in ("light", "dark"):
                nb.page.set_viewport_size({"width": width, "height": 1000})
                _set_theme(nb, theme)
                nb.page.wait_for_timeout(300)  # let the resize observer redraw the axis (a screenshot, no assertion)
                nb.screenshot(f"timeline-{width}-{theme}", view)
        _set_theme(nb, "light")
        nb.page.set_viewport_size({"width": 1400, "height": 1000})
        # the rows' light guides fall under the axis's ticks (they were every quarter, off the ticks)
        ticks = view.locator(".fxw-tv-tick")
        expect(ticks.nth(1)).to_be_visible()
        track = view.locator('.fxw-tv-row[data-key="n0"] .fxw-tv-track')
        guides = track.evaluate(
            "e => { const s = getComputedStyle(e);"
            " return [s.backgroundSize.split(' ')[0], s.backgroundPositionX, e.getBoundingClientRect().x] }"
        )
        step = _box(ticks.nth(1))["x"] - _box(ticks.nth(0))["x"]
        assert abs(float(guides[0].removesuffix("px")) - step) < 1, (guides, step)
        assert abs(guides[2] + float(guides[1].removesuffix("px")) - _box(ticks.nth(0))["x"]) < 1, guides

        # sort: by name "cached" (n1) comes before "flaky" (n0); by duration the 12 s retried task leads the cache hit
        sort = view.locator("select.fxw-tv-sort")
        sort.select_option("name")
        _wait_order(nb, ["n1", "n0"])
        names = view.locator(".fxw-tv-row .fxw-tv-label")
        drawn = sorted(
            ((_box(names.nth(i))["y"], names.nth(i).inner_text()) for i in range(min(names.count(), 10))),
        )
        assert nb.page.evaluate(
            "(ns) => ns.every((n, i) => i === 0 || ns[i - 1].localeCompare(n) <= 0)", [n for _, n in drawn]
        ), drawn
        sort.select_option("duration")
        _wait_order(nb, ["n0", "n1"])
        sort.select_option("start")

        # zoom: drag over a part of the axis; the bars widen; a double-click resets
        axis = view.locator(".fxw-tv-axis")
        before = _box(attempts.nth(2))["width"]
        a = _box(axis)
        first = _box(n0.locator(".fxw-tv-seg").first)
        last = _box(attempts.nth(2))
        nb.page.mouse.move(max(a["x"] + 1, first["x"] - 2), a["y"] + a["height"] / 2)
        nb.page.mouse.down()
        nb.page.mouse.move((first["x"] + last["x"] + last["width"]) / 2, a["y"] + a["height"] / 2, steps=5)
        nb.page.mouse.move(last["x"] + last["width"] + 2, a["y"] + a["height"] / 2, steps=5)
        nb.page.mouse.up()
        expect(view.locator('[data-action="zoom-reset"]')).to_be_visible()
        expect(view.locator(".fxw-tv-range")).to_contain_text("\u2013")  # an en dash: "10:00:01 - 10:00:09"
        zoomed = _box(attempts.nth(2))["width"]
        assert zoomed > before, (before, zoomed)
        # the range dragged over (flaky's whole bar) now fills the axis
        lo, hi = _box(n0.locator(".fxw-tv-seg").first), _box(attempts.nth(2))
        assert hi["x"] + hi["width"] - lo["x"] > 0.9 * _box(axis)["width"], (lo, hi, _box(axis))
        nb.screenshot("timeline-zoomed", view)
        axis.dblclick()
        expect(view.locator('[data-action="zoom-reset"]')).to_be_hidden()
        assert _box(attempts.nth(2))["width"] < zoomed

        # a click on the first attempt's segment: the row's detail on that attempt, with its error, reason and logs
        attempts.nth(0).click()
        detail = view.locator('.fxw-tv-detail .fxw-detail[data-key="n0"]')
        expect(detail).to_be_visible()
        items = detail.locator(".fxw-attempt-item")
        expect(items).to_have_count(3)
        focused = detail.locator(".fxw-attempt-item--focus")
        expect(focused).to_have_attribute("data-attempt", "0")
        expect(focused.locator("summary.fxw-error")).to_have_text("ConnectionError: feature store timed out after 30s")
        expect(focused.locator("pre.fxw-error-full")).to_be_visible()  # opened on the attempt clicked
        expect(items.nth(2).locator(".fxw-badge")).to_have_text("Succeeded")
        expect(items.nth(2).locator(".fxw-error")).to_have_count(0)
        for i in range(3):  # the kernel's answer: each attempt's reason and its own log links
            expect(items.nth(i).locator(".fxw-attempt-reason")).not_to_have_text("", timeout=LONG_MS)
            expect(items.nth(i).locator("a.fxw-log")).not_to_have_count(0)
        hrefs = [items.nth(i).locator("a.fxw-log").first.get_attribute("href") for i in range(3)]
        assert len(set(hrefs)) == 3, hrefs
        nb.screenshot("timeline-attempt-detail", view)
        view.locator('.fxw-tv-detail [data-action="tv-close"]').click()
        expect(view.locator(".fxw-tv-detail")).to_be_hidden()

        # the tree's filter and expansion: a retried array subtask's row, and each of its retries in its detail
        view.locator(".fxw-search").fill("score[13]")
        expect(view.locator('.fxw-tv-row[data-key="n9[13]"]')).to_be_visible(timeout=LONG_MS)
        expect(view.locator(".fxw-tv-row")).to_have_count(2)  # the match and its array node
        view.locator('.fxw-tv-row[data-key="n9[13]"] .fxw-tv-label').click()
        sub = view.locator('.fxw-tv-detail .fxw-detail[data-key="n9[13]"]')
        retries = sub.locator(".fxw-attempt-item")
        expect(retries).to_have_count(3, timeout=LONG_MS)
        expect(retries.locator(".fxw-badge")).to_have_text(["Failed", "Failed", "Succeeded"])
        for i in range(3):
            expect(retries.nth(i).locator("a.fxw-log")).not_to_have_count(0)
        nb.screenshot("timeline-subtask-retries", view)
        view.locator(".fxw-search").fill("")
        expect(view.locator('.fxw-tv-row[data-key="n9[13]"]')).to_have_count(0)

        # expanding the array node in the timeline expands it in the tree too (one expansion for both views)
        # (subtasks the watch saw start sort first by start, so which ones are in view varies)
        view.locator('.fxw-tv-row[data-key="n9"] [data-action="toggle"]').click()
        expect(view.locator('.fxw-tv-row[data-key^="n9["]').first).to_be_visible()
        tv_toggle = view.locator('.fxw-tv-row[data-key="n9"] [data-action="toggle"]')
        expect(tv_toggle).to_have_attribute("aria-expanded", "true")
        view.locator('[data-action="view"][data-view="tree"]').click()
        expect(view.locator(".fxw-tv")).to_be_hidden()
        expect(view.locator('.fxw-row[data-key^="n9["]').first).to_be_visible()
        toggle = view.locator('.fxw-row[data-key="n9"] [data-action="toggle"]')
        expect(toggle).to_have_attribute("aria-expanded", "true")


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_a_segment_opened_before_its_attempts_are_listed_asks_for_them_and_shows_them_when_they_come(
    open_notebook: OpenNotebook, ui: UI, tmp_path: Path
) -> None:
    """First paint: rows come from the node listings, attempts after (null until listed). Opening a row from the
    timeline while its attempts are null says they are not listed yet (not "none reported"), asks the kernel to
    list them first (its "prioritize" request, recorded by the notebook), and lists them once they come. The
    sandbox fails every ListTaskExecutions until the test lets them through, so the null window is the test's.
    Segments are reachable from the keyboard: Tab to one, Enter opens its detail."""
    asked = tmp_path / "prioritized.txt"
    with Sandbox(clock="stepped") as sb:
        wf_id = sb.launch("wide", size=4)
        assert sb.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
        sb.fail_fraction(1.0, methods="ListTaskExecutions")
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        nb = open_notebook(
            f"timeline-first-paint-{ui}.ipynb",
            [
                "import pathlib\n"
                "from flyteexec_widget import Remote, watch\n"
                "from flyteexec_widget.display.widget import ExecutionWidget\n"
                "_plain = ExecutionWidget._HANDLERS['prioritize']\n"
                "def _recorded(self, request):\n"
                f"    with pathlib.Path({str(asked)!r}).open('a') as f:\n"
                "        f.write(str(request.get('key')) + '\\n')\n"
                "    return _plain(self, request)\n"
                "ExecutionWidget._HANDLERS['prioritize'] = _recorded\n"
                f"remote = Remote.for_sandbox({sb.endpoint!r})\n"
                f"execution = remote.fetch_execution({ref!r})\n"
                "print('FETCHED', execution.id.name)\n"
                "watch(execution)\n"
            ],
            ui,
        )
        nb.run_all()
        nb.wait_for_output("FETCHED")
        view = nb.output(".fxw-live")
        expect(view.locator('.fxw-row[data-key="n3"]')).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        expect(view.locator('.fxw-row[data-key="n3"] .fxw-c-attempts')).to_have_text("…")  # not listed yet
        view.locator('[data-action="view"][data-view="timeline"]').click()

        view.locator('.fxw-tv-row[data-key="n3"] .fxw-tv-seg[data-seg="run"]').click()
        detail = view.locator('.fxw-tv-detail .fxw-detail[data-key="n3"]')
        expect(detail.locator(".fxw-attempts-none")).to_contain_text("not listed yet")
        expect(detail.locator(".fxw-attempt-item")).to_have_count(0)
        for _ in range(100):  # the notebook's record of the kernel's "prioritize" requests
            if asked.exists() and "n3" in asked.read_text().split():
                break
            nb.page.wait_for_timeout(100)
        assert asked.exists(), "no prioritize request reached the kernel"
        assert "n3" in asked.read_text().split(), asked.read_text()

        # the keyboard: Enter on a focused segment opens that row's detail
        seg = view.locator('.fxw-tv-row[data-key="n1"] .fxw-tv-seg[data-seg="run"]')
        seg.focus()
        nb.page.keyboard.press("Enter")
        detail = view.locator('.fxw-tv-detail .fxw-detail[data-key="n1"]')
        expect(detail).to_be_visible()
        expect(detail.locator(".fxw-attempts-none")).to_contain_text("not listed yet")

        # the listing comes through: the open detail lists the attempt, with its log link
        sb.clear_failures()
        items = detail.locator(".fxw-attempt-item")
        expect(items).to_have_count(1, timeout=LONG_MS)
        expect(items.first.locator(".fxw-badge")).to_have_text("Succeeded")
        expect(detail.locator(".fxw-attempts-none")).to_have_count(0)
        nb.screenshot("timeline-attempts-arrived", view)

        # the longest bar fills the axis, so its text is drawn over its end: hovering (or focusing) the bar raises
        # the segment, and the text must stay above it (it was hidden behind it but for its last letter)
        last = view.locator('.fxw-tv-row[data-key="n3"]')
        expect(last.locator(".fxw-tv-dur--over")).to_have_count(1)
        last.locator(".fxw-tv-seg").first.hover()
        over = last.locator(".fxw-tv-dur--over").evaluate(
            """(label) => {
                const seg = label.parentElement.querySelector('.fxw-tv-seg:hover');
                const z = (e) => Number.parseInt(getComputedStyle(e).zIndex, 10) || 0;
                return seg !== null && z(label) > z(seg);
            }"""
        )
        assert over, "a hovered segment covers the text drawn over it"
