// Pure helpers of flyteexec_widget/display/static/widget.js under node's test runner (no DOM needed to import it).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  NOT_STARTED,
  PhaseStyles,
  RowFeed,
  RowStore,
  SharedModel,
  cssToken,
  elapsedSeconds,
  errorSummary,
  exceptionLine,
  failureText,
  shardsText,
  firstLine,
  firstVisible,
  fmtDuration,
  hasInvalidTime,
  mergeRow,
  ROW_DEFAULTS,
  rowStyle,
  unknownStyle,
  parseSignalInput,
  safeUrl,
  syncText,
} from "../../../flyteexec_widget/display/static/widget.js";

/** @param {string} key @param {string} parent @param {Record<string, unknown>} [extra] */
const row = (key, parent = "", extra = {}) => ({
  key,
  parent,
  depth: parent ? parent.split("/").length : 0,
  name: key,
  node_id: key,
  phase: "RUNNING",
  created_at: null,
  has_children: false,
  ...extra,
});
/** A row as a store holds it: the fields a message leaves out at their defaults, the style derived. */
const held = (key, parent = "", extra = {}) => mergeRow(undefined, row(key, parent, extra));

test("fmtDuration matches render.fmt_duration", () => {
  assert.equal(fmtDuration(null), "");
  assert.equal(fmtDuration(0.44), "0.4s");
  assert.equal(fmtDuration(12.9), "12s");
  assert.equal(fmtDuration(65), "1m 05s");
  assert.equal(fmtDuration(2 * 3600 + 3 * 60 + 9), "2h 03m");
  assert.equal(fmtDuration(3 * 86400 + 4 * 3600), "3d 04h");
  assert.equal(fmtDuration(-5), "0.0s");
});

test("safeUrl keeps http(s) only", () => {
  assert.equal(safeUrl("https://logs.example.com/a?b=1"), "https://logs.example.com/a?b=1");
  assert.equal(safeUrl("javascript:alert(1)"), null);
  assert.equal(safeUrl(" JavaScript:alert(1)"), null);
  assert.equal(safeUrl("data:text/html,<b>x</b>"), null);
  assert.equal(safeUrl("/relative"), null);
  assert.equal(safeUrl(42), null);
});

test("firstLine and cssToken", () => {
  assert.equal(firstLine("a\nb"), "a");
  assert.equal(firstLine("x".repeat(10), 5), "xxxx…");
  assert.equal(cssToken('timed-out"><script>'), "timed-outscript");
  assert.equal(cssToken(""), "undefined");
});

test("elapsed ticks while running and is final when terminal", () => {
  const now = Date.parse("2026-11-27T10:01:05Z");
  assert.equal(elapsedSeconds({ started_at: "2026-11-27T10:00:00Z", terminal: false }, now), 65);
  assert.equal(elapsedSeconds({ started_at: "2026-11-27T10:00:00Z", terminal: true, duration_s: 7 }, now), 7);
  assert.equal(elapsedSeconds({ started_at: null }, now), null);
});

test("syncText", () => {
  const now = Date.parse("2026-11-27T10:00:10Z");
  assert.equal(syncText({ state: "live", last_synced_at: "2026-11-27T10:00:06Z" }, now), "last synced 4.0s ago");
  assert.equal(
    syncText({ state: "reconnecting", attempt: 2, next_retry_at: "2026-11-27T10:00:13Z" }, now),
    "reconnecting (attempt 2, next in 3.0s)",
  );
  const failing = { state: "reconnecting", attempt: 4, server_error: "UNKNOWN: db down\nstack", next_retry_at: null };
  assert.equal(syncText(failing, now), "reconnecting (server error: UNKNOWN: db down; attempt 4)");
  const login = "log in again: run any call in a cell, e.g. remote.fetch_execution(...)";
  assert.equal(syncText({ state: "login", last_error: login, login_url: null }, now), login);
  assert.equal(syncText({ state: "login", last_error: null }, now), "log in again");
});

test("RowStore: collapsed by default, expanded shows children sorted by created_at", () => {
  const s = new RowStore();
  s.reset(
    [
      row("b", "", { created_at: "2026-01-01T00:00:02Z", has_children: true }),
      row("a", "", { created_at: "2026-01-01T00:00:01Z" }),
      row("b/2", "b", { created_at: "2026-01-01T00:00:09Z" }),
      row("b/1", "b", { created_at: "2026-01-01T00:00:05Z" }),
    ],
    3,
  );
  assert.deepEqual(
    s.visible(new Set(), null).map((r) => r.key),
    ["a", "b"],
  );
  assert.deepEqual(
    s.visible(new Set(["b"]), null).map((r) => r.key),
    ["a", "b", "b/1", "b/2"],
  );
});

