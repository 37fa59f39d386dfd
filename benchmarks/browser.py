"""Rendering in headless Chromium: the widget's ES module in a plain page, fed the kernel's real messages.

No Jupyter: the widget's module (``display/assets.py`` joins ``static/*.js``) is loaded into a local page (served
through Playwright's request routing, no HTTP server) with a tiny stand-in for anywidget's ``model`` (``get``, ``set``,
``on``, ``off``, ``send``, ``save_changes``). The traits and the snapshot message are the ones an
``ExecutionWidget`` sends for a synced execution (recorded on the Python side), so the page renders exactly what a
notebook would. Times are ``performance.now()`` in the page, from dispatching the message until two animation
frames later (the frame that shows the result has been produced), so style, layout and paint are included.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .stats import Figure, to_json

STATIC = Path(__file__).resolve().parent.parent / "flyteexec_widget" / "display" / "static"
CHROMIUM = "/usr/bin/chromium"
#: Launch flags checked on these machines (see the shared browser-testing notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ORIGIN = "http://bench.invalid"

#: The page every widget benchmark loads (:func:`bench_html`): the widget's module and styles, a stand-in for
#: anywidget's ``model`` (``FakeModel``: traits, custom messages, and the kernel's answers to the requests a benchmark
#: gives it), shared helpers, and ``window.bench`` with ``patch``; each benchmark adds its methods at ``__BENCH__``.
_PAGE_TEMPLATE = """<!doctype html>
<html><head><meta charset="utf-8"><title>__TITLE__</title>
<link rel="stylesheet" href="/widget.css">
<style>body { margin: 0; width: 1200px; } __STYLE__</style>
</head><body><div id="host"></div>
<script type="module">
import widget from "/widget.js";

class FakeModel {
  // answers: request action -> the result the kernel sends back (e.g. the graph for "graph")
  constructor(state, answers = {}) {
    this.state = state; this.answers = answers; this.handlers = new Map(); this.sent = [];
  }
  get(name) { return this.state[name]; }
  set(name, value) { this.state[name] = value; this.emit("change:" + name); }
  save_changes() {}
  send(msg) {
    this.sent.push(msg);
    if (msg && msg.type === "request" && Object.hasOwn(this.answers, msg.action)) {
      const result = this.answers[msg.action];
      queueMicrotask(() => this.emit("msg:custom", { type: "response", id: msg.id, ok: true, result }));
    }
  }
  on(event, cb) { if (!this.handlers.has(event)) this.handlers.set(event, []); this.handlers.get(event).push(cb); }
  off(event, cb) {
    if (!event) { this.handlers.clear(); return; }
    const list = this.handlers.get(event) || [];
    this.handlers.set(event, cb ? list.filter((f) => f !== cb) : []);
  }
  emit(event, ...args) { for (const cb of [...(this.handlers.get(event) || [])]) cb(...args); }
}

const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
const appears = (el, sel) => new Promise((resolve) => {
  if (el.querySelector(sel)) return resolve();
  const mo = new MutationObserver(() => { if (el.querySelector(sel)) { mo.disconnect(); resolve(); } });
  mo.observe(el, { childList: true, subtree: true });
});
let model = null;
let cleanup = null;

// The previous view cleaned up; an empty element in the host and a new model for the next view (not rendered yet).
function fresh(state, answers) {
  if (cleanup) { try { cleanup(); } catch (e) {} }
  cleanup = null;
  const host = document.getElementById("host");
  host.replaceChildren();
  const el = document.createElement("div");
  host.append(el);
  model = new FakeModel(state, answers);
  return el;
}
async function render(el) { cleanup = await widget.render({ model, el }); }

window.bench = {
  // ms from dispatching a message to the view (a patch) to the frame after it was drawn
  async patch(msg) {
    const t0 = performance.now();
    model.emit("msg:custom", msg, []);
    void document.body.getBoundingClientRect().height;
    const sync = performance.now() - t0;
    await frames();
    return { ms: performance.now() - t0, sync_ms: sync };
  },
};
__BENCH__
window.benchReady = true;
</script></body></html>
"""


def bench_html(title: str, bench_js: str, style: str = "") -> str:
    """The benchmark page (:data:`_PAGE_TEMPLATE`) with ``bench_js`` (script that adds methods to ``window.bench``;
    it may use ``FakeModel``, ``fresh``, ``render``, ``frames``, ``appears`` and ``model``) and extra CSS."""
    return _PAGE_TEMPLATE.replace("__TITLE__", title).replace("__STYLE__", style).replace("__BENCH__", bench_js)


#: ``window.bench.firstRender(traits, snapshot)``: a fresh view; ms from render() to the frame after the snapshot
#: was drawn.
FIRST_RENDER_JS = """
window.bench.firstRender = async (state, snapshot) => {
  const el = fresh(structuredClone(state));
  const t0 = performance.now();
  await render(el);
  const view = (model.sent.find((m) => m && m.type === "snapshot") || {}).view;
  model.emit("msg:custom", { ...snapshot, view }, []);
  void el.getBoundingClientRect().height;
  const sync = performance.now() - t0;
  await frames();
  return { ms: performance.now() - t0, sync_ms: sync, rows_in_dom: el.querySelectorAll(".fxw-item").length };
};
"""

#: The tree and timeline pages give the host a fixed height (the rows in view are what the page holds).
HOST_STYLE = "#host { height: 800px; }"
PAGE = bench_html("flyteexec-widget bench", FIRST_RENDER_JS, style=HOST_STYLE)


def front_end() -> tuple[bytes, bytes]:
    """The ES module and the stylesheet anywidget gets: the files of ``static/`` joined (display/assets.py)."""
    from flyteexec_widget.display import assets

    return assets.joined_module().encode(), assets.stylesheet().encode()


def widget_messages(model: Any, execution: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The traits and the snapshot message an ExecutionWidget sends for ``model`` (recorded from its comm)."""
    from .cases import CommRecorder, attach_widget

    recorder = CommRecorder()
    recorder.keep = True
    widget = attach_widget(model, execution, recorder)
    state_all = widget.get_state()
    state = {k: state_all[k] for k in ("header", "counts", "sync_status", "styles", "can_act") if k in state_all}
    snapshot = next(m for m in recorder.messages if m.get("type") == "snapshot")
    widget.close()
    return json.loads(json.dumps(state, default=str)), json.loads(json.dumps(snapshot, default=str))


