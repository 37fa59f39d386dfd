"""The Markdown report: machine, one table per measurement, and the targets (met or missed, by how much)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Fig = dict[str, Any] | None


def _num(x: float, unit: str) -> str:
    if unit == "s":
        if x >= 100:
            return f"{x:.0f} s"
        if x >= 1:
            return f"{x:.2f} s"
        return f"{x * 1000:.1f} ms" if x >= 0.001 else f"{x * 1e6:.0f} µs"
    if unit == "x":
        return f"{x:.0f}x" if x >= 10 else f"{x:.1f}x"
    if unit == "B":
        return f"{x / 1024:.1f} KiB" if x >= 10 * 1024 else f"{x:.0f} B"
    if unit == "%":
        return f"{x * 100:.1f}%"
    return f"{x:.0f}" if abs(x) >= 10 or x == int(x) else f"{x:.1f}"


def fig(f: Fig, unit: str = "") -> str:
    """``median (min-max)``; ``~median (estimate)``; ``-`` when absent."""
    if not f:
        return "-"
    if f.get("estimate"):
        return f"~{_num(f['median'], unit)} (estimate)"
    med = _num(f["median"], unit)
    if f.get("n", 1) <= 1 or f["min"] == f["max"]:
        return med
    return f"{med} ({_num(f['min'], unit)}-{_num(f['max'], unit)})"


def _table(head: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _of(results: list[dict[str, Any]], case: str) -> list[dict[str, Any]]:
    return [r for r in results if r.get("case") == case]


def _fk_cell(fk: dict[str, Any], key: str, unit: str) -> str:
    if fk.get("error") and not fk.get(key):
        return "failed: " + str(fk["error"]).split(":")[0]
    cell = fig(fk.get(key), unit)
    if fk.get("error"):
        cell += " (then failed)"
    return cell


def _vs_limit(median: float | None, limit: float) -> str:
    if median is None or limit <= 0:
        return "-"
    return f"{median / limit:.0f}x" if median / limit >= 10 else f"{median / limit:.1f}x"


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    res: list[dict[str, Any]] = doc["results"]
    out: list[str] = ["# flyteexec-widget benchmarks", ""]
    v = m.get("versions", {})
    out.append(
        f"Code: {m.get('code', '?')}. Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; "
        f"flytekit {v.get('flytekit')}, "
        f"grpcio {v.get('grpcio')}, protobuf {v.get('protobuf')}. Load average at start "
        f"{', '.join(f'{x:.1f}' for x in m.get('loadavg_start', []))}, at end "
        f"{', '.join(f'{x:.1f}' for x in m.get('loadavg_end', []))}. Sandbox in a child process; added latency "
        f"applied by: {doc.get('latency_mode', '?')}. Figures: median (min-max) over n runs; ratios are "
        f"flytekit / ours, pair by pair. Total time {doc.get('elapsed_s', 0):.0f} s."
    )
    out.append("")

    cold = _of(res, "cold_sync")
    if cold:
        out += ["## Cold full-tree sync (fresh client, finished execution)", ""]
        rows = []
        for r in cold:
            ours, eager, fk = r["ours"], r["ours_eager"], r["flytekit"]
            med = (ours.get("wall_s") or {}).get("median")
            rows.append(
                [
                    r["scenario"],
                    str(r["nodes"]),
                    str(r["depth"]),
                    f"{r['latency_ms']:g} ms",
                    fig(ours.get("wall_s"), "s"),
                    fig(ours.get("rpcs")),
                    fig(eager.get("wall_s"), "s"),
                    fig(eager.get("rpcs")),
                    _fk_cell(fk, "wall_s", "s"),
                    _fk_cell(fk, "rpcs", ""),
                    fig(r.get("speedup"), "x"),
                    fig(r.get("speedup_eager"), "x"),
                    _num(r["limit_s"], "s") if r["limit_s"] else "0",
                    _vs_limit(med, r["limit_s"]),
                ]
            )
        out += _table(
            [
                "tree",
                "nodes",
                "depth",
                "latency",
                "ours",
                "ours RPCs",
                "ours + all data",
                "RPCs",
                "flytekit",
                "flytekit RPCs",
                "speedup",
                "speedup vs ours + data",
                "limit (depth x latency)",
                "ours / limit",
            ],
            rows,
        )
        skipped = [r for r in cold if r["flytekit"].get("skipped")]
        for r in skipped:
            out.append(f"\nflytekit {r['scenario']} @ {r['latency_ms']:g} ms not run: {r['flytekit']['skipped']}.")
        out.append("")

    fp = _of(res, "first_paint")
    if fp:
        out += ["## First paint (watch() to every node row in the model; finished execution, fresh client)", ""]
        rows = []
        for r in fp:
            paint = (r.get("first_paint_s") or {}).get("median")
            target = 3 * r["limit_s"] + (r.get("parse_s") or 0.0)
            rows.append(
                [
                    r["scenario"],
                    str(r["nodes"]),
                    str(r["depth"]),
                    f"{r['latency_ms']:g} ms",
                    fig(r.get("first_paint_s"), "s"),
                    _num(r["limit_s"], "s") if r["limit_s"] else "0",
                    _num(r["parse_s"], "s") if r.get("parse_s") else "-",
                    "-" if paint is None else f"{paint / target:.2f}",
                    fig(r.get("complete_s"), "s"),
                    fig(r.get("complete_rpcs")),
                    fig(r.get("cold_sync_s"), "s"),
                    fig(r.get("cold_sync_rows_s"), "s"),
                    _fk_cell(r["flytekit"], "wall_s", "s"),
                    fig(r.get("complete_over_paint"), "x"),
                    fig(r.get("cold_over_paint"), "x"),
                    fig(r.get("flytekit_over_paint"), "x"),
                    fig(r.get("complete_over_cold_rows"), "x") + (f" (error: {r['error']})" if r.get("error") else ""),
                ]
            )
        out += _table(
            [
                "tree",
                "nodes",
                "depth",
                "latency",
                "first paint",
                "limit (depth x latency)",
                "parse (first paint at 0 ms)",
                "first paint / (3 x limit + parse)",
                "complete (same watch)",
                "its RPCs",
                "cold sync (ours)",
                "cold sync + rows once",
                "flytekit cold sync",
                "complete / paint",
                "cold sync / paint",
                "flytekit / paint",
                "complete / (cold sync + rows once)",
            ],
            rows,
        )
        out.append("")

    ref = _of(res, "refresh")
    if ref:
        out += ["## Steady-state refresh (frozen mid-run, stepped clock)", ""]
        rows = []
        for r in ref:
            ours, fk = r["ours"], r["flytekit"]
            med = (ours.get("wall_s") or {}).get("median")
            rows.append(
                [
                    r["scenario"],
                    str(r["nodes"]),
                    fig(ours.get("changed")),
                    f"{r['latency_ms']:g} ms",
                    fig(ours.get("wall_s"), "s"),
                    fig(ours.get("sync_s"), "s"),
                    fig(ours.get("rpcs")),
                    _fk_cell(fk, "wall_s", "s"),
                    _fk_cell(fk, "rpcs", ""),
                    fig(r.get("speedup"), "x"),
                    _num(r["limit_s"], "s") if r["limit_s"] else "0",
                    _vs_limit(med, r["limit_s"]),
                    fig(ours.get("bytes"), "B"),
                    fig(r.get("bytes_per_changed_row"), "B"),
                ]
            )
        out += _table(
            [
                "tree",
                "nodes",
                "changed / refresh",
                "latency",
                "ours (sync + model)",
                "ours sync only",
                "ours RPCs",
                "flytekit",
                "flytekit RPCs",
                "speedup",
                "limit",
                "ours / limit",
                "widget bytes / refresh",
                "bytes / changed row",
            ],
            rows,
        )
        step = ref[0].get("step_s")
        out.append(f"\nEach refresh follows {step} s of sandbox time.")
        for r in ref:
            if r["flytekit"].get("skipped"):
                out.append(f"flytekit {r['scenario']} @ {r['latency_ms']:g} ms not run: {r['flytekit']['skipped']}.")
        out.append("")

    waits = _of(res, "wait")
    if waits:
        plan = doc.get("plan", {})
        out += [
            f"## wait() from launch to the end (real clock x{plan.get('speed')}; flytekit poll_interval="
            f"{plan.get('flytekit_poll_s')} s, ours adaptive)",
            "",
        ]
        rows = []
        for r in waits:
            if r.get("skipped"):
                rows.append(
                    [r["scenario"], f"{r['latency_ms']:g} ms", r["client"], "-", "-", "not run: " + r["skipped"]]
                )
                continue
            delay = r.get("detection_delay_s")
            rows.append(
                [
                    r["scenario"],
                    f"{r['latency_ms']:g} ms",
                    r["client"],
                    str(r["rpcs"]),
                    _num(r["wall_s"], "s"),
                    ("-" if delay is None else _num(delay, "s"))
                    + (f" (error: {r['error']})" if r.get("error") else ""),
                ]
            )
        out += _table(["tree", "latency", "client", "RPCs", "wait() wall", "detection delay"], rows)
        out.append("")

    mem = _of(res, "memory")
    cpu = _of(res, "cpu")
    if mem or cpu:
        out += ["## Memory and CPU", ""]
        rows = []
        for r in mem:
            if r.get("error"):
                rows.append([f"memory per node ({r['client']})", "failed: " + r["error"]])
            else:
                note = f"; {r['note']}" if r.get("note") else ""
                rows.append(
                    [
                        f"Python memory per node, {r['client']} ({r.get('scenario')}, {r['nodes']} nodes, tracemalloc)",
                        f"{_num(r['bytes_per_node'], 'B')} held (peak {_num(r['peak_bytes_per_node'], 'B')}){note}",
                    ]
                )
        for r in cpu:
            rows.append(
                [
                    f"kernel CPU share while watching, {r['client']} ({r['scenario']}, real clock)",
                    f"{_num(r['cpu_share'], '%')} ({r['cpu_s']:.2f} s CPU over {r['period_s']:.1f} s; "
                    f"{r['rpcs_per_s']:.1f} RPC/s"
                    + (f"; {r['syncs']} syncs, after a {r['first_sync_s']:.1f} s cold sync" if "syncs" in r else "")
                    + ")",
                ]
            )
        out += _table(["figure", "value"], rows)
        out.append("")

    loads = _of(res, "load")
    boards = _of(res, "load_board")
    if loads or boards:
        out += ["## Load on FlyteAdmin per watcher (real clock; flytekit: FlyteRemote.wait() with its defaults)", ""]
        rows = []
        for r in loads:
            o, f, first = r["ours"], r["flytekit"], r["ours_first_sync"]
            ratio = f["rpcs_per_s"] / o["rpcs_per_s"] if o["rpcs_per_s"] else float("inf")
            rows.append(
                [
                    r["scenario"],
                    f"{r['latency_ms']:g} ms",
                    f"{r['seconds']:.0f} s",
                    f"{o['rpcs_per_s']:.2f} RPC/s, {_num(o['bytes_per_s'], 'B')}/s ({o['syncs']} syncs)",
                    f"{first['rpcs']} RPCs, {_num(first['bytes'], 'B')}",
                    (f"failed: {f['error']}" if f.get("error") and not f["rpcs"] else "")
                    + f"{f['rpcs_per_s']:.2f} RPC/s, {_num(f['bytes_per_s'], 'B')}/s",
                    _num(ratio, "x"),
                ]
            )
        for r in boards:  # one watcher with its own figure: no flytekit counterpart
            if r.get("error"):
                rows.append([r["scenario"], "", "", "failed: " + r["error"], "", "", ""])
                continue
            first = r["first_refresh"]
            rows.append(
                [
                    r["scenario"],
                    f"{r['latency_ms']:g} ms",
                    f"{r['seconds']:.0f} s",
                    f"{r['rpcs_per_s']:.2f} RPC/s, {_num(r['bytes_per_s'], 'B')}/s ({r['refreshes']} refreshes of "
                    f"{r['rpcs_per_refresh']} calls)",
                    f"{first['rpcs']} RPCs, {_num(first['bytes'], 'B')}",
                    "",
                    "",
                ]
            )
        out += _table(
            [
                "execution",
                "latency",
                "watched",
                "ours",
                "ours' first sync (not in the rate)",
                "flytekit wait()",
                "RPC ratio",
            ],
            rows,
        )
        out.append("")

    br = _of(res, "browser")
    if br:
        out += ["## Rendering in headless Chromium (widget.js in a plain page, real kernel messages)", ""]
        rows = []
        for r in br:
            if r.get("error"):
                rows.append([r.get("tree", "?"), "failed: " + r["error"], "", "", "", ""])
                continue
            rows.append(
                [
                    r["tree"],
                    f"{r['rows']} ({r['rows_in_dom']} in DOM)",
                    fig(r["first_render_s"], "s"),
                    _num(r["snapshot_bytes"], "B"),
                    f"{r['patch_rows']} rows: {fig(r['patch_s'], 's')}",
                    f"{_num(r['patch_bytes'], 'B')} ({r['patch_bytes_per_row']:.0f} B/row)",
                ]
            )
        out += _table(["tree", "rows", "first render (to next frame)", "snapshot size", "patch", "patch size"], rows)
        out.append("")

    tl = _of(res, "timeline")
    if tl:
        out += ["## Timeline view in headless Chromium (toggle to the next frame, then a live patch)", ""]
        rows = []
        for r in tl:
            if r.get("error"):
                rows.append([r.get("tree", "?"), "failed: " + r["error"], "", ""])
                continue
            rows.append(
                [
                    r["tree"],
                    f"{r['rows']} ({r['retried_rows']} retried; {r['rows_in_dom']} in DOM)",
                    f"{fig(r['first_render_s'], 's')} (target < 1 s)",
                    f"{r['patch_rows']} rows: {fig(r['patch_s'], 's')} (target < 50 ms)",
                ]
            )
        out += _table(["tree", "rows", "first render", "patch"], rows)
        out.append("")

    gr = _of(res, "graph")
    if gr:
        out += ["## Graph view in headless Chromium (compiled workflow, real kernel messages)", ""]
        rows = []
        for r in gr:
            if r.get("error"):
                rows.append([r.get("graph", "?"), "failed: " + r["error"], "", ""])
                continue
            rows.append(
                [
                    r["graph"],
                    f"{r['nodes']} nodes, {r['edges']} edges ({_num(r['graph_bytes'], 'B')})",
                    fig(r["first_render_s"], "s"),
                    f"{r['patch_rows']} rows: {fig(r['patch_s'], 's')}",
                ]
            )
        out += _table(["graph", "size", "first render (click to next frame)", "patch while shown"], rows)
        out.append("")

    for r in _of(res, "board"):
        out += ["## Board (a sweep: one ListExecutions per refresh, one node listing per running execution)", ""]
        if r.get("error"):
            out += [f"failed: {r['error']}", ""]
            continue
        render = r.get("render") or {}
        by_method = ", ".join(f"{k} {v}" for k, v in r["refresh_rpcs_by_method"].items())
        out += _table(
            ["executions (running)", "latency", "steady refresh", "RPCs", "first refresh", "first render"],
            [
                [
                    f"{r['executions']} ({r['running']})",
                    f"{r['latency_ms']:g} ms",
                    fig(r["refresh_s"], "s"),
                    f"{fig(r['refresh_rpcs'])} ({by_method})",
                    f"{_num(r['first_refresh_s'], 's')}, {sum(r['first_refresh_rpcs'].values())} RPCs",
                    (
                        f"{_num(render['cold_render_call_s'], 's')} ({_num(render['cold_first_render_s'], 's')} "
                        f"from page load); again {fig(render['warm_render_s'], 's')}"
                    )
                    if render
                    else "-",
                ]
            ],
        )
        out.append("")

    out += ["## Targets", ""] + [f"- {line}" for line in targets(res)]
    from .readme import readme_table  # it reads this module's helpers

    out += ["", "## For the README's Performance section", "", readme_table(doc)]
    return "\n".join(out) + "\n"


def _find(
    res: list[dict[str, Any]], case: str, scenario_prefix: str, latency: float | None = None
) -> dict[str, Any] | None:
    for r in res:
        named = str(r.get("scenario", r.get("tree", ""))).startswith(scenario_prefix)
        if r.get("case") == case and named and (latency is None or r.get("latency_ms") == latency):
            return r
    return None


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def targets(res: list[dict[str, Any]]) -> list[str]:
    """Each target of the issue with the measured figure, met or missed and by how much."""
    lines: list[str] = []
    r = _find(res, "refresh", "rolling-1000 ", 5.0)
    if r:
        sp = (r.get("speedup") or {}).get("median")
        rp = (r["ours"].get("rpcs") or {}).get("median")
        fk_est = (r["flytekit"].get("wall_s") or {}).get("median")
        ours_med = (r["ours"].get("wall_s") or {}).get("median")
        if sp is None and fk_est and ours_med:
            sp = fk_est / ours_med
        if sp is not None and rp is not None:
            lines.append(
                f"Steady refresh, 1,000 nodes, 10 active, 5 ms: {sp:.0f}x faster than flytekit (target >= 100x: "
                f"{_verdict(sp >= 100)}), {rp:.0f} RPCs (target <= ~20: {_verdict(rp <= 20)})."
            )
    r = _find(res, "cold_sync", "wide-1000", 5.0)
    if r:
        sp = (r.get("speedup") or {}).get("median")
        med = (r["ours"].get("wall_s") or {}).get("median")
        lim = r["limit_s"]
        if sp is not None and med is not None:
            lines.append(
                f"Cold sync, 1,000 nodes, 5 ms: {sp:.1f}x faster than flytekit (target >= 20x: {_verdict(sp >= 20)}); "
                f"{_num(med, 's')} = {med / lim:.0f}x the depth x latency limit of {_num(lim, 's')} (every attempt "
                "listed; the 3x target is the first paint's, below)."
            )
    r = _find(res, "first_paint", "wide-1000", 5.0)
    if r and (r.get("first_paint_s") or {}).get("median") is not None:
        med = r["first_paint_s"]["median"]
        lim, parse = r["limit_s"], r.get("parse_s") or 0.0
        lines.append(
            f"First paint, 1,000 nodes, 5 ms: {_num(med, 's')} (target <= 3 x {_num(lim, 's')} + parse "
            f"{_num(parse, 's')} = {_num(3 * lim + parse, 's')}: {_verdict(med <= 3 * lim + parse)}; target < 50 ms: "
            f"{_verdict(med < 0.05)})."
        )
    r = _find(res, "first_paint", "wide-10000", 0.0)
    if r and (r.get("first_paint_s") or {}).get("median") is not None:
        med = r["first_paint_s"]["median"]
        lines.append(f"First paint, 10,000 nodes, 0 ms: {_num(med, 's')} (target < 1 s: {_verdict(med < 1)}).")
    for r in _of(res, "first_paint"):
        c = (r.get("complete_over_cold_rows") or {}).get("median")
        if c is not None and r["nodes"] >= 1000:
            lines.append(
                f"Complete tree through the watch, {r['scenario']} @ {r['latency_ms']:g} ms: {c:.2f}x a cold sync "
                f"with its rows built once, what a watch took before (target: at least as fast, <= 1: "
                f"{_verdict(c <= 1.0)})."
            )
    b = _find(res, "browser", "wide-10000")
    if b and not b.get("error"):
        fr = b["first_render_s"]["median"]
        pa = b["patch_s"]["median"]
        lines.append(f"10,000 rows: first render {_num(fr, 's')} (target < 1 s: {_verdict(fr < 1)}).")
        lines.append(f"100-row patch on 10,000 rows: {_num(pa, 's')} (target < 50 ms: {_verdict(pa < 0.05)}).")
        lines.append(
            f"Bytes per changed row (100-row patch): {b['patch_bytes_per_row']:.0f} B "
            f"(target < 300 B: {_verdict(b['patch_bytes_per_row'] < 300)})."
        )
    elif not _of(res, "browser"):
        lines.append("Browser figures: not measured in this run.")
    g = next((x for x in _of(res, "graph") if not x.get("error") and x.get("nodes", 0) >= 200), None)
    if g:
        fr = g["first_render_s"]["median"]
        lines.append(
            f"Graph view, {g['nodes']} nodes: first render {_num(fr, 's')} (target < 1 s: {_verdict(fr < 1)})."
        )
    r = _find(res, "refresh", "rolling-1000 ", 5.0)
    if r and r.get("bytes_per_changed_row"):
        bpr = r["bytes_per_changed_row"]["median"]
        lines.append(
            f"Bytes per changed row in real refresh patches (rolling-1000): {bpr:.0f} B (target < 300 B: "
            f"{_verdict(bpr < 300)})."
        )
    for mrow in _of(res, "memory"):
        if mrow["client"] == "ours" and not mrow.get("error"):
            bpn = mrow["bytes_per_node"]
            lines.append(
                f"Python memory per node ({mrow['nodes']} nodes): {_num(bpn, 'B')} "
                f"(target <= 5 KB: {_verdict(bpn <= 5 * 1024)})."
            )
    for r in _of(res, "cpu"):
        if r["client"] == "ours" and str(r["scenario"]).startswith("wide-10000"):
            share = r["cpu_share"]
            lines.append(
                f"Kernel CPU share watching {r['scenario']}: {_num(share, '%')} "
                f"(target < 5%: {_verdict(share < 0.05)})."
            )
    for r in _of(res, "load"):
        rate = r["ours"]["rpcs_per_s"]
        lines.append(
            f"Load per watcher ({r['scenario']}, {r['seconds']:.0f} s): {rate:.2f} RPC/s, "
            f"{_num(r['ours']['bytes_per_s'], 'B')}/s received (target <= 1 RPC/s: {_verdict(rate <= 1)}); "
            f"flytekit wait(): {r['flytekit']['rpcs_per_s']:.1f} RPC/s."
        )
    for r in _of(res, "load_board"):
        if not r.get("error"):
            lines.append(
                f"Load of one board ({r['scenario']}, {r['seconds']:.0f} s): {r['rpcs_per_s']:.2f} RPC/s, "
                f"{_num(r['bytes_per_s'], 'B')}/s received."
            )
    for b in _of(res, "board"):
        if b.get("error") or b["executions"] < 100:
            continue
        rpcs, wall = b["refresh_rpcs"]["median"], b["refresh_s"]["median"]
        lines.append(
            f"Board refresh ({b['executions']} executions, {b['running']} running, {b['latency_ms']:g} ms): "
            f"{rpcs:g} RPCs "
            f"(target <= 25: {_verdict(rpcs <= 25)}), {_num(wall, 's')} (target < 100 ms: {_verdict(wall < 0.1)})."
        )
        render = b.get("render")
        if render:
            first = render["cold_render_call_s"]
            lines.append(f"Board first render: {_num(first, 's')} (target < 1 s: {_verdict(first < 1.0)}).")
    return lines or ["(no target figure in this run)"]
