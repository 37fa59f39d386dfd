// @ts-check
/**
 * The Graph view: the workflow as compiled (the kernel's "graph" request, asked once per widget model), drawn as
 * SVG with a small layered layout, phases taken live from the rows the tree has (by row key).
 *
 * Layout (Sugiyama style, pure, tested under node): cycles broken by reversing DFS back edges, longest-path
 * layering, dummy nodes on edges that span layers, a few barycenter sweeps down and up keeping the order with the
 * fewest crossings, then coordinates: layers left to right, each node near the mean of its neighbours, packed
 * without overlap. A subworkflow or branch is one node until expanded; then its inner graph is laid out first and
 * the node becomes a box around it (a compound node at the outer level).
 *
 * Server text (names, ids) goes into the DOM only through textContent.
 */
import { NOT_STARTED, busyNote, cssToken } from "./widget.js";

/**
 * @typedef {{id: string, name: string, kind: string, node_id: string, key: string|null, graph?: WorkflowGraph,
 *   lazy?: boolean, failure?: boolean}} GraphNode
 * @typedef {{nodes: GraphNode[], edges: [string, string][]}} WorkflowGraph
 * @typedef {{id: string, w: number, h: number}} LayoutInput
 * @typedef {{x: number, y: number, w: number, h: number, layer: number, order: number}} Placed
 * @typedef {{from: string, to: string, points: [number, number][]}} RoutedEdge
 * @typedef {{nodes: Map<string, Placed>, edges: RoutedEdge[], width: number, height: number, crossings: number,
 *   layers: string[][]}} Layout
 */

/** Spacing of the layout, in px. */
export const GRAPH_GAPS = { layer: 48, node: 14, dummy: 6, pad: 12, header: 26 };
/** Barycenter sweeps (each one down and one up) before the best order found is kept. */
export const GRAPH_SWEEPS = 4;
/** A collapsed node's size; its width grows with its name up to GRAPH_NODE_MAX_W (longer names are cut). */
export const GRAPH_NODE_H = 42;
export const GRAPH_NODE_MIN_W = 110;
export const GRAPH_NODE_MAX_W = 230;
const GRAPH_CHAR_W = 7; // an average character of a name (12px, bold), for sizing without measuring
const GRAPH_SUB_CHAR_W = 5.6; // ... of the second line (11px)
const GRAPH_TEXT_PAD = 30; // left stripe, padding, the expander
const DUMMY_PREFIX = "\u0000d";

/**
 * Count the crossings between two adjacent layers: edges as (upper position, lower position) pairs. Two edges
 * cross when their upper ends and lower ends are in opposite orders (shared ends do not cross): the inversions of
 * the lower positions once sorted by upper then lower position, counted by merge sort in O(E log E).
 * @param {[number, number][]} pairs
 */
export function countCrossings(pairs) {
  const v = [...pairs].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((p) => p[1]);
  let n = 0;
  /** @type {number[]} */
  const tmp = new Array(v.length);
  for (let width = 1; width < v.length; width *= 2) {
    for (let lo = 0; lo < v.length - width; lo += 2 * width) {
      const mid = lo + width;
      const hi = Math.min(lo + 2 * width, v.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (v[j] < v[i]) {
          n += mid - i; // v[j] is below every v[i..mid) that precedes it
          tmp[k++] = v[j++];
        } else tmp[k++] = v[i++];
      }
      while (i < mid) tmp[k++] = v[i++];
      while (j < hi) tmp[k++] = v[j++];
      for (let t = lo; t < hi; t++) v[t] = tmp[t];
    }
  }
  return n;
}

/** Dummy nodes (one per layer an edge spans) a layout may add: `perNode` per node, at least `min`. */
export const GRAPH_DUMMY_BUDGET = { perNode: 8, min: 4000 };

/** The largest of `values`, or `empty` (a loop: spreading 100,000 values into Math.max overflows the stack). */
function graphMaxOf(/** @type {Iterable<number>} */ values, /** @type {number} */ empty) {
  let m = empty;
  for (const v of values) if (v > m) m = v;
  return m;
}

/**
 * Lay out a directed graph in layers, left to right.
 * @param {LayoutInput[]} nodes in a stable order (it breaks ties, so the same input gives the same layout)
 * @param {[string, string][]} edges upstream -> downstream; unknown ids, self loops and duplicates are ignored
 * @param {{sweeps?: number, gaps?: Partial<typeof GRAPH_GAPS>}} [opts]
 * @returns {Layout}
 */
