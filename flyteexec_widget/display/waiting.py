"""wait(): block until an execution finishes, showing it live.

Same signature and semantics as flytekit's ``FlyteWorkflowExecution.wait(timeout, poll_interval, sync_nodes)``:
``timeout`` and ``poll_interval`` are seconds or timedeltas; it returns the synced execution, or raises
:class:`~flyteexec_widget.admin.errors.FlyteTimeout` naming the execution and its last phase.

While it blocks, the execution is synced by the kernel-wide :class:`~flyteexec_widget.live.scheduler.SyncScheduler`
(adaptive interval, reconnecting on transient errors; between refreshes its phase is looked at every
:data:`~flyteexec_widget.live.scheduler.END_CHECK_S`, up to
:data:`~flyteexec_widget.live.scheduler.END_CHECK_MAX_S` after a quiet minute, so the end is seen soon however long
the refreshes backed off);
this thread only waits, so Ctrl-C interrupts it promptly.
At the timeout it asks for one last sync but waits at most :data:`FINAL_SYNC_S` for it, so ``wait(timeout=T)``
returns within T plus a few seconds whatever the server does; a server that accepts calls and never answers gets
a ``FlyteTimeout`` saying "the server did not answer".

* In a notebook (an IPython kernel with comms) it shows the live widget (``notebook.display_for``) unless one is
  already on screen or ``show=False``, and processes pending widget messages while waiting
  (:func:`~flyteexec_widget.display.kernel.kernel_pump`), so the widget's buttons (Approve, Terminate...) work
  during the wait; other requests (the next cells) run after it. Without a pump (ipykernel 6 without
  ``jupyter-ui-poll``) the widget still updates live, but clicks wait for the cell.
* An execution object a ``watch()`` widget (or its display) already keeps fresh is not watched twice: wait()
  follows that watch (:func:`_shared_watch`), so FlyteAdmin sees one sync per interval, not two, and leaves it
  running when it returns. While wait() blocks on it the watch is not held back by the call budget (it would end
  up to ``max_interval`` after the execution). With ``poll_interval`` (a fixed interval the caller chose) it keeps
  its own watch.
* In a terminal it rewrites one status line on stderr (``\\r``): ``p:d:name RUNNING 12/40 nodes done, 1 failed,
  00:42``; "failed" counts the node phases the phase table marks failed (ABORTED too), as the widget does.
* ``notify=True``: told when it ends. In a notebook the widget it shows starts with its bell on (a browser
  notification and a marked tab title), or, when it shows none because one is on screen, that one's bell is turned
  on (a BEL on the notebook's stderr would only be an empty output). Outside a kernel the terminal bell (BEL) rings
  once on the status stream when the execution reached a terminal phase (not on a timeout, an error or Ctrl-C).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from ..admin.auth import LoginTimeout
from ..admin.errors import DeadlineExceededError, FlyteTimeout
from ..admin.plaintext import printable
from ..live.model import ExecutionModel, models_for
from ..live.scheduler import SyncScheduler, Watch, default_scheduler
from ..objects import phases
from ..objects.executions import FlyteWorkflowExecution
from . import kernel

__all__ = ["format_status_line", "wait"]

log = logging.getLogger(__name__)

#: How often the waiting thread wakes: to process kernel messages (clicks) and refresh the status line.
UI_TICK_S = 0.1
TEXT_TICK_S = 0.5

#: At the timeout, how long wait() waits for its last sync (or the one in flight) before giving up on the server.
FINAL_SYNC_S = 3.0

#: Node phase names the status line counts as failed: the ``failed`` flag of the one phase table, as in the widget.
_FAILED = frozenset(p.name for p in phases.NodePhase if phases.style("node", p).failed)


def _seconds(name: str, value: _dt.timedelta | float | None) -> float | None:
    """``timeout``/``poll_interval`` as seconds, validated like flytekit's (int seconds or timedelta)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, _dt.timedelta)):
        raise TypeError(f"{name} must be a number of seconds or a datetime.timedelta, got {value!r}")
    seconds = value.total_seconds() if isinstance(value, _dt.timedelta) else float(value)
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return seconds


