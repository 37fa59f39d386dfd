// @ts-check
// Told when it ends: the header's bell (the `notify` trait) and what happens when the execution reaches a terminal
// phase while it is on: a browser notification (Notification API; permission is asked only when the user clicks
// the bell), and the tab title marked ("✓ name — ") until the tab is seen (visibilitychange / focus). JupyterLab
// rewrites document.title whenever the current document's title changes (a save flips its dirty mark): a
// MutationObserver on <head> puts the mark back until the tab is seen.
// Everything the server sent is text here: Notification titles/bodies and document.title are never parsed as HTML.

/**
 * What the end of an execution says: the notification's title and body, and the tab title's mark.
 * @param {Record<string, any>} hd the `header` trait @param {boolean} failed the phase table's failed flag
 * @returns {{title: string, body: string, mark: string}}
 */
export function endNotice(hd, failed) {
  const name = String(hd?.name || "execution");
  const label = String(hd?.label || hd?.phase || "ended");
  const ref = [hd?.project, hd?.domain, hd?.name].filter(Boolean).map(String).join("/");
  const symbol = failed ? "✗" : String(hd?.phase) === "SUCCEEDED" ? "✓" : "■";
  return {
    title: `${name} ${label.toLowerCase()}`,
    body: `${String(hd?.workflow || "workflow")} ${ref} ${label}`.trim(),
    mark: `${symbol} ${name} — `,
  };
}

const BELL_SVG_NS = "http://www.w3.org/2000/svg";

/**
 * The bell, drawn (an emoji would need a font the machine may lack); struck through when off.
 * @param {Document} doc @param {boolean} on
 */
function bellIcon(doc, on) {
  const svg = doc.createElementNS(BELL_SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "fxw-bell-icon");
  const shapes = [["M6 16v-5a6 6 0 0 1 12 0v5l2 2H4z", ""], ["M10 20a2 2 0 0 0 4 0z", ""]];
  if (!on) shapes.push(["M3 3l18 18", "fxw-bell-strike"]);
  for (const [d, cls] of shapes) {
    const path = doc.createElementNS(BELL_SVG_NS, "path");
    path.setAttribute("d", d);
    if (cls) path.setAttribute("class", cls);
    svg.append(path);
  }
  return svg;
}

/** Per model, the executions whose end was announced already (one notification per execution, however many views
 * it has; a widget that follows a relaunch shows several executions in turn, each announced once). */
const ANNOUNCED = new WeakMap();

/** Which execution a header shows: its name (a relaunch or recovery gets a new one; "" before it is known).
 * @param {any} hd */
function headerRef(hd) {
  return String(hd.name || "");
}

/**
 * The environment a NotifyBell works in: the page's by default; tests pass their own.
 * @typedef {{doc: Document, win: Window, Notification: any, MutationObserver: any}} NotifyEnv
 */
/** @returns {NotifyEnv} */
function pageEnv() {
  return {
    doc: document,
    win: window,
    Notification: typeof Notification === "undefined" ? null : Notification,
    MutationObserver: typeof MutationObserver === "undefined" ? null : MutationObserver,
  };
}

/**
 * The bell of one view: a toggle button for the `notify` trait, and the watcher of the header for the end.
 * `key` identifies the model (its SharedModel): the end is announced once per model.
 */
export class NotifyBell {
  /**
   * @param {{get: (n: string) => any, set: (n: string, v: any) => void, save_changes: () => void}} model
   * @param {object} key @param {(phase: string) => boolean} isFailed @param {NotifyEnv} [env]
   */
  constructor(model, key, isFailed, env) {
    this.model = model;
    this.key = key;
    this.isFailed = isFailed;
    this.env = env || pageEnv();
    const hd = model.get("header") || {};
    /** Whether this view saw the execution before its end (a view opened on a finished one announces nothing; an
     * empty header, before the first sync, is not known to run). */
    this.sawRunning = Boolean(hd.phase) && !hd.terminal;
    /** The execution the header showed last: a widget that follows a relaunch (or steps back along its trail)
     * shows another one, whose end is told (or not) on its own. */
    this.ref = headerRef(hd);
    /** @type {string|null} the mark this view put on the tab title */
    this.mark = null;
    /** @type {{disconnect: () => void}|null} what keeps the mark on while the page rewrites the title */
    this.keeper = null;
    this.el = this.env.doc.createElement("button");
    this.el.type = "button";
    this.el.className = "fxw-btn fxw-bell";
    this.el.dataset.action = "notify";
    this.el.addEventListener("click", () => this.toggle());
    this.unmark = () => this.clearMark();
    this.env.doc.addEventListener("visibilitychange", this.unmark);
    this.env.win.addEventListener("focus", this.unmark);
    this.render();
  }

  /** The permission the browser gives notifications: "granted", "denied", "default", or "unsupported". */
  permission() {
    return this.env.Notification ? String(this.env.Notification.permission) : "unsupported";
  }

