// The parts of widget.js's view that need no DOM: requests, the phase table, counts, the filter, the row window.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PhaseStyles,
  Requests,
  RowWindow,
  WAITING_TEXT,
  offlineText,
  phaseCounts,
  rowMatcher,
  unknownStyle,
} from "../../../flyteexec_widget/display/static/widget.js";

/** Requests whose sent messages are recorded. */
const requestsOf = (viewId = "v1") => {
  /** @type {Record<string, unknown>[]} */
  const sent = [];
  return { requests: new Requests(viewId, (msg) => sent.push(msg)), sent };
};

test("Requests: ids are per view and in order; the protocol fields win over extra ones", () => {
  const { requests, sent } = requestsOf("vA");
  requests.request("inputs", "n1", { path: ["x", 2] });
  requests.request("terminate", "", { cause: "stop", type: "bogus", id: "bogus" });
  assert.deepEqual(sent, [
    { path: ["x", 2], type: "request", id: "vA:1", action: "inputs", key: "n1" },
    { cause: "stop", type: "request", id: "vA:2", action: "terminate", key: "" },
  ]);
});

test("Requests: a response settles its request once; another view's is not ours", async () => {
  const { requests } = requestsOf("vA");
  const ok = requests.request("deck", "n2");
  const bad = requests.request("approve", "n3");
  const bare = requests.request("signal", "n4");
  assert.equal(requests.settle({ id: "vB:1", ok: true, result: 1 }), false);
  assert.equal(requests.settle({ id: "vA:1", ok: true, result: { url: "https://d" } }), true);
  assert.equal(requests.settle({ id: "vA:1", ok: true, result: "again" }), false);
  requests.settle({ id: "vA:2", ok: false, error: { type: "ValueError", message: "no gate" } });
  requests.settle({ id: "vA:3", ok: false });
  assert.deepEqual(await ok, { url: "https://d" });
  await assert.rejects(bad, { type: "ValueError", message: "no gate" });
  await assert.rejects(bare, { type: "Error", message: "request failed" });
  assert.equal(requests.pending.size, 0);
});

test("Requests: close rejects the pending ones and refuses new ones without sending", async () => {
  const { requests, sent } = requestsOf();
  const open = requests.request("outputs", "n1");
  requests.close();
  await assert.rejects(open, { type: "Closed" });
  await assert.rejects(requests.request("outputs", "n1"), { type: "Closed" });
  assert.equal(sent.length, 1);
  assert.equal(requests.pending.size, 0);
});

test("Requests: until the kernel reads a request it is 'waiting for the kernel'; then the caller's busy text", async () => {
  const { requests } = requestsOf("vA");
  /** @type {string[]} */
  const stages = [];
  const pending = requests.request("outputs", "n1", {}, (stage) => stages.push(stage));
  assert.deepEqual(stages, ["waiting"]); // sent; a running cell holds it back
  assert.equal(requests.accept({ id: "vB:1" }), false); // another view's
  assert.equal(requests.accept({ id: "vA:1" }), true);
  assert.deepEqual(stages, ["waiting", "accepted"]);
  requests.settle({ id: "vA:1", ok: true, result: 3 });
  assert.equal(await pending, 3);
  assert.equal(requests.accept({ id: "vA:1" }), false); // settled: nothing left to tell
  assert.match(WAITING_TEXT, /waiting for the kernel/);
});

test("Requests: closed because the kernel is gone, they say so", async () => {
  const { requests } = requestsOf();
  const open = requests.request("outputs", "n1");
  requests.close({ type: "Offline", message: "the kernel is gone" });
  await assert.rejects(open, { type: "Offline" });
  await assert.rejects(requests.request("inputs", "n1"), { message: "the kernel is gone" });
});

test("offlineText marks a view whose kernel is gone as a saved snapshot, with the last sync's time", () => {
  assert.match(offlineText({ last_synced_at: "2026-11-27T10:00:00Z" }), /^Saved snapshot: .*last synced .*2026/);
  assert.match(offlineText({}), /^Saved snapshot: the kernel that ran this cell is gone/);
});

const TABLE = {
  workflow: { FAILED: { label: "Failed", color: "failed", terminal: true, succeeded: false, failed: true } },
  node: {
    RUNNING: { label: "Running", color: "running", terminal: false, succeeded: false, failed: false },
    FAILED: { label: "Failed", color: "failed", terminal: true, succeeded: false, failed: true },
    SUCCEEDED: { label: "Succeeded", color: "succeeded", terminal: true, succeeded: true, failed: false },
  },
  task: {
    RUNNING: { label: "Task running", color: "running", terminal: false, succeeded: false, failed: false },
    RETRYABLE_FAILURE: { label: "Retrying", color: "failed", terminal: false, succeeded: false, failed: true },
  },
};