test("RowStore: patches report changed keys and structure", () => {
  const s = new RowStore();
  s.reset([row("a"), row("b")], 1);
  let res = s.apply([{ ...row("a"), phase: "SUCCEEDED" }], [], 2);
  assert.deepEqual([...res.changed], ["a"]);
  assert.equal(res.structural, false);
  res = s.apply([row("c")], ["b"], 3);
  assert.equal(res.structural, true);
  assert.deepEqual(
    s.visible(new Set(), null).map((r) => r.key),
    ["a", "c"],
  );
  assert.equal(s.version, 3);
});

test("RowStore: a filter shows matches with their ancestors, whatever is expanded", () => {
  const s = new RowStore();
  s.reset([row("a", "", { has_children: true }), row("a/x", "a"), row("a/y", "a", { phase: "FAILED" }), row("b")], 1);
  const failed = (/** @type {any} */ r) => r.phase === "FAILED";
  assert.deepEqual(
    s.visible(new Set(), failed).map((r) => r.key),
    ["a", "a/y"],
  );
  assert.deepEqual(s.ancestors("a/y"), ["a"]);
});

test("RowStore: a retried parent shows its latest attempt's children, another attempt on request", () => {
  const s = new RowStore();
  const attempt = (/** @type {string} */ key, /** @type {number} */ g, extra = {}) =>
    row(key, "n1", { retry_group: g, superseded: g < 1, ...extra });
  s.reset(
    [
      row("n1", "", { has_children: true, attempt_groups: [0, 1] }),
      attempt("n1/n1-0-dn0", 0, { phase: "TIMED_OUT", has_children: true }),
      row("n1/n1-0-dn0/x", "n1/n1-0-dn0", { retry_group: 0, superseded: true, phase: "TIMED_OUT" }),
      attempt("n1/n1-1-dn0", 1),
      row("n2", "", { retry_group: null }),
    ],
    1,
  );
  const all = new Set(["n1", "n1/n1-0-dn0"]);
  const keys = (/** @type {any[]} */ rows) => rows.map((r) => r.key);
  assert.deepEqual(keys(s.visible(all, null)), ["n1", "n1/n1-1-dn0", "n2"]);
  assert.deepEqual(keys(s.visible(all, null, new Map([["n1", 0]]))), ["n1", "n1/n1-0-dn0", "n1/n1-0-dn0/x", "n2"]);
  // a filter finds nothing in the attempt not shown (the failure "Jump to first failure" goes to is the kernel's
  // header.failed_at, which leaves superseded rows out: test_rows.py)
  const timedOut = (/** @type {any} */ r) => r.phase === "TIMED_OUT";
  assert.deepEqual(keys(s.visible(new Set(), timedOut)), []);
  assert.deepEqual(keys(s.visible(new Set(), timedOut, new Map([["n1", 0]]))), ["n1", "n1/n1-0-dn0", "n1/n1-0-dn0/x"]);
});

test("RowStore: 10,000 rows flatten quickly", () => {
  const s = new RowStore();
  const rows = [];
  for (let i = 0; i < 100; i++) {
    rows.push(row(`p${i}`, "", { has_children: true }));
    for (let j = 0; j < 99; j++) rows.push(row(`p${i}/c${j}`, `p${i}`));
  }
  s.reset(rows, 1);
  assert.equal(s.visible(new Set(), null).length, 100);
  const all = new Set(rows.filter((r) => r.has_children).map((r) => r.key));
  assert.equal(s.visible(all, null).length, 10000);
});

test("firstVisible binary search", () => {
  const heights = [28, 28, 200, 28];
  const tops = [0, 28, 56, 256];
  assert.equal(firstVisible(tops, heights, 0), 0);
  assert.equal(firstVisible(tops, heights, 30), 1);
  assert.equal(firstVisible(tops, heights, 100), 2);
  assert.equal(firstVisible(tops, heights, 260), 3);
});

