// @ts-check
/**
 * The Timeline view (a toggle beside the tree) and the attempts list of a row's detail.
 *
 * Timeline: the tree's rows (same expansion, filter and attempt choice) as bars on one time axis: queued time and
 * running time as distinct segments, each attempt of a retried node (`Row.attempt_spans`) as its own segment in
 * its phase colour, cache hits marked, running bars growing with the clock and a "now" line while the execution
 * runs. Sort by start, duration or name (siblings stay under their parent); drag on the axis to zoom, double-click
 * it to reset. Rows have one height, so the window is plain arithmetic: only the rows in view are in the DOM.
 * Clicking a bar opens the row's detail under the chart, on the attempt clicked.
 *
 * Attempts: every attempt of a node with its phase, start, queued and running time, reason, error (its exception
 * line, the whole text on expand) and its own log links, drawn at once from the row and completed by the kernel's
 * `attempts` answer (live/attempts.py), fetched again when the row's attempts change.
 *
 * Imports from ./widget.js are used only inside functions (display/assets.py joins the files into one module).
 */
import {
  NOT_STARTED,
  ROW_HEIGHT,
  TIME,
  busyNote,
  cssToken,
  errorSummary,
  fmtClock,
  fmtCount,
  fmtDuration,
  fmtUtc,
  indentPx,
  parseTime,
  rowMatcher,
  safeUrl,
  h,
  link,
  button,
} from "./widget.js";

// ------------------------------------------------------------------------------------------------------------
// Pure parts (exported for the node tests)
// ------------------------------------------------------------------------------------------------------------

/** Tick steps of the axis, in ms: the first that leaves room for every label is used. */
const TV_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map(
  (s) => s * 1000,
);
/** The narrowest range a zoom goes to (ms), and the drag below which a mouse-up is a click, not a zoom (px). */
export const TV_MIN_SPAN_MS = 1000;
export const TV_MIN_DRAG_PX = 4;
const TV_OVERSCAN = 10;
/** Room a bar's label ("Succeeded · 12m 05s") needs beside it, px. */
const TV_LABEL_PX = 150;

/** A linear map between times (ms since the epoch) and x (px from the left of the track). */
export class TimeScale {
  /** @param {number} t0 @param {number} t1 @param {number} width */
  constructor(t0, t1, width) {
    this.t0 = t0;
    this.t1 = Math.max(t1, t0 + 1);
    this.width = Math.max(1, width);
  }

  /** @param {number} t @returns {number} */
  x(t) {
    return ((t - this.t0) / (this.t1 - this.t0)) * this.width;
  }

  /** @param {number} x @returns {number} */
  t(x) {
    return this.t0 + (x / this.width) * (this.t1 - this.t0);
  }

  /**
   * Round times across the range at least `minGapPx` apart: the axis labels.
   * @param {number} [minGapPx] @returns {{step: number, ticks: number[]}}
   */
  ticks(minGapPx = 90) {
    const span = this.t1 - this.t0;
    const fit = Math.max(1, Math.floor(this.width / minGapPx));
    const step = TV_STEPS.find((s) => span / s <= fit) ?? Math.ceil(span / fit / 86400000) * 86400000;
    const ticks = [];
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) ticks.push(t);
    return { step, ticks };
  }
}

/**
 * The time range a drag on the axis from x0 to x1 zooms to, or null for a drag too short to mean it (a click).
 * @param {TimeScale} scale @param {number} x0 @param {number} x1 @returns {[number, number]|null}
 */
export function zoomRange(scale, x0, x1) {
  if (Math.abs(x1 - x0) < TV_MIN_DRAG_PX) return null;
  const clamp = (/** @type {number} */ x) => Math.min(scale.width, Math.max(0, x));
  let t0 = scale.t(clamp(Math.min(x0, x1)));
  let t1 = scale.t(clamp(Math.max(x0, x1)));
  if (t1 - t0 < TV_MIN_SPAN_MS) {
    const mid = (t0 + t1) / 2;
    t0 = mid - TV_MIN_SPAN_MS / 2;
    t1 = mid + TV_MIN_SPAN_MS / 2;
  }
  return [t0, t1];
}

/**
 * A part of a row's bar: `queued` (created -> started), `run` (started -> end, the row's phase), `span` (a retried
 * node's whole run, drawn faintly under its attempts), `attempt` (one attempt, its task phase).
 * @typedef {{seg: "queued"|"run"|"span"|"attempt", start: number, end: number, phase: string, color: string,
 *   attempt: number|null, live: boolean}} Segment
 */

/**
 * The segments of a row's bar at `nowMs` (a running row's last segment ends at now: it grows live). A row that
 * has not started, or has no time, has none.
 * @param {import("./widget.js").Row} r
 * @param {number} nowMs
 * @param {(phase: string) => {color: string}|undefined} taskStyle the style of a task phase (attempt colours)
 * @returns {Segment[]}
 */
