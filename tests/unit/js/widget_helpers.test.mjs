// Pure helpers of flyteexec_widget/static/widget.js under node's test runner (no DOM needed to import it).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  RowStore,
  cssToken,
  elapsedSeconds,
  errorSummary,
  firstLine,
  firstVisible,
  fmtDuration,
  parseSignalInput,
  safeUrl,
  syncText,
} from "../../../flyteexec_widget/static/widget.js";

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
  assert.equal(s.firstFailedLeaf(failed), null); // "a" itself is not failed: no failed path from the top
  s.apply([{ ...row("a", "", { has_children: true }), phase: "FAILED" }], [], 2);
  assert.equal(s.firstFailedLeaf(failed)?.key, "a/y");
  assert.deepEqual(s.ancestors("a/y"), ["a"]);
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

test("parseSignalInput by gate type", () => {
  assert.deepEqual(parseSignalInput("int", " 7 "), { ok: true, value: 7 });
  assert.equal(parseSignalInput("int", "7.5").ok, false);
  assert.deepEqual(parseSignalInput("float", "2.5"), { ok: true, value: 2.5 });
  assert.deepEqual(parseSignalInput("bool", "false"), { ok: true, value: false });
  assert.deepEqual(parseSignalInput("str", "hi"), { ok: true, value: "hi" });
  assert.deepEqual(parseSignalInput("list[int]", "[1, 2]"), { ok: true, value: [1, 2] });
});

test("errorSummary prefers the exception line of a traceback (as render.error_summary)", () => {
  const tb = 'Traceback (most recent call last):\n  File "x.py", line 3, in f\n    raise ValueError("boom")\nValueError: boom\n';
  assert.equal(errorSummary(tb), "ValueError: boom");
  assert.equal(errorSummary("OOMKilled\nmore"), "OOMKilled");
  assert.equal(errorSummary('Traceback (most recent call last):\n  File "x.py"'), "Traceback (most recent call last):");
  assert.equal(
    errorSummary('failed at Node[n10]. caused by: Traceback (most recent call last):\n  File "x.py"\nValueError: boom'),
    "failed at Node[n10]. caused by: ValueError: boom",
  );
});
