"""What the widget, its comm and the saved outputs carry for hostile values: capped, counted, fetchable.

A real ExecutionModel over real wrappers, the widget on a recording comm (as test_widget.py), the text and HTML
renderings: 10,000 log links and a 1 MB error stay out of widget state and saved outputs, the "logs" and "error"
requests give the rest on demand, and times out of range read "invalid time" in their row only.
"""

from __future__ import annotations

import json
from typing import Any

import comm
import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2

from flyteexec_widget.display.render import html_snapshot, text_tree
from flyteexec_widget.display.widget import ExecutionWidget
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.rows import MAX_ERROR_BYTES, empty_row
from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
from flyteexec_widget.objects.templates import TemplateInfo

from .test_render import State
from .test_widget import RecordingComm

WF_ID = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1")
NODE = execution_pb2.NodeExecution
HUGE_ERROR = "Traceback (most recent call last):\n" + "frame line\n" * 100_000 + "ValueError: boom"  # 1.1 MB


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm())


def node(node_id: str, phase: int = NODE.FAILED, n_logs: int = 0, error: str = "") -> FlyteNodeExecution:
    proto = node_execution_pb2.NodeExecution()
    proto.id.execution_id.CopyFrom(WF_ID)
    proto.id.node_id = node_id
    proto.closure.phase = phase
    proto.closure.created_at.seconds = 1_800_000_000
    if error:
        proto.closure.error.CopyFrom(execution_pb2.ExecutionError(code="USER:Boom", message=error, kind=1))
    w = FlyteNodeExecution(proto)
    w._template_info = TemplateInfo("task", node_id)
    t = task_execution_pb2.TaskExecution()
    for i in range(n_logs):
        t.closure.logs.add(name=f"pod log {i}", uri=f"https://logs.example.com/{node_id}/{i}")
    w._task_executions = [FlyteTaskExecution(t)]
    return w


class Server:
    """The Get calls behind the "error" request: FlyteAdmin returns the whole message there."""

    def __init__(self, nodes: dict[str, FlyteNodeExecution], execution: Any) -> None:
        self.nodes, self.execution = nodes, execution

    def get_node_execution(self, node_id: Any) -> Any:
        return self.nodes[node_id.node_id].to_flyte_idl()

    def get_execution(self, wf_id: Any) -> Any:
        return self.execution.to_flyte_idl()

    def generate_console_url(self, _: Any) -> str:
        return "https://console.example.com/e1"


def make() -> tuple[ExecutionWidget, ExecutionModel]:
    nodes = {"n0": node("n0", n_logs=10_000, error=HUGE_ERROR), "n1": node("n1", NODE.SUCCEEDED, n_logs=2)}
    ex = FlyteWorkflowExecution(admin_execution_pb2.Execution(id=WF_ID))
    ex.to_flyte_idl().closure.phase = execution_pb2.WorkflowExecution.FAILED
    ex.to_flyte_idl().closure.error.CopyFrom(execution_pb2.ExecutionError(message=HUGE_ERROR, kind=9))
    ex._node_executions = nodes
    model = ExecutionModel(ex)
    w = ExecutionWidget(model, remote=Server(nodes, ex), execution=ex, runner=lambda fn: fn())
    return w, model


def ask(w: ExecutionWidget, **content: Any) -> dict[str, Any]:
    w._handle_custom_msg({"type": "request", "id": "v1:1", **content}, [])
    sent = [m["content"] for m in w.comm.messages if m.get("method") == "custom"]  # type: ignore[attr-defined]
    assert sent[-1]["id"] == "v1:1"
    return sent[-1]  # type: ignore[no-any-return]


