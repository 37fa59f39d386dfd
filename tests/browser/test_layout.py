"""Nothing important is cut off, at any width: the node table in real JupyterLab and Notebook 7 at 1,400, 1,000 and
600 px, light and dark.

Four executions are watched in one notebook: ``all-kinds`` stopped mid-run (a dynamic node running, an array with
subtasks in several phases, a retried task, a failed one, waiting gates), ``demo`` finished (a cache status, the
OOM-killed attempt and its retry), ``failure`` finished (a short error, whole) and ``deep`` (depth 8) expanded.
Readability is asserted from the DOM (boxes inside their cells, no text wider than its box, every log link
there), not only shown: the screenshots land in ``test-artifacts/browser/`` (``<ui>-layout-<width>-<theme>-*``).

Widths are the browser's. JupyterLab runs with its file browser closed, as a notebook is read (Notebook 7 has no
side panel); one more pass at 600 px with the file browser open gives the narrowest output (about 230 px).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flyteidl.core.identifier_pb2 import NodeExecutionIdentifier, WorkflowExecutionIdentifier
from playwright.sync_api import expect

from flyteexec_widget.objects.phases import NodePhase, WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI, NotebookSession

LONG_MS = 60_000
WIDTHS = (1400, 1000, 600)
#: Columns that may give way at 1,000 px and wider: everything the issue names stays (status, counts, logs, cache).
MAY_HIDE_WIDE = {"start", "dur", "attempts"}
PRIORITY = ["attempts", "start", "dur", "cache", "logs", "actions"]  # widget.js COLUMNS, lowest priority first


@dataclass
class Scene:
    sb: Sandbox
    runs: dict[str, WorkflowExecutionIdentifier]  # scenario -> execution, in the notebook's widget order


@pytest.fixture(scope="module")
def scene() -> Iterator[Scene]:
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        deep = sb.launch("deep", depth=8)
        assert sb.run_until_done(deep) == WorkflowPhase.SUCCEEDED
        demo = sb.launch("demo")
        for _ in range(60):
            sb.advance(2)
            if sb.truth(demo).get("n4") == NodePhase.RUNNING:
                break
        remote.approve(demo, "approve-deploy")
        assert sb.run_until_done(demo) == WorkflowPhase.SUCCEEDED
        failure = sb.launch("failure")
        assert sb.run_until_done(failure) == WorkflowPhase.FAILED
        kinds = sb.launch("all-kinds")  # last: it stays mid-run (the stepped clock stands still from here)
        sb.advance(8)
        truth = sb.truth(kinds)
        assert truth["n3"] == NodePhase.DYNAMIC_RUNNING, truth
        assert truth["n10"] == NodePhase.FAILED, truth
        yield Scene(sb, {"all-kinds": kinds, "demo": demo, "failure": failure, "deep": deep})


def _cells(scene: Scene) -> list[str]:
    out = [
        "from flyteexec_widget import Remote, watch\n"
        f"remote = Remote.for_sandbox({scene.sb.endpoint!r}, console_endpoint={scene.sb.console_endpoint!r})\n"
    ]
    for name, wf in scene.runs.items():
        out.append(
            f"w_{name.replace('-', '_')} = watch({f'{wf.project}:{wf.domain}:{wf.name}'!r}, remote)\n"
            f"w_{name.replace('-', '_')}\n"
        )
    return out


def _task_logs(sb: Sandbox, wf: WorkflowExecutionIdentifier, node_id: str) -> list[str]:
    """The URIs of every log link of every attempt of a node, as the sandbox stored them."""
    nid = NodeExecutionIdentifier(node_id=node_id, execution_id=wf)
    tasks, _ = sb.store.list_task_executions(nid, limit=100, token="")
    return [lg.uri for t in sorted(tasks, key=lambda t: t.id.retry_attempt) for lg in t.closure.logs]


#: Everything a reader must be able to read, checked box by box; returns what is wrong, and what each widget shows.
_CHECK = r"""
(panelId) => {
  const panel = document.getElementById(panelId);
  const problems = [];
  const widgets = [];
  const shown = (el) => el.getClientRects().length > 0;
  const box = (el) => el.getBoundingClientRect();
  const within = (el, outer) => {
    const a = box(el), b = box(outer);
    return a.left >= b.left - 1 && a.right <= b.right + 1;
  };
  const whole = (el) => el.scrollWidth <= el.clientWidth + 1;
  for (const root of panel.querySelectorAll('.jp-OutputArea-output .fxw.fxw-live')) {
    const vp = root.querySelector('.fxw-viewport');
    const name = root.querySelector('.fxw-wf')?.textContent || '?';
    const hidden = (vp.dataset.hide || '').split(' ').filter(Boolean);
    const rows = {};
    for (const b of root.querySelectorAll('.fxw-badge')) {
      if (!shown(b)) continue;
      const cell = b.closest('.fxw-c') || b.parentElement;
      if (!whole(b) || !within(b, cell) || !within(b, vp.contains(b) ? vp : root))
        problems.push(`${name}: badge "${b.textContent}" is cut`);
    }
    for (const row of vp.querySelectorAll('.fxw-row')) {
      const key = row.dataset.key;
      const r = { logs: [], error: null, name: null, cells: [] };
      rows[key] = r;
      for (const cell of row.querySelectorAll(':scope > .fxw-c')) {
        if (!shown(cell)) continue;
        const col = [...cell.classList].find((c) => c.startsWith('fxw-c-') ).slice(6);
        r.cells.push(col);
        if (col === 'name' || col === 'dur') continue;
        if (col === 'start' || col === 'attempts') {
          if (!whole(cell)) problems.push(`${name} ${key}: ${col} "${cell.textContent}" is cut`);
          continue;
        }
        const parts = '.fxw-badge, .fxw-subcount, .fxw-log, .fxw-cache, .fxw-btn, .fxw-action-status, .fxw-signal';
        for (const el of cell.querySelectorAll(parts)) {
          if (!shown(el)) continue;
          const text = el.textContent || el.placeholder;
          if (!whole(el) || !within(el, cell)) problems.push(`${name} ${key}: ${col} "${text}" is cut`);
        }
      }
      for (const a of row.querySelectorAll('.fxw-c-logs a.fxw-log')) if (shown(a)) r.logs.push(a.href);
      const n = row.querySelector('.fxw-name');
      r.name = { text: n.textContent, whole: whole(n) };
      const err = row.querySelector('.fxw-rowerr');
      if (err) {
        r.error = err.textContent;
        if (!whole(err) || !within(err, vp))
          problems.push(`${name} ${key}: error line is cut (${err.scrollWidth}/${err.clientWidth}, ` +
            `right ${box(err).right} of ${box(vp).right}, columns ${vp.style.getPropertyValue('--fxw-cols')})`);
      }
    }
    // Rows never overlap: each is placed below the whole of the one before (its height measured, lines wrapped).
    const items = [...vp.querySelectorAll('.fxw-item')].map((el) => ({ key: el.dataset.key, b: box(el) }));
    items.sort((x, y) => x.b.top - y.b.top);
    for (let i = 1; i < items.length; i++) {
      if (items[i - 1].b.bottom > items[i].b.top + 1)
        problems.push(`${name}: row ${items[i - 1].key} (${items[i - 1].b.height}px) runs into ${items[i].key}`);
    }
    // A hidden column with something in it gave way to the width; one with nothing in any row is just empty.
    const filled = (c) => [...vp.querySelectorAll(`.fxw-row > .fxw-c-${c}`)].some((e) => e.textContent.trim());
    const gaveWay = hidden.filter(filled);
    widgets.push({ name, width: vp.clientWidth, hidden: gaveWay, rows });
  }
  return { problems, widgets };
}
"""


#: The saved snapshots (shown here although the live views are on screen): no cell's text runs into the next one, no
#: table is wider than its output; returns what is wrong, and the columns each shows.
_CHECK_SAVED = r"""
(panelId) => {
  const panel = document.getElementById(panelId);
  const problems = [];
  const tables = [];
  const shown = (el) => el.getClientRects().length > 0;
  for (const root of panel.querySelectorAll('.jp-OutputArea-output .fxw-saved')) {
    const name = root.querySelector('.fxw-wf')?.textContent || '?';
    const table = root.querySelector('table.fxw-static-table');
    const out = root.getBoundingClientRect();
    if (table.getBoundingClientRect().right > out.right + 1)
      problems.push(`${name}: the table is wider than its output (${table.scrollWidth} > ${root.clientWidth})`);
    for (const td of table.querySelectorAll('td')) {
      if (!shown(td)) continue;
      const cell = td.getBoundingClientRect();
      for (const el of td.querySelectorAll('span, a, div')) {
        if (!shown(el)) continue;
        const b = el.getBoundingClientRect();
        if (b.left < cell.left - 1 || b.right > cell.right + 1)
          problems.push(`${name} ${td.closest('tr').dataset.key || 'error'}: "${el.textContent}" runs out of its cell`);
      }
    }
    const heads = [...table.querySelectorAll('th')].filter(shown).map((th) => th.className.replace('fxw-sc-', ''));
    tables.push({ name, heads, rows: table.querySelectorAll('tr[data-key]').length });
  }
  return { problems, tables };
}
"""


def _show_saved(nb: NotebookSession, show: bool) -> None:
    """Show the saved-snapshot outputs beside the live views (they are hidden while a live view is on screen)."""
    nb.page.evaluate(
        """(show) => {
            document.getElementById('fxw-test-show-saved')?.remove();
            if (!show) return;
            const style = document.createElement('style');
            style.id = 'fxw-test-show-saved';
            style.textContent = '.jp-OutputArea-child:has(.fxw-saved) { display: flex !important; }';
            document.head.append(style);
        }""",
        show,
    )


def _check_saved(nb: NotebookSession, label: str, width: int) -> None:
    _show_saved(nb, True)
    try:
        # The kernel refreshes a saved snapshot every few seconds while the rows change (taken at display time,
        # before the first sync, it has none): wait for each to hold its rows.
        saved = nb.panel.locator(".jp-OutputArea-output .fxw-saved")
        expect(saved).to_have_count(4)
        for i, key in enumerate(["n10", "n5", "n1", "n1"]):
            expect(saved.nth(i).locator(f'tr[data-key="{key}"]')).to_have_count(1, timeout=LONG_MS)
        report = nb.page.evaluate(_CHECK_SAVED, nb.panel_id)
        assert not report["problems"], f"{label} saved snapshots: " + "\n".join(report["problems"])
        tables = {t["name"]: t for t in report["tables"]}
        assert len(tables) == 4, list(tables)
        # all-kinds' array of 120 subtasks lists none of them (its row counts them): 13 nodes and 2 subworkflow
        # children, not 135 rows
        assert tables["sandbox.all_kinds.wf"]["rows"] < 40, tables["sandbox.all_kinds.wf"]
        for t in tables.values():
            assert {"name", "status"} <= set(t["heads"]), (label, t)
            if width >= 1400:
                assert t["heads"] == ["name", "status", "start", "dur", "attempts", "cache", "logs"], (label, t)
        for i, name in enumerate(["all-kinds", "demo", "failure", "deep"]):
            nb.screenshot(f"saved-{label}-{name}", saved.nth(i))
    finally:
        _show_saved(nb, False)


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


def _fitted(nb: NotebookSession, width: int) -> None:
    """Resize the page; return once every table has fitted its columns to its new width and stays so for two
    frames (the rows it rebuilt were measured and placed)."""
    nb.page.set_viewport_size({"width": width, "height": 1000})
    settled = nb.page.evaluate(
        """async (panelId) => {
            const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
            const fitted = () => Array.from(document.getElementById(panelId).querySelectorAll('.fxw-viewport'))
                .every((v) => v.clientWidth > 0 && v.dataset.width === String(v.clientWidth));
            for (let i = 0; i < 600; i++) {
                await frames();
                if (fitted()) {
                    await frames();
                    if (fitted()) return true;
                }
            }
            return false;
        }""",
        nb.panel_id,
    )
    assert settled, f"the tables did not fit their columns to {width} px"


def _check(nb: NotebookSession, scene: Scene, label: str, *, wide: bool) -> dict[str, Any]:
    report = nb.page.evaluate(_CHECK, nb.panel_id)
    assert not report["problems"], f"{label}: " + "\n".join(report["problems"])
    widgets = {w["name"]: w for w in report["widgets"]}
    assert len(widgets) == 4, list(widgets)
    for w in widgets.values():
        # columns give way lowest priority first: nothing hidden outranks something shown (name, status never hide)
        shown_droppable = [c for c in PRIORITY if any(c in r["cells"] for r in w["rows"].values())]
        for c in w["hidden"]:
            assert all(PRIORITY.index(c) < PRIORITY.index(s) for s in shown_droppable), (label, w["name"], w["hidden"])
        for key, r in w["rows"].items():
            assert {"name", "status"} <= set(r["cells"]), (label, w["name"], key, r["cells"])
    kinds, demo, failure, deep = (widgets[f"sandbox.{n}.wf"] for n in ("all_kinds", "demo", "failure", "deep"))
    # A deep tree keeps its names readable at every width.
    assert len(deep["rows"]) == 16, sorted(deep["rows"])  # 8 levels: a task and a subworkflow each, a leaf
    for key, r in deep["rows"].items():
        assert r["name"]["whole"], (label, key, r["name"])
    # The error line is there whole at every width (it wraps rather than being cut).
    assert failure["rows"]["n1"]["error"] == "KeyError: 'customer_id' not found in input columns"
    if not wide:
        return widgets
    for w in widgets.values():
        assert set(w["hidden"]) <= MAY_HIDE_WIDE, (label, w["name"], w["hidden"])
        for key, r in w["rows"].items():
            assert r["name"]["whole"], (label, w["name"], key, r["name"])
    # Every log link of every attempt: the OOM-killed train and its retry, the flaky task's attempts so far.
    sb = scene.sb
    assert demo["rows"]["n2"]["logs"] == _task_logs(sb, scene.runs["demo"], "n2")
    assert len(demo["rows"]["n2"]["logs"]) == 2
    assert kinds["rows"]["n0"]["logs"] == _task_logs(sb, scene.runs["all-kinds"], "n0")
    for name, w in (("all-kinds", kinds), ("demo", demo), ("failure", failure)):
        for key, r in w["rows"].items():
            if key.isalnum():  # a top-level node
                assert r["logs"] == _task_logs(sb, scene.runs[name], key), (label, name, key)
    return widgets


def _screenshots(nb: NotebookSession, label: str) -> None:
    for i, name in enumerate(["all-kinds", "demo", "failure", "deep"]):
        widget = nb.output(".fxw").nth(i)
        if name == "deep":  # its deepest rows are at the bottom of the table
            widget.locator(".fxw-viewport").evaluate("(v) => { v.scrollTop = v.scrollHeight; }")
        nb.screenshot(f"layout-{label}-{name}", widget)


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_nothing_is_cut_off_at_any_width_light_and_dark(open_notebook: OpenNotebook, scene: Scene, ui: UI) -> None:
    nb = open_notebook(f"layout-{ui}.ipynb", _cells(scene), ui)
    if ui == "lab":
        _left_area(nb, open_=False)
    nb.run_all()
    widgets = nb.output(".fxw")
    expect(widgets).to_have_count(4, timeout=LONG_MS)
    for key in ["n10", "n3"]:
        expect(widgets.nth(0).locator(f'.fxw-row[data-key="{key}"]')).to_have_count(1, timeout=LONG_MS)
    expect(widgets.nth(2).locator('.fxw-row[data-key="n1"] .fxw-rowerr')).to_have_count(1, timeout=LONG_MS)
    # Expand all: every level of the deep tree; in all-kinds every parent but the array of 120 subtasks.
    widgets.nth(3).locator('[data-action="expand-all"]').click()
    expect(widgets.nth(3).locator(".fxw-row")).to_have_count(16, timeout=LONG_MS)
    kinds = widgets.nth(0)
    kinds.locator('[data-action="expand-all"]').click()
    expect(kinds.locator('.fxw-row[data-key^="n2/"]')).to_have_count(2, timeout=LONG_MS)
    expect(kinds.locator('.fxw-row[data-key^="n9["]')).to_have_count(0)
    kinds.locator('[data-action="collapse-all"]').click()
    expect(kinds.locator('.fxw-row[data-key^="n2/"]')).to_have_count(0)
    try:
        for theme in ("light", "dark"):
            _set_theme(nb, theme)
            for width in WIDTHS:
                _fitted(nb, width)
                label = f"{width}-{theme}"
                _check(nb, scene, f"{ui} {label}", wide=width >= 1000)
                _screenshots(nb, label)
                _check_saved(nb, f"{ui} {label}", width)
        if ui == "lab":
            # The narrowest output: 600 px with JupyterLab's file browser open.
            _set_theme(nb, "light")
            _left_area(nb, open_=True)
            _fitted(nb, 600)
            shown = _check(nb, scene, "lab 600 with the file browser", wide=False)
            assert all(w["width"] < 300 for w in shown.values()), {n: w["width"] for n, w in shown.items()}
            _screenshots(nb, "600-filebrowser-light")
            _check_saved(nb, "lab 600-filebrowser-light", 600)
    finally:
        _set_theme(nb, "light")  # the theme is a saved setting: later tests on this server expect the light one


def test_a_gate_is_decided_from_its_detail_when_its_actions_column_gave_way(open_notebook: OpenNotebook) -> None:
    """At 600 px with the file browser open the actions column gives way: the gate rows say "decide…", and their
    detail offers Approve/Reject and the signal's input and Send, which work as the row's buttons do."""
    with Sandbox(clock="stepped") as sb:
        wf = sb.launch("all-kinds")
        for _ in range(30):
            truth = sb.truth(wf)
            if truth.get("n6") == NodePhase.RUNNING and truth.get("n7") == NodePhase.RUNNING:
                break
            sb.advance(1)
        else:
            raise AssertionError(f"the gates never waited: {sb.truth(wf)}")
        ref = f"{wf.project}:{wf.domain}:{wf.name}"
        cells = [f"from flyteexec_widget import Remote, watch\nwatch({ref!r}, Remote.for_sandbox({sb.endpoint!r}))\n"]
        nb = open_notebook("gate-narrow.ipynb", cells, "lab")
        _left_area(nb, open_=True)
        nb.run_all()
        view = nb.output(".fxw-live")
        approve_row = view.locator('.fxw-row[data-key="n6"]')
        signal_row = view.locator('.fxw-row[data-key="n7"]')
        expect(approve_row).to_have_count(1, timeout=LONG_MS)
        _fitted(nb, 600)
        expect(view.locator(".fxw-viewport")).to_have_attribute("data-hide", re.compile(r"\bactions\b"))
        expect(approve_row.locator('[data-action="approve"]')).to_be_hidden()  # its column gave way
        hint = approve_row.locator(".fxw-gate-hint")
        expect(hint).to_be_visible()
        expect(signal_row.locator(".fxw-gate-hint")).to_be_visible()

        hint.click()
        gate = view.locator('.fxw-detail[data-key="n6"] .fxw-detail-gate')
        expect(gate.locator('[data-action="approve"]')).to_be_visible()
        expect(gate.locator('[data-action="reject"]')).to_be_visible()
        nb.screenshot("gate-in-detail-600-filebrowser", view)
        gate.locator('[data-action="approve"]').click()
        expect(gate.locator(".fxw-action-status")).to_have_text("Approved", timeout=LONG_MS)
        assert sb.rpc_counts().get("SetSignal") == 1
        expect(approve_row.locator(".fxw-action-status")).to_be_hidden()  # shown where it was asked

        signal_row.locator(".fxw-name").click()
        box = view.locator('.fxw-detail[data-key="n7"] .fxw-detail-gate')
        box.locator("input.fxw-signal").fill("0.75")
        box.locator("input.fxw-signal").press("Enter")
        expect(box.locator(".fxw-action-status")).to_have_text("Sent 0.75", timeout=LONG_MS)
        assert sb.rpc_counts().get("SetSignal") == 2

        # Wide again: the controls and the outcome are back in the row's actions column, not in the detail.
        _left_area(nb, open_=False)
        _fitted(nb, 1400)
        expect(view.locator(".fxw-viewport")).not_to_have_attribute("data-hide", re.compile(r"\bactions\b"))
        expect(approve_row.locator(".fxw-c-actions .fxw-action-status")).to_have_text("Approved")
        expect(view.locator(".fxw-detail-gate")).to_have_count(0)
        expect(approve_row.locator(".fxw-gate-hint")).to_have_count(0)
