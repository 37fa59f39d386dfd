"""SyncScheduler: one daemon thread keeps every watched execution in the kernel fresh.

Each watch has its own adaptive interval: fast (``min_interval``) while its rows change, doubling up to
``max_interval`` when idle; at a terminal phase one immediate final sync, then the watch ends. A watch also keeps
to a budget of FlyteAdmin calls (:data:`RPC_RATE` a second on average, bursts of :data:`RPC_BURST`; its first sync
is free): a big execution where a few nodes change now and then (each refresh a dozen calls) would otherwise be
refreshed every second or two for as long as it runs, and a team's notebooks add up. The budget never makes a
watch wait longer than its ``max_interval``, and a fixed ``poll_interval`` is left as the user set it.

A watch that a blocked ``wait()`` depends on (its own, unpaced, or a widget's it follows) is not held back by the
budget, and between its refreshes its execution's phase is looked at every :data:`END_CHECK_S` (one
``GetExecution``): when it moved (the end), the refresh runs at once. A quiet stretch still backs the refreshes
off, and the end is seen within half a second or so; after a quiet minute (:data:`END_CHECK_QUIET_S`) the looks
spread out to one every :data:`END_CHECK_MAX_S`, and are back at :data:`END_CHECK_S` as soon as it moves.

Syncs run on a small pool of daemon threads of the scheduler's own (so one slow execution does not hold back the
others, and 50 watches do not mean 50 threads); the RPCs inside a sync run on ``remote.executor``.

Errors, as :mod:`~flyteexec_widget.admin.errors` classifies them: transient ones (UNAVAILABLE, DEADLINE_EXCEEDED,
RESOURCE_EXHAUSTED, CANCELLED) are retried with the backoff of a :class:`~flyteexec_widget.admin.retry.RetryPolicy`
and shown as ``reconnecting``; so are server errors (INTERNAL, UNKNOWN), with the server's text in the status's
``server_error``; permanent ones (NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED) end the watch with a clear
message; anything else is logged, shown as ``error`` and retried with backoff, so the thread never dies silently
and other watches go on. The wait between the syncs of a failing watch never exceeds its ``max_interval``: once
the server answers again, the watch is live within one interval, however long it failed.

A server that accepts calls and never answers: each call ends by its own deadline and budget
(:class:`~flyteexec_widget.admin.retry.RetryPolicy`); meanwhile ``Watch.stop()`` returns after at most
:data:`STOP_GRACE_S` and leaves the stuck sync to end on its own daemon thread (it then writes nothing), and
``wait()`` asks for its last sync with :meth:`Watch.sync_now`, which gives up after a bound too.

Logins: a sync never prompts (it runs in ``prompting(False)``: its output would land in whatever cell is running).
When the token needs a new interactive login it gets a ``LoginRequiredError``: the watch shows ``login`` ("log in
again", with the link of a login under way), keeps retrying with backoff, and syncs at once when the user's next
call from a cell logged in (a token listener on the remote's authenticator). ``wait()`` logs in itself, on the
main thread (:meth:`Watch.log_in`).

The thread starts with the first watch and exits (joined) when the last one stops; ``shutdown()`` runs at
interpreter exit. Tests inject the clock, the wake-up event and ``start_thread=False``, and drive it with
:meth:`SyncScheduler.run_pending` / :meth:`SyncScheduler.sync_once`.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Protocol

from ..admin.auth import may_prompt, prompting
from ..admin.daemon_pool import DaemonPool
from ..admin.errors import LoginRequiredError, RpcFailure, is_permanent, is_server_error, is_transient
from ..admin.retry import RetryPolicy
from .model import ExecutionModel
from .sync import TreeSync, rpc_error_summary, tree_for

__all__ = [
    "END_CHECK_MAX_S",
    "END_CHECK_QUIET_S",
    "END_CHECK_S",
    "RPC_BURST",
    "RPC_RATE",
    "STOP_GRACE_S",
    "WATCH_RETRY",
    "SyncScheduler",
    "Watch",
    "default_scheduler",
    "refresh_soon",
    "watch",
]

log = logging.getLogger(__name__)

#: The backoff between the syncs of a failing watch (1 s doubling to 30 s, and never more than the watch's
#: ``max_interval``). A watch never gives up: it retries until stopped, so ``max_attempts`` does not apply.
WATCH_RETRY = RetryPolicy(initial_backoff=1.0, max_backoff=30.0, multiplier=2.0, jitter=0.2)

#: How long ``Watch.stop()`` waits for a sync in flight before it leaves it to end on its own (a normal sync takes
#: milliseconds; one stuck on a server that never answers takes up to its calls' budget).
STOP_GRACE_S = 1.0

#: At most this many characters of a server's error text go into the sync status (it is the server's text: a
#: hostile one may send 32 KiB of it).
SERVER_ERROR_CHARS = 200

#: The calls a watch's syncs may make on average, per second, and in a burst (benchmarks' "load" section: a
#: 1,000-node execution with ~10 node changes a minute costs about 10 calls a refresh).
RPC_RATE = 0.5
RPC_BURST = 100.0

#: While a ``wait()`` blocks on a watch, the longest time between two looks at the execution's own phase. Its
#: refreshes keep backing off in a quiet stretch (gates waiting, one long task; a refresh costs a few calls, more on
#: a big tree), so between them one ``GetExecution`` says whether the execution moved, and if it did the refresh
#: runs at once: the end is seen within this long plus one refresh. Chosen from ``python -m benchmarks --only wait``
#: and its all-kinds case alone (the last seconds are quiet; 4-9 runs each at 0 and 5 ms latency): backing off
#: alone, 0.02-4.0 s late (median 4.0 s at 0 ms) with 95-98 calls; a look every 1 s, 0.13-1.0 s late (the end lands
#: just after a look: a second is not reliably under a second) with 96-100 calls; every 0.5 s, 0.02-0.62 s late with
#: 106-110 calls. Two calls a second while a user blocks on the end; none for a widget alone (paced: RPC_RATE).
#: After a quiet spell the looks spread out (:data:`END_CHECK_QUIET_S`, :data:`END_CHECK_MAX_S`).
END_CHECK_S = 0.5

#: How long the execution must have been still (phase and update time unchanged, rows unchanged; counted from the
#: wait()'s start or the last movement, whichever is later) before the end check's interval grows: a wait() that
#: just started, or one on an execution that just moved, still sees the end within :data:`END_CHECK_S`. A minute:
#: a run a user watches to the end closely (a test run, the last step of a pipeline) ends or moves within it and
#: keeps the half-second delay; an hours-long quiet spell pays its ~120 calls once.
END_CHECK_QUIET_S = 60.0

#: The cap the end check's interval doubles to (from :data:`END_CHECK_S`, one doubling per quiet check: 1, 2, 4 s)
#: after :data:`END_CHECK_QUIET_S`; back to :data:`END_CHECK_S` as soon as the execution moves or a refresh sees a
#: change. 4 s: a long-blocked wait() costs 0.25 GetExecution a second (100 notebooks blocked for hours on
#: trainings: 25 calls a second, not 200; with the refreshes backed off to 15 s, ~0.4 calls a second per watcher,
#: within issue 15's 1), and it sees the end at most 4 s (2 s on average) after a long quiet spell, which a user
#: who left the cell blocking for an hour does not notice. flytekit's wait() sees it up to its poll interval late,
#: 30 s by default, and pays a full sync (several calls) per poll (flytekit/remote/remote.py, FlyteRemote.wait:
#: ``poll_interval = poll_interval or timedelta(seconds=30)``; flytekit 1.16).
END_CHECK_MAX_S = 4.0


class TreeLike(Protocol):
    """What a watch needs from the sync layer (a :class:`~flyteexec_widget.live.sync.TreeSync`, or a test double)."""

    def refresh(self, sync_nodes: bool = True) -> Any: ...


def _remote_of(execution: Any) -> Any:
    remote = getattr(execution, "_remote", None) or getattr(execution, "remote", None)
    if remote is None:
        raise ValueError(
            "cannot watch an execution without a remote: fetch it with Remote.fetch_execution(), or pass remote="
        )
    return remote


class Watch:
    """One execution kept in sync with one model. ``stop()`` is idempotent and waits (briefly) for a running sync."""

    def __init__(
        self,
        scheduler: SyncScheduler,
        execution: Any,
        model: ExecutionModel,
        tree: TreeLike,
        *,
        sync_nodes: bool,
        min_interval: float,
        max_interval: float,
        due: float,
    ) -> None:
        self.scheduler = scheduler
        self.execution = execution
        self.model = model
        self.tree = tree
        self.sync_nodes = sync_nodes
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.interval = min_interval
        self.due = due
        self.attempt = 0  # consecutive failed syncs
        self.final_pending = False  # terminal phase seen: one more sync, then done
        self.error: BaseException | None = None  # the permanent error that ended the watch
        self.last_failure: BaseException | None = None  # what the last sync failed with (None after a success)
        self.in_flight_since: float | None = None  # scheduler clock when the sync in flight started
        self.awaiting_login = False  # the last sync needed a login this thread could not show
        self.logins = 0  # new tokens its remote got (counted by the token listener)
        self._logins_at_sync = 0  # ... when the current sync started
        self.syncs = 0  # successful syncs
        self.budget = scheduler.rpc_burst  # calls it may make at once (RPC_RATE/RPC_BURST); < 0: in debt
        self.budget_at = due
        self.paced = True  # keeps to the budget (SyncScheduler.watch(paced=False): not)
        self.followers = 0  # wait() calls following this watch: it is not paced while one blocks on it
        self.check_due = due  # when a wait() on it next looks at the execution's phase (see END_CHECK_S)
        self.check_interval = scheduler.end_check  # between those looks: grows in a quiet spell (END_CHECK_MAX_S)
        self.quiet_since = due  # since when the execution has not moved (or a wait() started on it)
        self.checks = 0  # those looks made (one GetExecution each)
        self._checking = False  # one in flight (never at the same time as a sync)
        self._soon = False  # refresh_soon() asked for a refresh: the sync that ends next must not push it back
        self.finished = threading.Event()  # set when the watch ended (terminal, permanent error or stop)
        self._stopped = False
        self._in_flight = False
        self._sync_ends = 0  # syncs that ended (succeeded, failed or were skipped): what sync_now() waits for
        self._cond = threading.Condition()
        self._sync_lock = threading.Lock()  # one sync of this watch at a time
        self._sync_thread: int | None = None

    @property
    def active(self) -> bool:
        """Whether the watch still syncs."""
        return not self._stopped

    @property
    def waited_on(self) -> bool:
        """Whether a blocked ``wait()`` depends on it (its own unpaced watch, or a widget's it follows) and it
        adapts its interval (a fixed ``poll_interval`` is the caller's choice): then its execution's phase is looked
        at every :data:`END_CHECK_S` between refreshes (up to :data:`END_CHECK_MAX_S` after a quiet spell)."""
        return (not self.paced or self.followers > 0) and self.min_interval != self.max_interval

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the watch ends (or ``timeout`` seconds); returns whether it ended."""
        return self.finished.wait(timeout)

    def stop(self, wait: bool = True) -> None:
        """Stop syncing. Idempotent. With ``wait`` (default) it waits up to :data:`STOP_GRACE_S` for a sync in
        progress to finish and, if this was the last watch, for the thread to exit. A sync still in flight then
        (stuck on a server that does not answer) ends on its own daemon thread and writes nothing: it finds the
        watch stopped. ``wait=False`` is for an interrupt: it returns at once."""
        self._finish("stopped")
        self.scheduler._forget(self)
        if not wait or self._sync_thread == threading.get_ident():
            return
        if not self._wait_settled(STOP_GRACE_S):
            log.info("stopped watching %s with a sync still waiting for the server", self.model.execution_key)
        self.scheduler._join_if_idle(STOP_GRACE_S)

    @property
    def in_flight_for(self) -> float | None:
        """Seconds the sync in flight has been running (None: none is)."""
        since = self.in_flight_since
        return None if since is None else max(0.0, self.scheduler._clock() - since)

    def _wait_settled(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no sync is in flight; returns whether none is."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._in_flight, timeout)

    def sync_now(self, timeout: float) -> bool:
        """Have the watch sync now and wait up to ``timeout`` seconds for it (or for the one in flight) to end;
        returns whether one ended. On a scheduler without a thread (tests) it syncs on this thread."""
        with self._cond:
            target = self._sync_ends + 1
        if not self.active:
            return True
        if not self.scheduler._threaded:
            self.scheduler.sync_once(self)
            return True
        self.due = self.scheduler._clock()
        self.scheduler._wake.set()
        with self._cond:
            return self._cond.wait_for(lambda: self._sync_ends >= target, timeout)

    @contextlib.contextmanager
    def followed(self) -> Iterator[None]:
        """A blocked ``wait()`` follows this watch (a widget's): unpaced meanwhile, and due now, so the wait ends
        soon after the execution does rather than when the call budget next allows (up to ``max_interval`` late)."""
        with self._cond:
            self.followers += 1
        try:
            if self.active:
                self._moved(self.scheduler._clock())  # a wait() that just started looks every END_CHECK_S
                self.due = min(self.due, self.scheduler._clock())
                self.scheduler._wake.set()
            yield
        finally:
            with self._cond:
                self.followers -= 1

    def log_in(self, timeout: float | None = None) -> bool:
        """Log in on this thread if the watch waits for a login and this thread may prompt (the main thread:
        ``wait()`` calls it); the watch then syncs at once. Returns whether it logged in. ``timeout``: the seconds
        the login may take, the user's approval included (``wait()`` passes what is left of its own timeout);
        past it, :class:`~flyteexec_widget.admin.auth.LoginTimeout`."""
        remote: Any = getattr(self.tree, "remote", None)
        auth = getattr(remote, "auth", None)
        if not (self.awaiting_login and self.active and auth is not None and may_prompt()):
            return False
        server = remote.server_auth_config(timeout=timeout)
        auth.refresh(server, auth.token(), timeout=timeout, login_timeout=timeout)
        self.awaiting_login = False  # the token listener made the watch due: its next sync says how it went
        return True

    def _moved(self, now: float) -> None:
        """The execution moved (or a wait() started on it): its quiet spell starts again, and with it the end check's
        shortest interval."""
        self.quiet_since = now
        self.check_interval = self.scheduler.end_check

    def _not_in_flight(self) -> None:
        with self._cond:
            self._in_flight = False
            self.in_flight_since = None
            self._sync_ends += 1
            self._cond.notify_all()

    def _set_running_status(self, state: str, **status: Any) -> None:
        """Write the status of a watch that is still running. A ``stop()`` on another thread (Ctrl-C in wait(), a
        widget closing) may come in between its check and this write: then "stopped" is written again, so it wins."""
        self.model.set_sync_status(state, **status)
        if self._stopped:
            self.model.set_sync_status("stopped")

    def _finish(self, state: str | None, **status: Any) -> bool:
        """Mark the watch ended once; ``state`` is written to the model's sync status (None: leave it)."""
        with self._cond:
            if self._stopped:
                return False
            self._stopped = True
        if state is not None:
            try:
                self.model.set_sync_status(state, **status)
            except Exception:
                log.exception("could not record sync state %r", state)
        self.finished.set()
        return True

    def __repr__(self) -> str:
        key = self.model.execution_key or "?"
        return f"<Watch {key} {'active' if self.active else 'ended'} interval={self.interval:g}s>"


class SyncScheduler:
    """Runs every watch's syncs from one daemon thread (plus a small pool of sync workers)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.timezone.utc),
        wake: threading.Event | None = None,
        start_thread: bool = True,
        min_interval: float = 1.0,
        max_interval: float = 15.0,
        retry: RetryPolicy = WATCH_RETRY,
        max_workers: int = 4,
        rng: random.Random | None = None,
        rpc_rate: float = RPC_RATE,
        rpc_burst: float = RPC_BURST,
        end_check: float = END_CHECK_S,
        end_check_max: float = END_CHECK_MAX_S,
        end_check_quiet: float = END_CHECK_QUIET_S,
    ) -> None:
        if not 0 < min_interval <= max_interval:
            raise ValueError(
                f"need 0 < min_interval <= max_interval, got min_interval={min_interval}, max_interval={max_interval}"
            )
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        if not (rpc_rate > 0 and rpc_burst >= 0):
            raise ValueError(f"need rpc_rate > 0 and rpc_burst >= 0, got rpc_rate={rpc_rate}, rpc_burst={rpc_burst}")
        if not end_check > 0:
            raise ValueError(f"end_check must be a positive number of seconds, got {end_check!r}")
        if not end_check_max >= end_check:
            raise ValueError(f"end_check_max must be at least end_check ({end_check} s), got {end_check_max!r}")
        if not end_check_quiet >= 0:
            raise ValueError(f"end_check_quiet must be a number of seconds >= 0, got {end_check_quiet!r}")
        if not retry.initial_backoff > 0:  # a failing watch would sync in a busy loop
            raise ValueError(f"the watch retry policy needs initial_backoff > 0, got {retry.initial_backoff}")
        self._clock = clock
        self._wall = wall_clock
        self._wake = wake if wake is not None else threading.Event()
        self._threaded = start_thread
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.retry = retry
        self.rpc_rate = rpc_rate
        self.rpc_burst = rpc_burst
        self.end_check = end_check
        self.end_check_max = end_check_max
        self.end_check_quiet = end_check_quiet
        self._max_workers = max_workers
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._watches: list[Watch] = []
        self._thread: threading.Thread | None = None  # the running loop; None once it decided to exit
        self._last_thread: threading.Thread | None = None  # kept for joining after it exits
        self._hooked: weakref.WeakSet[Any] = weakref.WeakSet()  # remotes whose on_retry and auth we listen to
        self._closed = False

    # ---- public ----------------------------------------------------------------------------------------------

    def watch(
        self,
        execution: Any,
        model: ExecutionModel | None = None,
        *,
        remote: Any = None,
        sync_nodes: bool = True,
        poll_interval: float | None = None,
        tree: TreeLike | None = None,
        paced: bool = True,
    ) -> Watch:
        """Keep ``execution`` synced into ``model`` (a new one if None) until terminal or ``Watch.stop()``.

        ``poll_interval`` fixes the interval (seconds) instead of adapting it. ``paced=False`` leaves the call budget
        out (``wait()``: a user blocked on the end, for a while, rather than a view left open for hours). Watching
        the same execution object into the same model twice returns the running watch.
        """
        if poll_interval is not None and not poll_interval > 0:
            raise ValueError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}")
        if model is None:
            model = ExecutionModel()
        with self._lock:
            if self._closed:
                raise RuntimeError("this SyncScheduler was shut down")
            for w in self._watches:
                if w.execution is execution and w.model is model and w.active:
                    return w
        if tree is None:
            remote = remote if remote is not None else _remote_of(execution)
            tree = tree_for(remote, execution)
        if remote is not None:
            self._hook_remote(remote)
        lo = poll_interval if poll_interval is not None else self.min_interval
        hi = poll_interval if poll_interval is not None else max(self.max_interval, lo)
        w = Watch(
            self, execution, model, tree, sync_nodes=sync_nodes, min_interval=lo, max_interval=hi, due=self._clock()
        )
        w.paced = paced
        model.set_sync_status("live")
        with self._lock:
            self._watches.append(w)
            if self._threaded and self._thread is None:
                self._thread = self._last_thread = threading.Thread(
                    target=self._loop, name="flyteexec-sync", daemon=True
                )
                self._thread.start()
        self._wake.set()
        return w

    @property
    def watches(self) -> list[Watch]:
        """The active watches."""
        with self._lock:
            return list(self._watches)

    def run_pending(self, now: float | None = None) -> float | None:
        """Sync, on this thread, every watch due at ``now``; return when the next one is due (None: no watches)."""
        now = self._clock() if now is None else now
        for w in self.watches:
            if w.due <= now and w.active:
                self._sync(w, now=now)
            elif self._check_now(w, now):
                self._check_end(w, now)
        return self._next_due()

    def sync_once(self, watch: Watch | None = None) -> None:
        """Sync ``watch`` (or every active watch) now, on this thread, whatever their schedule."""
        for w in [watch] if watch is not None else self.watches:
            if w.active:
                self._sync(w)

    def refresh_soon(self, model: object) -> int:
        """Have the watches of ``model`` refresh now, their interval back at ``min_interval``: the user just changed
        the execution from this kernel (approved a gate, sent a signal, terminated it), after which its nodes move
        fast, while the interval may have backed off to ``max_interval`` as the gate waited. A sync in flight
        may have read the tree before the change: the next one still runs at once. Returns how many watches."""
        now = self._clock()
        hit = [w for w in self.watches if w.model is model and w.active]
        for w in hit:
            w._soon = True
            w.interval = w.min_interval
            w.due = min(w.due, now)
        if hit:
            self._wake.set()
        return len(hit)

    def shutdown(self) -> None:
        """Stop every watch and the thread (joined). Idempotent; runs at interpreter exit for the default one.
        Waits for syncs in flight up to :data:`STOP_GRACE_S` in all (stuck ones end on their own)."""
        with self._lock:
            self._closed = True
            watches = list(self._watches)
        for w in watches:
            w.stop(wait=False)
        give_up_at = time.monotonic() + STOP_GRACE_S
        for w in watches:
            w._wait_settled(max(0.0, give_up_at - time.monotonic()))
        self._wake.set()
        self._join_if_idle(STOP_GRACE_S)

    # ---- internals ------------------------------------------------------------------------------------------------

    def _hook_remote(self, remote: Any) -> None:
        """Chain onto the client's ``on_retry`` hook, so its own retries show as ``reconnecting`` at once, and listen
        for new tokens of its authenticator, so a watch waiting for a login syncs as soon as the user logged in."""
        if not hasattr(remote, "on_retry"):
            return
        with self._lock:
            try:
                if remote in self._hooked:
                    return
                self._hooked.add(remote)
            except TypeError:  # not weak-referenceable
                return
        previous = remote.on_retry
        scheduler = weakref.ref(self)
        remote_ref = weakref.ref(remote)

        def on_retry(attempt: int, delay: float, error: BaseException) -> None:
            if previous is not None:
                previous(attempt, delay, error)
            sched, rem = scheduler(), remote_ref()
            if sched is not None and rem is not None:
                sched._on_client_retry(rem, attempt, delay, error)

        remote.on_retry = on_retry

        def on_new_token() -> None:
            sched, rem = scheduler(), remote_ref()
            if sched is not None and rem is not None:
                sched._on_new_token(rem)

        add_listener = getattr(getattr(remote, "auth", None), "add_token_listener", None)
        if callable(add_listener):
            add_listener(on_new_token)

    def _on_new_token(self, remote: Any) -> None:
        """Runs on the thread that logged in: the watches of ``remote`` waiting for a login are due now."""
        now = self._clock()
        for w in self.watches:
            if w.active and getattr(w.tree, "remote", None) is remote:
                w.logins += 1
                if w.awaiting_login:
                    w.awaiting_login = False
                    w.due = now
        self._wake.set()

    def _on_client_retry(self, remote: Any, attempt: int, delay: float, error: BaseException) -> None:
        """Runs on an RPC thread before the client sleeps and retries: mark the syncs waiting on it."""
        retry_at = self._wall() + _dt.timedelta(seconds=delay)
        for w in self.watches:
            if w.active and w._in_flight and getattr(w.tree, "remote", None) is remote:
                try:
                    w._set_running_status(
                        "reconnecting", attempt=attempt, next_retry_at=retry_at, last_error=rpc_error_summary(error)
                    )
                except Exception:
                    log.exception("could not record a retry")

    def _next_due(self) -> float | None:
        dues = [self._wake_at(w) for w in self.watches if w.active]
        return min(dues) if dues else None

    def _forget(self, w: Watch) -> None:
        with self._lock:
            if w in self._watches:
                self._watches.remove(w)
        self._wake.set()

    def _join_if_idle(self, timeout: float) -> None:
        """Join the thread once it has nothing left to watch (it then exits by itself; its pool's workers end with
        their current sync). Gives up after ``timeout`` seconds: the thread exits on its own anyway."""
        thread = self._last_thread
        if thread is None or thread is threading.current_thread() or _in_pool_worker():
            return
        give_up_at = time.monotonic() + timeout
        while thread.is_alive() and time.monotonic() < give_up_at:
            with self._lock:
                if self._watches:
                    return  # a new watch arrived: the thread carries on serving it
            self._wake.set()
            thread.join(0.1)

    def _loop(self) -> None:
        # daemon workers: a sync stuck on a server that never answers must not hold up stop() or the kernel's exit
        pool = DaemonPool(self._max_workers, thread_name_prefix="flyteexec-sync-worker")
        try:
            while True:
                self._wake.clear()
                with self._lock:
                    if not self._watches:
                        self._thread = None
                        return
                    watches = list(self._watches)
                now = self._clock()
                for w in watches:
                    if w.active and w.due <= now and not w._in_flight and not w._checking:
                        with w._cond:
                            w._in_flight = True
                            w.in_flight_since = now
                        try:
                            pool.submit(self._run_in_pool, w)
                        except BaseException:  # e.g. "cannot schedule new futures after interpreter shutdown"
                            w._not_in_flight()  # or stop() (at exit too) would wait for it forever
                            raise
                    elif self._check_now(w, now):
                        w._checking = True
                        try:
                            pool.submit(self._check_in_pool, w)
                        except BaseException:
                            w._checking = False
                            raise
                next_due = self._next_due_idle()
                timeout = None if next_due is None else max(0.0, next_due - self._clock())
                # Wake at the next due time, or when a watch is added/stopped or a sync finished.
                self._wake.wait(timeout)
        except BaseException as exc:  # never die silently: log, show it, and let the next watch() start a thread
            log.exception("the flyteexec sync thread failed")
            with self._lock:
                self._thread = None
                orphans = [w for w in self._watches if w.active]
            for w in orphans:
                try:
                    w.model.set_sync_status("error", last_error=f"the sync thread failed: {rpc_error_summary(exc)}")
                except Exception:
                    log.exception("could not record the sync thread's failure")
        finally:
            # Idle workers exit at once; one stuck in a sync on a server that never answers is left to end on its
            # own (a daemon thread): stop() must not wait for it.
            pool.shutdown(wait=True, timeout=STOP_GRACE_S)

    def _next_due_idle(self) -> float | None:
        dues = [self._wake_at(w) for w in self.watches if w.active and not w._in_flight and not w._checking]
        return min(dues) if dues else None

    def _wake_at(self, w: Watch) -> float:
        """When the watch next needs the thread: its sync, or before that the end check of a wait() on it."""
        check = self._check_due(w)
        return w.due if check is None else min(w.due, check)

    def _check_due(self, w: Watch) -> float | None:
        """When to look at the execution's phase before the watch's next refresh (None: no look is needed): only
        while a wait() depends on it, it syncs well, its next refresh is further off than that (by a quarter of
        ``end_check``: looks are at most ``check_interval`` plus that apart), and its tree can tell
        (:meth:`~flyteexec_widget.live.sync.TreeSync.execution_moved`)."""
        if not (w.active and w.waited_on and w.syncs and w.attempt == 0 and not w.final_pending):
            return None
        if not callable(getattr(w.tree, "execution_moved", None)):
            return None
        # one due just before the refresh is left to the refresh (it looks too): else a watch refreshing every
        # second would pay for a check right before each refresh
        return w.check_due if w.check_due < w.due - self.end_check / 4 else None

    def _check_now(self, w: Watch, now: float) -> bool:
        check = self._check_due(w)
        return check is not None and check <= now and not (w._in_flight or w._checking)

    def _check_in_pool(self, w: Watch) -> None:
        try:
            self._check_end(w)
        finally:
            self._wake.set()

    def _check_end(self, w: Watch, now: float | None = None) -> None:
        """One end check (:data:`END_CHECK_S`): if the execution moved, the watch's refresh is due at once. A
        check that fails makes the refresh due too: the refresh shows what is wrong and retries with backoff."""
        w._checking = True
        try:
            with prompting(False):
                moved = bool(w.tree.execution_moved())  # type: ignore[attr-defined]  # _check_due made sure
        except Exception as exc:
            log.debug("end check of %s failed: %s", w.model.execution_key, rpc_error_summary(exc))
            moved = True
        finally:
            w._checking = False
        w.checks += 1
        now = self._clock() if now is None else now
        if moved:
            w._moved(now)
            w.due = min(w.due, now)
        elif now - w.quiet_since >= self.end_check_quiet:
            # a long quiet spell (a training running for hours): look less often (END_CHECK_MAX_S)
            w.check_interval = min(w.check_interval * 2, self.end_check_max)
        w.check_due = now + w.check_interval

    def _run_in_pool(self, w: Watch) -> None:
        try:
            self._sync(w, in_flight_set=True)
        finally:
            self._wake.set()

    def _sync(self, w: Watch, *, in_flight_set: bool = False, now: float | None = None) -> None:
        """One sync of one watch, with all of its error handling; never raises."""
        if not in_flight_set:
            with w._cond:
                w._in_flight = True
                w.in_flight_since = self._clock()
        try:
            with w._sync_lock:
                if not w.active:
                    return
                w._sync_thread = threading.get_ident()
                try:
                    self._sync_unguarded(w, now)
                finally:
                    w._sync_thread = None
        except BaseException as exc:  # the loop must survive anything a sync throws
            log.exception("sync of %s failed unexpectedly", w.model.execution_key or w.execution)
            self._on_failure(w, exc, unexpected=True, now=now)
        finally:
            w._not_in_flight()

    def _sync_unguarded(self, w: Watch, now: float | None) -> None:
        """``now``: the scheduler time the sync counts as happening at (``run_pending(now)``), else the clock."""
        model = w.model
        before = (model.rows_version, model.header)
        w._logins_at_sync = w.logins
        w._soon = False  # this sync reads what a refresh_soon() before it asked for
        started = self._clock() if now is None else now  # when it asks for the execution (its first round)
        # The tree's lock (when it has one) spans refresh and model update: wrappers stay still while read.
        with getattr(w.tree, "lock", None) or contextlib.nullcontext():
            try:
                with prompting(False):  # not even on the main thread (wait()'s last check): see the module docstring
                    if isinstance(w.tree, TreeSync):
                        # rows as soon as the node listings are in, attempts after (TreeSync.refresh)
                        execution = w.tree.refresh(
                            sync_nodes=w.sync_nodes, publish=partial(_publish_early, w), stopped=lambda: not w.active
                        )
                    else:
                        execution = w.tree.refresh(sync_nodes=w.sync_nodes)
            except RpcFailure as exc:
                self._on_failure(w, exc, unexpected=False, now=now)
                return
            if not w.active:
                return  # stopped while the RPCs ran: leave the model as stop() set it
            model.update_from(execution)
        w.syncs += 1
        w.attempt = 0
        w.last_failure = None
        w.awaiting_login = False
        now = self._clock() if now is None else now
        wall = self._wall()
        changed = (model.rows_version, model.header) != before
        if model.header.get("terminal"):
            if w.final_pending:
                w._finish("done", synced_at=wall)
                self._forget(w)
                return
            w.final_pending = True
            w.due = now  # one immediate final sync, then done
        else:
            soon = w._soon  # refresh_soon() while this sync ran: it may have read the tree before the change
            if changed or soon:
                w._moved(now)
            w.interval = w.min_interval if changed or soon else min(w.interval * 2, w.max_interval)
            cost = getattr(w.tree, "last_rpc_count", 0) if w.syncs > 1 else 0  # the first sync is free
            wait_s = max(w.interval, self._budget_wait(w, now, cost))
            w.due = now if soon else now + wait_s
            # a refresh looks at the phase too, in its first round: a long one (1,000 nodes ending) may have seen
            # it a while before it ends
            w.check_due = started + w.check_interval
        w._set_running_status("live", synced_at=wall)

    def _budget_wait(self, w: Watch, now: float, cost: int) -> float:
        """Charge ``cost`` calls to the watch's budget (a token bucket: ``rpc_rate`` a second, up to ``rpc_burst``);
        returns how long its next sync must wait to keep to it, at most its ``max_interval`` (so is the debt)."""
        if w.min_interval == w.max_interval or not w.paced or w.followers:  # a fixed interval, wait(): the user's
            return 0.0
        refill = max(0.0, now - w.budget_at) * self.rpc_rate
        w.budget = max(min(self.rpc_burst, w.budget + refill) - cost, -self.rpc_rate * w.max_interval)
        w.budget_at = now
        return 0.0 if w.budget >= 0 else -w.budget / self.rpc_rate

    def _on_failure(self, w: Watch, exc: BaseException, *, unexpected: bool, now: float | None = None) -> None:
        message = rpc_error_summary(exc)
        if not w.active:  # stopped while the sync ran (e.g. Ctrl-C in wait()): the model keeps saying "stopped"
            log.debug("sync of a stopped watch failed: %s", message)
            return
        if is_permanent(exc):
            # INFO: the widget shows it (state "error"); a WARNING from this thread would print into a running cell
            log.info("stopped watching %s: %s", w.model.execution_key or "execution", message)
            w.error = exc
            w._finish("error", last_error=message)
            self._forget(w)
            return
        w.attempt += 1
        w.last_failure = exc
        # never longer than the watch's own interval: once the server answers again, live within one interval
        delay = min(self.retry.backoff(w.attempt, self._rng.random), w.max_interval)
        w.due = (self._clock() if now is None else now) + delay
        retry_at = self._wall() + _dt.timedelta(seconds=delay)
        login_url = None
        server_error = None
        if isinstance(exc, LoginRequiredError):
            # info: a warning from this thread could reach the running cell through logging's last-resort handler
            log.info("sync of %s waits for a login: %s", w.model.execution_key, message)
            state, login_url = "login", exc.url
            if w.logins == w._logins_at_sync:
                w.awaiting_login = True
            else:  # the user logged in while this sync failed: no need to ask again, retry at once
                w.due = self._clock() if now is None else now
        elif is_transient(exc):
            state = "reconnecting"
        elif is_server_error(exc):
            # FlyteAdmin failed (INTERNAL, UNKNOWN): it may answer again any moment, so this is a reconnect too
            state = "reconnecting"
            server_error = _server_error_text(exc)
        else:
            state = "error"
        if not unexpected:
            # info, not warning: the status trait shows it, and a warning from this thread would be printed into
            # whatever cell is running (logging's last-resort handler writes to stderr)
            log.info("sync of %s failed (will retry): %s", w.model.execution_key, message)
        try:
            w._set_running_status(
                state,
                attempt=w.attempt,
                next_retry_at=retry_at,
                last_error=message,
                login_url=login_url,
                server_error=server_error,
            )
        except Exception:
            log.exception("could not record a sync failure")


def _publish_early(w: Watch) -> None:
    """A publishing refresh's rows before the end of the sync (on the sync thread, the tree's lock held)."""
    tree = w.tree
    if w.active and isinstance(tree, TreeSync):
        w.model.update_from(tree.execution)


def _server_error_text(exc: BaseException) -> str:
    """``"INTERNAL: <the server's details>"``, first line only, at most :data:`SERVER_ERROR_CHARS` characters."""
    lines = str(getattr(exc, "details", "") or "").strip().splitlines()
    text = f"{getattr(getattr(exc, 'code', None), 'name', 'UNKNOWN')}: {lines[0] if lines else 'no details'}"
    return text if len(text) <= SERVER_ERROR_CHARS else text[: SERVER_ERROR_CHARS - 1] + "\u2026"


def _in_pool_worker() -> bool:
    return threading.current_thread().name.startswith("flyteexec-sync-worker")


_DEFAULT: SyncScheduler | None = None
_DEFAULT_LOCK = threading.Lock()


def default_scheduler() -> SyncScheduler:
    """The kernel-wide scheduler (created on first use; shut down at interpreter exit)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = SyncScheduler()
            atexit.register(_DEFAULT.shutdown)
        return _DEFAULT


def watch(execution: Any, model: ExecutionModel | None = None, **kwargs: Any) -> Watch:
    """``default_scheduler().watch(...)``."""
    return default_scheduler().watch(execution, model, **kwargs)


def refresh_soon(model: object) -> int:
    """``default_scheduler().refresh_soon(model)`` (none is started for it)."""
    with _DEFAULT_LOCK:
        sched = _DEFAULT
    return sched.refresh_soon(model) if sched is not None else 0
