// The board: a live table of executions (display/board.py). Its own widget, whose module is widget.js's helpers
// joined with this file (display/assets.py BOARD_MODULES). Rows arrive whole in the `rows` trait; requests use the
// execution widget's protocol (Requests). Server text is set with textContent, links go through link() (http(s) only).
import {
  Requests,
  TIME,
  busyNote,
  cssToken,
  exceptionLine,
  fmtDuration,
  firstLine,
  fmtUtc,
  parseTime,
  syncText,
  h,
  link,
  button,
} from "./widget.js";

/**
 * @typedef {{text: string, value: number|string|null}} BoardCell
 * @typedef {{done: number, total: number, running: number, failed: number}} BoardProgress
 * @typedef {{
 *   key: string, project: string, domain: string, name: string, url: string|null, launch_plan: string,
 *   lp_version: string, lp_url: string|null, workflow: string, principal: string, phase: string, label: string,
 *   color: string, terminal: boolean, created_at: string|null, started_at: string|null, duration_s: number|null,
 *   progress: BoardProgress|null, error: {kind: string, code: string, message: string}|null,
 *   inputs: Record<string, BoardCell>, metric: BoardCell|null, outputs_state: string
 * }} BoardRow
 * @typedef {{col: string, dir: number}} BoardSortSpec
 */

/**
 * The board's columns in order (each sortable): execution and status, then what tells a sweep's runs apart (the
 * inputs that differ, the metric), then progress, times, launch plan, and the error last (the widest: it gets the
 * space left and shows its whole text on hover).
 * @param {{columns?: string[], metric?: string|null}} header
 * @returns {{id: string, label: string}[]}
 */
export function boardColumns(header) {
  return [
    { id: "name", label: "Execution" },
    { id: "phase", label: "Status" },
    ...(header.columns || []).map((n) => ({ id: `input:${n}`, label: n })),
    ...(header.metric ? [{ id: "metric", label: header.metric }] : []),
    { id: "progress", label: "Progress" },
    { id: "start", label: "Started" },
    { id: "duration", label: "Duration" },
    { id: "launch_plan", label: "Launch plan" },
    { id: "error", label: "Error" },
  ];
}

/**
 * A row's duration in seconds: the closure's once terminal, else the time since it started (null: not started).
 * @param {BoardRow} r @param {number} nowMs
 */
export function boardDuration(r, nowMs) {
  if (r.terminal && r.duration_s !== null && r.duration_s !== undefined) return r.duration_s;
  const start = parseTime(r.started_at);
  if (start === null) return r.duration_s ?? null;
  return Math.max(0, (nowMs - start) / 1000);
}

/**
 * The value a row sorts by in column `col` (null: none; such rows go last whichever way the column sorts).
 * @param {BoardRow} r @param {string} col @param {number} nowMs
 * @returns {number|string|null}
 */
export function boardSortValue(r, col, nowMs) {
  if (col === "metric") return r.metric?.value ?? null;
  if (col.startsWith("input:")) return r.inputs?.[col.slice(6)]?.value ?? null;
  switch (col) {
    case "name":
      return r.name;
    case "launch_plan":
      return `${r.launch_plan}@${r.lp_version}`;
    case "phase":
      return r.label || r.phase;
    case "start":
      return parseTime(r.started_at ?? r.created_at);
    case "duration":
      return boardDuration(r, nowMs);
    case "progress":
      return r.progress ? r.progress.done / Math.max(1, r.progress.total) : null;
    case "error":
      return r.error ? exceptionLine(r.error.message) : null;
    default:
      return null;
  }
}

/**
 * Compare two sort values: numbers by value, before text; text in natural order.
 * @param {number|string} a @param {number|string} b
 */
