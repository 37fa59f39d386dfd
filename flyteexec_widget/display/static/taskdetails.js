// @ts-check
/**
 * Task details in a row's detail (FlyteConsole's "Task" tab): what the node's task declares (type, version, image,
 * resources, retries, timeout, interruptible, cache settings, environment, command), links to the task, workflow
 * and launch plan pages in the console, and, for a cache hit, the execution the value came from.
 *
 * Fetched when the detail opens (the kernel's `task` request: one GetTask per task id, cached by the kernel; the
 * answer is kept per view state, so a row scrolled out and back does not ask again). Everything in the answer is
 * server text: it goes in through textContent only, and links must be http(s) (widget.js's link()).
 * Environment values may be secrets: the list starts collapsed, and nothing here logs them.
 */

import { busyNote, button, copyText, fmtDuration, h, link } from "./widget.js";

/** Row kinds that run a task: their detail has a task section. */
export const TASK_KINDS = ["task", "dynamic", "array", "subtask"];

/**
 * @typedef {{project: string, domain: string, name: string, version: string}} TaskId
 * @typedef {{enabled: boolean, serializable: boolean, version: string, ignored_inputs: string[]}} CacheSettings
 * @typedef {{
 *   id: TaskId, type: string, runtime: string, target: string, image: string, command: string[],
 *   resources: {requests: Object<string, string>, limits: Object<string, string>}, accelerator: string,
 *   retries: number, timeout_s: number|null, interruptible: boolean|null, cache: CacheSettings,
 *   env: {key: string, value: string}[], env_omitted: number, pod_template: string, description: string,
 *   registered_at: string|null, cut: string[]
 * }} TaskPayload
 * @typedef {{
 *   project: string, domain: string, name: string, node_id: string, attempt: number, task_version: string,
 *   known: boolean, url: string|null
 * }} CacheSource
 * @typedef {{
 *   task: TaskPayload|null, error: {type: string, message: string}|null,
 *   links: {task: string|null, task_versions: string|null, workflow: string|null, launch_plan: string|null},
 *   cache_source: CacheSource|null, overrides?: Object<string, any>
 * }} TaskAnswer
 */

/** @param {{kind: string, phase: string}} r whether row `r` gets a task section (a node that has started) */
export function hasTaskDetails(r) {
  return TASK_KINDS.includes(r.kind) && r.phase !== "NOT_STARTED";
}

/** Resource names in the order the table lists them; any other name follows, as sent. */
const RESOURCE_ORDER = ["cpu", "memory", "gpu", "ephemeral_storage", "storage"];

/**
 * The resources table's rows: `[name, request, limit]`, "" where one is not set.
 * @param {{requests?: Object<string, string>, limits?: Object<string, string>}|null|undefined} res
 * @returns {[string, string, string][]}
 */
export function resourceRows(res) {
  const req = res?.requests || {};
  const lim = res?.limits || {};
  const names = [...new Set([...Object.keys(req), ...Object.keys(lim)])];
  const rank = (/** @type {string} */ n) => {
    const i = RESOURCE_ORDER.indexOf(n);
    return i < 0 ? RESOURCE_ORDER.length : i;
  };
  names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => [n.replace(/_/g, " "), req[n] ?? "", lim[n] ?? ""]);
}

/** @param {CacheSettings|null|undefined} c "off", or "on, version 1.0, serializable" */
export function cacheText(c) {
  if (!c?.enabled) return "off";
  const parts = ["on"];
  if (c.version) parts.push(`version ${c.version}`);
  if (c.serializable) parts.push("serializable");
  if (c.ignored_inputs?.length) parts.push(`ignoring ${c.ignored_inputs.join(", ")}`);
  return parts.join(", ");
}

/** @param {boolean|null|undefined} v */
export function interruptibleText(v) {
  return v === true ? "yes" : v === false ? "no" : "not set (workflow default)";
}

/**
 * The facts line of a task, in order: `[label, text]`.
 * @param {TaskPayload} t
 * @returns {[string, string][]}
 */
export function taskFacts(t) {
  /** @type {[string, string][]} */
  const out = [
    ["type", t.type || "unknown"],
    ["version", t.id?.version ?? ""],
    ["retries", String(t.retries ?? 0)],
    ["timeout", t.timeout_s != null && t.timeout_s > 0 ? fmtDuration(t.timeout_s) : "none"],
    ["interruptible", interruptibleText(t.interruptible)],
    ["cache", cacheText(t.cache)],
  ];
  if (t.accelerator) out.push(["accelerator", t.accelerator]);
  if (t.pod_template) out.push(["pod template", t.pod_template]);
  if (t.runtime) out.push(["runtime", t.runtime]);
  return out;
}

