"""render.py: the exact text tree, and an HTML snapshot in which server text can never become markup."""

from __future__ import annotations

import datetime as dt
import html.parser
from dataclasses import dataclass, field
from typing import Any

import pytest

from flyteexec_widget.display.render import (
    error_summary,
    fmt_duration,
    html_snapshot,
    ordered_rows,
    text_tree,
)
from flyteexec_widget.live.rows import empty_row
from flyteexec_widget.objects import phases

from ..hostile_text import UNSAFE, hostile

NOW = dt.datetime(2026, 11, 27, 10, 1, 5, tzinfo=dt.timezone.utc)


def row(key: str, parent: str = "", phase: str = "SUCCEEDED", **extra: Any) -> dict[str, Any]:
    """A finished task row by default; every field not named here is at its empty value."""
    st = phases.style("node", phases.NodePhase[phase])
    node_id = key.rsplit("/", 1)[-1]
    return {
        **empty_row(key, parent, key.count("/")),
        "node_id": node_id,
        "name": f"t_{node_id}",
        "phase": phase,
        "label": st.label,
        "color": st.color,
        "terminal": st.terminal,
        "duration_s": 12.0 if st.terminal else None,
        "attempts": 1,
        **extra,
    }


@dataclass
class State:
    rows: dict[str, dict[str, Any]]
    header: dict[str, Any] = field(
        default_factory=lambda: {
            "project": "flytesnacks",
            "domain": "development",
            "name": "abc123",
            "workflow": "wf.main",
            "phase": "RUNNING",
            "label": "Running",
            "color": "running",
            "terminal": False,
            "created_at": "2026-11-27T09:59:58Z",
            "started_at": "2026-11-27T10:00:00Z",
            "duration_s": None,
            "url": "https://console.example.com/console/projects/flytesnacks/domains/development/executions/abc123",
            "error": None,
        }
    )
    counts: dict[str, int] = field(default_factory=dict)
    sync_status: dict[str, Any] = field(
        default_factory=lambda: {"state": "live", "last_synced_at": "2026-11-27T10:01:01Z", "attempt": 0}
    )


def state(rows: list[dict[str, Any]], **kw: Any) -> State:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["phase"]] = counts.get(r["phase"], 0) + 1
    return State(rows={r["key"]: r for r in rows}, counts=counts, **kw)


def sample() -> State:
    return state(
        [
            row("n0", cache="hit", created_at="2026-11-27T10:00:01Z"),
            row(
                "n1",
                phase="RUNNING",
                kind="subworkflow",
                has_children=True,
                created_at="2026-11-27T10:00:02Z",
            ),
            # arrival order differs from creation order: siblings are sorted by created_at
            row(
                "n1/n1-0-n1",
                "n1",
                phase="FAILED",
                attempts=2,
                created_at="2026-11-27T10:00:09Z",
                error={
                    "kind": "USER",
                    "code": "ValueError",
                    "message": "ValueError: boom\n  at line 3",
                    "trimmed": False,
                },
            ),
            row("n1/n1-0-n0", "n1", queued_s=3.5, created_at="2026-11-27T10:00:03Z"),
            row(
                "n2",
                kind="array",
                phase="RUNNING",
                created_at="2026-11-27T10:00:04Z",
                subtasks={"total": 15, "counts": {"SUCCEEDED": 12, "WAITING_FOR_RESOURCES": 3}},
            ),
            row(
                "n3",
                phase="RUNNING",
                kind="gate",
                label="Paused",
                color="paused",
                created_at="2026-11-27T10:00:05Z",
                gate={"kind": "approve", "signal_id": "go", "type": "bool"},
            ),
        ]
    )


