"""The benchmark suite cannot rot: a tiny run of it (both clients, one repetition) on every test run.

Asserts structure and RPC-count sanity only, never times.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("flytekit.remote")

from benchmarks.report import markdown
from benchmarks.run import parse_args, run, smoke_plan

pytestmark = pytest.mark.flytekit


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return run(smoke_plan())


def _of(results: dict[str, Any], case: str) -> list[dict[str, Any]]:
    return [r for r in results["results"] if r["case"] == case]


def test_reports_the_machine(results: dict[str, Any]) -> None:
    machine = results["machine"]
    assert machine["cores"] >= 1
    assert machine["python"].count(".") == 2
    assert machine["cpu"]


def test_cold_sync_counts_both_clients(results: dict[str, Any]) -> None:
    cold = _of(results, "cold_sync")
    assert {r["scenario"] for r in cold} == {"deep-2", "wide-20"}
    for r in cold:
        assert r["ours"]["rpcs"]["median"] > 0
        assert r["ours_eager"]["rpcs"]["median"] > r["ours"]["rpcs"]["median"], "reading the data costs RPCs"
        assert r["flytekit"]["rpcs"]["median"] > 0, r["flytekit"]
        # Both clients saw the same tree.
        assert r["flytekit"]["nodes"] == r["nodes"]
        assert r["speedup"]["n"] == 1
    wide = next(r for r in cold if r["scenario"] == "wide-20")
    assert wide["nodes"] == 20
    assert wide["depth"] == 1
    # flytekit reads data per node inside its sync: several RPCs per node.
    assert wide["flytekit"]["rpcs"]["median"] >= 3 * 20


def test_refresh_is_cheaper_in_rpcs_than_flytekit(results: dict[str, Any]) -> None:
    (r,) = _of(results, "refresh")
    assert r["ours"]["changed"]["median"] > 0, "the state moved between refreshes"
    assert 0 < r["ours"]["rpcs"]["median"] < r["flytekit"]["rpcs"]["median"]
    assert r["ours"]["bytes"]["median"] > 0, "the widget sent a patch"
    assert r["bytes_per_changed_row"]["median"] > 0


def test_wait_returns_after_the_end_for_both(results: dict[str, Any]) -> None:
    waits = _of(results, "wait")
    assert {w["client"] for w in waits} == {"ours", "flytekit"}
    for w in waits:
        assert "error" not in w, w
        assert w["rpcs"] > 0
        assert w["detection_delay_s"] is not None
        assert w["detection_delay_s"] >= 0


def test_memory_per_node_is_reported(results: dict[str, Any]) -> None:
    (m,) = _of(results, "memory")
    assert m["nodes"] == 20
    assert m["bytes_per_node"] > 0


def test_load_per_watcher_is_counted_per_client(results: dict[str, Any]) -> None:
    (load,) = [r for r in results["results"] if r["case"] == "load"]
    assert load["ours"]["rpcs"] > 0  # calls while watching, counted apart from flytekit's by user agent
    assert load["ours_first_sync"]["rpcs"] > 0
    assert load["ours"]["bytes"] > 0
    assert load["seconds"] >= 3.0


def test_a_board_counts_as_one_watcher_with_its_own_load(results: dict[str, Any]) -> None:
    (board,) = [r for r in results["results"] if r["case"] == "load_board"]
    assert "error" not in board, board.get("error")
    assert board["executions"] == 10  # the smoke plan's sweep, all listed by the board
    assert board["rpcs"] > 0  # its own client's calls, counted apart from the execution watch's
    assert board["bytes"] > 0
    assert board["first_refresh"]["rpcs"] > 0


def test_first_paint_is_measured_beside_both_cold_syncs(results: dict[str, Any]) -> None:
    (r,) = _of(results, "first_paint")
    assert r["scenario"] == "wide-20"
    assert r["nodes"] == 20
    assert r["first_paint_s"]["n"] == 1
    assert r["complete_rpcs"]["median"] >= 20, "the same watch went on to list every node's attempts"
    assert r["cold_sync_rpcs"]["median"] >= 20
    assert r["flytekit"]["wall_s"]["median"] > 0, "flytekit's cold sync of the same tree, from the cold section"
    assert r["flytekit_over_paint"]["median"] > 0
    assert "## First paint" in markdown(results)


def test_output_is_json_and_markdown(results: dict[str, Any]) -> None:
    json.loads(json.dumps(results, default=str))
    text = markdown(results)
    for heading in ("## Cold full-tree sync", "## Steady-state refresh", "## wait()", "## Targets", "## Load on"):
        assert heading in text
    assert "| figure (5 ms latency unless said) | ours | flytekit | ratio | target |" in text  # the README's table
    assert "| deep-2 |" in text


def test_command_line_rejects_bad_values() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--latency", "-1"])
    assert parse_args(["--quick", "--reps", "2"]).reps == 2


def test_the_board_section_counts_a_steady_refresh(results: dict[str, Any]) -> None:
    (b,) = _of(results, "board")
    assert b["executions"] == 10
    assert b["running"] == 2  # every fifth trial of the sweep trains for an hour
    # one ListExecutions, one node listing per running execution, nothing else once the data is read
    assert b["refresh_rpcs_by_method"] == {"ListExecutions": 1, "ListNodeExecutions": 2}
    assert b["first_refresh_rpcs"]["GetExecutionData"] == 10
    assert "## Board" in markdown(results)
