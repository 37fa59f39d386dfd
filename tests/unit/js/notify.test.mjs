// static/notify.js under node: the bell's toggle and permission request, one announcement per model, the title mark.
import { test } from "node:test";
import assert from "node:assert/strict";
import { NotifyBell, endNotice } from "../../../flyteexec_widget/display/static/notify.js";

/** A minimal element: what the bell sets on its button. */
class FakeEl {
  constructor() {
    /** @type {Record<string, string>} */
    this.attrs = {};
    this.dataset = {};
    this.hidden = false;
    /** @type {FakeEl[]} */
    this.children = [];
    this.title = "";
    /** @type {(() => void)[]} */
    this.clicks = [];
  }
  /** @param {string} k @param {string} v */
  setAttribute(k, v) {
    this.attrs[k] = v;
  }
  /** @param {...FakeEl} kids */
  append(...kids) {
    this.children.push(...kids);
  }
  /** @param {...FakeEl} kids */
  replaceChildren(...kids) {
    this.children = kids;
  }
  /** @param {string} _ev @param {() => void} fn */
  addEventListener(_ev, fn) {
    this.clicks.push(fn);
  }
  click() {
    for (const fn of this.clicks) fn();
  }
}

/** A page: document (title, visibility, focus, events), window, and a Notification that records what it shows. */
const page = (permission = "default", { visible = false, focused = false } = {}) => {
  /** @type {Record<string, (() => void)[]>} */
  const listeners = { visibilitychange: [], focus: [] };
  /** @type {{title: string, opts: any}[]} */
  const shown = [];
  let asked = 0;
  class N {
    /** @param {string} title @param {any} opts */
    constructor(title, opts) {
      shown.push({ title, opts });
    }
    static requestPermission() {
      asked += 1;
      N.permission = "granted";
      return Promise.resolve("granted");
    }
  }
  N.permission = permission;
  /** @type {(() => void)[]} */
  const observers = [];
  class MO {
    /** @param {() => void} fn */
    constructor(fn) {
      this.fn = fn;
    }
    observe() {
      observers.push(this.fn);
    }
    disconnect() {
      observers.splice(observers.indexOf(this.fn), 1);
    }
  }
  const doc = {
    head: {},
    title: "demo.ipynb - JupyterLab",
    visibilityState: visible ? "visible" : "hidden",
    hasFocus: () => focused,
    createElement: () => new FakeEl(),
    createElementNS: () => new FakeEl(),
    /** @param {string} ev @param {() => void} fn */
    addEventListener: (ev, fn) => listeners[ev].push(fn),
    /** @param {string} ev @param {() => void} fn */
    removeEventListener: (ev, fn) => (listeners[ev] = listeners[ev].filter((f) => f !== fn)),
  };
  const win = {
    /** @param {string} ev @param {() => void} fn */
    addEventListener: (ev, fn) => listeners[ev].push(fn),
    /** @param {string} ev @param {() => void} fn */
    removeEventListener: (ev, fn) => (listeners[ev] = listeners[ev].filter((f) => f !== fn)),
  };
  /** @param {string} ev */
  const fire = (ev) => listeners[ev].forEach((fn) => fn());
  /** The page rewrites its title (JupyterLab does on a save): the observers see <head> change. @param {string} t */
  const retitle = (t) => {
    doc.title = t;
    observers.slice().forEach((fn) => fn());
  };
  const env = /** @type {any} */ ({ doc, win, Notification: N, MutationObserver: MO });
  return { env, doc, shown, fire, asked: () => asked, N, retitle, observers };
};

/** A widget model with the traits the bell reads. */
const modelOf = (header = { phase: "RUNNING", terminal: false, name: "abc" }, notify = false) => {
  /** @type {Record<string, any>} */
  const traits = { header, notify, instance: "i1" };
  let saves = 0;
  return {
    get: (/** @type {string} */ k) => traits[k],
    set: (/** @type {string} */ k, /** @type {any} */ v) => (traits[k] = v),
    save_changes: () => (saves += 1),
    traits,
    saves: () => saves,
  };
};

