// @ts-check
/**
 * flyteexec-widget front end: a plain ES module for anywidget (no bundler, no CDN, works offline).
 *
 * The kernel mirrors an ExecutionModel: traits `header`, `counts`, `sync_status`, `styles` (the phase table from
 * phases.py), `can_act`; node rows travel as custom messages (see docs/architecture.md, "Widget protocol").
 * Everything from the server is untrusted: text goes through textContent, links must be http(s), the deck iframe is
 * sandboxed. Only rows in view are in the DOM (windowed rendering), children are collapsed by default, and a
 * "patch" message rebuilds only the rows it names.
 */

/**
 * @typedef {{name: string, uri: string, attempt?: number}} LogLink
 * @typedef {{kind?: string, code?: string, message?: string, trimmed?: boolean}} RowError
 * @typedef {{
 *   key: string, parent: string, depth: number, node_id: string, name: string, kind: string,
 *   phase: string, label: string, color: string, terminal: boolean,
 *   created_at: string|null, started_at: string|null, duration_s: number|null, queued_s: number|null,
 *   attempts: number, cache: string, logs: LogLink[], error: RowError|null,
 *   subtasks: {total: number, counts: Object<string, number>}|null,
 *   child: {name: string, url: string}|null,
 *   gate: {kind: string, signal_id: string, type?: string}|null,
 *   has_children: boolean, deck: boolean
 * }} Row
 * @typedef {{label: string, color: string, terminal: boolean, succeeded: boolean, failed: boolean}} PhaseStyle
 * @typedef {{type: string, message: string}} ErrorData
 */

export const ROW_HEIGHT = 28;
const OVERSCAN = 8;
const DETAIL_GUESS = 160; // height of an open row's detail before it was measured

// ------------------------------------------------------------------------------------------------------------
// Pure helpers (exported for the node tests)
// ------------------------------------------------------------------------------------------------------------

/**
 * A duration as "0.4s", "12s", "1m 05s", "2h 03m", "3d 04h"; "" for null. Same rules as render.fmt_duration.
 * @param {number|null|undefined} seconds
 * @returns {string}
 */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  const s = Math.max(0, seconds);
  if (s < 10) return (Math.floor(s * 10) / 10).toFixed(1) + "s";
  const total = Math.floor(s);
  if (total < 60) return `${total}s`;
  const m = Math.floor(total / 60);
  const sec = total % 60;
  if (m < 60) return `${m}m ${String(sec).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, "0")}h`;
}

/**
 * The URL if it is absolute http(s) with a host, else null (javascript:, data:, relative...).
 * @param {unknown} url
 * @returns {string|null}
 */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const u = new URL(url.trim());
    return (u.protocol === "http:" || u.protocol === "https:") && u.host ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * The first line of a message, cut to `limit` characters.
 * @param {unknown} text
 * @param {number} [limit]
 */
export function firstLine(text, limit = 200) {
  const line = String(text ?? "").trim().split(/\r?\n/, 1)[0] ?? "";
  return line.length <= limit ? line : line.slice(0, limit - 1) + "…";
}

/**
 * The line of an error message worth showing first: for a Python traceback, the exception line after the frames
 * ("ValueError: boom"), not "Traceback (most recent call last):". Same rule as render.error_summary.
 * @param {unknown} message
 * @param {number} [limit]
 */
export function errorSummary(message, limit = 200) {
  const lines = String(message ?? "").trim().split(/\r?\n/);
  const marker = "Traceback (most recent call last):";
  const at = lines.findIndex((l) => l.includes(marker));
  if (at >= 0) {
    const skip = /^(Traceback |During handling|The above exception)/;
    const found = lines.slice(at + 1).find((l) => l.trim() && !/^\s/.test(l) && !skip.test(l));
    // "failed at Node[n10]. USER:ValueError, caused by: Traceback ..." keeps its lead-in before the exception line
    if (found) return firstLine(lines[at].slice(0, lines[at].indexOf(marker)) + found, limit);
  }
  return firstLine(lines[0] ?? "", limit);
}

/**
 * Milliseconds since the epoch of an ISO-8601 string, or null.
 * @param {string|null|undefined} iso
 */
export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/**
 * Seconds a thing has been running: its final duration once terminal, else now - started (client-side clock).
 * @param {{started_at?: string|null, duration_s?: number|null, terminal?: boolean}} item
 * @param {number} nowMs
 * @returns {number|null}
 */
export function elapsedSeconds(item, nowMs) {
  if (item.terminal || item.started_at == null) return item.duration_s ?? null;
  const start = parseTime(item.started_at);
  if (start === null) return item.duration_s ?? null;
  return Math.max(0, (nowMs - start) / 1000);
}

/**
 * The sync status line: "last synced 4s ago", "reconnecting (attempt 2, next in 3.0s)", "log in again: ...", ...
 * @param {Record<string, any>} sync
 * @param {number} nowMs
 */
export function syncText(sync, nowMs) {
  const state = sync?.state ?? "";
  if (state === "login") return firstLine(sync.last_error) || "log in again"; // the link: renderMeta
  if (state === "reconnecting") {
    let text = `reconnecting (attempt ${sync.attempt || 1}`;
    const next = parseTime(sync.next_retry_at);
    if (next !== null) text += `, next in ${fmtDuration(Math.max(0, (next - nowMs) / 1000))}`;
    return text + ")";
  }
  const last = parseTime(sync?.last_synced_at);
  const ago = last === null ? "" : `last synced ${fmtDuration(Math.max(0, (nowMs - last) / 1000))} ago`;
  if (state === "error") return "sync failed: " + firstLine(sync.last_error) + (ago ? ` (${ago})` : "");
  if (state === "stopped") return "not watching" + (ago ? ` (${ago})` : "");
  if (state === "done") return "final" + (ago ? ` (${ago})` : "");
  return ago;
}

/**
 * Sort siblings as the console does: by created_at ascending (missing last), then by arrival.
 * @param {Row} a @param {Row} b @param {Map<string, number>} arrival
 */
function siblingOrder(a, b, arrival) {
  const ca = a.created_at || "";
  const cb = b.created_at || "";
  if (ca !== cb) {
    if (!ca) return 1;
    if (!cb) return -1;
    return ca < cb ? -1 : 1;
  }
  return (arrival.get(a.key) ?? 0) - (arrival.get(b.key) ?? 0);
}

/**
 * A row of a patch merged into the row the view holds. Patches carry deltas: `key` plus the fields that changed
 * since the previous version (a field that disappeared comes as null); a row the view has not got comes whole.
 * @param {Row|undefined} old @param {Partial<Row> & {key: string}} delta
 * @returns {Row}
 */
export function mergeRow(old, delta) {
  return /** @type {Row} */ (old ? { ...old, ...delta } : delta);
}

/** The rows of one execution, kept by key; the tree order is derived lazily after structural changes. */
export class RowStore {
  constructor() {
    /** @type {Map<string, Row>} */
    this.rows = new Map();
    /** @type {Map<string, number>} */
    this.arrival = new Map();
    /** @type {Map<string, string[]>} */
    this.children = new Map();
    this.version = -1;
    this.seq = 0;
    this.dirty = true;
  }

  /** @param {Row[]} rows @param {number} version */
  reset(rows, version) {
    this.rows.clear();
    this.arrival.clear();
    for (const r of rows) this._put(r);
    this.version = version;
    this.dirty = true;
  }

  /** @param {Row} r */
  _put(r) {
    if (!this.arrival.has(r.key)) this.arrival.set(r.key, this.seq++);
    this.rows.set(r.key, r);
  }

  /**
   * Apply a patch (row deltas, see mergeRow); returns the keys whose row changed and whether the tree shape (or
   * order) changed.
   * @param {(Partial<Row> & {key: string})[]} rows @param {string[]} removed @param {number} version
   * @returns {{changed: Set<string>, structural: boolean}}
   */
  apply(rows, removed, version) {
    const changed = new Set();
    let structural = false;
    for (const delta of rows) {
      const old = this.rows.get(delta.key);
      const r = mergeRow(old, delta);
      if (!old || old.parent !== r.parent || old.created_at !== r.created_at) structural = true;
      this._put(r);
      changed.add(r.key);
    }
    for (const k of removed) {
      if (this.rows.delete(k)) {
        this.arrival.delete(k);
        structural = true;
      }
    }
    this.version = version;
    if (structural) this.dirty = true;
    return { changed, structural };
  }

