"""The measurements: cold sync, steady-state refresh, wait(), memory per node, CPU share while watching.

Every case returns a plain-JSON dict (``case``, ``scenario``, ``latency_ms``, then per client ``wall_s``/``rpcs``
figures: ``{median, min, max, n, estimate}``). Times are
``time.perf_counter`` wall seconds in this process; RPC counts are what the sandbox received from clients (its own
player's calls are not counted). Ratios are flytekit / ours, taken pair by pair on the same state.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from . import clients as C
from .server import SandboxProcess
from .stats import Figure, paired_ratios, to_json

log = logging.getLogger("benchmarks")


@dataclass
class Budget:
    """How many repetitions to run: up to ``reps``, fewer once ``seconds`` are spent (always at least one)."""

    reps: int
    seconds: float

    def runs(self) -> Iterator[int]:
        start = time.perf_counter()
        last = 0.0
        for i in range(self.reps):
            elapsed = time.perf_counter() - start
            if i > 0 and elapsed + last > self.seconds:
                return
            t0 = time.perf_counter()
            yield i
            last = time.perf_counter() - t0


@dataclass
class Samples:
    """Wall seconds and RPC counts of one client over the repetitions of a case."""

    wall: list[float] = field(default_factory=list)
    rpcs: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)
    error: str | None = None

    def add(self, wall: float, rpcs: int, **extra: float) -> None:
        self.wall.append(wall)
        self.rpcs.append(float(rpcs))
        for k, v in extra.items():
            self.extra.setdefault(k, []).append(float(v))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"wall_s": to_json(Figure.of(self.wall)), "rpcs": to_json(Figure.of(self.rpcs))}
        for k, v in self.extra.items():
            out[k] = to_json(Figure.of(v))
        if self.error:
            out["error"] = self.error
        return out


def _count(sb: SandboxProcess) -> int:
    return sum(sb.rpc_counts().values())


def _timed(sb: SandboxProcess, fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """Run ``fn`` with the sandbox's RPC counter reset; returns (result, wall seconds, client RPCs)."""
    sb.reset_rpc_counts()
    t0 = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - t0
    return result, wall, _count(sb)


def _error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."


@dataclass(frozen=True)
class Case:
    """One scenario instance: sandbox scenario name, parameters, and the label printed in tables."""

    label: str
    scenario: str
    params: dict[str, int] = field(default_factory=dict)

    @property
    def size_hint(self) -> int:
        return int(self.params.get("size", 0))


@dataclass
class FlytekitPolicy:
    """When flytekit runs: at most ``reps``, within ``seconds`` per case; skipped (estimated from the per-node cost
    measured on a smaller tree at the same latency) when the estimate exceeds ``skip_above_s``."""

    reps: int
    seconds: float
    skip_above_s: float
    per_node_s: dict[tuple[str, float], float] = field(default_factory=dict)
    #: On trees this big flytekit runs once (one sync takes a minute; the full run must stay near 20 minutes).
    once_from_nodes: int = 5000

    def reps_for(self, nodes: int, reps: int) -> int:
        return 1 if nodes >= self.once_from_nodes else min(reps, self.reps)

    def estimate(self, kind: str, latency: float, nodes: int) -> float | None:
        per = self.per_node_s.get((kind, latency))
        return None if per is None else per * nodes

    def learn(self, kind: str, latency: float, nodes: int, wall: float) -> None:
        if nodes >= 100:
            self.per_node_s[(kind, latency)] = wall / nodes


def limit_s(depth: int, latency_ms: float) -> float:
    """The physical limit of a sync: one round trip per level of the tree, levels one after another."""
    return depth * latency_ms / 1000.0


