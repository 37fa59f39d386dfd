"""The notebook widget ``ExecutionWidget`` (anywidget) and its comm protocol with the view.

The front end is the plain ES module ``static/widget.js`` (views may live in sibling files, joined by
:mod:`.assets`) with ``static/widget.css`` (package data: no bundler, no CDN). Three traits (``header``,
``counts``, ``sync_status``) mirror the :class:`~flyteexec_widget.live.model.ExecutionModel`;
the node rows travel as custom messages so a change to one node sends that row only (see docs/architecture.md,
"Widget protocol"). Rows never wait for the kernel to be idle: the kernel sends them unasked, from whichever
thread has them (iopub is not blocked by a running cell), and the browser keeps one row store per widget model
that every view of it reads (``initialize`` in widget.js), so a second output of the widget fills at once too:

- kernel -> browser ``{"type": "snapshot", "version", "rows"}``: the rows at ``version``, pushed whenever the widget
  is displayed, and sent in answer to ``{"type": "snapshot"}`` from the browser (a model restored after a page
  reload, which the trait ``snapshot_version`` >= 0 tells, or a store that missed a patch);
- kernel -> browser ``{"type": "patch", "version", "rows", "removed"}`` for every change published by the model
  once the widget was displayed, where each row is a delta (:func:`row_delta`): ``key`` plus the fields that
  differ from the model's previous version of that row (a field that disappeared is sent as ``null``), or the
  whole row if this widget never saw the key published; the store merges it into the row it holds;
- kernel -> browser ``{"type": "reset"}`` when the widget starts showing another execution (:meth:`ExecutionWidget.
  follow`: a relaunch, a recovery, a launch with new inputs, or a step along ``trail``): the browser drops the rows
  and view state it holds; the new model's snapshot follows (its versions start over);
- browser -> kernel ``{"type": "request", "id", "action", "key", ...}``; kernel -> browser ``{"type": "accepted",
  "id"}`` as soon as the kernel reads it (until then the view says it is waiting for the kernel: a running cell
  holds requests back, except during ``wait()``), then ``{"type": "response", "id", "ok": true, "result"}`` or
  ``{"type": "response", "id", "ok": false, "error"}``.

This module dispatches a request by its action to a handler (``ExecutionWidget._HANDLERS``; the handlers and
their contract live in :mod:`.requests` and its ``requests_*`` modules) on a worker thread (a data fetch or an
action is one RPC with a deadline) so the kernel stays free; a failure is logged and sent back as data, never
swallowed.

Displayed (:meth:`ExecutionWidget._ipython_display_`), the widget makes two outputs: a saved snapshot (``text/html``
and ``text/plain``, refreshed while the execution runs and once it is done) and the live view. A notebook front
end shows one of them (CSS in the snapshot: the live view when its model exists, else the snapshot), so a notebook
reopened without its kernel, or reloaded while a cell runs, shows the execution's last state instead of an error.

How a widget gets on screen (``watch()``, the display hooks of the execution wrappers, ``wait()``) is
:mod:`.notebook`'s job; this module is the widget alone.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

import anywidget
import ipywidgets
import traitlets
from IPython.display import display

from ..live import scheduler
from ..live.model import ExecutionModel
from ..live.on_done import FollowedOnDone
from ..live.rows import DERIVED_FIELDS, Row, row_defaults, row_style, safe_url
from ..objects import phases
from ..objects.executions import FlyteWorkflowExecution
from . import assets, requests_actions, requests_data, requests_graph
from .render import ExecutionState, render_html, render_saved_html, render_text
from .requests import RequestError, answer, request_id, require_execution, require_remote

__all__ = [
    "ExecutionWidget",
    "ModelLike",
    "WatchLike",
    "open_widgets_for",
    "phase_styles",
    "row_delta",
    "selected_output",
    "wire_row",
]

logger = logging.getLogger(__name__)

_STATIC = assets.STATIC

#: The saved snapshot (the output a notebook shows without its kernel) is refreshed at most this often while the
#: execution runs (and once more when the watch is done): a notebook saved mid-run keeps a recent tree.
SAVED_SNAPSHOT_EVERY_S = 5.0

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class ModelLike(ExecutionState, Protocol):
    """What the widget needs from an :class:`~flyteexec_widget.live.model.ExecutionModel` (the documented
    contract): what the renderers read, plus atomic row snapshots and versioned row changes, the wrappers behind
    rows, a batch hook (one comm message per sync), "a view is on screen", and trait observation."""

    @property
    def execution(self) -> Any: ...

    @property
    def rows(self) -> Mapping[str, Row]: ...

    def snapshot(self) -> tuple[int, list[Row]]: ...

    def on_rows_change(self, callback: Callable[[int, list[Row], list[str]], None]) -> Callable[[], None]: ...

    def add_batch_hook(self, factory: Callable[[], AbstractContextManager[Any]]) -> Callable[[], None]: ...

    def mark_shown(self) -> None: ...

    def node(self, key: str) -> Any: ...

    def observe(self, handler: Callable[[Any], None], names: Any = ...) -> None: ...

    def unobserve(self, handler: Callable[[Any], None], names: Any = ...) -> None: ...


#: The members :class:`ModelLike` declares (its own and the renderers'), checked when a widget is created so a wrong
#: model fails with a clear error; read from the Protocols, so the check cannot drift from the contract.
_MODEL_MEMBERS = tuple(n for cls in (ExecutionState, ModelLike) for n in vars(cls) if not n.startswith("_"))


class WatchLike(Protocol):
    """A running scheduler watch (``scheduler.watch(...)``): stopped when the widget closes."""

    def stop(self) -> None: ...


Runner = Callable[[Callable[[], None]], None]
#: Starts the watch that keeps a followed execution's model fresh: ``(execution, model) -> watch``.
Watcher = Callable[[Any, Any], WatchLike]


def _watch_with_scheduler(execution: Any, model: Any) -> WatchLike:
    started: WatchLike = scheduler.watch(execution, model)
    return started


def _run_in_daemon_thread(fn: Callable[[], None]) -> None:
    """Answer a request off the kernel's main thread: the RPC behind it must not freeze the notebook."""
    threading.Thread(target=fn, name="flyteexec-widget-request", daemon=True).start()


