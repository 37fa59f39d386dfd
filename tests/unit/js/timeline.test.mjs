// The pure parts of flyteexec_widget/display/static/timeline.js under node's test runner: the time scale and its
// ticks, a row's segments (queued, running, each attempt, live), sorting under parents, zoom math, the axis range
// and the attempts a row tells before the kernel answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  TV_MIN_SPAN_MS,
  TimeScale,
  attemptsFromRow,
  rowExtent,
  rowSegments,
  segBox,
  sortRows,
  tickAttempts,
  timeDomain,
  zoomRange,
} from "../../../flyteexec_widget/display/static/timeline.js";

const T0 = Date.parse("2026-11-27T10:00:00.000Z");
const at = (/** @type {number} */ s) => new Date(T0 + s * 1000).toISOString();
const STYLES = {
  FAILED: { label: "Failed", color: "failed" },
  SUCCEEDED: { label: "Succeeded", color: "succeeded" },
  RUNNING: { label: "Running", color: "running" },
};
const taskStyle = (/** @type {string} */ p) => STYLES[/** @type {keyof typeof STYLES} */ (p)];

/** @param {string} key @param {Record<string, unknown>} [extra] */
const row = (key, extra = {}) => ({
  key,
  parent: "",
  depth: 0,
  node_id: key,
  name: key,
  kind: "task",
  phase: "SUCCEEDED",
  label: "Succeeded",
  color: "succeeded",
  terminal: true,
  created_at: null,
  started_at: null,
  duration_s: null,
  queued_s: null,
  invalid_times: [],
  attempts: 1,
  attempt_spans: [],
  cache: "",
  logs: [],
  logs_omitted: 0,
  error: null,
  subtasks: null,
  child: null,
  gate: null,
  has_children: false,
  deck: false,
  retry_group: null,
  attempt_groups: [],
  superseded: false,
  ...extra,
});

test("TimeScale maps times to x and back, and its ticks are round and fit the width", () => {
  const s = new TimeScale(T0, T0 + 60_000, 600);
  assert.equal(s.x(T0), 0);
  assert.equal(s.x(T0 + 30_000), 300);
  assert.equal(s.t(150), T0 + 15_000);
  const { step, ticks } = s.ticks(90); // 600 px fit 6 labels 90 px apart: 60 s in steps of 10 s
  assert.equal(step, 10_000);
  assert.deepEqual(ticks, [0, 10, 20, 30, 40, 50, 60].map((x) => T0 + x * 1000));
  const long = new TimeScale(T0, T0 + 5 * 3600_000, 1000).ticks(90); // 5 h in 1,000 px: 30 min steps
  assert.equal(long.step, 1800_000);
  assert.ok(long.ticks.every((t) => t % long.step === 0));
  const wide = new TimeScale(T0, T0 + 40 * 86400_000, 300).ticks(90); // beyond the table: whole days
  assert.equal(wide.step % 86400_000, 0);
  assert.ok(wide.ticks.length <= 3 + 1);
});

test("segments: queued then running, in the row's colour; a running bar ends at now and grows", () => {
  const done = row("n0", { created_at: at(0), started_at: at(2), duration_s: 5 });
  assert.deepEqual(
    rowSegments(done, T0 + 100_000, taskStyle).map((s) => [s.seg, s.start - T0, s.end - T0, s.color, s.live]),
    [
      ["queued", 0, 2000, "queued", false],
      ["run", 2000, 7000, "succeeded", false],
    ],
  );
  const running = row("n1", { phase: "RUNNING", color: "running", terminal: false, created_at: at(0), started_at: at(1) });
  const a = rowSegments(running, T0 + 10_000, taskStyle).at(-1);
  const b = rowSegments(running, T0 + 20_000, taskStyle).at(-1);
  assert.equal(a?.end, T0 + 10_000);
  assert.equal(b?.end, T0 + 20_000);
  assert.equal(b?.live, true);
  // still queued: one live queued segment, no running one
  const queued = row("n2", { phase: "QUEUED", terminal: false, created_at: at(3) });
  assert.deepEqual(
    rowSegments(queued, T0 + 9000, taskStyle).map((s) => [s.seg, s.start - T0, s.end - T0, s.live]),
    [["queued", 3000, 9000, true]],
  );
  // not started, or no time at all: nothing to draw
  assert.deepEqual(rowSegments(row("n3", { phase: "NOT_STARTED", terminal: false }), T0, taskStyle), []);
  assert.deepEqual(rowSegments(row("n4"), T0, taskStyle), []);
});