export function layeredLayout(nodes, edges, opts = {}) {
  const gaps = { ...GRAPH_GAPS, ...(opts.gaps || {}) };
  const sweeps = opts.sweeps ?? GRAPH_SWEEPS;
  const size = new Map(nodes.map((n) => [n.id, n]));
  const ids = [...size.keys()];
  const index = new Map(ids.map((id, i) => [id, i]));

  // Edges, deduplicated; a cycle (bad data) is broken by reversing the DFS back edges.
  /** @type {Map<string, string[]>} */
  const out = new Map(ids.map((id) => [id, []]));
  const seen = new Set();
  /** @type {[string, string][]} */
  const kept = [];
  for (const [u, v] of edges) {
    const k = `${u}\u0001${v}`;
    if (u === v || !size.has(u) || !size.has(v) || seen.has(k)) continue;
    seen.add(k);
    kept.push([u, v]);
    out.get(u)?.push(v);
  }
  const state = new Map(); // 1: on the DFS stack, 2: done
  const reversed = new Set();
  for (const root of ids) {
    if (state.has(root)) continue;
    /** @type {[string, number][]} */
    const stack = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const succ = out.get(top[0]) || [];
      if (top[1] < succ.length) {
        const v = succ[top[1]++];
        if (state.get(v) === 1) reversed.add(`${top[0]}\u0001${v}`);
        else if (!state.has(v)) {
          state.set(v, 1);
          stack.push([v, 0]);
        }
      } else {
        state.set(top[0], 2);
        stack.pop();
      }
    }
  }
  /** @type {[string, string, boolean][]} acyclic edges, with whether each was reversed */
  const dag = kept.map(([u, v]) => (reversed.has(`${u}\u0001${v}`) ? [v, u, true] : [u, v, false]));

  // Longest-path layering over a topological order (Kahn; ties in input order).
  /** @type {Map<string, string[]>} */
  const preds = new Map(ids.map((id) => [id, []]));
  /** @type {Map<string, string[]>} */
  const succs = new Map(ids.map((id) => [id, []]));
  for (const [u, v] of dag) {
    succs.get(u)?.push(v);
    preds.get(v)?.push(u);
  }
  const indeg = new Map(ids.map((id) => [id, preds.get(id)?.length ?? 0]));
  const layer = new Map();
  /** @type {string[]} */
  const topo = [];
  let ready = ids.filter((id) => indeg.get(id) === 0);
  while (ready.length) {
    /** @type {string[]} */
    const next = [];
    for (const u of ready) {
      topo.push(u);
      const l = graphMaxOf((preds.get(u) || []).map((p) => layer.get(p) + 1), 0);
      layer.set(u, l);
      for (const v of succs.get(u) || []) {
        indeg.set(v, (indeg.get(v) ?? 1) - 1);
        if (indeg.get(v) === 0) next.push(v);
      }
    }
    ready = next.sort((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0));
  }

  // Dummy nodes where an edge spans more than one layer, so it is ordered (and routed) like a node.
  /** @type {Map<string, number>} */
  const layerOf = new Map(layer);
  /** @type {Map<string, string[]>} */
  const up = new Map(ids.map((id) => [id, []]));
  /** @type {Map<string, string[]>} */
  const down = new Map(ids.map((id) => [id, []]));
  /** @type {{from: string, to: string, chain: string[], reversed: boolean}[]} */
  const chains = [];
  let dummies = 0;
  // A dummy per layer spanned costs O(span) for each long edge: a 500-node chain whose every node reads a workflow
  // input (an edge from start-node each) would need 125,000 of them. Shortest edges get dummies first, within a
  // budget; the rest are drawn as one direct curve (they may pass over nodes, but the layout stays fast).
  const spanOf = (/** @type {[string, string, boolean]} */ e) => layerOf.get(e[1]) - layerOf.get(e[0]) - 1;
  const budget = Math.max(GRAPH_DUMMY_BUDGET.min, GRAPH_DUMMY_BUDGET.perNode * ids.length);
  const direct = new Set();
  let spent = 0;
  for (const e of [...dag].sort((a, b) => spanOf(a) - spanOf(b))) {
    if (spent + spanOf(e) > budget) direct.add(e);
    else spent += spanOf(e);
  }
  for (const e of dag) {
    const [u, v, rev] = e;
    const chain = [u];
    for (let l = direct.has(e) ? Infinity : layerOf.get(u) + 1; l < layerOf.get(v); l++) {
      const d = `${DUMMY_PREFIX}${dummies++}`;
      layerOf.set(d, l);
      up.set(d, []);
      down.set(d, []);
      chain.push(d);
    }
    chain.push(v);
    for (let i = 0; i + 1 < chain.length; i++) {
      down.get(chain[i])?.push(chain[i + 1]);
      up.get(chain[i + 1])?.push(chain[i]);
    }
    chains.push({ from: rev ? v : u, to: rev ? u : v, chain, reversed: rev });
  }
  const depth = graphMaxOf(layerOf.values(), -1) + 1;
  /** @type {string[][]} */
  let layers = Array.from({ length: depth }, () => []);
  // Initial order: topological order, each dummy right after the node its chain starts from.
  for (const id of topo) layers[layerOf.get(id)].push(id);
  for (const c of chains) for (const d of c.chain.slice(1, -1)) layers[layerOf.get(d)].push(d);

  /** @type {Map<string, number>} each node's index in its layer, kept up to date as layers are reordered */
  const pos = new Map();
  for (const l of layers) l.forEach((id, i) => pos.set(id, i));
  const crossings = () => {
    let n = 0;
    for (let l = 0; l + 1 < layers.length; l++) {
      /** @type {[number, number][]} */
      const pairs = [];
      for (const u of layers[l]) for (const v of down.get(u) || []) pairs.push([pos.get(u), pos.get(v)]);
      n += countCrossings(pairs);
    }
    return n;
  };
  /** @param {string[]} row @param {Map<string, string[]>} nbrs */
  const byBarycenter = (row, nbrs) => {
    const bary = new Map();
    row.forEach((id, i) => {
      const ns = nbrs.get(id) || [];
      bary.set(id, ns.length ? ns.reduce((s, n) => s + pos.get(n), 0) / ns.length : i);
    });
    // stable: equal barycenters keep their current order
    const out = row.map((id, i) => [id, i]).sort((a, b) => bary.get(a[0]) - bary.get(b[0]) || +a[1] - +b[1]).map((p) => String(p[0]));
    out.forEach((id, i) => pos.set(id, i));
    return out;
  };
  let best = layers.map((l) => [...l]);
  let bestCrossings = crossings();
  for (let s = 0; s < sweeps && bestCrossings > 0; s++) {
    for (let l = 1; l < layers.length; l++) layers[l] = byBarycenter(layers[l], up);
    for (let l = layers.length - 2; l >= 0; l--) layers[l] = byBarycenter(layers[l], down);
    const c = crossings();
    if (c < bestCrossings) {
      bestCrossings = c;
      best = layers.map((l) => [...l]);
    }
  }
  layers = best;

  // Coordinates: x by layer (as wide as its widest node), y near the neighbours' mean, packed without overlap.
  const isDummy = (/** @type {string} */ id) => id.startsWith(DUMMY_PREFIX);
  const hOf = (/** @type {string} */ id) => (isDummy(id) ? 0 : size.get(id)?.h ?? 0);
  const wOf = (/** @type {string} */ id) => (isDummy(id) ? 0 : size.get(id)?.w ?? 0);
  const gapOf = (/** @type {string} */ id) => (isDummy(id) ? gaps.dummy : gaps.node);
  const xs = [];
  let x = 0;
  for (const l of layers) {
    xs.push(x);
    x += graphMaxOf(l.map(wOf), 0) + gaps.layer;
  }
  const width = Math.max(0, x - gaps.layer);
  /** @type {Map<string, number>} centre y of each node */
  const cy = new Map();
  /** @param {string[]} row @param {(id: string) => number|null} want */
  const pack = (row, want) => {
    let y = 0;
    /** @type {number[]} */
    const tops = [];
    const desired = row.map((id) => want(id));
    row.forEach((id, i) => {
      const d = desired[i];
      const top = d === null ? y : Math.max(y, d - hOf(id) / 2);
      tops.push(top);
      y = top + hOf(id) + gapOf(id);
    });
    // the forward pass only pushes down: shift the layer back by the mean of what it pushed
    let shift = 0;
    let n = 0;
    row.forEach((id, i) => {
      const d = desired[i];
      if (d !== null) {
        shift += d - (tops[i] + hOf(id) / 2);
        n++;
      }
    });
    const by = n ? shift / n : 0;
    row.forEach((id, i) => cy.set(id, tops[i] + by + hOf(id) / 2));
  };
  for (const l of layers) pack(l, () => null);
  /** @param {Map<string, string[]>} nbrs */
  const meanOf = (nbrs) => (/** @type {string} */ id) => {
    const ns = (nbrs.get(id) || []).filter((n) => cy.has(n));
    return ns.length ? ns.reduce((s, n) => s + (cy.get(n) ?? 0), 0) / ns.length : null;
  };
  for (let pass = 0; pass < 2; pass++) {
    for (let l = 1; l < layers.length; l++) pack(layers[l], meanOf(up));
    for (let l = layers.length - 2; l >= 0; l--) pack(layers[l], meanOf(down));
  }
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [id, c] of cy) {
    minY = Math.min(minY, c - hOf(id) / 2);
    maxY = Math.max(maxY, c + hOf(id) / 2);
  }
  if (!Number.isFinite(minY)) minY = maxY = 0;
  /** @type {Map<string, Placed>} */
  const placed = new Map();
  layers.forEach((l, li) =>
    l.forEach((id, order) => {
      if (isDummy(id)) return;
      const w = wOf(id);
      const hgt = hOf(id);
      // left-aligned in its layer: every edge into the layer ends on the same line, none crosses a wider node
      placed.set(id, { x: xs[li], y: (cy.get(id) ?? 0) - hgt / 2 - minY, w, h: hgt, layer: li, order });
    }),
  );
  // Edges run straight across each layer's column at their own height (a column's nodes and dummies never
  // overlap there) and bend only in the gaps between columns, so no edge crosses a node of a wider column.
  const colW = layers.map((l) => graphMaxOf(l.map(wOf), 0));
  /** @type {RoutedEdge[]} */
  const routed = chains.map((c) => {
    /** @type {[number, number][]} */
    const points = [];
    c.chain.forEach((id, i) => {
      const l = layerOf.get(id);
      const yy = (cy.get(id) ?? 0) - minY;
      const right = xs[l] + colW[l];
      if (i === 0) {
        const p = placed.get(id);
        const x0 = p ? p.x + p.w : xs[l];
        points.push([x0, yy]);
        if (x0 < right) points.push([right, yy]);
      } else if (i === c.chain.length - 1) {
        points.push([placed.get(id)?.x ?? xs[l], yy]);
      } else {
        points.push([xs[l], yy], [right, yy]);
      }
    });
    if (c.reversed) points.reverse();
    return { from: c.from, to: c.to, points };
  });
  return { nodes: placed, edges: routed, width, height: maxY - minY, crossings: bestCrossings, layers: best };
}

