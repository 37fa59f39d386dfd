// The Graph view's layout (static/graph.js): layers follow the edges, nothing overlaps, crossings go down, and the
// same graph always gets the same picture.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  GRAPH_DUMMY_BUDGET,
  GRAPH_GAPS,
  GRAPH_MAX_NODES,
  GRAPH_NODE_MAX_W,
  clusterHeaderWidth,
  countCrossings,
  drawnCount,
  edgePath,
  graphLabel,
  graphNodeSize,
  innerGraph,
  layeredLayout,
  nestedLayout,
} from "../../../flyteexec_widget/display/static/graph.js";

/** @param {string[]} ids */
const boxes = (ids, w = 100, h = 40) => ids.map((id) => ({ id, w, h }));

/** A deterministic pseudo-random DAG: `n` nodes, edges only from lower to higher index. */
function randomDag(n, seed = 7) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  /** @type {[string, string][]} */
  const edges = [];
  for (let i = 1; i < n; i++) {
    const k = 1 + Math.floor(rnd() * 2);
    for (let j = 0; j < k; j++) edges.push([ids[Math.floor(rnd() * i)], ids[i]]);
  }
  return { ids, edges };
}

/** @param {import("../../../flyteexec_widget/display/static/graph.js").Layout} lay */
function assertNoOverlap(lay) {
  const all = [...lay.nodes.entries()];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [a, p] = all[i];
      const [b, q] = all[j];
      const apart = p.x + p.w <= q.x || q.x + q.w <= p.x || p.y + p.h <= q.y || q.y + q.h <= p.y;
      assert.ok(apart, `${a} and ${b} overlap: ${JSON.stringify(p)} ${JSON.stringify(q)}`);
    }
  }
}

test("layers respect the edges: every edge points to a later layer, sources first, longest path", () => {
  const lay = layeredLayout(boxes(["a", "b", "c", "d"]), [
    ["a", "b"],
    ["b", "c"],
    ["a", "c"],
    ["c", "d"],
  ]);
  const layer = (/** @type {string} */ id) => lay.nodes.get(id)?.layer;
  assert.deepEqual(["a", "b", "c", "d"].map(layer), [0, 1, 2, 3]);
  for (const e of lay.edges) {
    const from = lay.nodes.get(e.from);
    const to = lay.nodes.get(e.to);
    assert.ok(from && to && from.layer < to.layer && from.x + from.w < to.x, `${e.from} -> ${e.to}`);
  }
  // a -> c spans two layers: routed straight across b's layer (a dummy there), from a's right to c's left
  const ac = lay.edges.find((e) => e.from === "a" && e.to === "c");
  const pts = ac?.points ?? [];
  assert.equal(pts.length, 4);
  assert.equal(pts[0][0], (lay.nodes.get("a")?.x ?? 0) + 100);
  assert.equal(pts[3][0], lay.nodes.get("c")?.x);
  const b = lay.nodes.get("b");
  assert.ok(b && pts[1][1] === pts[2][1] && (pts[1][1] < b.y || pts[1][1] > b.y + b.h), "passes beside b, not through");
});

test("a random 200-node DAG: edges go forward, no two nodes overlap, the box holds them all", () => {
  const { ids, edges } = randomDag(200);
  const lay = layeredLayout(boxes(ids), edges);
  // and no edge runs through a node: the straight runs across columns miss every node of that column
  for (const e of lay.edges) {
    for (let i = 0; i + 1 < e.points.length; i++) {
      const [[x0, y0], [x1, y1]] = [e.points[i], e.points[i + 1]];
      if (y0 !== y1 || x1 <= x0) continue;
      for (const [id, p] of lay.nodes) {
        if (id === e.from || id === e.to) continue;
        const inside = y0 > p.y && y0 < p.y + p.h && x0 < p.x + p.w && x1 > p.x;
        assert.ok(!inside, `${e.from}->${e.to} runs through ${id}`);
      }
    }
  }
  assert.equal(lay.nodes.size, 200);
  for (const [u, v] of edges) assert.ok((lay.nodes.get(u)?.layer ?? 0) < (lay.nodes.get(v)?.layer ?? 0));
  assertNoOverlap(lay);
  for (const [, p] of lay.nodes) {
    assert.ok(p.x >= 0 && p.y >= -1e-9 && p.x + p.w <= lay.width + 1e-9 && p.y + p.h <= lay.height + 1e-9);
  }
});

