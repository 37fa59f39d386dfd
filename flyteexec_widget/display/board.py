"""The board on screen: ``board(...)``, the :class:`Board` it returns, and its widget :class:`BoardWidget`.

The board's table is an anywidget of its own (``static/board.js`` over ``static/widget.js``'s helpers, joined by
:mod:`.assets` as :data:`~.assets.BOARD_MODULES`). Its rows are few (one per execution) and small, so they travel
as a trait (``rows``: the whole list, set from the sync thread, which reaches the page live also while a cell
runs); the widget mirrors a :class:`~flyteexec_widget.live.board.BoardModel` kept fresh by one scheduler watch.

Requests from the view use the execution widget's protocol (:mod:`.requests`: ``{"type": "request", "id",
"action", ...}``, answered ``accepted`` then ``response``), on a worker thread; the actions and their handlers are
in :mod:`.board_requests`, the comparison in :mod:`.board_compare`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import anywidget
import ipywidgets
import traitlets
from IPython.display import display

from ..live import scheduler as _scheduler
from ..live.board import BoardIds, BoardModel, BoardQuery, BoardSync, Source
from ..objects.executions import FlyteWorkflowExecution
from . import assets, board_compare, board_requests, kernel
from .board_render import board_html, board_text
from .requests import answer, request_id
from .widget import SAVED_SNAPSHOT_EVERY_S, ExecutionWidget, phase_styles

__all__ = ["Board", "BoardWidget", "board"]

logger = logging.getLogger(__name__)

Runner = Callable[[Callable[[], None]], None]

#: Tree widgets open under a board at most (pinned ones included): each is a watch of its own.
MAX_OPEN = 4

# The boards board() made, by what they show: running a cell again makes a new board of the same query and closes
# the old one (a query's board never ends by itself; without this each re-run would add a refresh loop for good).
_BOARDS: weakref.WeakValueDictionary[tuple[int | None, Any, Any], Board] = weakref.WeakValueDictionary()
_BOARDS_LOCK = threading.Lock()


def _daemon(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, name="flyteexec-board-request", daemon=True).start()


class BoardWidget(anywidget.AnyWidget):
    """The board's table: rows, header, counts and sync status of a :class:`BoardModel`, and the requests."""

    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)

    rows: traitlets.List[Any] = traitlets.List().tag(sync=True)
    header = traitlets.Dict().tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)
    sync_status = traitlets.Dict().tag(sync=True)
    styles = traitlets.Dict().tag(sync=True)
    can_act = traitlets.Bool(False).tag(sync=True)
    instance = traitlets.Unicode("").tag(sync=True)
    #: Keys of the executions whose tree is open under the board, and which of them are pinned.
    open_keys: traitlets.List[str] = traitlets.List().tag(sync=True)
    pinned: traitlets.List[str] = traitlets.List().tag(sync=True)
    #: The keys ticked in the view (set by the view's ``select`` requests; not synced back).
    selected: traitlets.List[str] = traitlets.List()

    @traitlets.default("_esm")
    def _default_esm(self) -> str:
        return assets.joined_module(assets.BOARD_MODULES)

    @traitlets.default("_css")
    def _default_css(self) -> str:
        return assets.stylesheet(assets.BOARD_STYLES)


