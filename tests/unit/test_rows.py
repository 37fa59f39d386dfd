"""rows.py: the one row schema (and the view agrees with it), the one URL check, kinds without a template."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2, types_pb2, workflow_pb2

from flyteexec_widget.live import rows
from flyteexec_widget.live.rows import HEADER_FIELDS, ROW_FIELDS, RowBuilder, empty_row, header_of, safe_url
from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
from flyteexec_widget.objects.templates import TemplateInfo

WIDGET_JS = Path(rows.__file__).parents[1] / "display" / "static" / "widget.js"
WF_ID = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="abc")
RUNNING = execution_pb2.NodeExecution.RUNNING


def execution(*nodes: FlyteNodeExecution, remote: Any = None) -> FlyteWorkflowExecution:
    ex = FlyteWorkflowExecution(admin_execution_pb2.Execution(id=WF_ID), remote=remote)
    ex._node_executions = {n.id.node_id: n for n in nodes}
    return ex


def node(node_id: str, phase: int = RUNNING, info: TemplateInfo | None = None, **meta: Any) -> FlyteNodeExecution:
    proto = node_execution_pb2.NodeExecution()
    proto.id.execution_id.CopyFrom(WF_ID)
    proto.id.node_id = node_id
    proto.closure.phase = phase
    for k, v in meta.items():
        setattr(proto.metadata, k, v)
    w = FlyteNodeExecution(proto)
    w._template_info = info
    return w


def build(ex: FlyteWorkflowExecution) -> dict[str, rows.Row]:
    return RowBuilder().build(ex)[0]


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://a.example.com/x", "https://a.example.com/x"),
        ("http://a:8080/", "http://a:8080/"),
        ("HTTPS://a.example.com", "HTTPS://a.example.com"),
        (" https://a.example.com/x\n", "https://a.example.com/x"),  # what is checked is what is sent
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        (" data:text/html,x", None),
        ("ftp://a.example.com/x", None),
        ("//evil.example.com", None),
        ("/relative/path", None),
        ("https://", None),
        ("http:// ", None),  # a host of blanks: the log links' old check let it through
        ("http://[::1", None),  # urlsplit raises ValueError
        (None, None),
        (42, None),
    ],
)
def test_safe_url(url: Any, safe: str | None) -> None:
    assert safe_url(url) == safe


def test_log_links_and_the_console_url_pass_the_same_check() -> None:
    n = node("n0", info=TemplateInfo("task", "t"))
    attempt = task_execution_pb2.TaskExecution()
    attempt.closure.logs.add(name="ok", uri=" https://logs/0 ")
    attempt.closure.logs.add(name="script", uri="javascript:alert(1)")
    attempt.closure.logs.add(name="blank host", uri="http:// ")
    n._task_executions = [FlyteTaskExecution(attempt)]

    class Console:
        def generate_console_url(self, _: Any) -> str:
            return "javascript:alert(2)"

    ex = execution(n, remote=Console())
    assert build(ex)["n0"]["logs"] == [{"name": "ok", "uri": "https://logs/0", "attempt": 0}]
    assert header_of(ex)["url"] is None


def test_rows_and_header_carry_exactly_the_schema_fields() -> None:
    ex = execution(node("n0", info=TemplateInfo("task", "t")))
    row = build(ex)["n0"]
    assert tuple(row) == ROW_FIELDS
    assert tuple(header_of(ex)) == HEADER_FIELDS
    assert tuple(empty_row("k")) == ROW_FIELDS
    assert json.loads(json.dumps(empty_row("k"))) == empty_row("k")
    a, b = empty_row("a"), empty_row("b")
    assert a["logs"] is not b["logs"]  # fresh values: a test row changed in place does not leak into the next


def _top_level_names(body: str) -> list[str]:
    """Field names of a JSDoc object type's body, skipping those of nested object types."""
    names, depth = [], 0
    for m in re.finditer(r"[{}]|(\w+)\??\s*:", body):
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth -= 1
        elif depth == 0:
            names.append(m.group(1))
    return names


def test_the_views_row_type_declares_the_same_fields() -> None:
    """widget.js documents the row it reads as a JSDoc typedef: it must name exactly the fields Python sends."""
    source = WIDGET_JS.read_text(encoding="utf-8")
    m = re.search(r"@typedef \{\{((?:(?!@typedef).)*?)\}\} Row\b", source, re.DOTALL)
    assert m is not None, "widget.js no longer declares its Row typedef"
    body = re.sub(r"^\s*\*", "", m.group(1), flags=re.MULTILINE)
    assert sorted(_top_level_names(body)) == sorted(ROW_FIELDS)


@pytest.mark.parametrize(
    ("meta", "kind"),
    [
        ({"is_array": True, "is_parent_node": True}, "array"),
        ({"is_dynamic": True, "is_parent_node": True}, "dynamic"),
        ({"is_parent_node": True}, "subworkflow"),
        ({}, "task"),
    ],
)
def test_a_node_no_sync_wired_gets_its_kind_from_its_metadata(meta: dict[str, Any], kind: str) -> None:
    n = node("n0", spec_node_id="spec-n0", **meta)
    assert (build(execution(n))["n0"]["kind"], build(execution(n))["n0"]["name"]) == (kind, "spec-n0")


def test_a_launch_plan_node_no_sync_wired_is_a_launch_plan() -> None:
    n = node("n0")
    n.to_flyte_idl().closure.workflow_node_metadata.executionId.name = "kid"
    assert build(execution(n))["n0"]["kind"] == "launch_plan"


@pytest.mark.parametrize(
    ("gate", "info"),
    [
        (
            workflow_pb2.GateNode(approve=workflow_pb2.ApproveCondition(signal_id="ok")),
            {"kind": "approve", "signal_id": "ok", "type": "bool"},
        ),
        (
            workflow_pb2.GateNode(
                signal=workflow_pb2.SignalCondition(
                    signal_id="n",
                    type=types_pb2.LiteralType(collection_type=types_pb2.LiteralType(simple=types_pb2.INTEGER)),
                )
            ),
            {"kind": "signal", "signal_id": "n", "type": "list[int]"},
        ),
        (workflow_pb2.GateNode(sleep=workflow_pb2.SleepCondition()), {"kind": "sleep", "signal_id": "", "type": ""}),
    ],
)
def test_a_gate_row_says_what_it_waits_for_while_it_waits(gate: workflow_pb2.GateNode, info: dict[str, str]) -> None:
    waiting = node("g0", info=TemplateInfo("gate", "g", gate))
    done = node("g1", execution_pb2.NodeExecution.SUCCEEDED, info=TemplateInfo("gate", "g", gate))
    built = build(execution(waiting, done))
    assert (built["g0"]["gate"], built["g0"]["label"]) == (info, "Paused")
    assert built["g1"]["gate"] is None


def test_only_versioned_wrappers_are_cached() -> None:
    """A wrapper the sync never bumped (``_fx_version`` 0) is rebuilt every time; a versioned one once per version."""
    n = node("n0", info=TemplateInfo("task", "t"))
    ex = execution(n)
    builder = RowBuilder()
    builder.build(ex)
    n.to_flyte_idl().closure.phase = execution_pb2.NodeExecution.FAILED
    assert builder.build(ex)[0]["n0"]["phase"] == "FAILED"
    n._fx_version = 1
    builder.build(ex)
    n.to_flyte_idl().closure.phase = execution_pb2.NodeExecution.SUCCEEDED
    assert builder.build(ex)[0]["n0"]["phase"] == "FAILED"
    n._fx_version = 2
    assert builder.build(ex)[0]["n0"]["phase"] == "SUCCEEDED"
