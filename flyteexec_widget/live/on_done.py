"""``on_done``: a user's callback run once when a watched execution has ended.

The watch reports ``done`` in the model's sync status after it saw a terminal phase and synced once more (the
tree is final). The callback then runs once, with the execution, on a daemon thread of its own: never on the
scheduler's threads (a slow callback, e.g. one launching the next execution, holds up no watch) nor on the
cell's. An exception in it is logged (logger ``flyteexec_widget.live.on_done``), never raised anywhere. A watch
that ends otherwise (stopped, a permanent error) does not call it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from .model import ExecutionModel

__all__ = ["FollowedOnDone", "call_when_done"]

log = logging.getLogger(__name__)


def _run(callback: Callable[[Any], Any], execution: Any, what: str) -> None:
    try:
        callback(execution)
    except Exception:
        log.exception("on_done callback for %s raised", what)


def call_when_done(
    model: ExecutionModel,
    execution: Any,
    callback: Callable[[Any], Any],
    *,
    start: Callable[[Callable[[], None]], None] | None = None,
) -> Callable[[], None]:
    """Run ``callback(execution)`` once when ``model``'s sync status becomes ``done``; returns a function that
    cancels it. ``start`` runs the call (default: a new daemon thread; tests pass ``lambda fn: fn()``)."""
    fired = threading.Lock()  # taken once: the callback cannot run twice, even if two updates race

    def launch(fn: Callable[[], None]) -> None:
        threading.Thread(target=fn, name="flyteexec-on-done", daemon=True).start()

    runner = start or launch

    def on_status(change: Mapping[str, Any]) -> None:
        if (change["new"] or {}).get("state") != "done" or not fired.acquire(blocking=False):
            return
        cancel()
        what = model.execution_key or repr(execution)
        runner(lambda: _run(callback, execution, what))

    def cancel() -> None:
        with contextlib.suppress(ValueError):  # already gone
            model.unobserve(on_status, names=["sync_status"])

    model.observe(on_status, names=["sync_status"])
    return cancel


class FollowedOnDone:
    """``watch(on_done=...)`` of a widget that may follow other executions (a relaunch, a recovery): the callback
    runs once, for the execution the widget shows when one ends. Following another execution before the one shown
    ended moves the callback to it (the old watch stops, so that end would never be seen); once it ran, following
    does not run it again."""

    def __init__(
        self, callback: Callable[[Any], Any], *, start: Callable[[Callable[[], None]], None] | None = None
    ) -> None:
        self._callback = callback
        self._start = start
        self._lock = threading.Lock()
        self._fired = False
        self._generation = 0  # which attach() is current: a late end of a model left behind runs nothing
        self._cancel: Callable[[], None] | None = None

    def attach(self, model: ExecutionModel, execution: Any) -> None:
        """Call back when ``model`` (of ``execution``, now shown) is done, instead of the model attached before."""
        with self._lock:
            if self._fired:
                return
            if self._cancel is not None:
                self._cancel()
            self._generation += 1
            generation = self._generation

            def start(fn: Callable[[], None]) -> None:
                with self._lock:
                    if self._fired or generation != self._generation:
                        return
                    self._fired = True
                (self._start or _launch)(fn)

            self._cancel = call_when_done(model, execution, self._callback, start=start)

    def cancel(self) -> None:
        """Never call back (the widget closed)."""
        with self._lock:
            self._generation += 1
            if self._cancel is not None:
                self._cancel()
                self._cancel = None


def _launch(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, name="flyteexec-on-done", daemon=True).start()
