// The relaunch form's checks (static/relaunch.js) under node's test runner: each field's text against its kind and
// type, in the kernel's words and naming the field; the texts a launch sends; the trail line; and the shared
// model starting over when the kernel says the widget follows another execution.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fieldError, formInputs, jsonTypeError, trailLinks } from "../../../flyteexec_widget/display/static/relaunch.js";
import { SharedModel } from "../../../flyteexec_widget/display/static/widget.js";
import { timelineState } from "../../../flyteexec_widget/display/static/timeline.js";

/** @param {string} name @param {string} kind @param {string} type @param {Record<string, unknown>} [extra] */
const field = (name, kind, type, extra = {}) => ({ name, kind, type, text: "", required: false, fixed: false, ...extra });

test("fieldError: a valid text of every kind passes", () => {
  const ok = [
    [field("epochs", "int", "int"), "9007199254740993"],
    [field("rate", "float", "float"), "1e-3"],
    [field("label", "str", "str"), ""],
    [field("dry", "bool", "bool"), "false"],
    [field("start", "datetime", "datetime"), "2026-11-01T06:30:00Z"],
    [field("start", "datetime", "datetime"), "2026-11-01 06:30:00+01:00"],
    [field("timeout", "duration", "timedelta"), "2700"],
    [field("opt", "enum", "enum{adam, sgd}", { values: ["adam", "sgd"] }), "sgd"],
    [field("layers", "list", "list[int]"), "[64, 32]"],
    [field("weights", "map", "dict[str, float]"), '{"loss": 1, "l2": 0.01}'],
    [field("config", "struct", "struct"), '{"dropout": 0.2}'],
    [field("model", "blob", "file(joblib)"), "s3://b/model.joblib"],
    [field("table", "dataset", "structured_dataset(parquet)"), "gs://b/t.parquet"],
    [field("nested", "list", "list[dict[str, list[datetime]]]"), '[{"a": ["2026-01-01T00:00:00Z"]}]'],
    [field("files", "list", "list[file(csv)]"), '["s3://a/b.csv"]'],
    [field("rate", "float", "float"), ""], // optional: left to its default
  ];
  for (const [f, text] of ok) assert.equal(fieldError(/** @type {any} */ (f), /** @type {string} */ (text)), "", `${f.name}=${text}`);
});

test("fieldError: a bad text says what is valid, naming the field and its type", () => {
  const cases = [
    [field("epochs", "int", "int"), "4.5", "epochs: enter a whole number, e.g. 42 (int)"],
    [field("epochs", "int", "int", { required: true }), " ", "epochs: a value is required (int)"],
    [field("rate", "float", "float"), "abc", "rate: enter a number, e.g. 0.5 (float)"],
    [field("timeout", "duration", "timedelta"), "1h", "timeout: enter a number of seconds, e.g. 90 (timedelta)"],
    [field("start", "datetime", "datetime"), "tomorrow", "start: enter an ISO 8601 date and time, e.g. 2026-11-01T06:30:00Z (datetime)"],
    [field("opt", "enum", "enum{adam, sgd}", { values: ["adam", "sgd"] }), "adagrad", "opt: choose one of adam, sgd (enum{adam, sgd})"],
    [field("model", "blob", "file(joblib)"), "model.joblib", "model: enter a URI such as s3://bucket/key (file(joblib))"],
    [field("layers", "list", "list[int]"), '{"a": 1}', "layers: enter a JSON list, e.g. [1, 2] (list[int])"],
    [field("layers", "list", "list[int]"), "[1, 2.5]", "layers: item 1: expected a whole number (list[int])"],
    [field("weights", "map", "dict[str, float]"), '{"a": "x"}', 'weights: key "a": expected a number (dict[str, float])'],
    [field("weights", "map", "dict[str, float]"), "[1]", 'weights: enter a JSON object, e.g. {"a": 1} (dict[str, float])'],
  ];
  for (const [f, text, want] of cases) {
    assert.equal(fieldError(/** @type {any} */ (f), /** @type {string} */ (text)), want);
  }
  const broken = fieldError(/** @type {any} */ (field("layers", "list", "list[int]")), "[1, 2");
  assert.match(broken, /^layers: not valid JSON: .+ \(list\[int\]\)$/);
});