def test_text_tree_exact() -> None:
    assert text_tree(sample(), now=NOW) == "\n".join(
        [
            "wf.main  flytesnacks/development/abc123  [Running]  1m 05s",
            "https://console.example.com/console/projects/flytesnacks/domains/development/executions/abc123",
            "3 of 6 nodes done: 3 Running, 2 Succeeded, 1 Failed",
            "last synced 4.0s ago",
            "├─ t_n0 n0 (task) [Succeeded]  12s  cache hit",
            "├─ t_n1 n1 (subworkflow) [Running]",
            "│  ├─ t_n1-0-n0 n1-0-n0 (task) [Succeeded]  12s  queued 3.5s",
            "│  └─ t_n1-0-n1 n1-0-n1 (task) [Failed]  12s  attempts 2",
            "│     error: ValueError: boom",
            "├─ t_n2 n2 (array) [Running]  12 of 15 shards: 12 Succeeded, 3 Waiting for resources",
            "└─ t_n3 n3 (gate) [Paused]  waiting for approve go",
        ]
    )


def test_text_tree_terminal_failed_with_cap() -> None:
    rows = [row(f"n{i}", created_at=f"2026-11-27T10:00:{i:02d}Z") for i in range(5)]
    s = state(rows)
    s.header.update(
        phase="FAILED",
        label="Failed",
        terminal=True,
        duration_s=3725.0,
        url="javascript:alert(1)",
        error={"kind": "USER", "code": "x", "message": "Node n3 failed\nTraceback...", "trimmed": False},
    )
    s.sync_status = {"state": "done", "last_synced_at": "2026-11-27T10:01:05Z"}
    assert text_tree(s, now=NOW, max_rows=2) == "\n".join(
        [
            "wf.main  flytesnacks/development/abc123  [Failed]  1h 02m",
            "5 of 5 nodes done: 5 Succeeded",
            "final (finished 2026-11-27 11:02:05 UTC)",  # when it ended, not a ticking "ago"
            "error: Node n3 failed",
            "├─ t_n0 n0 (task) [Succeeded]  12s",
            "└─ t_n1 n1 (task) [Succeeded]  12s",
            "… 3 more nodes",
        ]
    )


def test_text_tree_reconnecting() -> None:
    s = state([])
    s.sync_status = {"state": "reconnecting", "attempt": 3, "next_retry_at": "2026-11-27T10:01:12Z"}
    assert text_tree(s, now=NOW).splitlines()[-1] == "reconnecting (attempt 3, next in 7.0s)"
    s.sync_status = {**s.sync_status, "server_error": "INTERNAL: database is down\n  at db.go:12"}
    expected = "reconnecting (server error: INTERNAL: database is down; attempt 3, next in 7.0s)"
    assert text_tree(s, now=NOW).splitlines()[-1] == expected
    assert expected in html_snapshot(s, now=NOW)


def test_text_tree_login() -> None:
    s = state([])
    waits = "log in again: enter the code AB-CD at the login page (a call in a cell waits for it)"
    s.sync_status = {"state": "login", "last_error": waits, "login_url": "https://idp.example.com/a?user_code=AB-CD"}
    assert text_tree(s, now=NOW).splitlines()[-1] == waits + " (https://idp.example.com/a?user_code=AB-CD)"
    s.sync_status = {"state": "login", "last_error": "log in again: run any call in a cell", "login_url": "data:x"}
    assert text_tree(s, now=NOW).splitlines()[-1] == "log in again: run any call in a cell"
    assert "log in again: run any call in a cell" in html_snapshot(s, now=NOW)


def test_ordered_rows_keeps_orphans_and_survives_cycles() -> None:
    rows = [row("a", parent="zz"), row("b", parent="c"), row("c", parent="b")]
    assert [r["key"] for r in ordered_rows(rows)] == ["a"]  # b and c only reach each other: not shown, no hang


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0.44, "0.4s"), (12.9, "12s"), (65, "1m 05s"), (7380, "2h 03m"), (273600, "3d 04h")],
)
def test_fmt_duration(seconds: float | None, text: str) -> None:
    assert fmt_duration(seconds) == text


# ---------------------------------------------------------------------------------------------------------------
# HTML: parse the output and check that nothing from the server became a tag, an attribute or a script link
# ---------------------------------------------------------------------------------------------------------------


class Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


EVIL = "<img src=x onerror=alert(1)>"


