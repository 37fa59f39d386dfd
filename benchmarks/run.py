"""``python -m benchmarks``: this package vs flytekit's ``FlyteRemote``, from RPCs to pixels, against the sandbox.

What runs (``--quick`` uses small trees, one repetition):

* cold full-tree sync of a finished execution (fresh clients): wall time and RPCs, ours also with every
  input/output read (flytekit reads them inside its sync), beside the limit (tree depth) x (added latency);
* steady-state refresh from a frozen mid-run state (stepped clock), advancing ``--step`` sandbox seconds
  between refreshes: wall time, RPCs, nodes changed, bytes the widget sends;
* ``wait()`` from launch to the end on a real-clock sandbox (``--speed`` times faster than real time): RPCs and
  the delay between the terminal event and ``wait()`` returning;
* Python memory per node (tracemalloc) and the kernel's CPU share while a live watch runs;
* first render and a 100-row patch in headless Chromium;
* the Graph view of a 200-node compiled workflow: first render and a 100-row patch while shown (headless Chromium);
* first paint: from ``watch()`` to every node row in the model, and to the complete tree, beside a cold sync
  (ours and flytekit's), against the depth x latency limit plus the parse time (``firstpaint.py``).
* load on FlyteAdmin per watcher: calls and response bytes per second while ours watches a 1,000-node execution
  with about 10 node changes a minute, at real speed (``--load-seconds``, default 300), side by side with
  flytekit's ``wait()`` (default 30 s poll) on the same execution; and a board over a sweep of 100 (20 running),
  one watcher with its own figure (``board.load``).

Each figure is the median over repetitions, with min and max; ratios are flytekit / ours, pair by pair. flytekit
runs are capped by a per-case time budget, and skipped (estimated, and labelled so) when the per-node cost measured
on a smaller tree at the same latency predicts more than ``--flytekit-skip`` seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cases
from .cases import Budget, Case, FlytekitPolicy
from .report import markdown
from .scenario import NAME as ROLLING
from .scenario import STEADY_NAME, listed_at, steady_params
from .server import SandboxProcess

log = logging.getLogger("benchmarks")


SECTIONS = ("cold", "refresh", "browser", "timeline", "graph", "memory", "wait", "cpu", "board", "firstpaint", "load")


@dataclass
class Plan:
    """What one run measures."""

    reps: int
    latencies: list[float]
    cold: list[Case]
    refresh: list[tuple[Case, float]]  # (case, mid-run sandbox seconds)
    wait: list[Case]
    memory_ours: Case | None
    memory_flytekit: Case | None
    cpu: list[Case]
    browser_sizes: list[int]
    case_seconds: float
    flytekit_seconds: float
    flytekit_skip_s: float
    step_s: float = 0.5
    speed: float = 3.0
    flytekit_poll_s: float = 1.0
    cpu_warmup_s: float = 3.0
    cpu_period_s: float = 10.0
    wait_flytekit_skip_nodes: int = 1000  # flytekit wait() on trees this big only at 0 ms (each poll is a full sync)
    #: Trace memory on memory_ours only if its untraced cold sync took at most this long, else on memory_fallback.
    memory_max_sync_s: float = 60.0
    memory_fallback: Case | None = None
    #: load: the cases, each watched for load_s seconds of real time at load_latency ms
    load: list[Case] = field(default_factory=list)
    load_s: float = 300.0
    load_latency: float = 5.0
    #: load: a board over a sweep of this many trials (a fifth running) as one more watcher (0: none); settle: its
    #: window starts once only the long trials run (not in the short runs: that takes a dozen seconds)
    load_board: int = 100
    load_board_settle: bool = True
    #: Graph view first render, one figure per compiled graph size (benchmarks/graph.py).
    graph_sizes: list[int] = field(default_factory=list)
    #: The board (benchmarks/board.py): executions of a sweep (a fifth of them running), its own latency, browser.
    board_executions: int = 100
    board_latency_ms: float = 5.0
    board_browser: bool = True
    sections: frozenset[str] = frozenset(SECTIONS)
    #: (tree, latencies) for the first-paint figures (0 ms first: the parse time of the others)
    firstpaint: list[tuple[Case, list[float]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _rolling(listed: int, active: int) -> tuple[Case, float]:
    """``listed`` nodes listed at the frozen instant, ``active`` of them running (twice as many to come)."""
    case = Case(f"rolling-{listed} ({active} active)", ROLLING, {"size": 2 * listed, "active": active})
    return case, listed_at(listed, active)


def _steady(size: int, seconds: float) -> Case:
    """A ``size``-node execution with about 10 node changes a minute, running for at least ``seconds`` (twice)."""
    return Case(f"steady-{size} (10 changes/min)", STEADY_NAME, steady_params(size, 10.0, seconds))


#: The kernel's CPU share at steady state on a big flat tree: 10,000 nodes, 100 of them running for the whole
#: measurement (``wide`` itself finishes in seconds), watched once its cold sync is done. flytekit is not run on it.
WIDE_STEADY = Case(
    "wide-10000 (steady, 100 running)", STEADY_NAME, {"size": 10000, "active": 100, "run_s": 3600, "tail": 100}
)


def smoke_plan() -> Plan:
    """The CI smoke run: tiny trees, one repetition, 0 ms, both clients, no browser (seconds, not minutes)."""
    return Plan(
        reps=1,
        latencies=[0.0],
        cold=[Case("deep-2", "deep", {"depth": 2}), Case("wide-20", "wide", {"size": 20})],
        refresh=[_rolling(20, 2)],
        wait=[Case("single-task", "single-task")],
        memory_ours=Case("wide-20", "wide", {"size": 20}),
        memory_flytekit=None,
        cpu=[],
        browser_sizes=[],
        case_seconds=10,
        flytekit_seconds=10,
        flytekit_skip_s=60,
        speed=5.0,
        load=[_steady(20, 3.0)],
        load_s=3.0,
        load_board=10,
        load_board_settle=False,
        board_executions=10,
        board_browser=False,
        firstpaint=[(Case("wide-20", "wide", {"size": 20}), [0.0])],
    )


def make_plan(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan(
            reps=args.reps or 1,
            latencies=args.latency or [0.0, 5.0],
            cold=[
                Case("all-kinds", "all-kinds"),
                Case("deep-3", "deep", {"depth": 3}),
                Case("wide-100", "wide", {"size": 100}),
            ],
            refresh=[
                (Case("all-kinds", "all-kinds"), 10.0),
                (Case("deep-3", "deep", {"depth": 3}), 7.0),
                _rolling(200, 2),
            ],
            wait=[Case("deep-2", "deep", {"depth": 2})] if not args.no_wait else [],
            memory_ours=Case("wide-100", "wide", {"size": 100}),
            memory_flytekit=Case("wide-100", "wide", {"size": 100}),
            cpu=[_rolling(200, 2)[0]] if not args.no_cpu else [],
            browser_sizes=[] if args.no_browser else [100, 1000],
            graph_sizes=[] if args.no_browser else [200],
            case_seconds=20,
            flytekit_seconds=20,
            flytekit_skip_s=args.flytekit_skip,
            speed=args.speed or 5.0,
            cpu_warmup_s=1.0,
            cpu_period_s=2.0,
            load=[_steady(100, args.load_seconds or 5.0)],
            load_s=args.load_seconds or 5.0,
            load_board_settle=False,
            firstpaint=[(Case("wide-100", "wide", {"size": 100}), [0.0, 5.0])],
        )
    return Plan(
        reps=args.reps or 3,
        latencies=args.latency or [0.0, 5.0],
        cold=[
            Case("all-kinds", "all-kinds"),
            Case("deep", "deep"),
            Case("wide-1000", "wide", {"size": 1000}),
            Case("wide-10000", "wide", {"size": 10000}),
        ],
        refresh=[
            (Case("all-kinds", "all-kinds"), 10.0),
            (Case("deep", "deep"), 13.0),
            _rolling(1000, 10),
            _rolling(10000, 100),
        ],
        wait=[]
        if args.no_wait
        else [Case("all-kinds", "all-kinds"), Case("deep", "deep"), Case("wide-1000", "wide", {"size": 1000})],
        memory_ours=Case("wide-10000", "wide", {"size": 10000}),
        memory_fallback=Case("wide-1000", "wide", {"size": 1000}),
        memory_flytekit=Case("wide-1000", "wide", {"size": 1000}),
        cpu=[] if args.no_cpu else [_rolling(1000, 10)[0], WIDE_STEADY],
        browser_sizes=[] if args.no_browser else [1000, 10000],
        graph_sizes=[] if args.no_browser else [200],
        case_seconds=40,
        flytekit_seconds=45,
        flytekit_skip_s=args.flytekit_skip,
        speed=args.speed or 3.0,
        load=[_steady(1000, args.load_seconds or 300.0)],
        load_s=args.load_seconds or 300.0,
        firstpaint=[
            (Case("wide-1000", "wide", {"size": 1000}), [0.0, 5.0]),
            (Case("wide-10000", "wide", {"size": 10000}), [0.0]),
            (Case("deep", "deep"), [0.0, 5.0]),
        ],
    )


def machine() -> dict[str, Any]:
    """CPU model, cores, Python and library versions, load."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str] = {}
    for dist in ("flytekit", "grpcio", "protobuf", "flyteidl", "playwright"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "?"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "code": _git_state(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "loadavg_start": list(load),
    }


def _git_state() -> str:
    """The commit measured, and whether the package had uncommitted changes (``abc1234+dirty``)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "flyteexec_widget"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class _Sink:
    """Collects results; prints a one-line summary of each and rewrites the partial JSON file as it goes."""

    def __init__(self, doc: dict[str, Any], json_path: str | None) -> None:
        self.doc = doc
        self.json_path = json_path

    def add(self, record: dict[str, Any]) -> None:
        self.doc["results"].append(record)
        _progress("  " + summary(record))
        if self.json_path:
            Path(self.json_path).write_text(json.dumps(self.doc, indent=2, default=str))

    def extend(self, records: list[dict[str, Any]]) -> None:
        for r in records:
            self.add(r)


def summary(r: dict[str, Any]) -> str:
    """One line: what was measured and the medians."""

    def med(f: Any) -> str:
        return "-" if not f else f"{f['median']:.4g}" + ("~" if f.get("estimate") else "")

    head = f"{r.get('case')} {r.get('scenario', r.get('tree', ''))} {r.get('latency_ms', '')}"
    if r.get("case") == "first_paint":
        return (
            f"{head}: first paint {med(r.get('first_paint_s'))} s (CPU {med(r.get('first_paint_cpu_s'))} s), "
            f"complete {med(r.get('complete_s'))} s, "
            f"cold sync {med(r.get('cold_sync_s'))} s, flytekit {med(r['flytekit'].get('wall_s'))} s "
            f"{r.get('error', '')}"
        )
    if r.get("case") in ("cold_sync", "refresh"):
        fk = r["flytekit"]
        return (
            f"{head}: ours {med(r['ours'].get('wall_s'))} s / {med(r['ours'].get('rpcs'))} RPCs, flytekit "
            f"{med(fk.get('wall_s'))} s / {med(fk.get('rpcs'))} RPCs {fk.get('error', '')}"
        )
    if r.get("case") == "load_board" and not r.get("error"):
        return (
            f"{head}: {r['rpcs_per_s']:.2f} RPC/s {r['bytes_per_s']:.0f} B/s over {r['seconds']:.0f} s "
            f"({r['refreshes']} refreshes of {r['rpcs_per_refresh']} calls, {r['running']} running)"
        )
    if r.get("case") == "load":
        o, f = r["ours"], r["flytekit"]
        return (
            f"{head}: ours {o['rpcs_per_s']:.2f} RPC/s {o['bytes_per_s']:.0f} B/s, flytekit wait() "
            f"{f['rpcs_per_s']:.2f} RPC/s {f['bytes_per_s']:.0f} B/s over {r['seconds']:.0f} s {f.get('error', '')}"
        )
    keys = ("client", "rpcs", "detection_delay_s", "bytes_per_node", "cpu_share", "error", "skipped")
    return head + ": " + ", ".join(f"{k}={r[k]}" for k in keys if k in r)


def run(plan: Plan, json_path: str | None = None) -> dict[str, Any]:
    """Run the plan; returns the JSON document (also written to ``json_path`` after each result, if given)."""
    started = time.time()
    results: dict[str, Any] = {
        "machine": machine(),
        "plan": _plan_json(plan),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "results": [],
    }
    out = _Sink(results, json_path)
    fk = FlytekitPolicy(plan.reps, plan.flytekit_seconds, plan.flytekit_skip_s)
    browser_trees: dict[str, Any] = {}
    with SandboxProcess(clock="stepped") as sb:
        results["latency_mode"] = sb.latency_mode
        _progress("warm-up (imports, first channels; not measured)")
        cases.warm_up(sb)
        finished: dict[str, str] = {}
        synced: dict[str, Any] = {}  # label -> ours' synced execution (0 ms cold sync), for the browser figures
        slowest: dict[str, float] = {}  # label -> ours' median cold sync at the first latency
        for case in plan.cold if "cold" in plan.sections else []:
            _progress(f"launch {case.label}")
            wf = sb.launch(case.scenario, **case.params)
            sb.settle(wf)
            finished[case.label] = wf
            for i, latency in enumerate(plan.latencies):
                _progress(f"cold sync {case.label} @ {latency:g} ms")
                keep: dict[str, Any] = {}
                rec = cases.cold_sync(sb, case, wf, latency, Budget(plan.reps, plan.case_seconds), fk, keep=keep)
                out.add(rec)
                if i == 0:
                    slowest[case.label] = (rec["ours"].get("wall_s") or {}).get("median", 0.0)
                    if case.label in {f"wide-{n}" for n in plan.browser_sizes}:
                        synced[case.label] = keep.get("execution")
        if "firstpaint" in plan.sections and plan.firstpaint:
            from .firstpaint import run_cases

            _progress(f"first paint: {', '.join(c.label for c, _ in plan.firstpaint)}")
            out.extend(
                run_cases(sb, plan.firstpaint, Budget(plan.reps, plan.case_seconds), fk, finished, results["results"])
            )
        for case, mid in plan.refresh if "refresh" in plan.sections else []:
            _progress(f"refresh {case.label} (launch, advance {mid:g} s)")
            wf = sb.launch(case.scenario, **case.params)
            sb.advance(mid)
            _progress(f"refresh {case.label} @ {', '.join(f'{x:g}' for x in plan.latencies)} ms")
            out.extend(
                cases.refresh(sb, case, wf, plan.latencies, plan.step_s, Budget(plan.reps, plan.case_seconds), fk)
            )
        if "browser" in plan.sections or "timeline" in plan.sections:
            from flyteexec_widget.live.model import ExecutionModel

            from . import browser

            for size in plan.browser_sizes:
                label = f"wide-{size}"
                ex = synced.pop(label, None)
                if ex is not None:
                    browser_trees[label] = browser.widget_messages(ExecutionModel(ex), ex)
                else:
                    wf = finished.get(label) or _settled(sb, Case(label, "wide", {"size": size}))
                    browser_trees[label] = _widget_messages(sb, wf)
        synced.clear()
        if plan.memory_ours is not None and "memory" in plan.sections:
            mcase, note = plan.memory_ours, ""
            took = slowest.get(mcase.label, 0.0)
            if took > plan.memory_max_sync_s and plan.memory_fallback is not None:
                note = (
                    f"{mcase.label} not traced: its untraced sync alone took {took:.0f} s (> "
                    f"{plan.memory_max_sync_s:.0f} s); measured on {plan.memory_fallback.label} instead"
                )
                mcase = plan.memory_fallback
            _progress(f"memory (ours) {mcase.label}")
            wf = finished.get(mcase.label) or _settled(sb, mcase)
            rec = {**cases.memory_per_node(sb, wf, "ours"), "scenario": mcase.label}
            out.add({**rec, "note": note} if note else rec)
        if plan.memory_flytekit is not None and "memory" in plan.sections:
            _progress(f"memory (flytekit) {plan.memory_flytekit.label}")
            wf = finished.get(plan.memory_flytekit.label) or _settled(sb, plan.memory_flytekit)
            try:
                out.add({**cases.memory_per_node(sb, wf, "flytekit"), "scenario": plan.memory_flytekit.label})
            except Exception as exc:
                out.add({"case": "memory", "client": "flytekit", "error": cases._error(exc)})
    if browser_trees and "browser" in plan.sections:
        _progress(f"browser: {', '.join(browser_trees)}")
        try:
            from . import browser

            out.extend(browser.measure(browser_trees, plan.reps))
        except Exception as exc:
            out.add({"case": "browser", "error": cases._error(exc)})
    if browser_trees and "timeline" in plan.sections:
        _progress(f"timeline: {', '.join(browser_trees)}")
        try:
            from . import timeline

            out.extend(timeline.measure(browser_trees, plan.reps))
        except Exception as exc:
            out.add({"case": "timeline", "error": cases._error(exc)})
    if plan.graph_sizes and "graph" in plan.sections:
        _progress(f"graph: {', '.join(str(n) for n in plan.graph_sizes)} nodes")
        try:
            from . import graph

            out.extend(graph.measure(plan.graph_sizes, plan.reps))
        except Exception as exc:
            out.add({"case": "graph", "error": cases._error(exc)})
    if (plan.wait and "wait" in plan.sections) or (plan.cpu and "cpu" in plan.sections):
        with SandboxProcess(clock="real", speed=plan.speed) as rb:
            for case in plan.wait if "wait" in plan.sections else []:
                for latency in plan.latencies:
                    for client in ("ours", "flytekit"):
                        if client == "flytekit" and latency > 0 and case.size_hint >= plan.wait_flytekit_skip_nodes:
                            out.add(
                                {
                                    "case": "wait",
                                    "scenario": case.label,
                                    "latency_ms": latency,
                                    "client": client,
                                    "skipped": "each flytekit poll is a full sync (tens of seconds here)",
                                }
                            )
                            continue
                        _progress(f"wait {case.label} @ {latency:g} ms, {client}")
                        out.add(cases.wait_case(rb, case, latency, client, plan.flytekit_poll_s, timeout_s=600))
            for case in plan.cpu if "cpu" in plan.sections else []:
                for client in ("ours",) if case is WIDE_STEADY else ("ours", "flytekit"):
                    _progress(f"cpu share {case.label}, {client}")
                    rb_case = Case(case.label, case.scenario, case.params)
                    out.add(cases.cpu_share(rb, rb_case, plan.cpu_warmup_s, plan.cpu_period_s, client))
    if plan.load and "load" in plan.sections:
        with SandboxProcess(clock="real", speed=1.0) as lb:
            for case in plan.load:
                _progress(f"load {case.label}: ours and flytekit wait() side by side for {plan.load_s:g} s")
                out.add(cases.load(lb, case, plan.load_s, plan.load_latency))
            if plan.load_board > 0:
                from . import board

                _progress(f"load of a board over a sweep of {plan.load_board} for {plan.load_s:g} s")
                label = f"sweep of {plan.load_board} ({plan.load_board // 5} running)"
                try:
                    figures = board.load(lb, plan.load_board, plan.load_s, plan.load_latency, plan.load_board_settle)
                    out.add({"case": "load_board", "scenario": label, "latency_ms": plan.load_latency, **figures})
                except Exception as exc:
                    out.add({"case": "load_board", "scenario": label, "error": cases._error(exc)})
    if "board" in plan.sections and plan.board_executions > 0:
        from . import board

        _progress(f"board: sweep of {plan.board_executions} @ {plan.board_latency_ms:g} ms")
        try:
            figures = board.run(plan.board_executions, plan.board_latency_ms, plan.reps + 2, plan.board_browser)
            out.add({"case": "board", **figures})
        except Exception as exc:
            out.add({"case": "board", "error": cases._error(exc)})
    results["machine"]["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else []
    results["elapsed_s"] = time.time() - started
    return results


def _settled(sb: SandboxProcess, case: Case) -> str:
    wf = sb.launch(case.scenario, **case.params)
    sb.settle(wf)
    return wf


def _widget_messages(sb: SandboxProcess, wf: str) -> Any:
    from flyteexec_widget.live.model import ExecutionModel

    from . import browser
    from . import clients as C

    sb.set_latency(0)
    remote = C.ours_remote(sb.endpoint)
    try:
        ex = C.ours_fetch_and_sync(remote, wf)
        return browser.widget_messages(ExecutionModel(ex), ex)
    finally:
        remote.close()


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "reps": plan.reps,
        "latencies_ms": plan.latencies,
        "cold": [c.label for c in plan.cold],
        "refresh": [{"scenario": c.label, "mid_run_s": m} for c, m in plan.refresh],
        "wait": [c.label for c in plan.wait],
        "step_s": plan.step_s,
        "speed": plan.speed,
        "flytekit_poll_s": plan.flytekit_poll_s,
        "case_seconds": plan.case_seconds,
        "flytekit_seconds": plan.flytekit_seconds,
        "flytekit_skip_s": plan.flytekit_skip_s,
        "browser_sizes": plan.browser_sizes,
        "load": [c.label for c in plan.load],
        "load_s": plan.load_s,
        "load_latency_ms": plan.load_latency,
        "load_board": plan.load_board,
        "graph_sizes": plan.graph_sizes,
        "firstpaint": [{"scenario": c.label, "latencies_ms": lats} for c, lats in plan.firstpaint],
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="small trees, one repetition (the CI smoke run)")
    p.add_argument("--reps", type=int, default=0, help="repetitions per figure (default 3, --quick 1)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument(
        "--latency", type=float, action="append", help="added latency per RPC in ms (repeatable; default 0 and 5)"
    )
    p.add_argument("--speed", type=float, default=0.0, help="real-clock speed factor for wait()/CPU cases")
    p.add_argument(
        "--flytekit-skip",
        type=float,
        default=60.0,
        help="skip a flytekit run predicted to take longer than this many seconds (the estimate is reported)",
    )
    p.add_argument(
        "--only",
        metavar="SECTIONS",
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    p.add_argument("--report", metavar="PATH", help="print the Markdown report of a saved --json file; run nothing")
    p.add_argument("--no-browser", action="store_true", help="leave out the Chromium rendering figures")
    p.add_argument("--no-wait", action="store_true", help="leave out the wait() figures")
    p.add_argument("--no-cpu", action="store_true", help="leave out the CPU share figures")
    p.add_argument(
        "--load-seconds",
        type=float,
        default=0.0,
        help="real seconds the load section watches (default 300, --quick 5)",
    )
    args = p.parse_args(argv)
    if args.reps < 0:
        p.error(f"--reps must be >= 1, got {args.reps}")
    for lat in args.latency or []:
        if lat < 0:
            p.error(f"--latency must be >= 0 ms, got {lat:g}")
    if args.only:
        bad = sorted(set(args.only.split(",")) - set(SECTIONS))
        if bad:
            p.error(f"--only: unknown section {bad[0]!r}; valid: {', '.join(SECTIONS)}")
    if args.load_seconds < 0:
        p.error(f"--load-seconds must be > 0, got {args.load_seconds:g}")
    if args.speed < 0:
        p.error(f"--speed must be > 0, got {args.speed:g}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.report:
        print(markdown(json.loads(Path(args.report).read_text())))
        return 0
    plan = make_plan(args)
    if args.only:
        plan.sections = frozenset(args.only.split(","))
    results = run(plan, args.json)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print(markdown(results))
    return 0
