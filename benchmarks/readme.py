"""The README's Performance table from one run: the run named (date, commit, sections, machine, load), then one
row per headline figure in the README's columns, ready to paste.

Each row comes from a small function over the run's results that returns ``None`` when the run lacks its figure,
so a partial run (``--only``) gives the rows it has. A new section adds its rows by appending a function to
:data:`ROWS`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from .report import _find, _num, _of

Row = list[str]  # figure, ours, flytekit, ratio, target
Results = list[dict[str, Any]]

HEAD = ["figure (5 ms latency unless said)", "ours", "flytekit", "ratio", "target"]


def _med(fig: dict[str, Any] | None) -> float | None:
    return None if not fig else float(fig["median"])


def _count(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _ratio(x: float | None) -> str:
    return "" if x is None else _num(x, "x")


def _met(ok: bool) -> str:
    return "met" if ok else "missed"


def _fk(fk: dict[str, Any]) -> str:
    """flytekit's wall time and RPCs, an estimate or its failure."""
    wall = fk.get("wall_s")
    if fk.get("skipped"):
        return f"~{_num(_med(wall) or 0, 's')} (estimate)" if wall else "not run"
    if fk.get("error") and not wall:
        return "failed: " + str(fk["error"]).split(":")[0]
    rpcs = _med(fk.get("rpcs"))
    return f"{_num(_med(wall) or 0, 's')}" + (f", {_count(rpcs)} RPCs" if rpcs is not None else "")


def _refresh(res: Results, prefix: str, latency: float, label: str, target: bool) -> Row | None:
    r = _find(res, "refresh", prefix, latency)
    if r is None:
        return None
    ours, sp = r["ours"], _med(r.get("speedup"))
    rpcs = _med(ours.get("rpcs"))
    goal = ""
    if target and sp is not None and rpcs is not None:
        goal = f">= 100x, <= ~20 RPCs: {_met(sp >= 100 and rpcs <= 20)}"
    return [
        label,
        f"{_num(_med(ours.get('wall_s')) or 0, 's')}, {_count(rpcs)} RPCs",
        _fk(r["flytekit"]),
        _ratio(sp),
        goal,
    ]


def _cold(res: Results, prefix: str, latency: float, label: str, target: bool) -> Row | None:
    r = _find(res, "cold_sync", prefix, latency)
    if r is None:
        return None
    sp = _med(r.get("speedup"))
    ours = f"{_num(_med(r['ours'].get('wall_s')) or 0, 's')}, {_count(_med(r['ours'].get('rpcs')))} RPCs"
    goal = f">= 20x: {_met(sp >= 20)}" if target and sp is not None else ""
    return [label, ours, _fk(r["flytekit"]), _ratio(sp), goal]


def _cold_limit(res: Results) -> Row | None:
    """How far a cold sync (every finished node's attempts listed: one call per node) is from depth x latency.
    Shown for reference: issue 15 moved the ``<= 3x`` target to the first paint, which needs no attempt."""
    r = _find(res, "cold_sync", "wide-1000", 5.0)
    med = None if r is None else _med(r["ours"].get("wall_s"))
    if r is None or med is None or not r["limit_s"]:
        return None
    times = med / r["limit_s"]
    return [
        "cold full sync, 1,000 nodes, vs depth x latency (5 ms)",
        f"{_ratio(times)} the limit",
        "",
        "",
        "reference (the 3x target is the first paint's)",
    ]


def _eager(res: Results) -> Row | None:
    r = _find(res, "cold_sync", "wide-1000", 5.0)
    if r is None or not r["ours_eager"].get("wall_s"):
        return None
    e = r["ours_eager"]
    return [
        "cold sync + every input/output fetched, 1,000 nodes",
        f"{_num(_med(e['wall_s']) or 0, 's')}, {_count(_med(e.get('rpcs')))} RPCs",
        "(flytekit always fetches)",
        _ratio(_med(r.get("speedup_eager"))),
        "",
    ]