test("PhaseStyles: node phases before task phases, task phases first for subtasks, read on every call", () => {
  /** @type {any} */
  let table = TABLE;
  const styles = new PhaseStyles(() => table);
  assert.equal(styles.phase("RUNNING")?.label, "Running");
  assert.equal(styles.task("RUNNING")?.label, "Task running");
  assert.equal(styles.task("SUCCEEDED")?.label, "Succeeded"); // no task entry: the node one
  assert.equal(styles.phase("RETRYABLE_FAILURE")?.label, "Retrying");
  assert.equal(styles.workflow("FAILED")?.failed, true);
  assert.equal(styles.isFailed({ kind: "task", phase: "FAILED" }), true);
  assert.equal(styles.isFailed({ kind: "subtask", phase: "RETRYABLE_FAILURE" }), true);
  assert.equal(styles.isFailed({ kind: "subtask", phase: "FAILED" }), false); // subtasks use the task table only
  table = null; // the trait not set yet
  assert.equal(styles.phase("RUNNING"), undefined);
  assert.equal(styles.isFailed({ kind: "task", phase: "FAILED" }), false);
});

test("phaseCounts: table order then unknown names, zeros left out, done = terminal", () => {
  const styles = new PhaseStyles(() => TABLE);
  const res = phaseCounts({ WEIRD: 1, SUCCEEDED: 3, RUNNING: 2, FAILED: 0, RETRYABLE_FAILURE: 1 }, styles);
  assert.deepEqual(res.names, ["RUNNING", "SUCCEEDED", "RETRYABLE_FAILURE", "WEIRD"]); // RUNNING once
  assert.equal(res.table.RUNNING?.label, "Running");
  assert.deepEqual(res.table.WEIRD, unknownStyle("WEIRD")); // a phase the table lacks: neutral, not undefined
  assert.equal(res.total, 7);
  assert.equal(res.done, 3);
  assert.deepEqual(phaseCounts({}, new PhaseStyles(() => undefined)), { names: [], table: {}, total: 0, done: 0 });
});

test("a phase a newer Flyte added falls back to a neutral style everywhere the view reads styles", () => {
  const name = "unknown (11)"; // what phases.py names a phase number this flyteidl does not know
  assert.deepEqual(unknownStyle(name), { label: name, color: "undefined", terminal: false, succeeded: false, failed: false });
  assert.equal(unknownStyle("").label, "Unknown");
  for (const table of [TABLE, null, undefined, {}]) {
    const styles = new PhaseStyles(() => /** @type {any} */ (table));
    const res = phaseCounts({ [name]: 2, SUCCEEDED: 1 }, styles);
    assert.ok(res.names.includes(name));
    assert.equal(res.table[name].label, name);
    assert.equal(res.table[name].color, "undefined"); // the CSS has fxw-badge--undefined
    assert.equal(res.done, table === TABLE ? 1 : 0); // an unknown phase is never counted as done
    assert.equal(styles.isFailed({ kind: "task", phase: name }), false);
    assert.equal(styles.isFailed({ kind: "subtask", phase: name }), false);
    assert.equal(styles.workflow(name)?.label, undefined);
  }
});

test("rowMatcher: no filter is null; phase and text (name or id, any case) must both match", () => {
  assert.equal(rowMatcher(null, ""), null);
  assert.equal(rowMatcher(null, "   "), null);
  const r = /** @type {any} */ ({ name: "Train-Model", node_id: "n7", phase: "RUNNING" });
  assert.equal(rowMatcher(null, " model ")?.(r), true);
  assert.equal(rowMatcher(null, "N7")?.(r), true);
  assert.equal(rowMatcher("RUNNING", "")?.(r), true);
  assert.equal(rowMatcher("FAILED", "model")?.(r), false);
  assert.equal(rowMatcher(null, "x")?.({ ...r, name: undefined, node_id: undefined }), false);
});

test("RowWindow: tops from heights, the range in view widened by the overscan, top of a key", () => {
  const win = new RowWindow();
  win.keys = ["a", "b", "c", "d", "e", "f"];
  assert.equal(win.measure((k) => (k === "b" ? 100 : 10)), 150);
  assert.deepEqual(win.tops, [0, 10, 110, 120, 130, 140]);
  assert.deepEqual(win.range(0, 20, 0), [0, 2]);
  assert.deepEqual(win.range(50, 60, 0), [1, 2]); // inside b's detail
  assert.deepEqual(win.range(115, 125, 1), [1, 5]);
  assert.deepEqual(win.range(500, 600, 2), [4, 6]); // scrolled past the end: the last ones, clamped
  assert.equal(win.topOf("c"), 110);
  assert.equal(win.topOf("zz"), null);
  win.keys = [];
  assert.equal(win.measure(() => 10), 0);
  assert.deepEqual(win.range(0, 100, 8), [0, 0]);
});