const END = { phase: "SUCCEEDED", label: "Succeeded", terminal: true, name: "abc", project: "p", domain: "d", workflow: "wf" };

test("endNotice: a success, a failure and another end", () => {
  assert.deepEqual(endNotice(END, false), { title: "abc succeeded", body: "wf p/d/abc Succeeded", mark: "✓ abc — " });
  assert.equal(endNotice({ ...END, phase: "FAILED", label: "Failed" }, true).mark, "✗ abc — ");
  assert.equal(endNotice({ ...END, phase: "ABORTED", label: "Aborted" }, false).mark, "■ abc — ");
});

test("the bell toggles the notify trait; turning it on asks for the permission only then", async () => {
  const { env, asked } = page("default");
  const model = modelOf();
  const bell = new NotifyBell(model, {}, () => false, env);
  assert.equal(asked(), 0); // never asked without a click
  assert.equal(bell.el.attrs["aria-pressed"], "false");
  const strikes = () => bell.el.children[0].children.filter((p) => p.attrs.class === "fxw-bell-strike").length;
  assert.equal(strikes(), 1); // the bell struck through: off
  bell.el.click();
  assert.equal(model.traits.notify, true);
  assert.equal(model.saves(), 1);
  assert.equal(asked(), 1);
  assert.equal(bell.el.attrs["aria-pressed"], "true");
  assert.equal(strikes(), 0);
  bell.el.click(); // off again: no new request
  assert.equal(model.traits.notify, false);
  assert.equal(asked(), 1);
});

test("a bell turned on from Python asks for the permission on its first click, and stays on", () => {
  const { env, asked } = page("default");
  const model = modelOf(undefined, true); // watch(notify=True)
  const bell = new NotifyBell(model, {}, () => false, env);
  assert.match(bell.el.title, /click to allow browser notifications/);
  bell.el.click();
  assert.equal(asked(), 1);
  assert.equal(model.traits.notify, true);
  assert.equal(model.saves(), 0); // unchanged: nothing to send
});

test("the end is announced once per model, with a notification and a title mark cleared when the tab is seen", () => {
  const { env, doc, shown, fire, retitle, observers } = page("granted");
  const model = modelOf(undefined, true);
  const key = {};
  const one = new NotifyBell(model, key, () => false, env);
  const two = new NotifyBell(model, key, () => false, env); // a second output of the same widget
  model.traits.header = END;
  one.headerChanged();
  two.headerChanged();
  assert.deepEqual(shown, [{ title: "abc succeeded", opts: { body: "wf p/d/abc Succeeded", tag: "flyteexec-widget:p:d:abc" } }]);
  assert.equal(doc.title, "✓ abc — demo.ipynb - JupyterLab");
  assert.equal(one.el.hidden, true); // nothing left to be told about
  fire("focus"); // still hidden: not seen yet
  assert.equal(doc.title, "✓ abc — demo.ipynb - JupyterLab");
  retitle("demo.ipynb - JupyterLab"); // the page rewrote its title: the mark comes back
  assert.equal(doc.title, "✓ abc — demo.ipynb - JupyterLab");
  doc.visibilityState = "visible";
  fire("visibilitychange");
  assert.equal(doc.title, "demo.ipynb - JupyterLab");
  assert.equal(observers.length, 0); // seen: nothing keeps a mark any more
  retitle("other.ipynb - JupyterLab");
  assert.equal(doc.title, "other.ipynb - JupyterLab");
});

test("two widgets of one execution tag their notifications alike (the browser shows one) and mark the title once", () => {
  const { env, doc, shown } = page("granted");
  const first = modelOf(undefined, true);
  const second = modelOf(undefined, true);
  second.traits.instance = "i2"; // watch(ex, notify=True) run twice: two widgets, two models
  const a = new NotifyBell(first, {}, () => false, env);
  const b = new NotifyBell(second, {}, () => false, env);
  first.traits.header = END;
  second.traits.header = END;
  a.headerChanged();
  b.headerChanged();
  assert.deepEqual(
    shown.map((n) => n.opts.tag),
    ["flyteexec-widget:p:d:abc", "flyteexec-widget:p:d:abc"],
  );
  assert.equal(doc.title, "✓ abc — demo.ipynb - JupyterLab");
});