def patch_of(snapshot: dict[str, Any], styles: dict[str, Any], n: int) -> dict[str, Any]:
    """A patch changing the phase of ``n`` rows spread over the tree (SUCCEEDED <-> RUNNING), as a sync sends it:
    the key and the new phase (the view derives the label, colour and end from the phase and its ``styles``)."""
    del styles  # the view's own: a patch carries no label
    rows = snapshot["rows"]
    step = max(1, len(rows) // max(n, 1))
    changed = [
        {"key": row["key"], "phase": "RUNNING" if row.get("phase") != "RUNNING" else "SUCCEEDED"}
        for row in rows[::step][:n]
    ]
    return {"type": "patch", "version": int(snapshot.get("version", 0)) + 1, "rows": changed, "removed": []}


@contextlib.contextmanager
def bench_page(
    html: str, files: dict[str, tuple[bytes, str]], viewport: tuple[int, int] = (1280, 900)
) -> Iterator[tuple[Any, list[str]]]:
    """A headless Chromium page at :data:`ORIGIN` that serves ``files`` (path -> (body, content type)) and ``html``
    for any other path (nothing reaches the network); yields the page, before navigating, and the list its uncaught
    errors fill."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})

            def route(r: Any) -> None:
                path = r.request.url[len(ORIGIN) :].split("?")[0]
                body, kind = files.get(path, (html.encode(), "text/html"))
                r.fulfill(status=200, body=body, headers={"content-type": kind})

            page.route(f"{ORIGIN}/**", route)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
        finally:
            browser.close()


def message_bytes(msg: dict[str, Any]) -> int:
    """Bytes of a custom message as the comm serialises it (JSON, no whitespace)."""
    return len(json.dumps({"method": "custom", "content": msg}, separators=(",", ":")))


def measure(
    trees: dict[str, tuple[dict[str, Any], dict[str, Any]]], reps: int, patch_rows: int = 100
) -> list[dict[str, Any]]:
    """First render and a ``patch_rows``-row patch for each tree (label -> (traits, snapshot)), ``reps`` times."""
    js, css = front_end()
    out: list[dict[str, Any]] = []
    files = {"/widget.js": (js, "text/javascript"), "/widget.css": (css, "text/css")}
    with bench_page(PAGE, files, viewport=(1280, 900)) as (page, errors):
        page.goto(f"{ORIGIN}/")
        page.wait_for_function("window.benchReady === true", timeout=30000)
        # One untimed render first: module compilation, style sheet parsing and fonts are paid once per page.
        warm_state, warm_snapshot = next(iter(trees.values()))
        page.evaluate("([s, m]) => window.bench.firstRender(s, m)", [warm_state, warm_snapshot])
        for label, (state, snapshot) in trees.items():
            first: list[float] = []
            first_sync: list[float] = []
            patch: list[float] = []
            patch_sync: list[float] = []
            in_dom = 0
            msg = patch_of(snapshot, state.get("styles", {}), patch_rows)
            for _ in range(reps):
                r1 = page.evaluate("([s, m]) => window.bench.firstRender(s, m)", [state, snapshot])
                first.append(r1["ms"] / 1000)
                first_sync.append(r1["sync_ms"] / 1000)
                in_dom = int(r1["rows_in_dom"])
                r2 = page.evaluate("(m) => window.bench.patch(m)", msg)
                patch.append(r2["ms"] / 1000)
                patch_sync.append(r2["sync_ms"] / 1000)
            out.append(
                {
                    "case": "browser",
                    "tree": label,
                    "rows": len(snapshot["rows"]),
                    "rows_in_dom": in_dom,
                    "snapshot_bytes": message_bytes(snapshot),
                    "first_render_s": to_json(Figure.of(first)),
                    "first_render_script_s": to_json(Figure.of(first_sync)),
                    "patch_rows": len(msg["rows"]),
                    "patch_bytes": message_bytes(msg),
                    "patch_bytes_per_row": message_bytes(msg) / max(len(msg["rows"]), 1),
                    "patch_s": to_json(Figure.of(patch)),
                    "patch_script_s": to_json(Figure.of(patch_sync)),
                    "page_errors": errors[:5],
                }
            )
    return out