export function rowSegments(r, nowMs, taskStyle) {
  if (r.phase === NOT_STARTED) return [];
  const created = parseTime(r.created_at);
  const started = parseTime(r.started_at);
  const base = started ?? created;
  if (base === null) return [];
  const running = !r.terminal;
  /** @type {Segment[]} */
  const out = [];
  if (created !== null && started !== null && started > created) {
    const times = { start: created, end: started, phase: "QUEUED", color: "queued" };
    out.push({ seg: "queued", ...times, attempt: null, live: false });
  } else if (started === null && running) {
    const end = Math.max(nowMs, base);
    out.push({ seg: "queued", start: base, end, phase: "QUEUED", color: "queued", attempt: null, live: true });
    return out;
  }
  let end = base;
  if (r.duration_s != null) end = base + r.duration_s * 1000;
  else if (running) end = Math.max(nowMs, base);
  const spans = r.attempt_spans || [];
  if (spans.length < 2) {
    out.push({ seg: "run", start: base, end, phase: r.phase, color: r.color, attempt: null, live: running });
    return out;
  }
  out.push({ seg: "span", start: base, end, phase: r.phase, color: r.color, attempt: null, live: running });
  spans.forEach((s, i) => {
    const start = parseTime(s.started_at);
    if (start === null) return;
    const last = i === spans.length - 1;
    const next = last ? null : parseTime(spans[i + 1].started_at);
    let stop = start;
    if (s.duration_s != null) stop = start + s.duration_s * 1000;
    else if (last && running) stop = Math.max(nowMs, start);
    else if (next !== null) stop = next;
    const color = taskStyle(s.phase)?.color ?? "undefined";
    const live = s.duration_s == null && last && running;
    out.push({ seg: "attempt", start, end: stop, phase: s.phase, color, attempt: i, live });
  });
  return out;
}

/** Below this width (px) a segment has no separator borders: they would cover all of it. */
export const TV_THIN_PX = 6;

/**
 * Where a segment is drawn on `scale`: its ends (clamped a little past the track), its width (at least 2 px, but
 * a span's) and whether it is `thin` (drawn without the attempt separator / live edge, which would hide it).
 * @param {TimeScale} scale @param {Segment} s @returns {{x0: number, x1: number, width: number, thin: boolean}}
 */
export function segBox(scale, s) {
  const clamp = (/** @type {number} */ x) => Math.max(-4, Math.min(scale.width + 4, x));
  const x0 = clamp(scale.x(s.start));
  const x1 = clamp(scale.x(s.end));
  const width = Math.max(s.seg === "span" ? 0 : 2, x1 - x0);
  return { x0, x1, width, thin: s.seg !== "span" && width < TV_THIN_PX };
}

/**
 * When a row starts (created, else started) and ends (its end, now while it runs), for sorting and the axis.
 * @param {import("./widget.js").Row} r @param {number} nowMs @returns {[number, number]|null}
 */
export function rowExtent(r, nowMs) {
  if (r.phase === NOT_STARTED) return null;
  const created = parseTime(r.created_at);
  const started = parseTime(r.started_at);
  const first = created ?? started;
  if (first === null) return null;
  const base = started ?? first;
  let end = base;
  if (r.duration_s != null) end = base + r.duration_s * 1000;
  else if (!r.terminal) end = Math.max(nowMs, base);
  for (const s of r.attempt_spans || []) {
    const t = parseTime(s.started_at);
    if (t !== null) end = Math.max(end, t + (s.duration_s ?? 0) * 1000);
  }
  return [first, Math.max(first, end)];
}

/** How the timeline orders siblings. */
export const TV_SORTS = { start: "start", duration: "duration (longest first)", name: "name" };

/**
 * The visible rows (depth-first, as RowStore.visible gives them) with each parent's children sorted by `by`;
 * a row stays under its parent. Rows without a time sort last; ties keep the tree's order.
 * @param {import("./widget.js").Row[]} rows @param {string} by "start" | "duration" | "name" @param {number} nowMs
 * @returns {import("./widget.js").Row[]}
 */
export function sortRows(rows, by, nowMs) {
  const index = new Map(rows.map((r, i) => [r.key, i]));
  /** @type {Map<string, import("./widget.js").Row[]>} */
  const kids = new Map();
  for (const r of rows) {
    const parent = r.parent && index.has(r.parent) ? r.parent : "";
    let list = kids.get(parent);
    if (!list) kids.set(parent, (list = []));
    list.push(r);
  }
  /** @type {Map<string, number>} */
  const keyOf = new Map();
  for (const r of rows) {
    const ext = rowExtent(r, nowMs);
    if (by === "start") keyOf.set(r.key, ext ? ext[0] : Infinity);
    else if (by === "duration") keyOf.set(r.key, ext ? -(ext[1] - ext[0]) : Infinity);
  }
  /** @param {import("./widget.js").Row} a @param {import("./widget.js").Row} b */
  const cmp = (a, b) => {
    if (by === "name") {
      const c = (a.name || a.key).localeCompare(b.name || b.key);
      if (c) return c;
    } else {
      const ka = keyOf.get(a.key) ?? Infinity;
      const kb = keyOf.get(b.key) ?? Infinity;
      if (ka !== kb) return ka < kb ? -1 : 1;
    }
    return (index.get(a.key) ?? 0) - (index.get(b.key) ?? 0);
  };
  for (const list of kids.values()) list.sort(cmp);
  /** @type {import("./widget.js").Row[]} */
  const out = [];
  const seen = new Set();
  const stack = [...(kids.get("") || [])].reverse();
  while (stack.length) {
    const r = /** @type {import("./widget.js").Row} */ (stack.pop());
    if (seen.has(r.key)) continue;
    seen.add(r.key);
    out.push(r);
    const list = kids.get(r.key) || [];
    for (let i = list.length - 1; i >= 0; i--) stack.push(list[i]);
  }
  return out;
}

/**
 * The axis's range: from the earliest start to the latest end of `extents` and the execution's own (`header`),
 * with a little room on the right; a minute before now when nothing has a time yet.
 * @param {Iterable<[number, number]>} extents @param {Record<string, any>} header @param {number} nowMs
 * @returns {[number, number]}
 */