class Board:
    """A live table of executions (see :func:`board`). Display it (or let the cell show it).

    Attributes: ``widget`` (the table), ``model``, ``sync``; :attr:`rows`, :attr:`selected`, :meth:`open`,
    :meth:`compare`, :meth:`refresh`, :meth:`close`.
    """

    def __init__(
        self,
        remote: Any,
        source: Source,
        *,
        metric: str | None = None,
        progress: bool = True,
        poll_interval: float | None = None,
        scheduler: _scheduler.SyncScheduler | None = None,
        runner: Runner | None = None,
    ) -> None:
        self.remote = remote
        self.sync = BoardSync(remote, source, metric=metric, progress=progress)
        self.model = BoardModel(self.sync)
        self._runner: Runner = runner or _daemon
        self._lock = threading.Lock()
        self._open: dict[str, ExecutionWidget] = {}
        self._closed = False
        # The saved-snapshot outputs (IPython DisplayHandles), refreshed at most every SAVED_SNAPSHOT_EVERY_S while
        # the board changes, and once when a board of ids ended: a notebook saved later shows what it showed then.
        self._handles: list[Any] = []
        self._saved_at = 0.0
        self._saved_dirty = False
        self._saved_final = False
        self.widget = BoardWidget(
            styles=phase_styles(), can_act=True, instance=uuid.uuid4().hex, sync_status=dict(self.model.sync_status)
        )
        self.panes = ipywidgets.HBox(layout=ipywidgets.Layout(flex_flow="row wrap", width="100%"))
        self.container = ipywidgets.VBox([self.widget, self.panes], layout=ipywidgets.Layout(width="100%"))
        self.container.add_class("fxb-container")
        self.model.observe(self._on_model, names=["header", "counts", "sync_status"])
        self._unsubscribe = self.model.on_rows_change(self._on_rows)
        self._remove_hook = self.model.add_batch_hook(self.widget.hold_sync)
        self.widget.on_msg(self._on_msg)
        sched = scheduler if scheduler is not None else _scheduler.default_scheduler()
        self.watch = sched.watch(source, self.model, remote=remote, tree=self.sync, poll_interval=poll_interval)

    # ---- public ------------------------------------------------------------------------------------------------

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows as the board shows them (plain JSON), in board order."""
        return [dict(r) for r in self.model.rows.values()]

    @property
    def selected(self) -> list[str]:
        """The keys (``"project:domain:name"``) ticked in the view."""
        return list(self.widget.selected)

    def execution(self, key: str) -> FlyteWorkflowExecution:
        """The execution wrapper behind a row (as the board last listed it)."""
        node: FlyteWorkflowExecution = self.model.node(key)
        return node

    def refresh(self, timeout: float = 30.0) -> bool:
        """Refresh now (on the scheduler) and wait up to ``timeout`` seconds; returns whether it ran."""
        return self.watch.sync_now(timeout)

    def open(self, key: str, *, pin: bool = False) -> ExecutionWidget:
        """Open the tree widget of ``key`` under the board (replacing the unpinned one, unless ``pin``)."""
        return self._open_pane(key, pin)

    def close_tree(self, key: str) -> None:
        """Close the tree widget of ``key`` under the board (pinned or not; nothing when it is not open)."""
        with self._lock:
            w = self._open.pop(key, None)
        if w is not None:
            w.close()
        self.widget.pinned = [k for k in self.widget.pinned if k != key]
        self._sync_panes()

    def unpin(self, key: str) -> None:
        """Let the next tree opened replace the one of ``key`` (as if it was opened without ``pin``)."""
        self.widget.pinned = [k for k in self.widget.pinned if k != key]

    def compare(self, a: str, b: str) -> dict[str, Any]:
        """Inputs, outputs and top-level node durations of executions ``a`` and ``b`` side by side."""
        return board_compare.compare(self.remote, self.sync, self.model.rows, a, b)

    def close(self) -> None:
        """Stop the refreshes and close the board's widgets (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.watch.stop()
        self._unsubscribe()
        self._remove_hook()
        with self._lock:
            panes, self._open = list(self._open.values()), {}
        for w in panes:
            w.close()
        for wid in (self.widget, self.panes, self.container):
            wid.close()

    def text(self) -> str:
        """The board as a text table."""
        return board_text(self.rows, self.model.header)

    def _ipython_display_(self) -> None:
        """In a kernel: the saved snapshot (refreshed while the board changes), then the live board. Elsewhere
        (terminal IPython): the text and HTML tables."""
        if not kernel.in_kernel():
            display({"text/plain": self.text(), "text/html": board_html(self.rows, self.model.header)}, raw=True)  # type: ignore[no-untyped-call]
            return
        handle = display(self._saved_bundle(), raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if handle is not None:
            self._handles.append(handle)
            self._saved_at = time.monotonic()
        display(self.container)  # type: ignore[no-untyped-call]

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """For front ends that ask for a bundle instead of calling ``_ipython_display_``: text and HTML tables."""
        return {"text/plain": self.text(), "text/html": board_html(self.rows, self.model.header)}

    def _saved_bundle(self) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": board_html(self.rows, self.model.header, saved=True)}

    def _refresh_saved(self) -> None:
        """Refresh the saved snapshot when it is old enough, or once the board ended (runs on the sync thread)."""
        final = (self.model.sync_status or {}).get("state") == "done"
        now = time.monotonic()
        if not self._handles or self._saved_final:
            return
        if not final and (not self._saved_dirty or now - self._saved_at < SAVED_SNAPSHOT_EVERY_S):
            return
        self._saved_at, self._saved_final, self._saved_dirty = now, final, False
        bundle = self._saved_bundle()
        for handle in list(self._handles):
            try:
                handle.update(bundle, raw=True)
            except Exception:  # a nicety: never break the sync thread over it
                logger.warning("could not refresh the board's saved snapshot", exc_info=True)

    def __repr__(self) -> str:
        h = self.model.header
        return f"<Board {h.get('source', '?')}: {h.get('total', 0)} executions>"

    # ---- model -> widget ---------------------------------------------------------------------------------------

    def _on_model(self, change: Mapping[str, Any]) -> None:
        if not self._closed:
            setattr(self.widget, change["name"], dict(change["new"]))
            if change["name"] == "sync_status":
                self._refresh_saved()

    def _on_rows(self, version: int, changed: list[Any], removed: list[str]) -> None:
        if not self._closed:
            self.widget.rows = [dict(r) for r in self.model.rows.values()]
            self._saved_dirty = True

    # ---- requests ----------------------------------------------------------------------------------------------

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "request":
            logger.warning("board: ignored a message from the view: %r", content)
            return
        if request_id(content) is None:
            logger.warning("board: ignored a request without an id: %r", content)
            return
        self.widget.send({"type": "accepted", "id": content["id"]})
        self._runner(lambda: self._answer(content))

    def _answer(self, request: Mapping[str, Any]) -> None:
        answer(board_requests.HANDLERS, self, request, self.widget.send, closed=lambda: self._closed, log=logger)

    def _open_pane(self, key: str, pin: bool) -> ExecutionWidget:
        listed = self.model.node(key)
        with self._lock:
            existing = self._open.get(key)
        if existing is not None:
            if pin and key not in self.widget.pinned:
                self.widget.pinned = [*self.widget.pinned, key]
            return existing
        from .notebook import watch as watch_execution  # the one way a tree widget is made and watched

        widget = watch_execution(self.remote.fetch_execution(listed.id.to_flyte_idl()), self.remote)
        with self._lock:
            # closed while the tree was fetched: close() (which sets _closed, then empties _open under this lock)
            # will not see this one
            closed = self._closed
            # opened meanwhile by another request (a double click): keep that one, this one goes
            raced = None if closed else self._open.get(key)
            if not closed and raced is None:
                pinned = set(self.widget.pinned)
                if pin:
                    pinned.add(key)
                drop = [k for k in self._open if k not in pinned]
                while len(self._open) - len(drop) >= MAX_OPEN:  # too many pinned: the oldest gives way
                    oldest = next(k for k in self._open if k not in drop)
                    drop.append(oldest)
                    pinned.discard(oldest)
                closing = [self._open.pop(k) for k in drop]
                self._open[key] = widget
                self.widget.pinned = [k for k in self._open if k in pinned]
        if closed or raced is not None:
            widget.close()
            if raced is None:
                raise RuntimeError("the board is closed: its rows open no tree")
            return raced
        for w in closing:
            w.close()
        widget._push_snapshot()  # the page's store asks again if this arrives before the view's module is loaded
        self._sync_panes()
        return widget

    def _sync_panes(self) -> None:
        with self._lock:
            items = list(self._open.items())
        boxes = []
        for _key, w in items:
            w.layout.min_width = "420px"
            w.layout.flex = "1 1 0"
            boxes.append(w)
        self.panes.children = tuple(boxes)
        self.widget.open_keys = [k for k, _ in items]


def _board_remote(remote: Any, items: list[Any]) -> Any:
    """The client a board uses, as :func:`~.notebook.watch` picks one: ``remote`` (flytekit's ``FlyteRemote``
    becomes ours over its settings), else the first given execution's own (ours, or a flytekit execution's
    ``FlyteRemote``), else ``Remote.from_config()``."""
    from .notebook import _as_remote, _default_remote, _flytekit_remote

    if remote is not None:
        return _as_remote(remote)
    for x in items:
        if isinstance(x, FlyteWorkflowExecution):
            if x._remote is not None:
                return x._remote
        elif callable(getattr(x, "to_flyte_idl", None)) and hasattr(x, "id"):  # flytekit's execution
            return _flytekit_remote(x)
    return _default_remote()


def board(
    executions: Iterable[Any] | None = None,
    remote: Any = None,
    *,
    project: str | None = None,
    domain: str | None = None,
    launch_plan: str | None = None,
    workflow: str | None = None,
    phase: str | Iterable[str] | None = None,
    since: _dt.datetime | _dt.timedelta | None = None,
    principal: str | None = None,
    limit: int = 200,
    metric: str | None = None,
    progress: bool = True,
    poll_interval: float | None = None,
) -> Board:
    """A live table of executions: ``executions`` (our or flytekit's execution objects, ids, ``"P:D:N"`` or console
    URLs), or a query of a project/domain (``launch_plan``/``workflow`` name, ``phase``, ``since`` a datetime or
    timedelta, ``principal``; the newest ``limit``), whose new matches appear while the board runs.

    ``metric``: a scalar output shown as a sortable column (e.g. ``"accuracy"``). ``progress``: show "k of N
    nodes" of running executions (one node listing each per refresh). ``remote`` (ours or flytekit's
    ``FlyteRemote``) defaults to the first execution's own (a flytekit execution's ``FlyteRemote``), else
    ``Remote.from_config()``; ``project``/``domain`` default to the remote's. A query's board refreshes until
    :meth:`Board.close`; calling ``board()`` again with the same arguments (a cell run again) closes the previous
    one.
    """
    if poll_interval is not None and (
        isinstance(poll_interval, bool) or not isinstance(poll_interval, (int, float)) or not poll_interval > 0
    ):
        raise ValueError(f"board(): poll_interval must be a positive number of seconds, got {poll_interval!r}")
    if not isinstance(progress, bool):
        raise TypeError(f"board(): progress must be True or False, got {progress!r}")
    given = remote
    if isinstance(executions, Iterable) and not isinstance(executions, (str, bytes)):
        executions = list(executions)  # read once (a generator), for the remote and the ids
    remote = _board_remote(remote, executions if isinstance(executions, list) else [])
    source: Source
    if executions is not None:
        if isinstance(executions, (str, bytes)) or not isinstance(executions, Iterable):
            raise TypeError(
                "board() takes a list of executions (objects, ids, 'P:D:N' or console URLs) or a query "
                f"(project=, domain=, launch_plan=, ...); got {type(executions).__name__}"
            )
        query_args = (launch_plan, workflow, phase, since, principal)
        if any(a is not None for a in query_args):
            raise TypeError("board(): give either executions or a query (launch_plan=, workflow=, ...), not both")
        source = BoardIds.make(
            list(executions),
            default_project=project or getattr(remote, "default_project", None),
            default_domain=domain or getattr(remote, "default_domain", None),
        )
    else:
        p = project or getattr(remote, "default_project", None)
        d = domain or getattr(remote, "default_domain", None)
        if not p or not d:
            raise ValueError("board(): a query needs project= and domain= (or a remote with default_project/domain)")
        source = BoardQuery.make(
            p,
            d,
            launch_plan=launch_plan,
            workflow=workflow,
            phase=phase,
            since=since,
            principal=principal,
            limit=limit,
        )
    # what the caller asked for (a `since` timedelta as given: the query fixes it to a time when made)
    asked = (
        source
        if isinstance(source, BoardIds)
        else (source.project, source.domain, launch_plan, workflow, source.phase, since, principal, limit)
    )
    # keyed on the remote as given: remote=None (or a FlyteRemote) gives a new client each call, yet a cell run
    # again asks for the same board
    key = (None if given is None else id(given), asked, metric)
    with _BOARDS_LOCK:
        previous = _BOARDS.pop(key, None)
    if previous is not None:
        previous.close()
    made = Board(remote, source, metric=metric, progress=progress, poll_interval=poll_interval)
    with _BOARDS_LOCK:
        _BOARDS[key] = made
    return made