/** @param {string} name a node's label as drawn (long names cut, the whole in its tooltip) */
export function graphLabel(name) {
  const max = Math.floor((GRAPH_NODE_MAX_W - GRAPH_TEXT_PAD) / GRAPH_CHAR_W);
  return name.length > max ? name.slice(0, max - 1) + "…" : name;
}

/** @param {GraphNode} n the size of a collapsed node */
export function graphNodeSize(n) {
  if (n.kind === "start" || n.kind === "end") return { w: 56, h: 28 };
  const name = graphLabel(n.name || n.id).length * GRAPH_CHAR_W;
  // the second line, "<phase label> · <kind>": room for the longest label ("Dynamic running")
  const sub = (18 + (n.kind || "").length) * GRAPH_SUB_CHAR_W;
  const w = Math.max(name, sub) + GRAPH_TEXT_PAD;
  return { w: Math.round(Math.min(GRAPH_NODE_MAX_W, Math.max(GRAPH_NODE_MIN_W, w))), h: GRAPH_NODE_H };
}

/**
 * An opened node's header: its name at the left, "<phase label> · <kind>" right-aligned before the expander; the
 * box is at least this wide so the two never overlap (a branch of one narrow case is narrower than its header).
 * @param {GraphNode} n
 */
export function clusterHeaderWidth(n) {
  const name = graphLabel(n.name || n.id).length * GRAPH_CHAR_W;
  const sub = (18 + (n.kind || "").length) * GRAPH_SUB_CHAR_W; // as graphNodeSize: the longest phase label
  return Math.ceil(12 + name + 8 + sub + 30); // name at x 12, a gap, the sub line ending 30 px from the right
}