# ----------------------------------------------------------------------------------------------------------------
# cold full-tree sync
# ----------------------------------------------------------------------------------------------------------------
def cold_sync(
    sb: SandboxProcess,
    case: Case,
    wf: str,
    latency: float,
    budget: Budget,
    fk: FlytekitPolicy,
    keep: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A fresh client fetches the (finished) execution and syncs its whole tree; ours again with all data read.

    ``keep`` receives ours' last synced ``execution`` (reused for the browser figures)."""
    sb.set_latency(latency)
    ours, eager, flytekit = Samples(), Samples(), Samples()
    shape = C.TreeShape(0, 0)
    fk_shape: C.TreeShape | None = None
    for _ in budget.runs():
        remote = C.ours_remote(sb.endpoint)
        try:
            ex, wall, rpcs = _timed(sb, lambda r=remote: C.ours_fetch_and_sync(r, wf))  # type: ignore[misc]
            shape = C.ours_shape(ex)
            ours.add(wall, rpcs)
            if keep is not None:
                keep["execution"] = ex
            _, wall2, rpcs2 = _timed(sb, lambda r=remote, e=ex: C.ours_fetch_all_data(r, e))  # type: ignore[misc]
            eager.add(wall + wall2, rpcs + rpcs2)
        finally:
            remote.close()
    est = fk.estimate("cold", latency, shape.nodes)
    fk_json: dict[str, Any]
    if est is not None and est > fk.skip_above_s:
        fk_json = {
            "wall_s": Figure.estimated(est).to_json(),
            "rpcs": None,
            "skipped": f"estimated {est:.0f} s per sync (> {fk.skip_above_s:.0f} s) from the per-node cost at "
            "the same latency on a smaller tree",
        }
    else:
        for _ in Budget(fk.reps_for(shape.nodes, budget.reps), fk.seconds).runs():
            fr = C.flytekit_remote(sb.endpoint)
            try:
                fx, wall, rpcs = _timed(sb, lambda r=fr: C.flytekit_fetch_and_sync(r, wf))  # type: ignore[misc]
                fk_shape = C.flytekit_shape(fx)
                flytekit.add(wall, rpcs)
            except Exception as exc:  # flytekit fails on some node kinds: that is a result too
                flytekit.error = _error(exc)
                break
        if flytekit.wall:
            fk.learn("cold", latency, shape.nodes, statistics_median(flytekit.wall))
        fk_json = flytekit.to_json()
        if fk_shape is not None:
            fk_json["nodes"] = fk_shape.nodes
    speedup = paired_ratios(flytekit.wall, ours.wall)
    speedup_eager = paired_ratios(flytekit.wall, eager.wall)
    if est is not None and fk_json.get("skipped") and ours.wall:
        speedup = Figure.estimated(est / statistics_median(ours.wall))
        speedup_eager = Figure.estimated(est / statistics_median(eager.wall))
    return {
        "case": "cold_sync",
        "scenario": case.label,
        "latency_ms": latency,
        "nodes": shape.nodes,
        "depth": shape.depth,
        "limit_s": limit_s(shape.depth, latency),
        "ours": ours.to_json(),
        "ours_eager": eager.to_json(),
        "flytekit": fk_json,
        "speedup": to_json(speedup),
        "speedup_eager": to_json(speedup_eager),
        "rpc_ratio": to_json(paired_ratios(flytekit.rpcs, ours.rpcs)),
    }


def statistics_median(values: list[float]) -> float:
    fig = Figure.of(values)
    return 0.0 if fig is None else fig.median


# ----------------------------------------------------------------------------------------------------------------
# steady-state refresh
# ----------------------------------------------------------------------------------------------------------------
class CommRecorder:
    """Stands in for the Jupyter comm of widgets created while installed: records every message's size."""

    def __init__(self) -> None:
        self.sizes: list[tuple[str, int, int]] = []  # (method or custom type, bytes, rows)
        self.messages: list[dict[str, Any]] = []
        self.keep = False

    def create(self, **kwargs: Any) -> Any:
        recorder = self

        class _Comm:
            comm_id = "benchmark"
            kernel = "benchmark"  # ipywidgets sends nothing through a comm whose kernel is None

            def __init__(self) -> None:
                self._closed = False

            def open(self, *a: Any, **k: Any) -> None:
                pass

            def on_msg(self, *a: Any, **k: Any) -> None:
                pass

            def on_close(self, *a: Any, **k: Any) -> None:
                pass

            def close(self, *a: Any, **k: Any) -> None:
                self._closed = True

            def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
                size = len(json.dumps(data, separators=(",", ":"), default=str)) + sum(len(b) for b in (buffers or []))
                content = data.get("content") if isinstance(data, dict) else None
                kind = str(data.get("method")) if isinstance(data, dict) else "?"
                rows = 0
                if isinstance(content, dict):
                    kind = str(content.get("type", kind))
                    rows = len(content.get("rows", []) or []) + len(content.get("removed", []) or [])
                recorder.sizes.append((kind, size, rows))
                if recorder.keep and isinstance(content, dict):
                    recorder.messages.append(content)

        return _Comm()

    @contextmanager
    def installed(self) -> Iterator[None]:
        import comm

        original = comm.create_comm
        comm.create_comm = self.create
        try:
            yield
        finally:
            comm.create_comm = original

    def take(self) -> tuple[int, int, int]:
        """(bytes, messages, rows in patches) since the last take."""
        sizes, self.sizes = self.sizes, []
        return sum(s for _, s, _ in sizes), len(sizes), sum(r for k, _, r in sizes if k == "patch")


def attach_widget(model: Any, execution: Any, recorder: CommRecorder) -> Any:
    """An ExecutionWidget on ``model`` whose comm is ``recorder``, displayed (it pushed a snapshot)."""
    from flyteexec_widget.display.widget import ExecutionWidget

    with recorder.installed():
        widget = ExecutionWidget(model, execution=execution, runner=lambda fn: fn())
    widget._push_snapshot()  # what displaying it does: the rows go to the page unasked
    return widget


def refresh(
    sb: SandboxProcess,
    case: Case,
    wf: str,
    latencies: list[float],
    step_s: float,
    budget: Budget,
    fk: FlytekitPolicy,
) -> list[dict[str, Any]]:
    """From a frozen mid-run state, advance ``step_s`` of sandbox time, then refresh both clients on that state.

    Ours: ``sync_execution`` on an already-synced execution (its TreeSync fetches only what can change), then the
    model update and the widget patch (their bytes are recorded). flytekit: ``sync_execution`` again on its
    already-synced execution. Both clients are synced once (at 0 ms, untimed), then refreshed ``budget`` times at
    each latency in turn; the state keeps moving forward ``step_s`` before every refresh.
    """
    from flyteexec_widget.live.model import ExecutionModel

    sb.set_latency(0)
    remote = C.ours_remote(sb.endpoint)
    ex = C.ours_fetch_and_sync(remote, wf)
    model = ExecutionModel(ex)
    recorder = CommRecorder()
    widget = attach_widget(model, ex, recorder)
    recorder.take()
    shape = C.ours_shape(ex)
    ests = {lat: fk.estimate("refresh", lat, shape.nodes) for lat in latencies}
    run_fk = {lat: not (e is not None and e > fk.skip_above_s) for lat, e in ests.items()}
    fk_state: dict[str, Any] = {"remote": None, "execution": None, "error": None}
    if any(run_fk.values()):
        fr = C.flytekit_remote(sb.endpoint)
        try:
            fk_state.update(remote=fr, execution=C.flytekit_fetch_and_sync(fr, wf))
        except Exception as exc:
            fk_state["error"] = _error(exc)
    out = []
    try:
        for latency in latencies:
            out.append(
                _refresh_at(
                    sb,
                    case,
                    wf,
                    latency,
                    step_s,
                    budget,
                    fk,
                    remote,
                    ex,
                    model,
                    recorder,
                    fk_state,
                    run_fk[latency],
                    ests[latency],
                )
            )
    finally:
        widget.close()
        remote.close()
    return out


def _refresh_at(
    sb: SandboxProcess,
    case: Case,
    wf: str,
    latency: float,
    step_s: float,
    budget: Budget,
    fk: FlytekitPolicy,
    remote: Any,
    ex: Any,
    model: Any,
    recorder: CommRecorder,
    fk_state: dict[str, Any],
    run_fk: bool,
    est: float | None,
) -> dict[str, Any]:
    shape = C.ours_shape(ex)
    flytekit = Samples(error=fk_state["error"])
    sb.set_latency(latency)
    ours = Samples()
    fk_left = fk.reps_for(shape.nodes, budget.reps) if run_fk else 0
    fk_start = time.perf_counter()
    before = sb.truth(wf)
    ours_spent = 0.0  # ours' budget counts ours' own time: a slow flytekit must not cut ours' repetitions
    for rep in range(budget.reps):
        if rep > 0 and ours_spent * (rep + 1) / rep > budget.seconds:
            break
        sb.advance(step_s)
        after = sb.truth(wf)
        changed = sum(1 for k, v in after.items() if before.get(k) != v)
        before = after
        recorder.take()
        _, wall, rpcs = _timed(sb, lambda: C.ours_refresh(remote, ex))
        t0 = time.perf_counter()
        model.update_from(ex)
        apply_s = time.perf_counter() - t0
        sent, _messages, patched = recorder.take()
        ours.add(wall + apply_s, rpcs, sync_s=wall, model_s=apply_s, changed=changed, bytes=sent, rows=patched)
        ours_spent += wall + apply_s
        fk_time_left = not flytekit.wall or time.perf_counter() - fk_start < fk.seconds
        if fk_state["remote"] is not None and fk_left > 0 and fk_time_left:
            try:
                fx, fwall, frpcs = _timed(sb, partial(C.flytekit_refresh, fk_state["remote"], fk_state["execution"]))
                fk_state["execution"] = fx
                flytekit.add(fwall, frpcs)
                fk_left -= 1
            except Exception as exc:
                flytekit.error = fk_state["error"] = _error(exc)
                fk_state["remote"] = None
    if flytekit.wall:
        fk.learn("refresh", latency, shape.nodes, statistics_median(flytekit.wall))
    fk_json: dict[str, Any] = flytekit.to_json()
    if not run_fk and est is not None:
        fk_json = {
            "wall_s": Figure.estimated(est).to_json(),
            "rpcs": None,
            "skipped": f"estimated {est:.0f} s per refresh (> {fk.skip_above_s:.0f} s) from the per-node cost at "
            "the same latency on a smaller tree",
        }
    bytes_per_row = [b / r for b, r in zip(ours.extra.get("bytes", []), ours.extra.get("rows", []), strict=True) if r]
    speedup = paired_ratios(flytekit.wall, ours.wall)
    if speedup is None and not run_fk and est is not None and ours.wall:
        speedup = Figure.estimated(est / statistics_median(ours.wall))
    return {
        "case": "refresh",
        "scenario": case.label,
        "latency_ms": latency,
        "step_s": step_s,
        "nodes": C.ours_shape(ex).nodes,
        "depth": shape.depth,
        "limit_s": limit_s(shape.depth, latency),
        "ours": ours.to_json(),
        "flytekit": fk_json,
        "bytes_per_changed_row": to_json(Figure.of(bytes_per_row)),
        "speedup": to_json(speedup),
        "rpc_ratio": to_json(paired_ratios(flytekit.rpcs, ours.rpcs)),
    }


# ----------------------------------------------------------------------------------------------------------------
# wait()
# ----------------------------------------------------------------------------------------------------------------
def wait_case(
    sb: SandboxProcess, case: Case, latency: float, client: str, flytekit_poll_s: float, timeout_s: float
) -> dict[str, Any]:
    """Launch on the real-clock sandbox, then block in ``wait()`` until the execution ends.

    Detection delay: when ``wait()`` returned minus when the execution became terminal (its ``updated_at``: the
    real clock's ``now()`` is real UTC time, shared with this process).
    """
    sb.set_latency(latency)
    wf = sb.launch(case.scenario, **case.params)
    sb.auto_answer(wf)
    sb.reset_rpc_counts()
    t0 = time.perf_counter()
    error = None
    try:
        if client == "ours":
            from flyteexec_widget.display.waiting import wait

            remote = C.ours_remote(sb.endpoint)
            try:
                ex = remote.fetch_execution(wf)
                wait(ex, timeout=timeout_s, show=False)
            finally:
                remote.close()
        else:
            fr = C.flytekit_remote(sb.endpoint)
            p, d, n = C.split(wf)
            fx = fr.fetch_execution(project=p, domain=d, name=n)
            fr.wait(fx, timeout=timeout_s, poll_interval=flytekit_poll_s, sync_nodes=True)
    except Exception as exc:
        error = _error(exc)
    returned = time.time()
    wall = time.perf_counter() - t0
    rpcs = _count(sb)
    terminal = sb.terminal_at(wf)
    out: dict[str, Any] = {
        "case": "wait",
        "scenario": case.label,
        "latency_ms": latency,
        "client": client,
        "wall_s": wall,
        "rpcs": rpcs,
        "detection_delay_s": None if terminal is None else returned - terminal,
    }
    if error:
        out["error"] = error
    return out


# ----------------------------------------------------------------------------------------------------------------
# memory and CPU
# ----------------------------------------------------------------------------------------------------------------
def memory_per_node(sb: SandboxProcess, wf: str, client: str, keep: dict[str, Any] | None = None) -> dict[str, Any]:
    """Python memory (tracemalloc) held after a full sync (+ model rows for ours), per node.

    ``keep`` receives ours' synced ``execution`` and ``model`` (reused for the browser figures)."""
    sb.set_latency(0)
    gc.collect()
    tracemalloc.start(1)
    base = tracemalloc.get_traced_memory()[0]
    held: list[Any] = []
    try:
        if client == "ours":
            from flyteexec_widget.live.model import ExecutionModel

            remote = C.ours_remote(sb.endpoint)
            ex = C.ours_fetch_and_sync(remote, wf)
            model = ExecutionModel(ex)
            held += [remote, ex, model]
            nodes = C.ours_shape(ex).nodes
            if keep is not None:
                keep.update(execution=ex, model=model)
        else:
            fr = C.flytekit_remote(sb.endpoint)
            fx = C.flytekit_fetch_and_sync(fr, wf)
            held += [fr, fx]
            nodes = C.flytekit_shape(fx).nodes
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if client == "ours":
        held[0].close()
    used = current - base
    return {
        "case": "memory",
        "client": client,
        "nodes": nodes,
        "bytes": used,
        "bytes_per_node": used / max(nodes, 1),
        "peak_bytes_per_node": (peak - base) / max(nodes, 1),
    }


def _bulk_done(sb: SandboxProcess, case: Case, wf: str, timeout_s: float) -> None:
    """A ``bench-steady`` execution at its steady state: wait until its bulk (all but the slow tail, one second
    after launch) has finished, so a watch starts on the finished tree, not on the burst of its end."""
    if "tail" not in case.params:
        return
    bulk = int(case.params["size"]) - int(case.params["tail"])
    began = time.monotonic()
    while sum(1 for p in sb.truth(wf).values() if p == "SUCCEEDED") < bulk and time.monotonic() - began < timeout_s:
        time.sleep(0.2)


def cpu_share(
    sb: SandboxProcess, case: Case, warmup_s: float, period_s: float, client: str, first_sync_s: float = 600.0
) -> dict[str, Any]:
    """Process CPU seconds / wall seconds while a live watch (ours) or a 1 s sync loop (flytekit) follows a
    running execution (real clock), over ``period_s`` after ``warmup_s``; for ours the warm-up starts once its
    first (cold) sync is done, so the figure is the steady state. The sandbox runs in another process."""
    sb.set_latency(0)
    wf = sb.launch(case.scenario, **case.params)
    _bulk_done(sb, case, wf, first_sync_s)
    stop = threading.Event()
    extra: dict[str, Any] = {}
    stopper: Callable[[], None]
    remote: Any = None
    if client == "ours":
        from flyteexec_widget.live.model import ExecutionModel
        from flyteexec_widget.live.scheduler import SyncScheduler

        remote = C.ours_remote(sb.endpoint)
        ex = remote.fetch_execution(wf)
        model = ExecutionModel()
        recorder = CommRecorder()
        widget = attach_widget(model, ex, recorder)
        sched = SyncScheduler()
        watch = sched.watch(ex, model)
        began = time.monotonic()
        while watch.syncs < 1 and watch.active and time.monotonic() - began < first_sync_s:
            time.sleep(0.05)
        extra["first_sync_s"] = time.monotonic() - began

        def stopper() -> None:
            extra["rows"] = len(model.rows)
            extra["syncs"] = watch.syncs
            watch.stop()
            sched.shutdown()
            widget.close()

    else:
        fr = C.flytekit_remote(sb.endpoint)
        p, d, n = C.split(wf)

        def loop() -> None:
            fx = fr.fetch_execution(project=p, domain=d, name=n)
            while not stop.is_set():
                fx = fr.sync_execution(fx, sync_nodes=True)
                if fx.is_done:
                    return
                stop.wait(1.0)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()

        def stopper() -> None:
            stop.set()
            thread.join(600)

    time.sleep(warmup_s)
    sb.reset_rpc_counts()
    c0, w0 = time.process_time(), time.perf_counter()
    time.sleep(period_s)
    c1, w1 = time.process_time(), time.perf_counter()
    rpcs = _count(sb)
    stopper()
    if remote is not None:
        remote.close()
    return {
        "case": "cpu",
        "scenario": case.label,
        "client": client,
        "period_s": w1 - w0,
        "cpu_s": c1 - c0,
        "cpu_share": (c1 - c0) / (w1 - w0),
        "rpcs_per_s": rpcs / (w1 - w0),
        **extra,
    }


def load(sb: SandboxProcess, case: Case, seconds: float, latency: float, timeout_s: float = 120.0) -> dict[str, Any]:
    """Load on FlyteAdmin per watcher: calls per second and response bytes per second while ours watches (a live
    watch with its widget, as ``watch()`` runs it) and flytekit's ``FlyteRemote.wait()`` (its defaults: a 30 s
    poll interval, ``sync_nodes=True``) polls the same running execution, side by side, for ``seconds`` of real
    time. The window starts once ours' first sync is done (its cold sync is reported apart: ``ours_first_sync``);
    the sandbox counts each client's calls and response payload bytes (see ``SandboxProcess.client_counts``)."""
    from flyteexec_widget.live.model import ExecutionModel
    from flyteexec_widget.live.scheduler import SyncScheduler

    sb.set_latency(latency)
    wf = sb.launch(case.scenario, **case.params)
    _bulk_done(sb, case, wf, timeout_s)
    sb.client_counts(reset=True)
    remote = C.ours_remote(sb.endpoint, agent=C.OURS_AGENT)
    fk_error: list[str] = []
    fr = C.flytekit_remote(sb.endpoint)
    p, d, n = C.split(wf)
    fx = fr.fetch_execution(project=p, domain=d, name=n)

    def flytekit_wait() -> None:
        from datetime import timedelta

        try:
            fr.wait(fx, timeout=timedelta(seconds=seconds + 1), sync_nodes=True)  # its default poll_interval
        except Exception as exc:  # the timeout ends it: that is the plan
            if "timeout" not in type(exc).__name__.lower() and "timeout" not in str(exc).lower():
                fk_error.append(_error(exc))

    ex = remote.fetch_execution(wf)
    model = ExecutionModel()
    widget = attach_widget(model, ex, CommRecorder())
    sched = SyncScheduler()
    watch = sched.watch(ex, model)
    fk_thread = threading.Thread(target=flytekit_wait, daemon=True, name="bench-flytekit-wait")
    fk_thread.start()
    try:
        started = time.monotonic()
        while watch.syncs < 1 and time.monotonic() - started < timeout_s:
            time.sleep(0.05)
        first = sb.client_counts(reset=True).get(C.OURS_AGENT, (0, 0))
        t0 = time.perf_counter()
        time.sleep(seconds)
        counts = sb.client_counts()
        wall = time.perf_counter() - t0
        rows, syncs = len(model.rows), watch.syncs
    finally:
        watch.stop()
        sched.shutdown()
        widget.close()
        remote.close()
    # flytekit may be asleep in its 30 s poll interval, or inside a sync: not waited for (a daemon thread; its next
    # call fails once this sandbox closes, which ends its wait())
    fk_thread.join(1.0)

    def per_s(agent: str) -> dict[str, float]:
        calls, received = counts.get(agent, (0, 0))
        return {"rpcs": calls, "bytes": received, "rpcs_per_s": calls / wall, "bytes_per_s": received / wall}

    out: dict[str, Any] = {
        "case": "load",
        "scenario": case.label,
        "latency_ms": latency,
        "seconds": wall,
        "rows": rows,
        "ours": {**per_s(C.OURS_AGENT), "syncs": syncs - 1},
        "ours_first_sync": {"rpcs": first[0], "bytes": first[1]},
        "flytekit": per_s(C.FLYTEKIT_AGENT),
    }
    if fk_error:
        out["flytekit"]["error"] = fk_error[0]
    return out


def warm_up(sb: SandboxProcess) -> None:
    """One untimed sync by each client, so that imports and first-call costs do not land in the first figure."""
    from flyteexec_widget.live.model import ExecutionModel

    sb.set_latency(0)
    wf = sb.launch("single-task")
    sb.settle(wf)
    remote = C.ours_remote(sb.endpoint)
    try:
        ex = C.ours_fetch_and_sync(remote, wf)
        C.ours_fetch_all_data(remote, ex)
        attach_widget(ExecutionModel(ex), ex, CommRecorder()).close()
    finally:
        remote.close()
    try:
        C.flytekit_fetch_and_sync(C.flytekit_remote(sb.endpoint), wf)
    except Exception:  # flytekit's own failures show up in the measured cases
        log.debug("flytekit warm-up failed", exc_info=True)
