"""Rows on the wire: the kernel leaves out what the view knows (fields at their default, the label, colour and
terminal flag of a row's kind and phase), and the view (widget.js, run under node here) fills them back, so it holds
exactly the rows Python published. Both sides' tables are compared here, so they cannot drift apart."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from flyteexec_widget.display.widget import phase_styles, row_delta, wire_row
from flyteexec_widget.live.rows import Row, empty_row, row_defaults, row_style
from flyteexec_widget.objects import phases
from tests.unit.test_widget import view_row

WIDGET_JS = Path(__file__).resolve().parents[2] / "flyteexec_widget" / "display" / "static" / "widget.js"

#: Reads {styles, snapshot, patches} on stdin; prints the defaults and the rows a RowStore holds after them.
SCRIPT = """
import { ROW_DEFAULTS, RowStore } from %s;
let text = "";
process.stdin.on("data", (d) => (text += d));
process.stdin.on("end", () => {
  const msg = JSON.parse(text);
  const store = new RowStore(() => msg.styles);
  store.reset(msg.snapshot, 0);
  const after = [];
  msg.patches.forEach((rows, i) => {
    store.apply(rows, [], i + 1);
    after.push(rows.map((r) => store.rows.get(r.key)));
  });
  process.stdout.write(JSON.stringify({ defaults: ROW_DEFAULTS, snapshot: [...store.rows.values()], after }));
});
"""


def through_widget_js(snapshot: list[dict[str, Any]], patches: list[list[Any]]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = SCRIPT % json.dumps(WIDGET_JS.as_uri())
    payload = json.dumps({"styles": phase_styles(), "snapshot": snapshot, "patches": patches})
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], input=payload, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def styled(r: Row, kind: str, phase: str, **extra: Any) -> Row:
    st = row_style(kind, phase)
    return {**r, "kind": kind, "phase": phase, "label": st.label, "color": st.color, "terminal": st.terminal, **extra}


def every_kind_of_row() -> list[Row]:
    """Rows in every phase of every kind (gates pause, subtasks read task phases), values that equal a default
    in Python but not in JSON (0.0 is not null, False is not 0), and a row whose label no rule gives."""
    out: list[Row] = [empty_row("empty")]
    for p in phases.NodePhase:
        out.append(styled(empty_row(f"t-{p.name}"), "task", p.name, attempts=1, duration_s=0.0))
        out.append(styled(empty_row(f"g-{p.name}", "t-RUNNING", 1), "gate", p.name))
    for tp in phases.TaskPhase:
        out.append(styled(empty_row(f"s-{tp.name}", "t-RUNNING", 1), "subtask", tp.name, queued_s=0.0))
    out.append(styled(empty_row("planned"), "dynamic", phases.NOT_STARTED, name="later"))
    out.append(styled(empty_row("newer"), "task", phases.unknown_name(42)))
    odd = styled(
        empty_row("odd"),
        "task",
        "RUNNING",
        error={"kind": "USER", "code": "", "message": "x", "trimmed": False, "capped": False},
    )
    out.append({**odd, "label": "Odd", "color": "odd", "terminal": True})
    return out


def test_the_view_defaults_are_pythons_empty_row() -> None:
    got = through_widget_js([], [])
    assert got["defaults"] == json.loads(json.dumps(row_defaults()))
    assert set(got["defaults"]) | {"key", "label", "color", "terminal"} == set(empty_row("k"))


def test_the_view_holds_the_published_rows_from_whole_rows_and_deltas() -> None:
    rows = every_kind_of_row()
    sent = [wire_row(r) for r in rows]
    # Each row moves on: the next phase of its table (the label, colour and end follow), the odd one back to
    # a derived label, the empty one gains a log; then back again.
    later: list[Row] = []
    for r in rows:
        names = [p.name for p in (phases.TaskPhase if r["kind"] == "subtask" else phases.NodePhase)]
        nxt = names[(names.index(r["phase"]) + 1) % len(names)] if r["phase"] in names else "RUNNING"
        moved = styled(r, r["kind"], nxt)
        if r["key"] == "empty":
            moved["logs"] = [{"name": "l", "uri": "https://logs.example.com/x", "attempt": 0}]
        later.append(moved)
    patches = [[row_delta(a, b) for a, b in zip(rows, later, strict=True)]]
    patches.append([row_delta(b, a) for a, b in zip(rows, later, strict=True)])
    got = through_widget_js(sent, patches)
    as_json = json.loads(json.dumps(rows))
    assert got["snapshot"] == as_json
    assert got["after"] == [json.loads(json.dumps(later)), as_json]
    # The Python mirror the widget tests use agrees with widget.js.
    assert [view_row(None, s) for s in sent] == rows
    # And the wire is smaller for it: a derived label or a default value is never sent.
    assert "label" not in sent[1]
    assert "gate" not in sent[1]
    assert sent[-1]["label"] == "Odd"  # not derivable: sent
    assert sent[1]["duration_s"] == 0.0  # a zero duration is not "no duration"
