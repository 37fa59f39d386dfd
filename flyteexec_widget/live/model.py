"""ExecutionModel: the observable, plain-JSON state of one execution (header, counts, node rows, sync status).

The sync layer feeds it the wrapper tree after each sync (:meth:`ExecutionModel.update_from`); the model has it
turned into rows and a header (:mod:`~flyteexec_widget.live.rows`: the schema and the conversion), compares the rows
with the previous ones and publishes only what changed as ``(version, changed_rows, removed_keys)``, so a view
patches instead of redrawing. It also holds the sync status the scheduler reports.

Thread use: the sync thread writes, views read. Every write happens inside :meth:`ExecutionModel.batch`, which
holds the model's lock, holds trait notifications until the end, and enters every context registered with
:meth:`ExecutionModel.add_batch_hook` (a widget registers its ``hold_sync`` so a sync becomes one comm message).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager as ContextManager
from types import MappingProxyType
from typing import Any

import traitlets

from ..objects.executions import FlyteNodeExecution, FlyteWorkflowExecution
from .rows import FailedAt, Header, Row, RowBuilder, failed_at, header_of, is_failed_row, safe_url

__all__ = ["ExecutionModel", "RowsCallback", "models_for"]

log = logging.getLogger(__name__)

RowsCallback = Callable[[int, list[Row], list[str]], None]

SYNC_STATES = ("live", "reconnecting", "login", "done", "stopped", "error")

_ALL_MODELS: weakref.WeakSet[ExecutionModel] = weakref.WeakSet()
_ALL_LOCK = threading.Lock()


def _iso(value: _dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"timestamps in sync_status must be timezone-aware, got {value!r}")
    return value.astimezone(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ExecutionModel(traitlets.HasTraits):
    """Observable state of one workflow execution, in plain JSON-able values.

    Traits: ``header`` (a :class:`~flyteexec_widget.live.rows.Header`), ``counts`` (phase name -> number of node
    rows: array subtasks are counted on their array's row, not here; nodes not started yet as ``NOT_STARTED``;
    superseded rows of a retried parent's earlier attempts left out),
    ``rows_version`` and ``sync_status`` (state: live|reconnecting|login|done|stopped|error, last_synced_at, attempt,
    next_retry_at, last_error, login_url: the http(s) page where a login under way waits for the user, in state
    "login"; server_error: ``"INTERNAL: <the server's text>"`` when FlyteAdmin itself failed, in state
    "reconnecting").
    Rows: :attr:`rows`, :meth:`on_rows_change`, :meth:`node`.
    """

    header = traitlets.Dict()
    counts = traitlets.Dict()
    rows_version = traitlets.Int(0)
    sync_status = traitlets.Dict()

    def __init__(self, execution: FlyteWorkflowExecution | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.RLock()
        self._batch_depth = 0
        self._rows: dict[str, Row] = {}
        self._nodes: dict[str, FlyteNodeExecution] = {}
        self._builder = RowBuilder()
        self._tree_version = 0  # the execution's _fx_tree_version at the last build (0: never synced)
        self._subscribers: list[RowsCallback] = []
        self._batch_hooks: list[Callable[[], ContextManager[Any]]] = []
        self.shown = False
        self.execution: FlyteWorkflowExecution | None = None
        self.sync_status = {
            "state": "stopped",
            "last_synced_at": None,
            "attempt": 0,
            "next_retry_at": None,
            "last_error": None,
            "login_url": None,
            "server_error": None,
        }
        with _ALL_LOCK:
            _ALL_MODELS.add(self)
        if execution is not None:
            self.update_from(execution)

    # ---- reading -------------------------------------------------------------------------------------------------

    @property
    def rows(self) -> Mapping[str, Row]:
        """The current rows, key -> row, in tree order (a read-only view; rows must not be mutated)."""
        return MappingProxyType(self._rows)

    def node(self, key: str) -> FlyteNodeExecution:
        """The wrapper behind a row: a FlyteNodeExecution (an array subtask row gives its array node's wrapper)."""
        try:
            return self._nodes[key]
        except KeyError:
            raise KeyError(f"no row with key {key!r} in this execution model") from None

    @property
    def execution_key(self) -> str:
        """``"project:domain:name"`` of the execution shown, or ``""`` before the first update."""
        h = self.header
        return f"{h['project']}:{h['domain']}:{h['name']}" if h else ""

    def snapshot(self) -> tuple[int, list[Row]]:
        """``(version, rows)`` taken under the lock, for a view that (re)draws from scratch."""
        with self._lock:
            return self.rows_version, list(self._rows.values())

    # ---- subscribing ---------------------------------------------------------------------------------------------

    def on_rows_change(self, callback: RowsCallback) -> Callable[[], None]:
        """Call ``callback(version, changed_rows, removed_keys)`` after each change; returns an unsubscribe.

        Called on the thread that updates the model (the sync thread), inside :meth:`batch`.
        """
        if not callable(callback):
            raise TypeError(f"on_rows_change needs a callable, got {callback!r}")
        return self._register(self._subscribers, callback)

    def add_batch_hook(self, factory: Callable[[], ContextManager[Any]]) -> Callable[[], None]:
        """Enter ``factory()`` around every batch of writes (e.g. a widget's ``hold_sync``); returns a remover."""
        if not callable(factory):
            raise TypeError(f"add_batch_hook needs a callable returning a context manager, got {factory!r}")
        return self._register(self._batch_hooks, factory)

    def _register(self, registry: list[Any], item: Any) -> Callable[[], None]:
        """Add ``item`` to ``registry`` under the lock; return an idempotent remover."""
        with self._lock:
            registry.append(item)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                registry.remove(item)

        return remove

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes: the model's lock, trait notifications held to the end, and the registered hooks."""
        with self._lock, contextlib.ExitStack() as stack:
            if self._batch_depth == 0:
                for factory in list(self._batch_hooks):
                    stack.enter_context(factory())
                stack.enter_context(self.hold_trait_notifications())
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1

    @property
    def has_views(self) -> bool:
        """Whether a view (a widget) is attached: it registered a batch hook and has not removed it (closed)."""
        with self._lock:
            return bool(self._batch_hooks)

    def mark_shown(self) -> None:
        """Record that a live view of this model is on screen (``wait()`` then does not show another one)."""
        self.shown = True

    # ---- writing -------------------------------------------------------------------------------------------------

    def update_from(self, execution: FlyteWorkflowExecution) -> int:
        """Rebuild header, counts and rows from a synced wrapper tree; publish changed rows. Returns the version."""
        with self._lock:
            tree_version = execution._fx_tree_version
            if tree_version and execution is self.execution and tree_version == self._tree_version:
                rows, nodes = self._rows, self._nodes  # the sync changed nothing below the header
            else:
                rows, nodes = self._builder.build(execution)
            self._tree_version = tree_version
            return self._publish(execution, rows, nodes)

    def _publish(
        self, execution: FlyteWorkflowExecution, rows: dict[str, Row], nodes: dict[str, FlyteNodeExecution]
    ) -> int:
        with self.batch():
            old = self._rows
            same = rows is old  # the tree did not move: nothing below the header to compare or count again
            changed: list[Row]
            removed: list[str]
            if same:
                changed, removed = [], []
            elif not old:  # the first publication (a first paint): every row is new, nothing to compare
                changed, removed = list(rows.values()), []
            else:  # an unchanged node's row is the very object published before (RowBuilder): not compared
                changed = [row for key, row in rows.items() if (prev := old.get(key)) is not row and prev != row]
                removed = [key for key in old if key not in rows]
            self.execution = execution
            self._rows, self._nodes = rows, nodes
            header = header_of(execution)
            header["failed_at"] = self._failed_at(header, old, rows, changed, removed)
            self.header = dict(header)
            if not same or not self.counts:
                counts: dict[str, int] = {}
                for row in rows.values():
                    if row["kind"] == "subtask" or row["superseded"]:
                        continue  # counted on its array's row / an earlier attempt of a retried parent: the latest runs
                    counts[row["phase"]] = counts.get(row["phase"], 0) + 1
                self.counts = counts
            if changed or removed:
                self.rows_version += 1
                version = self.rows_version
                for callback in list(self._subscribers):
                    try:
                        callback(version, changed, removed)
                    except Exception:
                        log.exception("a rows subscriber of %s failed", self.execution_key)
            return self.rows_version

    def _failed_at(
        self, header: Header, old: Mapping[str, Row], rows: Mapping[str, Row], changed: list[Row], removed: list[str]
    ) -> FailedAt | None:
        """The header's ``failed_at``: the last one while neither the execution's error nor any failed row (before
        or after) changed, else worked out again over every row (a steady sync of 10,000 rows skips that walk)."""
        prev = self.header
        if not old:  # a first paint: every row is new, so the earlier answer (no rows: none) cannot stand
            return failed_at(header["error"], rows) if rows else None
        if (
            prev
            and rows
            and not removed
            and prev.get("error") == header["error"]
            and not any(
                is_failed_row(r) or ((o := old.get(r["key"])) is not None and is_failed_row(o)) for r in changed
            )
        ):
            kept: FailedAt | None = prev.get("failed_at")
            return kept
        return failed_at(header["error"], rows) if rows else None

    def set_sync_status(
        self,
        state: str,
        *,
        attempt: int = 0,
        next_retry_at: _dt.datetime | None = None,
        last_error: str | None = None,
        synced_at: _dt.datetime | None = None,
        login_url: str | None = None,
        server_error: str | None = None,
    ) -> None:
        """Set the sync status; ``synced_at`` records a successful sync (kept until the next one). ``login_url`` is
        kept only if it is an http(s) link; ``server_error`` is the server's failure a "reconnecting" is about."""
        if state not in SYNC_STATES:
            raise ValueError(f"sync state must be one of {SYNC_STATES}, got {state!r}")
        with self.batch():
            prev = self.sync_status
            self.sync_status = {
                "state": state,
                "last_synced_at": _iso(synced_at) if synced_at is not None else prev.get("last_synced_at"),
                "attempt": int(attempt),
                "next_retry_at": _iso(next_retry_at),
                "last_error": last_error,
                "login_url": safe_url(login_url),
                "server_error": server_error,
            }


def models_for(execution_key: str) -> list[ExecutionModel]:
    """Every live model currently showing ``"project:domain:name"``."""
    with _ALL_LOCK:
        models = list(_ALL_MODELS)
    return [m for m in models if m.execution_key == execution_key]
