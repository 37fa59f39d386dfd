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

__all__ = ["call_when_done"]

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
