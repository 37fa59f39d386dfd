"""Hostile server strings in a real browser: no script runs and no hostile URI becomes a link, in the live widget,
in the static HTML snapshot shown as trusted output, and in the saved notebook exported to HTML.

The sandbox (in this process) runs a scenario whose every name is an HTML/JS payload (tests/hostile_text.py): node
names, outputs, an error message and code, a signal id, a deck; then its task log links are replaced by hostile URIs
(javascript:, data:, scheme-relative, ...) and one deck's signed link by a ``javascript:`` URL. Each payload sets
``window.__pwned`` to its label if it ever runs; a canary proves that the page did run its pending handlers before
the flag is read.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier
from nbconvert import HTMLExporter
from playwright.sync_api import Browser, Locator, Page, expect

from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox, scenarios
from flyteexec_widget.sandbox.scenarios import Attempt, Failure, Gate, NodeSpec, Scenario, Script
from tests.browser.lab import LabServer, NotebookSession, collect_page_errors, save_screenshot, write_notebook
from tests.hostile_text import HOSTILE_URIS, HTML_PAYLOADS, hostile

LONG_MS = 60_000
ALL_PAYLOADS = " ".join(HTML_PAYLOADS.values())
SIGNAL = "sig" + HTML_PAYLOADS["img onerror"]
GOOD_LOG = "https://logs.example.com/ok"
DECK = "<h2>deck</h2><script>try { parent['__pwned'] = 'deck'; } catch (e) {}</script>"
HOSTILE_DECK_LINK = HOSTILE_URIS["javascript"]
#: A link is fine only as an absolute http(s) URL with a host.
SAFE_HREF = re.compile(r"^https?://[^/?#\s]+")


def _script() -> Script:
    """One node per HTML payload (as its name and output), a node failing with all of them, a terminal-payload
    name, a gate whose signal id is a payload, and two decks."""
    nodes = [
        NodeSpec(id=f"n{i}", name=p, upstream=(), outputs={"o0": p}, attempts=(Attempt(2.0),))
        for i, p in enumerate(HTML_PAYLOADS.values())
    ]
    nodes += [
        NodeSpec(
            id="fail",
            name="fails",
            upstream=(),
            attempts=(Attempt(2.0, Failure(code="USER:" + HTML_PAYLOADS["script"], message=ALL_PAYLOADS)),),
        ),
        NodeSpec(id="deck", name="deck_ok", upstream=(), attempts=(Attempt(2.0),), deck=DECK),
        NodeSpec(id="badlink", name="deck_bad_link", upstream=(), attempts=(Attempt(2.0),), deck=DECK),
        NodeSpec(id="term", name=hostile("term"), upstream=(), attempts=(Attempt(2.0),)),
        NodeSpec(id="gate", kind="gate", name="gate", upstream=(), gate=Gate("signal", signal_id=SIGNAL, type="str")),
    ]
    return Script(
        workflow="hostile",
        nodes=tuple(nodes),
        outputs={"o0": ALL_PAYLOADS},
        failure_policy="FAIL_AFTER_EXECUTABLE_NODES_COMPLETE",
    )


def _poison_logs(sb: Sandbox, wf: WorkflowExecutionIdentifier) -> None:
    """Every task attempt's log links become the hostile URIs (named by payloads), plus one good link."""
    names = list(HTML_PAYLOADS.values())
    with sb.store.lock:
        for key, rec in sb.store.tasks.items():
            if key[:3] != (wf.project, wf.domain, wf.name):
                continue
            del rec.proto.closure.logs[:]
            for i, uri in enumerate(HOSTILE_URIS.values()):
                rec.proto.closure.logs.add(name=names[i % len(names)], uri=uri)
            rec.proto.closure.logs.add(name=HTML_PAYLOADS["svg onload"], uri=GOOD_LOG)


@dataclass
class HostileView:
    page: Page
    nb: NotebookSession
    page_errors: list[str]
    saved: Path


def _cells(sb: Sandbox, wf: WorkflowExecutionIdentifier) -> list[str]:
    ref = f"{wf.project}:{wf.domain}:{wf.name}"
    return [
        "from flyteexec_widget import Remote, watch\n"
        f"remote = Remote.for_sandbox({sb.endpoint!r})\n"
        f"w = watch(remote.fetch_execution({ref!r}))\n"
        "assert w.watch.wait(60)\n"
        "print('FETCHED')\n"
        "w\n",
        # The static snapshot as trusted HTML output (JupyterLab runs scripts and handlers of trusted HTML), and
        # the text tree as a stream (JupyterLab renders ANSI colour sequences of streams).
        "from IPython.display import HTML, display\n"
        "from flyteexec_widget.display.render import render_html\n"
        "display(HTML(render_html(w.model)))\n"
        "print(w.text())\n"
        "print('SNAPSHOT')\n",
    ]