def format_status_line(model: ExecutionModel, elapsed_s: float) -> str:
    """The one-line status: ``p:d:name RUNNING 12/40 nodes done, 1 failed, 00:42`` (+ reconnect state)."""
    header = model.header
    # as the counts: a retried parent's earlier attempts are not what runs now
    rows = [r for r in model.rows.values() if r["kind"] != "subtask" and not r["superseded"]]
    done = sum(1 for r in rows if r["terminal"])
    failed = sum(1 for r in rows if r["phase"] in _FAILED)
    duration = header.get("duration_s") if header.get("terminal") else None
    secs = int(duration if duration is not None else elapsed_s)
    hours, rest = divmod(max(0, secs), 3600)
    clock = f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"
    line = (
        f"{model.execution_key or '?'} {header.get('phase', 'UNKNOWN')} "
        f"{done}/{len(rows)} nodes done, {failed} failed, {clock}"
    )
    status = model.sync_status
    if status.get("state") == "reconnecting":
        line += f" (reconnecting, attempt {status.get('attempt')})"
    elif status.get("state") == "login":
        line += " (log in again)"
    elif status.get("state") == "error" and status.get("last_error"):
        line += f" (error: {str(status['last_error'])[:80]})"
    return printable(line)  # server text (the name, the error) must not drive the terminal