/**
 * What a cache hit's line says.
 * @param {CacheSource|null|undefined} src
 */
export function cacheSourceText(src) {
  if (!src) return "";
  if (!src.known) return "cached value: the catalog names no source execution";
  return `cached from ${src.name}`;
}

/** @param {CacheSource} src the Python that watches the source execution here (same cluster: same Remote) */
export function watchSnippet(src) {
  return `watch(${JSON.stringify(`${src.project}:${src.domain}:${src.name}`)}, remote)`;
}

/**
 * What the workflow's node sets over its task (only what differs from it), as short texts.
 * @param {Object<string, any>|null|undefined} ov
 * @returns {string[]}
 */
export function overrideTexts(ov) {
  if (!ov) return [];
  const out = [];
  if (ov.retries != null) out.push(`retries ${ov.retries}`);
  if (ov.timeout_s != null) out.push(`timeout ${fmtDuration(ov.timeout_s)}`);
  if (ov.interruptible != null) out.push(`interruptible ${ov.interruptible ? "yes" : "no"}`);
  if (ov.cache != null) out.push(`cache ${ov.cache ? "on" : "off"}`);
  if (ov.cache_version) out.push(`cache version ${ov.cache_version}`);
  if (ov.cache_serializable != null) out.push(`cache serializable ${ov.cache_serializable ? "yes" : "no"}`);
  if (ov.image) out.push(`image ${ov.image}`);
  for (const [name, req, lim] of resourceRows(ov.resources)) {
    if (req) out.push(`${name} request ${req}`);
    if (lim) out.push(`${name} limit ${lim}`);
  }
  return out;
}

/** Fetched answers per view state (every view of a widget shares one), by row key. */
const ANSWERS = new WeakMap();

/** @param {object} state @returns {Map<string, TaskAnswer>} */
function answersOf(state) {
  let m = ANSWERS.get(state);
  if (!m) ANSWERS.set(state, (m = new Map()));
  return m;
}

/** Forget the answers of a view state (the widget follows another execution: its row keys name other nodes).
 * @param {object} state */
export function forgetTaskAnswers(state) {
  ANSWERS.delete(state);
}

/** The task section of a row's detail. */
export class TaskDetailsView {
  /** @param {any} ctx the ViewContext of widget.js */
  constructor(ctx) {
    this.ctx = ctx;
  }

  /**
   * The section for row `r`, filled at once from an earlier answer, else when the kernel answers.
   * @param {{key: string}} r
   * @returns {HTMLElement}
   */
  build(r) {
    const box = h("div", "fxw-task");
    box.dataset.key = r.key;
    box.append(h("div", "fxw-task-title", "Task"));
    const note = h("div", "fxw-io-note fxw-task-note");
    const body = h("div", "fxw-task-body");
    box.append(note, body);
    const answers = answersOf(this.ctx.state);
    const known = answers.get(r.key);
    if (known) {
      this.fill(body, known);
      return box;
    }
    const load = () => {
      note.className = "fxw-io-note";
      note.textContent = "loading…";
      this.ctx.requests.request("task", r.key, {}, busyNote(note, "loading the task…")).then(
        (/** @type {TaskAnswer} */ res) => {
          note.textContent = "";
          if (res?.task) answers.set(r.key, res); // a failed GetTask is asked again next time
          this.fill(body, res);
        },
        (/** @type {any} */ err) => {
          note.className = "fxw-io-note fxw-task-error";
          note.replaceChildren(`could not fetch the task: ${err?.message ?? err} `);
          const retry = button("Retry", "task-retry", "fxw-btn--link");
          retry.addEventListener("click", load);
          note.append(retry);
        },
      );
    };
    load();
    return box;
  }