test("crossings are reduced on a known case (two crossed pairs untangle to zero)", () => {
  // a1 feeds the LAST of layer 2, a2 the first: in input order every edge crosses the other.
  const ids = ["a1", "a2", "a3", "b3", "b2", "b1"];
  /** @type {[string, string][]} */
  const edges = [
    ["a1", "b1"],
    ["a2", "b2"],
    ["a3", "b3"],
  ];
  const none = layeredLayout(boxes(ids), edges, { sweeps: 0 });
  assert.equal(none.crossings, 3);
  const swept = layeredLayout(boxes(ids), edges);
  assert.equal(swept.crossings, 0);
  const y = (/** @type {string} */ id) => swept.nodes.get(id)?.y ?? NaN;
  assert.ok(y("b1") < y("b2") && y("b2") < y("b3"), "the lower layer follows the upper one's order");
  // and on a bigger graph, the sweeps never make it worse than the initial order
  const { ids: rid, edges: redges } = randomDag(120, 3);
  const before = layeredLayout(boxes(rid), redges, { sweeps: 0 }).crossings;
  const after = layeredLayout(boxes(rid), redges).crossings;
  assert.ok(after < before, `${after} < ${before}`);
});

test("countCrossings counts pairs of edges that cross between two layers", () => {
  assert.equal(countCrossings([]), 0);
  assert.equal(countCrossings([[0, 0], [1, 1]]), 0);
  assert.equal(countCrossings([[0, 1], [1, 0]]), 1);
  assert.equal(countCrossings([[0, 2], [1, 1], [2, 0]]), 3);
  assert.equal(countCrossings([[0, 0], [0, 1], [1, 0]]), 1); // shared endpoints do not cross
  // the same as counting every pair, on a random bipartite set of edges
  let s = 5;
  const rnd = () => (s = (s * 48271) % 2147483647) % 17;
  const pairs = /** @type {[number, number][]} */ (Array.from({ length: 300 }, () => [rnd(), rnd()]));
  let brute = 0;
  for (const p of pairs) for (const q of pairs) if (p[0] < q[0] && p[1] > q[1]) brute++;
  assert.equal(countCrossings(pairs), brute);
});

test("the same graph gives the same layout, whatever the run", () => {
  const { ids, edges } = randomDag(80, 11);
  const a = layeredLayout(boxes(ids), edges);
  const b = layeredLayout(boxes(ids), edges);
  assert.deepEqual([...a.nodes.entries()], [...b.nodes.entries()]);
  assert.deepEqual(a.edges, b.edges);
});

test("bad data: cycles, self loops, duplicate and dangling edges still lay out every node", () => {
  const lay = layeredLayout(boxes(["a", "b", "c"]), [
    ["a", "b"],
    ["b", "c"],
    ["c", "a"],
    ["a", "a"],
    ["a", "b"],
    ["a", "ghost"],
  ]);
  assert.equal(lay.nodes.size, 3);
  assert.equal(lay.edges.length, 3); // the cycle's back edge is drawn, in its own direction
  const back = lay.edges.find((e) => e.from === "c" && e.to === "a");
  assert.ok(back);
  assertNoOverlap(lay);
});

