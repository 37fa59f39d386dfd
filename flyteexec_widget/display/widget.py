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

Requests are answered on a worker thread (a data fetch or an action is one RPC with a deadline) so the kernel stays
free; a failure is logged and sent back as data, never swallowed. Inputs and outputs are read from
``model.node(key).inputs`` / ``.outputs`` only when a request asks for them, and are sent as a JSON-safe typed tree
(:func:`~flyteexec_widget.display.values.value_tree`).

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
from ..live.attempts import attempts_of
from ..live.graph import Graph, closure_graph, key_part, workflow_graph
from ..live.model import ExecutionModel
from ..live.on_done import FollowedOnDone
from ..live.rows import DERIVED_FIELDS, Row, all_logs, cap_text, row_defaults, row_style, safe_url, signal_id_of
from ..live.taskdetails import task_answer
from ..objects import phases
from ..objects.executions import FlyteWorkflowExecution
from . import assets
from .launch_form import form_fields, parse_form
from .render import ExecutionState, render_html, render_saved_html, render_text
from .values import FULL_LIMITS, path_label, resolve_path, value_tree, variable_type

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

#: An "attempts" request for a row moves its children's attempt listings ahead too, at most this many of them.
MAX_PRIORITIZED_CHILDREN = 200

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


class RequestError(Exception):
    """A request from the view that cannot be served (bad key, missing remote, wrong gate): sent back as data."""


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
        self._graph: Graph | None = None  # the "graph" request's answer, built once
        self._inner_graphs: dict[str, Graph] = {}  # row key -> what a terminal dynamic/launch-plan node ran
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
            execution = self._require_remote("follow an execution").fetch_execution(execution)
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
            items, wrappers = [self._trail_item(self._require_execution(), "")], [self._require_execution()]
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
        self._graph, self._inner_graphs = None, {}  # the other execution's workflow
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
            req_id = content.get("id")
            if not isinstance(req_id, (str, int)) or isinstance(req_id, bool):
                logger.warning("ignored a request without an id: %r", content)
                return
            # The view says "waiting for the kernel" until this arrives: a running cell holds messages back.
            self.send({"type": "accepted", "id": req_id})
            self._runner(lambda: self._answer(content))
        else:
            logger.warning("ignored a message of unknown type %r from the view", kind)

    def _answer(self, request: Mapping[str, Any]) -> None:
        """Serve one request and send the response; failures are logged and sent as data."""
        req_id = request.get("id")
        action = request.get("action")
        handler = self._HANDLERS.get(action) if isinstance(action, str) else None
        try:
            if handler is None:
                raise RequestError(f"unknown action {action!r}; valid: {', '.join(sorted(self._HANDLERS))}")
            result = handler(self, request)
            response: dict[str, Any] = {"type": "response", "id": req_id, "ok": True, "result": result}
        except Exception as e:
            logger.warning("request %s %r for %r failed: %s", req_id, action, request.get("key"), e, exc_info=True)
            response = {"type": "response", "id": req_id, "ok": False, "error": _error_data(e)}
        if not self._closed:
            self.send(response)

    # ---- request handlers ----------------------------------------------------------------------------------

    def _target(self, request: Mapping[str, Any]) -> Any:
        """The wrapper a request is about: ``key`` "" is the execution itself, else ``model.node(key)``."""
        key = request.get("key") or ""
        if not isinstance(key, str):
            raise RequestError(f"key must be a row key (a string), got {key!r}")
        if key == "":
            return self._require_execution()
        row = self._model.rows.get(key)
        if row is None:
            raise RequestError(f"no node {key!r} in this execution")
        if row["phase"] == phases.NOT_STARTED:
            raise RequestError(f"node {row['name'] or key!r} has not started yet")
        return self._model.node(key)

    def _data(self, request: Mapping[str, Any], which: str) -> dict[str, Any]:
        resolver = getattr(self._target(request), which)
        path = request.get("path")
        if path:  # "show all" of one cut subtree
            if not isinstance(path, list):
                raise RequestError(f"path must be a list, got {path!r}")
            try:
                value = resolve_path(resolver, path)
            except (KeyError, ValueError) as e:
                raise RequestError(f"{path_label(path)}: {e}") from None
            return {"path": path, "value": value_tree(value, path=path, **FULL_LIMITS)}
        variables = getattr(resolver, "variable_map", None)
        items: list[dict[str, Any]] = []
        for name in resolver:
            item: dict[str, Any] = {"name": name}
            var = variables.get(name) if isinstance(variables, Mapping) else None
            if var is not None:
                item["type"] = variable_type(var)
            try:
                item["value"] = value_tree(resolver[name], path=[name])
            except Exception as e:  # one bad literal must not hide the others
                logger.warning("%s %r could not be converted: %s", which, name, e, exc_info=True)
                item["error"] = _error_data(e)
            items.append(item)
        return {"items": items}

    def _handle_inputs(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self._data(request, "inputs")

    def _handle_outputs(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self._data(request, "outputs")

    def _handle_select(self, request: Mapping[str, Any]) -> dict[str, Any]:
        which = request.get("which")
        if which not in ("inputs", "outputs"):
            raise RequestError(f"which must be 'inputs' or 'outputs', got {which!r}")
        path = request.get("path")
        if not isinstance(path, list) or not path:
            raise RequestError(f"path must be a non-empty list, got {path!r}")
        try:
            value = resolve_path(getattr(self._target(request), which), path)
        except (KeyError, ValueError) as e:
            raise RequestError(f"{path_label(path)}: {e}") from None
        self.selected_output = value
        self.selected_from = {"key": request.get("key") or "", "which": which, "path": path_label(path)}
        _last_selected[:] = [value]
        return {"path": path_label(path), "type": type(value).__name__}

    def _handle_error(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The error message as a single Get returns it (list responses trim it to 100 bytes): up to
        ``rows.MAX_ERROR_BYTES`` (``capped`` says it was cut), all of it with ``"all": true`` ("show all")."""
        target = self._target(request)
        remote = self._require_remote("fetch the full error")
        key = request.get("key") or ""
        whole = request.get("all", False)
        if not isinstance(whole, bool):
            raise RequestError(f"all must be true or false, got {whole!r}")
        if key == "":
            proto = remote.get_execution(target.to_flyte_idl().id)
        else:
            proto = remote.get_node_execution(target.to_flyte_idl().id)
        closure = proto.closure
        if not closure.HasField("error"):
            return {"message": "", "code": "", "kind": "", "capped": False}
        err = closure.error
        message, capped = (err.message, False) if whole else cap_text(err.message)
        return {"message": message, "code": err.code, "kind": phases.error_kind_name(err.kind), "capped": capped}

    def _handle_logs(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Every log link of a node (a row carries at most ``rows.MAX_LOGS_PER_ATTEMPT`` per attempt)."""
        key = request.get("key")
        if not isinstance(key, str) or key == "":
            raise RequestError(f"no node {key!r} in this execution")
        node = self._target(request)  # a node that has started (a planned one has no logs yet)
        return {"logs": all_logs(self._model.rows[key], node)}

    def _handle_attempts(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Every attempt of a node (an array subtask: every retry) with its reason, error and log links, read from
        what the sync already holds (live/attempts.py): no RPC."""
        key = request.get("key")
        if not isinstance(key, str) or key == "":
            raise RequestError(f"attempts belong to nodes: no node {key!r} in this execution")
        node = self._target(request)
        return attempts_of(self._model.rows[key], node)

    def _handle_prioritize(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The user opened or expanded a row whose attempts are not listed yet (``attempts`` null): the sync lists
        its attempts, and its children's, before the others still waiting. ``{"queued": n}`` (0: none waits)."""
        key = request.get("key")
        if not isinstance(key, str) or key not in self._model.rows:
            raise RequestError(f"no node {key!r} in this execution")
        rows = self._model.rows
        keys = [key] + [k for k, r in rows.items() if r["parent"] == key and r["attempts"] is None]
        nodes = [self._model.node(k) for k in keys[: 1 + MAX_PRIORITIZED_CHILDREN] if rows[k]["attempts"] is None]
        tree = getattr(self._require_execution(), "_tree_sync", None)
        prioritize = getattr(tree, "prioritize", None)
        return {"queued": prioritize(nodes) if callable(prioritize) and nodes else 0}

    def _handle_deck(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """A signed link to the node's deck, or (``url`` None) a note that a running task has not written it yet:
        propeller reports ``deck_uri`` from RUNNING on, and the data proxy answers NOT_FOUND until the task wrote
        the file at its end."""
        key = request.get("key") or ""
        if key == "":
            raise RequestError("decks belong to nodes: the request needs a node's row key")
        target = self._target(request)
        remote = self._require_remote("open the deck")
        links = remote.create_download_link(target.to_flyte_idl().id)
        urls = [u for u in links if safe_url(u)]
        if urls:
            return {"url": urls[0]}
        if not links and not self._model.rows[key].get("terminal"):
            return {"url": None, "message": "the deck is written when the task ends"}
        if not links:
            raise RequestError("the server has no deck for this node")
        raise RequestError("the server returned no http(s) link to the deck")

    def _handle_task(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The task a node runs (one ``GetTask`` per task id and remote, cached), console links, a cache hit's
        source: :func:`~flyteexec_widget.live.taskdetails.task_answer`."""
        key = request.get("key") or ""
        if key == "":
            raise RequestError("task details belong to nodes: the request needs a node's row key")
        self._target(request)  # a known row of a node that has started
        remote = self._require_remote("fetch the task")
        return task_answer(self._model.rows, self._model.node, self._require_execution(), remote, key)

    def _gate(self, request: Mapping[str, Any], kinds: tuple[str, ...]) -> tuple[Any, str, Mapping[str, Any]]:
        key = request.get("key")
        if not isinstance(key, str) or key not in self._model.rows:
            raise RequestError(f"no node {key!r} in this execution")
        gate = self._model.rows[key].get("gate")
        if not gate or gate.get("kind") not in kinds:
            raise RequestError(f"node {key!r} is not waiting on {' or '.join(kinds)} (any more)")
        node = self._execution_of(key)
        # the row's signal id may be cut (rows.MAX_NAME_CHARS): the signal is set by the template's whole id
        info = getattr(node, "_template_info", None)
        whole = signal_id_of(info.gate) if info is not None and info.gate is not None else ""
        return node, whole or str(gate["signal_id"]), gate

    def _execution_of(self, key: str) -> Any:
        """What the client's signal calls take for row ``key``: its node wrapper, whose id names the workflow
        execution that owns the gate (for a gate inside a child launch plan, the child execution)."""
        return self._model.node(key)

    def _handle_approve(self, request: Mapping[str, Any]) -> dict[str, Any]:
        execution, signal_id, _ = self._gate(request, ("approve",))
        self._require_remote("approve").approve(execution, signal_id)
        scheduler.refresh_soon(self._model)  # the gate's downstream nodes start now: show them without the backoff
        return {"message": "Approved"}

    def _handle_reject(self, request: Mapping[str, Any]) -> dict[str, Any]:
        execution, signal_id, _ = self._gate(request, ("approve",))
        self._require_remote("reject").reject(execution, signal_id)
        scheduler.refresh_soon(self._model)
        return {"message": "Rejected"}

    def _handle_signal(self, request: Mapping[str, Any]) -> dict[str, Any]:
        execution, signal_id, _ = self._gate(request, ("signal",))
        if "value" not in request:
            raise RequestError("a signal request needs a value")
        # The JSON value as the view parsed it: set_signal builds the literal with the signal's own type, and a
        # value that does not fit comes back as the request's error, naming the type.
        value = request["value"]
        self._require_remote("send a signal").set_signal(execution, signal_id, value)
        scheduler.refresh_soon(self._model)
        return {"message": f"Sent {value!r}"}

    def _handle_terminate(self, request: Mapping[str, Any]) -> dict[str, Any]:
        cause = request.get("cause") or ""
        if not isinstance(cause, str):
            raise RequestError(f"cause must be a string, got {cause!r}")
        self._require_remote("terminate").terminate(self._require_execution(), cause)
        scheduler.refresh_soon(self._model)
        return {"message": "Termination requested"}

    def _handle_relaunch(self, request: Mapping[str, Any]) -> dict[str, Any]:
        new_id = self._require_remote("relaunch").relaunch(self._require_execution())
        return self._new_execution("Relaunched as", new_id, "relaunched")

    def _handle_recover(self, request: Mapping[str, Any]) -> dict[str, Any]:
        new_id = self._require_remote("recover").recover(self._require_execution())
        return self._new_execution("Recovering as", new_id, "recovered")

    def _handle_relaunch_form(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The relaunch form: the execution's launch plan's inputs, prefilled with the execution's
        (``launch_form.form_fields``); one ``GetExecution``, ``GetLaunchPlan`` and ``GetExecutionData``."""
        remote = self._require_remote("relaunch")
        launch_plan, inputs = remote.launch_plan_and_inputs(self._require_execution())
        lp = launch_plan.id
        return {"fields": form_fields(launch_plan, inputs), "launch_plan": {"name": lp.name, "version": lp.version}}

    def _handle_launch(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Launch the execution's launch plan with the form's texts (``inputs``: name -> text), read and typed by
        the kernel (``launch_form.parse_form``: every bad field named in the error's ``fields``), then follow."""
        texts = request.get("inputs")
        if not isinstance(texts, dict):
            raise RequestError(f"inputs must be an object of input name -> text, got {texts!r}")
        name = request.get("name") or None
        if name is not None and not isinstance(name, str):
            raise RequestError(f"name must be a string, got {name!r}")
        remote = self._require_remote("relaunch")
        execution = self._require_execution()
        launch_plan, inputs = remote.launch_plan_and_inputs(execution)
        literals = parse_form(launch_plan, texts, inputs)
        wf_id, proto = execution.id, execution.to_flyte_idl()
        new_id = remote.create_execution(
            launch_plan.id,
            literals,
            project=wf_id.project,
            domain=wf_id.domain,
            name=name,
            like=proto.spec,  # its run settings (service account, labels...), as FlyteAdmin's Relaunch keeps them
            reference=proto.id,
        )
        return self._new_execution("Launched", new_id, "relaunched with new inputs")

    def _handle_follow(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Show the execution at ``index`` of ``trail`` (the way back to the original, and forward again)."""
        index = request.get("index")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self._trail_executions):
            raise RequestError(f"index must be a position in the trail (0..{len(self._trail_executions) - 1})")
        target = self._trail_executions[index]
        self.follow(target)
        return {"message": "Showing", "name": target.id.name}

    def _new_execution(self, what: str, new_id: Any, how: str) -> dict[str, Any]:
        """Name and console link of an execution an action created, which this widget then follows."""
        name = str(getattr(new_id, "name", "") or new_id)
        try:
            url = safe_url(self._require_remote("link the new execution").generate_console_url(new_id))
        except Exception:  # no console URL is not a failure of the action itself
            logger.warning("no console URL for %s", name, exc_info=True)
            url = None
        result: dict[str, Any] = {"message": what, "name": name, "url": url, "followed": False}
        try:
            self.follow(new_id, how)
            result["followed"] = True
        except Exception as e:  # the execution exists: say so, with its link, and why it is not shown here
            logger.warning("could not follow %s", name, exc_info=True)
            result["follow_error"] = str(e) or type(e).__name__
        return result

    def _handle_graph(self, request: Mapping[str, Any]) -> Graph:
        """The workflow as compiled (``live.graph``): for key "" the execution's, built once (a registered workflow
        never changes; the sync has usually fetched it, else the execution fetches it once through the remote);
        for a dynamic or launch-plan node that runs, what it runs (kept once the node is terminal)."""
        key = request.get("key") or ""
        if not isinstance(key, str):
            raise RequestError(f"key must be a row key (a string), got {key!r}")
        if key:
            return self._inner_graph(request, key)
        if self._graph is None:
            execution = self._require_execution()
            wf = getattr(execution, "_flyte_workflow", None)
            if wf is None and getattr(execution, "flyte_workflow", None) is not None:
                wf = execution._flyte_workflow
            if wf is None:
                raise RequestError("no compiled workflow for this execution (a single task, or no Remote to fetch it)")
            self._graph = workflow_graph(wf)
        return self._graph

    def _inner_graph(self, request: Mapping[str, Any], key: str) -> Graph:
        """A dynamic node's generated workflow (``GetNodeExecutionData``'s ``dynamic_workflow``, which flyteadmin
        reads from the node's stored closure: ``manager/impl/node_execution_manager.go``) or a launch-plan node's
        child execution's workflow, with the row keys the tree gives their nodes."""
        cached = self._inner_graphs.get(key)
        if cached is not None:
            return cached
        node = self._target(request)  # a node that has started
        row = self._model.rows[key]
        node_id = node.to_flyte_idl().id.node_id
        if row["kind"] == "dynamic":
            data = self._require_remote("fetch the generated workflow").get_node_execution_data(node.to_flyte_idl().id)
            if not data.HasField("dynamic_workflow") or not data.dynamic_workflow.HasField("compiled_workflow"):
                raise RequestError(f"node {row['name'] or key!r} has not generated its workflow yet")
            groups = row.get("attempt_groups") or []
            attempt = max(groups) if groups else 0  # the node's stored workflow is its latest attempt's
            closure = data.dynamic_workflow.compiled_workflow
            graph = closure_graph(closure, parent_id=node_id, attempt=attempt, key_prefix=key + "/", terminals=False)
        elif row["kind"] == "launch_plan":
            children = list(getattr(node, "_workflow_executions", None) or [])
            if not children:
                raise RequestError(f"node {row['name'] or key!r} has not launched its execution yet")
            child = children[-1]
            if child.flyte_workflow is None:
                raise RequestError(f"no compiled workflow for the execution node {row['name'] or key!r} launched")
            prefix = f"{key}>{key_part(child.to_flyte_idl().id.name)}/"
            graph = closure_graph(child._flyte_workflow.closure.compiled_workflow, key_prefix=prefix, terminals=False)
        else:
            raise RequestError(f"node {row['name'] or key!r} is a {row['kind']} node: its graph is the workflow's")
        if row.get("terminal"):
            self._inner_graphs[key] = graph
        return graph

    def _require_remote(self, what: str) -> Any:
        if self._remote is None:
            raise RequestError(f"cannot {what}: this widget has no Remote (pass remote= to watch())")
        return self._remote

    def _require_execution(self) -> Any:
        execution = self._execution if self._execution is not None else self._model.execution
        if execution is None:
            raise RequestError("this widget was created without its execution")
        return execution

    _HANDLERS: dict[str, Callable[[ExecutionWidget, Mapping[str, Any]], Any]] = {
        "inputs": _handle_inputs,
        "outputs": _handle_outputs,
        "select": _handle_select,
        "error": _handle_error,
        "logs": _handle_logs,
        "attempts": _handle_attempts,
        "prioritize": _handle_prioritize,
        "deck": _handle_deck,
        "task": _handle_task,
        "approve": _handle_approve,
        "reject": _handle_reject,
        "signal": _handle_signal,
        "terminate": _handle_terminate,
        "relaunch": _handle_relaunch,
        "recover": _handle_recover,
        "relaunch_form": _handle_relaunch_form,
        "launch": _handle_launch,
        "follow": _handle_follow,
        "graph": _handle_graph,
    }


def _error_data(e: BaseException) -> dict[str, Any]:
    """An exception as the data a response carries (type and message; never a traceback with local values), and
    for bad launch inputs what is wrong with each (``fields``: input name -> message)."""
    data: dict[str, Any] = {"type": type(e).__name__, "message": str(e) or type(e).__name__}
    fields = getattr(e, "fields", None)
    if isinstance(fields, dict):
        data["fields"] = {str(k): str(v) for k, v in fields.items()}
    return data


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