test("parseSignalInput by gate type (the kernel's describe_type names)", () => {
  assert.deepEqual(parseSignalInput("int", " 7 "), { ok: true, value: 7 });
  assert.equal(parseSignalInput("int", "7.5").ok, false);
  // past 2**53 the digits go as text (a JS number would round them); the kernel reads them as an int64
  assert.deepEqual(parseSignalInput("int", "9007199254740993"), { ok: true, value: "9007199254740993" });
  assert.deepEqual(parseSignalInput("int", "+9007199254740993"), { ok: true, value: "9007199254740993" });
  assert.deepEqual(parseSignalInput("float", "2.5"), { ok: true, value: 2.5 });
  assert.equal(parseSignalInput("float", "").ok, false);
  assert.deepEqual(parseSignalInput("bool", "false"), { ok: true, value: false });
  assert.deepEqual(parseSignalInput("str", " hi "), { ok: true, value: "hi" });
  assert.deepEqual(parseSignalInput("str", "[1]"), { ok: true, value: "[1]" }); // a str is never JSON-parsed
  assert.deepEqual(parseSignalInput("datetime", "2026-01-02T03:04:05Z"), { ok: true, value: "2026-01-02T03:04:05Z" });
  assert.deepEqual(parseSignalInput("timedelta", "90"), { ok: true, value: 90 });
  assert.deepEqual(parseSignalInput("timedelta", "1h"), { ok: false, error: "enter a number of seconds" });
  assert.deepEqual(parseSignalInput("none", ""), { ok: true, value: null });
  assert.deepEqual(parseSignalInput("enum{red, 2}", "2"), { ok: true, value: "2" }); // enum values are strings
  assert.deepEqual(parseSignalInput("list[int]", "[1, 2]"), { ok: true, value: [1, 2] });
  assert.equal(parseSignalInput("list[int]", "1, 2").ok, false);
  assert.deepEqual(parseSignalInput("dict[str, float]", '{"a": 1.5}'), { ok: true, value: { a: 1.5 } });
  // a struct gate's input is JSON text, and must be an object
  assert.deepEqual(parseSignalInput("struct", '{"a": 1, "b": [1, 2]}'), { ok: true, value: { a: 1, b: [1, 2] } });
  assert.deepEqual(parseSignalInput("dataclass", '{"x": null}'), { ok: true, value: { x: null } });
  for (const bad of ["[1, 2]", "null", "a: 1", ""]) {
    assert.deepEqual(parseSignalInput("struct", bad), { ok: false, error: 'enter a JSON object, e.g. {"a": 1}' });
  }
  // unions: JSON when the text is JSON, else the text
  assert.deepEqual(parseSignalInput("union[int, str]", "7"), { ok: true, value: 7 });
  assert.deepEqual(parseSignalInput("union[int, str]", "seven"), { ok: true, value: "seven" });
  assert.deepEqual(parseSignalInput("union[struct, none]", '{"a": 1}'), { ok: true, value: { a: 1 } });
  // the names the kernel never sends are not special: "integer" is not an int type
  assert.deepEqual(parseSignalInput("integer", "7.5"), { ok: true, value: 7.5 });
  assert.deepEqual(parseSignalInput("boolean", "yes"), { ok: true, value: "yes" });
});

test("exceptionLine: the last 'SomeError: message' line of a traceback, else the first line (as render)", () => {
  const tb = 'Traceback (most recent call last):\n  File "x.py", line 3, in f\n    raise ValueError("boom")\nValueError: boom\n';
  assert.equal(exceptionLine(tb), "ValueError: boom");
  assert.equal(errorSummary(tb), "ValueError: boom");
  assert.equal(exceptionLine("OOMKilled\nmore"), "OOMKilled");
  assert.equal(exceptionLine('Traceback (most recent call last):\n  File "x.py"'), "Traceback (most recent call last):");
  // Chained exceptions: the one finally raised, not the first one.
  const chained = `${tb}\nDuring handling of the above exception, another exception occurred:\n\n${tb.replace("ValueError: boom", "KeyError: 'price'")}`;
  assert.equal(exceptionLine(chained), "KeyError: 'price'");
  // flytekit's format: the traceback and the message indented, code lines that look like "name: type" ignored.
  const flytekit =
    "Trace:\n\n    Traceback (most recent call last):\n      File \"a.py\", line 1\n        total: int = f()\n" +
    "    requests.exceptions.ConnectionError: refused\n\nMessage:\n\n    requests.exceptions.ConnectionError: refused";
  assert.equal(exceptionLine(flytekit), "requests.exceptions.ConnectionError: refused");
  assert.equal(exceptionLine("Traceback (most recent call last):\n  File \"x\"\nKeyboardInterrupt"), "KeyboardInterrupt");
  assert.equal(errorSummary("x".repeat(300), 10), "xxxxxxxxx…");
});