/**
 * @typedef {{node: GraphNode, x: number, y: number, w: number, h: number, inner: Nested|null}} Box
 * @typedef {{boxes: Box[], edges: RoutedEdge[], width: number, height: number}} Nested
 */

/**
 * What is inside node `n`: its compiled inner graph, or the one fetched for it (a dynamic or launch-plan node).
 * @param {GraphNode} n @param {Map<string, WorkflowGraph>} fetched
 * @returns {WorkflowGraph|null}
 */
export function innerGraph(n, fetched) {
  return n.graph ?? (n.key ? fetched.get(n.key) : undefined) ?? null;
}

/**
 * Lay out `graph` with the nodes whose key is in `expanded` opened into their inner graphs (innermost first).
 * @param {WorkflowGraph} graph @param {Set<string>} expanded
 * @param {Map<string, WorkflowGraph>} [fetched] inner graphs fetched for dynamic and launch-plan nodes, by key
 * @returns {Nested}
 */
export function nestedLayout(graph, expanded, fetched = new Map()) {
  /** @type {Map<string, Nested>} */
  const inners = new Map();
  const inputs = graph.nodes.map((n) => {
    const g = innerGraph(n, fetched);
    if (g && n.key && expanded.has(n.key) && g.nodes.length) {
      const inner = nestedLayout(g, expanded, fetched);
      inners.set(n.id, inner);
      return {
        id: n.id,
        w: Math.max(GRAPH_NODE_MIN_W, inner.width + 2 * GRAPH_GAPS.pad, clusterHeaderWidth(n)),
        h: inner.height + GRAPH_GAPS.header + GRAPH_GAPS.pad,
      };
    }
    return { id: n.id, ...graphNodeSize(n) };
  });
  // A failure node has no edges: laid out (not drawn) as if it followed what the end follows, so it sits beside
  // the end rather than beside the start.
  const failures = new Set(graph.nodes.filter((n) => n.failure).map((n) => n.id));
  let edges = graph.edges;
  if (failures.size) {
    const end = graph.nodes.find((n) => n.kind === "end");
    const hasOut = new Set(graph.edges.map((e) => e[0]));
    const last = end
      ? graph.edges.filter((e) => e[1] === end.id).map((e) => e[0])
      : graph.nodes.filter((n) => !hasOut.has(n.id) && !failures.has(n.id)).map((n) => n.id);
    edges = [...edges, ...last.flatMap((u) => [...failures].map((f) => /** @type {[string, string]} */ ([u, f])))];
  }
  const lay = layeredLayout(inputs, edges);
  if (failures.size) lay.edges = lay.edges.filter((e) => !failures.has(e.to));
  const boxes = graph.nodes.map((n) => {
    const p = lay.nodes.get(n.id) || { x: 0, y: 0, w: 0, h: 0 };
    return { node: n, x: p.x, y: p.y, w: p.w, h: p.h, inner: inners.get(n.id) ?? null };
  });
  return { boxes, edges: lay.edges, width: lay.width, height: lay.height };
}

