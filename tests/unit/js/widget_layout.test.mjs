// Formatting and table-layout helpers of widget.js: times, counts, ids, indentation, column sizing and fitting.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  COLUMNS,
  EXPAND_ALL_MAX_SUBTASKS,
  INVALID_TIME,
  LINE_HEIGHT,
  ROW_HEIGHT,
  ROW_LOG_LINES,
  TimeFormats,
  columnNeeds,
  expandAllKeys,
  finishedAt,
  fitColumns,
  fmtClock,
  fmtCount,
  fmtUtc,
  indentPx,
  logLabel,
  logsMoreText,
  manyAttempts,
  rowHeightGuess,
  rowLogLines,
  rowLogs,
  shortId,
  syncText,
} from "../../../flyteexec_widget/display/static/widget.js";

const EN_UTC = new TimeFormats("en-US", "UTC");
const NOW = Date.parse("2026-11-27T15:00:00Z");

/** @param {Record<string, unknown>} extra */
const row = (extra = {}) => ({
  key: "n0",
  parent: "",
  depth: 0,
  node_id: "n0",
  name: "train",
  kind: "task",
  phase: "SUCCEEDED",
  label: "Succeeded",
  color: "succeeded",
  terminal: true,
  created_at: "2026-11-27T12:00:00Z",
  started_at: "2026-11-27T12:00:02Z",
  duration_s: 10,
  queued_s: 2,
  attempts: 1,
  cache: "",
  logs: [],
  error: null,
  subtasks: null,
  child: null,
  gate: null,
  has_children: false,
  deck: false,
  ...extra,
});

test("clock times: time alone today, with the date another day, with the year another year", () => {
  assert.equal(fmtClock("2026-11-27T12:00:05Z", NOW, EN_UTC), "12:00:05");
  assert.equal(fmtClock("2026-11-26T23:59:59Z", NOW, EN_UTC), "Nov 26, 23:59:59");
  assert.equal(fmtClock("2025-11-27T12:00:05Z", NOW, EN_UTC), "Nov 27, 2025, 12:00:05");
  assert.equal(fmtClock(null, NOW, EN_UTC), "");
  assert.equal(fmtClock("not a time", NOW, EN_UTC), "");
  // "today" is the viewer's day: in Tokyo it is already the 28th, so noon UTC on the 27th was yesterday
  const tokyo = new TimeFormats("en-US", "Asia/Tokyo");
  assert.equal(fmtClock("2026-11-27T12:00:00Z", NOW, tokyo), "Nov 27, 21:00:00");
  assert.equal(fmtClock("2026-11-27T20:00:00Z", NOW, tokyo), "05:00:00");
});

test("UTC on hover, counts with thousands separators", () => {
  assert.equal(fmtUtc("2026-11-27T12:00:05.123Z"), "2026-11-27 12:00:05 UTC");
  assert.equal(fmtUtc(null), "");
  assert.equal(fmtCount(1273, EN_UTC), "1,273");
  assert.equal(fmtCount(10000, EN_UTC), "10,000");
  assert.equal(fmtCount(7, EN_UTC), "7");
});

test("ids are shortened around an ellipsis, names are indented less deep down", () => {
  assert.equal(shortId("n10"), "n10");
  assert.equal(shortId("n1-0-n1-0-n1-0-n0"), "n1-0-…1-0-n0");
  assert.equal(shortId("n1-0-n1-0-n1-0-n0").length, 12);
  assert.deepEqual([0, 1, 4, 5, 8, 30].map(indentPx), [0, 16, 64, 70, 88, 100]);
});

test("the sync line stops ticking once final: it says when the execution finished", () => {
  const hd = { terminal: true, started_at: "2026-11-27T12:00:00Z", duration_s: 65 };
  const end = finishedAt(hd);
  assert.equal(end, Date.parse("2026-11-27T12:01:05Z"));
  const done = { state: "done", last_synced_at: "2026-11-27T12:01:06Z" };
  const text = syncText(done, NOW, end, EN_UTC);
  assert.equal(text, "final (finished 12:01:05)");
  assert.equal(syncText(done, NOW + 29_000, end, EN_UTC), text);
  assert.equal(syncText(done, NOW, null, EN_UTC), "final (finished 12:01:06)"); // no end known: the last sync
  assert.equal(syncText({ state: "done" }, NOW, null, EN_UTC), "final");
  assert.equal(finishedAt({ terminal: false, started_at: "2026-11-27T12:00:00Z", duration_s: 1 }), null);
  assert.equal(syncText({ state: "stopped", last_synced_at: "2026-11-27T14:59:30Z" }, NOW), "not watching (last synced 30s ago)");
});