test("segments: each attempt of a retried node in its own phase colour over the node's whole run", () => {
  const spans = [
    { phase: "FAILED", started_at: at(1), duration_s: 3 },
    { phase: "FAILED", started_at: at(5), duration_s: 3 },
    { phase: "SUCCEEDED", started_at: at(9), duration_s: 3 },
  ];
  const r = row("n0", { created_at: at(0), started_at: at(1), duration_s: 11, attempts: 3, attempt_spans: spans });
  const segs = rowSegments(r, T0 + 60_000, taskStyle);
  assert.deepEqual(
    segs.map((s) => [s.seg, s.attempt, s.color, s.start - T0, s.end - T0]),
    [
      ["queued", null, "queued", 0, 1000],
      ["span", null, "succeeded", 1000, 12000],
      ["attempt", 0, "failed", 1000, 4000],
      ["attempt", 1, "failed", 5000, 8000],
      ["attempt", 2, "succeeded", 9000, 12000],
    ],
  );
  // the latest attempt still runs: it grows to now; an unknown phase gets the neutral colour
  const live = row("n1", {
    phase: "RUNNING",
    terminal: false,
    started_at: at(0),
    attempt_spans: [
      { phase: "unknown (42)", started_at: at(0), duration_s: 2 },
      { phase: "RUNNING", started_at: at(4), duration_s: null },
    ],
  });
  const last = rowSegments(live, T0 + 30_000, taskStyle);
  assert.deepEqual(
    last.filter((s) => s.seg === "attempt").map((s) => [s.color, s.end - T0, s.live]),
    [
      ["undefined", 2000, false],
      ["running", 30000, true],
    ],
  );
});

test("sorting keeps children under their parent and orders each level by start, duration or name", () => {
  const rows = [
    row("b", { name: "beta", created_at: at(5), duration_s: 1, started_at: at(5) }),
    row("b/x", { parent: "b", depth: 1, name: "x", created_at: at(9), started_at: at(9), duration_s: 1 }),
    row("b/y", { parent: "b", depth: 1, name: "y", created_at: at(6), started_at: at(6), duration_s: 30 }),
    row("a", { name: "alpha", created_at: at(1), started_at: at(1), duration_s: 2 }),
    row("c", { name: "gamma" }), // no time: last by start and duration
  ];
  const keys = (/** @type {string} */ by) => sortRows(rows, by, T0).map((r) => r.key);
  assert.deepEqual(keys("start"), ["a", "b", "b/y", "b/x", "c"]);
  assert.deepEqual(keys("duration"), ["a", "b", "b/y", "b/x", "c"]); // a 2 s, b 1 s; y 30 s, x 1 s
  assert.deepEqual(keys("name"), ["a", "b", "b/x", "b/y", "c"]);
  // a running row's duration is counted to now
  const running = row("r", { phase: "RUNNING", terminal: false, created_at: at(0), started_at: at(0) });
  assert.deepEqual(
    sortRows([rows[3], running], "duration", T0 + 60_000).map((r) => r.key),
    ["r", "a"],
  );
});

test("zoom: a drag selects the range under it (either direction), a click does not zoom, and not below 1 s", () => {
  const s = new TimeScale(T0, T0 + 100_000, 1000);
  assert.deepEqual(zoomRange(s, 200, 500), [T0 + 20_000, T0 + 50_000]);
  assert.deepEqual(zoomRange(s, 500, 200), [T0 + 20_000, T0 + 50_000]);
  assert.equal(zoomRange(s, 300, 302), null);
  assert.deepEqual(zoomRange(s, -50, 2000), [T0, T0 + 100_000]); // past the ends: clamped
  const tiny = /** @type {[number, number]} */ (zoomRange(new TimeScale(T0, T0 + 2000, 1000), 100, 110));
  assert.equal(tiny[1] - tiny[0], TV_MIN_SPAN_MS);
});