/**
 * Nodes drawn (start and end aside) at most without asking: past it the layout and the SVG take seconds, and
 * the page does not answer meanwhile (benchmark: 1.7 to 2.8 s for 2,000 nodes, 9.8 s for 5,000).
 */
export const GRAPH_MAX_NODES = 1500;

/**
 * How many nodes `nestedLayout` would lay out (start and end aside): the graph's, and those of every expanded
 * node inside it.
 * @param {WorkflowGraph} graph @param {Set<string>} expanded @param {Map<string, WorkflowGraph>} [fetched]
 * @returns {number}
 */
export function drawnCount(graph, expanded, fetched = new Map()) {
  let n = 0;
  for (const node of graph.nodes) {
    if (node.kind === "start" || node.kind === "end") continue; // not a node of the workflow (and tiny)
    n++;
    const g = innerGraph(node, fetched);
    if (g && node.key && expanded.has(node.key)) n += drawnCount(g, expanded, fetched);
  }
  return n;
}

/** @param {[number, number][]} pts an SVG path through the points, with horizontal tangents */
export function edgePath(pts) {
  if (!pts.length) return "";
  let d = `M${pts[0][0]},${pts[0][1]}`;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    const mx = (x0 + x1) / 2;
    d += ` C${mx},${y0} ${mx},${y1} ${x1},${y1}`;
  }
  return d;
}

