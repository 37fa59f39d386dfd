// Pure parts of flyteexec_widget/display/static/board.js: sorting (missing values last), filtering, progress text,
// the comparison's slowest node, the sort cycle.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  boardColumns,
  boardDuration,
  boardEmptyText,
  boardFilter,
  boardSort,
  nextSort,
  progressText,
  slowestChange,
} from "../../../flyteexec_widget/display/static/board.js";

const NOW = Date.parse("2026-12-05T12:00:00Z");

/** @param {string} name @param {object} extra */
function row(name, extra = {}) {
  return {
    key: `p:d:${name}`,
    name,
    phase: "SUCCEEDED",
    label: "Succeeded",
    terminal: true,
    started_at: "2026-12-05T11:00:00Z",
    created_at: "2026-12-05T11:00:00Z",
    duration_s: 10,
    inputs: {},
    metric: null,
    progress: null,
    error: null,
    launch_plan: "lp",
    lp_version: "v1",
    ...extra,
  };
}

test("sorting by the metric puts rows without one last, in both directions", () => {
  const rows = [
    row("a", { metric: { text: "0.8", value: 0.8 } }),
    row("b", { phase: "RUNNING", terminal: false }),
    row("c", { metric: { text: "0.9", value: 0.9 } }),
    row("d", { phase: "FAILED" }),
    row("e", { metric: { text: "0.7", value: 0.7 } }),
  ];
  const desc = boardSort(rows, { col: "metric", dir: -1 }, NOW).map((r) => r.name);
  assert.deepEqual(desc, ["c", "a", "e", "b", "d"]);
  const asc = boardSort(rows, { col: "metric", dir: 1 }, NOW).map((r) => r.name);
  assert.deepEqual(asc, ["e", "a", "c", "b", "d"]);
  assert.deepEqual(rows.map((r) => r.name), ["a", "b", "c", "d", "e"], "the input is not reordered");
});

test("an input column sorts numbers as numbers, not as text", () => {
  const rows = [
    row("a", { inputs: { batch_size: { text: "128", value: 128 } } }),
    row("b", { inputs: { batch_size: { text: "32", value: 32 } } }),
    row("c", { inputs: { batch_size: { text: "64", value: 64 } } }),
    row("d", { inputs: {} }),
  ];
  assert.deepEqual(
    boardSort(rows, { col: "input:batch_size", dir: 1 }, NOW).map((r) => r.name),
    ["b", "c", "a", "d"],
  );
});

test("ties keep board order; no sort is board order", () => {
  const rows = [row("x", { metric: { text: "1", value: 1 } }), row("y", { metric: { text: "1", value: 1 } })];
  assert.deepEqual(boardSort(rows, { col: "metric", dir: -1 }, NOW).map((r) => r.name), ["x", "y"]);
  assert.deepEqual(boardSort(rows, null, NOW).map((r) => r.name), ["x", "y"]);
});

test("a running row's duration runs from its start; sorting by duration uses it", () => {
  const running = row("r", { terminal: false, phase: "RUNNING", duration_s: null, started_at: "2026-12-05T11:59:00Z" });
  assert.equal(boardDuration(running, NOW), 60);
  const done = row("d", { duration_s: 5 });
  const queued = row("q", { terminal: false, started_at: null, duration_s: null });
  assert.deepEqual(boardSort([done, queued, running], { col: "duration", dir: -1 }, NOW).map((r) => r.name), ["r", "d", "q"]);
});

test("the phase filter keeps that phase only", () => {
  const rows = [row("a"), row("b", { phase: "FAILED" }), row("c")];
  assert.deepEqual(boardFilter(rows, "FAILED").map((r) => r.name), ["b"]);
  assert.equal(boardFilter(rows, null).length, 3);
});

test("the sort cycle: ascending, descending, off; the metric starts best-first", () => {
  assert.deepEqual(nextSort(null, "name"), { col: "name", dir: 1 });
  assert.deepEqual(nextSort({ col: "name", dir: 1 }, "name"), { col: "name", dir: -1 });
  assert.equal(nextSort({ col: "name", dir: -1 }, "name"), null);
  assert.deepEqual(nextSort({ col: "name", dir: 1 }, "metric"), { col: "metric", dir: -1 });
});

test("progress text and the node that got slower the most", () => {
  assert.equal(progressText({ done: 1, total: 3, running: 1, failed: 0 }), "1 of 3 nodes, 1 running");
  assert.equal(progressText(null), "");
  const nodes = [
    { node_id: "n0", delta_s: 1 },
    { node_id: "n1", delta_s: 30 },
    { node_id: "n2", delta_s: null },
    { node_id: "n3", delta_s: -40 },
  ];
  assert.equal(slowestChange(nodes), "n1");
  assert.equal(slowestChange([{ node_id: "n0", delta_s: -1 }]), null);
});

test("columns: the differing inputs and the metric come right after the status, the error last", () => {
  const ids = boardColumns({ columns: ["learning_rate", "batch_size"], metric: "accuracy" }).map((c) => c.id);
  assert.deepEqual(ids.slice(0, 5), ["name", "phase", "input:learning_rate", "input:batch_size", "metric"]);
  assert.equal(ids.at(-1), "error");
  assert.ok(!boardColumns({}).some((c) => c.id === "metric"));
});

test("an empty board says nothing matches only once a listing answered", () => {
  assert.equal(boardEmptyText({ state: "live", last_synced_at: null }), "Listing the executions…");
  assert.equal(boardEmptyText({ state: "reconnecting", attempt: 2 }), "Could not reach FlyteAdmin yet: retrying…");
  assert.equal(
    boardEmptyText({ state: "error", last_error: "INVALID_ARGUMENT: 'launch_plan.nope' is invalid filter\nmore" }),
    "Could not list the executions: INVALID_ARGUMENT: 'launch_plan.nope' is invalid filter",
  );
  assert.equal(
    boardEmptyText({ state: "live", last_synced_at: "2026-12-05T12:00:00Z" }),
    "No executions match (yet): new ones appear here.",
  );
});

test("a metric that is not a number (nan) sorts after the numbers both ways", () => {
  const rows = [
    row("nan", { metric: { text: "nan", value: "nan" } }),
    row("good", { metric: { text: "0.9", value: 0.9 } }),
    row("ok", { metric: { text: "0.8", value: 0.8 } }),
  ];
  const best = boardSort(rows, nextSort(null, "metric"), NOW).map((r) => r.name);
  assert.deepEqual(best, ["good", "ok", "nan"]);
  const worst = boardSort(rows, { col: "metric", dir: 1 }, NOW).map((r) => r.name);
  assert.deepEqual(worst, ["ok", "good", "nan"]);
});