export function timeDomain(extents, header, nowMs) {
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const [a, b] of extents) {
    if (a < t0) t0 = a;
    if (b > t1) t1 = b;
  }
  const hs = parseTime(header?.created_at) ?? parseTime(header?.started_at);
  if (hs !== null) {
    t0 = Math.min(t0, hs);
    const hb = parseTime(header?.started_at) ?? hs;
    const he = header?.duration_s != null ? hb + header.duration_s * 1000 : header?.terminal ? hb : nowMs;
    t1 = Math.max(t1, he);
  }
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) return [nowMs - 60000, nowMs];
  const span = Math.max(TV_MIN_SPAN_MS, t1 - t0);
  return [t0, t0 + span * 1.02];
}

// ------------------------------------------------------------------------------------------------------------
// DOM helpers (names unique across the joined files)
// ------------------------------------------------------------------------------------------------------------

/** An http(s) log link opening in a new tab, else the text alone (no class). @param {string} url @param {string} text */
function tvLink(url, text) {
  return safeUrl(url) ? link(url, text, "fxw-log") : h("span", "", text);
}

/** @param {string} label @param {string} color @param {string} phase */
function tvBadge(label, color, phase) {
  const b = h("span", `fxw-badge fxw-badge--${cssToken(color)}`, label);
  b.dataset.phase = phase;
  return b;
}

/** @param {number} ms a time as the view shows it: local clock, UTC on hover */
function tvTime(ms) {
  const t = h("span", "fxw-time", TIME.clock(ms, Date.now()));
  t.title = fmtUtc(new Date(ms).toISOString());
  return t;
}

// ------------------------------------------------------------------------------------------------------------
// What the timeline and the attempts lists remember, per widget model (kept as the tree's view state is)
// ------------------------------------------------------------------------------------------------------------

/**
 * @typedef {{
 *   sort: string, zoom: [number, number]|null, selected: {key: string, attempt: number|null}|null,
 *   attempts: Map<string, {sig: string, result: any}>, loading: Map<string, string>, prioritized: Set<string>,
 * }} TimelineState
 */

/** @type {WeakMap<object, TimelineState>} */
const TV_STATES = new WeakMap();

/** @param {object} shared the widget model's SharedModel @returns {TimelineState} */
export function timelineState(shared) {
  let st = TV_STATES.get(shared);
  if (!st) {
    st = { sort: "start", zoom: null, selected: null, attempts: new Map(), loading: new Map(), prioritized: new Set() };
    TV_STATES.set(shared, st);
  }
  return st;
}

// ------------------------------------------------------------------------------------------------------------
// Attempts in a row's detail
// ------------------------------------------------------------------------------------------------------------

/**
 * An attempt as the list shows it: what the kernel's `attempts` answer says, else what the row itself carries.
 * @typedef {{attempt: number, phase: string, label: string, color: string, terminal?: boolean,
 *   created_at?: string|null, started_at: string|null, duration_s: number|null, queued_s?: number|null,
 *   reason?: string, error?: {kind?: string, code?: string, message?: string}|null,
 *   logs: import("./widget.js").LogLink[], logs_omitted?: number, cache?: string, sameError?: boolean}} AttemptItem
 */

/** What makes a row's attempts worth fetching again. @param {import("./widget.js").Row} r */
function attemptsSig(r) {
  const spans = r.attempt_spans || [];
  return `${r.attempts}|${r.phase}|${spans.map((s) => s.phase + (s.duration_s ?? "")).join(",")}|${r.duration_s ?? ""}`;
}

/**
 * The attempts a row itself tells (before the kernel's answer): each of `attempt_spans`, or the one attempt
 * from the row's own times; the latest attempt carries the row's error.
 * @param {import("./widget.js").Row} r @param {(phase: string) => {label: string, color: string}|undefined} taskStyle
 * @returns {AttemptItem[]}
 */
export function attemptsFromRow(r, taskStyle) {
  const logs = r.logs || [];
  /** @param {number} i */
  const logsOf = (i) => logs.filter((l) => (l.attempt ?? 0) === i);
  const spans = r.attempt_spans || [];
  /** @type {AttemptItem[]} */
  const out = spans.map((s, i) => ({
    attempt: i,
    phase: s.phase,
    label: taskStyle(s.phase)?.label ?? s.phase,
    color: taskStyle(s.phase)?.color ?? "undefined",
    started_at: s.started_at,
    duration_s: s.duration_s,
    logs: logsOf(i),
  }));
  if (!out.length && (r.attempts || 0) > 0) {
    const i = Math.max(0, (r.attempts || 1) - 1);
    out.push({
      attempt: i,
      phase: r.phase,
      label: r.label || r.phase,
      color: r.color,
      started_at: r.started_at,
      duration_s: r.duration_s,
      queued_s: r.queued_s,
      logs: logsOf(i),
    });
  }
  if (out.length && r.error && r.terminal) out[out.length - 1].error = r.error;
  return out;
}

/**
 * The attempts section of a row's detail (DetailView.fillInfo appends it), or null for a row without attempts
 * (not started, a subworkflow, a gate...). Drawn at once from the row; the kernel's answer adds reasons, errors
 * and each attempt's log links (asked once per change of the row's attempts).
 * @param {import("./widget.js").ViewContext} ctx @param {import("./widget.js").Row} r
 * @returns {HTMLElement|null}
 */