def evil_state() -> State:
    s = state(
        [
            row(
                "n0",
                name=EVIL,
                node_id='n0" onmouseover="alert(2)',
                logs=[
                    {"name": "ok log", "uri": "https://logs.example.com/n0", "attempt": 0},
                    {"name": "bad log", "uri": "javascript:alert(3)", "attempt": 0},
                ],
                error={"kind": "USER", "code": "x", "message": "</td><script>alert(4)</script>", "trimmed": False},
                child={"name": "<b>child</b>", "url": "javascript:alert(5)"},
            )
        ]
    )
    s.header["workflow"] = "<script>alert(6)</script>"
    s.header["error"] = {"kind": "USER", "code": "", "message": "<svg onload=alert(7)>", "trimmed": False}
    return s


def test_html_escapes_every_server_string() -> None:
    out = html_snapshot(evil_state(), now=NOW, include_css=False)
    parsed = Collector()
    parsed.feed(out)
    tags = {t for t, _ in parsed.tags}
    assert tags <= {"div", "span", "a", "pre", "details", "summary", "table", "thead", "tbody", "tr", "th", "td"}, tags
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    text = "".join(parsed.text)
    for needle in (EVIL, "<script>alert(6)</script>", "</td><script>alert(4)</script>", "<svg onload=alert(7)>"):
        assert needle in text  # shown as text, exactly


def test_html_links_are_http_only_and_open_safely() -> None:
    out = html_snapshot(evil_state(), now=NOW, include_css=False)
    parsed = Collector()
    parsed.feed(out)
    links = [attrs for tag, attrs in parsed.tags if tag == "a"]
    hrefs = [a["href"] for a in links]
    assert hrefs == [
        "https://console.example.com/console/projects/flytesnacks/domains/development/executions/abc123",
        "https://logs.example.com/n0",
    ]
    assert all(a["target"] == "_blank" and a["rel"] == "noopener noreferrer" for a in links)
    assert "javascript:" not in out


def test_html_rows_are_addressable_and_capped() -> None:
    rows = [row(f"n{i}", created_at=f"2026-11-27T10:00:{i:02d}Z") for i in range(4)]
    out = html_snapshot(state(rows), now=NOW, max_rows=3)
    assert out.startswith("<style>")
    assert ".fxw-badge--succeeded" in out
    assert out.count("<tr data-key=") == 3
    assert '<tr data-key="n0" data-phase="SUCCEEDED">' in out
    assert "… 1 more nodes" in out
    assert '<span class="fxw-badge fxw-badge--succeeded">4 Succeeded</span>' in out


def test_text_tree_names_a_launch_plans_child_execution() -> None:
    s = state(
        [
            row("n0", kind="launch_plan", has_children=True, child={"name": "f7x2", "url": "https://c.example.com/x"}),
            row("n0>f7x2/n0", "n0", name="t_inner"),
        ]
    )
    lines = text_tree(s, now=NOW).splitlines()
    assert lines[-2:] == [
        "└─ t_n0 n0 (launch_plan) [Succeeded]  12s  → f7x2",
        "   └─ t_inner n0 (task) [Succeeded]  12s",
    ]


@pytest.mark.parametrize(
    ("message", "summary"),
    [
        ("ValueError: boom\nmore", "ValueError: boom"),
        (
            'Traceback (most recent call last):\n  File "x.py", line 3, in f\n    raise ValueError("boom")\n'
            "ValueError: boom\n\nMessage:\n\n    boom",
            "ValueError: boom",
        ),
        ('Traceback (most recent call last):\n  File "x.py"', "Traceback (most recent call last):"),
        (
            "failed at Node[n10]. USER:ValueError, caused by: Traceback (most recent call last):\n"
            '  File "x.py", line 3\nValueError: boom',
            "ValueError: boom",
        ),
        (  # chained: the exception finally raised
            "Traceback (most recent call last):\n  File \"x.py\"\nKeyError: 'a'\n\nDuring handling of the above "
            'exception, another exception occurred:\n\nTraceback (most recent call last):\n  File "y.py"\n'
            "ValueError: no price",
            "ValueError: no price",
        ),
        (  # flytekit's layout: indented; a code line that looks like "name: type" is not an exception
            'Trace:\n\n    Traceback (most recent call last):\n      File "a.py", line 1\n        total: int = f()\n'
            "    requests.exceptions.ConnectionError: refused\n\nMessage:\n\n"
            "    requests.exceptions.ConnectionError: refused",
            "requests.exceptions.ConnectionError: refused",
        ),
        ('Traceback (most recent call last):\n  File "x.py"\nKeyboardInterrupt', "KeyboardInterrupt"),
        ("", ""),
    ],
)
def test_error_summary_prefers_the_exception_line(message: str, summary: str) -> None:
    assert error_summary(message) == summary