test("failureText names the node the execution failed at, without repeating the error kind", () => {
  const message =
    "failed at Node[n10]. USER: USER:ValueError, caused by: Traceback (most recent call last):\n" +
    '  File "/root/x.py", line 3, in f\n    raise ValueError(x)\n' +
    "ValueError: column 'price' has 1273 non-numeric values";
  const hd = { error: { kind: "USER", code: "USER:ValueError", message }, failed_at: { key: "n10", name: "explode", node_id: "n10" } };
  assert.equal(failureText(hd), "Failed at explode (n10): ValueError: column 'price' has 1273 non-numeric values");
  // one line of propeller's, no traceback: its lead-in goes, the kind is not repeated
  const oneLine = "failed at Node[n1]. USER: USER:KeyError, caused by: KeyError: 'customer_id' not found";
  assert.equal(
    failureText({ error: { code: "USER:KeyError", message: oneLine }, failed_at: { key: "n1", name: "n1", node_id: "n1" } }),
    "Failed at n1: KeyError: 'customer_id' not found",
  );
  // It named a rejected gate, but failed_at is the task that failed: that task's own exception line.
  const gate = "failed at Node[n6]. USER: USER:ReceivedRejectSignal, caused by: received reject signal for gate node [n6]";
  const rowOf = (/** @type {string} */ key) => (key === "n10" ? { error: { message } } : undefined);
  const at = { key: "n10", name: "explode", node_id: "n10" };
  assert.equal(
    failureText({ error: { code: "USER:ReceivedRejectSignal", message: gate }, failed_at: at }, /** @type {any} */ (rowOf)),
    "Failed at explode (n10): ValueError: column 'price' has 1273 non-numeric values",
  );
  assert.equal(failureText({ error: { kind: "ABORTED", message: "by a user" } }), "Aborted: by a user");
  assert.equal(failureText({ error: { code: "E", message: "OOMKilled" } }), "OOMKilled");
  assert.equal(failureText({ error: null }), "");
});

test("shardsText counts an array's subtasks in a terminal task phase", () => {
  const styles = new PhaseStyles(() => ({
    task: { SUCCEEDED: { terminal: true }, FAILED: { terminal: true }, RUNNING: { terminal: false } },
  }));
  assert.equal(shardsText({ total: 8, counts: { SUCCEEDED: 8 } }, styles), "8 of 8 shards");
  assert.equal(shardsText({ total: 10, counts: { SUCCEEDED: 5, FAILED: 1, RUNNING: 4 } }, styles), "6 of 10 shards");
  assert.equal(NOT_STARTED, "NOT_STARTED");
});

test("mergeRow: a delta changes only its fields, null clears one, a row not held comes whole", () => {
  const old = held("a", "", { logs: [{ name: "l", uri: "https://x/y" }], error: { message: "boom" } });
  const merged = mergeRow(old, { key: "a", phase: "SUCCEEDED", error: null });
  assert.deepEqual(merged, { ...old, phase: "SUCCEEDED", error: null, label: "SUCCEEDED" }); // no styles: named as sent
  assert.equal(merged.logs, old.logs); // untouched fields are the held ones
  assert.equal(old.phase, "RUNNING"); // the held row is not mutated (a rendered entry may still show it)
  const whole = { ...held("b"), label: "Mine", color: "mine", terminal: true };
  assert.deepEqual(mergeRow(undefined, whole), whole); // a whole row with every field is taken as it is
});

/** The kernel's phase table as the `styles` trait carries it (only what these tests read). */
const STYLES = {
  node: {
    RUNNING: { label: "Running", color: "running", terminal: false, succeeded: false, failed: false },
    SUCCEEDED: { label: "Succeeded", color: "succeeded", terminal: true, succeeded: true, failed: false },
    NOT_STARTED: { label: "Not started", color: "not-started", terminal: false, succeeded: false, failed: false },
  },
  task: { RUNNING: { label: "Running", color: "running", terminal: false, succeeded: false, failed: false } },
  gate: { RUNNING: { label: "Paused", color: "paused", terminal: false, succeeded: false, failed: false } },
};

