"""The notebook widget: ``ExecutionWidget`` (anywidget), ``watch()``, and the display hooks of the wrappers.

The front end is the plain ES module ``static/widget.js`` with ``static/widget.css`` (package data: no bundler, no
CDN). Three traits (``header``, ``counts``, ``sync_status``) mirror the :class:`~flyteexec_widget.model.ExecutionModel`;
the node rows travel as custom messages so a change to one node sends that row only (see docs/architecture.md,
"Widget protocol"):

- view -> kernel ``{"type": "snapshot", "view"}``; kernel -> view ``{"type": "snapshot", "view", "version", "rows"}``;
- kernel -> view ``{"type": "patch", "version", "rows", "removed"}`` for every change published by the model,
  where each row is a delta (:func:`row_delta`): ``key`` plus the fields that differ from the model's previous
  version of that row (a field that disappeared is sent as ``null``), or the whole row if this widget never saw
  the key published; the view merges it into the row it holds (``{...old, ...delta}``);
- view -> kernel ``{"type": "request", "id", "action", "key", ...}``; kernel -> view
  ``{"type": "response", "id", "ok": true, "result"}`` or ``{"type": "response", "id", "ok": false, "error"}``.

Requests are answered on a worker thread (a data fetch or an action is one RPC with a deadline) so the kernel stays
free; a failure is logged and sent back as data, never swallowed. Inputs and outputs are read from
``model.node(key).inputs`` / ``.outputs`` only when a request asks for them, and are sent as a JSON-safe typed tree
(:func:`value_tree`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import enum
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anywidget
import traitlets

from ..objects import phases
from ..objects.literals import BlobRef, LiteralError, OffloadedRef, StructuredDatasetRef, UnknownLiteral, describe_type
from .render import ExecutionState, render_html, render_text, safe_url

if TYPE_CHECKING:
    from ..objects.executions import FlyteWorkflowExecution

__all__ = [
    "ExecutionWidget",
    "display_for",
    "ipython_display_for",
    "mimebundle_for",
    "phase_styles",
    "repr_mimebundle",
    "resolve_path",
    "row_delta",
    "selected_output",
    "value_tree",
    "watch",
]

logger = logging.getLogger(__name__)

_STATIC = Path(__file__).parent / "static"

#: How much of a value the first answer carries; "show all" asks again for one subtree with the FULL limits.
PREVIEW_LIMITS = {"max_items": 50, "max_chars": 2_000, "max_depth": 8}
#: "Show all" still has a ceiling, so one click cannot send gigabytes to the browser.
FULL_LIMITS = {"max_items": 20_000, "max_chars": 2_000_000, "max_depth": 32}

_SAFE_INT = 2**53  # larger integers lose precision as JavaScript numbers: sent as strings


class ModelLike(ExecutionState, Protocol):
    """What the widget needs from an :class:`~flyteexec_widget.model.ExecutionModel` (the documented contract):
    what the renderers read, plus versioned row changes, the wrappers behind rows and trait observation."""

    @property
    def rows_version(self) -> int: ...

    @property
    def rows(self) -> Mapping[str, dict[str, Any]]: ...

    def on_rows_change(
        self, callback: Callable[[int, list[dict[str, Any]], list[str]], None]
    ) -> Callable[[], None]: ...

    def node(self, key: str) -> Any: ...

    def observe(self, handler: Callable[[Any], None], names: Any = ...) -> None: ...

    def unobserve(self, handler: Callable[[Any], None], names: Any = ...) -> None: ...


class WatchLike(Protocol):
    """A running scheduler watch (``scheduler.watch(...)``): stopped when the widget closes."""

    def stop(self) -> None: ...


Runner = Callable[[Callable[[], None]], None]


def _run_in_daemon_thread(fn: Callable[[], None]) -> None:
    """Answer a request off the kernel's main thread: the RPC behind it must not freeze the notebook."""
    threading.Thread(target=fn, name="flyteexec-widget-request", daemon=True).start()