  /** @param {HTMLElement} body @param {TaskAnswer} res */
  fill(body, res) {
    body.replaceChildren();
    const src = res?.cache_source;
    if (src) body.append(this.cacheSource(src));
    const t = res?.task;
    if (res?.error) {
      body.append(h("div", "fxw-task-error", res.error.message));
    }
    if (t) {
      const facts = h("div", "fxw-facts");
      for (const [k, v] of taskFacts(t)) {
        const f = h("span", "fxw-fact");
        f.dataset.fact = k;
        f.append(h("span", "fxw-fact-k", k + " "), h("span", "fxw-fact-v", v));
        facts.append(f);
      }
      body.append(facts);
      if (t.description) body.append(h("div", "fxw-detail-row fxw-muted", t.description));
      if (t.image) {
        const line = h("div", "fxw-detail-row fxw-task-image");
        line.append(h("span", "fxw-fact-k", "image "), h("code", "", t.image));
        body.append(line);
      }
      const ov = overrideTexts(res?.overrides);
      if (ov.length) {
        const line = h("div", "fxw-detail-row fxw-task-overrides");
        line.append(h("span", "fxw-fact-k", "this node overrides "), ov.join(" · "));
        body.append(line);
      }
      body.append(this.resources(t));
      body.append(this.env(t));
      if (t.command?.length) {
        const det = h("details", "fxw-task-cmd");
        det.append(h("summary", "", "command"), h("code", "fxw-task-code", t.command.join(" ")));
        body.append(det);
      }
      if (t.cut?.length) body.append(h("div", "fxw-muted", `long values cut: ${t.cut.join(", ")}`));
    }
    body.append(this.links(res?.links, t));
  }

  /** @param {TaskPayload} t */
  resources(t) {
    const rows = resourceRows(t.resources);
    if (!rows.length) return h("div", "fxw-detail-row fxw-muted fxw-task-res", "resources: none declared");
    const table = h("table", "fxw-task-res");
    const head = h("tr");
    head.append(h("th", "", "resource"), h("th", "", "request"), h("th", "", "limit"));
    table.append(head);
    for (const [name, req, lim] of rows) {
      const tr = h("tr");
      tr.dataset.resource = name;
      tr.append(h("td", "fxw-fact-k", name), h("td", "", req || "–"), h("td", "", lim || "–"));
      table.append(tr);
    }
    return table;
  }

  /** @param {TaskPayload} t the environment, collapsed: its values may be secrets */
  env(t) {
    const n = (t.env?.length || 0) + (t.env_omitted || 0);
    const det = h("details", "fxw-task-env");
    det.append(h("summary", "", n ? `environment (${n})` : "environment (none)"));
    for (const { key, value } of t.env || []) {
      const line = h("div", "fxw-kv");
      line.append(h("code", "fxw-k", key), h("span", "fxw-sep", " = "), h("code", "fxw-task-envv", value));
      det.append(line);
    }
    if (t.env_omitted) det.append(h("div", "fxw-muted", `and ${t.env_omitted} more`));
    return det;
  }

  /** @param {TaskAnswer["links"]|undefined} links @param {TaskPayload|null|undefined} t */
  links(links, t) {
    const line = h("div", "fxw-detail-row fxw-task-links");
    line.append(h("span", "fxw-fact-k", "console "));
    /** @type {[string|null|undefined, string, string][]} */
    const items = [
      [links?.task, t ? `task ${t.id.name} (${t.id.version})` : "task", "task"],
      [links?.task_versions, "all versions", "task_versions"],
      [links?.workflow, "workflow", "workflow"],
      [links?.launch_plan, "launch plan", "launch_plan"],
    ];
    let any = false;
    for (const [url, text, which] of items) {
      if (!url) continue;
      const a = link(url, text, "fxw-task-link");
      a.dataset.link = which;
      if (any) line.append(" · ");
      line.append(a);
      any = true;
    }
    if (!any) line.append(h("span", "fxw-muted", "no links"));
    return line;
  }

  /** "cached from <execution>" with its console link and how to watch it here. @param {CacheSource} src */
  cacheSource(src) {
    const line = h("div", "fxw-detail-row fxw-cache-source");
    if (!src.known) {
      line.append(h("span", "fxw-muted", cacheSourceText(src)));
      return line;
    }
    line.append(h("span", "fxw-fact-k", "cached from "), link(src.url, src.name, "fxw-task-link"));
    line.append(h("span", "fxw-muted", ` (node ${src.node_id}, attempt ${src.attempt + 1}) `));
    const snippet = watchSnippet(src);
    const code = h("code", "fxw-task-watch", snippet);
    code.title = "Run this in a cell to watch that execution here";
    const copy = button("Copy", "copy-watch", "fxw-btn--link");
    const note = h("span", "fxw-task-copied");
    copy.addEventListener("click", () =>
      copyText(snippet).then(
        () => (note.textContent = "copied"),
        () => (note.textContent = "copy failed: select the text instead"),
      ),
    );
    line.append(h("span", "fxw-fact-k", "watch it: "), code, " ", copy, " ", note);
    return line;
  }
}