test("the axis runs from the earliest start to the latest end (now while running), with room on the right", () => {
  const ext = [
    [T0 + 5000, T0 + 10_000],
    [T0, T0 + 50_000],
  ];
  const [a, b] = timeDomain(ext, {}, T0);
  assert.equal(a, T0);
  assert.ok(b >= T0 + 50_000 && b <= T0 + 52_000);
  const [, live] = timeDomain(ext, { created_at: at(0), started_at: at(0), terminal: false }, T0 + 90_000);
  assert.ok(live >= T0 + 90_000);
  assert.deepEqual(timeDomain([], {}, T0), [T0 - 60_000, T0]);
  assert.deepEqual(rowExtent(row("n", { created_at: at(0), started_at: at(2), duration_s: 3 }), T0), [T0, T0 + 5000]);
});

test("attempts a row tells before the kernel answers: its spans, else its own one attempt, the error on the last", () => {
  const spans = [
    { phase: "FAILED", started_at: at(1), duration_s: 3 },
    { phase: "SUCCEEDED", started_at: at(5), duration_s: 3 },
  ];
  const logs = [
    { name: "l0", uri: "https://l/0", attempt: 0 },
    { name: "l1", uri: "https://l/1", attempt: 1 },
  ];
  const items = attemptsFromRow(row("n0", { attempts: 2, attempt_spans: spans, logs }), taskStyle);
  assert.deepEqual(
    items.map((a) => [a.attempt, a.label, a.logs.map((l) => l.name)]),
    [
      [0, "Failed", ["l0"]],
      [1, "Succeeded", ["l1"]],
    ],
  );
  const err = { kind: "USER", code: "USER:ValueError", message: "ValueError: boom" };
  const one = attemptsFromRow(
    row("n1", { phase: "FAILED", label: "Failed", color: "failed", attempts: 1, error: err, started_at: at(0), duration_s: 4 }),
    taskStyle,
  );
  assert.deepEqual(
    one.map((a) => [a.attempt, a.label, a.duration_s, a.error?.message]),
    [[0, "Failed", 4, "ValueError: boom"]],
  );
  assert.deepEqual(attemptsFromRow(row("n2", { attempts: 0 }), taskStyle), []);
});

test("a running attempt's time in an open detail moves on with the clock (render()'s tick)", () => {
  const running = { dataset: { start: String(T0) }, textContent: " running 0s" };
  const root = {
    /** @param {string} sel */
    querySelectorAll: (sel) => (sel === ".fxw-attempt-running[data-start]" ? [running] : []),
  };
  tickAttempts(root, T0 + 75_000);
  assert.equal(running.textContent, " running 1m 15s");
  tickAttempts(root, T0 + 76_000);
  assert.equal(running.textContent, " running 1m 16s");
});

test("a short attempt on a long axis is drawn at least 2 px wide and without the separator that would hide it", () => {
  // a node retried 60 times, 5 s each, in an execution of an hour drawn 700 px wide: 1 px per attempt
  const spans = Array.from({ length: 60 }, (_, i) => ({
    phase: i < 59 ? "FAILED" : "SUCCEEDED",
    started_at: at(i * 6),
    duration_s: 5,
  }));
  const r = row("n0", { created_at: at(0), started_at: at(0), duration_s: 360, attempts: 60, attempt_spans: spans });
  const segs = rowSegments(r, T0 + 3600_000, taskStyle).filter((s) => s.seg === "attempt");
  assert.equal(segs.length, 60);
  const scale = new TimeScale(T0, T0 + 3600_000, 700);
  for (const s of segs) {
    const box = segBox(scale, s);
    assert.ok(box.width >= 2, `attempt ${s.attempt} is ${box.width} px wide`);
    assert.equal(box.thin, true);
  }
  // zoomed to the node's six minutes, each attempt is wide and keeps its separator
  const zoomed = new TimeScale(T0, T0 + 360_000, 700);
  assert.equal(segBox(zoomed, segs[1]).thin, false);
  assert.ok(Math.abs(segBox(zoomed, segs[1]).width - (5 / 360) * 700) < 0.01);
  // past the track's ends a segment is clamped, not drawn thousands of px away
  const late = segBox(new TimeScale(T0 - 3600_000, T0, 700), segs[59]);
  assert.ok(late.x0 <= 704 && late.x1 <= 704);
});