def phase_styles() -> dict[str, dict[str, dict[str, Any]]]:
    """The phase table of :mod:`~flyteexec_widget.phases` as plain JSON: kind -> phase name -> style.

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
            s = phases.style(kind, member)
            out[kind][member.name] = {
                "label": s.label,
                "color": s.color,
                "terminal": s.terminal,
                "succeeded": s.succeeded,
                "failed": s.failed,
            }
    p = phases.PAUSED_STYLE
    out["gate"] = {
        "PAUSED": {"label": p.label, "color": p.color, "terminal": False, "succeeded": False, "failed": False}
    }
    return out


# ---------------------------------------------------------------------------------------------------------------
# Python values -> a JSON-safe typed tree
# ---------------------------------------------------------------------------------------------------------------


def value_tree(
    value: Any,
    *,
    max_items: int = PREVIEW_LIMITS["max_items"],
    max_chars: int = PREVIEW_LIMITS["max_chars"],
    max_depth: int = PREVIEW_LIMITS["max_depth"],
    path: Sequence[str | int] = (),
) -> dict[str, Any]:
    """Describe ``value`` as a JSON-safe tree the view renders by type.

    Nodes: ``{"t": "none"|"bool"|"int"|"float"|"str"|"bytes"|"datetime"|"date"|"duration"|"enum", "v": ...}``,
    containers ``{"t": "list"|"map"|"record", "len", "items": [...], "truncated"}`` (map/record items are
    ``{"k", "v"}``), references ``{"t": "blob"|"structured_dataset"|"offloaded", "uri", "format", ...}``,
    ``{"t": "error", "message", "node"}`` and ``{"t": "object", "type", "v": repr}``. Whatever was cut (a long
    string, a big collection, a deep nesting) says so (``truncated``) and carries ``path``: the steps from the
    variable (a name, then item positions) that a "show all" request sends back to :func:`resolve_path`.
    """
    limits = {"max_items": max_items, "max_chars": max_chars, "max_depth": max_depth}
    return _tree(value, list(path), 0, limits)


def _truncate_text(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


def _tree(value: Any, path: list[str | int], depth: int, lim: Mapping[str, int]) -> dict[str, Any]:
    # Order matters: bool before int, enums before their base types, references before dataclasses.
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, enum.Enum):
        return {"t": "enum", "type": type(value).__name__, "v": str(value.name)}
    if isinstance(value, int):
        return {"t": "int", "v": value if -_SAFE_INT < value < _SAFE_INT else str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": value if math.isfinite(value) else repr(value)}
    if isinstance(value, str):
        text, cut = _truncate_text(value, lim["max_chars"])
        node: dict[str, Any] = {"t": "str", "v": text, "len": len(value)}
        return _mark(node, cut, path)
    if isinstance(value, (bytes, bytearray)):
        shown = bytes(value[: min(len(value), lim["max_chars"] // 2)])
        return _mark({"t": "bytes", "v": shown.hex(), "len": len(value)}, len(shown) < len(value), path)
    if isinstance(value, _dt.datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, _dt.timedelta):
        return {"t": "duration", "v": value.total_seconds()}
    if isinstance(value, BlobRef):
        kind = "directory" if value.dimensionality == "multipart" else "file"
        return {"t": "blob", "uri": value.uri, "format": value.format, "dimensionality": kind}
    if isinstance(value, StructuredDatasetRef):
        cols = [{"name": n, "type": t} for n, t in value.columns]
        return {"t": "structured_dataset", "uri": value.uri, "format": value.format, "columns": cols}
    if isinstance(value, OffloadedRef):
        return {"t": "offloaded", "uri": value.uri, "size_bytes": value.size_bytes, "type": value.type_name}
    if isinstance(value, LiteralError):
        return {"t": "error", "message": value.message, "node": value.failed_node_id}
    if isinstance(value, UnknownLiteral):
        return {"t": "object", "type": "unknown literal", "v": value.kind}
    if depth >= lim["max_depth"]:
        return _mark({"t": "object", "type": type(value).__name__, "v": "…"}, True, path)
    if isinstance(value, Mapping):
        entries = list(value.items())
        items = [
            {"k": str(k), "v": _tree(v, [*path, i], depth + 1, lim)}
            for i, (k, v) in enumerate(entries[: lim["max_items"]])
        ]
        return _mark({"t": "map", "len": len(entries), "items": items}, len(entries) > len(items), path)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        items = [
            {"k": f.name, "v": _tree(getattr(value, f.name), [*path, i], depth + 1, lim)}
            for i, f in enumerate(fields[: lim["max_items"]])
        ]
        node = {"t": "record", "type": type(value).__name__, "len": len(fields), "items": items}
        return _mark(node, len(fields) > len(items), path)
    if isinstance(value, (list, tuple, set, frozenset)):
        seq = list(value) if isinstance(value, (set, frozenset)) else value
        items = [_tree(v, [*path, i], depth + 1, lim) for i, v in enumerate(seq[: lim["max_items"]])]
        return _mark({"t": "list", "len": len(seq), "items": items}, len(seq) > len(items), path)
    text, cut = _truncate_text(_safe_repr(value), lim["max_chars"])
    return _mark({"t": "object", "type": type(value).__qualname__, "v": text}, cut, path)


def _mark(node: dict[str, Any], truncated: bool, path: list[str | int]) -> dict[str, Any]:
    """Flag a cut node with the path that fetches it whole."""
    if truncated:
        node["truncated"] = True
        node["path"] = list(path)
    return node


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as e:  # a user type's __repr__ may raise: show that instead of failing the whole answer
        return f"<{type(value).__qualname__}: repr failed: {type(e).__name__}>"


def resolve_path(root: Mapping[str, Any], path: Sequence[Any]) -> Any:
    """The value at ``path`` (a variable name, then item positions as produced by :func:`value_tree`).

    Raises ``ValueError`` naming the step that does not exist.
    """
    if not path or not isinstance(path[0], str):
        raise ValueError(f"path must start with a variable name, got {list(path)!r}")
    value = root[path[0]]
    for step, pos in enumerate(path[1:], start=1):
        if not isinstance(pos, int) or isinstance(pos, bool) or pos < 0:
            raise ValueError(f"path step {step} must be a position (int >= 0), got {pos!r}")
        try:
            if isinstance(value, Mapping):
                value = list(value.values())[pos]
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                value = getattr(value, dataclasses.fields(value)[pos].name)
            elif isinstance(value, (list, tuple)):
                value = value[pos]
            elif isinstance(value, (set, frozenset)):
                value = list(value)[pos]
            else:
                raise ValueError(f"path step {step}: a {type(value).__name__} has no items")
        except IndexError:
            raise ValueError(f"path step {step}: position {pos} is out of range") from None
    return value


def row_delta(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a patch carries for row ``new`` when the view holds ``old``: ``key`` plus the fields that differ.

    ``old`` None (a row the view never got from this baseline) gives ``new`` itself (not a copy). A field of
    ``old`` missing from ``new`` is sent as ``None`` (JSON null): rows have a fixed set of fields where null means
    "none", so the merged row reads the same as the published one.
    """
    if old is None:
        return new
    delta: dict[str, Any] = {"key": new["key"]}
    for name, value in new.items():
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