export function attemptsSection(ctx, r) {
  if (r.phase === NOT_STARTED) return null;
  // Nodes that run task attempts list them; one whose attempts have not come yet says so (the sync may list them
  // after its first rows), a cache hit that nothing ran too. Subworkflows, branches, gates... have none.
  const runs = ["task", "dynamic", "array", "subtask"].includes(r.kind);
  if (!(r.attempts > 0) && !(r.attempt_spans || []).length && !runs) return null;
  const st = timelineState(ctx.shared);
  const box = h("div", "fxw-attempts");
  box.dataset.key = r.key;
  const sig = attemptsSig(r);
  const cached = st.attempts.get(r.key);
  const note = h("span", "fxw-action-status");
  const taskStyle = (/** @type {string} */ p) => ctx.styles.task(p);
  // Links past what a row carries are in the detail's full log list instead (rows.py MAX_LOGS_PER_ROW).
  const withLinks = !(r.logs_omitted > 0);
  /** @param {AttemptItem[]} items @param {number} omitted */
  const draw = (items, omitted) => {
    box.replaceChildren();
    const head = h("div", "fxw-attempts-head");
    head.append(h("span", "fxw-fact-k", `attempts (${fmtCount(items.length + omitted)})`), " ", note);
    box.append(head);
    if (omitted) box.append(h("div", "fxw-muted", `${fmtCount(omitted)} earlier attempts not listed`));
    if (!items.length) {
      const why = r.cache === "hit" ? "none: taken from the cache" : r.terminal ? "none reported" : "none reported yet";
      box.append(h("div", "fxw-muted fxw-attempts-none", why));
      return;
    }
    const list = h("ol", "fxw-attempt-list");
    const focus = st.selected?.key === r.key ? st.selected.attempt : null;
    // The row's own error is shown under the list (DetailView): an attempt that failed with it does not repeat it.
    const rowError = r.error?.message || "";
    for (const a of items) {
      const same = rowError !== "" && (a.error?.message || "").startsWith(rowError);
      list.append(attemptItem(same ? { ...a, error: null, sameError: true } : a, withLinks, focus === a.attempt));
    }
    box.append(list);
  };
  if (r.attempts === null) {
    // Not listed yet: the watch paints rows from the node listings first and lists attempts after. Say so (not
    // "none reported"), and have the kernel list this row's next, whichever view opened it (the tree's toggle,
    // a timeline segment, a jump to the failure); the patch that brings them draws this section again.
    draw([], 0);
    const none = box.querySelector(".fxw-attempts-none");
    if (none) none.textContent = "not listed yet: listing this node's attempts first…";
    box.querySelector(".fxw-fact-k")?.replaceChildren("attempts");
    if (!st.prioritized.has(r.key) && !ctx.shared.offline) {
      st.prioritized.add(r.key);
      ctx.requests.request("prioritize", r.key).catch(() => st.prioritized.delete(r.key));
    }
    return box;
  }
  st.prioritized.delete(r.key);
  if (cached) draw(cached.result.attempts || [], cached.result.omitted || 0);
  else draw(attemptsFromRow(r, taskStyle), 0);
  // offline (the kernel is gone) nothing can answer: the row's own attempts stay
  if ((!cached || cached.sig !== sig) && st.loading.get(r.key) !== sig && !ctx.shared.offline) {
    st.loading.set(r.key, sig);
    ctx.requests.request("attempts", r.key, {}, busyNote(note, "loading reasons and errors…")).then(
      (res) => {
        st.loading.delete(r.key);
        st.attempts.set(r.key, { sig, result: res || {} });
        note.textContent = "";
        draw(res?.attempts || [], res?.omitted || 0);
      },
      (err) => {
        st.loading.delete(r.key);
        note.className = "fxw-action-status fxw-action-status--error";
        note.textContent = `could not fetch the attempts: ${err?.message ?? err}`;
      },
    );
  }
  return box;
}

/** @param {number} start ms @param {number} now ms */
function attemptRunningText(start, now) {
  return ` running ${fmtDuration(Math.max(0, now - start) / 1000)}`;
}

/**
 * The running time of every running attempt listed under `root` (the tree's and the timeline's details), at `now`:
 * render()'s clock calls it with the other elapsed times, so an open detail's "running 12s" does not stand still.
 * @param {{querySelectorAll: (sel: string) => Iterable<any>}} root @param {number} now
 */
export function tickAttempts(root, now) {
  for (const el of root.querySelectorAll(".fxw-attempt-running[data-start]")) {
    el.textContent = attemptRunningText(Number(el.dataset.start), now);
  }
}

/**
 * One attempt: "#2", its phase, start (UTC on hover), queued and running time, cache, reason; its error (the
 * exception line, the whole text on expand); its log links.
 * @param {AttemptItem} a @param {boolean} withLinks @param {boolean} focus
 */
function attemptItem(a, withLinks, focus) {
  const li = h("li", "fxw-attempt-item" + (focus ? " fxw-attempt-item--focus" : ""));
  li.dataset.attempt = String(a.attempt);
  li.dataset.phase = a.phase;
  const line = h("div", "fxw-attempt-line");
  line.append(h("span", "fxw-attempt-no", `#${a.attempt + 1}`), tvBadge(a.label || a.phase, a.color, a.phase));
  const start = parseTime(a.started_at);
  if (start !== null) line.append(h("span", "fxw-fact-k", " started "), tvTime(start));
  if (a.queued_s != null && a.queued_s >= 0.1) {
    line.append(h("span", "fxw-fact-k", " queued "), fmtDuration(a.queued_s));
  }
  if (a.duration_s != null) line.append(h("span", "fxw-fact-k", " ran "), fmtDuration(a.duration_s));
  else if (start !== null && !a.terminal) {
    const run = h("span", "fxw-attempt-running", attemptRunningText(start, Date.now()));
    run.dataset.start = String(start); // tickAttempts moves it on with the clock
    line.append(run);
  }
  if (a.cache) line.append(h("span", "fxw-fact-k", " cache "), a.cache);
  if (a.reason) {
    const why = h("span", "fxw-attempt-reason", a.reason);
    why.title = a.reason;
    line.append(" ", why);
  }
  li.append(line);
  const err = a.error;
  if (a.sameError) li.append(h("div", "fxw-muted fxw-attempt-same", "failed with the error below"));
  if (err && (err.message || err.code)) {
    const det = /** @type {HTMLDetailsElement} */ (h("details", "fxw-errview fxw-attempt-error"));
    det.append(h("summary", "fxw-error", errorSummary(err.message || err.code || "")));
    /** @type {HTMLElement} */ (det.firstChild).title = [err.kind, err.code].filter(Boolean).join(" ");
    det.append(h("pre", "fxw-error-full", err.message || err.code || ""));
    det.open = focus;
    li.append(det);
  }
  if (withLinks && a.logs?.length) {
    const logs = h("div", "fxw-attempt-logs");
    logs.append(h("span", "fxw-fact-k", "logs "));
    for (const l of a.logs) if (safeUrl(l.uri)) logs.append(tvLink(l.uri, l.name || "log"), " ");
    if (a.logs_omitted) logs.append(h("span", "fxw-muted", `and ${fmtCount(a.logs_omitted)} more`));
    li.append(logs);
  }
  return li;
}