test("mergeRow: fields a row leaves out are their defaults, its label, colour and end derived from its phase", () => {
  const r = mergeRow(undefined, { key: "n1", node_id: "n1", phase: "SUCCEEDED" }, STYLES);
  assert.deepEqual(r, { ...ROW_DEFAULTS, key: "n1", node_id: "n1", phase: "SUCCEEDED", label: "Succeeded",
    color: "succeeded", terminal: true });
  // A delta that moves the phase moves the derived fields with it; one that names them keeps what it says.
  const running = mergeRow(r, { key: "n1", phase: "RUNNING" }, STYLES);
  assert.deepEqual([running.label, running.color, running.terminal], ["Running", "running", false]);
  const odd = mergeRow(r, { key: "n1", label: "Odd", color: "odd", terminal: false }, STYLES);
  assert.deepEqual([odd.label, odd.color, odd.terminal], ["Odd", "odd", false]);
  // A gate that runs is paused; a subtask reads the task phases; a phase the table lacks is labelled with itself.
  assert.equal(mergeRow(undefined, { key: "g", kind: "gate", phase: "RUNNING" }, STYLES).label, "Paused");
  assert.equal(rowStyle("subtask", "RUNNING", STYLES).label, "Running");
  assert.deepEqual(rowStyle("task", "unknown (42)", STYLES), unknownStyle("unknown (42)"));
  assert.equal(rowStyle("task", "NOT_STARTED", STYLES).label, "Not started");
  // A store derives from the styles it is given.
  const s = new RowStore(() => STYLES);
  s.reset([{ key: "a", phase: "RUNNING" }], 1);
  s.apply([{ key: "a", phase: "SUCCEEDED", duration_s: 2 }], [], 2);
  assert.deepEqual([s.rows.get("a")?.label, s.rows.get("a")?.terminal, s.rows.get("a")?.logs], ["Succeeded", true, []]);
});

test("RowStore.apply merges deltas and still sees structural changes", () => {
  const s = new RowStore();
  s.reset([row("a", "", { logs: [{ name: "l", uri: "https://x/y" }] }), row("b")], 1);
  let res = s.apply([{ key: "a", phase: "SUCCEEDED" }], [], 2);
  assert.equal(res.structural, false);
  assert.deepEqual(s.rows.get("a")?.logs, [{ name: "l", uri: "https://x/y" }]);
  assert.equal(s.rows.get("a")?.phase, "SUCCEEDED");
  res = s.apply([{ key: "b", parent: "a" }], [], 3);
  assert.equal(res.structural, true);
  assert.equal(s.rows.get("b")?.name, "b");
});

/** A feed over a fresh store, recording the snapshots it asks for. */
const feedOf = () => {
  const store = new RowStore();
  const asked = [];
  const feed = new RowFeed(store, () => asked.push("snapshot"));
  return { store, feed, asked };
};

test("RowFeed: patches before the snapshot are held, older ones dropped, later deltas applied in order", () => {
  const { store, feed, asked } = feedOf();
  assert.equal(feed.patch({ version: 3, rows: [{ key: "a", attempts: 2 }] }), null); // no snapshot yet: held
  assert.equal(feed.patch({ version: 2, rows: [{ key: "a", phase: "QUEUED" }] }), null);
  assert.equal(feed.snapshot({ version: 2, rows: [row("a", "", { attempts: 1 })] }), true);
  assert.equal(store.version, 3);
  assert.equal(store.rows.get("a")?.phase, "RUNNING"); // version 2 is in the snapshot: its patch was dropped
  assert.equal(store.rows.get("a")?.attempts, 2);
  const res = feed.patch({ version: 4, rows: [{ key: "a", phase: "SUCCEEDED" }] });
  assert.deepEqual([...(res?.changed ?? [])], ["a"]);
  assert.deepEqual(store.rows.get("a"), held("a", "", { attempts: 2, phase: "SUCCEEDED" }));
  assert.equal(feed.patch({ version: 4, rows: [{ key: "a", phase: "FAILED" }] }), null); // a repeat: dropped
  assert.deepEqual(asked, []);
});