test("an expanded subworkflow becomes a box around its inner graph; collapsed it is one node", () => {
  const graph = {
    nodes: [
      { id: "n0", name: "prep", kind: "task", node_id: "n0", key: "n0" },
      {
        id: "n1",
        name: "sub",
        kind: "subworkflow",
        node_id: "n1",
        key: "n1",
        graph: {
          nodes: [
            { id: "n0", name: "a", kind: "task", node_id: "n1-0-n0", key: "n1/n1-0-n0" },
            { id: "n1", name: "b", kind: "task", node_id: "n1-0-n1", key: "n1/n1-0-n1" },
          ],
          edges: /** @type {[string, string][]} */ ([["n0", "n1"]]),
        },
      },
    ],
    edges: /** @type {[string, string][]} */ ([["n0", "n1"]]),
  };
  const closed = nestedLayout(graph, new Set());
  const sub = closed.boxes.find((b) => b.node.id === "n1");
  assert.equal(sub?.inner, null);
  assert.deepEqual([sub?.w, sub?.h], [graphNodeSize(graph.nodes[1]).w, graphNodeSize(graph.nodes[1]).h]);
  const open = nestedLayout(graph, new Set(["n1"]));
  const box = open.boxes.find((b) => b.node.id === "n1");
  assert.ok(box?.inner);
  assert.equal(box.inner.boxes.length, 2);
  assert.ok(box.w >= box.inner.width + 2 * GRAPH_GAPS.pad && box.h >= box.inner.height + GRAPH_GAPS.header);
  assert.ok(open.width > closed.width);
});

test("long names are cut to the node's width; start and end are small", () => {
  const long = "x".repeat(200);
  assert.ok(graphLabel(long).endsWith("…"));
  assert.ok(graphNodeSize({ id: "n", name: long, kind: "task", node_id: "n", key: "n" }).w <= GRAPH_NODE_MAX_W);
  assert.equal(graphLabel("train"), "train");
  assert.deepEqual(graphNodeSize({ id: "start-node", name: "start", kind: "start", node_id: "", key: null }), {
    w: 56,
    h: 28,
  });
  assert.equal(edgePath([]), "");
  assert.match(edgePath([[0, 0], [10, 5]]), /^M0,0 C5,0 5,5 10,5$/);
});

test("a dynamic node opens into the graph fetched for it, once there is one", () => {
  const dyn = { id: "n0", name: "fan_out", kind: "dynamic", node_id: "n0", key: "n0", lazy: true };
  const graph = { nodes: [dyn], edges: /** @type {[string, string][]} */ ([]) };
  const fetched = new Map();
  assert.equal(innerGraph(dyn, fetched), null);
  const closedBox = nestedLayout(graph, new Set(["n0"]), fetched).boxes[0];
  assert.equal(closedBox.inner, null); // expanded but nothing fetched yet: one node
  fetched.set("n0", {
    nodes: [
      { id: "dn0", name: "square", kind: "task", node_id: "n0-0-dn0", key: "n0/n0-0-dn0" },
      { id: "dn1", name: "sum", kind: "task", node_id: "n0-0-dn1", key: "n0/n0-0-dn1" },
    ],
    edges: [["dn0", "dn1"]],
  });
  const open = nestedLayout(graph, new Set(["n0"]), fetched).boxes[0];
  assert.equal(open.inner?.boxes.length, 2);
  assert.equal(open.inner?.edges.length, 1);
});

test("long edges within a budget: a 600-node chain whose every node reads a workflow input lays out", () => {
  // Each node also has an edge from start-node (the compiler's data edge for a workflow input): one dummy per layer
  // spanned would be 180,000 dummies (and overflowed the stack); past the budget such edges are one direct curve.
  const ids = ["start-node", ...Array.from({ length: 600 }, (_, i) => `n${i}`)];
  /** @type {[string, string][]} */
  const edges = [];
  for (let i = 0; i < 600; i++) {
    edges.push(["start-node", `n${i}`]);
    if (i) edges.push([`n${i - 1}`, `n${i}`]);
  }
  const lay = layeredLayout(boxes(ids), edges);
  assert.equal(lay.nodes.size, 601);
  assert.equal(lay.edges.length, edges.length);
  assert.equal(lay.nodes.get("n599")?.layer, 600);
  const points = lay.edges.reduce((s, e) => s + e.points.length, 0);
  // at most 3 points per edge (out of its node, across its column, into its target) and 2 per dummy
  const budget = Math.max(GRAPH_DUMMY_BUDGET.min, GRAPH_DUMMY_BUDGET.perNode * ids.length);
  assert.ok(points <= 3 * edges.length + 2 * budget, `${points} routing points`);
  for (const e of lay.edges) {
    const to = lay.nodes.get(e.to);
    assert.deepEqual(e.points[e.points.length - 1], [to?.x, (to?.y ?? 0) + (to?.h ?? 0) / 2]); // ends on its node
  }
});