def _path_label(path: Sequence[Any]) -> str:
    """``x[3][0]``: how the view and the log name a selected entry."""
    return str(path[0]) + "".join(f"[{p}]" for p in path[1:])


# ---------------------------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------------------------


class RequestError(Exception):
    """A request from the view that cannot be served (bad key, missing remote, wrong gate): sent back as data."""


class ExecutionWidget(anywidget.AnyWidget):
    """A live view of one workflow execution: header, per-phase counts, and the node execution tree.

    ``model`` is the :class:`~flyteexec_widget.model.ExecutionModel` kept fresh by a scheduler watch; ``watch``
    (optional) is stopped when the widget is closed. ``remote`` and ``execution`` serve data requests and actions
    (Approve/Reject/signal/Terminate); without a remote the view hides the actions. ``runner`` runs each request's
    handler (default: a daemon thread; tests pass ``lambda fn: fn()``).

    ``selected_output`` holds the Python value of the input/output entry last clicked in the view.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    header = traitlets.Dict().tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)
    sync_status = traitlets.Dict().tag(sync=True)
    #: The phase table (kind -> phase name -> label/colour token/flags), from phases.py.
    styles = traitlets.Dict().tag(sync=True)
    #: Whether the actions (Approve/Reject/signal/Terminate) can work: a remote is known.
    can_act = traitlets.Bool(False).tag(sync=True)

    #: The Python value of the last input/output entry clicked in the view (not synced: may be any object).
    selected_output = traitlets.Any(None)
    #: Where it came from, e.g. ``{"key": "n0", "which": "outputs", "path": "o0[2]"}``.
    selected_from = traitlets.Dict()

    def __init__(
        self,
        model: ModelLike,
        *,
        execution: FlyteWorkflowExecution | None = None,
        remote: Any = None,
        watch: WatchLike | None = None,
        runner: Runner | None = None,
        **kwargs: Any,
    ) -> None:
        for name in ("header", "counts", "sync_status", "rows", "on_rows_change", "node"):
            if not hasattr(model, name):
                raise TypeError(f"ExecutionWidget needs an ExecutionModel (missing {name!r}), got {type(model)!r}")
        self._model = model
        self._execution = execution
        self._remote = remote if remote is not None else getattr(execution, "_remote", None)
        self._watch = watch
        self._runner: Runner = runner or _run_in_daemon_thread
        self._views_seen = False  # patches are sent only once a view asked for a snapshot
        # key -> the model's row dict for that key at version _baseline_version (a reference, never a copy: the
        # model replaces a row's dict on change and never mutates a published one): what patch deltas are
        # computed against. Guarded by _baseline_lock, which is only ever taken innermost (inside the model's lock
        # in _on_rows_change, alone in _seed_baseline), so the two locks are never taken in opposite orders.
        self._baseline: dict[str, Mapping[str, Any]] = {}
        self._baseline_version = -1
        self._baseline_lock = threading.Lock()
        self._closed = False
        # Outputs this widget was displayed in (IPython DisplayHandles): refreshed once the watch is done, so the
        # text/html and text/plain saved with the notebook show the final state, not the state at display time.
        self._display_handles: list[Any] = []
        self._final_published = False
        super().__init__(
            header=dict(model.header),
            counts=dict(model.counts),
            sync_status=dict(model.sync_status),
            styles=phase_styles(),
            can_act=self._remote is not None,
            **kwargs,
        )
        model.observe(self._on_model_trait, names=["header", "counts", "sync_status"])
        # A sync thread may have written the model between the copy above and observe(): copy once more, now
        # that no later write can be missed (an unchanged header is never rewritten, so a lost one stays lost).
        with self.hold_sync():
            self.header, self.counts, self.sync_status = (
                dict(model.header),
                dict(model.counts),
                dict(model.sync_status),
            )
        self._unsubscribe_rows = model.on_rows_change(self._on_rows_change)
        self._seed_baseline()
        # One sync = one comm message for the traits: the model enters our hold_sync around each batch of writes.
        add_hook = getattr(model, "add_batch_hook", None)
        self._remove_batch_hook: Callable[[], None] = add_hook(self._batch) if callable(add_hook) else _noop
        self.on_msg(self._on_msg)

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

    def close(self) -> None:
        """Stop the watch this widget owns, stop listening to the model, and close the comm (idempotent)."""
        if not self._closed:
            self._closed = True
            if self._watch is not None:
                self._watch.stop()
            self._unsubscribe_rows()
            with self._baseline_lock:
                self._baseline = {}
            self._remove_batch_hook()
            with contextlib.suppress(ValueError):  # traitlets raises if the handler is already gone
                self._model.unobserve(self._on_model_trait, names=["header", "counts", "sync_status"])
        super().close()

    def text(self) -> str:
        """The execution as a text tree (what ``text/plain`` carries)."""
        return render_text(self._model)

    def _ipython_display_(self) -> None:
        """Display with a display id (IPython calls this before ``_repr_mimebundle_``), so the output can be
        updated with the final snapshot when the execution is done."""
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        if bundle is None:
            return
        data, metadata = bundle
        handle = display(data, raw=True, metadata=metadata, display_id=True)  # type: ignore[no-untyped-call]
        if handle is not None:
            self._display_handles.append(handle)

    def _publish_final(self) -> None:
        """Refresh every output showing this widget with the final fallbacks (once)."""
        if self._final_published or not self._display_handles:
            return
        self._final_published = True
        bundle = self._repr_mimebundle_()
        if bundle is None:
            return
        data, metadata = bundle
        for handle in self._display_handles:
            try:
                handle.update(data, raw=True, metadata=metadata)
            except Exception:  # a display update is a nicety: never break the sync thread over it
                logger.warning("could not refresh the saved snapshot of %s", self.header.get("name"), exc_info=True)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The widget view plus ``text/plain`` (text tree) and ``text/html`` (static snapshot) fallbacks."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data = {**data, "text/plain": render_text(self._model), "text/html": render_html(self._model)}
        return data, metadata

    # ---- model -> view -------------------------------------------------------------------------------------

    def _batch(self) -> AbstractContextManager[Any]:
        return self.hold_sync() if not self._closed else nullcontext()

    def _on_model_trait(self, change: Mapping[str, Any]) -> None:
        # Runs on the thread that changed the model (the sync thread); ipywidgets sends the update from there.
        if self._closed:
            return
        with self._batch():
            setattr(self, change["name"], dict(change["new"]))
        if change["name"] == "sync_status" and change["new"].get("state") == "done":
            self._publish_final()  # the watch saw the terminal state and synced once more: rows are final

    def _rows_snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        snapshot = getattr(self._model, "snapshot", None)
        if callable(snapshot):  # atomic (version, rows) when the model offers it
            version, rows = snapshot()
            return int(version), list(rows)
        version = int(self._model.rows_version)
        return version, list(self._model.rows.values())

    def _seed_baseline(self) -> None:
        """Start the delta baseline from the model's rows as they are now (called once, after subscribing).

        Without it, the first change of every row that existed before the widget would go whole. Only with an
        atomic ``model.snapshot()``; a publication that raced ahead of the seeding wins (its keys have a baseline,
        the others then go whole once).
        """
        snapshot = getattr(self._model, "snapshot", None)
        if not callable(snapshot):
            return
        version, rows = snapshot()
        # We subscribed before taking the snapshot, so every publication up to `version` has already run its
        # callback (the model calls them under its lock, which snapshot() waits for); a later one may have run
        # too: then the baseline is newer than this snapshot and must not be overwritten.
        with self._baseline_lock:
            if self._baseline_version < int(version):
                self._baseline = {r["key"]: r for r in rows}
                self._baseline_version = int(version)

    def _on_rows_change(self, version: int, changed: list[dict[str, Any]], removed: list[str]) -> None:
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
        # - a view that finds a gap (a patch newer than store.version + 1: it adopted another view's snapshot and
        #   missed patches sent before it was listening) asks for a snapshot of its own again (widget.js).
        if self._closed:
            return
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
            # The flag first: a change published after it reaches the view as a patch, newer than the snapshot.
            self._views_seen = True
            mark_shown = getattr(self._model, "mark_shown", None)
            if callable(mark_shown):
                mark_shown()
            version, rows = self._rows_snapshot()
            self.send({"type": "snapshot", "view": content.get("view"), "version": version, "rows": rows})
        elif kind == "request":
            req_id = content.get("id")
            if not isinstance(req_id, (str, int)) or isinstance(req_id, bool):
                logger.warning("ignored a request without an id: %r", content)
                return
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
        if key not in self._model.rows:
            raise RequestError(f"no node {key!r} in this execution")
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
                raise RequestError(f"{_path_label(path)}: {e}") from None
            return {"path": path, "value": value_tree(value, path=path, **FULL_LIMITS)}
        variables = getattr(resolver, "variable_map", None)
        items: list[dict[str, Any]] = []
        for name in resolver:
            item: dict[str, Any] = {"name": name}
            var = variables.get(name) if isinstance(variables, Mapping) else None
            if var is not None:
                item["type"] = _variable_type(var)
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
            raise RequestError(f"{_path_label(path)}: {e}") from None
        self.selected_output = value
        self.selected_from = {"key": request.get("key") or "", "which": which, "path": _path_label(path)}
        _last_selected[:] = [value]
        return {"path": _path_label(path), "type": type(value).__name__}

    def _handle_error(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The whole error message: list responses trim it to 100 bytes, a single Get returns it whole."""
        target = self._target(request)
        remote = self._require_remote("fetch the full error")
        key = request.get("key") or ""
        if key == "":
            proto = remote.get_execution(target.to_flyte_idl().id)
        else:
            proto = remote.get_node_execution(target.to_flyte_idl().id)
        closure = proto.closure
        if not closure.HasField("error"):
            return {"message": "", "code": "", "kind": ""}
        err = closure.error
        return {"message": err.message, "code": err.code, "kind": _error_kind_name(err.kind)}

    def _handle_deck(self, request: Mapping[str, Any]) -> dict[str, Any]:
        target = self._target(request)
        remote = self._require_remote("open the deck")
        urls = [u for u in remote.create_download_link(target.to_flyte_idl().id) if safe_url(u)]
        if not urls:
            raise RequestError("the server returned no http(s) link to the deck")
        return {"url": urls[0]}

    def _gate(self, request: Mapping[str, Any], kinds: tuple[str, ...]) -> tuple[Any, str, dict[str, Any]]:
        key = request.get("key")
        if not isinstance(key, str) or key not in self._model.rows:
            raise RequestError(f"no node {key!r} in this execution")
        gate = self._model.rows[key].get("gate")
        if not gate or gate.get("kind") not in kinds:
            raise RequestError(f"node {key!r} is not waiting on {' or '.join(kinds)} (any more)")
        return self._execution_of(key), str(gate["signal_id"]), gate

    def _execution_of(self, key: str) -> Any:
        """What the client's signal calls take for row ``key``: its node wrapper, whose id names the workflow
        execution that owns the gate (for a gate inside a child launch plan, the child execution)."""
        return self._model.node(key)

    def _handle_approve(self, request: Mapping[str, Any]) -> dict[str, Any]:
        execution, signal_id, _ = self._gate(request, ("approve",))
        self._require_remote("approve").approve(execution, signal_id)
        return {"message": "Approved"}

    def _handle_reject(self, request: Mapping[str, Any]) -> dict[str, Any]:
        execution, signal_id, _ = self._gate(request, ("approve",))
        self._require_remote("reject").reject(execution, signal_id)
        return {"message": "Rejected"}

    def _handle_signal(self, request: Mapping[str, Any]) -> dict[str, Any]:
        execution, signal_id, _ = self._gate(request, ("signal",))
        if "value" not in request:
            raise RequestError("a signal request needs a value")
        # The JSON value as the view parsed it: set_signal builds the literal with the signal's own type, and a
        # value that does not fit comes back as the request's error, naming the type.
        value = request["value"]
        self._require_remote("send a signal").set_signal(execution, signal_id, value)
        return {"message": f"Sent {value!r}"}

    def _handle_terminate(self, request: Mapping[str, Any]) -> dict[str, Any]:
        cause = request.get("cause") or ""
        if not isinstance(cause, str):
            raise RequestError(f"cause must be a string, got {cause!r}")
        self._require_remote("terminate").terminate(self._require_execution(), cause)
        return {"message": "Termination requested"}

    def _handle_relaunch(self, request: Mapping[str, Any]) -> dict[str, Any]:
        new_id = self._require_remote("relaunch").relaunch(self._require_execution())
        return self._new_execution("Relaunched as", new_id)

    def _handle_recover(self, request: Mapping[str, Any]) -> dict[str, Any]:
        new_id = self._require_remote("recover").recover(self._require_execution())
        return self._new_execution("Recovering as", new_id)

    def _new_execution(self, what: str, new_id: Any) -> dict[str, Any]:
        """Name and console link of an execution an action created (the user watches it with ``watch()``)."""
        name = str(getattr(new_id, "name", "") or new_id)
        try:
            url = safe_url(self._require_remote("link the new execution").generate_console_url(new_id))
        except Exception:  # no console URL is not a failure of the action itself
            logger.warning("no console URL for %s", name, exc_info=True)
            url = None
        return {"message": what, "name": name, "url": url}

    def _require_remote(self, what: str) -> Any:
        if self._remote is None:
            raise RequestError(f"cannot {what}: this widget has no Remote (pass remote= to watch())")
        return self._remote

    def _require_execution(self) -> Any:
        execution = self._execution if self._execution is not None else getattr(self._model, "execution", None)
        if execution is None:
            raise RequestError("this widget was created without its execution")
        return execution

    _HANDLERS: dict[str, Callable[[ExecutionWidget, Mapping[str, Any]], Any]] = {
        "inputs": _handle_inputs,
        "outputs": _handle_outputs,
        "select": _handle_select,
        "error": _handle_error,
        "deck": _handle_deck,
        "approve": _handle_approve,
        "reject": _handle_reject,
        "signal": _handle_signal,
        "terminate": _handle_terminate,
        "relaunch": _handle_relaunch,
        "recover": _handle_recover,
    }


