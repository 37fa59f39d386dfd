"""The Graph view in headless Chromium: a ``size``-node compiled workflow, from the click on "Graph" to the frame
that shows it (the "graph" request answered by the page's stand-in model, layout, SVG, paint), and a live patch
while it is shown.

The workflow is ``bench-graph`` (registered here, in this process): ``size`` task nodes in layers of ``width``,
each node fed by one to three nodes of the layer before (a fixed pseudo-random choice), so the layout has real
crossings to reduce. It is played on an in-process stepped sandbox to mid-run and synced by this package, so the
rows (phases) and the graph are what a notebook would get: the graph from ``live.graph.workflow_graph`` of the
execution's compiled workflow, the traits and row snapshot from ``browser.widget_messages``.
"""

from __future__ import annotations

import json
import random
from typing import Any

from flyteexec_widget.sandbox.scenarios import SCENARIOS, Attempt, NodeSpec, Scenario, Script

from .browser import ORIGIN, bench_html, bench_page, patch_of
from .stats import Figure, to_json

NAME = "bench-graph"


def _layers(size: int, width: int) -> Script:
    rnd = random.Random(size * 1000 + width)
    nodes = []
    for i in range(size):
        layer = i // width
        prev_start = (layer - 1) * width
        ups: tuple[str, ...] = ()
        if layer > 0:
            prev = list(range(prev_start, prev_start + width))
            ups = tuple(f"n{j}" for j in sorted(rnd.sample(prev, rnd.randint(1, 3))))
        nodes.append(
            NodeSpec(
                id=f"n{i}",
                name=f"step_{layer}_{i % width}",
                upstream=ups,
                outputs={"o0": i},
                attempts=(Attempt(1.0 + (i % 3), queued_s=0.0),),
                queued_s=0.0,
            )
        )
    return Script(workflow=NAME, nodes=tuple(nodes), outputs={"n": size})


GRAPH = Scenario(
    NAME,
    "`size` task nodes in layers of `width`, each fed by 1-3 nodes of the layer before (benchmarks: Graph view)",
    _layers,
    {"size": 200, "width": 20},
    {"size": (1, 5000), "width": (1, 500)},
)

#: ``window.bench.graphRender(traits, snapshot, graph)``: a fresh view with its rows (the page's model answers the
#: view's "graph" request with ``graph``, as the kernel would); then ms from the click on "Graph" to the frame after
#: the graph was drawn.
GRAPH_RENDER_JS = """
let n = 0;
window.bench.graphRender = async (state, snapshot, graph) => {
  const el = fresh({ ...structuredClone(state), instance: "bench-graph-" + (n++) }, { graph });
  await render(el);
  model.emit("msg:custom", snapshot, []);
  await frames();
  const t0 = performance.now();
  el.querySelector('[data-action="view"][data-view="graph"]').click();
  await appears(el, ".fxw-graph-svg, .fxw-graph-big");
  // past GRAPH_MAX_NODES the view asks first: the figure is then the user's "Draw all" at once (no think time)
  const big = el.querySelector('[data-action="graph-draw-anyway"]');
  if (big) {
    big.click();
    await appears(el, ".fxw-graph-svg");
  }
  const sync = performance.now() - t0;
  await frames();
  return {
    ms: performance.now() - t0,
    sync_ms: sync,
    nodes: el.querySelectorAll(".fxw-gnode[data-key]").length,
    edges: el.querySelectorAll(".fxw-gedge").length,
  };
};
"""

PAGE = bench_html("flyteexec-widget graph bench", GRAPH_RENDER_JS)


def recorded(size: int = 200, width: int = 20, mid_s: float = 4.0) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Traits, row snapshot and graph of a ``bench-graph`` execution ``mid_s`` sandbox seconds after launch."""
    from flyteexec_widget.live.graph import workflow_graph
    from flyteexec_widget.live.model import ExecutionModel
    from flyteexec_widget.remote import Remote
    from flyteexec_widget.sandbox import Sandbox

    from .browser import widget_messages

    SCENARIOS.setdefault(NAME, GRAPH)
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        wf_id = sb.launch(NAME, size=size, width=width)
        sb.advance(mid_s)
        ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
        ex.sync()
        state, snapshot = widget_messages(ExecutionModel(ex), ex)
        graph = json.loads(json.dumps(workflow_graph(ex.flyte_workflow.to_flyte_idl())))
    return state, snapshot, graph


def measure(sizes: list[int], reps: int, patch_rows: int = 100) -> list[dict[str, Any]]:
    """First render of the Graph view and a ``patch_rows``-row patch while it is shown, for each graph size."""
    from flyteexec_widget.display import assets

    js = assets.joined_module().encode()
    css = assets.stylesheet().encode()
    out: list[dict[str, Any]] = []
    inputs = {size: recorded(size) for size in sizes}
    files = {"/widget.js": (js, "text/javascript"), "/widget.css": (css, "text/css")}
    with bench_page(PAGE, files, viewport=(1280, 900)) as (page, errors):
        page.goto(f"{ORIGIN}/")
        page.wait_for_function("window.benchReady === true", timeout=30000)
        # One untimed run first: module compilation and style sheet parsing are paid once per page.
        first_size = sizes[0]
        page.evaluate("([s, m, g]) => window.bench.graphRender(s, m, g)", list(inputs[first_size]))
        for size in sizes:
            state, snapshot, graph = inputs[size]
            msg = patch_of(snapshot, state.get("styles", {}), patch_rows)
            first: list[float] = []
            first_sync: list[float] = []
            patch: list[float] = []
            drawn: dict[str, Any] = {}
            for _ in range(reps):
                r1 = page.evaluate("([s, m, g]) => window.bench.graphRender(s, m, g)", [state, snapshot, graph])
                first.append(r1["ms"] / 1000)
                first_sync.append(r1["sync_ms"] / 1000)
                drawn = r1
                r2 = page.evaluate("(m) => window.bench.patch(m)", msg)
                patch.append(r2["ms"] / 1000)
            out.append(
                {
                    "case": "graph",
                    "graph": f"{NAME}-{size}",
                    "nodes": int(drawn.get("nodes", 0)),
                    "edges": int(drawn.get("edges", 0)),
                    "graph_bytes": len(json.dumps(graph, separators=(",", ":"))),
                    "first_render_s": to_json(Figure.of(first)),
                    "first_render_script_s": to_json(Figure.of(first_sync)),
                    "patch_rows": len(msg["rows"]),
                    "patch_s": to_json(Figure.of(patch)),
                    "page_errors": errors[:5],
                }
            )
    return out