def phase_styles() -> dict[str, dict[str, dict[str, Any]]]:
    """The phase table of :mod:`~flyteexec_widget.objects.phases` as plain JSON: kind -> phase name -> style.

    Sent once to the view (trait ``styles``), so the browser uses the same labels and colour tokens as Python
    and there is no second table in JavaScript.
    """
    enums: dict[phases.PhaseKind, type[enum.IntEnum]] = {
        "workflow": phases.WorkflowPhase,
        "node": phases.NodePhase,
        "task": phases.TaskPhase,
    }
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, enum_cls in enums.items():
        out[kind] = {}
        for member in enum_cls:
            out[kind][member.name] = _style_json(phases.style(kind, member))
    out["node"][phases.NOT_STARTED] = _style_json(phases.NOT_STARTED_STYLE)
    # A gate's phases where they differ from a node's (rows.row_style): the view derives row labels from this.
    out["gate"] = {phases.NodePhase.RUNNING.name: _style_json(phases.PAUSED_STYLE)}
    return out


def _style_json(s: phases.PhaseStyle) -> dict[str, Any]:
    return {"label": s.label, "color": s.color, "terminal": s.terminal, "succeeded": s.succeeded, "failed": s.failed}


#: What a view assumes for a row field that a whole row leaves out (rows.row_defaults; widget.js ROW_DEFAULTS).
_DEFAULTS: Mapping[str, Any] = row_defaults()


def _is_default(name: str, value: Any) -> bool:
    default = _DEFAULTS.get(name, _NO_DEFAULT)
    # The type too: 0 == False == 0.0 in Python, not on the page (a 0.0 duration is not "no duration").
    return value is default or (type(value) is type(default) and value == default)


_NO_DEFAULT = object()