# ---------------------------------------------------------------------------------------------------------------
# Where it failed, progress, not-started rows, the saved snapshot
# ---------------------------------------------------------------------------------------------------------------

_TRACE = (
    "failed at Node[n10]. USER: USER:ValueError, caused by: Traceback (most recent call last):\n"
    '  File "/root/pipeline/stage_0.py", line 100, in step_0\n    result = step_1(frame)\n'
    "ValueError: column 'price' has 1273 non-numeric values"
)


def test_the_header_error_names_the_node_without_repeating_the_kind() -> None:
    s = state([row("n10", phase="FAILED", name="explode")])
    s.header.update(
        phase="FAILED",
        label="Failed",
        terminal=True,
        error={"kind": "USER", "code": "USER:ValueError", "message": _TRACE, "trimmed": False},
        failed_at={"key": "n10", "name": "explode", "node_id": "n10"},
    )
    line = "error: Failed at explode (n10): ValueError: column 'price' has 1273 non-numeric values"
    assert line in text_tree(s, now=NOW).splitlines()
    assert "USER: USER" not in text_tree(s, now=NOW)
    assert "Failed at explode (n10): ValueError: column" in html_snapshot(s, now=NOW)
    # The execution's error named a rejected gate, but failed_at is the task that failed: its own exception line.
    s.rows["n10"]["error"] = {"kind": "USER", "code": "USER:ValueError", "message": _TRACE, "trimmed": False}
    s.header["error"] = {
        "kind": "USER",
        "code": "USER:ReceivedRejectSignal",
        "message": "failed at Node[n6]. USER: USER:ReceivedRejectSignal, caused by: received reject signal",
        "trimmed": False,
    }
    assert line in text_tree(s, now=NOW).splitlines()
    s.header["error"] = {"kind": "ABORTED", "code": "", "message": "stopped by alice", "trimmed": False}
    assert "error: Aborted: stopped by alice" in text_tree(s, now=NOW).splitlines()


def test_the_saved_snapshot_shows_the_header_error_line_once_and_folds_the_raw_error_under_it() -> None:
    """A reopened notebook's snapshot showed propeller's raw "failed at Node[n1]. USER: USER:KeyError" line under
    the clean one. As the live view (widget.js errorView): the failure line is a <details> summary, the whole
    message in a closed <pre> under it, both as escaped text."""
    s = state([row("n10", phase="FAILED", name="explode")])
    s.header.update(
        phase="FAILED",
        label="Failed",
        terminal=True,
        error={"kind": "USER", "code": "USER:ValueError", "message": _TRACE + " <b>", "trimmed": False},
        failed_at={"key": "n10", "name": "explode", "node_id": "n10"},
    )
    page = html_snapshot(s, now=NOW, saved=True, include_css=False)
    start = page.index('<div class="fxw-header-error">')
    block = page[start : page.index("</details></div>", start)]
    parsed = Collector()
    parsed.feed(block)
    assert [t for t, _ in parsed.tags] == ["div", "details", "summary", "pre"]
    assert "open" not in parsed.tags[1][1]  # folded, as the live view starts
    summary, full = parsed.text
    assert summary == "Failed at explode (n10): ValueError: column 'price' has 1273 non-numeric values <b>"
    assert full == _TRACE + " <b>"  # the whole text is there, as text
    assert "<b>" not in block
    # Outside the folded <pre>, the raw lead-in is nowhere, and the exception line is shown once.
    outside = page.replace(block, block[: block.index("<pre")])
    assert "USER: USER" not in outside
    assert "failed at Node" not in outside
    assert outside.count("ValueError: column") == 1