test("log links: http(s) only, numbered by attempt when there are several attempts", () => {
  const logs = [
    { name: "Kubernetes Logs (User)", uri: "https://l/a", attempt: 0 },
    { name: "Kubernetes Logs (User)", uri: "https://l/b", attempt: 1 },
    { name: "bad", uri: "javascript:alert(1)", attempt: 1 },
  ];
  const r = row({ logs });
  assert.equal(rowLogs(r).length, 2);
  assert.equal(manyAttempts(rowLogs(r)), true);
  assert.equal(logLabel(logs[1], true), "Kubernetes Logs (User) #2");
  assert.equal(logLabel(logs[0], false), "Kubernetes Logs (User)");
  assert.equal(manyAttempts([logs[0]]), false);
});

/** Every character 7px, every font: enough to check the arithmetic. */
const measure = (/** @type {string} */ text) => text.length * 7;
const opts = { measure, nowMs: NOW, canAct: true, notes: new Map(), fmt: EN_UTC };

test("columnNeeds: each column as wide as its widest row, empty columns need nothing", () => {
  const plain = row();
  const busy = row({
    key: "n1",
    name: "preprocess_shard",
    kind: "array",
    label: "Running",
    subtasks: { total: 1300, counts: { SUCCEEDED: 1273, RUNNING: 27 } },
    cache: "populated",
    logs: [
      { name: "Kubernetes Logs (User)", uri: "https://l/a", attempt: 0 },
      { name: "Kubernetes Logs (User)", uri: "https://l/b", attempt: 1 },
    ],
  });
  const need = columnNeeds([plain, busy], opts);
  // badge "Running" (7*7 + 26) + "1,300 of 1,300 shards" (21*7 + its margin 6) + two gaps 8 + chips "×1,273"
  // (6*7+8) and "×27" (3*7+8), + cell padding 8
  assert.equal(need.status, 7 * 7 + 26 + (21 * 7 + 6) + 8 + (6 * 7 + 8) + (3 * 7 + 8) + 8);
  assert.equal(need.statusMin, 9 * 7 + 26 + 8); // the widest badge alone: "Succeeded"
  assert.equal(need.logs, "Kubernetes Logs (User) #2".length * 7 + 8);
  assert.equal(need.cache, "populated".length * 7 + 8);
  assert.equal(need.start, "12:00:02".length * 7 + 8);
  assert.equal(need.attempts, "#".length * 7 + 8); // the heading is wider than "1"
  // name: toggle 20 + "preprocess_shard" + padding 8 (its id and kind tag use what the column has beyond)
  assert.equal(need.name, 20 + 16 * 7 + 8);
  assert.equal(columnNeeds([row({ depth: 8, name: "leaf" })], opts).name, 88 + 20 + 4 * 7 + 8);
  const none = columnNeeds([row({ started_at: null, created_at: null, duration_s: null, attempts: 0 })], opts);
  assert.deepEqual([none.start, none.dur, none.attempts, none.cache, none.logs], [0, 0, 0, 0, 0]);
});

test("columnNeeds: gate controls and an action's outcome widen the actions column", () => {
  const more = 4 * 7 + 14;
  const gate = row({ gate: { kind: "approve", signal_id: "g", type: "bool" } });
  assert.equal(columnNeeds([row()], opts).actions, more + 8);
  assert.equal(columnNeeds([gate], opts).actions, more + 7 * 7 + 6 * 7 + 28 + 8);
  assert.equal(columnNeeds([gate], { ...opts, canAct: false }).actions, more + 8);
  const notes = new Map([["n0", { text: "Approved" }]]);
  assert.equal(columnNeeds([row()], { ...opts, notes }).actions, more + 8 * 7 + 8 + 8);
});

