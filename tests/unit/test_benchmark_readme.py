"""The README's Performance table is pasted from ``benchmarks/readme.py``: its first-paint and timeline rows must
say met or missed from the run's own figures, and a run without those sections gives no such rows."""

from __future__ import annotations

from typing import Any

from benchmarks.readme import readme_table


def _fig(x: float) -> dict[str, float]:
    return {"median": x, "min": x, "max": x}


def _paint(scenario: str, latency_ms: float, paint_s: float, limit_s: float, parse_s: float) -> dict[str, Any]:
    return {
        "case": "first_paint",
        "scenario": scenario,
        "latency_ms": latency_ms,
        "limit_s": limit_s,
        "parse_s": parse_s,
        "first_paint_s": _fig(paint_s),
        "complete_s": _fig(0.7),
        "complete_over_cold_rows": _fig(0.95),
        "flytekit_over_paint": _fig(500.0),
    }


def _doc(results: list[dict[str, Any]]) -> dict[str, Any]:
    machine = {"code": "abc1234", "cpu": "cpu", "cores": 2, "python": "3.11", "versions": {"flytekit": "1.16"}}
    return {"machine": machine, "results": results, "elapsed_s": 60}


def _row(table: str, starts: str) -> str:
    return next(line for line in table.splitlines() if line.startswith("| " + starts))


def test_first_paint_rows_say_met_and_missed_from_the_figures() -> None:
    table = readme_table(
        _doc(
            [
                _paint("wide-1000", 5.0, 0.055, 0.005, 0.045),  # bound 60 ms: met; 55 ms is not < 50 ms
                _paint("wide-10000", 0.0, 0.49, 0.0, 0.49),
            ]
        )
    )
    one = _row(table, "first paint (watch() to every row in the model), 1,000 nodes")
    assert "55.0 ms" in one
    assert "<= 3 x limit + parse (60.0 ms): met; < 50 ms: missed" in one
    assert "27.50 s (its cold sync)" in one
    assert "500x" in one
    assert "< 1 s: met" in _row(table, "first paint (watch() to every row in the model), 10,000 nodes (0 ms)")
    assert "(0.95x a cold sync with rows built once)" in _row(table, "complete tree through the same watch")
    assert "first paint" in table.splitlines()[0]  # the run's sections name it


def test_a_run_without_first_paint_or_timeline_has_no_such_rows() -> None:
    table = readme_table(_doc([]))
    assert "first paint" not in table
    assert "Timeline" not in table


def test_timeline_rows_from_the_10000_row_tree() -> None:
    timeline = {
        "case": "timeline",
        "tree": "wide-10000",
        "rows": 10000,
        "retried_rows": 1000,
        "patch_rows": 100,
        "first_render_s": _fig(0.025),
        "patch_s": _fig(0.06),
    }
    table = readme_table(_doc([timeline]))
    assert "< 1 s: met" in _row(table, "Timeline shown, 10,000 rows, 1,000 of them retried")
    assert "< 50 ms: missed" in _row(table, "patch of 100 rows on 10,000 while the Timeline shows")