@pytest.fixture(scope="module")
def hostile_view(lab_server: LabServer, chromium: Browser) -> Iterator[HostileView]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(scenarios.SCENARIOS, "hostile", Scenario("hostile", "Every server string hostile", _script))
        with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
            wf = sb.launch("hostile")
            sb.advance(3)  # the gate waits: its signal exists
            remote.set_signal(wf, SIGNAL, HTML_PAYLOADS["script"])
            assert sb.run_until_done(wf) == WorkflowPhase.FAILED
            _poison_logs(sb, wf)
            signer: Any = sb._signer
            sign = signer.sign
            mp.setattr(
                signer,
                "sign",
                lambda base, uri, expires: HOSTILE_DECK_LINK if "badlink" in uri else sign(base, uri, expires),
            )
            name = "hostile.ipynb"
            write_notebook(lab_server.root_dir, name, _cells(sb, wf))
            context = chromium.new_context(viewport={"width": 1500, "height": 1100})
            page = context.new_page()
            page_errors = collect_page_errors(page)
            nb = NotebookSession(page, lab_server, name)
            try:
                nb.open()
                nb.run_all()
                nb.wait_for_output("SNAPSHOT")
                expect(nb.output('.fxw:not(.fxw-static)[data-phase="FAILED"]')).to_be_visible(timeout=LONG_MS)
                yield HostileView(page, nb, page_errors, lab_server.root_dir / name)
            except BaseException:
                save_screenshot(page, "FAILED-hostile-setup")
                raise
            finally:
                if nb.kernel_id:
                    nb.shutdown()
                context.close()


ROW_KEYS = [*(f"n{i}" for i in range(len(HTML_PAYLOADS))), "fail", "deck", "badlink", "term", "gate"]


def _show_row(widget: Locator, key: str) -> Locator:
    """The row of ``key``, brought on screen with the view's own filter (the tree renders only the rows in view)."""
    widget.locator("input.fxw-search").fill(key)
    row = widget.locator(f'.fxw-row[data-key="{key}"]')
    expect(row).to_be_visible(timeout=LONG_MS)
    return row


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest, hostile_view: HostileView) -> Iterator[None]:
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"screenshot: {save_screenshot(hostile_view.page, f'FAILED-{request.node.name}')}")


def _assert_nothing_ran(page: Page) -> None:
    """Let pending event handlers run (a canary ``onerror`` must fire first), then read the flag."""
    page.evaluate(
        """() => {
            const img = document.createElement('img');
            img.onerror = () => { window.__canary = true; };
            img.src = 'data:image/png;base64,broken';
            document.body.append(img);
        }"""
    )
    page.wait_for_function("() => window.__canary === true")
    assert page.evaluate("() => window.__pwned") is None


def _hrefs(page: Page, root: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{root} a[href], {root} [src]", "els => els.map(e => e.getAttribute('href') ?? e.getAttribute('src'))"
    )


def test_the_live_widget_shows_every_payload_as_text_and_runs_none(hostile_view: HostileView) -> None:
    v = hostile_view
    nb = v.nb
    widget = nb.output(".fxw:not(.fxw-static)")
    root = f'[id="{nb.panel_id}"] .fxw:not(.fxw-static)'
    hrefs: list[str] = []
    names = dict(zip(ROW_KEYS, HTML_PAYLOADS.values(), strict=False))
    # Each row in turn (filtered to it: the tree renders only the rows in view), with what shows more server text
    # opened: its details (logs, error), the failed node's full error, a payload node's outputs, both decks.
    for key in ROW_KEYS:
        row = _show_row(widget, key)
        if key in names:
            expect(row.locator(".fxw-name")).to_have_text(names[key])
        row.locator('[data-action="details"]').click()
        detail = widget.locator(f'.fxw-detail[data-key="{key}"]')
        expect(detail).to_be_visible(timeout=LONG_MS)
        if key in ("n0", "gate"):  # a payload node's output; the value the gate's signal was given
            detail.locator('details.fxw-io[data-which="outputs"] > summary').click()
            expect(detail.locator('details.fxw-io[data-which="outputs"] .fxw-kv')).to_contain_text(
                HTML_PAYLOADS["script"], timeout=LONG_MS
            )
        elif key == "fail":  # the whole message, fetched when the error opens
            expect(detail).to_contain_text(HTML_PAYLOADS["meta refresh"], timeout=LONG_MS)
            nb.screenshot("hostile-error", widget)
        elif key == "deck":
            detail.locator('[data-action="deck"]').click()
            frame = detail.locator("iframe.fxw-deck")
            expect(frame).to_have_attribute("sandbox", "allow-scripts", timeout=LONG_MS)
            expect(frame.content_frame.locator("h2")).to_have_text("deck", timeout=LONG_MS)  # its script ran, boxed
        elif key == "badlink":
            detail.locator('[data-action="deck"]').click()
            expect(detail.locator(".fxw-action-status--error")).to_contain_text("no http(s) link", timeout=LONG_MS)
            expect(detail.locator("iframe")).to_have_count(0)
        hrefs += _hrefs(v.page, root)
        row.locator('[data-action="details"]').click()
        expect(detail).to_have_count(0)
    widget.locator("input.fxw-search").fill("")
    nb.screenshot("hostile-widget")
    _assert_nothing_ran(v.page)
    assert GOOD_LOG in hrefs  # the one good log link is there: the check below is not vacuous
    assert [h for h in hrefs if not SAFE_HREF.match(h or "")] == []
    # The expected failure (the deck's javascript: link, refused by the kernel) is the only warning logged.
    assert [e for e in v.page_errors if "deck" not in e] == []