def _memory(res: Results) -> Row | None:
    ours = next((m for m in _of(res, "memory") if m["client"] == "ours" and not m.get("error")), None)
    if ours is None:
        return None
    fk = next((m for m in _of(res, "memory") if m["client"] == "flytekit" and not m.get("error")), None)
    fk_cell = f"{_num(fk['bytes_per_node'] / 1000, '')} KB ({fk['nodes']:,} nodes)" if fk else ""
    kb = ours["bytes_per_node"] / 1000
    return [
        f"Python memory per node, {ours['nodes']:,} nodes (tracemalloc)",
        f"{kb:.1f} KB",
        fk_cell,
        "",
        f"<= 5 KB: {_met(ours['bytes_per_node'] <= 5 * 1024)}",
    ]


def _browser(res: Results) -> list[Row]:
    b = _find(res, "browser", "wide-10000")
    if b is None or b.get("error"):
        return []
    first, patch = b["first_render_s"]["median"], b["patch_s"]["median"]
    return [
        [
            f"first render, {b['rows']:,} rows (headless Chromium)",
            _num(first, "s"),
            "",
            "",
            f"< 1 s: {_met(first < 1)}",
        ],
        [
            f"patch of {b['patch_rows']} rows on {b['rows']:,}",
            _num(patch, "s"),
            "",
            "",
            f"< 50 ms: {_met(patch < 0.05)}",
        ],
    ]


def _bytes(res: Results) -> Row | None:
    r = _find(res, "refresh", "rolling-1000 ", 5.0)
    bpr = None if r is None else _med(r.get("bytes_per_changed_row"))
    if bpr is None:
        return None
    return [
        "widget bytes per changed row, real refresh (rolling-1000)",
        f"{bpr:.0f} B",
        "",
        "",
        f"< 300 B: {_met(bpr < 300)}",
    ]


def _wait(res: Results) -> list[Row]:
    out: list[Row] = []
    for r in _of(res, "wait"):
        if r["client"] != "ours" or r.get("error"):
            continue
        fk = next(
            (
                f
                for f in _of(res, "wait")
                if f["client"] == "flytekit" and f["scenario"] == r["scenario"] and f["latency_ms"] == r["latency_ms"]
            ),
            None,
        )
        delay = r.get("detection_delay_s")
        ours = f"{r['rpcs']:,} RPCs, {_num(delay, 's')} delay" if delay is not None else f"{r['rpcs']:,} RPCs"
        if fk is None or fk.get("skipped") or fk.get("error"):
            fk_cell = "not run" if fk is None or fk.get("skipped") else "failed"
            ratio = ""
        else:
            fd = fk.get("detection_delay_s")
            fk_cell = f"{fk['rpcs']:,} RPCs" + (f", {_num(fd, 's')} delay" if fd is not None else "")
            ratio = _ratio(fk["rpcs"] / r["rpcs"]) if r["rpcs"] else ""
        out.append([f"wait() launch to end, {r['scenario']} ({r['latency_ms']:g} ms)", ours, fk_cell, ratio, ""])
    return out


def _cpu(res: Results) -> list[Row]:
    out: list[Row] = []
    for r in _of(res, "cpu"):
        if r["client"] != "ours":
            continue
        fk = next((f for f in _of(res, "cpu") if f["client"] == "flytekit" and f["scenario"] == r["scenario"]), None)
        goal = f"< 5%: {_met(r['cpu_share'] < 0.05)}" if str(r["scenario"]).startswith("wide-10000") else ""
        out.append(
            [
                f"kernel CPU share while watching, {r['scenario']} (0 ms)",
                _num(r["cpu_share"], "%"),
                _num(fk["cpu_share"], "%") + " (1 s sync loop)" if fk else "",
                "",
                goal,
            ]
        )
    return out