test("columnNeeds: a row's own needs are kept by row object, so a patch measures only the rows it replaced", () => {
  /** @type {string[]} */
  const measured = [];
  const counting = (/** @type {string} */ text) => {
    measured.push(text);
    return text.length * 7;
  };
  const cache = new WeakMap();
  const rows = Array.from({ length: 50 }, (_, i) => row({ key: `n${i}`, name: `task_${i}` }));
  const first = columnNeeds(rows, { ...opts, measure: counting, cache });
  assert.ok(measured.includes("task_7"));
  measured.length = 0;
  const patched = [...rows];
  patched[3] = row({ key: "n3", name: "a_much_longer_task_name", label: "Running" });
  const second = columnNeeds(patched, { ...opts, measure: counting, cache });
  assert.ok(!measured.some((t) => t.startsWith("task_")), measured.join(", "));
  assert.ok(measured.includes("a_much_longer_task_name"));
  assert.ok(second.name > first.name);
});

test("fitColumns: all columns when they fit, the name takes what is left", () => {
  const need = { name: 200, status: 150, statusMin: 100, start: 70, dur: 104, attempts: 20, cache: 70, logs: 180, actions: 50 };
  const wide = fitColumns(need, 1200);
  assert.deepEqual(wide.shown, COLUMNS.map((c) => c.id));
  assert.deepEqual(wide.hidden, []);
  assert.equal(wide.template, "minmax(200px, 1fr) 150px 70px 104px 20px 70px 180px 50px");
});

test("fitColumns: columns give way by priority, name and status last, the badge never cut", () => {
  const need = { name: 200, status: 150, statusMin: 100, start: 70, dur: 104, attempts: 20, cache: 70, logs: 180, actions: 50 };
  const order = [];
  let hidden = [];
  for (let width = 844; width >= 100; width -= 4) {
    const fit = fitColumns(need, width);
    for (const id of fit.hidden) if (!hidden.includes(id)) order.push(id);
    hidden = fit.hidden;
    assert.ok(fit.shown.includes("name") && fit.shown.includes("status"), `${width}: ${fit.shown}`);
    const status = Number(fit.template.split(" ").at(fit.shown.indexOf("status") + 1)?.replace("px", ""));
    assert.ok(status >= need.statusMin, `${width}: status ${status}`);
  }
  assert.deepEqual(order, ["attempts", "start", "dur", "cache", "logs", "actions"]);
  // name and status only: the status shrinks to its widest badge (its counts wrap), then the name gives way
  assert.equal(fitColumns(need, 400).template, "minmax(200px, 1fr) 150px 50px");
  assert.equal(fitColumns(need, 396).template, "minmax(200px, 1fr) 150px");
  assert.equal(fitColumns(need, 320).template, "minmax(200px, 1fr) 120px");
  assert.equal(fitColumns(need, 250).template, "minmax(150px, 1fr) 100px");
  assert.equal(fitColumns(need, 150).template, "minmax(50px, 1fr) 100px");
  // an empty column is not shown at any width
  assert.deepEqual(fitColumns({ ...need, cache: 0, logs: 0 }, 2000).hidden, ["cache", "logs"]);
});

test("fitColumns: an array's status wraps its counts under its badge before any column gives way", () => {
  const need = {
    name: 200, status: 300, statusWrap: 120, statusMin: 100, start: 70, dur: 104, attempts: 20, cache: 70, logs: 180, actions: 50,
  };
  const all = 200 + 300 + 70 + 104 + 20 + 70 + 180 + 50;
  assert.deepEqual(fitColumns(need, all).hidden, []);
  // 150 px short: the status takes what is left (at least its wrapped width), every column stays
  const tight = fitColumns(need, all - 150);
  assert.deepEqual(tight.hidden, []);
  assert.equal(tight.template, "minmax(200px, 1fr) 150px 70px 104px 20px 70px 180px 50px");
  assert.deepEqual(fitColumns(need, all - 180).hidden, []); // status at its wrapped 120
  assert.deepEqual(fitColumns(need, all - 181).hidden, ["attempts"]);
  const wrapped = columnNeeds(
    [row({ label: "Running", subtasks: { total: 80, counts: { SUCCEEDED: 46, RUNNING: 31, FAILED: 3 } } })],
    opts,
  );
  // the widest part alone: "80 of 80 shards" (15*7 + its margin 6), + padding 8
  assert.equal(wrapped.statusWrap, 15 * 7 + 6 + 8);
  assert.ok(wrapped.status > wrapped.statusWrap);
});

