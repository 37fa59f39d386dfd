"""The board without a live view (display/board_render.py): the text table and the static/saved HTML table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flyteexec_widget.display.board_render import board_html, board_text
from flyteexec_widget.live.board import cell

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.timezone.utc)
HEADER = {"source": "p/d, launch plan sweep", "columns": ["learning_rate"], "metric": "accuracy"}


def _row(name: str, phase: str = "SUCCEEDED", **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "key": f"p:d:{name}",
        "name": name,
        "url": f"https://console.example/{name}",
        "phase": phase,
        "label": phase.title(),
        "color": phase.lower(),
        "terminal": phase != "RUNNING",
        "started_at": "2026-12-05T11:59:00Z",
        "duration_s": 12.0,
        "progress": None,
        "error": None,
        "inputs": {"learning_rate": cell(0.01)},
        "metric": cell(0.88),
        "launch_plan": "sweep",
        "lp_version": "v1",
        "workflow": "sweep",
    }
    row.update(extra)
    return row


def test_the_text_table_has_the_live_boards_columns() -> None:
    rows = [
        _row("a1"),
        _row("b2", "RUNNING", metric=None, progress={"done": 1, "total": 3, "running": 1, "failed": 0}),
        _row(
            "c3",
            "FAILED",
            metric=None,
            error={"kind": "USER", "code": "E", "message": "Traceback (most recent call last):\n  x\nValueError: bad"},
        ),
    ]
    text = board_text(rows, HEADER, now=NOW)
    lines = text.splitlines()
    assert lines[0] == "Board: p/d, launch plan sweep · 3 executions"
    assert lines[1].split() == [
        "Execution",
        "Status",
        "learning_rate",
        "accuracy",
        "Progress",
        "Duration",
        "Launch",
        "plan",
        "Error",
    ]
    assert lines[2].split()[:4] == ["a1", "Succeeded", "0.01", "0.88"]
    assert "1 of 3 nodes" in lines[3]
    assert "1m 00s" in lines[3]  # a running one: the time since it started
    assert lines[4].endswith("ValueError: bad")


def test_the_html_escapes_server_text_and_keeps_only_http_links() -> None:
    evil = _row("x<script>alert(1)</script>", url="javascript:alert(1)", inputs={"learning_rate": cell("<img src=x>")})
    html = board_html([evil, _row("ok")], HEADER, now=NOW)
    assert "<script>alert" not in html
    assert "<img src=x>" not in html
    assert "javascript:" not in html
    assert 'href="https://console.example/ok"' in html
    assert 'class="fxw fxb-static fxb-saved"' not in html


def test_the_saved_snapshot_says_so_and_hides_behind_the_live_board() -> None:
    html = board_html([_row("a")], HEADER, saved=True, now=NOW)
    assert "Saved snapshot" in html
    assert "2026-12-05 12:00:00 UTC" in html
    assert ":has(+ .jp-OutputArea-child .fxb){display:none}" in html
    assert board_text([], HEADER).endswith("(no executions match yet)")