def _load(res: Results) -> list[Row]:
    out: list[Row] = []
    for r in _of(res, "load"):
        o, f = r["ours"], r["flytekit"]
        ratio = f["rpcs_per_s"] / o["rpcs_per_s"] if o["rpcs_per_s"] else None
        out.append(
            [
                f"load on FlyteAdmin per watcher, {r['scenario']}, {r['seconds'] / 60:.0f} min",
                f"{o['rpcs_per_s']:.2f} RPC/s, {_num(o['bytes_per_s'] / 1000, '')} KB/s",
                f"{f['rpcs_per_s']:.1f} RPC/s, {_num(f['bytes_per_s'] / 1000, '')} KB/s (wait(), 30 s poll)",
                _ratio(ratio),
                f"<= 1 RPC/s: {_met(o['rpcs_per_s'] <= 1)}",
            ]
        )
    for r in _of(res, "load_board"):
        if r.get("error"):
            continue
        out.append(
            [
                f"load on FlyteAdmin of one board, {r['scenario']}, {r['seconds'] / 60:.0f} min",
                f"{r['rpcs_per_s']:.2f} RPC/s, {_num(r['bytes_per_s'] / 1000, '')} KB/s",
                "",
                "",
                "one watcher, own figure",
            ]
        )
    return out


def _graph(res: Results) -> list[Row]:
    out: list[Row] = []
    for r in _of(res, "graph"):
        if r.get("error"):
            continue
        first = _med(r.get("first_render_s")) or 0.0
        out.append(
            [
                f"Graph view, {r['nodes']}-node compiled workflow: click to drawn (headless Chromium)",
                _num(first, "s"),
                "",
                "",
                f"< 1 s: {_met(first < 1)}",
            ]
        )
    return out


def _board(res: Results) -> list[Row]:
    out: list[Row] = []
    for b in _of(res, "board"):
        if b.get("error"):
            continue
        rpcs, wall = _med(b.get("refresh_rpcs")) or 0.0, _med(b.get("refresh_s")) or 0.0
        out.append(
            [
                f"board refresh, sweep of {b['executions']}, {b['running']} running ({b['latency_ms']:g} ms)",
                f"{_num(wall, 's')}, {rpcs:g} RPCs",
                "",
                "",
                f"<= 25 RPCs, < 100 ms: {_met(rpcs <= 25 and wall < 0.1)}",
            ]
        )
        render = b.get("render")
        if render:
            first = render["cold_render_call_s"]
            out.append(
                [
                    f"board first render, {b['executions']} rows (headless Chromium)",
                    _num(first, "s"),
                    "",
                    "",
                    f"< 1 s: {_met(first < 1)}",
                ]
            )
    return out


def _first_paint(res: Results) -> list[Row]:
    """First paint (1,000 nodes at 5 ms against both targets; 10,000 at 0 ms), and the complete tree through the
    same watch against a cold sync with its rows built once (what a watch took before rows came first)."""
    out: list[Row] = []
    for prefix, lat, label in (("wide-1000", 5.0, "1,000 nodes"), ("wide-10000", 0.0, "10,000 nodes (0 ms)")):
        r = _find(res, "first_paint", prefix, lat)
        paint = None if r is None else _med(r.get("first_paint_s"))
        if r is None or paint is None:
            continue
        fk_ratio = _med(r.get("flytekit_over_paint"))
        fk = f"{_num(paint * fk_ratio, 's')} (its cold sync)" if fk_ratio else ""
        if lat:
            bound = 3 * r["limit_s"] + r["parse_s"]
            ours = f"{_num(paint, 's')} ({paint / bound:.2f}x of 3 x depth x latency + parse)"
            goal = f"<= 3 x limit + parse ({_num(bound, 's')}): {_met(paint <= bound)}; < 50 ms: {_met(paint < 0.05)}"
        else:
            ours, goal = _num(paint, "s"), f"< 1 s: {_met(paint < 1)}"
        out.append([f"first paint (watch() to every row in the model), {label}", ours, fk, _ratio(fk_ratio), goal])
    ratios = []
    for prefix, lat, label in (("wide-1000", 5.0, ""), ("wide-1000", 0.0, "0 ms"), ("wide-10000", 0.0, "10,000 nodes")):
        r = _find(res, "first_paint", prefix, lat)
        x = None if r is None else _med(r.get("complete_over_cold_rows"))
        if r is not None and x is not None:
            ratios.append((label, x, _med(r.get("complete_s")) or 0.0))
    if ratios:
        (_, main_x, main_s), rest = ratios[0], ratios[1:]
        others = "; ".join(f"{label}: {x:.2f}x" for label, x, _ in rest)
        out.append(
            [
                "complete tree through the same watch, 1,000 nodes",
                f"{_num(main_s, 's')} ({main_x:.2f}x a cold sync with rows built once)",
                "",
                "",
                f"<= 1x (as fast as before): {_met(main_x <= 1)}" + (f" ({others})" if others else ""),
            ]
        )
    return out