const SVG_NS = "http://www.w3.org/2000/svg";
/** @param {string} tag @param {Record<string, string|number>} [attrs] @param {string} [text] */
function svgEl(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Per widget model: the graph once fetched (or the request under way), and which nodes are expanded. */
const GRAPH_STATE = new WeakMap();

/**
 * @param {object} shared the widget's SharedModel
 * @returns {{graph: WorkflowGraph|null, pending: Promise<WorkflowGraph>|null, error: string, expanded: Set<string>,
 *   fit: boolean, fetched: Map<string, WorkflowGraph>, fetching: Set<string>, allowed: number}}
 */
function graphStateOf(shared) {
  let st = GRAPH_STATE.get(shared);
  if (!st) {
    st = {
      graph: null,
      pending: null,
      error: "",
      expanded: new Set(),
      fit: false,
      fetched: new Map(),
      fetching: new Set(),
      allowed: 0, // drawn even past GRAPH_MAX_NODES, up to this many (the user asked)
    };
    GRAPH_STATE.set(shared, st);
  }
  return st;
}

let graphViews = 0;

/** The Graph view of one widget view: asks for the graph when first shown, redraws phases as rows change. */
export class GraphView {
  /**
   * @param {import("./widget.js").ViewContext} ctx
   * @param {(key: string) => void} onOpen a node was clicked: open the detail of its row
   */
  constructor(ctx, onOpen) {
    this.ctx = ctx;
    this.onOpen = onOpen;
    this.st = graphStateOf(ctx.shared);
    this.uid = `fxw-g${(graphViews++).toString(36)}${Math.random().toString(36).slice(2, 7)}`;
    this.el = document.createElement("div");
    this.el.className = "fxw-graph";
    this.el.hidden = true;
    this.note = document.createElement("div");
    this.note.className = "fxw-graph-note";
    this.canvas = document.createElement("div");
    this.canvas.className = "fxw-graph-canvas";
    const bar = document.createElement("div");
    bar.className = "fxw-graph-bar";
    this.fitBtn = document.createElement("button");
    this.fitBtn.type = "button";
    this.fitBtn.className = "fxw-btn";
    this.fitBtn.dataset.action = "graph-fit";
    this.fitBtn.textContent = "Fit to width";
    this.fitBtn.addEventListener("click", () => {
      this.st.fit = !this.st.fit;
      this._applyFit();
    });
    bar.append(this.note, this.fitBtn);
    this.el.append(bar, this.canvas);
    /** @type {Map<string, SVGGElement[]>} drawn nodes by row key */
    this.byKey = new Map();
    /** @type {Map<string, string[]>} */
    this.casesOf = new Map();
    this.drawn = false;
    this.defaultNote = "";
    this.canvas.addEventListener("click", (ev) => this._onClick(ev));
    this.canvas.addEventListener("keydown", (ev) => {
      // only on a node: a button in the canvas ("Draw all N nodes") keeps its own Enter and Space
      const onNode = /** @type {Element} */ (ev.target).closest?.(".fxw-gnode");
      if ((ev.key === "Enter" || ev.key === " ") && onNode) {
        ev.preventDefault();
        this._onClick(ev);
      }
    });
  }

  /** Shown: fetch the graph if this model has none yet, then draw. */
  show() {
    this.el.hidden = false;
    if (this.st.graph) {
      if (!this.drawn) this.draw();
      return;
    }
    if (!this.st.pending) {
      this.st.error = "";
      this.st.pending = this.ctx.requests.request("graph", "", {}, busyNote(this.note, "Loading the graph…"));
      this.st.pending.then(
        (g) => {
          this.st.graph = g;
        },
        (err) => {
          this.st.error = err?.message ?? String(err);
          this.st.pending = null; // asked again when shown again
        },
      );
    }
    this.note.textContent = "Loading the graph…";
    this.st.pending.then(
      () => !this.el.hidden && this.draw(),
      () => {
        this.note.textContent = `No graph: ${this.st.error}`;
      },
    );
  }

  /** Fit to width: the whole graph scaled down to the output's width (never up); else drawn at 100%. */
  _applyFit() {
    this.fitBtn.setAttribute("aria-pressed", String(this.st.fit));
    this.canvas.classList.toggle("fxw-graph-canvas--fit", this.st.fit);
  }

  hide() {
    this.el.hidden = true;
  }

  /** The widget shows another execution now (a relaunch it followed): forget this one's graph, in place (every
   * view of the widget holds the same state), and fetch the new one's if the graph is on screen. */
  reset() {
    Object.assign(this.st, { graph: null, pending: null, error: "", expanded: new Set(), fetched: new Map(), fetching: new Set() });
    this.drawn = false;
    this.byKey.clear();
    this.casesOf.clear();
    this.canvas.replaceChildren();
    if (!this.el.hidden) this.show();
  }

  /** Lay out and draw the whole graph (on first show, and when a node is expanded or collapsed). */
  draw() {
    const graph = this.st.graph;
    if (!graph) return;
    const count = drawnCount(graph, this.st.expanded, this.st.fetched);
    if (count > GRAPH_MAX_NODES && count > this.st.allowed) {
      this._tooBig(count);
      return;
    }
    const lay = nestedLayout(graph, this.st.expanded, this.st.fetched);
    const pad = 8;
    const svg = svgEl("svg", {
      class: "fxw-graph-svg",
      width: Math.ceil(lay.width + 2 * pad),
      height: Math.ceil(lay.height + 2 * pad),
      role: "group",
      "aria-label": "Workflow graph",
    });
    const defs = svgEl("defs");
    const marker = svgEl("marker", {
      id: `${this.uid}-arrow`,
      viewBox: "0 0 8 8",
      refX: 8,
      refY: 4,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto",
    });
    marker.append(svgEl("path", { d: "M0,0 L8,4 L0,8 z", class: "fxw-garrow" }));
    defs.append(marker);
    svg.append(defs);
    this.byKey = new Map();
    /** @type {Map<string, string[]>} an opened branch's key -> its cases' keys */
    this.casesOf = new Map();
    const root = svgEl("g", { transform: `translate(${pad},${pad})` });
    this._drawLevel(root, lay);
    svg.append(root);
    svg.setAttribute("viewBox", `0 0 ${svg.getAttribute("width")} ${svg.getAttribute("height")}`);
    this.canvas.replaceChildren(svg);
    this.drawn = true;
    this._applyFit();
    const n = graph.nodes.filter((x) => x.kind !== "start" && x.kind !== "end").length;
    this.defaultNote = `${n} node${n === 1 ? "" : "s"} at the top level. Click a node for its detail; ⊕ opens a subworkflow or branch.`;
    this.note.textContent = this.defaultNote;
    this.paintAll();
    this.applyFilter();
  }

  /** Too many nodes to draw without freezing the page for seconds: say so, and draw only when asked. @param {number} count */
  _tooBig(count) {
    this.byKey = new Map();
    this.casesOf = new Map();
    this.drawn = false;
    const box = document.createElement("div");
    box.className = "fxw-graph-big";
    const text = document.createElement("p");
    text.textContent =
      `This graph has ${count.toLocaleString("en-US")} nodes. Drawing more than ${GRAPH_MAX_NODES.toLocaleString("en-US")} ` +
      "takes seconds, and the page does not answer meanwhile. The tree shows every node at once.";
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "fxw-btn";
    btn.dataset.action = "graph-draw-anyway";
    btn.textContent = `Draw all ${count.toLocaleString("en-US")} nodes`;
    btn.addEventListener("click", () => {
      this.st.allowed = count;
      this.note.textContent = `Drawing ${count.toLocaleString("en-US")} nodes…`;
      // a frame first, so the note shows before the page is busy
      requestAnimationFrame(() => setTimeout(() => this.draw(), 0));
    });
    box.append(text, btn);
    this.canvas.replaceChildren(box);
    this.note.textContent = `${count.toLocaleString("en-US")} nodes: not drawn yet.`;
  }

  /** @param {SVGElement} parent @param {Nested} lay */
  _drawLevel(parent, lay) {
    const edges = svgEl("g", { class: "fxw-gedges" });
    for (const e of lay.edges) {
      edges.append(
        svgEl("path", {
          d: edgePath(e.points),
          class: "fxw-gedge",
          "marker-end": `url(#${this.uid}-arrow)`,
          "data-from": e.from,
          "data-to": e.to,
        }),
      );
    }
    parent.append(edges);
    for (const b of lay.boxes) parent.append(this._drawNode(b));
  }

  /** @param {Box} b */
  _drawNode(b) {
    const n = b.node;
    const g = /** @type {SVGGElement} */ (svgEl("g", { transform: `translate(${b.x},${b.y})`, "data-id": n.id, "data-kind": n.kind }));
    const terminal = n.kind === "start" || n.kind === "end";
    if (terminal) {
      g.setAttribute("class", "fxw-gnode fxw-gterminal");
      g.append(svgEl("rect", { width: b.w, height: b.h, rx: b.h / 2, class: "fxw-gbox" }));
      g.append(svgEl("text", { x: b.w / 2, y: b.h / 2 + 4, "text-anchor": "middle", class: "fxw-gsub" }, n.name));
      return g;
    }
    const key = n.key || "";
    g.dataset.key = key;
    g.dataset.name = n.name || "";
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    if (n.failure) g.dataset.failure = "true";
    const about = n.failure ? `${n.kind}, runs only if the workflow fails` : n.kind;
    const title = svgEl("title", {}, `${n.name} (${n.id}, ${about})`);
    g.append(title);
    g.append(svgEl("rect", { width: b.w, height: b.h, rx: 6, class: "fxw-gbox" }));
    g.append(svgEl("rect", { width: 4, height: b.h, rx: 2, class: "fxw-gstripe" }));
    g.append(svgEl("text", { x: 12, y: 17, class: "fxw-gname" }, graphLabel(n.name || n.id)));
    const sub = svgEl("text", { x: 12, y: 34, class: "fxw-gsub" });
    g.append(sub);
    const inside = innerGraph(n, this.st.fetched);
    if ((inside && inside.nodes.length) || n.lazy) {
      const open = this.st.expanded.has(key) && Boolean(b.inner);
      const exp = svgEl("g", {
        class: "fxw-gexp",
        transform: `translate(${b.w - 22},5)`,
        "data-action": "graph-expand",
        role: "button",
        tabindex: "0",
        "aria-expanded": String(open),
      });
      const what = inside ? `${inside.nodes.length} inside` : n.kind === "dynamic" ? "the workflow it generated" : "the workflow it launched";
      exp.append(svgEl("title", {}, open ? "Collapse" : `Expand (${what})`));
      if (n.lazy) exp.classList.add("fxw-gexp-lazy"); // shown once the node runs (paint)
      exp.append(svgEl("rect", { width: 16, height: 16, rx: 3, class: "fxw-gexp-box" }));
      exp.append(svgEl("path", { d: open ? "M4,8 H12" : "M4,8 H12 M8,4 V12", class: "fxw-gexp-sign" }));
      g.append(exp);
    }
    if (b.inner) {
      g.classList.add("fxw-gcluster");
      const inner = svgEl("g", { transform: `translate(${GRAPH_GAPS.pad},${GRAPH_GAPS.header})` });
      this._drawLevel(inner, b.inner);
      g.append(inner);
      if (n.kind === "branch") {
        // its cases: the one not chosen reads "Not taken" once the branch is done (repainted with the branch)
        const cases = b.inner.boxes.map((c) => c.node.key || "").filter(Boolean);
        this.casesOf.set(key, cases);
        for (const c of cases) for (const el of this.byKey.get(c) || []) el.dataset.branch = key;
      }
      sub.setAttribute("x", String(b.w - 30));
      sub.setAttribute("y", "17");
      sub.setAttribute("text-anchor", "end");
    }
    const list = this.byKey.get(key) || [];
    list.push(g);
    this.byKey.set(key, list);
    return g;
  }

  /** The toolbar's filter text (state.text): nodes whose name or id does not contain it are dimmed. */
  applyFilter() {
    const text = (this.ctx.state.text || "").trim().toLowerCase();
    let shown = 0;
    for (const els of this.byKey.values()) {
      for (const g of els) {
        const hit = !text || (g.dataset.name || "").toLowerCase().includes(text) || (g.dataset.id || "").toLowerCase().includes(text);
        g.classList.toggle("fxw-gdim", !hit);
        if (hit) shown++;
      }
    }
    if (!this.drawn) return;
    // a cleared filter gives the note back (it went on reading "N nodes match ..." with nothing typed)
    this.note.textContent = text ? `${shown} node${shown === 1 ? "" : "s"} match "${this.ctx.state.text.trim()}"` : this.defaultNote;
  }

  /** Phases of every drawn node, from the rows. */
  paintAll() {
    for (const key of this.byKey.keys()) this.paint(key);
  }

  /** @param {string} key repaint the node(s) of row `key` */
  paint(key) {
    const els = this.byKey.get(key);
    if (!els) return;
    const r = this.ctx.store.rows.get(key);
    const phase = r?.phase || NOT_STARTED;
    const style = this.ctx.styles.phase(phase);
    const color = r?.color || style?.color || "not-started";
    let label = r?.label || style?.label || "Not started";
    for (const g of els) {
      if (!r && g.dataset.branch && this.ctx.store.rows.get(g.dataset.branch)?.terminal) label = "Not taken";
      const keep = ["fxw-gcluster", "fxw-gdim"].filter((c) => g.classList.contains(c));
      g.setAttribute("class", ["fxw-gnode", `fxw-badge--${cssToken(color)}`, ...keep].join(" "));
      g.dataset.phase = phase;
      const sub = g.querySelector(":scope > .fxw-gsub");
      if (sub) sub.textContent = `${label} · ${g.dataset.failure ? "on failure" : r?.kind || g.dataset.kind}`;
      // what a dynamic or launch-plan node runs is known only once it runs
      const lazy = g.querySelector(":scope > .fxw-gexp-lazy");
      if (lazy) lazy.setAttribute("visibility", phase === NOT_STARTED ? "hidden" : "visible");
    }
  }

  /** @param {import("./widget.js").SharedChange} change rows changed in the store */
  showChange(change) {
    if (!this.drawn) return;
    if (change.kind === "patch") {
      for (const key of change.changed) {
        this.paint(key);
        for (const c of this.casesOf.get(key) || []) this.paint(c);
      }
    } else this.paintAll();
  }

  /** Expand every subworkflow and branch (or collapse all), then draw again. @param {boolean} open */
  expandAll(open) {
    const graph = this.st.graph;
    if (!graph) return;
    this.st.expanded.clear();
    if (open) {
      /** @param {WorkflowGraph} gr */
      const walk = (gr) => {
        for (const n of gr.nodes) {
          if (n.graph && n.key) {
            this.st.expanded.add(n.key);
            walk(n.graph);
          }
        }
      };
      walk(graph);
      for (const key of this.st.fetched.keys()) this.st.expanded.add(key); // not fetching more: only those known
    }
    this.draw();
  }

  /** Draw again, keeping the focus on node `key`'s expander. @param {string} key */
  _redraw(key) {
    this.draw();
    const sel = `.fxw-gnode[data-key="${CSS.escape(key)}"] > .fxw-gexp`;
    /** @type {SVGGElement|null} */ (this.canvas.querySelector(sel))?.focus();
  }

  /** Ask the kernel what dynamic or launch-plan node `key` ran, then show it expanded. @param {string} key */
  _fetchInner(key) {
    if (this.st.fetching.has(key)) return;
    this.st.fetching.add(key);
    this.ctx.requests
      .request("graph", key, {}, busyNote(this.note, "Loading what the node ran…"))
      .then(
        (g) => {
          this.st.fetched.set(key, g);
          this.st.expanded.add(key);
          if (!this.el.hidden) this._redraw(key);
        },
        (err) => {
          this.note.textContent = `Cannot expand: ${err?.message ?? String(err)}`;
        },
      )
      .finally(() => this.st.fetching.delete(key));
  }

  /** @param {Event} ev */
  _onClick(ev) {
    const target = /** @type {Element} */ (ev.target);
    const g = /** @type {SVGGElement|null} */ (target.closest?.(".fxw-gnode[data-key]") ?? null);
    if (!g) return;
    const key = g.dataset.key || "";
    if (target.closest(".fxw-gexp")) {
      if (this.st.expanded.has(key)) {
        this.st.expanded.delete(key);
        // a node still running may yet run something else (a retried dynamic node): asked again next time
        if (!this.ctx.store.rows.get(key)?.terminal) this.st.fetched.delete(key);
        this._redraw(key);
      } else if (g.querySelector(":scope > .fxw-gexp-lazy") && !this.st.fetched.has(key)) {
        this._fetchInner(key);
      } else {
        this.st.expanded.add(key);
        this._redraw(key);
      }
      return;
    }
    ev.stopPropagation();
    if (this.ctx.store.rows.has(key)) this.onOpen(key);
    else this.note.textContent = `${g.querySelector("title")?.textContent ?? key}: not run (no node execution yet).`;
  }
}