def _error_data(e: BaseException) -> dict[str, Any]:
    """An exception as the data a response carries (type and message; never a traceback with local values)."""
    return {"type": type(e).__name__, "message": str(e) or type(e).__name__}


def _error_kind_name(kind: int) -> str:
    return {0: "UNKNOWN", 1: "USER", 2: "SYSTEM"}.get(int(kind), str(kind))


def _variable_type(var: Any) -> str:
    try:
        literal_type = var.type if hasattr(var, "type") else var
        return describe_type(literal_type)
    except Exception:  # an interface from a newer Flyte: the type name is decoration only
        return "unknown"


def _noop() -> None:
    return None


# The value last clicked in ANY widget: an execution displayed by its repr has no widget variable to ask.
_last_selected: list[Any] = []


def selected_output() -> Any:
    """The Python value of the input/output entry last clicked in any execution widget of this kernel.

    ``widget.selected_output`` is the same for one widget; this also works for an execution shown by its repr.
    Raises ``LookupError`` when nothing was clicked yet.
    """
    if not _last_selected:
        raise LookupError("no input or output was clicked in an execution widget yet")
    return _last_selected[0]


# ---------------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------------

_ACCEPTED = (
    "watch() takes a FlyteWorkflowExecution (ours or flytekit's), a console URL, 'project:domain:name', "
    "or a name with project= and domain="
)


