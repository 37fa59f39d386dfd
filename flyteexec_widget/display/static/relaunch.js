// The relaunch form ("Relaunch…" in the header) and the trail line ("relaunched from <name>"): a plain ES module
// joined before widget.js (display/assets.py). The kernel builds the form from the launch plan's typed inputs
// (display/launch_form.py: one field per input, prefilled with the execution's values) and is the authority on
// what launches; the checks here only answer at once, per field, with the same words.
import { busyNote, button, h, link } from "./widget.js";

/**
 * A field of the form, as the kernel sends it (display/launch_form.py).
 * @typedef {{name: string, type: string, kind: string, text: string, required: boolean, fixed: boolean,
 *   values?: string[], description?: string}} FormField
 */

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+$/;
const WHOLE = /^[-+]?\d+$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** Kinds whose text is JSON. */
export const JSON_KINDS = ["list", "map", "struct"];

/**
 * Split "a, list[b, c], d" at its top-level commas.
 * @param {string} s @returns {string[]}
 */
function splitTopLevel(s) {
  const out = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter((x) => x !== "");
}

/**
 * Why a JSON value does not fit a type named as the kernel names types (objects/literals.py describe_type:
 * "int", "list[float]", "dict[str, int]", "enum{a, b}", "file(csv)", "union[int, str]", ...); "" when it fits
 * or when the type is one this check does not know (the kernel checks those).
 * @param {string} type @param {unknown} v @param {string} where e.g. "item 2"
 * @returns {string}
 */
export function jsonTypeError(type, v, where = "") {
  const at = where ? `${where}: ` : "";
  const t = type.trim();
  if (t === "int") return Number.isInteger(v) ? "" : `${at}expected a whole number`;
  if (t === "float" || t === "timedelta") {
    return typeof v === "number" ? "" : `${at}expected a number${t === "timedelta" ? " of seconds" : ""}`;
  }
  if (t === "str") return typeof v === "string" ? "" : `${at}expected a string`;
  if (t === "bool") return typeof v === "boolean" ? "" : `${at}expected true or false`;
  if (t === "none") return v === null ? "" : `${at}expected null`;
  if (t === "datetime") {
    return typeof v === "string" && ISO_DATETIME.test(v.trim()) ? "" : `${at}expected an ISO 8601 date and time`;
  }
  if (t === "struct" || t === "dataclass") {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? "" : `${at}expected a JSON object`;
  }
  if (/^(file|directory|structured_dataset)\b/.test(t)) {
    return typeof v === "string" && URI.test(v) ? "" : `${at}expected a URI such as s3://bucket/key`;
  }
  if (t.startsWith("enum{") && t.endsWith("}")) {
    const values = splitTopLevel(t.slice(5, -1));
    return typeof v === "string" && values.includes(v) ? "" : `${at}expected one of ${values.join(", ")}`;
  }
  if (t.startsWith("list[") && t.endsWith("]")) {
    if (!Array.isArray(v)) return `${at}expected a list`;
    const inner = t.slice(5, -1);
    for (let i = 0; i < v.length; i++) {
      const err = jsonTypeError(inner, v[i], `${where ? where + ", " : ""}item ${i}`);
      if (err) return err;
    }
    return "";
  }
  if (t.startsWith("dict[") && t.endsWith("]")) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return `${at}expected a JSON object`;
    const [, inner = ""] = splitTopLevel(t.slice(5, -1));
    for (const [k, item] of Object.entries(v)) {
      const err = jsonTypeError(inner, item, `${where ? where + ", " : ""}key ${JSON.stringify(k)}`);
      if (err) return err;
    }
    return "";
  }
  if (t.startsWith("union[") && t.endsWith("]")) {
    const variants = splitTopLevel(t.slice(6, -1));
    return variants.some((x) => !jsonTypeError(x, v)) ? "" : `${at}fits none of ${variants.join(", ")}`;
  }
  return "";
}

/**
 * What is wrong with a field's text, in the kernel's words (display/launch_form.py parse_text), naming the field;
 * "" when it is valid. An empty text leaves an optional input to its default.
 * @param {FormField} field @param {string} text
 * @returns {string}
 */