def test_not_started_rows_count_in_the_progress_and_read_not_started() -> None:
    planned = {**row("n1"), "phase": phases.NOT_STARTED, "label": "Not started", "color": "not-started"}
    planned.update(terminal=False, duration_s=None, attempts=0)
    s = state([row("n0"), planned])
    lines = text_tree(s, now=NOW).splitlines()
    assert "1 of 2 nodes done: 1 Succeeded, 1 Not started" in lines
    assert "└─ t_n1 n1 (task) [Not started]" in lines
    assert "fxw-badge--not-started" in html_snapshot(s, now=NOW)


def test_the_saved_snapshot_is_marked_with_its_time_and_shows_only_without_a_live_view() -> None:
    page = html_snapshot(sample(), now=NOW, saved=True)
    assert '<div class="fxw fxw-static fxw-saved">' in page
    assert "<b>Saved snapshot</b>, taken 2026-11-27 10:01:05 UTC" in page
    # The CSS that picks one of the two outputs in JupyterLab/Notebook 7: hide the snapshot next to a live view,
    # and the widget's output while it has none (model missing, or not restored yet).
    assert ".jp-OutputArea-child:has(.fxw-saved):has(+ .jp-OutputArea-child .fxw-live){display:none}" in page
    assert ":not(:has(.fxw-live)){display:none}" in page
    plain = html_snapshot(sample(), now=NOW)
    assert "Saved snapshot" not in plain
    assert '<div class="fxw fxw-static">' in plain
    assert ".jp-OutputArea-child" not in plain


def test_the_text_tree_shows_terminal_payloads_as_escapes() -> None:
    """Every server string in the text tree (names, ids, errors, sync error, gate, child, cache) is printable: no
    escape sequence reaches a terminal and no payload forges a line of the tree."""
    s = state(
        [
            row(
                "n0",
                name=hostile("name"),
                node_id=hostile("node_id"),
                cache=hostile("cache"),
                error={"kind": "USER", "code": "x", "message": hostile("row error"), "trimmed": False},
                child={"name": hostile("child"), "url": "https://e.example/x"},
            ),
            row("n1", phase="RUNNING", kind="gate", gate={"kind": "signal", "signal_id": hostile("signal")}),
        ]
    )
    s.header["workflow"] = hostile("workflow")
    s.header["name"] = hostile("exec name")
    s.header["error"] = {"kind": "USER", "code": "", "message": hostile("header error"), "trimmed": False}
    s.sync_status = {"state": "error", "last_error": hostile("sync error"), "last_synced_at": None}
    out = text_tree(s, now=NOW)
    assert not UNSAFE.search(out)
    assert "\t" not in out
    lines = out.split("\n")
    # title, url, counts, sync, error, n0, its error, n1: nothing added by a payload's newlines
    assert len(lines) == 8, lines
    for label in ("name", "node_id", "cache", "row error", "child", "signal", "workflow", "exec name"):
        assert f"{label}:\\x1b[2J\\x1b[H|" in out, label
    for label in ("header error", "sync error", "row error"):  # error lines show the first line of the message
        assert f"{label}:\\x1b[2J" in out, label
    assert "\\u202etxt_exe" in out