test("row heights: one line, plus a line per extra log link and one for the error", () => {
  const logs = [0, 1, 2].map((a) => ({ name: "log", uri: `https://l/${a}`, attempt: a }));
  assert.equal(rowHeightGuess(row(), true), ROW_HEIGHT);
  assert.equal(rowHeightGuess(row({ logs }), true), ROW_HEIGHT + 2 * LINE_HEIGHT);
  assert.equal(rowHeightGuess(row({ logs }), false), ROW_HEIGHT);
  assert.equal(rowHeightGuess(row({ error: { message: "boom" } }), true), ROW_HEIGHT + LINE_HEIGHT);
});

test("a row shows six log lines at most: the latest attempts' links, then 'and N more' for the rest", () => {
  const links = (/** @type {number} */ attempt, /** @type {number} */ n) =>
    Array.from({ length: n }, (_, i) => ({ name: `log ${i}`, uri: `https://l/${attempt}/${i}`, attempt }));
  const few = rowLogLines(row({ logs: [...links(0, 2), ...links(1, 2)] }));
  assert.deepEqual([few.links.length, few.more, few.multi], [4, 0, true]);
  const six = rowLogLines(row({ logs: links(0, ROW_LOG_LINES) }));
  assert.deepEqual([six.links.length, six.more], [ROW_LOG_LINES, 0]); // six fit: no "more" line instead of one
  // three attempts of three links: the latest two attempts' links fill five lines, in attempt order
  const many = rowLogLines(row({ logs: [...links(0, 3), ...links(1, 3), ...links(2, 3)] }));
  assert.deepEqual(
    many.links.map((l) => l.uri),
    ["https://l/1/0", "https://l/1/1", "https://l/2/0", "https://l/2/1", "https://l/2/2"],
  );
  assert.equal(many.more, 4);
  // links the kernel left out (rows.py caps) count too
  const capped = rowLogLines(row({ logs: links(0, 50), logs_omitted: 9950 }));
  assert.deepEqual([capped.links.length, capped.more], [ROW_LOG_LINES - 1, 9995]);
  assert.equal(logsMoreText(capped.more, EN_UTC), "and 9,995 more");
  const omittedOnly = rowLogLines(row({ logs: links(0, 1), logs_omitted: 2 }));
  assert.deepEqual([omittedOnly.links.length, omittedOnly.more], [1, 2]);
  // the height guess counts the "more" line
  assert.equal(rowHeightGuess(row({ logs: links(0, 50), logs_omitted: 9950 }), true), ROW_HEIGHT + 5 * LINE_HEIGHT);
});

test("columnNeeds: an attempt switch, 'and N more' and an out-of-range time are room the columns keep", () => {
  const plain = columnNeeds([row()], opts);
  const switched = columnNeeds([row({ attempt_groups: [0, 1] })], opts);
  assert.equal(switched.name - plain.name, "#2".length * 7 + 30);
  const more = columnNeeds([row({ logs: [{ name: "l", uri: "https://l/0", attempt: 0 }], logs_omitted: 10 })], opts);
  assert.equal(more.logs, "and 11 more".length * 7 + 8);
  const bad = columnNeeds([row({ started_at: null, invalid_times: ["started_at", "duration_s"], duration_s: null })], opts);
  assert.equal(bad.start, INVALID_TIME.length * 7 + 8);
  assert.ok(bad.dur >= INVALID_TIME.length * 7 + 58, String(bad.dur));
});

test("Expand all leaves big arrays collapsed", () => {
  const rows = [
    row({ key: "sub", kind: "subworkflow", has_children: true }),
    row({ key: "small", kind: "array", has_children: true, subtasks: { total: 8, counts: {} } }),
    row({ key: "big", kind: "array", has_children: true, subtasks: { total: EXPAND_ALL_MAX_SUBTASKS + 1, counts: {} } }),
    row({ key: "leaf" }),
  ];
  assert.deepEqual(expandAllKeys(rows), ["sub", "small"]);
});