class _StatusLine:
    """A ``\\r``-rewritten line on a text stream; only rewrites when the text changed."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._last = ""
        self._width = 0

    def show(self, text: str) -> None:
        if text == self._last:
            return
        pad = " " * max(0, self._width - len(text))
        self.stream.write("\r" + text + pad)
        self.stream.flush()
        self._last, self._width = text, len(text)

    def close(self) -> None:
        if self._last:
            self.stream.write("\n")
            self.stream.flush()


def _ring(stream: IO[str]) -> None:
    """The terminal bell (BEL), once: the execution ended."""
    try:
        stream.write("\a")
        stream.flush()
    except Exception:  # a closed stream: the bell is a nicety
        log.debug("could not ring the terminal bell", exc_info=True)


def _bells_on(ref: str) -> None:
    """Turn on the bell of the widgets of ``ref`` already on screen (``wait(notify=True)`` shows no second one)."""
    try:
        from .widget import open_widgets_for  # lazy, as in _show_widget
    except Exception:
        log.debug("no widget machinery: no bell to turn on", exc_info=True)
        return
    for w in open_widgets_for(ref):
        w.notify = True


def _show_widget(execution: Any, model: ExecutionModel, *, notify: bool = False) -> bool:
    """Display the live widget (``notebook.display_for``); False when it cannot (then a text line is used)."""
    try:
        # Lazy: the widget machinery (anywidget, ipywidgets, IPython) loads only when a kernel can show it, not for
        # wait() in a terminal.
        from .notebook import display_for

        shown = display_for(execution, model)
    except Exception:
        log.exception("could not display the execution widget; falling back to a status line")
        return False
    if shown is None:  # not in a kernel after all
        return False
    if notify:
        shown.notify = True
    model.mark_shown()
    return True


def wait(
    execution: FlyteWorkflowExecution,
    timeout: _dt.timedelta | float | None = None,
    poll_interval: _dt.timedelta | float | None = None,
    sync_nodes: bool = True,
    *,
    show: bool | None = None,
    notify: bool = False,
    scheduler: SyncScheduler | None = None,
    stream: IO[str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FlyteWorkflowExecution:
    """Block until ``execution`` reaches a terminal phase; return it, synced (its node tree too if ``sync_nodes``).

    ``show``: None shows the widget in a notebook (unless one is already on screen) or a status line on a
    terminal; True forces a display (widget, or the status line outside a notebook); False shows nothing.
    ``notify``: the widget's bell on, or the terminal bell at the end (see the module docstring).
    ``scheduler``, ``stream`` (status line, default stderr) and ``clock`` are for tests.
    Raises ``FlyteTimeout`` after ``timeout``, and the RPC error that ended the sync if it was permanent
    (e.g. ``NotFoundError``).
    """
    timeout_s = _seconds("timeout", timeout)
    poll_s = _seconds("poll_interval", poll_interval)
    if poll_s is not None and poll_s <= 0:
        raise ValueError(f"poll_interval must be positive, got {poll_interval!r}")
    if show is not None and not isinstance(show, bool):
        raise TypeError(f"show must be True, False or None, got {show!r}")
    if not isinstance(notify, bool):
        raise TypeError(f"notify must be True or False, got {notify!r}")
    sched = scheduler if scheduler is not None else default_scheduler()
    shared = _shared_watch(execution, sched, sync_nodes) if poll_s is None else None
    model = shared.model if shared is not None else ExecutionModel()
    in_kernel = kernel.in_kernel()
    ref = getattr(execution, "_ref", "")
    already_shown = shared is not None or _on_screen(ref, sched)

    start = clock()
    deadline = None if timeout_s is None else start + timeout_s
    line: _StatusLine | None = None
    watch: Watch | None = None
    interrupted = False
    answered = True  # False: the last sync was still waiting for the server when wait() gave up
    try:
        # A watch of its own is not paced by the call budget: a blocked wait() is short-lived and should end soon
        # after the execution does (a paced 1,000-node fan-out returned up to 15 s late).
        watch = (
            shared
            if shared is not None
            else sched.watch(execution, model, sync_nodes=sync_nodes, poll_interval=poll_s, paced=False)
        )
        widget = False
        if show is not False and in_kernel and (show or not already_shown):
            widget = _show_widget(execution, model, notify=notify)
        if notify and in_kernel and not widget:
            _bells_on(ref)
        out = stream if stream is not None else sys.stderr
        if (
            show is not False
            and not widget
            and not (in_kernel and already_shown)
            and (show or in_kernel or _isatty(out))
        ):
            line = _StatusLine(out)
        pump_ctx = kernel.kernel_pump() if in_kernel else contextlib.nullcontext(lambda: None)
        follow = shared.followed() if shared is not None else contextlib.nullcontext()
        with pump_ctx as pump, follow:
            tick = UI_TICK_S if in_kernel else TEXT_TICK_S
            while True:
                if watch.finished.is_set():
                    if not (watch is shared and _left_early(watch)):
                        break
                    # the widget whose watch this followed was closed before the end: watch on our own
                    model = ExecutionModel()
                    watch = shared = None
                    watch = sched.watch(execution, model, sync_nodes=sync_nodes)
                    continue
                now = clock()
                if deadline is not None and now >= deadline:
                    break
                # the sync thread may not show a login prompt; this (the user's) thread may, for what is left of T
                _log_in(watch, None if deadline is None else deadline - now)
                pump()
                if line is not None and model.header:
                    line.show(format_status_line(model, now - start))
                remaining = tick if deadline is None else max(0.0, min(tick, deadline - now))
                watch.wait(remaining)
        if not watch.finished.is_set():
            answered = _final_check(watch)
        if line is not None and model.header:
            line.show(format_status_line(model, clock() - start))
        if watch.error is not None:
            raise watch.error
        if model.header.get("terminal"):
            if watch is shared:
                _adopt(execution, watch)
            if notify and not in_kernel:  # in a notebook the widget tells; a BEL there is an empty stderr output
                _ring(out)
            return execution
        raise FlyteTimeout(_timeout_message(execution, model, timeout_s, watch, answered))
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        # Done, timed out, failed or interrupted: the watch ends with this call (a terminal one ended already).
        # After Ctrl-C, or when the server did not answer, nothing waits for a sync in flight (it sees the watch
        # stopped and writes nothing more). The interrupt may have hit inside sched.watch(): then find the watch
        # through its model.
        # A shared watch (a widget's) is not ours to stop: it goes on serving the widget.
        for w in [watch] if watch is not None else [w for w in sched.watches if w.model is model]:
            if w is not shared:
                w.stop(wait=not interrupted and answered)
        if line is not None:
            line.close()


def _shared_watch(execution: Any, sched: SyncScheduler, sync_nodes: bool) -> Watch | None:
    """An active watch of this execution (a ``watch()`` widget's, or its display's) that syncs at least what wait()
    needs: wait() follows it instead of adding a second watch of the same tree.

    "This execution" is this very object first, else any object of the same execution id on the same FlyteAdmin
    (:func:`_execution_key`): ``watch("p:d:n")`` then ``remote.fetch_execution(...).wait()`` are two objects of one
    execution, and a second watch would double the RPCs. wait() then copies the watch's state into its own object
    (:func:`_adopt`) before returning it.
    """
    key = _execution_key(execution)
    candidates: list[Watch] = []
    for s in {id(sched): sched, id(default_scheduler()): default_scheduler()}.values():
        for w in s.watches:
            if w.active and (w.sync_nodes or not sync_nodes):
                if w.execution is execution:
                    return w
                if key is not None and _execution_key(w.execution) == key:
                    candidates.append(w)
    return candidates[0] if candidates else None


def _execution_key(execution: Any) -> tuple[Any, ...] | None:
    """(endpoint, plain text or TLS, project, domain, name): one execution on one FlyteAdmin, whichever object holds
    it; None when it cannot be told (no remote with an endpoint, no execution id)."""
    remote = getattr(execution, "_remote", None)
    endpoint = getattr(remote, "endpoint", None)
    proto = getattr(execution, "_proto", None)
    if not isinstance(endpoint, str) or proto is None:
        return None
    try:
        i = proto.id
        ident = (str(i.project), str(i.domain), str(i.name))
    except AttributeError:
        return None
    if not all(ident):
        return None
    return (endpoint, bool(getattr(remote, "insecure", False)), *ident)


def _adopt(execution: Any, watch: Watch) -> None:
    """Give ``execution`` what the shared ``watch`` synced into its own object (another object of the same
    execution): the message (phase, closure) and, when it synced them, the node tree and the planned nodes."""
    source = watch.execution
    if source is execution:
        return
    # the tree's lock: the wrappers stay still while read (a widget's sync may still run)
    with getattr(watch.tree, "lock", None) or contextlib.nullcontext():
        execution._update(source._proto)
        nodes = getattr(source, "_node_executions", None)
        if nodes is not None:
            execution._node_executions = dict(nodes)
            execution._fx_planned = getattr(source, "_fx_planned", None)
            # past both: a model built from this object before must not take the adopted tree for the one it built
            execution._fx_tree_version = max(execution._fx_tree_version, getattr(source, "_fx_tree_version", 0)) + 1


def _left_early(watch: Watch) -> bool:
    """Whether a watch ended before the execution did, without an error (stopped: its widget was closed)."""
    return watch.error is None and not watch.model.header.get("terminal")


def _on_screen(ref: str, sched: SyncScheduler) -> bool:
    """Whether a live view of this execution exists: a model marked shown, one a widget is attached to, or one a
    running watch keeps fresh.

    The last two cover Run All: ``watch(execution)`` displayed a widget a few cells up, but its view's first
    message (which marks the model shown) still queues behind the cells being run.
    """
    if not ref:
        return False
    models = models_for(ref)
    if any(m.shown or m.has_views for m in models):
        return True
    watched = {
        id(w.model)
        for s in {id(sched): sched, id(default_scheduler()): default_scheduler()}.values()
        for w in s.watches
        if w.active
    }
    return any(id(m) in watched for m in models)


def _log_in(watch: Watch, left: float | None) -> None:
    """A login the watch waits for, within ``left`` seconds: a login not approved by then (or an identity
    provider that does not answer) ends as the wait's timeout does, not later."""
    try:
        watch.log_in(left)
    except LoginTimeout as e:
        log.info("no login within the time wait() had: %s", e)