def test_the_snapshot_table_has_the_live_views_columns_and_an_error_line_under_its_row() -> None:
    """JupyterLab lays out a rendered table with fixed, equal columns: the snapshot's text overlapped. Its table
    asks for auto layout, has no Kind column (a tag after the name), and a failed node's exception line is a row
    of its own under it, as wide as the table; log links one a line."""
    logs = [{"name": f"log {a}", "uri": f"https://logs.example.com/{a}", "attempt": a} for a in range(2)]
    tb = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: boom'
    error = {"kind": "USER", "code": "x", "message": tb, "trimmed": False}
    rows = [row("n0", kind="dynamic", logs=logs), row("n1", "", "FAILED", error=error)]
    out = html_snapshot(state(rows), now=NOW, include_css=False)
    parsed = Collector()
    parsed.feed(out)
    table = next(attrs for tag, attrs in parsed.tags if tag == "table")
    assert "table-layout:auto" in (table.get("style") or "")
    heads = [attrs.get("class") for tag, attrs in parsed.tags if tag == "th"]
    assert heads == [f"fxw-sc-{c}" for c in ("name", "status", "start", "dur", "attempts", "cache", "logs")]
    assert '<span class="fxw-kindtag">dynamic</span>' in out
    assert '<div><a href="https://logs.example.com/0"' in out
    assert "log 1 #2</a></div>" in out
    err_rows = [attrs for tag, attrs in parsed.tags if tag == "tr" and attrs.get("class") == "fxw-sr-err"]
    assert len(err_rows) == 1
    assert '<tr data-key="n1" data-phase="FAILED" class="fxw-sr-haserr">' in out
    assert '<td colspan="7" style="padding-left:24px"><span class="fxw-error">ValueError: boom</span>' in out


def test_the_snapshot_lists_the_subtasks_of_small_arrays_and_only_the_failed_ones_of_big_arrays() -> None:
    """A 1,000-subtask array listed every subtask: the nodes after it fell past the row limit."""

    def array(key: str, n: int, failed: set[int]) -> list[dict[str, Any]]:
        counts = {"SUCCEEDED": n - len(failed), "FAILED": len(failed)}
        out = [row(key, kind="array", has_children=True, subtasks={"total": n, "counts": counts})]
        for i in range(n):
            phase = "FAILED" if i in failed else "SUCCEEDED"
            out.append(row(f"{key}[{i}]", key, phase, kind="subtask", depth=1))
        return out

    after = row("n2")
    s = state([*array("n0", 8, set()), *array("n1", 1000, {5, 700}), after])
    out = html_snapshot(s, now=NOW, max_rows=50)
    keys = [line.split('"')[1] for line in out.split("<tr data-key=")[1:]]
    assert keys == ["n0", *[f"n0[{i}]" for i in range(8)], "n1", "n1[5]", "n1[700]", "n2"]
    assert "1000 of 1000 shards" in out
    assert "998 Succeeded, 2 Failed" in out
    assert "more nodes" not in out
    text = text_tree(s, now=NOW)
    assert "n1[700]" in text
    assert "n1[6]" not in text
    assert "t_n2" in text


def test_the_saved_snapshot_names_a_retried_rows_attempts_on_hover() -> None:
    spans = [
        {"phase": "FAILED", "started_at": "2026-11-27T10:00:00.000Z", "duration_s": 3.0},
        {"phase": "SUCCEEDED", "started_at": "2026-11-27T10:00:05.000Z", "duration_s": 3.0},
    ]
    s = state([row("n0", attempts=2, attempt_spans=spans), row("n1", attempts=1)])
    page = html_snapshot(s, now=NOW)
    assert 'title="#1 Failed, #2 Succeeded">2</td>' in page
    assert '<td class="fxw-sc-attempts">1</td>' in page  # run once: nothing to name


def test_rows_whose_attempts_are_not_listed_yet_never_read_as_zero_attempts() -> None:
    """A watch shows rows before their attempts (attempts null): the snapshot says "…", the text says nothing."""
    rows = [row("n0", attempts=None), row("n1", attempts=3)]
    out = html_snapshot(state(rows), now=NOW, include_css=False)
    assert '<td class="fxw-sc-attempts" title="Attempts not listed yet">…</td>' in out
    assert '<td class="fxw-sc-attempts">3</td>' in out
    text = text_tree(state(rows), now=NOW)
    n0 = next(line for line in text.splitlines() if "t_n0" in line)
    assert n0.endswith("[Succeeded]  12s")  # no attempt count, not a 0
    assert "attempts 3" in text