// ------------------------------------------------------------------------------------------------------------
// The Timeline view
// ------------------------------------------------------------------------------------------------------------

/**
 * A row in the DOM: its element, its track, the data it was drawn from, whether it was drawn expanded, and the
 * shape of its segments (what _drawBar can move in place).
 * @typedef {{el: HTMLElement, track: HTMLElement, data: import("./widget.js").Row, open: boolean, shape?: string}}
 *   TvEntry
 */

/**
 * The timeline: the controls, the axis, the windowed bars and the detail of the row clicked. Hidden until render()
 * shows it (the toolbar's view switch, state.view "timeline").
 */
export class TimelineView {
  /**
   * @param {import("./widget.js").ViewContext} ctx @param {{build: (r: any) => HTMLElement,
   *   fillInfo: (info: HTMLElement, r: any) => void}} detailView the tree's DetailView
   * @param {(key: string) => void} toggleExpanded expands or collapses a row in the shared expansion (the tree's
   *   own toggle: the tree redraws, and tells this view through itemsChanged)
   */
  constructor(ctx, detailView, toggleExpanded) {
    this.ctx = ctx;
    this.detailView = detailView;
    this.toggleExpanded = toggleExpanded;
    this.st = timelineState(ctx.shared);
    this.on = false;

    this.el = h("div", "fxw-tv");
    const controls = h("div", "fxw-tv-controls");
    const sortLabel = h("label", "fxw-tv-sortlabel", "Sort by ");
    this.sort = /** @type {HTMLSelectElement} */ (h("select", "fxw-tv-sort"));
    for (const [value, text] of Object.entries(TV_SORTS)) {
      const o = /** @type {HTMLOptionElement} */ (h("option", "", text));
      o.value = value;
      this.sort.append(o);
    }
    this.sort.value = this.st.sort;
    sortLabel.append(this.sort);
    this.rangeNote = h("span", "fxw-tv-range");
    this.reset = button("Reset zoom", "zoom-reset");
    const hint = h("span", "fxw-muted fxw-tv-hint", "drag on the axis to zoom, double-click to reset");
    controls.append(sortLabel, this.rangeNote, this.reset, hint);

    const head = h("div", "fxw-tv-head");
    this.nameHead = h("div", "fxw-tv-namehead", "Node");
    this.axis = h("div", "fxw-tv-axis");
    this.axis.title = "Drag to zoom to a range; double-click to reset";
    this.brush = h("div", "fxw-tv-brush");
    this.brush.hidden = true;
    head.append(this.nameHead, this.axis);

    this.viewport = h("div", "fxw-tv-viewport");
    this.spacer = h("div", "fxw-tv-spacer");
    this.nowLine = h("div", "fxw-tv-now");
    this.nowLine.title = "now";
    this.empty = h("div", "fxw-empty", "No nodes yet.");
    this.head = head;
    this.viewport.append(head, this.spacer, this.empty);
    this.detail = h("div", "fxw-tv-detail");
    this.el.append(controls, this.viewport, this.detail);

    /** @type {import("./widget.js").Row[]} */
    this.items = [];
    /** @type {Map<string, TvEntry>} */
    this.rendered = new Map();
    /** @type {WeakMap<object, [number, number]|null>} extents of terminal rows (they do not change) */
    this.extents = new WeakMap();
    this.scale = new TimeScale(0, 1, 1);
    this.scaleSig = "";
    this.itemsDirty = true;
    this.frame = 0;
    this.destroyed = false;
    /** @type {HTMLElement|null} */
    this.detailInfo = null;

    this.sort.addEventListener("change", () => {
      this.st.sort = this.sort.value;
      this.itemsChanged();
    });
    this.reset.addEventListener("click", () => this.zoom(null));
    this.axis.addEventListener("dblclick", () => this.zoom(null));
    this.axis.addEventListener("mousedown", (ev) => this._dragStart(ev));
    this.viewport.addEventListener("scroll", () => this.scheduleLayout());
    this.spacer.addEventListener("click", (ev) => this._onClick(ev));
    this.spacer.addEventListener("keydown", (ev) => {
      const t = /** @type {HTMLElement} */ (ev.target);
      if ((ev.key !== "Enter" && ev.key !== " ") || !t.classList?.contains("fxw-tv-seg")) return;
      ev.preventDefault(); // Space would scroll the output
      t.click();
    });
    this.detail.addEventListener("click", (ev) => {
      const t = /** @type {HTMLElement} */ (ev.target);
      if (t.closest('[data-action="tv-close"]')) this.select(null);
    });
    this.resizeObserver = typeof ResizeObserver === "function" ? new ResizeObserver(() => this.scheduleLayout()) : null;
    this.resizeObserver?.observe(this.viewport);
    this.resizeObserver?.observe(this.axis);
    /** @param {any} change */
    this.onShared = (change) => this._onShared(change);
    ctx.shared.views.add(this.onShared);
    this.el.hidden = true;
  }