def _style_derived(row: Mapping[str, Any]) -> bool:
    """Whether the view derives the row's label, colour and terminal flag as the row has them (rows.row_style)."""
    st = row_style(str(row.get("kind", "")), str(row.get("phase", "")))
    return row.get("label") == st.label and row.get("color") == st.color and row.get("terminal") is st.terminal


def wire_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A whole row as it travels to the view: ``key`` plus every field that is not at its default
    (:func:`~flyteexec_widget.live.rows.row_defaults`), without the label, colour and terminal flag when the view
    derives them from the row's kind and phase (:data:`~flyteexec_widget.live.rows.DERIVED_FIELDS`). The view
    fills both back (widget.js ``mergeRow``), so it holds the row as published."""
    derived = _style_derived(row)
    out: dict[str, Any] = {"key": row["key"]}
    for name, value in row.items():
        if name == "key" or (derived and name in DERIVED_FIELDS) or _is_default(name, value):
            continue
        out[name] = value
    return out


def row_delta(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a patch carries for row ``new`` when the view holds ``old``: ``key`` plus the fields that differ.

    ``old`` None (a row the view never got from this baseline) gives the whole row, as :func:`wire_row`. A field
    of ``old`` missing from ``new`` is sent as ``None`` (JSON null): rows have a fixed set of fields where null
    means "none", so the merged row reads the same as the published one. The label, colour and terminal flag are
    left out when the view derives them from the merged row's kind and phase, else all three are sent (widget.js
    re-derives those a delta leaves out).
    """
    if old is None:
        return wire_row(new)
    delta: dict[str, Any] = {"key": new["key"]}
    derived = _style_derived(new)
    for name, value in new.items():
        if name in DERIVED_FIELDS:
            if not derived:
                delta[name] = value
            continue
        if name not in old:
            delta[name] = value
            continue
        before = old[name]
        # Identity first: the model reuses unchanged nested values (log lists, error dicts) between builds.
        if value is not before and value != before:
            delta[name] = value
    for name in old:
        if name not in new:
            delta[name] = None
    return delta


# ---------------------------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------------------------


