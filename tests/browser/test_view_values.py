"""The view with hostile values, in Chromium: widget.js rendered on a page of its own (no Jupyter needed for this),
fed rows the real row builder made from what a newer or hostile FlyteAdmin sends.

An unknown phase gets a neutral badge and chip, 10,000 log links show five in the row and "and 9,995 more" (the
row carries 50, the detail lists them and fetches the rest), a 1 MB error shows 64 KB and "Show all" fetches the
rest, and times out of range read "invalid time" in their row only; nothing throws.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2
from playwright.sync_api import Page, expect

from flyteexec_widget.display import assets, widget
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.rows import MAX_ERROR_BYTES, all_logs
from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
from flyteexec_widget.objects.templates import TemplateInfo
from tests.browser.lab import save_screenshot

STATIC = Path(widget.__file__).parent / "static"
WF_ID = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1")
NODE = execution_pb2.NodeExecution
HUGE_ERROR = "Traceback (most recent call last):\n" + "  frame line\n" * 80_000 + "ValueError: boom"

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="widget.css"></head>
<body><div id="host" style="width: 1300px"></div>
<script type="module">
import widget from "./widget.js";
const handlers = {};
const traits = __TRAITS__;
const sent = [];
const model = {
  get: (k) => traits[k],
  on: (ev, fn) => { (handlers[ev] ||= []).push(fn); },
  off: (ev, fn) => { handlers[ev] = (handlers[ev] || []).filter((f) => f !== fn); },
  send: (msg) => sent.push(msg),
};
window.fx = { sent, emit: (ev, msg) => (handlers[ev] || []).forEach((f) => f(msg)) };
widget.initialize({ model });  // as anywidget does, once per model before any view: rows are collected from here
widget.render({ model, el: document.getElementById("host") });
window.fx.ready = true;
</script></body></html>
"""


def _node(node_id: str, phase: int = NODE.SUCCEEDED, created: int = 0) -> FlyteNodeExecution:
    proto = node_execution_pb2.NodeExecution()
    proto.id.execution_id.CopyFrom(WF_ID)
    proto.id.node_id = node_id
    proto.closure.phase = phase
    proto.closure.created_at.seconds = 1_800_000_000 + created
    proto.closure.started_at.seconds = 1_800_000_001 + created
    proto.closure.duration.seconds = 3
    w = FlyteNodeExecution(proto)
    w._template_info = TemplateInfo("task", f"task_{node_id}")
    return w