function compareValues(a, b) {
  const na = typeof a === "number";
  const nb = typeof b === "number";
  if (na && nb) return /** @type {number} */ (a) - /** @type {number} */ (b);
  if (na !== nb) return na ? -1 : 1;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/**
 * The rows sorted by `spec` (`dir` 1 ascending, -1 descending); rows without a value last in both directions,
 * text after numbers in both directions,
 * ties in board order (the newest first for a query). Does not modify `rows`.
 * @param {BoardRow[]} rows @param {BoardSortSpec|null} spec @param {number} nowMs
 * @returns {BoardRow[]}
 */
export function boardSort(rows, spec, nowMs) {
  if (!spec) return rows.slice();
  const keyed = rows.map((r, i) => ({ r, i, v: boardSortValue(r, spec.col, nowMs) }));
  keyed.sort((x, y) => {
    const mx = x.v === null || x.v === undefined;
    const my = y.v === null || y.v === undefined;
    if (mx || my) return mx === my ? x.i - y.i : mx ? 1 : -1;
    // numbers before text both ways: a metric that is not a number ("nan", "inf") never tops a best-first sort
    const nx = typeof x.v === "number";
    if (nx !== (typeof y.v === "number")) return nx ? -1 : 1;
    const c = compareValues(/** @type {number|string} */ (x.v), /** @type {number|string} */ (y.v));
    return c === 0 ? x.i - y.i : c * spec.dir;
  });
  return keyed.map((k) => k.r);
}

/**
 * The next sort after a click on column `col`: ascending first (a metric: descending first, best on top), then
 * the other way, then back to board order.
 * @param {BoardSortSpec|null} current @param {string} col
 * @returns {BoardSortSpec|null}
 */
export function nextSort(current, col) {
  const first = col === "metric" ? -1 : 1;
  if (!current || current.col !== col) return { col, dir: first };
  if (current.dir === first) return { col, dir: -first };
  return null;
}

/**
 * Rows shown under a phase filter (null: all).
 * @param {BoardRow[]} rows @param {string|null} phase
 */
export function boardFilter(rows, phase) {
  return phase ? rows.filter((r) => r.phase === phase) : rows;
}

/**
 * What an empty board says: that nothing matches only once a listing answered; before that, that it is listing,
 * or why it could not (FlyteAdmin unreachable, a filter it refused).
 * @param {any} sync the sync status
 */
export function boardEmptyText(sync) {
  const state = sync?.state ?? "";
  if (state === "error") return `Could not list the executions: ${firstLine(sync.last_error) || "error"}`;
  if (sync?.last_synced_at) return "No executions match (yet): new ones appear here.";
  if (state === "reconnecting") return "Could not reach FlyteAdmin yet: retrying…";
  if (state === "login") return "Log in again to list the executions.";
  if (state === "stopped") return "Not watching.";
  return "Listing the executions…";
}

/** @param {BoardProgress|null} p */
export function progressText(p) {
  if (!p) return "";
  const parts = [`${p.done} of ${p.total} nodes`];
  if (p.running) parts.push(`${p.running} running`);
  if (p.failed) parts.push(`${p.failed} failed`);
  return parts.join(", ");
}

/**
 * The nodes of a comparison and which one got slower the most (its node id, or null).
 * @param {{node_id: string, delta_s: number|null}[]} nodes
 */
export function slowestChange(nodes) {
  let best = null;
  let most = 0;
  for (const n of nodes) {
    if (n.delta_s !== null && n.delta_s > most) {
      most = n.delta_s;
      best = n.node_id;
    }
  }
  return best;
}

// ---- DOM -------------------------------------------------------------------------------------------------------


/** @param {string} label @param {string} color @param {string} phase */
function bbadge(label, color, phase) {
  const b = h("span", `fxw-badge fxw-badge--${cssToken(color)}`, label || "Unknown");
  b.dataset.phase = phase;
  return b;
}

const BOARD_CONFIRMS = {
  terminate: { verb: "Terminate", busy: "terminating…", cause: true, danger: true },
  relaunch: { verb: "Relaunch", busy: "relaunching…", cause: false, danger: false },
  recover: { verb: "Recover", busy: "recovering…", cause: false, danger: false },
};

/** View state that outlives one view of the same board (a display update makes the view again). */
const BOARD_STATE = new Map();

function boardState(instance) {
  let s = BOARD_STATE.get(instance);
  if (!s) {
    s = { sort: /** @type {BoardSortSpec|null} */ (null), phase: /** @type {string|null} */ (null), selected: new Set() };
    BOARD_STATE.set(instance, s);
  }
  return s;
}

/** One view of a board: header, toolbar (phase filter, actions on the selection), the table, the comparison. */
class BoardView {
  /** @param {any} model @param {HTMLElement} el */
  constructor(model, el) {
    this.model = model;
    this.state = boardState(String(model.get("instance") || ""));
    this.requests = new Requests(`b${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, (msg) =>
      model.send(msg),
    );
    this.root = h("div", "fxw fxb");
    this.head = h("div", "fxb-head");
    this.title = h("span", "fxb-title");
    this.sync = h("span", "fxb-sync");
    this.note = h("span", "fxb-note");
    this.note.hidden = true;
    this.head.append(this.title, this.sync, this.note);
    this.toolbar = h("div", "fxb-toolbar");
    this.chips = h("div", "fxb-chips");
    this.chips.setAttribute("role", "group");
    this.chips.setAttribute("aria-label", "Filter by phase");
    this.selInfo = h("span", "fxb-selinfo");
    this.compareBtn = button("Compare", "compare");
    this.actionBtns = ["terminate", "relaunch", "recover"].map((k) =>
      button(BOARD_CONFIRMS[/** @type {keyof typeof BOARD_CONFIRMS} */ (k)].verb, k),
    );
    const actions = h("div", "fxb-actions");
    actions.append(this.selInfo, this.compareBtn, ...this.actionBtns);
    this.toolbar.append(this.chips, actions);
    this.confirm = h("div", "fxw-confirm fxb-confirm");
    this.confirm.hidden = true;
    this.scroll = h("div", "fxb-scroll");
    this.table = /** @type {HTMLTableElement} */ (h("table", "fxb-table"));
    this.thead = h("thead");
    this.tbody = h("tbody");
    this.table.append(this.thead, this.tbody);
    this.scroll.append(this.table);
    this.empty = h("div", "fxb-empty");
    this.comparePanel = h("div", "fxb-compare");
    this.comparePanel.hidden = true;
    this.root.append(this.head, this.toolbar, this.confirm, this.scroll, this.empty, this.comparePanel);
    el.append(this.root);

    this.compareBtn.addEventListener("click", () => this.compare());
    for (const b of this.actionBtns) b.addEventListener("click", () => this.openConfirm(b.dataset.action || ""));
    this.tbody.addEventListener("click", (ev) => this.onRowClick(ev));
    this.tbody.addEventListener("keydown", (ev) => {
      const tr = /** @type {HTMLElement} */ (ev.target)?.closest?.("tr[data-key]");
      if (tr && ev.key === "Enter" && ev.target === tr) this.openRow(tr.getAttribute("data-key") || "", false);
    });
    this.thead.addEventListener("click", (ev) => {
      const th = /** @type {HTMLElement} */ (ev.target)?.closest?.("th[data-col]");
      if (!th) return;
      this.state.sort = nextSort(this.state.sort, th.dataset.col || "");
      this.render();
    });
    this.render();
  }

  /** @returns {BoardRow[]} */
  get rows() {
    return this.model.get("rows") || [];
  }

  render() {
    const now = Date.now();
    const header = this.model.get("header") || {};
    const rows = this.rows;
    const keys = new Set(rows.map((r) => r.key));
    for (const k of [...this.state.selected]) if (!keys.has(k)) this.state.selected.delete(k);
    this.title.textContent = `Board: ${header.source || "…"} · ${rows.length} execution${rows.length === 1 ? "" : "s"}${
      header.truncated ? " (newest shown; more match)" : ""
    }`;
    const notes = [header.missing_note, header.metric_note].filter(Boolean);
    this.note.textContent = notes.join(" · ");
    this.note.hidden = notes.length === 0;
    this.renderSync(now);
    this.renderChips(rows);
    this.renderHead(header);
    const shown = boardSort(boardFilter(rows, this.state.phase), this.state.sort, now);
    this.renderBody(shown, header, now);
    this.renderSelection();
  }

  /** @param {number} now */
  renderSync(now) {
    const sync = this.model.get("sync_status") || {};
    this.sync.textContent = syncText(sync, now);
    this.sync.dataset.state = sync.state || "";
    const none = this.rows.length === 0;
    this.empty.textContent = none ? boardEmptyText(sync) : "";
    this.empty.hidden = !none;
  }

  /** @param {BoardRow[]} rows */
  renderChips(rows) {
    /** @type {Map<string, {label: string, color: string, n: number}>} */
    const by = new Map();
    for (const r of rows) {
      const c = by.get(r.phase) || { label: r.label, color: r.color, n: 0 };
      c.n += 1;
      by.set(r.phase, c);
    }
    if (this.state.phase && !by.has(this.state.phase)) this.state.phase = null;
    const chip = (/** @type {string|null} */ phase, /** @type {string} */ text, /** @type {string} */ color) => {
      const b = button(text, "phase", `fxb-chip fxw-badge--${cssToken(color)}`);
      b.dataset.phase = phase ?? "";
      b.setAttribute("aria-pressed", String(this.state.phase === phase));
      b.addEventListener("click", () => {
        this.state.phase = this.state.phase === phase ? null : phase;
        this.render();
      });
      return b;
    };
    const out = [chip(null, `All ${rows.length}`, "undefined")];
    for (const [phase, c] of by) out.push(chip(phase, `${c.label} ${c.n}`, c.color));
    this.chips.replaceChildren(...out);
  }

  /** @param {any} header */
  renderHead(header) {
    const tr = h("tr");
    const all = /** @type {HTMLInputElement} */ (h("input", "fxb-check-all"));
    all.type = "checkbox";
    all.setAttribute("aria-label", "Select all shown");
    all.addEventListener("click", (ev) => {
      ev.stopPropagation();
      const shown = boardFilter(this.rows, this.state.phase);
      if (all.checked) for (const r of shown) this.state.selected.add(r.key);
      else for (const r of shown) this.state.selected.delete(r.key);
      this.sendSelection();
      this.render();
    });
    const first = h("th", "fxb-th-check");
    first.append(all);
    tr.append(first);
    const cols = boardColumns(header);
    for (const c of cols) {
      const th = h("th", c.id.startsWith("input:") ? "fxb-th-input" : c.id === "metric" ? "fxb-th-metric" : "");
      th.dataset.col = c.id;
      th.tabIndex = 0;
      const sort = this.state.sort;
      const on = sort && sort.col === c.id;
      th.setAttribute("aria-sort", on ? (sort.dir > 0 ? "ascending" : "descending") : "none");
      th.title = `Sort by ${c.label}`;
      th.append(h("span", "", c.label), h("span", "fxb-sort", on ? (sort.dir > 0 ? " ▲" : " ▼") : ""));
      th.addEventListener("keydown", (ev) => ev.key === "Enter" && th.click());
      tr.append(th);
    }
    this.thead.replaceChildren(tr);
    this.columns = cols;
  }

  /** @param {BoardRow[]} rows @param {any} header @param {number} now */
  renderBody(rows, header, now) {
    const open = new Set(this.model.get("open_keys") || []);
    const pinned = new Set(this.model.get("pinned") || []);
    const out = [];
    for (const r of rows) {
      const tr = h("tr", "fxb-row");
      tr.dataset.key = r.key;
      tr.dataset.phase = r.phase;
      tr.tabIndex = 0;
      if (open.has(r.key)) tr.classList.add("fxb-row--open");
      const check = /** @type {HTMLInputElement} */ (h("input", "fxb-check"));
      check.type = "checkbox";
      check.checked = this.state.selected.has(r.key);
      check.setAttribute("aria-label", `Select ${r.name}`);
      const c0 = h("td", "fxb-td-check");
      c0.append(check);
      const name = h("td", "fxb-name");
      name.append(link(r.url, r.name, "fxb-exec"));
      const isPinned = pinned.has(r.key);
      const pin = button(isPinned ? "pinned" : "pin", isPinned ? "unpin" : "pin", "fxb-pin");
      pin.title = isPinned ? "Unpin: the next row opened replaces it" : "Open its tree beside the others";
      pin.setAttribute("aria-pressed", String(isPinned));
      name.append(pin);
      if (open.has(r.key)) {
        const close = button("close", "close-pane", "fxb-pin fxb-close");
        close.title = "Close its tree";
        name.append(close);
      }
      const lp = h("td", "fxb-lp");
      lp.append(link(r.lp_url, r.launch_plan || r.workflow, "fxb-lpname"), h("span", "fxb-ver", r.lp_version));
      const status = h("td", "fxb-status");
      status.append(bbadge(r.label, r.color, r.phase));
      const start = h("td", "fxb-start", r.started_at ? TIME.clock(parseTime(r.started_at) ?? 0, now) : "");
      if (r.started_at) start.title = fmtUtc(r.started_at);
      const dur = h("td", "fxb-dur", fmtDuration(boardDuration(r, now)));
      if (!r.terminal) dur.dataset.live = "1";
      const prog = h("td", "fxb-progress");
      if (r.progress) {
        const bar = h("span", "fxb-bar");
        const fill = h("span", "fxb-bar-fill");
        fill.style.width = `${Math.round((100 * r.progress.done) / Math.max(1, r.progress.total))}%`;
        bar.append(fill);
        prog.append(bar, h("span", "fxb-progress-text", progressText(r.progress)));
      }
      const err = h("td", "fxb-error");
      if (r.error) {
        const line = exceptionLine(r.error.message);
        err.textContent = line;
        err.title = r.error.message.length > 2000 ? r.error.message.slice(-2000) : r.error.message;
      }
      /** @type {Record<string, HTMLElement>} */
      const cells = { name, phase: status, progress: prog, start, duration: dur, launch_plan: lp, error: err };
      if (header.metric) {
        const m = h("td", "fxb-metric");
        if (r.metric) m.textContent = r.metric.text;
        else {
          m.textContent = r.terminal ? (r.outputs_state === "pending" ? "…" : "—") : "";
          m.classList.add("fxb-metric--none");
        }
        cells.metric = m;
      }
      tr.append(c0);
      for (const c of this.columns || boardColumns(header)) {
        tr.append(
          cells[c.id] ?? h("td", "fxb-input", c.id.startsWith("input:") ? (r.inputs?.[c.id.slice(6)]?.text ?? "") : ""),
        );
      }
      out.push(tr);
    }
    this.tbody.replaceChildren(...out);
  }

  renderSelection() {
    const n = this.state.selected.size;
    this.selInfo.textContent = n ? `${n} selected` : "Select rows to compare or act on them";
    this.compareBtn.disabled = n !== 2;
    this.compareBtn.title = n === 2 ? "Compare the two selected executions" : "Select exactly two executions";
    const canAct = Boolean(this.model.get("can_act"));
    for (const b of this.actionBtns) b.disabled = n === 0 || !canAct;
  }

  /** Refresh only what time changes: running durations and the sync line. */
  tick() {
    const now = Date.now();
    this.renderSync(now);
    const byKey = new Map(this.rows.map((r) => [r.key, r]));
    for (const td of this.tbody.querySelectorAll("td[data-live]")) {
      const r = byKey.get(td.closest("tr")?.getAttribute("data-key") || "");
      if (r) td.textContent = fmtDuration(boardDuration(r, now));
    }
  }

  sendSelection() {
    this.requests.request("select", "", { keys: [...this.state.selected] }).catch(() => {});
  }

  /** @param {MouseEvent} ev */
  onRowClick(ev) {
    const target = /** @type {HTMLElement} */ (ev.target);
    const tr = target.closest("tr[data-key]");
    if (!tr) return;
    const key = tr.getAttribute("data-key") || "";
    if (target.closest("a")) return; // the console link opens on its own
    if (target.classList.contains("fxb-check")) {
      const on = /** @type {HTMLInputElement} */ (target).checked;
      if (on) this.state.selected.add(key);
      else this.state.selected.delete(key);
      this.sendSelection();
      this.renderSelection();
      return;
    }
    if (target.closest("td.fxb-td-check")) return;
    const action = target.closest("button")?.getAttribute("data-action");
    if (action === "unpin" || action === "close-pane") {
      this.requests
        .request(action === "unpin" ? "unpin" : "close", key)
        .catch((e) => (this.selInfo.textContent = `could not ${action} ${key}: ${e?.message || e}`));
      return;
    }
    this.openRow(key, action === "pin");
  }

  /** @param {string} key @param {boolean} pin */
  openRow(key, pin) {
    const tr = this.tbody.querySelector(`tr[data-key="${CSS.escape(key)}"]`);
    tr?.classList.add("fxb-row--opening");
    this.requests.request("open", key, { pin }).then(
      () => tr?.classList.remove("fxb-row--opening"),
      (e) => {
        tr?.classList.remove("fxb-row--opening");
        this.selInfo.textContent = `could not open ${key}: ${e?.message || e}`;
      },
    );
  }

  /** @param {string} kind */
  openConfirm(kind) {
    const spec = BOARD_CONFIRMS[/** @type {keyof typeof BOARD_CONFIRMS} */ (kind)];
    const keys = [...this.state.selected];
    if (!spec || !keys.length) return;
    if (!this.confirm.hidden && this.confirm.dataset.kind === kind) {
      this.confirm.hidden = true;
      return;
    }
    const box = this.confirm;
    box.dataset.kind = kind;
    const names = this.rows.filter((r) => this.state.selected.has(r.key)).map((r) => r.name);
    const question = `${spec.verb} ${keys.length} execution${keys.length === 1 ? "" : "s"} (${names.slice(0, 5).join(", ")}${
      names.length > 5 ? ", …" : ""
    })?`;
    const cause = /** @type {HTMLInputElement} */ (h("input", "fxw-cause"));
    cause.placeholder = "Cause (optional)";
    cause.setAttribute("aria-label", "Cause of the termination");
    const ok = button(spec.verb, `${kind}-confirm`, spec.danger ? "fxw-btn--danger" : "fxw-btn--primary");
    const cancel = button("Cancel", `${kind}-cancel`);
    const status = h("span", "fxw-action-status");
    cancel.addEventListener("click", () => (box.hidden = true));
    ok.addEventListener("click", () => {
      ok.disabled = true;
      this.requests
        .request(kind, "", spec.cause ? { keys, cause: cause.value } : { keys }, busyNote(status, spec.busy))
        .then(
          (res) => {
            status.replaceChildren(res?.message || "done");
            for (const r of res?.results || []) {
              const item = h("span", r.ok ? "fxb-result" : "fxb-result fxb-result--error", ` ${r.message}`);
              if (r.name) item.append(" ", link(r.url, r.name, "fxw-exec"));
              status.append(item);
            }
          },
          (e) => {
            ok.disabled = false;
            status.className = "fxw-action-status fxw-action-status--error";
            status.textContent = e?.message || String(e);
          },
        );
    });
    box.replaceChildren(h("span", "", question));
    if (spec.cause) box.append(cause);
    box.append(ok, cancel, status);
    box.hidden = false;
    ok.focus();
  }

  compare() {
    const keys = [...this.state.selected];
    if (keys.length !== 2) return;
    const panel = this.comparePanel;
    panel.hidden = false;
    panel.replaceChildren(h("div", "fxb-compare-wait", "comparing…"));
    this.requests.request("compare", "", { keys }).then(
      (res) => this.renderCompare(res),
      (e) => panel.replaceChildren(h("div", "fxb-compare-error", e?.message || String(e))),
    );
  }

  /** @param {any} res */
  renderCompare(res) {
    const panel = this.comparePanel;
    const close = button("Close", "compare-close");
    close.addEventListener("click", () => (panel.hidden = true));
    const head = h("div", "fxb-compare-head");
    head.append(h("strong", "", "Compare"), h("span", "", ` ${res.a.name} (A) and ${res.b.name} (B)`), close);
    /** @param {string} title @param {any[]} items */
    const section = (title, items) => {
      const t = /** @type {HTMLTableElement} */ (h("table", "fxb-compare-table"));
      t.dataset.section = title.toLowerCase();
      const hr = h("tr");
      hr.append(h("th", "", title), h("th", "", `A ${res.a.name}`), h("th", "", `B ${res.b.name}`));
      t.append(hr);
      for (const it of items) {
        const tr = h("tr", it.differs ? "fxb-diff" : "");
        tr.dataset.name = it.name;
        tr.append(h("td", "", it.name), h("td", "", it.a?.text ?? "—"), h("td", "", it.b?.text ?? "—"));
        if (it.differs) tr.title = "differs";
        t.append(tr);
      }
      if (!items.length) t.append(h("tr", "", "none"));
      return t;
    };
    const slowest = slowestChange(res.nodes);
    const nodes = /** @type {HTMLTableElement} */ (h("table", "fxb-compare-table"));
    nodes.dataset.section = "nodes";
    const hr = h("tr");
    hr.append(h("th", "", "Node"), h("th", "", "A duration"), h("th", "", "B duration"), h("th", "", "B − A"));
    nodes.append(hr);
    for (const n of res.nodes) {
      const tr = h("tr", n.node_id === slowest ? "fxb-slower" : "");
      tr.dataset.node = n.node_id;
      const delta = n.delta_s === null ? "" : `${n.delta_s > 0 ? "+" : n.delta_s < 0 ? "−" : ""}${fmtDuration(Math.abs(n.delta_s))}`;
      tr.append(
        h("td", "", `${n.name} (${n.node_id})`),
        h("td", "", n.a ? fmtDuration(n.a.duration_s) || n.a.phase : "—"),
        h("td", "", n.b ? fmtDuration(n.b.duration_s) || n.b.phase : "—"),
        h("td", "fxb-delta", n.node_id === slowest ? `${delta} slower` : delta),
      );
      nodes.append(tr);
    }
    const grid = h("div", "fxb-compare-grid");
    grid.append(section("Inputs", res.inputs), section("Outputs", res.outputs), nodes);
    panel.replaceChildren(head, grid);
  }
}

/** anywidget's render for the board. @param {{model: any, el: HTMLElement}} args */
function boardRender({ model, el }) {
  const view = new BoardView(model, el);
  const rerender = () => view.render();
  const onSync = () => view.renderSync(Date.now());
  model.on("change:rows", rerender);
  model.on("change:header", rerender);
  model.on("change:open_keys", rerender);
  model.on("change:pinned", rerender);
  model.on("change:can_act", rerender);
  model.on("change:sync_status", onSync);
  /** @param {any} msg */
  const onMessage = (msg) => {
    if (msg?.type === "accepted") view.requests.accept(msg);
    else if (msg?.type === "response") view.requests.settle(msg);
  };
  model.on("msg:custom", onMessage);
  const timer = setInterval(() => view.tick(), 1000);
  return () => {
    clearInterval(timer);
    model.off("change:rows", rerender);
    model.off("change:header", rerender);
    model.off("change:open_keys", rerender);
    model.off("change:pinned", rerender);
    model.off("change:can_act", rerender);
    model.off("change:sync_status", onSync);
    model.off("msg:custom", onMessage);
    view.requests.close();
  };
}

export default { render: boardRender };
