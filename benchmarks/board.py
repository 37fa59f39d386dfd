"""``python -m benchmarks.board``: the board on a sweep (the issue's targets: 100 executions, 20 running, 5 ms added
latency; a refresh <= 25 RPCs and < 100 ms; the board's first render < 1 s in headless Chromium).

The sandbox runs in a child process (:class:`~.server.SandboxProcess`, stepped clock); ``n`` sweep trials are
launched (every fifth still trains an hour later, so ``n / 5`` run) and played for a minute. Then, with the latency
on: the board's first refresh (it reads every execution's inputs and outputs once), and ``reps`` steady refreshes
(one ``ListExecutions`` plus one top-level node listing per running execution). The first render is the board's
joined module (display/assets.py BOARD_MODULES) in a plain page with a stand-in for anywidget's model, fed the rows
the widget would get: from page load to the frame after the table was drawn ("cold", module compile included), and
again in the same page ("warm").
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from typing import Any

from .browser import ORIGIN, bench_page
from .server import SandboxProcess

P, D = "flytesnacks", "development"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>board bench</title><link rel="stylesheet" href="/board.css">
<style>body { margin: 0; width: 1400px; }</style></head><body><div id="host"></div>
<script type="module">
window.t0 = performance.now();
import board from "/board.js";
class FakeModel {
  constructor(state) { this.state = state; this.handlers = new Map(); }
  get(name) { return this.state[name]; }
  set(name, value) { this.state[name] = value; }
  save_changes() {}
  send(msg) {}
  on(event, cb) { if (!this.handlers.has(event)) this.handlers.set(event, []); this.handlers.get(event).push(cb); }
  off(event, cb) {}
}
const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
let cleanup = null;
window.bench = {
  async render(state) {
    if (cleanup) cleanup();
    const host = document.getElementById("host");
    host.replaceChildren();
    const el = document.createElement("div");
    host.append(el);
    const t0 = performance.now();
    cleanup = board.render({ model: new FakeModel(state), el });
    await frames();
    return { ms: performance.now() - t0, rows: el.querySelectorAll("tr.fxb-row").length };
  },
};
window.benchReady = true;
</script></body></html>
"""