def _model() -> tuple[ExecutionModel, dict[str, FlyteNodeExecution]]:
    unknown_phase = _node("n0", phase=42, created=0)
    many_logs = _node("n1", created=1)
    t = task_execution_pb2.TaskExecution()
    for i in range(10_000):
        t.closure.logs.add(name=f"log{i}", uri=f"https://logs.example.com/{i}")
    many_logs._task_executions = [FlyteTaskExecution(t)]
    bad_times = _node("n2", created=2)
    bad_times.to_flyte_idl().closure.started_at.seconds = 253_402_300_800  # year 10000
    bad_times.to_flyte_idl().closure.duration.seconds = 2**62
    huge_error = _node("n3", NODE.FAILED, created=3)
    huge_error.to_flyte_idl().closure.error.CopyFrom(
        execution_pb2.ExecutionError(code="USER:ValueError", message=HUGE_ERROR, kind=7)
    )
    nodes = {"n0": unknown_phase, "n1": many_logs, "n2": bad_times, "n3": huge_error}
    ex = FlyteWorkflowExecution(admin_execution_pb2.Execution(id=WF_ID))
    c = ex.to_flyte_idl().closure
    c.phase = execution_pb2.WorkflowExecution.FAILED
    c.created_at.seconds = 1_800_000_000
    c.started_at.seconds = 1_800_000_000
    c.duration.seconds = 2**62
    ex._node_executions = nodes
    return ExecutionModel(ex), nodes


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def view_page(page: Page, tmp_path: Path) -> Iterator[tuple[Page, ExecutionModel, dict[str, FlyteNodeExecution]]]:
    model, nodes = _model()
    traits = {
        "header": model.header,
        "counts": model.counts,
        "sync_status": {"state": "done"},
        "styles": widget.phase_styles(),
        "can_act": False,
        "instance": "view-values",
        "snapshot_version": -1,  # nothing pushed yet: the page asks for nothing, the kernel pushes (below)
    }
    # what anywidget gets: every static/ module joined (widget.js imports its sibling views), every stylesheet
    (tmp_path / "widget.js").write_text(assets.joined_module(), encoding="utf-8")
    (tmp_path / "widget.css").write_text(assets.stylesheet(), encoding="utf-8")
    (tmp_path / "index.html").write_text(_PAGE.replace("__TRAITS__", json.dumps(traits)), encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        page.wait_for_function("window.fx && window.fx.ready")
        assert page.evaluate("window.fx.sent") == []  # rows are pushed, not asked for
        version, rows = model.snapshot()
        page.evaluate("(m) => window.fx.emit('msg:custom', m)", {"type": "snapshot", "version": version, "rows": rows})
        yield page, model, nodes
    finally:
        server.shutdown()
        server.server_close()


def _respond(page: Page, action: str, result: Any) -> dict[str, Any]:
    """Answer the view's last request (which must be ``action``) as the kernel would."""
    req: dict[str, Any] = page.evaluate("window.fx.sent[window.fx.sent.length - 1]")
    assert (req["type"], req["action"]) == ("request", action), req
    page.evaluate("(m) => window.fx.emit('msg:custom', m)", {"type": "accepted", "id": req["id"]})
    page.evaluate(
        "(m) => window.fx.emit('msg:custom', m)", {"type": "response", "id": req["id"], "ok": True, "result": result}
    )
    return req


def test_hostile_values_render_in_their_row_only(
    view_page: tuple[Page, ExecutionModel, dict[str, FlyteNodeExecution]],
) -> None:
    page, model, nodes = view_page
    row = page.locator(".fxw-row")
    expect(row).to_have_count(4)

    # an unknown phase: its name on a neutral badge, and a counts chip
    n0 = page.locator('.fxw-row[data-key="n0"]')
    expect(n0.locator(".fxw-badge")).to_have_text("unknown (42)")
    expect(n0.locator(".fxw-badge")).to_have_class("fxw-badge fxw-badge--undefined")
    expect(page.locator('.fxw-chip[data-phase="unknown (42)"]')).to_have_text("1 unknown (42)")

    # 10,000 log links: five lines of them (the latest attempt's) and a count in the row, inside its cell
    n1 = page.locator('.fxw-row[data-key="n1"]')
    expect(n1.locator(".fxw-log")).to_have_count(5)
    expect(n1.locator(".fxw-log-more")).to_have_text("and 9,995 more")
    cell, note = n1.locator(".fxw-c-logs").bounding_box(), n1.locator(".fxw-log-more").bounding_box()
    assert cell
    assert note
    assert note["x"] + note["width"] <= cell["x"] + cell["width"] + 1
    assert note["y"] + note["height"] <= cell["y"] + cell["height"] + 1

    # times out of range: that row only
    n2 = page.locator('.fxw-row[data-key="n2"]')
    expect(n2.locator(".fxw-c-start")).to_have_text("invalid time")
    expect(n2.locator(".fxw-dur")).to_have_text("invalid time")
    for key in ("n1", "n3"):  # terminal: their final durations (n0's unknown phase is not terminal: it ticks)
        expect(page.locator(f'.fxw-row[data-key="{key}"] .fxw-dur')).to_have_text("3.0s")
    for key in ("n0", "n1", "n3"):
        expect(page.locator(f'.fxw-row[data-key="{key}"] .fxw-c-start')).not_to_have_text("invalid time")
        expect(page.locator(f'.fxw-row[data-key="{key}"] .fxw-dur')).not_to_have_text("invalid time")
    expect(page.locator(".fxw-elapsed")).to_have_text("invalid time")  # the header's duration is out of range
    save_screenshot(page, "view-values-rows")

    # the detail lists all log links on request
    n1.locator(".fxw-name").click()
    more = page.locator('.fxw-detail[data-key="n1"] [data-action="more-logs"]')
    expect(more).to_have_text("and 9,950 more")
    expect(page.locator('.fxw-detail[data-key="n1"] .fxw-log')).to_have_count(50)
    more.click()
    links = all_logs(model.rows["n1"], nodes["n1"])
    req = _respond(page, "logs", {"logs": links})
    assert req["key"] == "n1"
    expect(page.locator('.fxw-detail[data-key="n1"] .fxw-log')).to_have_count(10_000)
    expect(page.locator('.fxw-detail[data-key="n1"] .fxw-log').last).to_have_attribute(
        "href", "https://logs.example.com/9999"
    )
    n1.locator(".fxw-name").click()  # close it again

    # a capped error: 64 KB shown, "Show all" fetches the rest; the unknown kind is named
    n3 = page.locator('.fxw-row[data-key="n3"]')
    n3.locator(".fxw-name").click()
    detail = page.locator('.fxw-detail[data-key="n3"]')
    # the exception line says what the code would (no "USER:ValueError: ValueError"); kind and code on hover
    expect(detail.locator("summary.fxw-error")).to_have_text("ValueError: boom")
    expect(detail.locator("summary.fxw-error")).to_have_attribute("title", "unknown (7) USER:ValueError")
    pre = detail.locator(".fxw-error-full")
    assert len(pre.inner_text().encode()) <= MAX_ERROR_BYTES
    show_all = detail.locator('[data-action="show-all-error"]')
    expect(show_all).to_be_visible()
    show_all.click()
    whole = {"message": HUGE_ERROR, "code": "USER:ValueError", "kind": "unknown (7)", "capped": False}
    req = _respond(page, "error", whole)
    assert (req["key"], req["all"]) == ("n3", True)
    expect(show_all).to_be_hidden()
    assert pre.text_content() == HUGE_ERROR
    save_screenshot(page, "view-values-detail")