test("RowFeed: a pushed snapshot newer than the rows held replaces them; deltas after it apply to it", () => {
  const { store, feed } = feedOf();
  assert.equal(feed.snapshot({ version: 0, rows: [] }), true); // displayed before the first sync: no rows yet
  feed.snapshot({ version: 5, rows: [row("a"), row("b")] }); // pushed again by a second display
  feed.patch({ version: 6, rows: [{ key: "a", phase: "SUCCEEDED" }] });
  assert.equal(feed.snapshot({ version: 6, rows: [row("x")] }), false); // not newer: the rows held are as good
  assert.equal(feed.snapshot({ version: 8, rows: [row("a", "", { phase: "FAILED" }), row("b")] }), true);
  feed.patch({ version: 9, rows: [{ key: "b", cache: "hit" }], removed: ["a"] });
  assert.deepEqual([...store.rows.values()], [held("b", "", { cache: "hit" })]);
  assert.equal(store.version, 9);
});

test("RowFeed: a snapshot older than the rows held is ignored", () => {
  const { store, feed } = feedOf();
  feed.snapshot({ version: 5, rows: [row("a")] });
  feed.patch({ version: 6, rows: [{ key: "a", phase: "SUCCEEDED" }] });
  assert.equal(feed.snapshot({ version: 4, rows: [row("a")] }), false);
  assert.equal(store.rows.get("a")?.phase, "SUCCEEDED");
});

test("RowFeed: a missed patch makes the feed ask for a snapshot and hold patches until it arrives", () => {
  const { store, feed, asked } = feedOf();
  feed.snapshot({ version: 5, rows: [row("a"), row("b")] });
  assert.equal(feed.patch({ version: 7, rows: [{ key: "a", phase: "SUCCEEDED" }] }), null); // 6 never came
  assert.equal(feed.patch({ version: 8, rows: [{ key: "b", attempts: 3 }] }), null); // held, asked once only
  assert.deepEqual(asked, ["snapshot"]);
  assert.equal(store.rows.get("a")?.phase, "RUNNING");
  feed.snapshot({ version: 7, rows: [row("a", "", { phase: "SUCCEEDED", error: "x" }), row("b")] });
  assert.equal(store.version, 8);
  assert.deepEqual(store.rows.get("b"), held("b", "", { attempts: 3 }));
  assert.equal(store.rows.get("a")?.error, "x");
  // A gap among the held patches after the first snapshot asks again.
  const other = feedOf();
  other.feed.patch({ version: 7, rows: [{ key: "a", deck: true }] });
  other.feed.snapshot({ version: 5, rows: [row("a")] });
  assert.deepEqual(other.asked, ["snapshot"]);
  assert.equal(other.store.rows.get("a")?.deck, false);
});

test("SharedModel: one store per model, filled before any view, and every view told what changed", () => {
  const sent = [];
  const shared = new SharedModel({ send: (msg) => sent.push(msg) });
  // Rows pushed while no view exists yet (the kernel sends them when the widget is displayed) are kept.
  assert.equal(shared.take({ type: "snapshot", version: 1, rows: [row("a")] }), true);
  const seen = [[], []];
  shared.views.add((c) => seen[0].push(c.kind));
  shared.views.add((c) => seen[1].push(c.kind));
  shared.take({ type: "patch", version: 2, rows: [{ key: "a", phase: "SUCCEEDED" }], removed: [] });
  assert.equal(shared.take({ type: "response", id: "x" }), false); // not rows: the views' business
  assert.deepEqual(seen, [["patch"], ["patch"]]);
  assert.equal(shared.store.rows.get("a")?.phase, "SUCCEEDED");
  shared.take({ type: "patch", version: 4, rows: [], removed: [] }); // 3 was lost
  assert.deepEqual(sent, [{ type: "snapshot" }]);
  shared.goOffline();
  shared.goOffline();
  assert.deepEqual(seen[0], ["patch", "offline"]);
  assert.equal(shared.offline, true);
});

test("hasInvalidTime reads the kernel's invalid_times of a row or the header", () => {
  assert.equal(hasInvalidTime({ invalid_times: ["started_at"] }, "started_at", "created_at"), true);
  assert.equal(hasInvalidTime({ invalid_times: ["duration_s"] }, "started_at"), false);
  assert.equal(hasInvalidTime({}, "started_at"), false); // a row from before the field existed
  assert.equal(hasInvalidTime(null, "started_at"), false);
});