test("fieldError: fixed and unsupported fields are never in error (they are not sent)", () => {
  assert.equal(fieldError(/** @type {any} */ (field("region", "fixed", "str", { fixed: true })), "anything"), "");
  assert.equal(fieldError(/** @type {any} */ (field("raw", "unsupported", "bytes")), ""), "");
});

test("jsonTypeError: unions take a value that fits one variant", () => {
  assert.equal(jsonTypeError("union[int, str]", "x"), "");
  assert.equal(jsonTypeError("union[int, none]", null), "");
  assert.equal(jsonTypeError("union[int, bool]", "x"), "fits none of int, bool");
  assert.equal(jsonTypeError("some-newer-type", { any: 1 }), ""); // unknown types: the kernel decides
});

test("formInputs: the texts of editable fields (edited or as prefilled) and the errors", () => {
  const fields = /** @type {any[]} */ ([
    field("epochs", "int", "int", { text: "20" }),
    field("layers", "list", "list[int]", { text: "[1]" }),
    field("region", "fixed", "str", { fixed: true, text: '"eu"' }),
    field("raw", "unsupported", "bytes", { text: "(kept)" }),
  ]);
  const texts = new Map([["layers", "[1, 2, 3]"]]);
  assert.deepEqual(formInputs(fields, texts), { inputs: { epochs: "20", layers: "[1, 2, 3]" }, errors: {} });
  texts.set("epochs", "twenty");
  const { errors } = formInputs(fields, texts);
  assert.deepEqual(Object.keys(errors), ["epochs"]);
});

test("trailLinks: the way back to the original and forward again", () => {
  const trail = [
    { name: "e1", how: "" },
    { name: "e2", how: "relaunched with new inputs" },
    { name: "e3", how: "recovered" },
  ];
  assert.deepEqual(trailLinks(trail, 0), {
    back: null,
    forward: { index: 1, text: "relaunched with new inputs as", name: "e2" },
  });
  assert.deepEqual(trailLinks(trail, 2), { back: { index: 1, text: "recovered from", name: "e2" }, forward: null });
  assert.deepEqual(trailLinks([], 0), { back: null, forward: null });
});

test("SharedModel: a reset drops the rows and the view state, and the new execution's snapshot is taken", () => {
  const shared = new SharedModel({ send: () => {} });
  /** @type {string[]} */
  const told = [];
  shared.views.add((change) => told.push(change.kind));
  const r = (/** @type {string} */ key) => ({ key, parent: "", created_at: "2026-01-01T00:00:00Z" });
  shared.take({ type: "snapshot", version: 7, rows: [r("n0"), r("n1")] });
  shared.state.expanded.add("n0");
  shared.state.view = "graph";
  shared.state.io.set("n0", { open: true, result: { items: [] } });
  timelineState(shared).attempts.set("n0", { sig: "x", result: {} });
  timelineState(shared).sort = "duration";
  const state = shared.state;
  shared.take({ type: "reset" });
  assert.equal(timelineState(shared).attempts.size, 0); // the other execution's attempts
  assert.equal(timelineState(shared).sort, "duration"); // the user's choice
  assert.equal(shared.state, state); // the same object: every view holds it
  assert.equal(shared.store.rows.size, 0);
  assert.equal(shared.state.expanded.size, 0);
  assert.equal(shared.state.io.size, 0);
  assert.equal(shared.state.view, "graph"); // the Tree/Graph choice is the user's, kept
  // the new model's versions start over: its snapshot at version 0 is taken, not refused as stale
  assert.equal(shared.take({ type: "snapshot", version: 0, rows: [r("n0")] }), true);
  assert.deepEqual([...shared.store.rows.keys()], ["n0"]);
  assert.deepEqual(told, ["snapshot", "reset", "snapshot"]);
  // and the new model's patches follow its snapshot
  shared.take({ type: "patch", version: 1, rows: [{ key: "n5", parent: "" }], removed: [] });
  assert.equal(shared.store.rows.has("n5"), true);
});