test("nothing is announced when the bell is off, for a view opened on a finished execution, or without permission", () => {
  const off = page("granted");
  const model = modelOf();
  const bell = new NotifyBell(model, {}, () => false, off.env);
  model.traits.header = END;
  bell.headerChanged();
  assert.deepEqual(off.shown, []);
  assert.equal(off.doc.title, "demo.ipynb - JupyterLab");

  const late = page("granted");
  const finished = modelOf(END, true);
  new NotifyBell(finished, {}, () => false, late.env).headerChanged();
  assert.deepEqual(late.shown, []);

  const unknown = page("granted"); // a view made before the first sync (wait() on a finished execution)
  const empty = modelOf(/** @type {any} */ ({}), true);
  const first = new NotifyBell(empty, {}, () => false, unknown.env);
  empty.traits.header = END;
  first.headerChanged();
  assert.deepEqual(unknown.shown, []);

  const denied = page("denied");
  const m = modelOf(undefined, true);
  const b = new NotifyBell(m, {}, () => true, denied.env);
  m.traits.header = { ...END, phase: "FAILED", label: "Failed" };
  b.headerChanged();
  assert.deepEqual(denied.shown, []); // no permission: no notification...
  assert.equal(denied.doc.title, "✗ abc — demo.ipynb - JupyterLab"); // ...but the title tells
});

test("a tab the user is looking at gets the notification but no title mark", () => {
  const { env, doc, shown } = page("granted", { visible: true, focused: true });
  const model = modelOf(undefined, true);
  const bell = new NotifyBell(model, {}, () => false, env);
  model.traits.header = END;
  bell.headerChanged();
  assert.equal(shown.length, 1);
  assert.equal(doc.title, "demo.ipynb - JupyterLab");
});

test("a widget that follows a relaunch announces the new execution's end too, and not an ended one stepped back to", () => {
  const { env, shown } = page("granted", { visible: true });
  const model = modelOf({ ...END, phase: "RUNNING", terminal: false }, true);
  const key = {};
  const bell = new NotifyBell(model, key, () => false, env);
  model.traits.header = { ...END, phase: "FAILED", label: "Failed" };
  bell.headerChanged(); // the original fails: told
  // Relaunch... followed: the same widget (the same model key) shows the new execution, running, then its end
  model.traits.header = { ...END, name: "new1", phase: "RUNNING", terminal: false };
  bell.headerChanged();
  assert.equal(bell.el.hidden, false); // the bell is back for the execution now shown
  model.traits.header = { ...END, name: "new1" };
  bell.headerChanged();
  assert.deepEqual(
    shown.map((n) => n.title),
    ["abc failed", "new1 succeeded"],
  );
  // back along the trail to the original (ended long ago), and forward again: nothing more is announced
  model.traits.header = { ...END, phase: "FAILED", label: "Failed" };
  bell.headerChanged();
  model.traits.header = { ...END, name: "new1" };
  bell.headerChanged();
  assert.equal(shown.length, 2);
});

test("stepping back along the trail to an execution that ended before it was shown announces nothing", () => {
  const { env, shown } = page("granted", { visible: true });
  const model = modelOf({ ...END, phase: "FAILED", label: "Failed" }, true); // opened on a failed one
  const bell = new NotifyBell(model, {}, () => false, env);
  model.traits.header = { ...END, name: "new1", phase: "RUNNING", terminal: false }; // relaunched, followed
  bell.headerChanged();
  model.traits.header = { ...END, phase: "FAILED", label: "Failed" }; // back to the original while new1 runs
  bell.headerChanged();
  assert.deepEqual(shown, []);
});
