// @ts-check
/**
 * flyteexec-widget front end: a plain ES module for anywidget (no bundler, no CDN, works offline).
 *
 * The kernel mirrors an ExecutionModel: traits `header`, `counts`, `sync_status`, `styles` (the phase table from
 * phases.py), `can_act`; node rows travel as custom messages (see docs/architecture.md, "Widget protocol"). The
 * kernel pushes them unasked (a running cell cannot answer a request), so they are collected per widget model from
 * its creation on (`initialize`: one SharedModel per model) and every view of the model reads that one store.
 * Everything from the server is untrusted: text goes through textContent, links must be http(s), the deck iframe is
 * sandboxed. Only rows in view are in the DOM (windowed rendering), children are collapsed by default, and a
 * "patch" message rebuilds only the rows it names.
 */
import { TimelineView, attemptsSection, tickAttempts, timelineState } from "./timeline.js";
import { GraphView } from "./graph.js";
import { NotifyBell } from "./notify.js";
import { TaskDetailsView, forgetTaskAnswers, hasTaskDetails } from "./taskdetails.js";

/**
 * @typedef {{name: string, uri: string, attempt?: number}} LogLink
 * @typedef {{phase: string, started_at: string|null, duration_s: number|null}} AttemptSpan
 * @typedef {{kind?: string, code?: string, message?: string, trimmed?: boolean, capped?: boolean}} RowError
 * @typedef {{
 *   key: string, parent: string, depth: number, node_id: string, name: string, kind: string,
 *   phase: string, label: string, color: string, terminal: boolean,
 *   created_at: string|null, started_at: string|null, duration_s: number|null, queued_s: number|null,
 *   invalid_times: string[], attempts: number|null, attempt_spans: AttemptSpan[], cache: string, logs: LogLink[],
 *   logs_omitted: number,
 *   error: RowError|null,
 *   subtasks: {total: number, counts: Object<string, number>}|null,
 *   child: {name: string, url: string}|null,
 *   gate: {kind: string, signal_id: string, type?: string}|null,
 *   has_children: boolean, deck: boolean,
 *   retry_group: number|null, attempt_groups: number[], superseded: boolean
 * }} Row
 * @typedef {{label: string, color: string, terminal: boolean, succeeded: boolean, failed: boolean}} PhaseStyle
 * @typedef {{type: string, message: string}} ErrorData
 */

import { RelaunchForm, TrailView } from "./relaunch.js";

export const ROW_HEIGHT = 28;
/** The phase of a row for a node the compiled workflow plans that has not started (phases.NOT_STARTED). */
export const NOT_STARTED = "NOT_STARTED";
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

const TRACEBACK = "Traceback (most recent call last):";
/** An exception line: "ValueError: boom", "requests.exceptions.ConnectionError: ...", or a bare "KeyError". */
const EXCEPTION_LINE = /^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?::\s.*|Error|Exception|Interrupt|Exit)$/;
/** Propeller's lead-in before a node's error in the execution's: "failed at Node[n1]. USER: USER:E, caused by: ". */
const LEAD_IN = /^\s*failed at Node\[[^\]]*\]\.\s*[^,]*?,\s*caused by:\s*/;

/**
 * The line of an error message that says what went wrong: in a Python traceback, the last line that looks like
 * "SomeError: message" (the exception finally raised); else the first line. Same rule as render.exception_line.
 * @param {unknown} message
 */
export function exceptionLine(message) {
  const lines = String(message ?? "").trim().split(/\r?\n/);
  const at = lines.findIndex((l) => l.includes(TRACEBACK));
  if (at >= 0) {
    for (let i = lines.length - 1; i > at; i--) {
      const cand = lines[i].trim();
      if (EXCEPTION_LINE.test(cand)) return cand;
    }
  }
  return (lines[0] ?? "").trim();
}

/**
 * exceptionLine, cut to `limit` characters. Same rule as render.error_summary.
 * @param {unknown} message
 * @param {number} [limit]
 */
export function errorSummary(message, limit = 200) {
  return firstLine(exceptionLine(message), limit);
}

/**
 * The header's error line: "Failed at <node>: <exception line>" (the node from `failed_at`; propeller's lead-ins
 * with the error kind dropped), or "Aborted: <cause>". Where `failed_at` is a node the execution's error does not
 * name (it named a rejected gate, or only the parent), the exception line is that node's own (`rowOf`). Same rule
 * as render.failure_text.
 * @param {Record<string, any>} hd the header
 * @param {(key: string) => Row|undefined} [rowOf]
 * @param {number} [limit]
 */
export function failureText(hd, rowOf, limit = 200) {
  const err = hd?.error;
  if (!err || !(err.message || err.code)) return "";
  if (err.kind === "ABORTED") return firstLine(`Aborted: ${err.message || ""}`, limit);
  const at = hd.failed_at;
  const raw = String(err.message || "");
  let text = raw;
  for (let cut = text.replace(LEAD_IN, ""); cut !== text; cut = text.replace(LEAD_IN, "")) text = cut;
  const named = [...raw.matchAll(/failed at Node\[([^\]\s]+)\]/g)].map((m) => m[1]);
  const own = at?.key && rowOf && !named.includes(at.node_id) ? rowOf(at.key)?.error?.message : null;
  const what = errorSummary(own || text, limit) || String(err.code || "");
  if (!at?.name) return what;
  const node = at.node_id && at.node_id !== at.name ? `${at.name} (${at.node_id})` : at.name;
  return firstLine(`Failed at ${node}: ${what}`, limit);
}

/**
 * "8 of 8 shards": an array node's subtasks in a terminal task phase, of all of them. Same as render.shards_text.
 * @param {{total: number, counts: Object<string, number>}} subtasks @param {PhaseStyles} styles
 */