def _final_check(watch: Watch) -> bool:
    """At the timeout, sync once more (flytekit re-fetches too), but wait at most :data:`FINAL_SYNC_S` for it: the
    sync thread runs it, so a server that never answers cannot hold this thread. Returns whether it ended."""
    try:
        return watch.sync_now(FINAL_SYNC_S)
    except Exception:
        log.exception("final sync before the timeout failed")
        return True


def _timeout_message(
    execution: Any, model: ExecutionModel, timeout_s: float | None, watch: Watch, answered: bool
) -> str:
    ref = getattr(execution, "_ref", None) or model.execution_key or repr(execution)
    phase = model.header.get("phase") or _phase_name(execution)
    limit = f" within {_dt.timedelta(seconds=timeout_s)}" if timeout_s is not None else ""
    status = model.sync_status
    if not answered:
        waited = watch.in_flight_for
        since = f" (its last call has waited {waited:.0f}s)" if waited is not None else ""
        extra = f"; the server did not answer{since}"
    elif isinstance(watch.last_failure, DeadlineExceededError):
        extra = f"; the server did not answer: {status.get('last_error') or watch.last_failure}"
    else:
        extra = f"; last sync error: {status['last_error']}" if status.get("last_error") else ""
    # the name and the last error are the server's text, and this message ends up in a terminal
    return printable(f"Execution {ref} did not complete{limit}: last phase {phase}{extra}")


def _phase_name(execution: Any) -> str:
    try:
        return str(execution._phase_name)
    except Exception:
        return "UNKNOWN"


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False
