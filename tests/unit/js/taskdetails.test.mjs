// Pure parts of flyteexec_widget/display/static/taskdetails.js (the task section of a row's detail).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cacheSourceText,
  cacheText,
  hasTaskDetails,
  interruptibleText,
  overrideTexts,
  resourceRows,
  taskFacts,
  watchSnippet,
} from "../../../flyteexec_widget/display/static/taskdetails.js";

const task = (extra = {}) => ({
  id: { project: "p", domain: "d", name: "sandbox.train", version: "v1" },
  type: "python-task",
  runtime: "flytekit 1.16.0 (python)",
  target: "container",
  image: "ghcr.io/example/train:1",
  command: ["pyflyte-execute"],
  resources: { requests: { cpu: "4", memory: "4Gi", gpu: "1" }, limits: { cpu: "8", memory: "4Gi", gpu: "1" } },
  accelerator: "",
  retries: 1,
  timeout_s: null,
  interruptible: null,
  cache: { enabled: false, serializable: false, version: "", ignored_inputs: [] },
  env: [],
  env_omitted: 0,
  pod_template: "",
  description: "",
  registered_at: null,
  cut: [],
  ...extra,
});

test("only nodes that run a task and have started get a task section", () => {
  assert.equal(hasTaskDetails({ kind: "task", phase: "RUNNING" }), true);
  assert.equal(hasTaskDetails({ kind: "subtask", phase: "SUCCEEDED" }), true);
  assert.equal(hasTaskDetails({ kind: "array", phase: "QUEUED" }), true);
  assert.equal(hasTaskDetails({ kind: "task", phase: "NOT_STARTED" }), false);
  for (const kind of ["subworkflow", "branch", "gate", "launch_plan"]) {
    assert.equal(hasTaskDetails({ kind, phase: "SUCCEEDED" }), false, kind);
  }
});

test("resources: one row per name, request beside limit, the usual ones first, a missing side empty", () => {
  assert.deepEqual(
    resourceRows({
      requests: { memory: "1Gi", zeta: "1", cpu: "500m", ephemeral_storage: "5Gi" },
      limits: { cpu: "1", gpu: "2" },
    }),
    [
      ["cpu", "500m", "1"],
      ["memory", "1Gi", ""],
      ["gpu", "", "2"],
      ["ephemeral storage", "5Gi", ""],
      ["zeta", "1", ""],
    ],
  );
  assert.deepEqual(resourceRows(null), []);
  assert.deepEqual(resourceRows({ requests: {}, limits: {} }), []);
});

test("cache settings read as the user declared them", () => {
  assert.equal(cacheText({ enabled: false, serializable: true, version: "1", ignored_inputs: [] }), "off");
  assert.equal(cacheText({ enabled: true, serializable: false, version: "1.0", ignored_inputs: [] }), "on, version 1.0");
  assert.equal(
    cacheText({ enabled: true, serializable: true, version: "2", ignored_inputs: ["seed", "now"] }),
    "on, version 2, serializable, ignoring seed, now",
  );
  assert.equal(cacheText(undefined), "off");
});

test("facts: type, version, retries, timeout, interruptible, cache; the optional ones only when set", () => {
  assert.deepEqual(taskFacts(task()), [
    ["type", "python-task"],
    ["version", "v1"],
    ["retries", "1"],
    ["timeout", "none"],
    ["interruptible", "not set (workflow default)"],
    ["cache", "off"],
    ["runtime", "flytekit 1.16.0 (python)"],
  ]);
  const facts = Object.fromEntries(
    taskFacts(task({ timeout_s: 90, interruptible: true, accelerator: "nvidia-tesla-t4", pod_template: "gpu" })),
  );
  assert.equal(facts.timeout, "1m 30s");
  assert.equal(facts.interruptible, "yes");
  assert.equal(facts.accelerator, "nvidia-tesla-t4");
  assert.equal(facts["pod template"], "gpu");
  assert.equal(interruptibleText(false), "no");
});

test("a cache hit's source: its execution, or a plain note when the catalog names none", () => {
  const src = {
    project: "flytesnacks",
    domain: "development",
    name: "abc123",
    node_id: "n0",
    attempt: 0,
    task_version: "v1",
    known: true,
    url: "http://x/console/projects/flytesnacks/domains/development/executions/abc123",
  };
  assert.equal(cacheSourceText(src), "cached from abc123");
  assert.equal(watchSnippet(src), 'watch("flytesnacks:development:abc123", remote)');
  // a hostile name cannot break out of the Python string
  assert.equal(watchSnippet({ ...src, name: 'a"); import os #' }), 'watch("flytesnacks:development:a\\"); import os #", remote)');
  assert.equal(cacheSourceText({ ...src, name: "unknown", known: false, url: null }), "cached value: the catalog names no source execution");
  assert.equal(cacheSourceText(null), "");
});

test("node overrides read as what the node sets over its task", () => {
  assert.deepEqual(overrideTexts({}), []);
  assert.deepEqual(overrideTexts(null), []);
  assert.deepEqual(
    overrideTexts({
      retries: 5,
      timeout_s: 3600,
      interruptible: false,
      image: "ghcr.io/x:2",
      resources: { requests: { cpu: "4" }, limits: { memory: "16Gi" } },
    }),
    ["retries 5", "timeout 1h 00m", "interruptible no", "image ghcr.io/x:2", "cpu request 4", "memory limit 16Gi"],
  );
});