export function shardsText(subtasks, styles) {
  let done = 0;
  for (const [p, n] of Object.entries(subtasks.counts || {})) if (styles.task(p)?.terminal) done += n;
  return `${done} of ${subtasks.total ?? 0} shards`;
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

/** What a time field the kernel could not read shows (rows.py INVALID_TIME). */
export const INVALID_TIME = "invalid time";

/**
 * When a terminal execution (or node) ended: its start plus its duration; null while it runs or when unknown.
 * @param {{started_at?: string|null, created_at?: string|null, duration_s?: number|null, terminal?: boolean}} item
 * @returns {number|null} ms since the epoch
 */
export function finishedAt(item) {
  if (!item?.terminal) return null;
  const start = parseTime(item.started_at ?? null) ?? parseTime(item.created_at ?? null);
  return start === null ? null : start + (item.duration_s ?? 0) * 1000;
}

/**
 * Whether the server sent any of `fields` of a row or the header out of range (rows.py `invalid_times`).
 * @param {{invalid_times?: string[]}|null|undefined} item @param {...string} fields
 */
export function hasInvalidTime(item, ...fields) {
  const bad = item?.invalid_times || [];
  return fields.some((f) => bad.includes(f));
}

/**
 * The sync status line: "last synced 4s ago", "reconnecting (attempt 2, next in 3.0s)", "reconnecting (server error:
 * INTERNAL: ...; attempt 2, next in 3.0s)", "log in again: ...", ...
 * Once the execution is final the line stops ticking: "final (finished 12:01:05)", from `finishedMs` (when the
 * execution ended) or else the last sync.
 * @param {Record<string, any>} sync
 * @param {number} nowMs
 * @param {number|null} [finishedMs]
 * @param {TimeFormats} [fmt]
 */
export function syncText(sync, nowMs, finishedMs = null, fmt = TIME) {
  const state = sync?.state ?? "";
  if (state === "login") return firstLine(sync.last_error) || "log in again"; // the link: HeaderView.renderSync
  if (state === "reconnecting") {
    const cause = firstLine(sync.server_error);
    let text = `reconnecting (${cause ? `server error: ${cause}; ` : ""}attempt ${sync.attempt || 1}`;
    const next = parseTime(sync.next_retry_at);
    if (next !== null) text += `, next in ${fmtDuration(Math.max(0, (next - nowMs) / 1000))}`;
    return text + ")";
  }
  const last = parseTime(sync?.last_synced_at);
  if (state === "done") {
    const end = finishedMs ?? last;
    return end === null ? "final" : `final (finished ${fmt.clock(end, nowMs)})`;
  }
  const ago = last === null ? "" : `last synced ${fmtDuration(Math.max(0, (nowMs - last) / 1000))} ago`;
  if (state === "error") return "sync failed: " + firstLine(sync.last_error) + (ago ? ` (${ago})` : "");
  if (state === "stopped") return "not watching" + (ago ? ` (${ago})` : "");
  return ago;
}

/**
 * Times and counts as a Flyte user reads them: local clock time, with the date when it is not today; UTC in full
 * for a tooltip; counts with thousands separators. One instance per locale and time zone (formatters are costly
 * to build: one per row would be too slow); the view uses TIME, the browser's own.
 */
export class TimeFormats {
  /** @param {string|string[]} [locale] @param {string} [timeZone] */
  constructor(locale = [], timeZone = undefined) {
    const tz = timeZone ? { timeZone } : {};
    /** @type {Intl.DateTimeFormatOptions} */
    const time = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", ...tz };
    this.time = new Intl.DateTimeFormat(locale, time);
    this.dateTime = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", ...time });
    this.yearTime = new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric", ...time });
    this.day = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", ...tz });
    this.number = new Intl.NumberFormat(locale);
  }

  /**
   * "12:00:05" today, "Nov 27, 12:00:05" another day of this year, "Nov 27, 2025, 12:00:05" before.
   * @param {number} ms @param {number} nowMs
   */
  clock(ms, nowMs) {
    const day = this.day.format(ms);
    const today = this.day.format(nowMs);
    if (day === today) return this.time.format(ms);
    return day.slice(0, 4) === today.slice(0, 4) ? this.dateTime.format(ms) : this.yearTime.format(ms);
  }

  /** @param {number} n */
  count(n) {
    return this.number.format(n);
  }
}

/** The browser's locale and time zone. */
export const TIME = new TimeFormats();

/**
 * An ISO time as the clock column shows it ("" when unset); see TimeFormats.clock.
 * @param {string|null|undefined} iso @param {number} nowMs @param {TimeFormats} [fmt]
 */
export function fmtClock(iso, nowMs, fmt = TIME) {
  const t = parseTime(iso);
  return t === null ? "" : fmt.clock(t, nowMs);
}

/**
 * An ISO time in UTC for a tooltip: "2026-11-27 12:00:05 UTC" ("" when unset).
 * @param {string|null|undefined} iso
 */
export function fmtUtc(iso) {
  const t = parseTime(iso);
  if (t === null) return "";
  return new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/**
 * A count with thousands separators ("1,273" in English).
 * @param {number} n @param {TimeFormats} [fmt]
 */
export function fmtCount(n, fmt = TIME) {
  return fmt.count(n);
}

/**
 * A node id as the name column shows it: whole up to `max` characters, else its start and end around "…" (the
 * full id goes in the tooltip). Propeller's ids grow with depth ("n1-0-n1-0-n0") up to 20 characters.
 * @param {string} id @param {number} [max]
 */
export function shortId(id, max = 12) {
  if (id.length <= max) return id;
  const tail = Math.ceil((max - 1) / 2);
  return id.slice(0, max - 1 - tail) + "…" + id.slice(id.length - tail);
}

/** Indentation per tree level (px), full for the first levels, then narrower, then none. */
export const INDENT_STEP = 16;
const INDENT_FULL_LEVELS = 4;
const INDENT_MAX = 100;

/**
 * The name column's indentation for a tree depth: 16px a level for 4 levels, 6px a level after that, at most
 * 100px, so a deep tree (depth 8 and more) keeps its names readable.
 * @param {number} depth
 */
export function indentPx(depth) {
  const d = Math.max(0, depth || 0);
  const full = Math.min(d, INDENT_FULL_LEVELS) * INDENT_STEP;
  return Math.min(INDENT_MAX, full + Math.max(0, d - INDENT_FULL_LEVELS) * 6);
}

// ------------------------------------------------------------------------------------------------------------
// The node table's columns: sized from what the rows hold, given up by priority when the output is narrow
// ------------------------------------------------------------------------------------------------------------

/**
 * The table's columns in display order. When the output is too narrow for all of them, the lowest `priority`
 * goes first; the node's name and its status stay to the last (what they held is in the row's detail).
 * An error is not a column: it is a line of its own under its row, as wide as the table, so it is always whole.
 * @type {{id: string, label: string, priority: number, title?: string}[]}
 */
export const COLUMNS = [
  { id: "name", label: "Node", priority: 100 },
  { id: "status", label: "Status", priority: 90 },
  { id: "start", label: "Started", priority: 30 },
  { id: "dur", label: "Duration", priority: 40 },
  { id: "attempts", label: "#", priority: 20, title: "Attempts" },
  { id: "cache", label: "Cache", priority: 50 },
  { id: "logs", label: "Logs", priority: 60 },
  { id: "actions", label: "", priority: 80 },
];

/** Lines of a row: the first is ROW_HEIGHT high (a 20px line and 4px above and below), the others LINE_HEIGHT. */
export const LINE_HEIGHT = 20;
const CELL_PAD = 8; // .fxw-c padding, both sides
const BADGE_EXTRA = 26; // .fxw-badge: padding 6+6, border 1+1, dot 7, gap 4, rounding
const CHIP_EXTRA = 8; // .fxw-subcount: padding 2+2, margin 3, rounding
const BTN_EXTRA = 14; // .fxw-c-actions .fxw-btn: padding 5+5, border 1+1, gap 2
const TOGGLE_W = 20; // the toggle (16) and its gap
const DUR_TEXT_W = 46; // the widest usual duration text ("59m 59s")
const DUR_W = 104; // duration text (46), gap (6), a timeline bar of at least 40, padding
const ATTEMPT_EXTRA = 30; // .fxw-attempt: the select's arrow, padding and border, its margin
const SHARDS_EXTRA = 6; // .fxw-shards: margin-left
const SIGNAL_W = 72; // .fxw-signal
const NAME_MAX = 360; // the name column asks for no more than this (long names then shorten with "…")

/**
 * @typedef {(text: string, font: "cell"|"badge"|"chip"|"mono"|"small"|"btn"|"head"|"shards") => number} MeasureText
 * @typedef {Record<string, number>} ColumnNeeds  column id -> px it needs (0: nothing to show), plus statusMin
 */

/** @param {Row} r the log links a row carries, http(s) only */
export function rowLogs(r) {
  return (r.logs || []).filter((l) => safeUrl(l.uri));
}

/** A row shows at most this many lines of log links; "and N more" stands for the rest (the detail lists them). */
export const ROW_LOG_LINES = 6;

/**
 * The log links a row's Logs cell shows, one a line, and how many more it has (those it carries beyond
 * ROW_LOG_LINES, and those the kernel left out: `logs_omitted`). When some are left out, the latest attempts'
 * links are the ones shown (those are the ones a user opens), in attempt order.
 * @param {Row} r @returns {{links: LogLink[], more: number, multi: boolean}}
 */
export function rowLogLines(r) {
  const all = rowLogs(r);
  const multi = manyAttempts(all);
  const omitted = Math.max(0, r.logs_omitted || 0);
  const total = all.length + omitted;
  if (total <= ROW_LOG_LINES && !omitted) return { links: all, more: 0, multi };
  const room = ROW_LOG_LINES - 1; // the last line says "and N more"
  /** @type {Map<number, LogLink[]>} */
  const byAttempt = new Map();
  for (const l of all) {
    const a = l.attempt ?? 0;
    if (!byAttempt.has(a)) byAttempt.set(a, []);
    /** @type {LogLink[]} */ (byAttempt.get(a)).push(l);
  }
  const picked = new Set();
  for (const a of [...byAttempt.keys()].sort((x, y) => y - x)) {
    for (const l of /** @type {LogLink[]} */ (byAttempt.get(a))) {
      if (picked.size >= room) break;
      picked.add(l);
    }
  }
  const links = all.filter((l) => picked.has(l));
  return { links, more: total - links.length, multi };
}

/** @param {number} n @param {TimeFormats} [fmt] "and 1,273 more" */
export function logsMoreText(n, fmt = TIME) {
  return `and ${fmt.count(n)} more`;
}

/**
 * The text of a log link in the row: the name the plugin gave it, with the attempt's number when the row has
 * logs of more than one attempt ("Kubernetes Logs (User) #2").
 * @param {LogLink} l @param {boolean} multi
 */
export function logLabel(l, multi) {
  const name = l.name || "log";
  return multi ? `${name} #${(l.attempt ?? 0) + 1}` : name;
}

/** @param {LogLink[]} logs whether they belong to more than one attempt */
export function manyAttempts(logs) {
  return new Set(logs.map((l) => l.attempt ?? 0)).size > 1;
}

/**
 * Whether a row's start time came out of range from the server (its created time does not stand in for it).
 * @param {Row} r
 */
export function badStartTime(r) {
  return hasInvalidTime(r, "started_at") || (!r.started_at && hasInvalidTime(r, "created_at"));
}

/**
 * @typedef {{name: number, status: number, statusWrap: number, badge: number, start: number, dur: number,
 *   attempts: number, cache: number, logs: number}} RowNeed  what one row's own data needs (px, without cell
 *   padding); `statusWrap`: its status with the badge, shards text and counts on lines of their own
 */

/**
 * What one row's own data needs in each column (its actions depend on the view, see columnNeeds).
 * @param {Row} r @param {MeasureText} measure @param {number} nowMs @param {TimeFormats} fmt
 * @returns {RowNeed}
 */
function rowNeed(r, measure, nowMs, fmt) {
  // The name itself must be readable, and a retried parent's attempt switch usable; its id, kind tag and child
  // link fill what the column has left (CSS).
  let name = indentPx(r.depth) + TOGGLE_W + measure(r.name || r.node_id || r.key, "cell");
  const groups = r.attempt_groups || [];
  if (groups.length > 1) name += measure(`#${Math.max(...groups) + 1}`, "small") + ATTEMPT_EXTRA;
  const badge = measure(r.label || r.phase || "Unknown", "badge") + BADGE_EXTRA;
  let status = badge;
  let statusWrap = badge; // the badge, the shards text and the chips each on a line of their own
  if (r.subtasks) {
    const total = fmt.count(r.subtasks.total ?? 0);
    const shards = measure(`${total} of ${total} shards`, "shards") + SHARDS_EXTRA;
    let chips = 0;
    for (const n of Object.values(r.subtasks.counts || {})) if (n) chips += measure(`×${fmt.count(n)}`, "chip") + CHIP_EXTRA;
    status += shards + chips + 8; // two flex gaps
    statusWrap = Math.max(badge, shards, chips);
  }
  const at = r.started_at || r.created_at;
  const badStart = badStartTime(r);
  const badDur = r.duration_s == null && hasInvalidTime(r, "duration_s", "started_at");
  const { links, more, multi } = rowLogLines(r);
  let logs = more ? measure(logsMoreText(more, fmt), "cell") : 0;
  for (const l of links) logs = Math.max(logs, measure(logLabel(l, multi), "cell"));
  let start = at ? measure(fmtClock(at, nowMs, fmt), "cell") : 0;
  if (badStart) start = measure(INVALID_TIME, "cell");
  let dur = at || r.duration_s != null ? DUR_W : 0;
  if (badDur) dur = Math.max(DUR_W, measure(INVALID_TIME, "cell") + DUR_W - DUR_TEXT_W);
  return {
    name,
    status,
    statusWrap,
    badge,
    start,
    dur,
    attempts: r.attempts === null ? measure("…", "cell") : r.attempts ? measure(fmt.count(r.attempts), "cell") : 0,
    cache: r.cache ? measure(r.cache, "small") : 0,
    logs,
  };
}

/**
 * The px each column needs to show every given row whole (what the widest row holds), and `statusMin`: the widest
 * status badge alone (the status column never gets less; subtask counts may wrap below it). The name column needs
 * room for the names; the ids, kind tags and child links after them take what it has beyond that. `cache` keeps
 * each row's own needs by row object (rows are replaced, never changed, when a patch changes them): a patch of a
 * few rows on 10,000 measures only those.
 * @param {Row[]} rows
 * @param {{measure: MeasureText, nowMs: number, canAct: boolean, notes: Map<string, {text: string}>,
 *   fmt?: TimeFormats, cache?: WeakMap<Row, RowNeed>}} opts
 * @returns {ColumnNeeds}
 */
export function columnNeeds(rows, { measure, nowMs, canAct, notes, fmt = TIME, cache }) {
  /** @type {ColumnNeeds} */
  const need = { name: 0, status: 0, statusWrap: 0, statusMin: 0, start: 0, dur: 0, attempts: 0, cache: 0, logs: 0, actions: 0 };
  const more = measure("more", "btn") + BTN_EXTRA;
  need.actions = more;
  for (const r of rows) {
    let own = cache?.get(r);
    if (!own) {
      own = rowNeed(r, measure, nowMs, fmt);
      cache?.set(r, own);
    }
    if (own.name > need.name) need.name = own.name;
    if (own.status > need.status) need.status = own.status;
    if (own.badge > need.statusMin) need.statusMin = own.badge;
    if (own.statusWrap > need.statusWrap) need.statusWrap = own.statusWrap;
    if (own.start > need.start) need.start = own.start;
    if (own.dur > need.dur) need.dur = own.dur;
    if (own.attempts > need.attempts) need.attempts = own.attempts;
    if (own.cache > need.cache) need.cache = own.cache;
    if (own.logs > need.logs) need.logs = own.logs;

    const g = canAct ? r.gate : null;
    const note = notes.get(r.key);
    if (!g && !note) continue;
    let actions = more;
    if (g?.kind === "approve") actions += measure("Approve", "btn") + measure("Reject", "btn") + 2 * BTN_EXTRA;
    else if (g?.kind === "signal") actions += SIGNAL_W + measure("Send", "btn") + BTN_EXTRA + 3;
    else if (g?.kind === "sleep") actions += measure("sleeping", "cell") + 3;
    if (note) actions += measure(note.text, "btn") + 8;
    need.actions = Math.max(need.actions, actions);
  }
  // A column with something to show is at least as wide as its heading.
  for (const c of COLUMNS) {
    if (c.id === "dur") continue;
    if (need[c.id] > 0 || c.id === "name" || c.id === "status") {
      need[c.id] = Math.ceil(Math.max(need[c.id], c.label ? measure(c.label, "head") : 0) + CELL_PAD);
    }
  }
  need.statusMin = Math.ceil(need.statusMin + CELL_PAD);
  need.statusWrap = Math.min(need.status, Math.ceil(need.statusWrap + CELL_PAD));
  need.name = Math.min(NAME_MAX, need.name);
  return need;
}

/**
 * Which columns fit in `width` px and the grid template for them: every column gets what it needs, the name also
 * the width left over. When they do not all fit, an array's status first wraps its shards text and counts under
 * its badge (`statusWrap`: nothing is lost, the row grows), then columns go by priority (COLUMNS), name and status
 * last. If even those two do not fit, the status gives way down to its widest badge (its subtask counts wrap
 * under it), then the name (its tag and id go first, then it shortens with "…"; the whole name is in its tooltip).
 * @param {ColumnNeeds} need @param {number} width
 * @returns {{shown: string[], hidden: string[], template: string}}
 */
export function fitColumns(need, width) {
  const kept = new Set(COLUMNS.filter((c) => c.id === "name" || c.id === "status" || need[c.id] > 0).map((c) => c.id));
  const statusWrap = Math.min(need.status, need.statusWrap || need.status);
  const total = () => [...kept].reduce((sum, id) => sum + (id === "status" ? statusWrap : need[id] || 0), 0);
  const droppable = COLUMNS.filter((c) => c.priority < 90).sort((a, b) => a.priority - b.priority);
  for (const c of droppable) {
    if (total() <= width) break;
    kept.delete(c.id);
  }
  const others = [...kept].filter((id) => id !== "name" && id !== "status").reduce((sum, id) => sum + need[id], 0);
  const statusMin = need.statusMin || 0;
  const nameMin = Math.max(0, Math.min(need.name, width - others - statusMin));
  const status = Math.max(statusMin, Math.min(need.status, width - others - nameMin));
  const shown = COLUMNS.filter((c) => kept.has(c.id)).map((c) => c.id);
  const template = shown
    .map((id) => (id === "name" ? `minmax(${nameMin}px, 1fr)` : `${id === "status" ? status : need[id]}px`))
    .join(" ");
  return { shown, hidden: COLUMNS.filter((c) => !kept.has(c.id)).map((c) => c.id), template };
}

/**
 * The height of a row before it was measured: one line, more when it stacks log links or has an error line.
 * @param {Row} r @param {boolean} logsShown whether the Logs column is shown
 */
export function rowHeightGuess(r, logsShown) {
  const shown = logsShown ? rowLogLines(r) : null;
  const logLines = shown ? shown.links.length + (shown.more ? 1 : 0) : 0;
  const errorLine = r.error && (r.error.message || r.error.code) ? 1 : 0;
  return ROW_HEIGHT + (Math.max(1, logLines) - 1 + errorLine) * LINE_HEIGHT;
}

/** Array nodes with more subtasks than this are left collapsed by "Expand all" (their own toggle opens them). */
export const EXPAND_ALL_MAX_SUBTASKS = 20;

/**
 * The rows "Expand all" expands: every row with children, except array nodes with many subtasks (10,000 rows
 * of subtasks would bury the tree; the array row shows their counts).
 * @param {Iterable<Row>} rows
 */
export function expandAllKeys(rows) {
  const out = [];
  for (const r of rows) {
    if (!r.has_children) continue;
    if (r.kind === "array" && (r.subtasks?.total ?? 0) > EXPAND_ALL_MAX_SUBTASKS) continue;
    out.push(r.key);
  }
  return out;
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
 * What a row field is when a whole row leaves it out: the kernel sends only the fields that say something
 * (live/rows.py row_defaults(); tests/unit/test_widget.py compares the two). `label`, `color` and `terminal` are
 * derived instead (rowStyle).
 */
export const ROW_DEFAULTS = Object.freeze({
  parent: "",
  depth: 0,
  node_id: "",
  name: "",
  kind: "task",
  phase: "UNDEFINED",
  created_at: null,
  started_at: null,
  duration_s: null,
  queued_s: null,
  invalid_times: Object.freeze([]),
  attempts: 0,
  cache: "",
  logs: Object.freeze([]),
  logs_omitted: 0,
  attempt_spans: Object.freeze([]),
  error: null,
  subtasks: null,
  gate: null,
  deck: false,
  child: null,
  has_children: false,
  retry_group: null,
  attempt_groups: Object.freeze([]),
  superseded: false,
});

/**
 * The style a row shows, from its kind and phase and the `styles` trait (the rule of live/rows.py row_style): a
 * subtask's from the task phases, a gate's from `styles.gate` where it has one (a RUNNING gate is "Paused"), other
 * rows' from the node phases (NOT_STARTED among them); a name the table lacks is labelled with itself.
 * @param {string} kind @param {string} phase @param {Record<string, Record<string, PhaseStyle>>|null|undefined} table
 * @returns {PhaseStyle}
 */
export function rowStyle(kind, phase, table) {
  const t = table || {};
  const own = kind === "gate" ? t.gate?.[phase] : undefined;
  return own ?? (kind === "subtask" ? t.task?.[phase] : t.node?.[phase]) ?? unknownStyle(phase);
}

/**
 * A row of a message merged into the row the view holds. Patches carry deltas: `key` plus the fields that changed
 * since the previous version (a field that disappeared comes as null); a row the view has not got comes whole,
 * without the fields at their default (ROW_DEFAULTS). The label, colour and terminal flag come only where they
 * differ from what the row's kind and phase give (rowStyle), else they are derived here.
 * @param {Row|undefined} old @param {Partial<Row> & {key: string}} delta
 * @param {Record<string, Record<string, PhaseStyle>>|null} [styles] the `styles` trait
 * @returns {Row}
 */
export function mergeRow(old, delta, styles = null) {
  const r = /** @type {Row} */ (old ? { ...old, ...delta } : { ...ROW_DEFAULTS, ...delta });
  if (!("label" in delta && "color" in delta && "terminal" in delta)) {
    const st = rowStyle(r.kind, r.phase, styles);
    if (!("label" in delta)) r.label = st.label;
    if (!("color" in delta)) r.color = st.color;
    if (!("terminal" in delta)) r.terminal = st.terminal;
  }
  return r;
}

/** The rows of one execution, kept by key; the tree order is derived lazily after structural changes. */
export class RowStore {
  /** @param {() => Record<string, Record<string, PhaseStyle>>|null|undefined} [styles] the `styles` trait */
  constructor(styles = () => null) {
    this.styles = styles;
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
    const styles = this.styles() ?? null;
    for (const r of rows) this._put(mergeRow(undefined, r, styles));
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
    const styles = this.styles() ?? null;
    for (const delta of rows) {
      const old = this.rows.get(delta.key);
      const r = mergeRow(old, delta, styles);
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
   * Whether a row belongs to the attempt its parent shows: a retried parent (`attempt_groups`) shows the children
   * of the attempt chosen for it (`chosen`), else of its latest.
   * @param {Row} r @param {Map<string, number>} chosen
   */
  inShownAttempt(r, chosen) {
    const parent = r.parent ? this.rows.get(r.parent) : undefined;
    const groups = parent?.attempt_groups;
    if (!parent || !groups || groups.length < 2 || r.retry_group == null) return true;
    return r.retry_group === (chosen.get(parent.key) ?? groups[groups.length - 1]);
  }

  /** Whether a row and all its ancestors are in the attempts shown. @param {Row} r @param {Map<string, number>} chosen */
  _attemptPathShown(r, chosen) {
    const seen = new Set();
    /** @type {Row|undefined} */
    let cur = r;
    while (cur && !seen.has(cur.key)) {
      if (!this.inShownAttempt(cur, chosen)) return false;
      seen.add(cur.key);
      cur = cur.parent ? this.rows.get(cur.parent) : undefined;
    }
    return true;
  }

  /**
   * The rows to show, depth-first. Without a filter: the children of expanded rows only. With a filter: every
   * matching row with its ancestors, whatever is expanded (so a match deep in the tree is found). Rows of a retried
   * parent's other attempts are left out, with everything below them.
   * @param {Set<string>} expanded
   * @param {((r: Row) => boolean)|null} match
   * @param {Map<string, number>} [chosen] the attempt shown per retried parent (default: the latest)
   * @returns {Row[]}
   */
  visible(expanded, match, chosen = new Map()) {
    this._index();
    /** @type {Set<string>|null} */
    let include = null;
    if (match) {
      include = new Set();
      for (const r of this.rows.values()) {
        if (!match(r) || !this._attemptPathShown(r, chosen)) continue;
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
      if (!row || !this.inShownAttempt(row, chosen)) continue;
      if (include && !include.has(key)) continue;
      out.push(row);
      if (include || expanded.has(key)) {
        const kids = this.childrenOf(key);
        for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
      }
    }
    return out;
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
 * Orders the kernel's row messages for one widget model (docs/architecture.md, "Widget protocol"): a snapshot
 * (whole rows at version S), then patches S+1, S+2, ... whose rows are deltas against the version before. The
 * kernel pushes snapshots unasked (when the widget is displayed); one newer than the rows held replaces them,
 * older ones are dropped. Patches that arrive before any snapshot are held; those not newer than it are dropped.
 * Since a delta needs the version before it, none may be missed: a gap (a message lost, e.g. while the page was
 * disconnected) makes the feed hold patches and ask for a snapshot (`requestSnapshot`), once, until one comes.
 */
export class RowFeed {
  /** @param {RowStore} store @param {() => void} requestSnapshot */
  constructor(store, requestSnapshot) {
    this.store = store;
    this.requestSnapshot = requestSnapshot;
    /** @type {Patch[]} */
    this.pending = [];
    this.resyncing = false;
  }

  /**
   * Take a snapshot message; returns whether it was used (it is newer than the rows held).
   * @param {{version?: number, rows?: Row[]}} msg
   */
  snapshot(msg) {
    const store = this.store;
    const version = msg.version ?? 0;
    if (version <= store.version) return false;
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
 * What a SharedModel tells its views: new rows (a snapshot, or a patch applied), or that the model went offline.
 * @typedef {{kind: "snapshot"} | {kind: "patch", changed: Set<string>, structural: boolean} | {kind: "offline"}
 *   | {kind: "reset"}} SharedChange
 */

/**
 * What every view of one widget model shares: its row store (fed from the model's creation on, before and between
 * views), and the view state. Found by the model's `instance` trait (the kernel's random id per widget), since
 * anywidget hands each view and `initialize` a different proxy of the same model.
 */
export class SharedModel {
  /** @param {{send: (msg: Record<string, unknown>) => void, get?: (name: string) => any}} model */
  constructor(model) {
    this.store = new RowStore(() => model.get?.("styles"));
    this.feed = new RowFeed(this.store, () => model.send({ type: "snapshot" }));
    /** @type {Set<(change: SharedChange) => void>} */
    this.views = new Set();
    this.state = newViewState();
    /** The model's comm is gone (kernel restarted): the rows are the last the kernel sent; no action works. */
    this.offline = false;
  }

  goOffline() {
    if (this.offline) return;
    this.offline = true;
    this._tell({ kind: "offline" });
  }

  /**
   * A row message from the kernel ("snapshot" or "patch"); tells every view what changed. Returns whether it was one.
   * @param {any} msg
   */
  take(msg) {
    if (msg?.type === "reset") {
      this.reset();
      return true;
    }
    if (msg?.type === "snapshot") {
      if (this.feed.snapshot(msg)) this._tell({ kind: "snapshot" });
      return true;
    }
    if (msg?.type === "patch") {
      const applied = this.feed.patch(msg);
      if (applied) this._tell({ kind: "patch", ...applied });
      return true;
    }
    return false;
  }

  /**
   * The widget now shows another execution (a relaunch it followed): drop the rows and the view state of the one
   * shown (its versions, expanded rows, fetched data), in place, since every view holds this state object; the
   * new execution's snapshot follows.
   */
  reset() {
    this.store.reset([], -1);
    this.feed.pending = [];
    this.feed.resyncing = false;
    const view = this.state.view; // the tree or the graph: the user's choice, not the execution's
    Object.assign(this.state, newViewState(), { view });
    // the timeline's zoom, selection and fetched attempts were the other execution's (its sort is the user's)
    const tl = { zoom: null, selected: null, attempts: new Map(), loading: new Map(), prioritized: new Set() };
    Object.assign(timelineState(this), tl);
    forgetTaskAnswers(this.state); // fetched task details were the other execution's nodes
    this._tell({ kind: "reset" });
  }

  /** @param {SharedChange} change */
  _tell(change) {
    for (const fn of this.views) {
      try {
        fn(change);
      } catch (e) {
        console.error("flyteexec-widget: a view failed to show new rows", e);
      }
    }
  }
}

/** @type {Map<string, {shared: SharedModel, users: number, stop: () => void}>} */
const SHARED = new Map();

/**
 * The SharedModel of `model`, created (and fed from now on) if it has none yet: by `initialize` normally, by the
 * first view where a host does not call `initialize`. A model restored after a page reload (`snapshot_version` >=
 * 0: the kernel pushed rows to a page that is gone) asks for its rows; a fresh one gets them pushed.
 * @param {Model} model
 * @returns {{shared: SharedModel, dispose: () => void}}
 */
export function connectShared(model) {
  const id = String(model.get("instance") || "");
  let entry = SHARED.get(id);
  if (!entry) {
    const shared = new SharedModel(model);
    /** @param {any} msg */
    const onMessage = (msg) => shared.take(msg);
    model.on("msg:custom", onMessage);
    if ((model.get("snapshot_version") ?? -1) >= 0) model.send({ type: "snapshot" });
    entry = { shared, users: 0, stop: () => model.off("msg:custom", onMessage) };
    SHARED.set(id, entry);
  }
  const held = entry;
  held.users += 1;
  let disposed = false;
  return {
    shared: held.shared,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      held.users -= 1;
      if (held.users === 0 && SHARED.get(id) === held) {
        held.stop();
        SHARED.delete(id);
      }
    },
  };
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
 * Turn the text typed into a signal input into the JSON value sent to the kernel. `type` is the gate's type as
 * the kernel names it (objects/literals.py describe_type: "int", "float", "str", "bool", "datetime",
 * "timedelta", "none", "struct", "dataclass", "list[int]", "dict[str, float]", "enum{a, b}", "union[int, str]").
 * Only the JSON shape is checked here: the kernel builds the literal with the signal's own type and answers
 * with an error naming that type when the value does not fit.
 * @param {string} type @param {string} raw
 * @returns {{ok: true, value: unknown} | {ok: false, error: string}}
 */
export function parseSignalInput(type, raw) {
  const t = type || "";
  const text = raw.trim();
  if (t === "int") {
    if (!/^[-+]?\d+$/.test(text)) return { ok: false, error: "enter a whole number" };
    const n = Number(text);
    // Past 2**53 a JS number loses digits: send the digits, which the kernel reads as a 64-bit integer.
    return { ok: true, value: Number.isSafeInteger(n) ? n : text.replace(/^\+/, "") };
  }
  if (t === "float" || t === "timedelta") {
    const n = Number(text);
    if (text !== "" && Number.isFinite(n)) return { ok: true, value: n };
    return { ok: false, error: t === "float" ? "enter a number" : "enter a number of seconds" };
  }
  if (t === "bool") {
    return text === "true" || text === "false"
      ? { ok: true, value: text === "true" }
      : { ok: false, error: "choose true or false" };
  }
  if (t === "none") return { ok: true, value: null };
  if (t === "str" || t === "datetime" || t.startsWith("enum{")) return { ok: true, value: text };
  /** @type {unknown} */
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (t === "struct" || t === "dataclass" || t.startsWith("dict[")) {
    return json !== null && typeof json === "object" && !Array.isArray(json)
      ? { ok: true, value: json }
      : { ok: false, error: 'enter a JSON object, e.g. {"a": 1}' };
  }
  if (t.startsWith("list[")) {
    return Array.isArray(json) ? { ok: true, value: json } : { ok: false, error: "enter a JSON list, e.g. [1, 2]" };
  }
  // unions and the rest: the JSON value when the text is JSON, else the text itself
  return { ok: true, value: json === undefined ? text : json };
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
export function h(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/**
 * A link opening in a new tab if `url` is http(s), else the text alone.
 * @param {unknown} url @param {unknown} text @param {string} [cls]
 */
export function link(url, text, cls) {
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
export function button(label, action, cls) {
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

/** The element whose font each MeasureText font name stands for (inside .fxw-viewport). */
const FONT_PROBES = {
  cell: ["div", "fxw-c"],
  badge: ["span", "fxw-badge"],
  chip: ["span", "fxw-subcount"],
  mono: ["span", "fxw-nodeid"],
  small: ["span", "fxw-cache"],
  btn: ["button", "fxw-btn"],
  head: ["div", "fxw-c fxw-head-probe"],
  shards: ["span", "fxw-shards"],
};

/**
 * Text widths in the fonts the table really uses (read from probe elements, so themes and font sizes count),
 * measured on a canvas and kept: digits count as "0" (equal widths), so 10,000 subtask log names cost one.
 */
class TextMeasure {
  /** @param {HTMLElement} host where the probes go (the viewport: its fonts are the table's) */
  constructor(host) {
    this.host = host;
    /** @type {Map<string, string>} font name -> CSS font */
    this.fonts = new Map();
    /** @type {Map<string, number>} */
    this.cache = new Map();
    /** @type {CanvasRenderingContext2D|null} */
    this.ctx = null;
  }

  /** @param {string} name @returns {string|null} the CSS font, or null while the host is not in a page */
  _font(name) {
    const known = this.fonts.get(name);
    if (known) return known;
    if (!this.host.isConnected) return null;
    const [tag, cls] = FONT_PROBES[/** @type {keyof typeof FONT_PROBES} */ (name)] ?? FONT_PROBES.cell;
    const probe = h(tag, cls, "x");
    probe.setAttribute("aria-hidden", "true");
    probe.style.cssText = "position:absolute;visibility:hidden;left:-9999px;top:0";
    this.host.append(probe);
    const cs = getComputedStyle(probe);
    const font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    probe.remove();
    this.fonts.set(name, font);
    return font;
  }

  /** @param {string} text @param {string} font a FONT_PROBES name @returns {number} px */
  width(text, font) {
    const css = this._font(font);
    if (css === null) return text.length * 8; // not in a page yet: a generous guess, not kept
    const key = font + "\u0000" + text.replace(/\d/g, "0");
    let w = this.cache.get(key);
    if (w === undefined) {
      this.ctx ??= document.createElement("canvas").getContext("2d");
      if (this.ctx) {
        this.ctx.font = css;
        w = Math.ceil(this.ctx.measureText(key.slice(font.length + 1)).width) + 1;
      } else {
        w = text.length * 8;
      }
      this.cache.set(key, w);
    }
    return w;
  }
}

/** @param {string} text @returns {Promise<void>} */
export function copyText(text) {
  if (navigator.clipboard?.writeText) return navigator.clipboard.writeText(text);
  return Promise.reject(new Error("clipboard not available"));
}

// ------------------------------------------------------------------------------------------------------------
// Typed value trees (inputs / outputs)
// ------------------------------------------------------------------------------------------------------------

/**
 * @typedef {{
 *   select: (path: (string|number)[]) => void,
 *   showAll: (path: (string|number)[], progress?: Progress) => Promise<any>,
 * }} ValueContext
 */

/**
 * Render one node of the typed tree sent by display/values.py value_tree.
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
      ctx.showAll(node.path, busyNote(more, "loading…")).then(
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
        ctx.showAll(node.path, busyNote(more, "loading…")).then(
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
// The view: render() builds one context object and wires the parts below together
// ------------------------------------------------------------------------------------------------------------

/**
 * What the views of one model remember (a display update re-creates the view; a second output of the widget
 * opens with the same rows expanded): kept in its SharedModel.
 * @typedef {{
 *   expanded: Set<string>, open: Set<string>, phaseFilter: string|null, text: string,
 *   status: Map<string, {text: string, error: boolean}>, drafts: Map<string, string>,
 *   fullErrors: Map<string, string>, fullLogs: Map<string, {total: number, logs: LogLink[]}>,
 *   scrollTop: number, execIo: boolean,
 *   io: Map<string, {open: boolean, result: any}>, attempts: Map<string, number>,
 *   view: string,
 * }} ViewState
 */
/** @returns {ViewState} */
function newViewState() {
  return {
    expanded: new Set(),
    open: new Set(),
    phaseFilter: null,
    text: "",
    status: new Map(),
    drafts: new Map(),
    fullErrors: new Map(),
    fullLogs: new Map(),
    scrollTop: 0,
    execIo: false,
    io: new Map(),
    attempts: new Map(),
    view: "tree", // which of VIEWS is shown
  };
}

/**
 * The part of anywidget's model a view uses.
 * @typedef {{
 *   get: (name: string) => any,
 *   send: (msg: Record<string, unknown>) => void,
 *   on: (event: string, handler: (msg?: any) => void) => void,
 *   off: (event: string, handler: (msg?: any) => void) => void,
 * }} Model
 */

/**
 * What the parts of one view share; render() builds it once and hands it to their constructors.
 * @typedef {{
 *   model: Model, state: ViewState, store: RowStore, styles: PhaseStyles, requests: Requests, shared: SharedModel,
 * }} ViewContext
 */

/** @type {ErrorData} */
const CLOSED = { type: "Closed", message: "the view was closed" };

/** Whether actions (Approve, Terminate, ...) can work: a remote is known and the kernel is still there. @param {ViewContext} ctx */
function actionsWork(ctx) {
  return Boolean(ctx.model.get("can_act")) && !ctx.shared.offline;
}

/**
 * The sync line of a view whose kernel is gone: it shows a saved snapshot, the last state the kernel sent.
 * @param {Record<string, any>} sync
 */
export function offlineText(sync) {
  const last = parseTime(sync?.last_synced_at);
  const when = last === null ? "" : `, last synced ${new Date(last).toLocaleString()}`;
  return `Saved snapshot: the kernel that ran this cell is gone (restarted?)${when}. Run the cell again to watch live.`;
}

/** What a request's busy note says until the kernel has read it (a running cell holds it back). */
export const WAITING_TEXT = "waiting for the kernel (a cell is running)…";

/**
 * How far a request got: "waiting" (sent; the kernel has not read it yet: a cell runs), then "accepted" (the
 * kernel is on it).
 * @typedef {(stage: "waiting"|"accepted") => void} Progress
 */

/**
 * A Progress that shows `busy` in `el` once the kernel took the request, and WAITING_TEXT until then.
 * @param {HTMLElement} el @param {string} busy
 * @returns {Progress}
 */
export function busyNote(el, busy) {
  return (stage) => {
    el.textContent = stage === "waiting" ? WAITING_TEXT : busy;
  };
}

/**
 * The view's requests to the kernel (`{"type": "request", id, action, key, ...}`): each is "accepted" when the
 * kernel reads it, and settled by the "response" message with its id. close() rejects every pending one, and any
 * made after it.
 */
export class Requests {
  /** @param {string} viewId @param {(msg: Record<string, unknown>) => void} send */
  constructor(viewId, send) {
    this.viewId = viewId;
    this.send = send;
    /** @type {Map<string, {resolve: (v: any) => void, reject: (e: ErrorData) => void, progress: Progress|null}>} */
    this.pending = new Map();
    this.seq = 0;
    this.closed = false;
    /** @type {ErrorData} */
    this.closedWith = CLOSED;
  }

  /**
   * Send a request to the kernel; resolves with the result, rejects with the error data. `progress` hears
   * "waiting" at once and "accepted" when the kernel has read the request.
   * @param {string} action @param {string} key @param {Record<string, unknown>} [extra] @param {Progress} [progress]
   * @returns {Promise<any>}
   */
  request(action, key, extra = {}, progress) {
    if (this.closed) return Promise.reject(this.closedWith);
    const id = `${this.viewId}:${++this.seq}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, progress: progress ?? null });
      progress?.("waiting");
      this.send({ ...extra, type: "request", id, action, key });
    });
  }

  /**
   * The kernel read a request (an "accepted" message); false when it is not one of this view's.
   * @param {{id?: string}} msg
   */
  accept(msg) {
    const p = this.pending.get(msg.id ?? "");
    if (!p) return false;
    p.progress?.("accepted");
    return true;
  }

  /**
   * Settle the request a "response" message answers; false when it is not one of this view's.
   * @param {{id?: string, ok?: boolean, result?: any, error?: ErrorData}} msg
   */
  settle(msg) {
    const p = this.pending.get(msg.id ?? "");
    if (!p) return false; // another view's request
    this.pending.delete(msg.id ?? "");
    if (msg.ok) p.resolve(msg.result);
    else p.reject(msg.error || { type: "Error", message: "request failed" });
    return true;
  }

  /** The view is gone (or its kernel): reject what is pending with `why`, refuse what comes. @param {ErrorData} [why] */
  close(why = CLOSED) {
    this.closed = true;
    this.closedWith = why;
    for (const [, p] of this.pending) p.reject(why);
    this.pending.clear();
  }
}

/**
 * The style of a phase name the table lacks (a newer Flyte's phase, sent as "unknown (N)"): neutral, labelled
 * with the name, never terminal or failed.
 * @param {string} name @returns {PhaseStyle}
 */
export function unknownStyle(name) {
  return { label: name || "Unknown", color: "undefined", terminal: false, succeeded: false, failed: false };
}

/** The `styles` trait (phases.py's table as JSON), read on every call since the trait may change. */
export class PhaseStyles {
  /** @param {() => Record<string, Record<string, PhaseStyle>>|null|undefined} table */
  constructor(table) {
    this.table = table;
  }

  /** @returns {Record<string, Record<string, PhaseStyle>>} */
  get all() {
    return this.table() || {};
  }

  /** @param {string} name @returns {PhaseStyle|undefined} */
  workflow(name) {
    return this.all.workflow?.[name];
  }

  /**
   * The style of a phase name: node phases first, then task phases (array subtasks count with task phases).
   * @param {string} name @returns {PhaseStyle|undefined}
   */
  phase(name) {
    const s = this.all;
    return s.node?.[name] ?? s.task?.[name];
  }

  /**
   * The style of an array subtask's phase: task phases first.
   * @param {string} name @returns {PhaseStyle|undefined}
   */
  task(name) {
    return this.all.task?.[name] ?? this.phase(name);
  }

  /** @param {Row} r */
  isFailed(r) {
    return Boolean((r.kind === "subtask" ? this.all.task?.[r.phase] : this.phase(r.phase))?.failed);
  }
}

/**
 * The phases the progress bar shows (table order: node phases, task phases, then unknown names; only counts > 0),
 * their styles, the total and how many are done (terminal).
 * @param {Record<string, number>} counts @param {PhaseStyles} styles
 * @returns {{names: string[], table: Record<string, PhaseStyle>, total: number, done: number}}
 */
export function phaseCounts(counts, styles) {
  const all = styles.all;
  /** @type {Record<string, PhaseStyle>} */
  const table = {};
  const names = [...Object.keys(all.node || {}), ...Object.keys(all.task || {})].filter(
    (n, i, list) => counts[n] > 0 && list.indexOf(n) === i,
  );
  for (const n of Object.keys(counts)) if (!names.includes(n) && counts[n] > 0) names.push(n);
  for (const n of names) table[n] = styles.phase(n) ?? unknownStyle(n);
  const total = names.reduce((s, n) => s + counts[n], 0);
  const done = names.filter((n) => table[n]?.terminal).reduce((s, n) => s + counts[n], 0);
  return { names, table, total, done };
}

/**
 * The tree filter as a predicate, or null when nothing filters: the phase is `phase`, and the name or node id
 * contains `text` (case-insensitive).
 * @param {string|null} phase @param {string} text
 * @returns {((r: Row) => boolean)|null}
 */
export function rowMatcher(phase, text) {
  const needle = text.trim().toLowerCase();
  if (!phase && !needle) return null;
  return (r) =>
    (!phase || r.phase === phase) &&
    (!needle || (r.name || "").toLowerCase().includes(needle) || (r.node_id || "").toLowerCase().includes(needle));
}

/**
 * The geometry of the windowed list: the visible keys in tree order, the top and height of each, and the slice
 * of them a scrolled range needs in the DOM.
 */
export class RowWindow {
  constructor() {
    /** @type {string[]} */
    this.keys = [];
    /** @type {number[]} */
    this.tops = [];
    /** @type {number[]} */
    this.heights = [];
    this.total = 0;
  }

  /** @param {(key: string) => number} heightOf @returns {number} the height of the whole list */
  measure(heightOf) {
    this.heights = this.keys.map(heightOf);
    this.tops = new Array(this.keys.length);
    let y = 0;
    for (let i = 0; i < this.keys.length; i++) {
      this.tops[i] = y;
      y += this.heights[i];
    }
    this.total = y;
    return y;
  }

  /**
   * The indices [start, end) of the items overlapping [top, bottom), widened by `overscan` on both sides.
   * @param {number} top @param {number} bottom @param {number} overscan
   * @returns {[number, number]}
   */
  range(top, bottom, overscan) {
    const i0 = Math.max(0, firstVisible(this.tops, this.heights, top) - overscan);
    let i1 = i0;
    while (i1 < this.keys.length && this.tops[i1] < bottom) i1++;
    return [i0, Math.min(this.keys.length, i1 + overscan)];
  }

  /** @param {string} key @returns {number|null} */
  topOf(key) {
    const i = this.keys.indexOf(key);
    return i >= 0 ? this.tops[i] : null;
  }
}

/**
 * An error's line (`summary`), expandable to the whole message with a copy button. With `fetch`, a message the
 * server's list call trimmed is fetched on first expand, and one cut at rows.py's MAX_ERROR_BYTES (`capped`) gets
 * a "Show all" button fetching all of it (kept in the view state).
 * @param {string} message @param {string} summary
 * @param {{key: string, trimmed: boolean, capped?: boolean, ctx: ViewContext}|null} fetch
 */
function errorView(message, summary, fetch) {
  const det = /** @type {HTMLDetailsElement} */ (h("details", "fxw-errview"));
  det.append(h("summary", "fxw-error", summary));
  const fullErrors = fetch?.ctx.state.fullErrors;
  const pre = h("pre", "fxw-error-full", fetch ? fullErrors?.get(fetch.key) ?? message : message);
  const showAll = button("Show all", "show-all-error");
  showAll.hidden = !fetch?.capped || Boolean(fullErrors?.has(fetch.key));
  const copy = button("Copy", "copy-error");
  const note = h("span", "fxw-action-status");
  copy.addEventListener("click", () =>
    copyText(pre.textContent || "").then(
      () => (note.textContent = "copied"),
      () => (note.textContent = "copy failed: select the text instead"),
    ),
  );
  det.append(pre, copy, showAll, note);
  if (fetch) {
    showAll.addEventListener("click", () => {
      showAll.disabled = true;
      note.className = "fxw-action-status";
      fetch.ctx.requests.request("error", fetch.key, { all: true }, busyNote(note, "loading the rest…")).then(
        (res) => {
          const full = res?.message || pre.textContent || "";
          fullErrors?.set(fetch.key, full);
          pre.textContent = full;
          showAll.hidden = true;
          note.textContent = "";
        },
        (err) => {
          showAll.disabled = false;
          note.className = "fxw-action-status fxw-action-status--error";
          note.textContent = `could not fetch the rest: ${err?.message ?? err}`;
        },
      );
    });
  }
  if (fetch && fetch.trimmed && !fullErrors?.has(fetch.key)) {
    det.addEventListener(
      "toggle",
      () => {
        if (!det.open) return;
        fetch.ctx.requests.request("error", fetch.key, {}, busyNote(note, "loading the full message…")).then(
          (res) => {
            const full = res?.message || message;
            if (res?.capped) showAll.hidden = false; // more than the kernel sends unasked: "Show all" gets it
            else fullErrors?.set(fetch.key, full);
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

/** @type {Record<string, {question: string, label: string, busy: string, cause: boolean, danger: boolean}>} */
const CONFIRMS = {
  terminate: { question: "Terminate this execution?", label: "Terminate execution", busy: "terminating…", cause: true, danger: true },
  recover: {
    question: "Recover: rerun from the failure, reusing what succeeded?",
    label: "Recover",
    busy: "recovering…",
    cause: false,
    danger: false,
  },
};

/** The confirmation under the header for Terminate (with a cause) and Recover; it sends the request. */
class ConfirmBox {
  /** @param {Requests} requests */
  constructor(requests) {
    this.requests = requests;
    this.el = h("div", "fxw-confirm");
    this.el.hidden = true;
    /** @type {string|null} */
    this.kind = null;
  }

  /** Open the confirmation of `kind`, or close it if that one is open. @param {string} kind */
  toggle(kind) {
    if (this.kind === kind && !this.el.hidden) {
      this.el.hidden = true;
      return;
    }
    this.kind = kind;
    this._render(kind);
    this.el.hidden = false;
    /** @type {HTMLElement|null} */ (this.el.querySelector("input, [data-action$='-confirm']"))?.focus();
  }

  /** Close an open Terminate once it cannot apply. @param {boolean} terminal @param {boolean} canAct */
  hideStale(terminal, canAct) {
    if (this.kind === "terminate" && (terminal || !canAct)) this.el.hidden = true;
  }

  /** @param {string} kind */
  _render(kind) {
    const spec = CONFIRMS[kind];
    const box = this.el;
    box.replaceChildren();
    box.dataset.kind = kind;
    const cause = /** @type {HTMLInputElement} */ (h("input", "fxw-cause"));
    cause.placeholder = "Cause (optional)";
    cause.setAttribute("aria-label", "Cause of the termination");
    const confirm = button(spec.label, `${kind}-confirm`, spec.danger ? "fxw-btn--danger" : "fxw-btn--primary");
    const cancel = button("Cancel", `${kind}-cancel`);
    const status = h("span", "fxw-action-status");
    cancel.addEventListener("click", () => (box.hidden = true));
    cause.addEventListener("keydown", (ev) => ev.key === "Enter" && confirm.click());
    confirm.addEventListener("click", () => {
      confirm.disabled = true;
      status.className = "fxw-action-status";
      this.requests.request(kind, "", spec.cause ? { cause: cause.value } : {}, busyNote(status, spec.busy)).then(
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
    box.append(h("span", "", spec.question));
    if (spec.cause) box.append(cause);
    box.append(confirm, cancel, status);
  }
}

/** The progress bar and the per-phase count chips; a chip sets or clears the phase filter (state.phaseFilter). */
class CountsView {
  /** @param {ViewContext} ctx @param {() => void} onFilter called after a chip changed the filter */
  constructor(ctx, onFilter) {
    this.ctx = ctx;
    this.onFilter = onFilter;
    this.el = h("div", "fxw-progress");
  }

  render() {
    const state = this.ctx.state;
    const counts = this.ctx.model.get("counts") || {};
    const { names, table, total, done } = phaseCounts(counts, this.ctx.styles);
    this.el.replaceChildren();
    const bar = h("div", "fxw-bar");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", String(total));
    bar.setAttribute("aria-valuenow", String(done));
    for (const n of names) {
      const seg = h("div", `fxw-bar-seg fxw-badge--${cssToken(table[n]?.color)}`);
      seg.style.width = `${(100 * counts[n]) / Math.max(1, total)}%`;
      seg.title = `${fmtCount(counts[n])} ${table[n]?.label ?? n}`;
      bar.append(seg);
    }
    const chips = h("div", "fxw-counts");
    chips.append(h("span", "fxw-done", total ? `${fmtCount(done)} of ${fmtCount(total)} nodes done` : "no nodes yet"));
    for (const n of names) {
      const text = `${fmtCount(counts[n])} ${table[n]?.label ?? n}`;
      const chip = button(text, "filter", `fxw-chip fxw-badge--${cssToken(table[n]?.color)}`);
      chip.dataset.phase = n;
      chip.title = state.phaseFilter === n ? "Show all nodes" : `Show only ${table[n]?.label ?? n} nodes`;
      chip.setAttribute("aria-pressed", String(state.phaseFilter === n));
      chip.addEventListener("click", () => {
        state.phaseFilter = state.phaseFilter === n ? null : n;
        this.render();
        this.onFilter();
      });
      chips.append(chip);
    }
    this.el.append(bar, chips);
  }
}

/**
 * The header: the title line (workflow, execution link, phase badge, elapsed time, Terminate/Relaunch/Recover),
 * the execution's error and the sync line; it holds the progress bar and the confirmation, which render themselves.
 */
class HeaderView {
  /**
   * @param {ViewContext} ctx @param {HTMLElement} root the .fxw element, whose data-phase is the execution's
   * @param {CountsView} counts @param {ConfirmBox} confirm
   */
  constructor(ctx, root, counts, confirm) {
    this.ctx = ctx;
    this.root = root;
    this.confirm = confirm;
    this.relaunch = new RelaunchForm(ctx);
    this.trail = new TrailView(ctx);
    this.el = h("div", "fxw-header");
    this.title = h("div", "fxw-title");
    this.meta = h("div", "fxw-meta");
    this.error = h("div", "fxw-header-error");
    this.el.append(this.title, this.trail.el, counts.el, this.meta, this.error, confirm.el, this.relaunch.el);
    /** @type {HTMLElement|null} */
    this.elapsedEl = null;
    /** @type {HTMLElement|null} */
    this.syncEl = null;
    /** @type {NotifyBell|null} the bell (static/notify.js), set by render() */
    this.bell = null;
  }

  /** The title line and the error, from the `header` and `can_act` traits. */
  render() {
    const { model, styles } = this.ctx;
    const hd = model.get("header") || {};
    const canAct = actionsWork(this.ctx);
    const wfStyle = styles.workflow(hd.phase);
    const title = this.title;
    this.root.dataset.phase = hd.phase || "";
    title.replaceChildren();
    title.append(h("span", "fxw-wf", hd.workflow || "workflow"));
    const ref = [hd.project, hd.domain, hd.name].filter(Boolean).join("/");
    const exec = link(hd.url, hd.name || ref, "fxw-exec");
    exec.title = ref;
    title.append(exec, badge(hd.label || wfStyle?.label || hd.phase, hd.color || wfStyle?.color || "", hd.phase));
    this.elapsedEl = h("span", "fxw-elapsed");
    title.append(this.elapsedEl, h("span", "fxw-grow"));
    if (this.bell && !this.ctx.shared.offline) title.append(this.bell.el);
    if (canAct && !hd.terminal) {
      const term = button("Terminate", "terminate", "fxw-btn--danger");
      term.addEventListener("click", () => this.confirm.toggle("terminate"));
      title.append(term);
    } else if (canAct && hd.terminal) {
      const again = button("Relaunch…", "relaunch");
      again.title = "Run it again: edit its inputs first, or relaunch it unchanged";
      again.addEventListener("click", () => this.relaunch.toggle());
      title.append(again);
      if (wfStyle?.failed) {
        const recover = button("Recover", "recover");
        recover.title = "Rerun from the failure, reusing the nodes that succeeded";
        recover.addEventListener("click", () => this.confirm.toggle("recover"));
        title.append(recover);
      }
    }
    this.confirm.hideStale(Boolean(hd.terminal), canAct);
    if (!canAct || !hd.terminal) this.relaunch.close();
    this.trail.render();
    this.error.replaceChildren();
    const err = hd.error;
    if (err && (err.message || err.code)) {
      const summary = failureText(hd, (key) => this.ctx.store.rows.get(key));
      const fetch = { key: "", trimmed: false, capped: Boolean(err.capped), ctx: this.ctx };
      this.error.append(errorView(err.message || err.code || "", summary, fetch));
    }
  }

  /** The sync line's element, from the `sync_status` trait (its text is set by tick). */
  renderSync() {
    this.meta.replaceChildren();
    const sync = this.ctx.model.get("sync_status") || {};
    this.syncEl = h("span", "fxw-sync");
    this.syncEl.dataset.state = sync.state || "";
    this.meta.append(this.syncEl);
    // where a login under way waits for the user (http(s) only)
    if (sync.state === "login" && safeUrl(sync.login_url)) {
      this.meta.append(" ", link(sync.login_url, "login page", "fxw-login"));
    }
  }

  /** The texts that change with time: elapsed, "last synced 4s ago". @param {number} now */
  tick(now) {
    const model = this.ctx.model;
    const hd = model.get("header") || {};
    if (this.elapsedEl) {
      const s = elapsedSeconds(hd, now);
      const bad = hasInvalidTime(hd, "started_at", "duration_s") ? INVALID_TIME : "";
      this.elapsedEl.textContent = s === null ? bad : hd.terminal ? `took ${fmtDuration(s)}` : `running ${fmtDuration(s)}`;
    }
    if (this.syncEl) {
      const sync = model.get("sync_status") || {};
      this.syncEl.textContent = this.ctx.shared.offline ? offlineText(sync) : syncText(sync, now, finishedAt(hd));
    }
  }
}

/** The views the toolbar switches between ([state.view, label]); render() shows the one chosen. */
export const VIEWS = [
  ["tree", "Tree"],
  ["timeline", "Timeline"],
  ["graph", "Graph"],
];

/** The toolbar: the view switch, the text filter (state.text) and its "N shown", and the buttons above the tree. */
class Toolbar {
  /**
   * @param {ViewState} state
   * @param {{filter: () => void, firstFailure: () => void, expandAll: () => void, collapseAll: () => void,
   *   execIo: () => void, view: (name: string) => void}} on what the search box (after setting state.text) and
   *   each button call
   */
  constructor(state, on) {
    this.el = h("div", "fxw-toolbar");
    this.views = h("span", "fxw-views");
    this.views.setAttribute("role", "group");
    this.views.setAttribute("aria-label", "View");
    for (const [name, label] of VIEWS) {
      const b = button(label, "view", "fxw-view-btn");
      b.dataset.view = name;
      b.addEventListener("click", () => on.view(name));
      this.views.append(b);
    }
    this.setView(state.view);
    const search = /** @type {HTMLInputElement} */ (h("input", "fxw-search"));
    search.type = "search";
    search.placeholder = "Filter nodes by name or id";
    search.value = state.text;
    search.setAttribute("aria-label", "Filter nodes by name or id");
    this.search = search;
    this.filterNote = h("span", "fxw-filter-note");
    this.firstFailure = button("Jump to first failure", "first-failure");
    const expandAll = button("Expand all", "expand-all");
    const collapseAll = button("Collapse all", "collapse-all");
    this.execIoBtn = button("Execution inputs / outputs", "exec-io");
    this.setExecIo(state.execIo);
    const grow = h("span", "fxw-grow");
    this.el.append(this.views, search, this.filterNote, grow, this.firstFailure, expandAll, collapseAll, this.execIoBtn);
    search.addEventListener("input", () => {
      state.text = search.value;
      on.filter();
    });
    this.firstFailure.addEventListener("click", () => on.firstFailure());
    expandAll.addEventListener("click", () => on.expandAll());
    collapseAll.addEventListener("click", () => on.collapseAll());
    this.execIoBtn.addEventListener("click", () => on.execIo());
  }

  /** What the tree shows now. @param {{shown: number, filtered: boolean, hasFailure: boolean}} items */
  showItems(items) {
    this.filterNote.textContent = items.filtered ? `${items.shown} shown` : "";
    this.firstFailure.hidden = !items.hasFailure;
  }

  clearSearch() {
    this.search.value = "";
  }

  /** @param {string} name the view shown */
  setView(name) {
    for (const b of this.views.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.view === name));
  }

  /** @param {boolean} open whether the execution's inputs/outputs box is shown */
  setExecIo(open) {
    this.execIoBtn.setAttribute("aria-pressed", String(open));
  }
}

/**
 * Inputs and outputs: the collapsed sections of a row's detail and the execution's own box. A section is
 * fetched on first open, never before; what can no longer change is kept in state.io, so a row rebuilt after
 * scrolling shows it again without a request. Clicking an entry's name selects it (widget.selected_output).
 */
class IoPanel {
  /** @param {ViewContext} ctx */
  constructor(ctx) {
    this.ctx = ctx;
    this.el = h("div", "fxw-exec-io");
  }

  /** Show the execution's inputs/outputs box or not, as state.execIo says. */
  renderExec() {
    const state = this.ctx.state;
    this.el.replaceChildren();
    this.el.hidden = !state.execIo;
    if (state.execIo) this.el.append(this.section("", "inputs"), this.section("", "outputs"));
  }

  toggleExec() {
    this.ctx.state.execIo = !this.ctx.state.execIo;
    this.renderExec();
  }

  /**
   * A collapsed Inputs/Outputs section of row `key` ("" = the execution).
   * @param {string} key @param {"inputs"|"outputs"} which
   */
  section(key, which) {
    const { state, requests } = this.ctx;
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
          requests.request("select", key, { which, path }, busyNote(note, "selecting…")).then(
            (res) => {
              note.textContent = `widget.selected_output = ${which}${res.path.replace(/^([^[]+)/, "['$1']")} (${res.type})`;
              note.title = "Also flyteexec_widget.selected_output(), for an execution shown by its repr";
            },
            (err) => {
              note.className = "fxw-io-note fxw-action-status--error";
              note.textContent = err?.message ?? String(err);
            },
          );
        },
        showAll: (path, progress) => requests.request(which, key, { path }, progress),
      };
      const done = state.io.get(cacheKey);
      if (done?.result) {
        show(done.result, ctx);
        return;
      }
      requests.request(which, key, {}, busyNote(note, "loading…")).then(
        (res) => {
          // Outputs of a running node may still appear: remember only what can no longer change.
          const final = key ? this.ctx.store.rows.get(key)?.terminal : this.ctx.model.get("header")?.terminal;
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
 * Whether a row's gate waits for a decision this view can send (Approve/Reject or a signal; not a sleep).
 * @param {ViewContext} ctx @param {Row} r
 */
function gateWaits(ctx, r) {
  return Boolean(r.gate && r.gate.kind !== "sleep" && actionsWork(ctx));
}

/**
 * A gate's controls: Approve/Reject, a signal's input and Send, or "sleeping" (none when actions cannot work). In
 * the row's actions column, or in its detail when that column gave way to a narrow output.
 * @param {ViewContext} ctx @param {Row} r @returns {HTMLElement[]}
 */
function gateControls(ctx, r) {
  const g = r.gate;
  const out = [];
  if (g && actionsWork(ctx)) {
    if (g.kind === "approve") {
      out.push(button("Approve", "approve", "fxw-btn--primary"), button("Reject", "reject", "fxw-btn--danger"));
    } else if (g.kind === "signal") {
      const t = (g.type || "").toLowerCase();
      /** @type {HTMLInputElement|HTMLSelectElement} */
      let input;
      if (t === "bool") {
        input = /** @type {HTMLSelectElement} */ (h("select", "fxw-signal"));
        for (const v of ["", "true", "false"]) {
          const o = /** @type {HTMLOptionElement} */ (h("option", "", v || "choose…"));
          o.value = v;
          input.append(o);
        }
      } else {
        input = /** @type {HTMLInputElement} */ (h("input", "fxw-signal"));
        input.type = t === "int" || t === "float" ? "number" : "text";
        if (t === "float") input.step = "any";
        input.placeholder = g.type || "value";
      }
      input.setAttribute("aria-label", `Value for signal ${g.signal_id} (${g.type || "any"})`);
      input.dataset.key = r.key;
      input.value = ctx.state.drafts.get(r.key) ?? "";
      out.push(input, button("Send", "signal", "fxw-btn--primary"));
    } else if (g.kind === "sleep") {
      out.push(h("span", "fxw-muted", "sleeping"));
    }
  }
  return out;
}

/**
 * The outcome of an action on a row ("Approved", "Sent 0.75", or why it failed), or null.
 * @param {ViewContext} ctx @param {string} key
 */
function actionNote(ctx, key) {
  const st = ctx.state.status.get(key);
  if (!st) return null;
  const note = h("span", `fxw-action-status${st.error ? " fxw-action-status--error" : ""}`, st.text);
  note.title = st.text;
  return note;
}

/**
 * The DOM of one tree row (name with indent, toggle, id, kind and child link; status with subtask counts; times;
 * attempts; cache; logs; error or action outcome; gate controls) and its time-dependent parts.
 */
class RowView {
  /** @param {ViewContext} ctx */
  constructor(ctx) {
    this.ctx = ctx;
    /** Whether the actions column gave way to the width (TreeView sets it): the gate's controls are in the detail. */
    this.actionsHidden = () => false;
  }

  /** @param {Row} r @returns {HTMLElement} */
  build(r) {
    const { state, styles } = this.ctx;
    const now = Date.now();
    const row = h("div", "fxw-grid fxw-row");
    row.dataset.key = r.key;
    row.dataset.phase = r.phase || "";
    row.dataset.kind = r.kind || "";
    row.setAttribute("role", "row");
    row.setAttribute("aria-level", String((r.depth || 0) + 1));
    if (state.open.has(r.key)) row.classList.add("fxw-row--open");

    // Indented by depth, but never by more than a third of the name column: a deep name stays readable.
    const indent = `min(${4 + indentPx(r.depth)}px, 35%)`;
    const name = h("div", "fxw-c fxw-c-name");
    // The toggle hangs in the indentation (CSS: a negative margin), so what wraps under the name lines up with it.
    name.style.paddingLeft = `calc(${indent} + ${TOGGLE_W}px)`;
    if (r.has_children) {
      const open = state.expanded.has(r.key);
      const tog = button(open ? "▾" : "▸", "toggle", "fxw-toggle");
      tog.setAttribute("aria-expanded", String(open));
      tog.setAttribute("aria-label", open ? "Collapse" : "Expand");
      name.append(tog);
    } else {
      name.append(h("span", "fxw-toggle-space"));
    }
    const label = r.name || r.node_id || r.key;
    name.append(h("span", "fxw-name", label));
    // An array subtask's id is a long external id: it stays in the tooltip and the detail, its name says enough.
    // The attempt switch is a control: right after the name, before the id and tag that may shorten.
    if (r.attempt_groups && r.attempt_groups.length > 1) name.append(this._attemptSwitch(r));
    if (r.node_id && r.node_id !== r.name && r.kind !== "subtask") {
      const id = h("span", "fxw-nodeid", shortId(r.node_id));
      id.title = r.node_id;
      name.append(id);
    }
    if (r.kind && r.kind !== "task" && r.kind !== "subtask") {
      const tag = h("span", "fxw-kindtag", r.kind);
      tag.title = r.kind;
      name.append(tag);
    }
    if (r.child && r.child.name) {
      const child = link(r.child.url, `→ ${r.child.name}`, "fxw-childlink");
      child.title = "The child execution's console page";
      name.append(child);
    }
    name.title = `${label} (${r.node_id || r.key})`;

    const status = h("div", "fxw-c fxw-c-status");
    status.append(badge(r.label || r.phase, r.color, r.phase));
    if (r.subtasks) {
      // Subtasks are counted here, on their array's row, not with the nodes in the header.
      status.append(h("span", "fxw-shards", shardsText(r.subtasks, styles)));
      const sub = h("span", "fxw-subcounts");
      sub.title = "Array subtasks per phase (latest attempt of each index)";
      for (const [p, n] of Object.entries(r.subtasks.counts || {})) {
        if (!n) continue;
        const st = styles.task(p);
        const chip = h("span", `fxw-subcount fxw-badge--${cssToken(st?.color)}`, `×${fmtCount(n)}`);
        chip.title = `${fmtCount(n)} ${st?.label ?? p}`;
        chip.dataset.phase = p;
        sub.append(chip);
      }
      status.append(sub);
    }
    if (this.actionsHidden() && gateWaits(this.ctx, r)) {
      // No room for the gate's buttons in this row: they are in its detail, one click away.
      const hint = button("decide…", "details", "fxw-btn--link fxw-gate-hint");
      hint.title = "Approve, reject or send the signal: in the row's detail (the output is too narrow for them here)";
      status.append(hint);
    }

    // A start the server sent out of range is said so, not replaced by the creation time.
    const badStart = badStartTime(r);
    const at = r.started_at || r.created_at;
    const start = h("div", "fxw-c fxw-c-start", badStart ? INVALID_TIME : fmtClock(at, now));
    if (badStart) start.title = "The server sent this time out of range";
    else start.title = at ? `${r.started_at ? "started" : "created"} ${fmtUtc(at)}` : "";
    const dur = h("div", "fxw-c fxw-c-dur");
    const durText = h("span", "fxw-dur");
    dur.append(durText, timelineBar(r));
    // null: not listed yet (the kernel shows rows before their attempts, which follow)
    const attempts = h("div", "fxw-c fxw-c-attempts", r.attempts === null ? "…" : r.attempts ? fmtCount(r.attempts) : "");
    if (r.attempts === null) attempts.title = "Attempts not listed yet";
    const cache = h("div", "fxw-c fxw-c-cache");
    if (r.cache) cache.append(h("span", `fxw-cache fxw-cache--${cssToken(r.cache.replace(/\s+/g, "-"))}`, r.cache));
    // One line per link (the row grows): a log is never hidden behind a cut. Past ROW_LOG_LINES, the latest
    // attempts' links and "and N more" (the detail lists every one).
    const logs = h("div", "fxw-c fxw-c-logs");
    const { links, more: moreLogs, multi } = rowLogLines(r);
    for (const l of links) {
      const text = logLabel(l, multi);
      const a = link(l.uri, text, "fxw-log");
      a.title = `${text} (attempt ${(l.attempt ?? 0) + 1})`;
      logs.append(a);
    }
    if (moreLogs > 0) {
      const m = h("span", "fxw-log-more", logsMoreText(moreLogs));
      m.title = "The details list every log link";
      m.dataset.action = "details";
      logs.append(m);
    }
    const actions = h("div", "fxw-c fxw-c-actions");
    actions.append(...gateControls(this.ctx, r));
    // The outcome of an action on this row stays where it was asked, as the gate's result.
    const note = actionNote(this.ctx, r.key);
    if (note) actions.append(note);
    const more = button(state.open.has(r.key) ? "less" : "more", "details", "fxw-btn--link");
    more.setAttribute("aria-label", "Details, inputs and outputs");
    actions.append(more);

    row.append(name, status, start, dur, attempts, cache, logs, actions);
    for (const cell of row.children) cell.setAttribute("role", "gridcell");
    if (r.error && (r.error.message || r.error.code)) {
      // The exception line, under the row and as wide as the table: whole, wrapped if it must.
      const line = h("div", "fxw-rowerr");
      line.style.paddingLeft = `calc(${indent} + ${TOGGLE_W}px)`;
      const e = h("span", "fxw-error", errorSummary(r.error.message || r.error.code, 400));
      e.title = "Show the whole error";
      e.dataset.action = "error";
      line.append(e);
      row.append(line);
    }
    this.updateTime(row, r, now);
    return row;
  }

  /**
   * Refresh the time-dependent parts of a rendered row (duration, timeline) at `now`.
   * @param {HTMLElement} rowEl @param {Row} r @param {number} now
   */
  updateTime(rowEl, r, now) {
    const hd = this.ctx.model.get("header") || {};
    const dur = elapsedSeconds(r, now);
    const durEl = /** @type {HTMLElement|null} */ (rowEl.querySelector(".fxw-dur"));
    const created = parseTime(r.created_at);
    const started = parseTime(r.started_at);
    let queued = r.queued_s;
    if (queued == null && created !== null) queued = ((started ?? (r.terminal ? created : now)) - created) / 1000;
    if (durEl) {
      const bad = dur === null && hasInvalidTime(r, "duration_s", "started_at");
      durEl.textContent = bad ? INVALID_TIME : fmtDuration(dur);
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

  /**
   * A retried parent's switch between the children of its attempts (the latest by default).
   * @param {Row} r @returns {HTMLElement}
   */
  _attemptSwitch(r) {
    const groups = r.attempt_groups;
    const shown = this.ctx.state.attempts.get(r.key) ?? groups[groups.length - 1];
    const sel = /** @type {HTMLSelectElement} */ (h("select", "fxw-attempt"));
    sel.dataset.key = r.key;
    sel.setAttribute("aria-label", "Attempt whose children are shown");
    sel.title = `Retried: showing the children of attempt ${shown + 1} of ${groups.length}; choose another attempt`;
    for (const g of groups) {
      const latest = g === groups[groups.length - 1];
      const o = /** @type {HTMLOptionElement} */ (h("option", "", `#${g + 1}`));
      o.title = `attempt ${g + 1}${latest ? " (latest)" : ""}`;
      o.value = String(g);
      o.selected = g === shown;
      sel.append(o);
    }
    return sel;
  }
}

/**
 * A row's log links, one line per attempt (http(s) links only).
 * @param {LogLink[]} logs @returns {HTMLElement[]}
 */
function logLines(logs) {
  /** @type {Map<number, LogLink[]>} */
  const byAttempt = new Map();
  for (const l of logs) {
    if (!safeUrl(l.uri)) continue;
    const a = l.attempt ?? 0;
    if (!byAttempt.has(a)) byAttempt.set(a, []);
    /** @type {LogLink[]} */ (byAttempt.get(a)).push(l);
  }
  return [...byAttempt]
    .sort((x, y) => x[0] - y[0])
    .map(([a, ls]) => {
      const line = h("div", "fxw-detail-row");
      line.append(h("span", "fxw-fact-k", `attempt ${a + 1} logs `));
      for (const l of ls) line.append(link(l.uri, l.name || "log", "fxw-log"), " ");
      return line;
    });
}

/**
 * The detail under an open row: facts, child execution, subtask counts, logs per attempt, the full error, the
 * deck (in a sandboxed iframe) and the row's inputs/outputs.
 */
class DetailView {
  /** @param {ViewContext} ctx @param {IoPanel} io */
  constructor(ctx, io) {
    this.ctx = ctx;
    this.io = io;
    /** Whether the actions column gave way to the width (TreeView sets it): then the detail has the gate's controls. */
    this.actionsHidden = () => false;
  }

  /** @param {Row} r @returns {HTMLElement} */
  build(r) {
    const d = h("div", "fxw-detail");
    d.dataset.key = r.key;
    const info = h("div", "fxw-detail-info");
    this.fillInfo(info, r);
    const io = h("div", "fxw-detail-io");
    if (r.phase === NOT_STARTED) {
      io.append(h("div", "fxw-muted", "Not started yet: no inputs, outputs or logs so far."));
    } else if (r.kind === "subtask") {
      // FlyteAdmin keeps data per node, not per array index: the array node's row has the inputs/outputs.
      io.append(h("div", "fxw-muted", "Inputs and outputs: see the array node."));
    } else {
      io.append(this.io.section(r.key, "inputs"), this.io.section(r.key, "outputs"));
    }
    d.append(info, io);
    // The task it runs (taskdetails.js): fetched now, once per task id, as the console's Task tab shows it.
    if (hasTaskDetails(r) && this.ctx.model.get("can_act")) d.append(new TaskDetailsView(this.ctx).build(r));
    return d;
  }

  /** (Re)fill the part of a detail that follows the row's data. @param {HTMLElement} info @param {Row} r */
  fillInfo(info, r) {
    info.replaceChildren();
    if (this.actionsHidden()) {
      // The actions column gave way to a narrow output: the gate's controls and outcome are here instead.
      const controls = gateControls(this.ctx, r);
      const note = actionNote(this.ctx, r.key);
      if (controls.length || note) {
        const gate = h("div", "fxw-detail-row fxw-detail-gate");
        gate.dataset.key = r.key;
        if (controls.length) gate.append(h("span", "fxw-fact-k", r.gate?.kind === "signal" ? "signal " : "decide "));
        gate.append(...controls);
        if (note) gate.append(note);
        info.append(gate);
      }
    }
    const facts = h("div", "fxw-facts");
    /** @param {string} k @param {string|Node} v */
    const fact = (k, v) => {
      const f = h("span", "fxw-fact");
      f.append(h("span", "fxw-fact-k", k + " "), v);
      facts.append(f);
    };
    /** @param {string|null} iso a time as the table shows it, in UTC on hover */
    const when = (iso) => {
      const t = h("span", "fxw-time", fmtClock(iso, Date.now()));
      t.title = fmtUtc(iso);
      return t;
    };
    fact("id", h("code", "", r.node_id || r.key));
    fact("kind", r.kind || "");
    fact("status", r.label || r.phase);
    if (r.created_at || hasInvalidTime(r, "created_at")) fact("created", r.created_at ? when(r.created_at) : INVALID_TIME);
    if (r.started_at || hasInvalidTime(r, "started_at")) fact("started", r.started_at ? when(r.started_at) : INVALID_TIME);
    if (r.queued_s != null) fact("queued", fmtDuration(r.queued_s));
    if (r.duration_s != null) fact("ran", fmtDuration(r.duration_s));
    else if (hasInvalidTime(r, "duration_s")) fact("ran", INVALID_TIME);
    const end = finishedAt(r);
    if (end !== null && r.started_at) fact("ended", when(new Date(end).toISOString()));
    if (r.attempts) fact("attempts", fmtCount(r.attempts));
    if (r.cache) fact("cache", r.cache);
    info.append(facts);
    if (r.child && r.child.name) {
      const c = h("div", "fxw-detail-row");
      c.append(h("span", "fxw-fact-k", "child execution "), link(r.child.url, r.child.name, "fxw-childlink"));
      info.append(c);
    }
    if (r.subtasks) {
      const s = h("div", "fxw-detail-row");
      s.append(h("span", "fxw-fact-k", `subtasks (${fmtCount(r.subtasks.total)}) `));
      for (const [p, n] of Object.entries(r.subtasks.counts || {})) {
        const st = this.ctx.styles.task(p);
        if (n) s.append(badge(`${fmtCount(n)} ${st?.label ?? p}`, st?.color ?? "undefined", p), " ");
      }
      info.append(s);
    }
    const logBox = h("div", "fxw-detail-logs");
    const total = (r.logs || []).length + (r.logs_omitted || 0);
    const full = this.ctx.state.fullLogs.get(r.key);
    const fullLogs = full && full.total === total ? full.logs : null; // fetched before new attempts came: stale
    logBox.append(...logLines(fullLogs ?? r.logs ?? []));
    if (r.logs_omitted > 0 && !fullLogs) logBox.append(this._moreLogs(r, logBox, total));
    // Each attempt with its phase, times, reason, error and logs (timeline.js); the plain log list only where
    // there is no attempt to list, or more links than a row carries.
    const attempts = attemptsSection(this.ctx, r);
    if (attempts) info.append(attempts);
    if (!attempts || r.logs_omitted > 0) info.append(logBox);
    if (r.error && (r.error.message || r.error.code)) {
      // The code ("USER:ValueError") only where the exception line does not already say it.
      const line = errorSummary(r.error.message || r.error.code);
      const code = r.error.code || r.error.kind || "";
      const named = code.split(":").pop() || "";
      const summary = code && !(named && line.startsWith(named)) ? `${code}: ${line}` : line;
      const { trimmed, capped } = r.error;
      const fetch = { key: r.key, trimmed: Boolean(trimmed), capped: Boolean(capped), ctx: this.ctx };
      const ev = errorView(r.error.message || "", summary, fetch);
      // kind and code stay on hover ("unknown (7) USER:ValueError": a newer Flyte's error kind is named there)
      const head = ev.querySelector("summary");
      if (head) head.title = [r.error.kind, r.error.code].filter(Boolean).join(" ");
      ev.open = true; // the native "toggle" event follows and fetches the untrimmed message if needed
      info.append(ev);
    }
    if (r.deck) info.append(this._deck(r));
  }

  /**
   * "and N more": fetches every log link of the row (rows.py caps what a row carries) into `box`.
   * @param {Row} r @param {HTMLElement} box @param {number} total the row's links, carried and left out
   */
  _moreLogs(r, box, total) {
    const line = h("div", "fxw-detail-row");
    const more = button(logsMoreText(r.logs_omitted), "more-logs", "fxw-btn--link");
    const note = h("span", "fxw-action-status");
    more.addEventListener("click", () => {
      more.disabled = true;
      note.className = "fxw-action-status";
      this.ctx.requests.request("logs", r.key, {}, busyNote(note, "loading…")).then(
        (res) => {
          const all = Array.isArray(res?.logs) ? res.logs : [];
          this.ctx.state.fullLogs.set(r.key, { total, logs: all });
          box.replaceChildren(...logLines(all));
        },
        (err) => {
          more.disabled = false;
          note.className = "fxw-action-status fxw-action-status--error";
          note.textContent = `could not fetch the log links: ${err?.message ?? err}`;
        },
      );
    });
    line.append(more, " ", note);
    return line;
  }

  /**
   * "Open deck": asks for a link, then shows it and the deck in an iframe. A running task's deck is not written
   * yet: the kernel then answers with a note (no url), and the button stays for a later try.
   * @param {Row} r
   */
  _deck(r) {
    const line = h("div", "fxw-detail-row");
    const open = button("Open deck", "deck");
    const note = h("span", "fxw-action-status");
    open.addEventListener("click", () => {
      open.disabled = true;
      note.className = "fxw-action-status";
      this.ctx.requests.request("deck", r.key, {}, busyNote(note, "getting a link…")).then(
        (res) => {
          if (!res?.url && res?.message) {
            open.disabled = false;
            note.textContent = String(res.message);
            return;
          }
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
    return line;
  }
}

/** @typedef {{item: HTMLElement, row: HTMLElement, detail: HTMLElement|null, data: Row}} Entry */

/**
 * The windowed tree grid: which rows are visible (expansion, filter), only the ones in view in the DOM with their
 * details, the clicks on them (expand, open, Approve/Reject/Send), and the rows a snapshot or patch changed.
 * The visible list and its geometry are recomputed only when the tree, the expansion, the filter or an open
 * detail's height changed; scrolling only paints the rows in view.
 */
class TreeView {
  /**
   * @param {ViewContext} ctx @param {RowView} rowView @param {DetailView} detailView
   * @param {(items: {shown: number, filtered: boolean, hasFailure: boolean}) => void} onItems told what the
   *   tree shows whenever the visible list was recomputed
   */
  constructor(ctx, rowView, detailView, onItems) {
    this.ctx = ctx;
    this.rowView = rowView;
    this.detailView = detailView;
    this.onItems = onItems;
    const actionsHidden = () => this.fit.hidden.split(" ").includes("actions");
    rowView.actionsHidden = actionsHidden;
    detailView.actionsHidden = actionsHidden;
    const viewport = h("div", "fxw-viewport");
    viewport.setAttribute("role", "treegrid");
    const thead = h("div", "fxw-grid fxw-thead");
    thead.setAttribute("role", "row");
    for (const c of COLUMNS) {
      const cell = h("div", `fxw-c fxw-c-${c.id}`, c.label);
      cell.setAttribute("role", "columnheader");
      if (c.title) cell.title = c.title;
      thead.append(cell);
    }
    this.spacer = h("div", "fxw-spacer");
    this.empty = h("div", "fxw-empty", "Loading nodes…");
    viewport.append(thead, this.spacer, this.empty);
    this.el = viewport;
    this.thead = thead;

    /** @type {Map<string, Entry>} */
    this.rendered = new Map();
    /** @type {Map<string, number>} the measured height of each rendered row (with its detail when open) */
    this.measured = new Map();
    this.window = new RowWindow();
    this.text = new TextMeasure(viewport);
    /** @type {WeakMap<Row, RowNeed>} what each row's data needs in the columns (see columnNeeds) */
    this.needs = new WeakMap();
    this.itemsDirty = true;
    this.heightsDirty = true;
    this.columnsDirty = true; // the rows shown, or what they hold, changed: the column widths may have
    this.remeasure = false; // the columns shown changed: measure the rendered rows again after the layout
    this.width = -1; // the width the columns were fitted to
    this.fit = { template: "", hidden: "" };
    this.hasFailure = false;
    this.frame = 0; // the requestAnimationFrame of a scheduled layout, 0 if none
    this.destroyed = false;

    this.resizeObserver =
      typeof ResizeObserver === "function" ? new ResizeObserver((entries) => this._onResize(entries)) : null;
    this.viewportObserver =
      typeof ResizeObserver === "function" ? new ResizeObserver(() => this.scheduleLayout()) : null;
    this.viewportObserver?.observe(viewport);
    viewport.addEventListener("scroll", () => {
      ctx.state.scrollTop = viewport.scrollTop;
      this.scheduleLayout();
    });
    this.spacer.addEventListener("click", (ev) => this._onClick(ev));
    this.spacer.addEventListener("input", (ev) => this._onInput(ev));
    this.spacer.addEventListener("change", (ev) => this._onInput(ev));
    this.spacer.addEventListener("keydown", (ev) => this._onKey(ev));
  }

  /** @param {ResizeObserverEntry[]} entries rendered rows (and open details) whose height may have changed */
  _onResize(entries) {
    let changed = false;
    for (const e of entries) {
      const key = /** @type {HTMLElement} */ (e.target).dataset.key;
      if (!key) continue;
      const hgt = /** @type {HTMLElement} */ (e.target).offsetHeight;
      if (hgt && this.measured.get(key) !== hgt) {
        this.measured.set(key, hgt);
        changed = true;
      }
    }
    if (changed) {
      this.heightsDirty = true;
      this.scheduleLayout();
    }
  }

  /** Paint at the next frame (scrolling, resizing). */
  scheduleLayout() {
    if (this.frame || this.destroyed) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (!this.destroyed) this.layout();
    });
  }

  /** The tree, expansion or filter changed: recompute the visible list, then paint. */
  relayout() {
    this.itemsDirty = true;
    this.layout();
  }

  /** @param {string} key its measured height, else a guess from its data (measured once it is rendered) */
  _heightOf(key) {
    const known = this.measured.get(key);
    if (known !== undefined) return known;
    const r = this.ctx.store.rows.get(key);
    const guess = r ? rowHeightGuess(r, !this.fit.hidden.split(" ").includes("logs")) : ROW_HEIGHT;
    return this.ctx.state.open.has(key) ? guess + DETAIL_GUESS : guess;
  }

  /**
   * Size the columns for the rows shown (what they hold) and the viewport's width, hiding those that do not fit.
   * @param {number} width
   */
  _fitColumns(width) {
    const { store, state, model } = this.ctx;
    const rows = /** @type {Row[]} */ (this.window.keys.map((k) => store.rows.get(k)).filter(Boolean));
    const need = columnNeeds(rows, {
      measure: (text, font) => this.text.width(text, font),
      nowMs: Date.now(),
      canAct: Boolean(model.get("can_act")),
      notes: state.status,
      cache: this.needs,
    });
    const fit = fitColumns(need, width);
    const hidden = fit.hidden.join(" ");
    if (fit.template !== this.fit.template) this.el.style.setProperty("--fxw-cols", fit.template);
    const actionsMoved = hidden.split(" ").includes("actions") !== this.fit.hidden.split(" ").includes("actions");
    if (hidden !== this.fit.hidden) {
      this.el.dataset.hide = hidden;
      // Rows change height with the columns they show: what was measured off screen is stale; the rendered rows
      // are measured again after this layout (the ResizeObserver reports only those whose height changed).
      for (const key of [...this.measured.keys()]) if (!this.rendered.has(key)) this.measured.delete(key);
      this.heightsDirty = true;
      this.remeasure = true;
    }
    this.fit = { template: fit.template, hidden };
    // The gate's controls move between the row's actions column and its detail.
    if (actionsMoved) for (const [, e] of this.rendered) this.refresh(e, e.data);
    this.width = width;
    this.el.dataset.width = String(width); // what the columns were fitted to (tests wait for it after a resize)
    this.columnsDirty = false;
  }

  /** Recompute what is stale (visible list, geometry), then put the rows in view in the DOM and no others. */
  layout() {
    if (this.destroyed) return;
    const { state, store } = this.ctx;
    const win = this.window;
    if (this.itemsDirty) {
      const match = rowMatcher(state.phaseFilter, state.text);
      win.keys = store.visible(state.expanded, match, state.attempts).map((r) => r.key);
      this.empty.hidden = win.keys.length > 0;
      this.empty.textContent =
        store.version < 0 ? "Loading nodes…" : match ? "No node matches the filter." : "No nodes yet.";
      this.hasFailure = this.failureKey() !== null;
      this.onItems({ shown: win.keys.length, filtered: Boolean(match), hasFailure: this.hasFailure });
      this.itemsDirty = false;
      this.heightsDirty = true;
      this.columnsDirty = true;
    }
    const width = this.el.clientWidth;
    if (width > 0 && (this.columnsDirty || width !== this.width)) {
      if (this.width > 0 && width !== this.width) {
        // Lines wrap differently at another width: what was measured off screen is stale.
        for (const key of [...this.measured.keys()]) if (!this.rendered.has(key)) this.measured.delete(key);
        this.heightsDirty = true;
      }
      this._fitColumns(width);
    }
    if (this.heightsDirty) {
      this.spacer.style.height = `${win.measure((key) => this._heightOf(key))}px`;
      this.heightsDirty = false;
    }
    const viewport = this.el;
    const headH = this.thead.offsetHeight || ROW_HEIGHT;
    const top = Math.max(0, viewport.scrollTop - headH);
    const [i0, i1] = win.range(top, top + (viewport.clientHeight || 400), OVERSCAN);
    const keep = new Set();
    for (let i = i0; i < i1; i++) {
      const r = store.rows.get(win.keys[i]);
      if (!r) continue;
      keep.add(r.key);
      let entry = this.rendered.get(r.key);
      const wantDetail = state.open.has(r.key);
      if (!entry) {
        const item = h("div", "fxw-item");
        item.dataset.key = r.key;
        const rowEl = this.rowView.build(r);
        item.append(rowEl);
        entry = { item, row: rowEl, detail: null, data: r };
        this.rendered.set(r.key, entry);
        this.spacer.append(item);
        this.resizeObserver?.observe(item);
      } else if (entry.data !== r) {
        this.refresh(entry, r);
      }
      if (wantDetail && !entry.detail) {
        entry.detail = this.detailView.build(r);
        entry.item.append(entry.detail);
        entry.item.classList.add("fxw-item--open");
      } else if (!wantDetail && entry.detail) {
        entry.detail.remove();
        entry.detail = null;
        entry.item.classList.remove("fxw-item--open");
        this.measured.delete(r.key);
      }
      entry.item.style.transform = `translateY(${win.tops[i]}px)`;
    }
    for (const [key, entry] of this.rendered) {
      if (!keep.has(key)) {
        this.resizeObserver?.unobserve(entry.item);
        entry.item.remove();
        this.rendered.delete(key);
      }
    }
    if (this.remeasure) {
      this.remeasure = false;
      let changed = false;
      for (const [key, entry] of this.rendered) {
        const hgt = entry.item.offsetHeight;
        if (hgt && this.measured.get(key) !== hgt) {
          this.measured.set(key, hgt);
          changed = true;
        }
      }
      if (changed) {
        this.heightsDirty = true;
        this.scheduleLayout();
      }
    }
  }

  /**
   * Rebuild a rendered row with new data (a patch); the detail's info part too, keeping its inputs/outputs.
   * @param {Entry} entry @param {Row} r
   */
  refresh(entry, r) {
    // A patch may rebuild the row the user is typing in: keep the focus (the draft value is kept in state).
    const active = document.activeElement;
    const inRow = active instanceof HTMLElement && entry.item.contains(active) ? active : null;
    const focusSel = inRow
      ? inRow.classList.contains("fxw-signal")
        ? ".fxw-signal"
        : inRow.dataset.action
          ? `[data-action="${CSS.escape(inRow.dataset.action)}"]`
          : null
      : null;
    const fresh = this.rowView.build(r);
    entry.row.replaceWith(fresh);
    entry.row = fresh;
    entry.data = r;
    if (entry.detail) {
      const info = /** @type {HTMLElement|null} */ (entry.detail.querySelector(".fxw-detail-info"));
      if (info) this.detailView.fillInfo(info, r);
    }
    if (focusSel) /** @type {HTMLElement|null} */ (entry.item.querySelector(focusSel))?.focus();
  }

  /** Rebuild every rendered row with the data it has (the view state or `can_act` changed). */
  refreshAll() {
    for (const [, e] of this.rendered) this.refresh(e, e.data);
    this.columnsDirty = true;
    this.scheduleLayout();
  }

  /** @param {string} key */
  _refreshKey(key) {
    const entry = this.rendered.get(key);
    if (entry) this.refresh(entry, entry.data);
    this.columnsDirty = true; // an action's note may widen the actions column
    this.scheduleLayout();
  }

  /** @param {Set<string>} set @param {string} key */
  _flip(set, key) {
    if (set.has(key)) set.delete(key);
    else {
      set.add(key);
      // Attempts not listed yet (null): the kernel lists this row's (and its children's) before the others.
      if (this.ctx.store.rows.get(key)?.attempts === null) this.ctx.requests.request("prioritize", key).catch(() => {});
    }
    this._refreshKey(key);
    this.relayout();
  }

  /** Expand or collapse row `key` (its toggle here, or in another view of the rows). @param {string} key */
  toggleExpanded(key) {
    this._flip(this.ctx.state.expanded, key);
  }

  /** Expand every parent, but not the arrays with many subtasks (expandAllKeys). */
  expandAll() {
    for (const key of expandAllKeys(this.ctx.store.rows.values())) this.ctx.state.expanded.add(key);
    this.refreshAll();
    this.relayout();
  }

  collapseAll() {
    this.ctx.state.expanded.clear();
    this.refreshAll();
    this.relayout();
  }

  /**
   * The row "Jump to first failure" goes to: the header's `failed_at` (the node the execution failed at, else the
   * earliest failure, worked out by the kernel: rows.failed_at), once the store has it; else null.
   * @returns {string|null}
   */
  failureKey() {
    const key = this.ctx.model.get("header")?.failed_at?.key;
    return typeof key === "string" && this.ctx.store.rows.has(key) ? key : null;
  }

  /** The header changed: show or hide "Jump to first failure" if its target came or went. */
  headerChanged() {
    if ((this.failureKey() !== null) !== this.hasFailure) this.relayout();
  }

  /**
   * Clear the filters, expand down to the node the execution failed at, open its detail and scroll to it; false if
   * there is no failure.
   */
  revealFirstFailure() {
    const key = this.failureKey();
    return key !== null && this.reveal(key);
  }

  /**
   * Clear the filters, expand down to row `key`, open its detail and scroll to it; false if there is no such row.
   * @param {string} key
   */
  reveal(key) {
    const { state, store } = this.ctx;
    const leaf = store.rows.get(key);
    if (!leaf) return false;
    state.phaseFilter = null;
    state.text = "";
    for (const k of store.ancestors(leaf.key)) {
      state.expanded.add(k);
      state.attempts.delete(k); // a retried parent shows its latest attempt again (the failure, a graph's node)
    }
    state.open.add(leaf.key);
    this.refreshAll();
    this.relayout();
    const top = this.window.topOf(leaf.key);
    if (top !== null) {
      this.el.scrollTop = top; // just below the sticky column header
      this.layout();
    }
    return true;
  }

  /**
   * Run a gate action for row `key` and keep its outcome next to the buttons.
   * @param {string} key @param {string} action @param {Record<string, unknown>} [extra]
   */
  _gateAction(key, action, extra) {
    const { state, store, requests } = this.ctx;
    /** @type {Progress} */
    const progress = (stage) => {
      state.status.set(key, { text: stage === "waiting" ? WAITING_TEXT : `${action}…`, error: false });
      this._refreshKey(key);
    };
    requests
      .request(action, key, extra, progress)
      .then(
        (res) => {
          state.status.set(key, { text: res?.message || "done", error: false });
          state.drafts.delete(key);
        },
        (err) => {
          state.status.set(key, { text: err?.message ?? String(err), error: true });
          console.warn(`flyteexec-widget: ${action} of ${key} failed`, err);
        },
      )
      .finally(() => {
        const e = this.rendered.get(key);
        if (e) this.refresh(e, store.rows.get(key) ?? e.data);
      });
  }

  /** @param {MouseEvent} ev */
  _onClick(ev) {
    const { state, store } = this.ctx;
    const target = /** @type {HTMLElement} */ (ev.target);
    // A row, or the gate's controls in a detail (when the actions column gave way): the same actions.
    const rowEl = /** @type {HTMLElement|null} */ (target.closest(".fxw-row, .fxw-detail-gate"));
    if (!rowEl || !this.spacer.contains(rowEl)) return;
    const inDetail = rowEl.classList.contains("fxw-detail-gate");
    const key = rowEl.dataset.key || "";
    const actionEl = /** @type {HTMLElement|null} */ (target.closest("[data-action]"));
    const action = actionEl?.dataset.action;
    if (target.closest("a, input, select")) return; // links and inputs do their own thing
    if (action === "toggle") {
      this._flip(state.expanded, key);
    } else if (action === "approve" || action === "reject") {
      this._gateAction(key, action);
    } else if (action === "signal") {
      const input = /** @type {HTMLInputElement|null} */ (rowEl.querySelector(".fxw-signal"));
      const r = store.rows.get(key);
      const parsed = parseSignalInput(r?.gate?.type || "", input?.value ?? "");
      if (!parsed.ok) {
        state.status.set(key, { text: parsed.error, error: true });
        this._refreshKey(key);
        return;
      }
      this._gateAction(key, "signal", { value: parsed.value });
    } else if (!inDetail) {
      // "details", the error text, or a click anywhere else on the row: open/close its detail
      this._flip(state.open, key);
    }
  }

  /** A signal's draft value survives the row's rebuilds; an attempt switch shows that attempt's children. @param {Event} ev */
  _onInput(ev) {
    const t = /** @type {HTMLInputElement} */ (ev.target);
    if (t.classList.contains("fxw-signal") && t.dataset.key) this.ctx.state.drafts.set(t.dataset.key, t.value);
    if (ev.type === "change" && t.classList.contains("fxw-attempt") && t.dataset.key) {
      this.ctx.state.attempts.set(t.dataset.key, Number(t.value));
      this.relayout();
    }
  }

  /** @param {KeyboardEvent} ev */
  _onKey(ev) {
    const t = /** @type {HTMLElement} */ (ev.target);
    if (ev.key === "Enter" && t.classList.contains("fxw-signal")) {
      /** @type {HTMLElement|null} */ (t.parentElement?.querySelector('[data-action="signal"]') ?? null)?.click();
    }
  }

  /** The store took a snapshot: show its rows, and the scroll position this model's view had. */
  showSnapshot() {
    const { state, store } = this.ctx;
    for (const [, e] of this.rendered) {
      const r = store.rows.get(e.data.key);
      if (r) this.refresh(e, r);
    }
    this.relayout();
    if (state.scrollTop) {
      this.el.scrollTop = state.scrollTop;
      this.layout();
    }
  }

  /**
   * The store applied a patch: rebuild the rows it changed, and the visible list if it may have changed.
   * @param {{changed: Set<string>, structural: boolean}} applied
   */
  showPatch({ changed, structural }) {
    const { state, store } = this.ctx;
    for (const key of changed) {
      const entry = this.rendered.get(key);
      const r = store.rows.get(key);
      if (entry && r) this.refresh(entry, r);
    }
    // What the rows hold changed (a longer label, new log links...): the columns are sized again at the next paint.
    if (changed.size) {
      this.columnsDirty = true;
      this.scheduleLayout();
    }
    const hasFailure = this.failureKey() !== null;
    if (structural || rowMatcher(state.phaseFilter, state.text) || hasFailure !== this.hasFailure) this.relayout();
  }

  /** Durations and timelines of the running rows (all rows while the execution runs). @param {number} now */
  tick(now) {
    const hd = this.ctx.model.get("header") || {};
    for (const [, e] of this.rendered) {
      if (!e.data.terminal || !hd.terminal) this.rowView.updateTime(e.row, e.data, now);
    }
  }

  /** Stop painting and observing. */
  destroy() {
    this.destroyed = true;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.resizeObserver?.disconnect();
    this.viewportObserver?.disconnect();
  }
}

let viewCounter = 0;

/** @type {ErrorData} */
const OFFLINE = { type: "Offline", message: "the kernel that ran this cell is gone (restarted or shut down)" };

/**
 * anywidget calls this once per widget model, before any view and before the model's messages are handled: from
 * here on the model's rows are collected, whether a view is on screen or not. Returns the cleanup.
 * @param {{model: Model}} args
 */
function initialize({ model }) {
  const { shared, dispose } = connectShared(model);
  // The model's comm went away (the kernel restarted; widget models never come back from that): what the views
  // show is now the last state the kernel sent.
  const onCommLive = () => shared.goOffline();
  model.on("comm_live_update", onCommLive);
  return () => {
    model.off("comm_live_update", onCommLive);
    dispose();
  };
}

/**
 * One view of the model in `el`: builds the parts, routes the traits and the shared rows to them, ticks the
 * clock; returns the cleanup (listeners, timer, observers, pending requests).
 * @param {{model: Model, el: HTMLElement}} args
 */
function render({ model, el }) {
  const viewId = `v${Date.now().toString(36)}${(viewCounter++).toString(36)}`;
  const { shared, dispose } = connectShared(model); // made by initialize, unless the host skipped it
  /** @type {ViewContext} */
  const ctx = {
    model,
    state: shared.state,
    store: shared.store,
    styles: new PhaseStyles(() => model.get("styles")),
    requests: new Requests(viewId, (msg) => model.send(msg)),
    shared,
  };

  // The callbacks between the parts run on user input only, once all of them exist.
  const root = h("div", "fxw fxw-live");
  root.dataset.view = viewId;
  const io = new IoPanel(ctx);
  const counts = new CountsView(ctx, () => tree.relayout());
  const header = new HeaderView(ctx, root, counts, new ConfirmBox(ctx.requests));
  const toolbar = new Toolbar(ctx.state, {
    filter: () => (ctx.state.view === "graph" ? graph.applyFilter() : tree.relayout()),
    firstFailure: () => {
      if (ctx.state.view !== "tree") showView("tree");
      if (!tree.revealFirstFailure()) return;
      toolbar.clearSearch();
      counts.render();
    },
    expandAll: () => (ctx.state.view === "graph" ? graph.expandAll(true) : tree.expandAll()),
    collapseAll: () => (ctx.state.view === "graph" ? graph.expandAll(false) : tree.collapseAll()),
    execIo: () => {
      io.toggleExec();
      toolbar.setExecIo(ctx.state.execIo);
    },
    view: (name) => showView(name),
  });
  const detail = new DetailView(ctx, io);
  const tree = new TreeView(ctx, new RowView(ctx), detail, (items) => {
    toolbar.showItems(items);
    timeline.itemsChanged();
  });
  // The timeline draws the tree's rows (its expansion, filter, detail) on a time axis.
  const timeline = new TimelineView(ctx, detail, (key) => tree.toggleExpanded(key));
  const failed = (/** @type {string} */ phase) => Boolean(ctx.styles.workflow(phase)?.failed);
  const bell = new NotifyBell(/** @type {any} */ (model), shared, failed);
  header.bell = bell;
  // A click on a graph node opens its row's detail in the tree.
  const graph = new GraphView(ctx, (key) => {
    showView("tree");
    tree.reveal(key);
    counts.render();
    toolbar.clearSearch();
  });
  /** @param {string} name one of VIEWS */
  const showView = (name) => {
    ctx.state.view = name;
    toolbar.setView(name);
    root.dataset.viewShown = name;
    tree.el.hidden = name !== "tree";
    if (name === "graph") graph.show();
    else graph.hide();
    timeline.show(name === "timeline");
    if (name === "tree") tree.relayout();
  };
  root.append(header.el, toolbar.el, io.el, tree.el, graph.el, timeline.el);
  el.append(root);

  // Elapsed times tick in the browser, between syncs.
  const tick = () => {
    // Offline, the clock stops where the kernel's last sync was: nothing after it is known.
    const last = shared.offline ? parseTime(model.get("sync_status")?.last_synced_at) : null;
    const now = last ?? Date.now();
    header.tick(now);
    tree.tick(now);
    timeline.tick(now);
    tickAttempts(root, now); // an open detail's running attempts
  };
  const onHeader = () => {
    bell.headerChanged();
    header.render();
    counts.render();
    tree.headerChanged();
    tick();
  };
  /** @param {any} msg a custom message from the kernel (rows go to the shared store, see SharedModel) */
  const onMessage = (msg) => {
    if (msg?.type === "accepted") ctx.requests.accept(msg);
    else if (msg?.type === "response") ctx.requests.settle(msg);
  };
  const onSync = () => {
    header.renderSync();
    tick();
  };
  const onCanAct = () => {
    header.render();
    header.renderSync();
    tick();
    tree.refreshAll();
  };
  /** @param {SharedChange} change */
  const onShared = (change) => {
    // The header's error line may quote the failed node's own error (failureText): redraw it with that row.
    const failedKey = model.get("header")?.failed_at?.key;
    graph.showChange(change);
    if (change.kind === "snapshot") {
      tree.showSnapshot();
      if (failedKey) header.render();
    } else if (change.kind === "patch") {
      tree.showPatch(change);
      if (failedKey && change.changed.has(failedKey)) header.render();
    } else if (change.kind === "reset") {
      // Another execution is shown now (a relaunch followed): start over, its snapshot comes next.
      toolbar.clearSearch();
      toolbar.setExecIo(false);
      header.relaunch.close();
      header.confirm.el.hidden = true; // a Recover's confirmation: the trail line says where it led
      io.renderExec();
      onHeader();
      tree.el.scrollTop = 0;
      tree.showSnapshot();
      graph.reset();
    } else if (change.kind === "offline") {
      root.classList.add("fxw--offline");
      ctx.requests.close(OFFLINE);
      onCanAct();
    }
  };
  /** @type {[string, (msg?: any) => void][]} */
  const listeners = [
    ["change:header", onHeader],
    ["change:styles", onHeader],
    ["change:counts", () => counts.render()],
    ["change:sync_status", onSync],
    ["change:can_act", onCanAct],
    ["change:trail", () => header.trail.render()],
    ["change:trail_at", () => header.trail.render()],
    ["change:notify", () => bell.render()],
    ["msg:custom", onMessage],
  ];
  for (const [event, fn] of listeners) model.on(event, fn);
  shared.views.add(onShared);
  const timer = setInterval(tick, 1000);

  if (shared.offline) onShared({ kind: "offline" });
  header.render();
  counts.render();
  header.renderSync();
  io.renderExec();
  tick();
  tree.layout();
  if (ctx.state.view !== "tree") showView(ctx.state.view);

  return () => {
    clearInterval(timer);
    for (const [event, fn] of listeners) model.off(event, fn);
    shared.views.delete(onShared);
    dispose();
    tree.destroy();
    timeline.destroy();
    bell.destroy();
    ctx.requests.close();
  };
}

export default { initialize, render };