  /** The button's look from the trait and the permission; hidden once the execution ended. */
  render() {
    const on = Boolean(this.model.get("notify"));
    const hd = this.model.get("header") || {};
    const el = this.el;
    el.hidden = Boolean(hd.terminal);
    el.replaceChildren(bellIcon(this.env.doc, on));
    el.setAttribute("aria-pressed", String(on));
    el.setAttribute("aria-label", on ? "Notify when it ends: on" : "Notify when it ends: off");
    const perm = this.permission();
    el.title = !on
      ? "Tell me when it ends (a browser notification and a mark on the tab's title)"
      : perm === "granted"
        ? "You will be notified when it ends (click to turn off)"
        : perm === "default"
          ? "The tab title will be marked when it ends; click to allow browser notifications too"
          : "The tab title will be marked when it ends (browser notifications are blocked or unsupported here)";
  }

  /** The user's click: asks for the notification permission while it is undecided and the bell is (turned) on;
   * otherwise flips the trait. So a bell turned on from Python (`notify=True`) asks on its first click. */
  toggle() {
    const N = this.env.Notification;
    const undecided = Boolean(N && N.permission === "default" && typeof N.requestPermission === "function");
    const on = undecided || !this.model.get("notify");
    if (on !== Boolean(this.model.get("notify"))) {
      this.model.set("notify", on);
      this.model.save_changes();
    }
    if (on && undecided) {
      // only here, on the user's click: browsers ignore (and penalise) permission requests without one
      Promise.resolve(N.requestPermission())
        .catch(() => "default")
        .finally(() => this.render());
    }
    this.render();
  }

  /** The header changed: announce the end once, when this view saw it running and the bell is on. */
  headerChanged() {
    const hd = this.model.get("header") || {};
    this.render();
    const ref = headerRef(hd);
    if (ref && ref !== this.ref) {
      // Another execution (a relaunch followed, a step along the trail): seen running only if it runs now; one
      // shown already ended is not announced (e.g. the original, stepped back to).
      this.ref = ref;
      this.sawRunning = false;
    }
    if (!hd.terminal) {
      if (hd.phase) this.sawRunning = true;
      return;
    }
    if (!this.sawRunning || !this.model.get("notify")) return;
    const announced = ANNOUNCED.get(this.key) ?? new Set();
    if (announced.has(ref)) return;
    ANNOUNCED.set(this.key, announced.add(ref));
    // The tag names the execution, not this widget: two widgets of one execution with their bells on (watch() run
    // twice, or a displayed execution and a watch() of it) give one notification (the browser replaces a tagged one)
    const full = [hd.project, hd.domain, hd.name].filter(Boolean).map(String).join(":");
    const tag = full ? `flyteexec-widget:${full}` : String(this.model.get("instance") || "");
    this.announce(endNotice(hd, this.isFailed(String(hd.phase || ""))), tag);
  }

  /** @param {{title: string, body: string, mark: string}} notice @param {string} tag */
  announce(notice, tag) {
    const N = this.env.Notification;
    if (N && N.permission === "granted") {
      try {
        new N(notice.title, { body: notice.body, tag: tag || undefined });
      } catch (e) {
        // e.g. Chrome on Android allows notifications only from a service worker: the title mark still shows
        console.warn("flyteexec-widget: could not show a notification", e);
      }
    }
    if (this.seen()) return; // the user is looking at the tab
    this.mark = notice.mark;
    this.keepMark();
    const MO = this.env.MutationObserver;
    if (MO && this.env.doc.head) {
      const keeper = new MO(() => this.keepMark());
      keeper.observe(this.env.doc.head, { childList: true, characterData: true, subtree: true });
      this.keeper = keeper;
    }
  }

  /** Put the mark (back) at the start of the tab title; no change when it is there (so no observer loop). */
  keepMark() {
    const doc = this.env.doc;
    if (this.mark !== null && !doc.title.startsWith(this.mark)) doc.title = this.mark + doc.title;
  }

  /** Whether the user sees the tab now. */
  seen() {
    const doc = this.env.doc;
    return doc.visibilityState === "visible" && (typeof doc.hasFocus !== "function" || doc.hasFocus());
  }

  /** Remove our mark from the tab title once the tab is seen (`force`: now, the view goes away). */
  clearMark(force = false) {
    if (this.mark === null || (!force && this.env.doc.visibilityState !== "visible")) return;
    this.keeper?.disconnect();
    this.keeper = null;
    const doc = this.env.doc;
    if (doc.title.startsWith(this.mark)) doc.title = doc.title.slice(this.mark.length);
    this.mark = null;
  }

  destroy() {
    this.clearMark(true);
    this.env.doc.removeEventListener("visibilitychange", this.unmark);
    this.env.win.removeEventListener("focus", this.unmark);
  }
}