export function fieldError(field, text) {
  const kind = field.kind;
  if (field.fixed || kind === "unsupported") return "";
  const t = text.trim();
  const say = (/** @type {string} */ why) => `${field.name}: ${why} (${field.type})`;
  if (t === "" && kind !== "str" && kind !== "none") return field.required ? say("a value is required") : "";
  if (kind === "int") return WHOLE.test(t) ? "" : say("enter a whole number, e.g. 42");
  if (kind === "float" || kind === "duration") {
    if (Number.isFinite(Number(t))) return "";
    return say(kind === "float" ? "enter a number, e.g. 0.5" : "enter a number of seconds, e.g. 90");
  }
  if (kind === "bool") return t === "true" || t === "false" ? "" : say("choose true or false");
  if (kind === "datetime") {
    return ISO_DATETIME.test(t) && !Number.isNaN(Date.parse(t.replace(" ", "T")))
      ? ""
      : say("enter an ISO 8601 date and time, e.g. 2026-11-01T06:30:00Z");
  }
  if (kind === "enum") {
    const values = field.values ?? [];
    return values.includes(t) ? "" : say(`choose one of ${values.join(", ")}`);
  }
  if (kind === "blob" || kind === "dataset") return URI.test(t) ? "" : say("enter a URI such as s3://bucket/key");
  if (kind === "none") return t ? say("this input takes no value: leave it empty") : "";
  if (JSON_KINDS.includes(kind)) {
    /** @type {unknown} */
    let value;
    try {
      value = JSON.parse(t);
    } catch (e) {
      return say(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (kind === "list" && !Array.isArray(value)) return say("enter a JSON list, e.g. [1, 2]");
    if (kind !== "list" && (value === null || typeof value !== "object" || Array.isArray(value))) {
      return say('enter a JSON object, e.g. {"a": 1}');
    }
    const err = jsonTypeError(field.type, value);
    return err ? say(err) : "";
  }
  return "";
}

/**
 * The texts to send for a launch (editable fields only), and the errors of the fields that are not valid.
 * @param {FormField[]} fields @param {Map<string, string>} texts the text of each field now (default: its own)
 * @returns {{inputs: Record<string, string>, errors: Record<string, string>}}
 */
export function formInputs(fields, texts) {
  /** @type {Record<string, string>} */
  const inputs = {};
  /** @type {Record<string, string>} */
  const errors = {};
  for (const f of fields) {
    if (f.fixed || f.kind === "unsupported") continue;
    const text = texts.get(f.name) ?? f.text;
    const err = fieldError(f, text);
    if (err) errors[f.name] = err;
    inputs[f.name] = text;
  }
  return { inputs, errors };
}

/**
 * The relaunch form under the header: asks the kernel for the fields (`relaunch_form`), shows one editable input
 * per field (a select for bools and enums, a text area for JSON, read-only for fixed inputs), checks each as it
 * is typed, and launches (`launch`) with the texts; errors the kernel finds go under their fields. "Relaunch
 * unchanged" is FlyteAdmin's RelaunchExecution. The widget then follows the new execution (a "reset" from the
 * kernel closes the form).
 */
export class RelaunchForm {
  /** @param {import("./widget.js").ViewContext} ctx */
  constructor(ctx) {
    this.ctx = ctx;
    this.el = h("div", "fxw-relaunch");
    this.el.hidden = true;
    /** @type {FormField[]} */
    this.fields = [];
    /** @type {Map<string, string>} */
    this.texts = new Map();
    /** @type {Map<string, HTMLElement>} */
    this.errorEls = new Map();
    this.launchBtn = /** @type {HTMLButtonElement|null} */ (null);
    this.status = h("span", "fxw-action-status");
  }

  /** Open the form (fetching its fields), or close it if it is open. */
  toggle() {
    if (!this.el.hidden) {
      this.close();
      return;
    }
    this.el.hidden = false;
    this.el.replaceChildren(h("span", "fxw-action-status", "loading the launch plan's inputs…"));
    const note = /** @type {HTMLElement} */ (this.el.firstChild);
    this.ctx.requests.request("relaunch_form", "", {}, busyNote(note, "loading the launch plan's inputs…")).then(
      (res) => this._render(res),
      (err) => {
        note.className = "fxw-action-status fxw-action-status--error";
        note.textContent = `cannot relaunch with new inputs: ${err?.message || String(err)}`;
        // FlyteAdmin's Relaunch needs no form: still offer it
        this.status = h("span", "fxw-action-status");
        const actions = h("div", "fxw-rl-actions");
        actions.append(this._sameButton(), this._cancelButton(), this.status);
        this.el.append(actions);
        console.warn("flyteexec-widget: relaunch_form failed", err);
      },
    );
  }

  close() {
    this.el.hidden = true;
    this.el.replaceChildren();
  }

  _sameButton() {
    const same = button("Relaunch unchanged", "relaunch-same");
    same.title = "FlyteAdmin's Relaunch: the same inputs, recorded as a relaunch of this execution";
    same.addEventListener("click", () => this._send("relaunch", {}, "relaunching…"));
    return same;
  }

  _cancelButton() {
    const cancel = button("Cancel", "relaunch-cancel");
    cancel.addEventListener("click", () => this.close());
    return cancel;
  }

  /** @param {{fields: FormField[], launch_plan?: {name: string, version: string}}} res */
  _render(res) {
    this.fields = Array.isArray(res?.fields) ? res.fields : [];
    this.texts = new Map(this.fields.map((f) => [f.name, String(f.text ?? "")]));
    this.errorEls = new Map();
    const box = this.el;
    box.replaceChildren();
    const lp = res?.launch_plan;
    box.append(
      h("div", "fxw-rl-title", lp ? `Relaunch ${lp.name} (version ${lp.version}) with these inputs` : "Relaunch with these inputs"),
    );
    const grid = h("div", "fxw-rl-fields");
    for (const f of this.fields) grid.append(this._field(f));
    box.append(grid);
    const actions = h("div", "fxw-rl-actions");
    this.launchBtn = button("Launch", "launch", "fxw-btn--primary");
    this.launchBtn.addEventListener("click", () => this._launch());
    this.status = h("span", "fxw-action-status");
    actions.append(this.launchBtn, this._sameButton(), this._cancelButton(), this.status);
    box.append(actions);
    this._check();
    /** @type {HTMLElement|null} */ (box.querySelector(".fxw-rl-input:not([readonly])"))?.focus();
  }

  /** @param {FormField} f */
  _field(f) {
    const row = h("div", "fxw-rl-field");
    row.dataset.name = f.name;
    row.dataset.kind = f.kind;
    const label = h("label", "fxw-rl-label");
    const id = `fxw-rl-${Math.random().toString(36).slice(2)}`;
    label.htmlFor = id;
    const typeText = f.fixed ? `${f.type}, fixed` : f.kind === "duration" ? `${f.type}, in seconds` : f.type;
    label.append(h("span", "fxw-rl-name", f.name), h("span", "fxw-rl-type", typeText));
    if (f.required) label.append(h("span", "fxw-rl-req", "required"));
    if (f.description) label.title = f.description;
    /** @type {HTMLInputElement|HTMLTextAreaElement|HTMLSelectElement} */
    let input;
    const text = this.texts.get(f.name) ?? "";
    if (!f.fixed && (f.kind === "bool" || f.kind === "enum")) {
      const sel = /** @type {HTMLSelectElement} */ (h("select", "fxw-rl-input"));
      const options = f.kind === "bool" ? ["true", "false"] : [...(f.values ?? [])];
      if (!f.required && text === "") options.unshift("");
      for (const v of options) {
        const o = /** @type {HTMLOptionElement} */ (h("option", "", v === "" ? "(default)" : v));
        o.value = v;
        sel.append(o);
      }
      sel.value = text;
      input = sel;
    } else if (JSON_KINDS.includes(f.kind) || f.kind === "union" || f.kind === "fixed") {
      const area = /** @type {HTMLTextAreaElement} */ (h("textarea", "fxw-rl-input fxw-rl-json"));
      area.rows = Math.min(6, Math.max(1, Math.ceil(text.length / 60)));
      area.value = text;
      area.spellcheck = false;
      input = area;
    } else {
      const inp = /** @type {HTMLInputElement} */ (h("input", "fxw-rl-input"));
      inp.value = text;
      if (f.kind === "datetime") inp.placeholder = "2026-11-01T06:30:00Z";
      else if (f.kind === "duration") inp.placeholder = "seconds";
      else if (f.kind === "blob" || f.kind === "dataset") inp.placeholder = "s3://bucket/key";
      input = inp;
    }
    input.id = id;
    input.setAttribute("aria-label", f.name);
    if (f.fixed || f.kind === "unsupported") {
      input.setAttribute("readonly", "");
      if (input instanceof HTMLSelectElement) input.disabled = true;
    } else {
      const onEdit = () => {
        this.texts.set(f.name, input.value);
        this._check();
      };
      input.addEventListener("input", onEdit);
      input.addEventListener("change", onEdit);
    }
    const err = h("div", "fxw-rl-error");
    err.setAttribute("role", "alert");
    this.errorEls.set(f.name, err);
    row.append(label, input, err);
    return row;
  }

  /** Show each field's error; Launch is enabled only when none has one. */
  _check() {
    const { errors } = formInputs(this.fields, this.texts);
    for (const [name, el] of this.errorEls) {
      el.textContent = errors[name] ?? "";
      el.closest(".fxw-rl-field")?.classList.toggle("fxw-rl-field--bad", Boolean(errors[name]));
    }
    if (this.launchBtn) this.launchBtn.disabled = Object.keys(errors).length > 0;
    return errors;
  }

  _launch() {
    if (Object.keys(this._check()).length) return;
    const { inputs } = formInputs(this.fields, this.texts);
    this._send("launch", { inputs }, "launching…");
  }

  /** @param {string} action @param {Record<string, unknown>} extra @param {string} busy */
  _send(action, extra, busy) {
    const status = this.status;
    status.className = "fxw-action-status";
    for (const b of this.el.querySelectorAll("button[data-action='launch'], button[data-action='relaunch-same']")) {
      /** @type {HTMLButtonElement} */ (b).disabled = true;
    }
    this.ctx.requests.request(action, "", extra, busyNote(status, busy)).then(
      (res) => {
        // Followed: the kernel's "reset" closed the form. Otherwise say where the new execution is.
        status.replaceChildren(res?.message || "done");
        if (res?.name) status.append(" ", link(res.url, res.name, "fxw-exec"));
        if (res?.follow_error) status.append(` (not shown here: ${res.follow_error})`);
      },
      (err) => {
        status.className = "fxw-action-status fxw-action-status--error";
        status.textContent = err?.message || String(err);
        const fields = err?.fields && typeof err.fields === "object" ? err.fields : {};
        for (const [name, msg] of Object.entries(fields)) {
          const el = this.errorEls.get(name);
          if (el) {
            el.textContent = `${name}: ${msg}`;
            el.closest(".fxw-rl-field")?.classList.add("fxw-rl-field--bad");
          }
        }
        for (const b of this.el.querySelectorAll("button[data-action='relaunch-same']")) {
          /** @type {HTMLButtonElement} */ (b).disabled = false;
        }
        if (this.launchBtn) this.launchBtn.disabled = false;
        console.warn(`flyteexec-widget: ${action} failed`, err);
      },
    );
  }
}

/**
 * What the trail line says about the execution shown (`trail`, `trail_at` traits): where it came from ("relaunched
 * from <name>") and where it led ("relaunched as <name>"), each a button that shows that execution here.
 * @param {Array<{name: string, how: string}>} trail @param {number} at
 * @returns {{back: {index: number, text: string, name: string}|null, forward: {index: number, text: string, name: string}|null}}
 */
export function trailLinks(trail, at) {
  const items = Array.isArray(trail) ? trail : [];
  const cur = items[at];
  const back = at > 0 && cur && items[at - 1] ? { index: at - 1, text: `${cur.how || "followed"} from`, name: items[at - 1].name } : null;
  const next = items[at + 1];
  const forward = next ? { index: at + 1, text: `${next.how || "followed"} as`, name: next.name } : null;
  return { back, forward };
}

/** The trail line in the header (see trailLinks); a click asks the kernel to `follow` that execution. */
export class TrailView {
  /** @param {import("./widget.js").ViewContext} ctx */
  constructor(ctx) {
    this.ctx = ctx;
    this.el = h("div", "fxw-trail");
    this.el.hidden = true;
  }

  render() {
    const { model } = this.ctx;
    const trail = model.get("trail") || [];
    const at = Number(model.get("trail_at") || 0);
    const { back, forward } = trailLinks(trail, at);
    this.el.replaceChildren();
    this.el.hidden = !back && !forward;
    const status = h("span", "fxw-action-status");
    /** @param {{index: number, text: string, name: string}} step @param {string} action */
    const stepView = (step, action) => {
      const part = h("span", "fxw-trail-step");
      const go = button(step.name, action, "fxw-btn--link");
      go.title = `Show ${step.name} in this widget`;
      go.addEventListener("click", () => {
        go.disabled = true;
        this.ctx.requests.request("follow", "", { index: step.index }, busyNote(status, `opening ${step.name}…`)).then(
          () => (status.textContent = ""),
          (err) => {
            go.disabled = false;
            status.className = "fxw-action-status fxw-action-status--error";
            status.textContent = err?.message || String(err);
            console.warn("flyteexec-widget: follow failed", err);
          },
        );
      });
      part.append(`${step.text} `, go);
      const url = trail[step.index]?.url;
      if (url) {
        const console_ = link(url, "↗", "fxw-trail-console");
        console_.title = `${step.name} in the console`;
        part.append(" ", console_);
      }
      return part;
    };
    if (back) this.el.append(stepView(back, "follow-back"));
    if (back && forward) this.el.append(h("span", "fxw-trail-sep", "·"));
    if (forward) this.el.append(stepView(forward, "follow-forward"));
    this.el.append(status);
  }
}