class ExecutionWidget(anywidget.AnyWidget):
    """A live view of one workflow execution: header, per-phase counts, and the node execution tree.

    ``model`` is the :class:`~flyteexec_widget.live.model.ExecutionModel` kept fresh by a scheduler watch; ``watch``
    (optional) is stopped when the widget is closed. ``remote`` and ``execution`` serve data requests and actions
    (Approve/Reject/signal/Terminate); without a remote the view hides the actions. ``runner`` runs each request's
    handler (default: a daemon thread; tests pass ``lambda fn: fn()``).

    ``selected_output`` holds the Python value of the input/output entry last clicked in the view.
    """

    # The front end, declared as our own traits and read when a widget is made. Given as Paths, anywidget would
    # connect a closure over each instance to a class-level file-watch signal that is never disconnected, so no
    # widget (nor its model and execution tree) would ever be freed (manzt/anywidget#929).
    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)

    header = traitlets.Dict().tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)
    sync_status = traitlets.Dict().tag(sync=True)
    #: The phase table (kind -> phase name -> label/colour token/flags), from phases.py.
    styles = traitlets.Dict().tag(sync=True)
    #: Whether the actions (Approve/Reject/signal/Terminate) can work: a remote is known.
    can_act = traitlets.Bool(False).tag(sync=True)
    #: A random id per widget: the views of one widget in a page share one row store under it, and what a view
    #: remembers (expanded rows, an action's outcome...) outlives it: a display update makes the view again, over
    #: a new model object in the browser.
    instance = traitlets.Unicode("").tag(sync=True)
    #: The version of the last row snapshot pushed to the browser (-1: none yet). A model the browser restores
    #: later (a page reload) gets it with its state, sees that it missed that push, and asks for a snapshot.
    snapshot_version = traitlets.Int(-1).tag(sync=True)
    #: The executions this widget has shown since the first relaunch/recover it followed, oldest first:
    #: ``{"name", "project", "domain", "url", "how"}`` (``how``: how it came from the one before, e.g.
    #: "relaunched"); empty until then. ``trail_at`` is the one shown.
    trail = traitlets.List(traitlets.Dict()).tag(sync=True)
    trail_at = traitlets.Int(0).tag(sync=True)

    #: Tell the user when the execution ends (the header's bell; ``watch(notify=True)``): a browser notification
    #: and a marked tab title, done by the view (static/notify.js).
    notify = traitlets.Bool(False).tag(sync=True)

    #: The Python value of the last input/output entry clicked in the view (not synced: may be any object).
    selected_output = traitlets.Any(None)
    #: Where it came from, e.g. ``{"key": "n0", "which": "outputs", "path": "o0[2]"}``.
    selected_from = traitlets.Dict()

    # Until __init__ got far enough to set it False, there is nothing of ours to close: ipywidgets' __del__ calls
    # close() also on a widget whose __init__ raised (e.g. over a model that lacks part of ModelLike).
    _closed = True

    def __init__(
        self,
        model: ModelLike,
        *,
        execution: FlyteWorkflowExecution | None = None,
        remote: Any = None,
        watch: WatchLike | None = None,
        runner: Runner | None = None,
        watcher: Watcher | None = None,
        on_done: FollowedOnDone | None = None,
        **kwargs: Any,
    ) -> None:
        for name in _MODEL_MEMBERS:
            if not hasattr(model, name):
                raise TypeError(f"ExecutionWidget needs an ExecutionModel (missing {name!r}), got {type(model)!r}")
        self._model = model
        self._execution = execution
        self._remote = remote if remote is not None else getattr(execution, "_remote", None)
        self._watch = watch
        self._runner: Runner = runner or _run_in_daemon_thread
        self._watcher: Watcher = watcher or _watch_with_scheduler
        self._on_done = on_done  # watch(on_done=...): moves to a followed execution until it ran
        self._trail_executions: list[Any] = []  # the wrappers behind ``trail``
        self._follow_lock = threading.Lock()  # one follow at a time
        self._request_cache: dict[str, Any] = {}  # what request handlers keep for the execution shown
        self._views_seen = False  # patches are sent only once a snapshot went out (displayed, or asked for)
        # key -> the model's row dict for that key at version _baseline_version (a reference, never a copy: the
        # model replaces a row's dict on change and never mutates a published one): what patch deltas are
        # computed against. Guarded by _baseline_lock, which is only ever taken innermost (inside the model's lock
        # in _on_rows_change, alone in _seed_baseline), so the two locks are never taken in opposite orders.
        self._baseline: dict[str, Mapping[str, Any]] = {}
        self._baseline_version = -1
        self._baseline_lock = threading.Lock()
        self._closed = False
        _OPEN.add(self)
        # The saved-snapshot outputs of this widget (IPython DisplayHandles): refreshed while the execution runs
        # (at most every SAVED_SNAPSHOT_EVERY_S, when something changed) and once the watch is done, so what a
        # notebook saves shows the state it was saved in, not the state at display time.
        self._display_handles: list[Any] = []
        self._saved_lock = threading.Lock()
        self._saved_at = 0.0  # time.monotonic() of the last refresh
        self._saved_dirty = False
        self._final_published = False
        super().__init__(
            header=dict(model.header),
            counts=dict(model.counts),
            sync_status=dict(model.sync_status),
            styles=phase_styles(),
            can_act=self._remote is not None,
            instance=uuid.uuid4().hex,
            **kwargs,
        )
        self._attach(model)
        self.on_msg(self._on_msg)

    def _attach(self, model: ModelLike) -> None:
        """Show ``model``: mirror its traits, take its row changes, batch its writes into our messages."""
        model.observe(self._on_model_trait, names=["header", "counts", "sync_status"])
        # A sync thread may have written the model between the copy in __init__ and observe(): copy once more,
        # now that no later write can be missed (an unchanged header is never rewritten, so a lost one stays lost).
        with self.hold_sync():
            self.header, self.counts, self.sync_status = (
                dict(model.header),
                dict(model.counts),
                dict(model.sync_status),
            )
        self._unsubscribe_rows = model.on_rows_change(self._on_rows_change)
        self._seed_baseline()
        # One sync = one comm message for the traits: the model enters our hold_sync around each batch of writes.
        self._remove_batch_hook = model.add_batch_hook(self._batch)

    def _detach(self) -> None:
        """Stop listening to the model shown. Returns once no callback of it runs any more: they run under the
        model's lock, which removing the row subscription takes."""
        with contextlib.suppress(ValueError):  # traitlets raises if the handler is already gone
            self._model.unobserve(self._on_model_trait, names=["header", "counts", "sync_status"])
        self._unsubscribe_rows()
        self._remove_batch_hook()
        with self._baseline_lock:
            self._baseline = {}
            self._baseline_version = -1

    @traitlets.default("_esm")
    def _default_esm(self) -> str:
        return assets.joined_module()

    @traitlets.default("_css")
    def _default_css(self) -> str:
        return assets.stylesheet()

    # ---- public -------------------------------------------------------------------------------------------

    @property
    def model(self) -> ModelLike:
        """The execution model this widget shows."""
        return self._model

    @property
    def execution(self) -> FlyteWorkflowExecution | None:
        return self._execution

    @property
    def watch(self) -> WatchLike | None:
        """The scheduler watch this widget owns (stopped by :meth:`close`), if any."""
        return self._watch

    @property
    def remote(self) -> Any:
        """The Remote that serves the view's requests and actions (None: the view hides the actions)."""
        return self._remote

    @property
    def trail_executions(self) -> list[Any]:
        """The execution wrappers behind ``trail``, oldest first."""
        return list(self._trail_executions)

    @property
    def request_cache(self) -> dict[str, Any]:
        """What request handlers keep about the execution shown (e.g. its workflow graph); emptied on follow."""
        return self._request_cache

    def select(self, value: Any, origin: dict[str, Any]) -> None:
        """Make ``value`` (clicked in the view; ``origin``: ``{"key", "which", "path"}``) this widget's
        ``selected_output`` and the kernel's :func:`selected_output`."""
        self.selected_output = value
        self.selected_from = origin
        _last_selected[:] = [value]

    def follow(self, execution: Any, how: str = "") -> None:
        """Show ``execution`` (a wrapper, or anything ``Remote.fetch_execution`` takes) in this widget instead of
        the one shown, live: a new model kept fresh by a new watch; the watch this widget owned stops. The view
        starts over on the new rows (expanded rows, opened details and fetched data belonged to the other
        execution), the header shows the new one, and ``trail`` keeps the way back (``how``: how the new one came
        from the one shown, e.g. "relaunched"; empty when going back along the trail). The saved snapshot output
        shows the followed execution from then on.
        """
        if self._closed:
            raise RequestError("this widget is closed")
        if not isinstance(execution, FlyteWorkflowExecution):
            execution = require_remote(self, "follow an execution").fetch_execution(execution)
        with self._follow_lock:
            if self._closed:  # closed while the execution was fetched: start no watch that nobody would stop
                raise RequestError("this widget is closed")
            self._trail_to(execution, how)
            self._show(execution)

    def _trail_to(self, execution: FlyteWorkflowExecution, how: str) -> None:
        """Record in ``trail`` that ``execution`` is shown next: a step back/forward along it, or (``how`` set) a
        new execution made from the one shown, which drops what lay ahead of it."""
        items = list(self.trail)
        wrappers = list(self._trail_executions)
        if not items:
            items, wrappers = [self._trail_item(require_execution(self), "")], [require_execution(self)]
        at = self.trail_at
        key = _ref_of(execution)
        if not how and key in [_ref_of(w) for w in wrappers]:
            at = [_ref_of(w) for w in wrappers].index(key)
            wrappers[at] = execution
        else:
            items, wrappers = items[: at + 1], wrappers[: at + 1]
            items.append(self._trail_item(execution, how))
            wrappers.append(execution)
            at = len(items) - 1
        self._trail_executions = wrappers
        with self.hold_sync():
            self.trail, self.trail_at = items, at

    def _trail_item(self, execution: Any, how: str) -> dict[str, Any]:
        wf_id = execution.id
        url: str | None = None
        if self._remote is not None:
            try:
                url = safe_url(self._remote.generate_console_url(wf_id))
            except Exception:  # a link is a nicety
                logger.warning("no console URL for %s", wf_id.name, exc_info=True)
        return {"name": wf_id.name, "project": wf_id.project, "domain": wf_id.domain, "url": url, "how": how}

    def _show(self, execution: FlyteWorkflowExecution) -> None:
        """Swap the model shown for a new one of ``execution`` and start its watch (see :meth:`follow`)."""
        old_watch = self._watch
        self._detach()  # the old model's callbacks have all returned: nothing of it reaches the view after this
        if old_watch is not None:
            old_watch.stop()
        model = ExecutionModel(execution)
        self._model, self._execution, self._watch = model, execution, None
        self._request_cache = {}  # answers about the other execution (its workflow graph)
        self._attach(model)
        if self._on_done is not None:  # before the watch starts: its end cannot be missed
            self._on_done.attach(model, execution)
        with self._saved_lock:
            self._final_published, self._saved_dirty, self._saved_at = False, True, 0.0
        # The view drops the other execution's rows and view state, then takes the new snapshot (versions start
        # over with the new model, which a store still holding the old rows would refuse as stale).
        self.send({"type": "reset"})
        if self._views_seen:
            self._push_snapshot()
        # Subscribed first, then watched: the first sync's rows cannot be missed.
        self._watch = self._watcher(execution, model)
        self._refresh_saved()

    def close(self) -> None:
        """Stop the watch this widget owns, stop listening to the model, and close the comm (idempotent)."""
        # Under the follow lock: a follow in progress (on a request's thread) has started its watch, stopped here,
        # and one after this sees _closed. (No lock when __init__ raised before making it: _closed is then True.)
        with getattr(self, "_follow_lock", None) or nullcontext():
            was_open, self._closed = not self._closed, True
        if was_open:
            if self._watch is not None:
                self._watch.stop()
            if self._on_done is not None:
                self._on_done.cancel()
            self._detach()
        # ipywidgets gives every DOMWidget a Layout widget of its own and does not close it with the widget: it
        # stayed in ipywidgets' registry of open widgets, with its comm, for the kernel's life (one per watch)
        layout = self._trait_values.get("layout")
        super().close()
        if isinstance(layout, ipywidgets.Widget):
            layout.close()

    def text(self) -> str:
        """The execution as a text tree (what ``text/plain`` carries)."""
        return render_text(self._model)

    def _ipython_display_(self) -> None:
        """Display as two outputs (IPython calls this before ``_repr_mimebundle_``): the saved snapshot, with a
        display id so it can be refreshed, then the live view. Pushes the rows to the browser right away."""
        bundle = super()._repr_mimebundle_()  # anywidget's: the view alone (no fallbacks rendered for nothing)
        if bundle is None:
            return
        data, metadata = bundle
        handle = display(self._saved_bundle(), raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if handle is not None:
            with self._saved_lock:
                self._display_handles.append(handle)
                self._saved_at = time.monotonic()
            # The watch may have ended between building that bundle and registering its handle: its final refresh
            # then found no handle, and no later one comes. Publish the final state now.
            if (self._model.sync_status or {}).get("state") == "done":
                self._refresh_saved(final=True)
        self._push_snapshot()
        live = {WIDGET_MIME: data[WIDGET_MIME], "text/plain": self._live_text()}
        display(live, raw=True, metadata=metadata)  # type: ignore[no-untyped-call]

    def _saved_bundle(self) -> dict[str, Any]:
        return {"text/plain": render_text(self._model), "text/html": render_saved_html(self._model)}

    def _live_text(self) -> str:
        h = self._model.header
        ref = "/".join(str(h.get(k) or "") for k in ("project", "domain", "name"))
        return f"Live view of {ref} (needs this notebook's kernel; the saved snapshot shows its last state)"

    def _refresh_saved(self, *, final: bool = False) -> None:
        """Refresh the saved-snapshot outputs: when something changed and the last refresh is old enough, or
        ``final`` (once: the watch is done)."""
        with self._saved_lock:
            if not self._display_handles or self._final_published:
                return
            now = time.monotonic()
            if not final and (not self._saved_dirty or now - self._saved_at < SAVED_SNAPSHOT_EVERY_S):
                return
            self._final_published = final
            self._saved_at, self._saved_dirty = now, False
            handles = list(self._display_handles)
        bundle = self._saved_bundle()
        for handle in handles:
            try:
                handle.update(bundle, raw=True)
            except Exception:  # a display update is a nicety: never break the sync thread over it
                logger.warning("could not refresh the saved snapshot of %s", self.header.get("name"), exc_info=True)

    def _publish_final(self) -> None:
        """Refresh every saved-snapshot output with the final state (once)."""
        self._refresh_saved(final=True)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The widget view plus ``text/plain`` (text tree) and ``text/html`` (static snapshot) fallbacks; the rows
        are pushed to the browser at once (a view about to appear must not wait for the kernel to ask it)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data = {**data, "text/plain": render_text(self._model), "text/html": render_html(self._model)}
        self._push_snapshot()
        return data, metadata

    def _push_snapshot(self) -> None:
        """Send the rows at the model's current version to every view, and from now on every change."""
        if self._closed:
            return
        # The flag first: a change published after it reaches the browser as a patch, newer than the snapshot.
        self._views_seen = True
        self._model.mark_shown()
        version, rows = self._model.snapshot()  # atomic: the rows at exactly this version
        self.send({"type": "snapshot", "version": int(version), "rows": [wire_row(r) for r in rows]})
        self.snapshot_version = int(version)

    # ---- model -> view -------------------------------------------------------------------------------------

    def _batch(self) -> AbstractContextManager[Any]:
        return self.hold_sync() if not self._closed else nullcontext()

    def _on_model_trait(self, change: Mapping[str, Any]) -> None:
        # Runs on the thread that changed the model (the sync thread); ipywidgets sends the update from there.
        if self._closed or change.get("owner", self._model) is not self._model:
            return  # closed, or a model this widget no longer shows (it followed another execution)
        with self._batch():
            setattr(self, change["name"], dict(change["new"]))
        if change["name"] == "header":
            self._saved_dirty = True
        elif change["name"] == "sync_status":
            # Once per sync: the watch saw the terminal state and synced once more, the rows are final; else
            # refresh the saved snapshot if it is due.
            self._refresh_saved(final=change["new"].get("state") == "done")

    def _seed_baseline(self) -> None:
        """Start the delta baseline from the model's rows as they are now (called once, after subscribing).

        Without it, the first change of every row that existed before the widget would go whole. A publication
        that raced ahead of the seeding wins (its keys have a baseline, the others then go whole once).
        """
        version, rows = self._model.snapshot()
        # We subscribed before taking the snapshot, so every publication up to `version` has already run its
        # callback (the model calls them under its lock, which snapshot() waits for); a later one may have run
        # too: then the baseline is newer than this snapshot and must not be overwritten.
        with self._baseline_lock:
            if self._baseline_version < int(version):
                self._baseline = {r["key"]: r for r in rows}
                self._baseline_version = int(version)

    def _on_rows_change(self, version: int, changed: list[Row], removed: list[str]) -> None:
        # Called by the sync thread with the model's lock held. Only our innermost baseline lock is taken here (a
        # snapshot request takes the model's lock on the kernel thread); the view orders messages by version
        # (it buffers patches until its snapshot, then drops older ones).
        #
        # Deltas, and why they are right for every view (several views may share this widget's comm; each
        # snapshot goes to the view that asked, patches go to all):
        # - the baseline is seeded with the model's rows when the widget subscribes and advanced at EVERY
        #   publication after that, also while no view exists, so for publication v it holds exactly the model's
        #   rows at version v-1 (a key without a baseline goes whole). The delta of v therefore turns "the row at
        #   v-1" into "the row at v", whatever view applies it: it depends on the model's versions only, not on
        #   what was sent to whom.
        # - a view holds the rows at version S after its snapshot (model.snapshot() is atomic under the model's
        #   lock) and applies only patches with version > S, in order. _views_seen is set before the snapshot is
        #   taken, so every publication after S is sent as a patch (the model's lock orders the flag, the snapshot
        #   and the publication); patches leave in version order (one publication at a time, under that lock);
        #   the model bumps its version exactly when it publishes rows, so the view sees versions S+1, S+2, ...
        #   with no gap and applies each delta to the rows at the version before it.
        # - a store that finds a gap (a patch newer than store.version + 1: a message lost, e.g. while the page
        #   was disconnected) asks for a snapshot again (widget.js); so does a model restored after a page reload.
        if self._closed:
            return
        if changed or removed:
            self._saved_dirty = True
        sending = self._views_seen and bool(changed or removed)
        with self._baseline_lock:
            baseline = self._baseline
            deltas = [row_delta(baseline.get(r["key"]), r) for r in changed] if sending else []
            for r in changed:
                baseline[r["key"]] = r
            for key in removed:
                baseline.pop(key, None)  # a key that comes back is new to the view: it goes whole
            self._baseline_version = max(self._baseline_version, int(version))
        if sending:
            self.send({"type": "patch", "version": int(version), "rows": deltas, "removed": list(removed)})

    # ---- view -> kernel ------------------------------------------------------------------------------------

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            logger.warning("ignored a message from the view that is not an object: %r", content)
            return
        kind = content.get("type")
        if kind == "snapshot":
            self._push_snapshot()
        elif kind == "request":
            req_id = request_id(content)
            if req_id is None:
                logger.warning("ignored a request without an id: %r", content)
                return
            # The view says "waiting for the kernel" until this arrives: a running cell holds messages back.
            self.send({"type": "accepted", "id": req_id})
            self._runner(lambda: self._answer(content))
        else:
            logger.warning("ignored a message of unknown type %r from the view", kind)

    def _answer(self, request: Mapping[str, Any]) -> None:
        """Serve one request and send the response; failures are logged and sent as data."""
        answer(self._HANDLERS, self, request, self.send, closed=lambda: self._closed, log=logger)

    #: Request action -> its handler, ``handler(widget, request) -> result`` (the contract: :mod:`.requests`).
    _HANDLERS: dict[str, Callable[[ExecutionWidget, Mapping[str, Any]], Any]] = {
        "inputs": requests_data.inputs,
        "outputs": requests_data.outputs,
        "select": requests_data.select,
        "error": requests_data.error,
        "logs": requests_data.logs,
        "attempts": requests_data.attempts,
        "prioritize": requests_data.prioritize,
        "deck": requests_data.deck,
        "task": requests_data.task,
        "approve": requests_actions.approve,
        "reject": requests_actions.reject,
        "signal": requests_actions.signal,
        "terminate": requests_actions.terminate,
        "relaunch": requests_actions.relaunch,
        "recover": requests_actions.recover,
        "relaunch_form": requests_actions.relaunch_form,
        "launch": requests_actions.launch,
        "follow": requests_actions.follow,
        "graph": requests_graph.graph,
    }


def _ref_of(execution: Any) -> str:
    wf_id = execution.id
    return f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"


# The value last clicked in ANY widget: an execution displayed by its repr has no widget variable to ask.
_last_selected: list[Any] = []

#: The widgets made in this kernel (weakly: a widget dropped and closed goes), for :func:`open_widgets_for`.
_OPEN: weakref.WeakSet[ExecutionWidget] = weakref.WeakSet()


def open_widgets_for(execution_key: str) -> list[ExecutionWidget]:
    """The open widgets showing ``"project:domain:name"`` (e.g. ``wait(notify=True)`` turns their bells on)."""
    return [w for w in list(_OPEN) if not w._closed and getattr(w.model, "execution_key", None) == execution_key]


def selected_output() -> Any:
    """The Python value of the input/output entry last clicked in any execution widget of this kernel.

    ``widget.selected_output`` is the same for one widget; this also works for an execution shown by its repr.
    Raises ``LookupError`` when nothing was clicked yet.
    """
    if not _last_selected:
        raise LookupError("no input or output was clicked in an execution widget yet")
    return _last_selected[0]