def _in_kernel() -> bool:
    """Whether we run inside a Jupyter kernel (a widget can be shown), not a terminal IPython or plain Python."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _default_remote() -> Any:
    from ..remote import Remote

    return Remote.from_config()


def _resolve_execution(x: Any, remote: Any, project: str | None, domain: str | None) -> FlyteWorkflowExecution:
    """Our wrapper for whatever :func:`watch` was given, with a remote to sync it."""
    from ..objects.executions import FlyteWorkflowExecution

    if isinstance(x, FlyteWorkflowExecution):
        if remote is not None and remote is not x._remote:
            return FlyteWorkflowExecution.promote_from_model(x, remote=remote)
        if x._remote is None:
            return FlyteWorkflowExecution.promote_from_model(x, remote=_default_remote())
        return x
    if isinstance(x, str):
        if not x.strip():
            raise TypeError(f"{_ACCEPTED}; got an empty string")
        remote = remote if remote is not None else _default_remote()
        if project is not None or domain is not None:
            if project is None or domain is None:
                raise TypeError(
                    f"{_ACCEPTED}; with a name, give both project= and domain= (got {project!r}, {domain!r})"
                )
            fetched: FlyteWorkflowExecution = remote.fetch_execution(project, domain, x)
        else:
            fetched = remote.fetch_execution(x)
        return fetched
    if callable(getattr(x, "to_flyte_idl", None)) and hasattr(x, "id"):  # flytekit's FlyteWorkflowExecution
        remote = remote if remote is not None else _default_remote()
        return FlyteWorkflowExecution.promote_from_model(x, remote=remote)
    raise TypeError(f"{_ACCEPTED}; got {type(x).__module__}.{type(x).__qualname__}")


def _start_watch(execution: Any, model: Any) -> WatchLike:
    from ..live import scheduler

    started: WatchLike = scheduler.watch(execution, model)
    return started


def watch(x: Any, remote: Any = None, *, project: str | None = None, domain: str | None = None) -> ExecutionWidget:
    """Watch an execution live: returns the widget (display it, or let the cell show it).

    ``x`` is our :class:`~flyteexec_widget.executions.FlyteWorkflowExecution`, flytekit's (anything with
    ``to_flyte_idl()`` and ``id``), a console URL, ``"project:domain:name"``, or a name with ``project=`` and
    ``domain=``. ``remote`` defaults to the execution's own, else ``Remote.from_config()``. A scheduler watch keeps
    the model fresh until the execution is terminal; closing the widget stops it.
    """
    from ..live.model import ExecutionModel

    execution = _resolve_execution(x, remote, project, domain)
    model = ExecutionModel(execution)
    handle = _start_watch(execution, model)
    try:
        return ExecutionWidget(model, execution=execution, remote=execution._remote, watch=handle)
    except Exception:
        handle.stop()
        raise


def _live_widget(execution: FlyteWorkflowExecution) -> tuple[ExecutionWidget | None, Any]:
    """The widget showing ``execution`` (None outside a kernel) and its model.

    A watch keeps it fresh unless the execution is already terminal and its nodes were synced.
    """
    from ..live.model import ExecutionModel

    model = ExecutionModel(execution)
    if not _in_kernel():
        return None, model
    remote = getattr(execution, "_remote", None)
    synced = getattr(execution, "_node_executions", None) is not None
    needs_sync = remote is not None and not (bool(model.header.get("terminal")) and synced)
    handle = _start_watch(execution, model) if needs_sync else None
    return ExecutionWidget(model, execution=execution, remote=remote, watch=handle), model


def repr_mimebundle(execution: FlyteWorkflowExecution) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(data, metadata)`` for a ``FlyteWorkflowExecution._repr_mimebundle_``: in a kernel the live widget plus
    ``text/plain`` and ``text/html``; elsewhere (terminal IPython, plain Python) only those two, no thread started.
    The metadata matters in Colab (anywidget's custom widget manager)."""
    widget, model = _live_widget(execution)
    bundle = widget._repr_mimebundle_() if widget is not None else None
    if bundle is None:
        return {"text/plain": render_text(model), "text/html": render_html(model)}, {}
    return dict(bundle[0]), dict(bundle[1])