  _index() {
    if (!this.dirty) return;
    /** @type {Map<string, Row[]>} */
    const groups = new Map();
    for (const r of this.rows.values()) {
      const parent = r.parent && this.rows.has(r.parent) ? r.parent : "";
      let list = groups.get(parent);
      if (!list) groups.set(parent, (list = []));
      list.push(r);
    }
    this.children = new Map();
    for (const [parent, list] of groups) {
      list.sort((a, b) => siblingOrder(a, b, this.arrival));
      this.children.set(
        parent,
        list.map((r) => r.key),
      );
    }
    this.dirty = false;
  }

  /** @param {string} key @returns {string[]} */
  childrenOf(key) {
    this._index();
    return this.children.get(key) ?? [];
  }

  /**
   * The rows to show, depth-first. Without a filter: the children of expanded rows only. With a filter: every
   * matching row with its ancestors, whatever is expanded (so a match deep in the tree is found).
   * @param {Set<string>} expanded
   * @param {((r: Row) => boolean)|null} match
   * @returns {Row[]}
   */
  visible(expanded, match) {
    this._index();
    /** @type {Set<string>|null} */
    let include = null;
    if (match) {
      include = new Set();
      for (const r of this.rows.values()) {
        if (!match(r)) continue;
        /** @type {Row|undefined} */
        let cur = r;
        while (cur && !include.has(cur.key)) {
          include.add(cur.key);
          cur = cur.parent ? this.rows.get(cur.parent) : undefined;
        }
      }
    }
    /** @type {Row[]} */
    const out = [];
    const seen = new Set();
    const stack = [...this.childrenOf("")].reverse();
    while (stack.length) {
      const key = /** @type {string} */ (stack.pop());
      if (seen.has(key)) continue; // bad data with a cycle must not loop
      seen.add(key);
      const row = this.rows.get(key);
      if (!row) continue;
      if (include && !include.has(key)) continue;
      out.push(row);
      if (include || expanded.has(key)) {
        const kids = this.childrenOf(key);
        for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
      }
    }
    return out;
  }

  /**
   * The first failed row (tree order) none of whose children failed: where the error really is.
   * @param {(r: Row) => boolean} isFailed
   * @returns {Row|null}
   */
  firstFailedLeaf(isFailed) {
    this._index();
    /** @param {string} parent @returns {Row|null} */
    const search = (parent) => {
      for (const key of this.childrenOf(parent)) {
        const row = this.rows.get(key);
        if (!row || !isFailed(row)) continue;
        return search(key) ?? row;
      }
      return null;
    };
    return search("");
  }

  /** @param {string} key @returns {string[]} the keys of the ancestors, nearest last */
  ancestors(key) {
    const out = [];
    let cur = this.rows.get(key);
    const seen = new Set();
    while (cur && cur.parent && !seen.has(cur.parent)) {
      seen.add(cur.parent);
      out.unshift(cur.parent);
      cur = this.rows.get(cur.parent);
    }
    return out;
  }
}

/**
 * @typedef {{version: number, rows: (Partial<Row> & {key: string})[], removed: string[]}} Patch
 */

/**
 * Orders the kernel's row messages for one view (docs/architecture.md, "Widget protocol"): a snapshot (whole rows
 * at version S), then patches S+1, S+2, ... whose rows are deltas against the version before. Patches that arrive
 * before the snapshot are held; those not newer than it are dropped. Since a delta needs the version before it,
 * none may be missed: a gap (this view adopted another view's snapshot and missed patches sent before it listened)
 * makes it hold patches and ask for a snapshot of its own (`requestSnapshot`).
 */
export class RowFeed {
  /** @param {RowStore} store @param {string} viewId @param {() => void} requestSnapshot */
  constructor(store, viewId, requestSnapshot) {
    this.store = store;
    this.viewId = viewId;
    this.requestSnapshot = requestSnapshot;
    /** @type {Patch[]} */
    this.pending = [];
    this.resyncing = false;
  }

  /**
   * Take a snapshot message; returns whether it was used. Once the view has rows it ignores another view's
   * snapshot, and an older one than it holds (its own, overtaken by an adopted snapshot and its patches).
   * @param {{view?: string, version?: number, rows?: Row[]}} msg
   */
  snapshot(msg) {
    const store = this.store;
    const version = msg.version ?? 0;
    if (store.version >= 0 && (msg.view !== this.viewId || version < store.version)) return false;
    store.reset(msg.rows || [], version);
    this.resyncing = false;
    const later = this.pending.filter((p) => p.version > version).sort((a, b) => a.version - b.version);
    this.pending = [];
    for (let i = 0; i < later.length; i++) {
      if (later[i].version !== store.version + 1) {
        this.pending = later.slice(i + 1);
        this._resync(later[i]);
        break;
      }
      store.apply(later[i].rows, later[i].removed, later[i].version);
    }
    return true;
  }

  /**
   * Take a patch message; returns what changed when it was applied now, else null (held or dropped).
   * @param {{version: number, rows?: (Partial<Row> & {key: string})[], removed?: string[]}} msg
   * @returns {{changed: Set<string>, structural: boolean}|null}
   */
  patch(msg) {
    const store = this.store;
    /** @type {Patch} */
    const p = { version: msg.version, rows: msg.rows || [], removed: msg.removed || [] };
    if (store.version < 0 || this.resyncing) {
      this.pending.push(p);
      return null;
    }
    if (p.version <= store.version) return null;
    if (p.version !== store.version + 1) {
      this._resync(p);
      return null;
    }
    return store.apply(p.rows, p.removed, p.version);
  }

  /** @param {Patch} p a patch after a gap: hold it and ask for a fresh snapshot (once) */
  _resync(p) {
    this.pending.push(p);
    if (this.resyncing) return;
    this.resyncing = true;
    this.requestSnapshot();
  }
}

/**
 * The index of the first item whose bottom is below `y` (binary search over prefix tops).
 * @param {number[]} tops @param {number[]} heights @param {number} y
 */
export function firstVisible(tops, heights, y) {
  let lo = 0;
  let hi = tops.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tops[mid] + heights[mid] <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A CSS-safe token ("timed-out") from a colour token sent by the kernel.
 * @param {unknown} token
 */
export function cssToken(token) {
  const t = String(token ?? "").replace(/[^a-zA-Z0-9-]/g, "");
  return t || "undefined";
}

/**
 * Turn the typed value of a signal input into the JSON value sent to the kernel.
 * @param {string} type @param {string} raw
 * @returns {{ok: true, value: unknown} | {ok: false, error: string}}
 */
export function parseSignalInput(type, raw) {
  const t = (type || "").toLowerCase();
  const text = raw.trim();
  if (t === "int" || t === "integer") {
    return /^[-+]?\d+$/.test(text) ? { ok: true, value: Number(text) } : { ok: false, error: "enter a whole number" };
  }
  if (t === "float") {
    const n = Number(text);
    return text !== "" && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, error: "enter a number" };
  }
  if (t === "bool" || t === "boolean") {
    return text === "true" || text === "false"
      ? { ok: true, value: text === "true" }
      : { ok: false, error: "choose true or false" };
  }
  if (t === "str" || t === "string" || t === "datetime" || t === "timedelta" || t === "duration") {
    return { ok: true, value: text };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: true, value: text };
  }
}

// ------------------------------------------------------------------------------------------------------------
// DOM helpers: every text goes through textContent, every link through safeUrl
// ------------------------------------------------------------------------------------------------------------

/**
 * @param {string} tag
 * @param {string} [cls]
 * @param {unknown} [text]
 * @returns {HTMLElement}
 */
