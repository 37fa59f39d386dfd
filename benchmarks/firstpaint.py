"""First paint: from ``watch()`` to every node row in the model, then to the complete tree (attempts included).

A watch's sync lists every level first and publishes those rows, then lists the attempts (``live/sync.py``). This
measures, on a finished execution with a fresh client (the execution already fetched, as a user has it when they
call ``watch()``): the time until the model holds a row for every node (first paint), the time until every row
has its attempts (complete, through the same watch), and beside them, in the same run, a cold
``sync_execution`` (ours; with its rows built once, what a watch cost before rows came first) and flytekit's cold
sync. The physical limit is (tree depth) x (latency); the parse time
is the first paint of the same tree at 0 ms (listing, parsing and building rows with no wire delay), so the target
reads ``first paint <= 3 x limit + parse time``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from . import clients as C
from .cases import Budget, Case, FlytekitPolicy, Samples, _error, _timed, limit_s, statistics_median
from .server import SandboxProcess
from .stats import Figure, paired_ratios, to_json

#: Give up on a watch that has not completed after this many seconds (a broken run, not a figure).
WATCH_TIMEOUT_S = 600.0


def _watch_once(remote: Any, wf: str, nodes: int) -> tuple[float, float, float]:
    """``(first paint, complete, first paint's CPU)`` seconds of one watch of ``wf`` with a fresh scheduler. The CPU
    time is this process's (every thread; the sandbox runs in another): less at the mercy of a busy machine than
    the wall time."""
    from flyteexec_widget.live.model import ExecutionModel
    from flyteexec_widget.live.scheduler import SyncScheduler

    execution = remote.fetch_execution(wf)  # what the user holds before watch(): not timed
    painted, complete = threading.Event(), threading.Event()
    times: dict[str, float] = {}
    sched = SyncScheduler()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        model = ExecutionModel(execution)  # what watch() builds first

        def on_rows(_version: int, _changed: Any, _removed: Any) -> None:
            rows = model.rows.values()
            if not painted.is_set() and sum(1 for r in rows if r["kind"] != "subtask") >= nodes:
                times["paint"] = time.perf_counter() - t0
                times["paint_cpu"] = time.process_time() - c0
                painted.set()
            if painted.is_set() and all(r["attempts"] is not None for r in rows):
                times.setdefault("complete", time.perf_counter() - t0)
                complete.set()

        model.on_rows_change(on_rows)
        watch = sched.watch(execution, model)
        if not complete.wait(WATCH_TIMEOUT_S):
            raise TimeoutError(f"the watch of {wf} did not complete within {WATCH_TIMEOUT_S:.0f} s")
        watch.stop()
    finally:
        sched.shutdown()
    return times["paint"], times["complete"], times["paint_cpu"]


def first_paint(
    sb: SandboxProcess,
    case: Case,
    wf: str,
    latency: float,
    budget: Budget,
    fk: FlytekitPolicy,
    parse_s: float | None = None,
    flytekit_cold: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One tree at one latency. ``parse_s``: this tree's first paint at 0 ms (None: this is that run).
    ``flytekit_cold``: the cold section's flytekit figure for this tree and latency, if it ran (else measured)."""
    from flyteexec_widget.live.model import ExecutionModel

    sb.set_latency(latency)
    paint, complete, cold, cold_rows, paint_cpu = Samples(), Samples(), Samples(), Samples(), Samples()
    shape = C.TreeShape(0, 0)
    error = None
    for _ in budget.runs():
        remote = C.ours_remote(sb.endpoint)
        try:
            ex, wall, rpcs = _timed(sb, lambda r=remote: C.ours_fetch_and_sync(r, wf))  # type: ignore[misc]
            cold.add(wall, rpcs)
            shape = C.ours_shape(ex)
            t0 = time.perf_counter()
            ExecutionModel(ex)  # the rows once: with the sync, what a watch cost when rows waited for attempts
            cold_rows.add(wall + time.perf_counter() - t0, rpcs)
            del ex
        finally:
            remote.close()
        remote = C.ours_remote(sb.endpoint)
        try:
            sb.reset_rpc_counts()
            p, c, p_cpu = _watch_once(remote, wf, shape.nodes)
            rpcs = sum(sb.rpc_counts().values())
            paint.add(p, 0)
            paint_cpu.add(p_cpu, 0)
            complete.add(c, rpcs)
        except Exception as exc:
            error = _error(exc)
            break
        finally:
            remote.close()
    fk_json = dict(flytekit_cold) if flytekit_cold is not None else _flytekit_cold(sb, wf, latency, budget, fk, shape)
    fk_walls: list[float] = fk_json.pop("_walls", None) or []
    fk_med = (fk_json.get("wall_s") or {}).get("median")
    paint_med = statistics_median(paint.wall) if paint.wall else None
    if fk_walls:  # measured here: pair by pair
        fk_ratio = paired_ratios(fk_walls, paint.wall)
    elif fk_med and paint_med:  # the cold section's median (or flytekit's estimate) over this median
        fk_ratio = Figure.estimated(fk_med / paint_med) if fk_json.get("skipped") else Figure.of([fk_med / paint_med])
    else:
        fk_ratio = None
    limit = limit_s(shape.depth, latency)
    out: dict[str, Any] = {
        "case": "first_paint",
        "scenario": case.label,
        "latency_ms": latency,
        "nodes": shape.nodes,
        "depth": shape.depth,
        "limit_s": limit,
        "parse_s": paint_med if parse_s is None else parse_s,
        "first_paint_s": to_json(Figure.of(paint.wall)),
        "first_paint_cpu_s": to_json(Figure.of(paint_cpu.wall)),
        "complete_s": to_json(Figure.of(complete.wall)),
        "complete_rpcs": to_json(Figure.of(complete.rpcs)),
        "cold_sync_s": to_json(Figure.of(cold.wall)),
        "cold_sync_rpcs": to_json(Figure.of(cold.rpcs)),
        "cold_sync_rows_s": to_json(Figure.of(cold_rows.wall)),
        "flytekit": fk_json,
        # how much sooner the rows show than each complete tree, pair by pair where both ran here
        "complete_over_paint": to_json(paired_ratios(complete.wall, paint.wall)),
        "cold_over_paint": to_json(paired_ratios(cold.wall, paint.wall)),
        "complete_over_cold": to_json(paired_ratios(complete.wall, cold.wall)),
        "complete_over_cold_rows": to_json(paired_ratios(complete.wall, cold_rows.wall)),
        "flytekit_over_paint": to_json(fk_ratio),
    }
    if error:
        out["error"] = error
    return out


def _flytekit_cold(
    sb: SandboxProcess, wf: str, latency: float, budget: Budget, fk: FlytekitPolicy, shape: C.TreeShape
) -> dict[str, Any]:
    """flytekit's cold sync of the same tree (skipped, with the estimate, when predicted too long)."""
    est = fk.estimate("cold", latency, shape.nodes)
    if est is not None and est > fk.skip_above_s:
        return {
            "wall_s": Figure.estimated(est).to_json(),
            "skipped": f"estimated {est:.0f} s per sync (> {fk.skip_above_s:.0f} s)",
        }
    samples = Samples()
    for _ in Budget(min(budget.reps, fk.reps), fk.seconds).runs():
        fr = C.flytekit_remote(sb.endpoint)
        try:
            _, wall, rpcs = _timed(sb, lambda r=fr: C.flytekit_fetch_and_sync(r, wf))  # type: ignore[misc]
            samples.add(wall, rpcs)
        except Exception as exc:  # flytekit fails on some node kinds: that is a result too
            samples.error = _error(exc)
            break
    if samples.wall:
        fk.learn("cold", latency, shape.nodes, statistics_median(samples.wall))
    out = samples.to_json()
    out["_walls"] = samples.wall
    return out


def run_cases(
    sb: SandboxProcess,
    cases: list[tuple[Case, list[float]]],
    budget: Budget,
    fk: FlytekitPolicy,
    finished: dict[str, str],
    cold_results: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each tree at each of its latencies, 0 ms first (its first paint is the parse time of the others)."""
    out: list[dict[str, Any]] = []
    for case, latencies in cases:
        wf = finished.get(case.label)
        if wf is None:
            wf = sb.launch(case.scenario, **case.params)
            sb.settle(wf)
            finished[case.label] = wf
        parse: float | None = None
        for latency in sorted(latencies):
            fk_cold = next(
                (
                    r["flytekit"]
                    for r in cold_results
                    if r.get("case") == "cold_sync" and r["scenario"] == case.label and r["latency_ms"] == latency
                ),
                None,
            )
            rec = first_paint(sb, case, wf, latency, budget, fk, parse, fk_cold)
            if latency == 0:
                parse = (rec.get("first_paint_s") or {}).get("median")
            out.append(rec)
    return out