def _fig(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure_refresh(n: int, latency_ms: float, reps: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Refresh figures and the widget's traits (for the render)."""
    from flyteexec_widget.live.board import BoardModel, BoardQuery, BoardSync
    from flyteexec_widget.remote import Remote

    with SandboxProcess(clock="stepped") as sb:
        for t in range(n):
            sb.launch("sweep", trial=t)
        sb.advance(60)
        sb.set_latency(latency_ms)
        remote = Remote.for_sandbox(sb.endpoint)
        try:
            sync = BoardSync(remote, BoardQuery.make(P, D, launch_plan="sandbox.sweep.wf"), metric="accuracy")
            model = BoardModel(sync)
            sb.reset_rpc_counts()
            t0 = time.perf_counter()
            model.update_from(sync.refresh())
            first_s = time.perf_counter() - t0
            first_rpcs = dict(sb.rpc_counts())
            times, rpcs = [], []
            for _ in range(reps):
                sb.reset_rpc_counts()
                t0 = time.perf_counter()
                model.update_from(sync.refresh())
                times.append(time.perf_counter() - t0)
                counts = sb.rpc_counts()
                rpcs.append(sum(counts.values()))
            result = {
                "executions": len(model.rows),
                "running": model.counts.get("RUNNING", 0),
                "latency_ms": latency_ms,
                "first_refresh_s": first_s,
                "first_refresh_rpcs": first_rpcs,
                "refresh_s": _fig(times),
                "refresh_rpcs": _fig([float(r) for r in rpcs]),
                "refresh_rpcs_by_method": dict(counts),
            }
            from flyteexec_widget.display.widget import phase_styles

            traits = {
                "rows": [dict(r) for r in model.rows.values()],
                "header": dict(model.header),
                "counts": dict(model.counts),
                "sync_status": dict(model.sync_status),
                "styles": phase_styles(),
                "can_act": True,
                "instance": "bench",
                "open_keys": [],
                "pinned": [],
            }
            return result, traits
        finally:
            remote.close()


def measure_render(traits: dict[str, Any], reps: int) -> dict[str, Any]:
    from flyteexec_widget.display import assets

    js = assets.joined_module(assets.BOARD_MODULES).encode()
    css = assets.stylesheet(assets.BOARD_STYLES).encode()
    files = {"/board.js": (js, "text/javascript"), "/board.css": (css, "text/css")}
    with bench_page(PAGE, files, viewport=(1400, 1000)) as (page, errors):
        t0 = time.perf_counter()
        page.goto(f"{ORIGIN}/")
        page.wait_for_function("window.benchReady === true", timeout=30000)
        cold = page.evaluate("(s) => window.bench.render(s)", traits)
        cold_s = time.perf_counter() - t0
        warm = [page.evaluate("(s) => window.bench.render(s)", traits)["ms"] / 1000 for _ in range(reps)]
        if errors:
            raise RuntimeError("the board page failed: " + "; ".join(errors))
        return {
            "rows_in_dom": cold["rows"],
            "cold_first_render_s": cold_s,
            "cold_render_call_s": cold["ms"] / 1000,
            "warm_render_s": _fig(warm),
        }


#: The board's client in the sandbox's per-client counts (its user agent's first word).
BOARD_AGENT = "flyteexec-widget-board"


def load(
    sb: SandboxProcess, n: int, seconds: float, latency: float, settle: bool, timeout_s: float = 120.0
) -> dict[str, Any]:
    """Load on FlyteAdmin of one board (the load section's third watcher): a board (as ``board()`` makes it, with
    its own scheduler and the accuracy metric) over a sweep of ``n`` trials launched on ``sb`` (a real-clock
    sandbox: every fifth trial trains for an hour, the rest end within seconds), watched for ``seconds`` of real
    time. ``settle``: the window starts once only the long trials run (else at once after the first refresh, which
    is reported apart as ``first_refresh``). Calls and response bytes as the sandbox counts them for the board's
    client."""
    from flyteexec_widget.display.board import Board
    from flyteexec_widget.live.board import BoardQuery
    from flyteexec_widget.live.scheduler import SyncScheduler

    from .clients import ours_remote

    sb.set_latency(latency)
    for t in range(n):
        sb.launch("sweep", trial=t)
    remote = ours_remote(sb.endpoint, agent=BOARD_AGENT)
    sched = SyncScheduler()
    board = Board(remote, BoardQuery.make(P, D, launch_plan="sandbox.sweep.wf"), metric="accuracy", scheduler=sched)
    try:
        started = time.monotonic()
        while board.watch.syncs < 1 and time.monotonic() - started < timeout_s:
            time.sleep(0.05)
        first = sb.client_counts(reset=True).get(BOARD_AGENT, (0, 0))
        while settle and time.monotonic() - started < timeout_s:
            counts = board.model.counts
            if sum(counts.values()) == n and counts.get("RUNNING", 0) == n // 5 and board.sync.refreshes > 1:
                break
            time.sleep(0.2)
        sb.client_counts(reset=True)
        syncs_before = board.watch.syncs
        t0 = time.perf_counter()
        time.sleep(seconds)
        calls, received = sb.client_counts().get(BOARD_AGENT, (0, 0))
        wall = time.perf_counter() - t0
        result = {
            "executions": len(board.model.rows),
            "running": board.model.counts.get("RUNNING", 0),
            "rpcs": calls,
            "bytes": received,
            "rpcs_per_s": calls / wall,
            "bytes_per_s": received / wall,
            "refreshes": board.watch.syncs - syncs_before,
            "rpcs_per_refresh": board.sync.last_rpc_count,
        }
    finally:
        board.close()
        sched.shutdown()
        remote.close()
    return {"seconds": wall, "first_refresh": {"rpcs": first[0], "bytes": first[1]}, **result}


def run(n: int = 100, latency_ms: float = 5.0, reps: int = 5, browser: bool = True) -> dict[str, Any]:
    result, traits = measure_refresh(n, latency_ms, reps)
    if browser:
        result["render"] = measure_render(traits, reps)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.board", description=__doc__.split("\n\n")[0])
    p.add_argument("--executions", type=int, default=100)
    p.add_argument("--latency-ms", type=float, default=5.0)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--no-browser", action="store_true")
    args = p.parse_args(argv)
    print(json.dumps(run(args.executions, args.latency_ms, args.reps, not args.no_browser), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