def mimebundle_for(execution: FlyteWorkflowExecution) -> dict[str, Any]:
    """What displaying a ``FlyteWorkflowExecution`` shows: the data of :func:`repr_mimebundle`."""
    return repr_mimebundle(execution)[0]


def ipython_display_for(execution: FlyteWorkflowExecution) -> None:
    """For a ``FlyteWorkflowExecution._ipython_display_``: like :func:`repr_mimebundle`, but displayed with a
    display id, so the output is refreshed with the final state once the watch is done (the snapshot saved with
    the notebook then shows how the execution ended, not how it looked when the cell ran)."""
    widget, model = _live_widget(execution)
    if widget is not None:
        widget._ipython_display_()
        return
    from IPython.display import display

    display(  # type: ignore[no-untyped-call]
        {"text/plain": render_text(model), "text/html": render_html(model)}, raw=True
    )


def display_for(execution: FlyteWorkflowExecution, model: ModelLike) -> ExecutionWidget | None:
    """Show a widget over ``model`` (owned and synced by the caller, e.g. ``wait()``) and return it.

    The widget does not own a watch: closing it leaves the caller's sync running. Outside a kernel nothing is
    shown and ``None`` is returned (the caller prints a text status instead).
    """
    if not _in_kernel():
        return None
    from IPython.display import display

    widget = ExecutionWidget(model, execution=execution, remote=getattr(execution, "_remote", None))
    display(widget)  # type: ignore[no-untyped-call]
    return widget