def test_the_snapshot_and_the_text_tree_in_the_page_run_nothing(hostile_view: HostileView) -> None:
    v = hostile_view
    nb = v.nb
    snapshot = nb.output(".fxw.fxw-static")
    expect(snapshot).to_be_visible()
    _assert_nothing_ran(v.page)
    for payload in (HTML_PAYLOADS["script"], HTML_PAYLOADS["mutation XSS"], HTML_PAYLOADS["meta refresh"]):
        expect(snapshot).to_contain_text(payload)
    stream = nb.output().filter(has_text="SNAPSHOT")
    # The text tree printed: terminal payloads arrive as visible escapes, not as colours or links.
    expect(stream).to_contain_text("term:\\x1b[2J\\x1b[H|\\x1b[31mred\\x1b[0m")
    assert stream.locator("span[class*='ansi']").count() == 0  # no colour: no escape sequence got through
    # JupyterLab links the URLs it finds in text (the console link): only http(s) ones may have become links
    links = stream.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert [h for h in links if not SAFE_HREF.match(h or "")] == []
    nb.screenshot("hostile-snapshot", snapshot)
    hrefs = _hrefs(v.page, f'[id="{nb.panel_id}"] .fxw-static')
    assert hrefs
    assert [h for h in hrefs if not SAFE_HREF.match(h or "")] == []


def test_the_saved_notebook_exported_to_html_runs_nothing(
    hostile_view: HostileView, chromium: Browser, tmp_path: Path
) -> None:
    v = hostile_view
    before = v.saved.read_text(encoding="utf-8")
    v.page.evaluate("(id) => window.jupyterapp.commands.execute('docmanager:save', {widgetId: id})", v.nb.panel_id)
    deadline = time.monotonic() + 60
    while v.saved.read_text(encoding="utf-8") == before:  # the server writes the file when the save arrives
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.2)
    nb = nbformat.read(v.saved, as_version=4)
    saved_html = [
        o["data"]["text/html"] for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})
    ]
    assert len(saved_html) == 2, "the widget's and the snapshot's text/html were not saved"
    for text in saved_html:
        text = "".join(text) if isinstance(text, list) else text
        assert html.escape(HTML_PAYLOADS["script"]) in text
    exported, _ = HTMLExporter().from_notebook_node(nb)
    path = tmp_path / "hostile.html"
    path.write_text(exported, encoding="utf-8")
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        expect(page.locator(".fxw").first).to_be_visible(timeout=LONG_MS)
        _assert_nothing_ran(page)
        for payload in (HTML_PAYLOADS["script"], HTML_PAYLOADS["img onerror"], HTML_PAYLOADS["meta refresh"]):
            expect(page.locator(".fxw").first).to_contain_text(payload)
        # the text tree, printed (case-sensitive: the live output's text/plain mentions the saved snapshot)
        stream = page.locator(".jp-OutputArea-output pre").filter(has_text=re.compile("SNAPSHOT"))
        expect(stream).to_contain_text("term:\\x1b[2J\\x1b[H|\\x1b[31mred")
        assert stream.locator("span[class*='ansi']").count() == 0
        save_screenshot(page, "hostile-saved-notebook")
        hrefs = _hrefs(page, ".fxw")
        assert hrefs
        assert [h for h in hrefs if not SAFE_HREF.match(h or "")] == []
    finally:
        context.close()
