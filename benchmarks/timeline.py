"""The Timeline view in headless Chromium: its first render over a whole tree, and a live patch while it shows.

The page and the messages are those of :mod:`benchmarks.browser` (the kernel's real traits and snapshot of a synced
``wide`` execution, the widget's joined ES module, no Jupyter). One row in ten is given three attempts
(``attempt_spans``, as a retried node's row carries them) so the bars drawn include attempt segments.

Figures: ``first_render_s``, from the click on the Timeline toggle (the tree is on screen with every row loaded)
until two animation frames later (style, layout and paint included); ``patch_s``, a ``patch_rows``-row patch (phases
flipped across the tree, as a sync sends) while the timeline shows, until two frames later. Targets (issue 13):
first render of 10,000 rows < 1 s, a 100-row patch < 50 ms.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from .browser import FIRST_RENDER_JS, HOST_STYLE, ORIGIN, bench_html, bench_page, front_end, message_bytes, patch_of
from .stats import Figure, to_json

#: ``window.bench.timeline()``: after ``firstRender``, ms from the click on "Timeline" to the frame after it drew.
_TIMELINE_JS = """
window.bench.timeline = async () => {
  const button = document.querySelector('[data-action="view"][data-view="timeline"]');
  const t0 = performance.now();
  button.click();
  void document.body.getBoundingClientRect().height;
  const sync = performance.now() - t0;
  await frames();
  return {
    ms: performance.now() - t0,
    sync_ms: sync,
    rows_in_dom: document.querySelectorAll(".fxw-tv-row").length,
    segments: document.querySelectorAll(".fxw-tv-seg").length,
  };
};
"""

#: Every how many rows one is given attempt spans.
RETRIED_EVERY = 10


def with_attempts(snapshot: dict[str, Any]) -> dict[str, Any]:
    """``snapshot`` with every :data:`RETRIED_EVERY`-th row retried: three attempts (two failed) within its run."""
    out = copy.deepcopy(snapshot)
    for row in out["rows"][::RETRIED_EVERY]:
        start = row.get("started_at")
        if not start or row.get("duration_s") is None:
            continue
        t = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        third = float(row["duration_s"]) / 3
        row["attempts"] = 3
        row["attempt_spans"] = [
            {
                "phase": phase,
                "started_at": (t + dt.timedelta(seconds=i * third)).isoformat().replace("+00:00", "Z"),
                "duration_s": third * 0.8,
            }
            for i, phase in enumerate(("FAILED", "FAILED", "SUCCEEDED"))
        ]
    return out


def measure(
    trees: dict[str, tuple[dict[str, Any], dict[str, Any]]], reps: int, patch_rows: int = 100
) -> list[dict[str, Any]]:
    """The timeline's first render and a ``patch_rows``-row patch for each tree (label -> (traits, snapshot))."""
    js, css = front_end()
    html = bench_html("flyteexec-widget timeline bench", FIRST_RENDER_JS + _TIMELINE_JS, style=HOST_STYLE)
    out: list[dict[str, Any]] = []
    files = {"/widget.js": (js, "text/javascript"), "/widget.css": (css, "text/css")}
    with bench_page(html, files, viewport=(1280, 900)) as (page, errors):
        page.goto(f"{ORIGIN}/")
        page.wait_for_function("window.benchReady === true", timeout=30000)
        warm_state, warm_snapshot = next(iter(trees.values()))
        page.evaluate("([s, m]) => window.bench.firstRender(s, m)", [warm_state, with_attempts(warm_snapshot)])
        page.evaluate("() => window.bench.timeline()")
        for label, (state, plain) in trees.items():
            snapshot = with_attempts(plain)
            msg = patch_of(snapshot, state.get("styles", {}), patch_rows)
            first: list[float] = []
            first_sync: list[float] = []
            patch: list[float] = []
            patch_sync: list[float] = []
            in_dom = segments = 0
            for _ in range(reps):
                page.evaluate("([s, m]) => window.bench.firstRender(s, m)", [state, snapshot])
                r1 = page.evaluate("() => window.bench.timeline()")
                first.append(r1["ms"] / 1000)
                first_sync.append(r1["sync_ms"] / 1000)
                in_dom, segments = int(r1["rows_in_dom"]), int(r1["segments"])
                r2 = page.evaluate("(m) => window.bench.patch(m)", msg)
                patch.append(r2["ms"] / 1000)
                patch_sync.append(r2["sync_ms"] / 1000)
            out.append(
                {
                    "case": "timeline",
                    "tree": label,
                    "rows": len(snapshot["rows"]),
                    "retried_rows": sum(1 for r in snapshot["rows"] if r.get("attempt_spans")),
                    "rows_in_dom": in_dom,
                    "segments_in_dom": segments,
                    "snapshot_bytes": message_bytes(snapshot),
                    "first_render_s": to_json(Figure.of(first)),
                    "first_render_script_s": to_json(Figure.of(first_sync)),
                    "patch_rows": len(msg["rows"]),
                    "patch_s": to_json(Figure.of(patch)),
                    "patch_script_s": to_json(Figure.of(patch_sync)),
                    "page_errors": errors[:5],
                }
            )
    return out
