"""The rows a watch publishes (first paint and complete tree, header and counts) for every sandbox scenario,
mid-run and finished, are exactly the rows recorded before the row build and the sync were tuned for speed
(``rows_golden.py`` records them; regenerate only for a deliberate change of a row field)."""

from __future__ import annotations

from typing import Any

import pytest

from flyteexec_widget.sandbox import Sandbox

from . import rows_golden

#: What a failure says besides the difference.
AGAIN = "(a row field or a scenario changed on purpose? record again: python -m tests.integration.rows_golden)"


@pytest.fixture(scope="module")
def snapshots() -> dict[str, Any]:
    with Sandbox(clock="stepped") as sandbox:
        return rows_golden.record(sandbox)


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    return rows_golden.load()


def test_every_recorded_snapshot_is_taken_again(snapshots: dict[str, Any], recorded: dict[str, Any]) -> None:
    assert sorted(snapshots) == sorted(recorded), AGAIN


@pytest.mark.parametrize("part", ["paint", "complete", "header", "counts"])
def test_the_rows_are_the_recorded_ones(snapshots: dict[str, Any], recorded: dict[str, Any], part: str) -> None:
    for name, snap in snapshots.items():
        want, got = recorded[name][part], snap[part]
        if part in ("paint", "complete") and want is not None and got is not None:
            keys = [r["key"] for r in got]
            assert keys == [r["key"] for r in want], f"{name} {part}: row keys or order differ {AGAIN}"
            for row, before in zip(got, want, strict=True):
                assert row == before, f"{name} {part} row {before['key']!r} differs {AGAIN}"
        assert got == want, f"{name} {part} differs {AGAIN}"