function h(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/**
 * A link opening in a new tab if `url` is http(s), else the text alone.
 * @param {unknown} url @param {unknown} text @param {string} [cls]
 */
function link(url, text, cls) {
  const safe = safeUrl(url);
  if (!safe) return h("span", cls, text);
  const a = /** @type {HTMLAnchorElement} */ (h("a", cls, text));
  a.href = safe;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

/**
 * @param {string} label @param {string} action @param {string} [cls]
 * @returns {HTMLButtonElement}
 */
function button(label, action, cls) {
  const b = /** @type {HTMLButtonElement} */ (h("button", "fxw-btn" + (cls ? " " + cls : ""), label));
  b.type = "button";
  b.dataset.action = action;
  return b;
}

/** @param {string} label @param {string} color @param {string} [phase] */
function badge(label, color, phase) {
  const b = h("span", `fxw-badge fxw-badge--${cssToken(color)}`, label || "Unknown");
  if (phase) b.dataset.phase = phase;
  return b;
}

/** @param {string} text @returns {Promise<void>} */
function copyText(text) {
  if (navigator.clipboard?.writeText) return navigator.clipboard.writeText(text);
  return Promise.reject(new Error("clipboard not available"));
}

/** @type {Intl.DateTimeFormat|null} */
let timeFormat = null; // toLocaleTimeString builds a formatter per call: too slow for every row

/** @param {string|null} iso */
function clockTime(iso) {
  const t = parseTime(iso);
  if (t === null) return "";
  timeFormat ??= new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  return timeFormat.format(t);
}

// ------------------------------------------------------------------------------------------------------------
// Typed value trees (inputs / outputs)
// ------------------------------------------------------------------------------------------------------------

/**
 * @typedef {{
 *   select: (path: (string|number)[]) => void,
 *   showAll: (path: (string|number)[]) => Promise<any>,
 * }} ValueContext
 */

/**
 * Render one node of the typed tree sent by widget.value_tree.
 * @param {any} node @param {(string|number)[]} path @param {ValueContext} ctx @param {number} depth
 * @returns {HTMLElement}
 */
export function renderValue(node, path, ctx, depth = 0) {
  const t = node?.t;
  const wrap = h("span", `fxw-v fxw-v--${cssToken(t)}`);
  switch (t) {
    case "none":
      wrap.textContent = "None";
      break;
    case "bool":
      wrap.textContent = node.v ? "True" : "False";
      break;
    case "int":
    case "float":
      wrap.textContent = String(node.v);
      break;
    case "str":
      wrap.textContent = JSON.stringify(String(node.v));
      break;
    case "bytes":
      wrap.textContent = `bytes(${node.len}) ${node.v}`;
      break;
    case "datetime":
    case "date":
    case "enum":
      wrap.textContent = String(node.v);
      break;
    case "duration":
      wrap.textContent = fmtDuration(node.v) || `${node.v}s`;
      break;
    case "blob": {
      wrap.append(h("span", "fxw-v-type", `(${node.format || "any"}) ${node.dimensionality || "file"}`), " ");
      wrap.append(uriView(node.uri));
      break;
    }
    case "structured_dataset": {
      wrap.append(h("span", "fxw-v-type", `(${node.format || "any"}) structured dataset`), " ");
      wrap.append(uriView(node.uri));
      if (Array.isArray(node.columns) && node.columns.length) {
        const cols = node.columns.map((/** @type {any} */ c) => `${c.name}: ${c.type}`).join(", ");
        wrap.append(h("div", "fxw-v-cols", cols));
      }
      break;
    }
    case "offloaded":
      wrap.append(h("span", "fxw-v-type", `offloaded ${node.type} (${node.size_bytes} bytes)`), " ", uriView(node.uri));
      break;
    case "error":
      wrap.textContent = `error from ${node.node || "?"}: ${node.message}`;
      break;
    case "list":
    case "map":
    case "record":
      return containerView(node, path, ctx, depth);
    default:
      wrap.append(h("span", "fxw-v-type", node?.type || "object"), " ", h("span", "", node?.v ?? ""));
  }
  if (node?.truncated) {
    const out = h("span", "fxw-v-cut");
    const more = button(t === "str" ? `show all (${node.len} chars)` : "show all", "show-all", "fxw-btn--link");
    more.addEventListener("click", (ev) => {
      ev.stopPropagation();
      more.disabled = true;
      more.textContent = "loading…";
      ctx.showAll(node.path).then(
        (res) => out.replaceWith(renderValue(res.value, node.path, ctx, depth)),
        (err) => {
          more.disabled = false;
          more.textContent = `failed: ${err?.message ?? err}`;
        },
      );
    });
    out.append(wrap, " ", more);
    return out;
  }
  return wrap;
}

/** @param {string} uri */
function uriView(uri) {
  const box = h("span", "fxw-uri");
  box.append(link(uri, uri, "fxw-uri-text"));
  const copy = button("copy", "copy-uri", "fxw-btn--link");
  copy.addEventListener("click", (ev) => {
    ev.stopPropagation();
    copyText(uri).then(
      () => (copy.textContent = "copied"),
      () => (copy.textContent = "copy failed"),
    );
  });
  box.append(" ", copy);
  return box;
}

/**
 * A list / map / record as a collapsible tree; its children are built when first opened.
 * @param {any} node @param {(string|number)[]} path @param {ValueContext} ctx @param {number} depth
 */
function containerView(node, path, ctx, depth) {
  const det = /** @type {HTMLDetailsElement} */ (h("details", `fxw-v fxw-v--${node.t}`));
  const n = node.len ?? node.items?.length ?? 0;
  const kind = node.t === "list" ? `list [${n}]` : node.t === "map" ? `map {${n}}` : `${node.type || "record"} {${n}}`;
  det.append(h("summary", "fxw-v-type", kind));
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const body = h("div", "fxw-v-items");
    (node.items || []).forEach((/** @type {any} */ item, /** @type {number} */ i) => {
      const isKv = node.t !== "list";
      const childPath = [...path, i];
      const line = h("div", "fxw-kv");
      const k = button(isKv ? String(item.k) : `[${i}]`, "select", "fxw-k");
      k.title = "Select: the value becomes widget.selected_output";
      k.addEventListener("click", (ev) => {
        ev.stopPropagation();
        ctx.select(childPath);
      });
      line.append(k, h("span", "fxw-sep", isKv ? ": " : " "), renderValue(isKv ? item.v : item, childPath, ctx, depth + 1));
      body.append(line);
    });
    if (node.truncated) {
      const more = button(`show all ${n}`, "show-all", "fxw-btn--link");
      more.addEventListener("click", (ev) => {
        ev.stopPropagation();
        more.disabled = true;
        more.textContent = "loading…";
        ctx.showAll(node.path).then(
          (res) => {
            const fresh = renderValue(res.value, node.path, ctx, depth);
            if (fresh instanceof HTMLDetailsElement) fresh.open = true;
            det.replaceWith(fresh);
          },
          (err) => {
            more.disabled = false;
            more.textContent = `failed: ${err?.message ?? err}`;
          },
        );
      });
      body.append(h("div", "fxw-kv fxw-more", `… ${n - (node.items?.length ?? 0)} more `));
      /** @type {HTMLElement} */ (body.lastChild).append(more);
    }
    det.append(body);
  };
  det.addEventListener("toggle", () => det.open && build());
  if (depth < 1 && n <= 20) {
    det.open = true;
    build();
  }
  return det;
}

// ------------------------------------------------------------------------------------------------------------
// The view
// ------------------------------------------------------------------------------------------------------------

/**
 * What a view remembers across re-renders of the same model (a display update re-creates the view).
 * @typedef {{
 *   expanded: Set<string>, open: Set<string>, phaseFilter: string|null, text: string,
 *   status: Map<string, {text: string, error: boolean}>, drafts: Map<string, string>,
 *   fullErrors: Map<string, string>, scrollTop: number, execIo: boolean,
 *   io: Map<string, {open: boolean, result: any}>,
 * }} ViewState
 */
/** @type {WeakMap<object, ViewState>} */
const VIEW_STATES = new WeakMap();

/** @param {object} model @returns {ViewState} */
function viewState(model) {
  let s = VIEW_STATES.get(model);
  if (!s) {
    s = {
      expanded: new Set(),
      open: new Set(),
      phaseFilter: null,
      text: "",
      status: new Map(),
      drafts: new Map(),
      fullErrors: new Map(),
      scrollTop: 0,
      execIo: false,
      io: new Map(),
    };
    VIEW_STATES.set(model, s);
  }
  return s;
}

let viewCounter = 0;

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const viewId = `v${Date.now().toString(36)}${(viewCounter++).toString(36)}`;
  const state = viewState(model);
  const store = new RowStore();
  const feed = new RowFeed(store, viewId, () => model.send({ type: "snapshot", view: viewId }));
  /** @type {Map<string, {resolve: (v: any) => void, reject: (e: ErrorData) => void}>} */
  const pending = new Map();
  let reqSeq = 0;
  let destroyed = false;

  /** @returns {Record<string, Record<string, PhaseStyle>>} */
  const styles = () => model.get("styles") || {};
  /**
   * The style of a phase name: node phases first, then task phases (array subtasks count with task phases).
   * @param {string} name @returns {PhaseStyle|undefined}
   */
  const phaseStyle = (name) => styles().node?.[name] ?? styles().task?.[name];
  /** @param {Row} r */
  const isFailed = (r) => Boolean((r.kind === "subtask" ? styles().task?.[r.phase] : phaseStyle(r.phase))?.failed);

  /**
   * Send a request to the kernel; resolves with the result, rejects with the error data.
   * @param {string} action @param {string} key @param {Record<string, unknown>} [extra]
   * @returns {Promise<any>}
   */
  function request(action, key, extra = {}) {
    const id = `${viewId}:${++reqSeq}`;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      model.send({ ...extra, type: "request", id, action, key });
    });
  }

  // ---- skeleton ---------------------------------------------------------------------------------------
  const root = h("div", "fxw");
  root.dataset.view = viewId;
  const header = h("div", "fxw-header");
  const title = h("div", "fxw-title");
  const progress = h("div", "fxw-progress");
  const meta = h("div", "fxw-meta");
  const headerError = h("div", "fxw-header-error");
  const confirmBox = h("div", "fxw-confirm");
  confirmBox.hidden = true;
  header.append(title, progress, meta, headerError, confirmBox);

  const toolbar = h("div", "fxw-toolbar");
  const search = /** @type {HTMLInputElement} */ (h("input", "fxw-search"));
  search.type = "search";
  search.placeholder = "Filter nodes by name or id";
  search.value = state.text;
  search.setAttribute("aria-label", "Filter nodes by name or id");
  const filterNote = h("span", "fxw-filter-note");
  const firstFailure = button("Jump to first failure", "first-failure");
  const expandAll = button("Expand all", "expand-all");
  const collapseAll = button("Collapse all", "collapse-all");
  const execIoBtn = button("Execution inputs / outputs", "exec-io");
  toolbar.append(search, filterNote, h("span", "fxw-grow"), firstFailure, expandAll, collapseAll, execIoBtn);
  const execIo = h("div", "fxw-exec-io");

  const viewport = h("div", "fxw-viewport");
  viewport.setAttribute("role", "treegrid");
  const thead = h("div", "fxw-grid fxw-thead");
  thead.setAttribute("role", "row");
  for (const [cls, text] of [
    ["name", "Node"],
    ["kind", "Kind"],
    ["status", "Status"],
    ["start", "Started"],
    ["dur", "Duration"],
    ["attempts", "#"],
    ["cache", "Cache"],
    ["logs", "Logs"],
    ["error", "Error"],
    ["actions", ""],
  ]) {
    const cell = h("div", `fxw-c fxw-c-${cls}`, text);
    cell.setAttribute("role", "columnheader");
    if (cls === "attempts") cell.title = "Attempts";
    thead.append(cell);
  }
  const spacer = h("div", "fxw-spacer");
  const empty = h("div", "fxw-empty", "Loading nodes…");
  viewport.append(thead, spacer, empty);
  root.append(header, toolbar, execIo, viewport);
  el.append(root);

  // ---- header -----------------------------------------------------------------------------------------
  /** @type {HTMLElement|null} */
  let elapsedEl = null;
  /** @type {HTMLElement|null} */
  let syncEl = null;

  function renderHeader() {
    const hd = model.get("header") || {};
    const wfStyle = styles().workflow?.[hd.phase];
    root.dataset.phase = hd.phase || "";
    title.replaceChildren();
    title.append(h("span", "fxw-wf", hd.workflow || "workflow"));
    const ref = [hd.project, hd.domain, hd.name].filter(Boolean).join("/");
    const exec = link(hd.url, hd.name || ref, "fxw-exec");
    exec.title = ref;
    title.append(exec, badge(hd.label || wfStyle?.label || hd.phase, hd.color || wfStyle?.color || "", hd.phase));
    elapsedEl = h("span", "fxw-elapsed");
    title.append(elapsedEl, h("span", "fxw-grow"));
    if (model.get("can_act") && !hd.terminal) {
      const term = button("Terminate", "terminate", "fxw-btn--danger");
      term.addEventListener("click", () => openConfirm("terminate"));
      title.append(term);
    } else if (model.get("can_act") && hd.terminal) {
      const again = button("Relaunch", "relaunch");
      again.title = "Run it again with the same inputs";
      again.addEventListener("click", () => openConfirm("relaunch"));
      title.append(again);
      if (wfStyle?.failed) {
        const recover = button("Recover", "recover");
        recover.title = "Rerun from the failure, reusing the nodes that succeeded";
        recover.addEventListener("click", () => openConfirm("recover"));
        title.append(recover);
      }
    }
    if (confirmKind === "terminate" && (hd.terminal || !model.get("can_act"))) confirmBox.hidden = true;
    headerError.replaceChildren();
    const err = hd.error;
    if (err && (err.message || err.code)) {
      headerError.append(errorView(err.message || err.code || "", "", null));
    }
    tick();
  }

  function renderCounts() {
    const counts = model.get("counts") || {};
    /** @type {Record<string, PhaseStyle|undefined>} */
    const table = {};
    const names = [...Object.keys(styles().node || {}), ...Object.keys(styles().task || {})].filter(
      (n, i, all) => counts[n] > 0 && all.indexOf(n) === i,
    );
    for (const n of Object.keys(counts)) if (!names.includes(n) && counts[n] > 0) names.push(n);
    for (const n of names) table[n] = phaseStyle(n);
    const total = names.reduce((s, n) => s + counts[n], 0);
    const done = names.filter((n) => table[n]?.terminal).reduce((s, n) => s + counts[n], 0);
    progress.replaceChildren();
    const bar = h("div", "fxw-bar");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", String(total));
    bar.setAttribute("aria-valuenow", String(done));
    for (const n of names) {
      const seg = h("div", `fxw-bar-seg fxw-badge--${cssToken(table[n]?.color)}`);
      seg.style.width = `${(100 * counts[n]) / Math.max(1, total)}%`;
      seg.title = `${counts[n]} ${table[n]?.label ?? n}`;
      bar.append(seg);
    }
    const chips = h("div", "fxw-counts");
    chips.append(h("span", "fxw-done", total ? `${done} / ${total} done` : "no nodes yet"));
    for (const n of names) {
      const chip = button(`${counts[n]} ${table[n]?.label ?? n}`, "filter", `fxw-chip fxw-badge--${cssToken(table[n]?.color)}`);
      chip.dataset.phase = n;
      chip.title = state.phaseFilter === n ? "Show all nodes" : `Show only ${table[n]?.label ?? n} nodes`;
      chip.setAttribute("aria-pressed", String(state.phaseFilter === n));
      chip.addEventListener("click", () => {
        state.phaseFilter = state.phaseFilter === n ? null : n;
        renderCounts();
        relayout();
      });
      chips.append(chip);
    }
    progress.append(bar, chips);
  }

  // ---- confirmations: Terminate (with a cause), Relaunch, Recover -------------------------------------------
  /** @type {string|null} */
  let confirmKind = null;
  /** @type {Record<string, {question: string, label: string, busy: string, cause: boolean, danger: boolean}>} */
  const CONFIRMS = {
    terminate: { question: "Terminate this execution?", label: "Terminate execution", busy: "terminating…", cause: true, danger: true },
    relaunch: { question: "Relaunch it with the same inputs?", label: "Relaunch", busy: "relaunching…", cause: false, danger: false },
    recover: {
      question: "Recover: rerun from the failure, reusing what succeeded?",
      label: "Recover",
      busy: "recovering…",
      cause: false,
      danger: false,
    },
  };

  /** @param {string} kind */
  function openConfirm(kind) {
    if (confirmKind === kind && !confirmBox.hidden) {
      confirmBox.hidden = true;
      return;
    }
    confirmKind = kind;
    renderConfirm(kind);
    confirmBox.hidden = false;
    /** @type {HTMLElement|null} */ (confirmBox.querySelector("input, [data-action$='-confirm']"))?.focus();
  }

  /** @param {string} kind */
  function renderConfirm(kind) {
    const spec = CONFIRMS[kind];
    confirmBox.replaceChildren();
    confirmBox.dataset.kind = kind;
    const cause = /** @type {HTMLInputElement} */ (h("input", "fxw-cause"));
    cause.placeholder = "Cause (optional)";
    cause.setAttribute("aria-label", "Cause of the termination");
    const confirm = button(spec.label, `${kind}-confirm`, spec.danger ? "fxw-btn--danger" : "fxw-btn--primary");
    const cancel = button("Cancel", `${kind}-cancel`);
    const status = h("span", "fxw-action-status");
    cancel.addEventListener("click", () => (confirmBox.hidden = true));
    cause.addEventListener("keydown", (ev) => ev.key === "Enter" && confirm.click());
    confirm.addEventListener("click", () => {
      confirm.disabled = true;
      status.className = "fxw-action-status";
      status.textContent = spec.busy;
      request(kind, "", spec.cause ? { cause: cause.value } : {}).then(
        (res) => {
          status.replaceChildren(res?.message || "done");
          if (res?.name) status.append(" ", link(res.url, res.name, "fxw-exec"));
        },
        (err) => {
          confirm.disabled = false;
          status.className = "fxw-action-status fxw-action-status--error";
          status.textContent = err?.message || String(err);
          console.warn(`flyteexec-widget: ${kind} failed`, err);
        },
      );
    });
    confirmBox.append(h("span", "", spec.question));
    if (spec.cause) confirmBox.append(cause);
    confirmBox.append(confirm, cancel, status);
  }

  function renderMeta() {
    meta.replaceChildren();
    const sync = model.get("sync_status") || {};
    syncEl = h("span", "fxw-sync");
    syncEl.dataset.state = sync.state || "";
    meta.append(syncEl);
    // where a login under way waits for the user (http(s) only)
    if (sync.state === "login" && safeUrl(sync.login_url)) {
      meta.append(" ", link(sync.login_url, "login page", "fxw-login"));
    }
    tick();
  }

  // ---- errors -----------------------------------------------------------------------------------------
  /**
   * The first line of an error, expandable to the whole message with a copy button. When `key` is given and
   * the message was trimmed by the server's list call, the full one is fetched on first expand.
   * @param {string} message @param {string} prefix @param {{key: string, trimmed: boolean}|null} fetch
   */
  function errorView(message, prefix, fetch) {
    const det = /** @type {HTMLDetailsElement} */ (h("details", "fxw-errview"));
    det.append(h("summary", "fxw-error", (prefix ? prefix + ": " : "") + errorSummary(message)));
    const pre = h("pre", "fxw-error-full", fetch ? state.fullErrors.get(fetch.key) ?? message : message);
    const copy = button("Copy", "copy-error");
    const note = h("span", "fxw-action-status");
    copy.addEventListener("click", () =>
      copyText(pre.textContent || "").then(
        () => (note.textContent = "copied"),
        () => (note.textContent = "copy failed: select the text instead"),
      ),
    );
    det.append(pre, copy, note);
    if (fetch && fetch.trimmed && !state.fullErrors.has(fetch.key)) {
      det.addEventListener(
        "toggle",
        () => {
          if (!det.open) return;
          note.textContent = "loading the full message…";
          request("error", fetch.key).then(
            (res) => {
              const full = res?.message || message;
              state.fullErrors.set(fetch.key, full);
              pre.textContent = full;
              note.textContent = "";
            },
            (err) => {
              note.className = "fxw-action-status fxw-action-status--error";
              note.textContent = `could not fetch the full message: ${err?.message ?? err}`;
            },
          );
        },
        { once: true },
      );
    }
    return det;
  }

  // ---- rows -------------------------------------------------------------------------------------------
  /** @type {Map<string, {item: HTMLElement, row: HTMLElement, detail: HTMLElement|null, data: Row}>} */
  const rendered = new Map();
  /** @type {Map<string, number>} */
  const measured = new Map();
  const resizeObserver =
    typeof ResizeObserver === "function"
      ? new ResizeObserver((entries) => {
          let changed = false;
          for (const e of entries) {
            const key = /** @type {HTMLElement} */ (e.target).dataset.key;
            if (!key) continue;
            const hgt = /** @type {HTMLElement} */ (e.target).offsetHeight;
            if (hgt && measured.get(key) !== hgt) {
              measured.set(key, hgt);
              changed = true;
            }
          }
          if (changed) {
            heightsDirty = true;
            scheduleLayout();
          }
        })
      : null;

  /** @param {Row} r */
  function buildRow(r) {
    const row = h("div", "fxw-grid fxw-row");
    row.dataset.key = r.key;
    row.dataset.phase = r.phase || "";
    row.dataset.kind = r.kind || "";
    row.setAttribute("role", "row");
    row.setAttribute("aria-level", String((r.depth || 0) + 1));
    if (state.open.has(r.key)) row.classList.add("fxw-row--open");

    const name = h("div", "fxw-c fxw-c-name");
    name.style.paddingLeft = `${4 + (r.depth || 0) * 16}px`;
    if (r.has_children) {
      const open = state.expanded.has(r.key);
      const tog = button(open ? "▾" : "▸", "toggle", "fxw-toggle");
      tog.setAttribute("aria-expanded", String(open));
      tog.setAttribute("aria-label", open ? "Collapse" : "Expand");
      name.append(tog);
    } else {
      name.append(h("span", "fxw-toggle-space"));
    }
    name.append(h("span", "fxw-name", r.name || r.node_id || r.key));
    // An array subtask's id is a long external id: it stays in the tooltip and the detail, its name says enough.
    if (r.node_id && r.node_id !== r.name && r.kind !== "subtask") name.append(h("span", "fxw-nodeid", r.node_id));
    if (r.kind && r.kind !== "task" && r.kind !== "subtask") name.append(h("span", "fxw-kindtag", r.kind)); // when Kind is hidden
    if (r.child && r.child.name) {
      const child = link(r.child.url, `→ ${r.child.name}`, "fxw-childlink");
      child.title = "The child execution's console page";
      name.append(child);
    }
    name.title = `${r.name || ""} (${r.node_id || r.key})`;

    const kind = h("div", "fxw-c fxw-c-kind", r.kind);
    const status = h("div", "fxw-c fxw-c-status");
    status.append(badge(r.label || r.phase, r.color, r.phase));
    if (r.subtasks) {
      const sub = h("span", "fxw-subcounts");
      sub.title = "Array subtasks per phase (latest attempt of each index)";
      for (const [p, n] of Object.entries(r.subtasks.counts || {})) {
        if (!n) continue;
        const st = styles().task?.[p] ?? phaseStyle(p);
        const chip = h("span", `fxw-subcount fxw-badge--${cssToken(st?.color)}`, `×${n}`);
        chip.title = `${n} ${st?.label ?? p}`;
        chip.dataset.phase = p;
        sub.append(chip);
      }
      status.append(sub);
    }

    const start = h("div", "fxw-c fxw-c-start", clockTime(r.started_at || r.created_at));
    start.title = r.started_at || r.created_at || "";
    const dur = h("div", "fxw-c fxw-c-dur");
    const durText = h("span", "fxw-dur");
    dur.append(durText, timelineBar(r));
    const attempts = h("div", "fxw-c fxw-c-attempts", r.attempts ? String(r.attempts) : "");
    const cache = h("div", "fxw-c fxw-c-cache");
    if (r.cache) cache.append(h("span", `fxw-cache fxw-cache--${cssToken(r.cache.replace(/\s+/g, "-"))}`, r.cache));
    const logs = h("div", "fxw-c fxw-c-logs");
    const attemptsSeen = new Set((r.logs || []).map((l) => l.attempt ?? 0));
    for (const l of r.logs || []) {
      if (!safeUrl(l.uri)) continue;
      const label = attemptsSeen.size > 1 ? `${l.name || "log"} #${(l.attempt ?? 0) + 1}` : l.name || "log";
      const a = link(l.uri, label, "fxw-log");
      a.title = `${label} (attempt ${(l.attempt ?? 0) + 1})`;
      logs.append(a);
    }
    const error = h("div", "fxw-c fxw-c-error");
    const st = state.status.get(r.key);
    if (st) {
      // The outcome of an action on this row (Approve, Send...): the actions column has no room for it.
      const note = h("span", `fxw-action-status${st.error ? " fxw-action-status--error" : ""}`, st.text);
      note.title = st.text;
      error.append(note);
    } else if (r.error && (r.error.message || r.error.code)) {
      const e = h("span", "fxw-error", errorSummary(r.error.message || r.error.code));
      e.title = "Show the whole error";
      e.dataset.action = "error";
      error.append(e);
    }
    const actions = h("div", "fxw-c fxw-c-actions");
    actions.append(...gateControls(r));
    const more = button(state.open.has(r.key) ? "less" : "more", "details", "fxw-btn--link");
    more.setAttribute("aria-label", "Details, inputs and outputs");
    actions.append(more);

    row.append(name, kind, status, start, dur, attempts, cache, logs, error, actions);
    for (const cell of row.children) cell.setAttribute("role", "gridcell");
    updateRowTime(row, r);
    return row;
  }

  /**
   * A mini timeline of the row within the execution: queued lead-in, then running.
   * @param {Row} r
   */
  function timelineBar(r) {
    const tl = h("span", "fxw-tl");
    tl.append(h("span", "fxw-tl-queued"), h("span", `fxw-tl-run fxw-badge--${cssToken(r.color)}`));
    return tl;
  }

  /**
   * Refresh the time-dependent parts of a rendered row (duration, timeline) at `now`.
   * @param {HTMLElement} rowEl @param {Row} r
   */
  function updateRowTime(rowEl, r) {
    const now = Date.now();
    const hd = model.get("header") || {};
    const dur = elapsedSeconds(r, now);
    const durEl = /** @type {HTMLElement|null} */ (rowEl.querySelector(".fxw-dur"));
    const created = parseTime(r.created_at);
    const started = parseTime(r.started_at);
    let queued = r.queued_s;
    if (queued == null && created !== null) queued = ((started ?? (r.terminal ? created : now)) - created) / 1000;
    if (durEl) {
      durEl.textContent = fmtDuration(dur);
      durEl.title = queued ? `queued ${fmtDuration(queued)}, running ${fmtDuration(dur)}` : "";
    }
    const t0 = parseTime(hd.started_at) ?? parseTime(hd.created_at);
    const total = elapsedSeconds(hd, now);
    const q = /** @type {HTMLElement|null} */ (rowEl.querySelector(".fxw-tl-queued"));
    const run = /** @type {HTMLElement|null} */ (rowEl.querySelector(".fxw-tl-run"));
    if (!q || !run) return;
    if (t0 === null || !total || created === null) {
      q.style.width = "0";
      run.style.width = "0";
      return;
    }
    const pct = (/** @type {number} */ s) => `${Math.max(0, Math.min(100, (100 * s) / total))}%`;
    q.style.marginLeft = pct((created - t0) / 1000);
    q.style.width = pct(queued ?? 0);
    run.style.width = pct(dur ?? 0);
  }

  /** @param {Row} r @returns {HTMLElement[]} */
  function gateControls(r) {
    const g = r.gate;
    const out = [];
    if (g && model.get("can_act")) {
      if (g.kind === "approve") {
        out.push(button("Approve", "approve", "fxw-btn--primary"), button("Reject", "reject", "fxw-btn--danger"));
      } else if (g.kind === "signal") {
        const t = (g.type || "").toLowerCase();
        /** @type {HTMLInputElement|HTMLSelectElement} */
        let input;
        if (t === "bool" || t === "boolean") {
          input = /** @type {HTMLSelectElement} */ (h("select", "fxw-signal"));
          for (const v of ["", "true", "false"]) {
            const o = /** @type {HTMLOptionElement} */ (h("option", "", v || "choose…"));
            o.value = v;
            input.append(o);
          }
        } else {
          input = /** @type {HTMLInputElement} */ (h("input", "fxw-signal"));
          input.type = t === "int" || t === "integer" || t === "float" ? "number" : "text";
          if (t === "float") input.step = "any";
          input.placeholder = g.type || "value";
        }
        input.setAttribute("aria-label", `Value for signal ${g.signal_id} (${g.type || "any"})`);
        input.dataset.key = r.key;
        input.value = state.drafts.get(r.key) ?? "";
        out.push(input, button("Send", "signal", "fxw-btn--primary"));
      } else if (g.kind === "sleep") {
        out.push(h("span", "fxw-muted", "sleeping"));
      }
    }
    return out;
  }

  /** @param {Row} r */
  function buildDetail(r) {
    const d = h("div", "fxw-detail");
    d.dataset.key = r.key;
    const info = h("div", "fxw-detail-info");
    fillDetailInfo(info, r);
    const io = h("div", "fxw-detail-io");
    if (r.kind === "subtask") {
      // FlyteAdmin keeps data per node, not per array index: the array node's row has the inputs/outputs.
      io.append(h("div", "fxw-muted", "Inputs and outputs: see the array node."));
    } else {
      io.append(ioSection(r.key, "inputs"), ioSection(r.key, "outputs"));
    }
    d.append(info, io);
    return d;
  }

  /** @param {HTMLElement} info @param {Row} r */
  function fillDetailInfo(info, r) {
    info.replaceChildren();
    const facts = h("div", "fxw-facts");
    /** @param {string} k @param {string|Node} v */
    const fact = (k, v) => {
      const f = h("span", "fxw-fact");
      f.append(h("span", "fxw-fact-k", k + " "), v);
      facts.append(f);
    };
    fact("id", h("code", "", r.node_id || r.key));
    fact("kind", r.kind || "");
    fact("status", r.label || r.phase);
    if (r.created_at) fact("created", r.created_at);
    if (r.started_at) fact("started", r.started_at);
    if (r.queued_s != null) fact("queued", fmtDuration(r.queued_s));
    if (r.duration_s != null) fact("ran", fmtDuration(r.duration_s));
    if (r.attempts) fact("attempts", String(r.attempts));
    if (r.cache) fact("cache", r.cache);
    info.append(facts);
    if (r.child && r.child.name) {
      const c = h("div", "fxw-detail-row");
      c.append(h("span", "fxw-fact-k", "child execution "), link(r.child.url, r.child.name, "fxw-childlink"));
      info.append(c);
    }
    if (r.subtasks) {
      const s = h("div", "fxw-detail-row");
      s.append(h("span", "fxw-fact-k", `subtasks (${r.subtasks.total}) `));
      for (const [p, n] of Object.entries(r.subtasks.counts || {})) {
        const st = styles().task?.[p] ?? phaseStyle(p);
        if (n) s.append(badge(`${n} ${st?.label ?? p}`, st?.color ?? "undefined", p), " ");
      }
      info.append(s);
    }
    const logs = (r.logs || []).filter((l) => safeUrl(l.uri));
    if (logs.length) {
      /** @type {Map<number, LogLink[]>} */
      const byAttempt = new Map();
      for (const l of logs) {
        const a = l.attempt ?? 0;
        if (!byAttempt.has(a)) byAttempt.set(a, []);
        /** @type {LogLink[]} */ (byAttempt.get(a)).push(l);
      }
      for (const [a, ls] of [...byAttempt].sort((x, y) => x[0] - y[0])) {
        const line = h("div", "fxw-detail-row");
        line.append(h("span", "fxw-fact-k", `attempt ${a + 1} logs `));
        for (const l of ls) line.append(link(l.uri, l.name || "log", "fxw-log"), " ");
        info.append(line);
      }
    }
    if (r.error && (r.error.message || r.error.code)) {
      const prefix = [r.error.kind, r.error.code].filter(Boolean).join(" ");
      const ev = errorView(r.error.message || "", prefix, { key: r.key, trimmed: Boolean(r.error.trimmed) });
      ev.open = true; // the native "toggle" event follows and fetches the untrimmed message if needed
      info.append(ev);
    }
    if (r.deck) {
      const line = h("div", "fxw-detail-row");
      const open = button("Open deck", "deck");
      const note = h("span", "fxw-action-status");
      open.addEventListener("click", () => {
        open.disabled = true;
        note.textContent = "getting a link…";
        request("deck", r.key).then(
          (res) => {
            note.replaceChildren(link(res?.url, "deck (new tab)", "fxw-log"));
            const url = safeUrl(res?.url);
            if (url) {
              const frame = /** @type {HTMLIFrameElement} */ (h("iframe", "fxw-deck"));
              // No allow-same-origin: the deck's scripts run, but cannot reach the notebook or its cookies.
              frame.setAttribute("sandbox", "allow-scripts");
              frame.referrerPolicy = "no-referrer";
              frame.src = url;
              frame.title = "Flyte deck";
              line.after(frame);
            }
          },
          (err) => {
            open.disabled = false;
            note.className = "fxw-action-status fxw-action-status--error";
            note.textContent = err?.message ?? String(err);
          },
        );
      });
      line.append(open, " ", note);
      info.append(line);
    }
  }

  /**
   * A collapsed Inputs/Outputs section: fetched on first open, never before.
   * @param {string} key @param {"inputs"|"outputs"} which
   */
  function ioSection(key, which) {
    const det = /** @type {HTMLDetailsElement} */ (h("details", "fxw-io"));
    det.dataset.which = which;
    det.append(h("summary", "", which === "inputs" ? "Inputs" : "Outputs"));
    const body = h("div", "fxw-io-body");
    const note = h("div", "fxw-io-note");
    det.append(note, body);
    // A row scrolled out of view and back is rebuilt: what was fetched and opened is remembered per view.
    const cacheKey = `${key}\u0000${which}`;
    const cached = state.io.get(cacheKey);
    let loaded = false;
    /** @param {any} res @param {ValueContext} ctx */
    const show = (res, ctx) => {
      note.textContent = "";
      body.replaceChildren();
      const items = res?.items || [];
      if (!items.length) body.append(h("div", "fxw-muted", `no ${which}`));
      for (const item of items) {
        const line = h("div", "fxw-kv");
        const k = button(item.name, "select", "fxw-k");
        k.title = "Select: the value becomes widget.selected_output";
        k.addEventListener("click", () => ctx.select([item.name]));
        line.append(k);
        if (item.type) line.append(h("span", "fxw-v-type", ` ${item.type}`));
        line.append(h("span", "fxw-sep", ": "));
        if (item.error) {
          line.append(h("span", "fxw-action-status--error", `${item.error.type}: ${item.error.message}`));
        } else {
          line.append(renderValue(item.value, [item.name], ctx, 0));
        }
        body.append(line);
      }
    };
    det.addEventListener("toggle", () => {
      const entry = state.io.get(cacheKey);
      if (entry) entry.open = det.open;
      if (!det.open || loaded) return;
      loaded = true;
      note.textContent = "loading…";
      /** @type {ValueContext} */
      const ctx = {
        select: (path) => {
          note.className = "fxw-io-note";
          note.textContent = "selecting…";
          request("select", key, { which, path }).then(
            (res) => {
              note.textContent = `widget.selected_output = ${which}${res.path.replace(/^([^[]+)/, "['$1']")} (${res.type})`;
              note.title = "Also flyteexec_widget.widget.selected_output(), for an execution shown by its repr";
            },
            (err) => {
              note.className = "fxw-io-note fxw-action-status--error";
              note.textContent = err?.message ?? String(err);
            },
          );
        },
        showAll: (path) => request(which, key, { path }),
      };
      const done = state.io.get(cacheKey);
      if (done?.result) {
        show(done.result, ctx);
        return;
      }
      request(which, key).then(
        (res) => {
          // Outputs of a running node may still appear: remember only what can no longer change.
          const final = key ? store.rows.get(key)?.terminal : model.get("header")?.terminal;
          if (final || which === "inputs") state.io.set(cacheKey, { open: det.open, result: res });
          show(res, ctx);
        },
        (err) => {
          loaded = false; // allow a retry by closing and opening again
          note.className = "fxw-io-note fxw-action-status--error";
          note.textContent = err?.message ?? String(err);
          console.warn(`flyteexec-widget: ${which} of ${key || "the execution"} failed`, err);
        },
      );
    });
    if (cached?.open) det.open = true; // the "toggle" event follows and shows the cached result
    return det;
  }

  // ---- windowed layout --------------------------------------------------------------------------------
  // The visible list (keys, in tree order) and its geometry are recomputed only when the tree, the expansion,
  // the filter or an open detail's height changed; scrolling only paints the rows in view.
  /** @type {string[]} */
  let keys = [];
  /** @type {number[]} */
  let tops = [];
  /** @type {number[]} */
  let heights = [];
  let itemsDirty = true;
  let heightsDirty = true;
  let layoutQueued = false;

  function scheduleLayout() {
    if (layoutQueued || destroyed) return;
    layoutQueued = true;
    requestAnimationFrame(() => {
      layoutQueued = false;
      if (!destroyed) layout();
    });
  }

  /** The tree, expansion or filter changed: recompute the visible list, then paint. */
  function relayout() {
    itemsDirty = true;
    layout();
  }

  function matcher() {
    const phase = state.phaseFilter;
    const text = state.text.trim().toLowerCase();
    if (!phase && !text) return null;
    return (/** @type {Row} */ r) =>
      (!phase || r.phase === phase) &&
      (!text || (r.name || "").toLowerCase().includes(text) || (r.node_id || "").toLowerCase().includes(text));
  }

  /** @param {string} key */
  const heightOf = (key) => (state.open.has(key) ? measured.get(key) ?? ROW_HEIGHT + DETAIL_GUESS : ROW_HEIGHT);

  function layout() {
    if (destroyed) return;
    if (itemsDirty) {
      const match = matcher();
      keys = store.visible(state.expanded, match).map((r) => r.key);
      filterNote.textContent = match ? `${keys.length} shown` : "";
      empty.hidden = keys.length > 0;
      empty.textContent = store.version < 0 ? "Loading nodes…" : match ? "No node matches the filter." : "No nodes yet.";
      firstFailure.hidden = !store.firstFailedLeaf(isFailed);
      itemsDirty = false;
      heightsDirty = true;
    }
    if (heightsDirty) {
      heights = keys.map(heightOf);
      tops = new Array(keys.length);
      let y = 0;
      for (let i = 0; i < keys.length; i++) {
        tops[i] = y;
        y += heights[i];
      }
      spacer.style.height = `${y}px`;
      heightsDirty = false;
    }
    const headH = thead.offsetHeight || ROW_HEIGHT;
    const top = Math.max(0, viewport.scrollTop - headH);
    const bottom = top + (viewport.clientHeight || 400);
    const i0 = Math.max(0, firstVisible(tops, heights, top) - OVERSCAN);
    let i1 = i0;
    while (i1 < keys.length && tops[i1] < bottom) i1++;
    i1 = Math.min(keys.length, i1 + OVERSCAN);
    const keep = new Set();
    for (let i = i0; i < i1; i++) {
      const r = store.rows.get(keys[i]);
      if (!r) continue;
      keep.add(r.key);
      let entry = rendered.get(r.key);
      const wantDetail = state.open.has(r.key);
      if (!entry) {
        const item = h("div", "fxw-item");
        item.dataset.key = r.key;
        const rowEl = buildRow(r);
        item.append(rowEl);
        entry = { item, row: rowEl, detail: null, data: r };
        rendered.set(r.key, entry);
        spacer.append(item);
      } else if (entry.data !== r) {
        refreshEntry(entry, r);
      }
      if (wantDetail && !entry.detail) {
        entry.detail = buildDetail(r);
        entry.item.append(entry.detail);
        entry.item.classList.add("fxw-item--open");
        resizeObserver?.observe(entry.item);
      } else if (!wantDetail && entry.detail) {
        entry.detail.remove();
        entry.detail = null;
        entry.item.classList.remove("fxw-item--open");
        resizeObserver?.unobserve(entry.item);
        measured.delete(r.key);
      }
      entry.item.style.transform = `translateY(${tops[i]}px)`;
    }
    for (const [key, entry] of rendered) {
      if (!keep.has(key)) {
        resizeObserver?.unobserve(entry.item);
        entry.item.remove();
        rendered.delete(key);
      }
    }
  }

  /**
   * Rebuild a rendered row with new data (a patch); the detail's info part too, keeping its inputs/outputs.
   * @param {{item: HTMLElement, row: HTMLElement, detail: HTMLElement|null, data: Row}} entry @param {Row} r
   */
  function refreshEntry(entry, r) {
    // A patch may rebuild the row the user is typing in: keep the focus (the draft value is kept in state).
    const active = document.activeElement;
    const inRow = active instanceof HTMLElement && entry.row.contains(active) ? active : null;
    const focusSel = inRow
      ? inRow.classList.contains("fxw-signal")
        ? ".fxw-signal"
        : inRow.dataset.action
          ? `[data-action="${CSS.escape(inRow.dataset.action)}"]`
          : null
      : null;
    const fresh = buildRow(r);
    entry.row.replaceWith(fresh);
    entry.row = fresh;
    entry.data = r;
    if (focusSel) /** @type {HTMLElement|null} */ (fresh.querySelector(focusSel))?.focus();
    if (entry.detail) {
      const info = /** @type {HTMLElement|null} */ (entry.detail.querySelector(".fxw-detail-info"));
      if (info) fillDetailInfo(info, r);
    }
  }

  // ---- events -----------------------------------------------------------------------------------------
  /** @param {string} key */
  function toggleOpen(key) {
    if (state.open.has(key)) state.open.delete(key);
    else state.open.add(key);
    const entry = rendered.get(key);
    if (entry) refreshEntry(entry, entry.data);
    relayout();
  }

  /**
   * Run a gate action for row `key` and keep its outcome next to the buttons.
   * @param {string} key @param {string} action @param {Record<string, unknown>} [extra]
   */
  function gateAction(key, action, extra) {
    state.status.set(key, { text: `${action}…`, error: false });
    const entry = rendered.get(key);
    if (entry) refreshEntry(entry, entry.data);
    request(action, key, extra).then(
      (res) => {
        state.status.set(key, { text: res?.message || "done", error: false });
        state.drafts.delete(key);
      },
      (err) => {
        state.status.set(key, { text: err?.message ?? String(err), error: true });
        console.warn(`flyteexec-widget: ${action} of ${key} failed`, err);
      },
    ).finally(() => {
      const e = rendered.get(key);
      if (e) refreshEntry(e, store.rows.get(key) ?? e.data);
    });
  }

  /** @param {MouseEvent} ev */
  function onClick(ev) {
    const target = /** @type {HTMLElement} */ (ev.target);
    const rowEl = /** @type {HTMLElement|null} */ (target.closest(".fxw-row"));
    if (!rowEl || !spacer.contains(rowEl)) return;
    const key = rowEl.dataset.key || "";
    const actionEl = /** @type {HTMLElement|null} */ (target.closest("[data-action]"));
    const action = actionEl?.dataset.action;
    if (target.closest("a, input, select")) return; // links and inputs do their own thing
    if (action === "toggle") {
      if (state.expanded.has(key)) state.expanded.delete(key);
      else state.expanded.add(key);
      const entry = rendered.get(key);
      if (entry) refreshEntry(entry, entry.data);
      relayout();
    } else if (action === "approve" || action === "reject") {
      gateAction(key, action);
    } else if (action === "signal") {
      const input = /** @type {HTMLInputElement|null} */ (rowEl.querySelector(".fxw-signal"));
      const r = store.rows.get(key);
      const parsed = parseSignalInput(r?.gate?.type || "", input?.value ?? "");
      if (!parsed.ok) {
        state.status.set(key, { text: parsed.error, error: true });
        const entry = rendered.get(key);
        if (entry) refreshEntry(entry, entry.data);
        return;
      }
      gateAction(key, "signal", { value: parsed.value });
    } else {
      // "details", the error text, or a click anywhere else on the row: open/close its detail
      toggleOpen(key);
    }
  }

  /** @param {Event} ev */
  function onInput(ev) {
    const t = /** @type {HTMLInputElement} */ (ev.target);
    if (t.classList.contains("fxw-signal") && t.dataset.key) state.drafts.set(t.dataset.key, t.value);
  }

  /** @param {KeyboardEvent} ev */
  function onKey(ev) {
    const t = /** @type {HTMLElement} */ (ev.target);
    if (ev.key === "Enter" && t.classList.contains("fxw-signal")) {
      /** @type {HTMLElement|null} */ (t.parentElement?.querySelector('[data-action="signal"]') ?? null)?.click();
    }
  }

  spacer.addEventListener("click", onClick);
  spacer.addEventListener("input", onInput);
  spacer.addEventListener("change", onInput);
  spacer.addEventListener("keydown", onKey);
  const viewportObserver = typeof ResizeObserver === "function" ? new ResizeObserver(() => scheduleLayout()) : null;
  viewportObserver?.observe(viewport);
  viewport.addEventListener("scroll", () => {
    state.scrollTop = viewport.scrollTop;
    scheduleLayout();
  });
  search.addEventListener("input", () => {
    state.text = search.value;
    relayout();
  });
  expandAll.addEventListener("click", () => {
    for (const r of store.rows.values()) if (r.has_children) state.expanded.add(r.key);
    for (const [, e] of rendered) refreshEntry(e, e.data);
    relayout();
  });
  collapseAll.addEventListener("click", () => {
    state.expanded.clear();
    for (const [, e] of rendered) refreshEntry(e, e.data);
    relayout();
  });
  firstFailure.addEventListener("click", () => {
    const leaf = store.firstFailedLeaf(isFailed);
    if (!leaf) return;
    state.phaseFilter = null;
    state.text = "";
    search.value = "";
    for (const k of store.ancestors(leaf.key)) state.expanded.add(k);
    state.open.add(leaf.key);
    for (const [, e] of rendered) refreshEntry(e, e.data);
    renderCounts();
    relayout();
    const idx = keys.indexOf(leaf.key);
    if (idx >= 0) {
      viewport.scrollTop = tops[idx]; // just below the sticky column header
      layout();
    }
  });
  execIoBtn.addEventListener("click", () => {
    state.execIo = !state.execIo;
    renderExecIo();
  });

  function renderExecIo() {
    execIo.replaceChildren();
    execIo.hidden = !state.execIo;
    execIoBtn.setAttribute("aria-pressed", String(state.execIo));
    if (state.execIo) execIo.append(ioSection("", "inputs"), ioSection("", "outputs"));
  }

  // ---- kernel messages --------------------------------------------------------------------------------
  /** @param {any} msg */
  function onCustom(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "snapshot") {
      if (!feed.snapshot(msg)) return;
      for (const [, e] of rendered) {
        const r = store.rows.get(e.data.key);
        if (r) refreshEntry(e, r);
      }
      relayout();
      if (state.scrollTop) {
        viewport.scrollTop = state.scrollTop;
        layout();
      }
    } else if (msg.type === "patch") {
      const applied = feed.patch(msg);
      if (!applied) return;
      const { changed, structural } = applied;
      for (const key of changed) {
        const entry = rendered.get(key);
        const r = store.rows.get(key);
        if (entry && r) refreshEntry(entry, r);
        if (r && !r.gate && state.status.has(key) && !state.status.get(key)?.error) state.status.delete(key);
      }
      const hasFailure = Boolean(store.firstFailedLeaf(isFailed));
      if (structural || matcher() || firstFailure.hidden === hasFailure) relayout();
    } else if (msg.type === "response") {
      const p = pending.get(msg.id);
      if (!p) return; // another view's request
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(msg.error || { type: "Error", message: "request failed" });
    }
  }

  // ---- clock: elapsed times tick in the browser, between syncs -------------------------------------------
  function tick() {
    const now = Date.now();
    const hd = model.get("header") || {};
    if (elapsedEl) {
      const s = elapsedSeconds(hd, now);
      elapsedEl.textContent = s === null ? "" : hd.terminal ? `took ${fmtDuration(s)}` : `running ${fmtDuration(s)}`;
    }
    if (syncEl) syncEl.textContent = syncText(model.get("sync_status") || {}, now);
    for (const [, e] of rendered) if (!e.data.terminal || !hd.terminal) updateRowTime(e.row, e.data);
  }
  const timer = setInterval(tick, 1000);

  const onHeader = () => {
    renderHeader();
    renderCounts();
  };
  const onCounts = () => renderCounts();
  const onSync = () => renderMeta();
  const onCanAct = () => {
    renderHeader();
    for (const [, e] of rendered) refreshEntry(e, e.data);
  };
  model.on("change:header", onHeader);
  model.on("change:counts", onCounts);
  model.on("change:sync_status", onSync);
  model.on("change:can_act", onCanAct);
  model.on("change:styles", onHeader);
  model.on("msg:custom", onCustom);

  renderHeader();
  renderCounts();
  renderMeta();
  renderExecIo();
  layout();
  model.send({ type: "snapshot", view: viewId });

  return () => {
    destroyed = true;
    clearInterval(timer);
    resizeObserver?.disconnect();
    viewportObserver?.disconnect();
    model.off("change:header", onHeader);
    model.off("change:counts", onCounts);
    model.off("change:sync_status", onSync);
    model.off("change:can_act", onCanAct);
    model.off("change:styles", onHeader);
    model.off("msg:custom", onCustom);
    for (const [, p] of pending) p.reject({ type: "Closed", message: "the view was closed" });
    pending.clear();
  };
}

export default { render };