def test_the_snapshot_and_the_saved_outputs_stay_small() -> None:
    """10,000 log links made a 2.6 MB text/html; a 1 MB error went whole into widget state."""
    w, model = make()
    w._handle_custom_msg({"type": "snapshot", "view": "v"}, [])
    snapshot = json.dumps([m for m in w.comm.messages if m.get("method") == "custom"])  # type: ignore[attr-defined]
    assert len(snapshot) < 2 * MAX_ERROR_BYTES + 20_000
    state = w.get_state()
    assert len(state["header"]["error"]["message"].encode()) == MAX_ERROR_BYTES  # the header's error is capped too
    # the view's own source (_esm, _css: every static/ module, ~270 KB) is left out: it grows with views, not data
    assert len(json.dumps({k: v for k, v in state.items() if k not in ("_esm", "_css")})) < 2 * MAX_ERROR_BYTES
    assert model.header["error"]["kind"] == "unknown (9)"
    data, _ = w._repr_mimebundle_()
    assert len(data["text/html"]) < 200_000
    # the row carries 50 of 10,000 links; the snapshot's row shows 5 of them, one a line, and counts the rest
    assert "and 9,995 more" in data["text/html"]
    assert data["text/html"].count("https://logs.example.com/n0/") == 5
    assert "cut at 64 KB" in data["text/html"]
    assert len(data["text/plain"]) < 2_000


def test_the_logs_request_gives_every_link_of_the_row() -> None:
    w, model = make()
    assert model.rows["n0"]["logs_omitted"] == 9_950
    res = ask(w, action="logs", key="n0")
    assert res["ok"] is True
    links = res["result"]["logs"]
    assert len(links) == 10_000
    assert links[9_999] == {
        "name": "pod log 9999",
        "uri": "https://logs.example.com/n0/9999",
        "attempt": 0,
    }
    assert ask(w, action="logs", key="nope")["error"]["message"] == "no node 'nope' in this execution"


def test_the_error_request_sends_64_kb_unless_all_is_asked_for() -> None:
    w, model = make()
    row_error = model.rows["n0"]["error"]
    assert row_error is not None
    assert row_error["capped"] is True
    first = ask(w, action="error", key="n0")["result"]
    assert (first["capped"], len(first["message"].encode())) == (True, MAX_ERROR_BYTES)
    whole = ask(w, action="error", key="n0", all=True)["result"]
    assert (whole["capped"], whole["message"], whole["kind"]) == (False, HUGE_ERROR, "USER")
    header = ask(w, action="error", key="", all=True)["result"]
    assert (header["message"], header["kind"]) == (HUGE_ERROR, "unknown (9)")
    assert ask(w, action="error", key="n0", all="yes")["error"]["message"] == "all must be true or false, got 'yes'"


def _row(key: str, **extra: Any) -> dict[str, Any]:
    return {**empty_row(key), "node_id": key, "name": key, "phase": "SUCCEEDED", "label": "Succeeded", **extra}


def test_invalid_times_read_invalid_time_in_their_row_only() -> None:
    good = _row("n0", started_at="2027-01-15T08:00:00.000Z", duration_s=5.0)
    bad = _row("n1", invalid_times=["started_at", "duration_s"])
    header = {"workflow": "wf", "project": "p", "domain": "d", "name": "e1", "label": "Succeeded", "terminal": True}
    header["invalid_times"] = ["duration_s"]
    st = State(header=header, rows={"n0": good, "n1": bad})
    html = html_snapshot(st, include_css=False)
    rows_html = {k: html[html.index(f'data-key="{k}"') :].split("</tr>", 1)[0] for k in ("n0", "n1")}
    assert rows_html["n1"].count("invalid time") == 2  # Started and Duration
    assert "invalid time" not in rows_html["n0"]
    assert "2027-01-15 08:00:00 UTC" in rows_html["n0"]
    assert '<span class="fxw-elapsed">invalid time</span>' in html
    lines = text_tree(st).splitlines()
    assert lines[0] == "wf  p/d/e1  [Succeeded]  invalid time"
    assert [ln for ln in lines if "invalid time" in ln][1:] == [ln for ln in lines if " n1 " in f" {ln} "]
    assert "5.0s" in next(ln for ln in lines if "n0" in ln)


def test_unknown_phases_render_with_their_name() -> None:
    st = State(rows={"n0": _row("n0", phase="unknown (42)", label="unknown (42)", color="undefined")})
    st.counts = {"unknown (42)": 1}
    html = html_snapshot(st, include_css=False)
    assert '<span class="fxw-badge fxw-badge--undefined">unknown (42)</span>' in html
    assert "1 unknown (42)" in text_tree(st)