  /** Shown (the other views are hidden by render()), or hidden. @param {boolean} on */
  show(on) {
    this.on = on;
    this.el.hidden = !on;
    if (on) {
      this.itemsDirty = true;
      this._renderDetail();
      this.layout();
    }
  }

  /** The tree's rows, expansion or filter changed (TreeView recomputed its visible list). */
  itemsChanged() {
    this.itemsDirty = true;
    this.scheduleLayout();
  }

  /** @param {[number, number]|null} range */
  zoom(range) {
    this.st.zoom = range;
    this.scaleSig = "";
    this.layout();
  }

  /** @param {{key: string, attempt: number|null}|null} sel */
  select(sel) {
    this.st.selected = sel;
    this._renderDetail();
    for (const [, e] of this.rendered) e.el.classList.toggle("fxw-tv-row--selected", e.data.key === sel?.key);
  }

  scheduleLayout() {
    if (this.frame || this.destroyed || !this.on) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.layout();
    });
  }

  /** @param {any} change a SharedChange */
  _onShared(change) {
    if (!this.on) {
      this.itemsDirty = true; // drawn again when shown
      return;
    }
    if (change.kind === "snapshot" || change.structural) this.itemsDirty = true;
    else if (change.kind === "patch") {
      // A changed row may leave the filter, or move in the duration order (running rows' durations grow). By
      // start or name a patch moves nothing: a new start time (created_at) comes as a structural change.
      const { state } = this.ctx;
      if (rowMatcher(state.phaseFilter, state.text) || this.st.sort === "duration") this.itemsDirty = true;
      const sel = this.st.selected?.key;
      if (sel && change.changed.has(sel)) this._refreshDetail();
    }
    if (change.kind === "snapshot") this._renderDetail();
    this.scheduleLayout();
  }

  /** @param {import("./widget.js").Row} r @param {number} now */
  _extent(r, now) {
    if (!r.terminal) return rowExtent(r, now);
    let ext = this.extents.get(r);
    if (ext === undefined) this.extents.set(r, (ext = rowExtent(r, now)));
    return ext;
  }

  /** The axis range: the zoom, else every row's times and the execution's. @param {number} now */
  _domain(now) {
    if (this.st.zoom) return this.st.zoom;
    const self = this;
    const rows = this.ctx.store.rows;
    function* extents() {
      for (const r of rows.values()) {
        const e = self._extent(r, now);
        if (e) yield e;
      }
    }
    return timeDomain(extents(), this.ctx.model.get("header") || {}, now);
  }

  /** Recompute what is stale, then draw the axis and the rows in view. @param {number} [now] */
  layout(now = this._now()) {
    if (this.destroyed || !this.on) return;
    const { state, store } = this.ctx;
    if (this.itemsDirty) {
      const match = rowMatcher(state.phaseFilter, state.text);
      this.items = sortRows(store.visible(state.expanded, match, state.attempts), this.st.sort, now);
      this.spacer.style.height = `${this.items.length * ROW_HEIGHT}px`;
      this.empty.hidden = this.items.length > 0;
      this.empty.textContent =
        store.version < 0 ? "Loading nodes…" : match ? "No node matches the filter." : "No nodes yet.";
      this.itemsDirty = false;
      // the order changed: rows in the DOM are placed again below
    }
    const width = this.axis.clientWidth;
    if (width < 2) {
      // not laid out (hidden, or the output is being resized): draw nothing at a bogus scale; the resize
      // observer (or the next tick) comes back
      this.scaleSig = "";
      return;
    }
    const [t0, t1] = this._domain(now);
    const sig = `${t0}|${t1}|${width}`;
    const rescaled = sig !== this.scaleSig;
    if (rescaled) {
      this.scale = new TimeScale(t0, t1, width);
      this.scaleSig = sig;
      this._drawAxis();
    }
    this.reset.hidden = !this.st.zoom;
    this.rangeNote.textContent = this.st.zoom
      ? `${TIME.clock(t0, now)} – ${TIME.clock(t1, now)} (${fmtDuration((t1 - t0) / 1000)})`
      : `${fmtDuration((t1 - t0) / 1000)} shown`;
    const top = Math.max(0, this.viewport.scrollTop - (this.head.offsetHeight || 0));
    const height = this.viewport.clientHeight || 400;
    const i0 = Math.max(0, Math.floor(top / ROW_HEIGHT) - TV_OVERSCAN);
    const i1 = Math.min(this.items.length, Math.ceil((top + height) / ROW_HEIGHT) + TV_OVERSCAN);
    const keep = new Set();
    for (let i = i0; i < i1; i++) {
      const r = store.rows.get(this.items[i].key) ?? this.items[i];
      keep.add(r.key);
      let e = this.rendered.get(r.key);
      if (!e) {
        e = this._buildRow(r, now);
        this.rendered.set(r.key, e);
        this.spacer.append(e.el);
      } else if (e.data !== r || (r.has_children && state.expanded.has(r.key) !== e.open)) {
        const fresh = this._buildRow(r, now);
        e.el.replaceWith(fresh.el);
        this.rendered.set(r.key, (e = fresh));
      } else if (rescaled || !r.terminal) {
        this._drawBar(e, now);
      }
      e.el.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    }
    for (const [key, e] of this.rendered) {
      if (!keep.has(key)) {
        e.el.remove();
        this.rendered.delete(key);
      }
    }
    this._drawNow(now);
  }

  _now() {
    const shared = this.ctx.shared;
    const last = shared.offline ? parseTime(this.ctx.model.get("sync_status")?.last_synced_at) : null;
    return last ?? Date.now();
  }

  _drawAxis() {
    const scale = this.scale;
    const now = this._now();
    this.axis.replaceChildren(this.brush);
    const { step, ticks } = scale.ticks();
    for (const t of ticks) {
      const tick = h("span", "fxw-tv-tick");
      tick.style.left = `${scale.x(t)}px`;
      // local time; seconds only where the steps are shorter than a minute; UTC on hover
      const label = step < 60000 ? TIME.time.format(t) : TIME.time.format(t).replace(/:\d\d$/, "");
      // the first tick says the day when it is not today
      const otherDay = t === ticks[0] && TIME.day.format(t) !== TIME.day.format(now);
      tick.textContent = otherDay ? TIME.clock(t, now) : label;
      tick.title = fmtUtc(new Date(t).toISOString());
      this.axis.append(tick);
    }
    // the rows' light guides (.fxw-tv-track's background) under the ticks: the axis and the tracks share an origin
    if (ticks.length) {
      const stepPx = scale.x(ticks[0] + step) - scale.x(ticks[0]);
      if (stepPx > 1) {
        this.viewport.style.setProperty("--fxw-tv-grid-step", `${stepPx}px`);
        this.viewport.style.setProperty("--fxw-tv-grid-start", `${scale.x(ticks[0])}px`);
      }
    }
  }

  /** @param {number} now */
  _drawNow(now) {
    const hd = this.ctx.model.get("header") || {};
    const x = this.scale.x(now);
    const show = !hd.terminal && !this.ctx.shared.offline && x >= 0 && x <= this.scale.width;
    if (!show) {
      this.nowLine.remove();
      return;
    }
    if (!this.nowLine.isConnected) this.spacer.append(this.nowLine);
    this.nowLine.style.left = `calc(var(--fxw-tv-name) + ${x}px)`;
    this.nowLine.style.height = `${Math.max(this.items.length * ROW_HEIGHT, this.viewport.clientHeight)}px`;
    this.nowLine.title = `now: ${fmtUtc(new Date(now).toISOString())}`;
  }

  /** @param {import("./widget.js").Row} r @param {number} now @returns {TvEntry} */
  _buildRow(r, now) {
    const { state } = this.ctx;
    const el = h("div", "fxw-tv-row");
    el.dataset.key = r.key;
    el.dataset.phase = r.phase;
    el.dataset.kind = r.kind;
    if (this.st.selected?.key === r.key) el.classList.add("fxw-tv-row--selected");
    const name = h("div", "fxw-tv-name");
    name.style.paddingLeft = `${4 + indentPx(r.depth)}px`;
    if (r.has_children) {
      const open = state.expanded.has(r.key);
      const t = button(open ? "▾" : "▸", "toggle", "fxw-toggle");
      t.setAttribute("aria-label", open ? "Collapse" : "Expand");
      t.setAttribute("aria-expanded", String(open));
      name.append(t);
    } else {
      name.append(h("span", "fxw-tv-leaf"));
    }
    const label = h("span", "fxw-tv-label", r.name || r.node_id || r.key);
    label.title = `${r.name} (${r.node_id})`;
    name.append(label);
    const track = h("div", "fxw-tv-track");
    el.append(name, track);
    const e = { el, track, data: r, open: state.expanded.has(r.key) };
    this._drawBar(e, now);
    return e;
  }

  /**
   * The row's segments, its duration text and cache mark, at the current scale. Segments that are still the same
   * (kind, attempt, colour) are moved in place, not made again: a tooltip or a click on them survives the clock.
   * @param {TvEntry} e @param {number} now
   */
  _drawBar(e, now) {
    const r = e.data;
    const scale = this.scale;
    const segs = rowSegments(r, now, (p) => this.ctx.styles.task(p));
    const shape = segs.map((s) => `${s.seg}:${s.attempt}:${s.color}:${s.live}`).join(" ");
    const reuse = shape !== "" && e.shape === shape;
    const old = reuse ? /** @type {HTMLElement[]} */ ([...e.track.querySelectorAll(".fxw-tv-seg")]) : [];
    if (!reuse) e.track.replaceChildren();
    else e.track.querySelector(".fxw-tv-dur")?.remove();
    e.shape = shape;
    if (!segs.length) {
      if (r.phase === NOT_STARTED) e.track.append(h("span", "fxw-tv-note", "not started"));
      else if (r.kind === "subtask") {
        // FlyteAdmin keeps no times per subtask: only a watch that saw it run knows them
        const note = h("span", "fxw-tv-note", "times not seen");
        note.title = "FlyteAdmin keeps no times per array subtask; this watch did not see this one run";
        e.track.append(note);
      } else e.track.append(h("span", "fxw-tv-note", "no times yet"));
      return;
    }
    let right = -Infinity;
    let left = Infinity;
    segs.forEach((s, i) => {
      const { x0, x1, width, thin } = segBox(scale, s);
      left = Math.min(left, x0);
      right = Math.max(right, x1);
      let seg = old[i];
      if (!seg) {
        seg = h("div", `fxw-tv-seg fxw-tv-seg--${s.seg} fxw-badge--${cssToken(s.color)}`);
        seg.dataset.seg = s.seg;
        if (s.attempt !== null) seg.dataset.attempt = String(s.attempt);
        if (s.live) seg.classList.add("fxw-tv-seg--live");
        // reachable from the keyboard: Tab to it, Enter (or Space) opens the detail as a click does
        seg.tabIndex = 0;
        seg.setAttribute("role", "button");
        e.track.append(seg);
      }
      seg.dataset.phase = s.phase;
      seg.style.left = `${x0}px`;
      seg.style.width = `${width}px`;
      seg.classList.toggle("fxw-tv-seg--thin", thin);
      seg.title = this._segTitle(r, s);
      seg.setAttribute("aria-label", seg.title.split("\n")[0]);
    });
    const ext = rowExtent(r, now);
    const dur = ext ? (ext[1] - ext[0]) / 1000 : null;
    const text = h("span", "fxw-tv-dur", `${r.label || r.phase}${dur !== null ? " · " + fmtDuration(dur) : ""}`);
    if (r.cache === "hit") {
      const mark = h("span", "fxw-tv-cache", "cache hit");
      mark.title = "Taken from the cache: it did not run";
      text.prepend(mark, " ");
    }
    // the text goes right of the bar, else left of it, else (a narrow output) over the track's right end
    const room = TV_LABEL_PX + (r.cache === "hit" ? 70 : 0);
    if (right + room < scale.width) text.style.left = `${Math.max(0, right) + 4}px`;
    else if (left > room) text.style.right = `${scale.width - left + 4}px`;
    else {
      text.classList.add("fxw-tv-dur--over");
      text.style.right = "2px";
    }
    e.track.append(text);
  }

  /** @param {import("./widget.js").Row} r @param {Segment} s */
  _segTitle(r, s) {
    const iso = (/** @type {number} */ t) => fmtUtc(new Date(t).toISOString());
    const now = Date.now();
    const what =
      s.seg === "queued"
        ? "queued"
        : s.seg === "attempt"
          ? `attempt ${(s.attempt ?? 0) + 1}: ${this.ctx.styles.task(s.phase)?.label ?? s.phase}`
          : s.seg === "span"
            ? `${r.label || r.phase}, all attempts`
            : `running: ${r.label || r.phase}`;
    const dur = fmtDuration((s.end - s.start) / 1000) + (s.live ? " so far" : "");
    const local = `${TIME.clock(s.start, now)} – ${s.live ? "now" : TIME.clock(s.end, now)} local`;
    const utc = `${iso(s.start)} – ${s.live ? "now" : iso(s.end)}`;
    return `${r.name}: ${what}, ${dur}\n${local}\n${utc}`;
  }

  /** @param {MouseEvent} ev */
  _onClick(ev) {
    const t = /** @type {HTMLElement} */ (ev.target);
    const rowEl = /** @type {HTMLElement|null} */ (t.closest(".fxw-tv-row"));
    if (!rowEl) return;
    const key = rowEl.dataset.key || "";
    if (t.closest('[data-action="toggle"]')) {
      this.toggleExpanded(key);
      this.itemsChanged();
      return;
    }
    const seg = /** @type {HTMLElement|null} */ (t.closest(".fxw-tv-seg"));
    const attempt = seg?.dataset.attempt != null ? Number(seg.dataset.attempt) : null;
    const same = this.st.selected?.key === key && this.st.selected?.attempt === attempt;
    this.select(same ? null : { key, attempt });
  }

  _renderDetail() {
    const sel = this.st.selected;
    const r = sel ? this.ctx.store.rows.get(sel.key) : undefined;
    this.detail.replaceChildren();
    this.detailInfo = null;
    this.detail.hidden = !r;
    if (!r) return;
    const bar = h("div", "fxw-tv-detail-head");
    bar.append(h("strong", "", r.name || r.key), " ", h("span", "fxw-muted", r.node_id));
    bar.append(h("span", "fxw-grow"));
    bar.append(button("Close", "tv-close"));
    const d = this.detailView.build(r);
    this.detailInfo = /** @type {HTMLElement|null} */ (d.querySelector(".fxw-detail-info"));
    this.detail.append(bar, d);
    this._focusAttempt();
  }

  _refreshDetail() {
    const sel = this.st.selected;
    const r = sel ? this.ctx.store.rows.get(sel.key) : undefined;
    if (!r || !this.detailInfo) return this._renderDetail();
    this.detailView.fillInfo(this.detailInfo, r);
    this._focusAttempt();
  }

  /** Scroll the selected attempt into view (it is drawn focused and with its error open). */
  _focusAttempt() {
    const a = this.st.selected?.attempt;
    if (a == null) return;
    const item = this.detail.querySelector(`.fxw-attempt-item[data-attempt="${a}"]`);
    if (item && typeof item.scrollIntoView === "function") item.scrollIntoView({ block: "nearest" });
  }

  /** @param {MouseEvent} ev */
  _dragStart(ev) {
    if (ev.button !== 0) return;
    ev.preventDefault();
    const box = this.axis.getBoundingClientRect();
    const x0 = ev.clientX - box.left;
    const brush = this.brush;
    brush.hidden = false;
    brush.style.left = `${x0}px`;
    brush.style.width = "0px";
    /** @param {MouseEvent} m */
    const move = (m) => {
      const x = m.clientX - box.left;
      brush.style.left = `${Math.min(x0, x)}px`;
      brush.style.width = `${Math.abs(x - x0)}px`;
    };
    /** @param {MouseEvent} m */
    const up = (m) => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
      brush.hidden = true;
      const range = zoomRange(this.scale, x0, m.clientX - box.left);
      if (range) this.zoom(range);
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  }

  /** Running bars grow, the "now" line moves, the axis follows the clock. @param {number} now */
  tick(now) {
    if (!this.on || this.destroyed) return;
    const hd = this.ctx.model.get("header") || {};
    if (hd.terminal && !this.nowLine.isConnected) return; // nothing moves any more
    this.layout(now);
  }

  destroy() {
    this.destroyed = true;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.resizeObserver?.disconnect();
    this.ctx.shared.views.delete(this.onShared);
  }
}