test("a failure node is laid out beside the end, with no edge drawn to it", () => {
  const node = (id, kind = "task", extra = {}) => ({ id, name: id, kind, node_id: id, key: id, ...extra });
  /** @type {import("../../../flyteexec_widget/display/static/graph.js").WorkflowGraph} */
  const graph = {
    nodes: [node("start-node", "start"), node("a"), node("b"), node("end-node", "end"), node("cleanup", "task", { failure: true })],
    edges: [["start-node", "a"], ["a", "b"], ["b", "end-node"]],
  };
  const lay = nestedLayout(graph, new Set());
  const box = (id) => lay.boxes.find((b) => b.node.id === id);
  assert.equal(box("cleanup")?.x, box("end-node")?.x); // the end's column, not the start's
  assert.ok(box("cleanup")?.y !== box("end-node")?.y);
  assert.equal(lay.edges.length, 3);
  assert.ok(lay.edges.every((e) => e.to !== "cleanup" && e.from !== "cleanup"));
  // an inner graph (no end): after its last nodes
  const inner = nestedLayout({ nodes: [node("a"), node("b"), node("fn", "task", { failure: true })], edges: [["a", "b"]] }, new Set());
  const ib = (id) => inner.boxes.find((b) => b.node.id === id);
  assert.equal(ib("fn")?.x, (ib("b")?.x ?? 0) + (ib("b")?.w ?? 0) + GRAPH_GAPS.layer);
  assert.equal(inner.edges.length, 1);
});

test("drawnCount: the nodes a draw lays out, inner graphs only where expanded (the cap on big graphs uses it)", () => {
  const node = (id, extra = {}) => ({ id, name: id, kind: "task", node_id: id, key: id, ...extra });
  const sub = { nodes: [node("s/a"), node("s/b", { graph: { nodes: [node("s/b/x")], edges: [] } })], edges: [] };
  const graph = { nodes: [node("a"), node("s", { kind: "subworkflow", graph: sub }), node("d", { lazy: true })], edges: [] };
  assert.equal(drawnCount(graph, new Set()), 3);
  const terminals = { nodes: [node("start-node", { kind: "start" }), ...graph.nodes, node("end-node", { kind: "end" })], edges: [] };
  assert.equal(drawnCount(terminals, new Set()), 3); // start and end are not the workflow's nodes
  assert.equal(drawnCount(graph, new Set(["s"])), 5);
  assert.equal(drawnCount(graph, new Set(["s", "s/b"])), 6);
  assert.equal(drawnCount(graph, new Set(["s/b"])), 3); // inside a collapsed node: not drawn
  const fetched = new Map([["d", { nodes: [node("d/1"), node("d/2")], edges: [] }]]);
  assert.equal(drawnCount(graph, new Set(["d"]), fetched), 5);
  assert.ok(GRAPH_MAX_NODES >= 200 && GRAPH_MAX_NODES < 2000); // the benchmark's 200 draw at once; 2,000 ask first
});

test("an opened node is wide enough for its header: name and phase line do not overlap", () => {
  const node = (id, extra = {}) => ({ id, name: id, kind: "task", node_id: id, key: id, ...extra });
  // all-kinds' branch "choose" with one short case: the inner graph is narrower than "choose  Succeeded · branch"
  const branch = node("choose", { kind: "branch", graph: { nodes: [node("ok")], edges: [] } });
  const lay = nestedLayout({ nodes: [branch], edges: [] }, new Set(["choose"]));
  const box = lay.boxes[0];
  const nameRight = 12 + "choose".length * 7;
  const subLeft = box.w - 30 - (18 + "branch".length) * 5.6; // the sub line is right-aligned at w - 30
  assert.ok(subLeft >= nameRight, `name ends at ${nameRight}, the phase line starts at ${subLeft} (w ${box.w})`);
  assert.ok(box.w >= clusterHeaderWidth(branch));
});