def _timeline(res: Results) -> list[Row]:
    r = _find(res, "timeline", "wide-10000")
    if r is None or r.get("error"):
        return []
    first, patch = _med(r.get("first_render_s")) or 0.0, _med(r.get("patch_s")) or 0.0
    return [
        [
            f"Timeline shown, {r['rows']:,} rows, {r['retried_rows']:,} of them retried (toggle to next frame)",
            _num(first, "s"),
            "",
            "",
            f"< 1 s: {_met(first < 1)}",
        ],
        [
            f"patch of {r['patch_rows']} rows on {r['rows']:,} while the Timeline shows",
            _num(patch, "s"),
            "",
            "",
            f"< 50 ms: {_met(patch < 0.05)}",
        ],
    ]


def _one(fn: Callable[[Results], Row | None]) -> Callable[[Results], list[Row]]:
    return lambda res: [row] if (row := fn(res)) is not None else []


#: The table's rows in order; each function returns the rows it has figures for.
ROWS: list[Callable[[Results], list[Row]]] = [
    _one(lambda r: _refresh(r, "rolling-1000 ", 5.0, "steady refresh, 1,000 nodes, 10 running", True)),
    _one(lambda r: _refresh(r, "rolling-10000 ", 0.0, "steady refresh, 10,000 nodes, 100 running (0 ms)", False)),
    _first_paint,
    _one(lambda r: _cold(r, "wide-1000", 5.0, "cold full sync, 1,000 nodes", True)),
    _one(_cold_limit),
    _one(lambda r: _cold(r, "wide-10000", 0.0, "cold full sync, 10,000 nodes (0 ms)", False)),
    _one(_eager),
    _one(_memory),
    _browser,
    _timeline,
    _graph,
    _one(_bytes),
    _board,
    _wait,
    _cpu,
    _load,
]


def sections(res: Results) -> list[str]:
    names = {
        "cold_sync": "cold",
        "refresh": "refresh",
        "wait": "wait",
        "memory": "memory",
        "cpu": "cpu",
        "first_paint": "first paint",
        "browser": "browser",
        "load": "load",
        "load_board": "load",
    }
    seen: list[str] = []
    for r in res:
        name = names.get(str(r.get("case")), str(r.get("case")))
        if name not in seen:
            seen.append(name)
    return seen


def readme_table(doc: dict[str, Any]) -> str:
    """The README's Performance paragraph head and table for this run."""
    m, res = doc["machine"], doc["results"]
    when = doc.get("started_at") or _dt.datetime.now(_dt.timezone.utc).isoformat()
    date = str(when)[:10]
    load = m.get("loadavg_start") or []
    load_end = m.get("loadavg_end") or []
    minutes = doc.get("elapsed_s", 0) / 60
    head = (
        f"Run of {date} (commit {m.get('code', '?')}, sections {', '.join(sections(res))}; {minutes:.0f} min) on "
        f"{m.get('cpu')}, {m.get('cores')} cores, Python {m.get('python')}, flytekit "
        f"{m.get('versions', {}).get('flytekit')}; load average {load[0] if load else 0:.1f} at the start, "
        f"{load_end[0] if load_end else 0:.1f} at the end:"
    )
    rows = [row for fn in ROWS for row in fn(res)]
    lines = [head, "", "| " + " | ".join(HEAD) + " |", "|" + "|".join("---" for _ in HEAD) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"
