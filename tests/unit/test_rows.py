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


# ---- planned nodes, the cut error, where the execution failed --------------------------------------------------


def test_planned_nodes_without_a_node_execution_are_not_started_rows_after_the_started_ones() -> None:
    from flyteexec_widget.objects.templates import PlannedNode

    sub = (PlannedNode("n0", "n2-0-n0", TemplateInfo("task", "prep")),)
    ex = execution(node("n1", info=TemplateInfo("task", "fit")))
    ex._fx_planned = (
        PlannedNode("n0", "n0", TemplateInfo("task", "load")),
        PlannedNode("n1", "n1", TemplateInfo("task", "fit")),
        PlannedNode("n2", "n2", TemplateInfo("subworkflow", "sub"), sub),
    )
    got = build(ex)
    assert [(k, r["name"], r["phase"], r["parent"], r["depth"]) for k, r in got.items()] == [
        ("n1", "fit", "RUNNING", "", 0),  # started: its node execution's row, not the plan's
        ("n0", "load", "NOT_STARTED", "", 0),
        ("n2", "sub", "NOT_STARTED", "", 0),
        ("n2/n2-0-n0", "prep", "NOT_STARTED", "n2", 1),
    ]
    assert got["n2"]["has_children"]
    assert got["n2"]["kind"] == "subworkflow"
    assert (got["n0"]["label"], got["n0"]["color"], got["n0"]["terminal"]) == ("Not started", "not-started", False)
    assert tuple(got["n0"]) == ROW_FIELDS


@pytest.mark.parametrize(("size", "trimmed"), [(50, False), (97, True), (100, True), (101, False), (5000, False)])
def test_a_listed_error_is_flagged_cut_only_at_the_list_limit(size: int, trimmed: bool) -> None:
    # FlyteAdmin cuts list errors to 100 bytes (97-100 after backing off to a character boundary); a longer one
    # is a whole message the sync fetched (GetNodeExecution).
    w = node("n0", execution_pb2.NodeExecution.FAILED)
    w._proto.closure.error.CopyFrom(execution_pb2.ExecutionError(code="E", message="x" * size))
    assert build(execution(w))["n0"]["error"]["trimmed"] is trimmed


def failed_row(key: str, *, kind: str = "task", phase: str = "FAILED", at: str = "2026-01-01T00:00:10Z", **kw: Any):  # type: ignore[no-untyped-def]
    return {**empty_row(key, kw.pop("parent", ""), 0), "node_id": key.rsplit("/", 1)[-1], "name": f"t_{key}",
            "kind": kind, "phase": phase, "started_at": at, "duration_s": 1.0, **kw}  # fmt: skip


def error(message: str) -> Any:
    return {"kind": "USER", "code": "E", "message": message, "trimmed": False}


def test_failed_at_is_the_node_the_execution_error_names_down_to_its_own_failed_child() -> None:
    table = {
        r["key"]: r
        for r in [
            failed_row("n0", kind="gate", at="2026-01-01T00:00:01Z"),  # rejected, and earlier
            failed_row("n1", kind="subworkflow"),
            failed_row("n1/n1-0-n0", parent="n1", at="2026-01-01T00:00:08Z"),
            failed_row("n2", phase="SUCCEEDED"),
        ]
    }
    msg = "failed at Node[n1]. USER: E, caused by: failed at Node[n1-0-n0]. USER: E, caused by: boom"
    assert rows.failed_at(error(msg), table) == {"key": "n1/n1-0-n0", "name": "t_n1/n1-0-n0", "node_id": "n1-0-n0"}
    # Named at the parent only: still down to the failed child, where the error is.
    assert rows.failed_at(error("failed at Node[n1]. boom"), table)["key"] == "n1/n1-0-n0"  # type: ignore[index]
    # The message names a rejected gate, but a task failed too: that task is where to look.
    assert rows.failed_at(error("failed at Node[n0]. USER: E"), table)["key"] == "n1/n1-0-n0"  # type: ignore[index]
    only_gate = {"n0": table["n0"], "n2": table["n2"]}
    assert rows.failed_at(error("failed at Node[n0]. USER: E"), only_gate)["key"] == "n0"  # type: ignore[index]


def test_without_a_named_node_the_earliest_real_failure_not_a_gate_or_an_abort() -> None:
    table = {
        r["key"]: r
        for r in [
            failed_row("n0", kind="gate", at="2026-01-01T00:00:01Z"),
            failed_row("n1", phase="ABORTED", at="2026-01-01T00:00:02Z"),
            failed_row("n2", at="2026-01-01T00:00:09Z"),
            failed_row("n3", phase="TIMED_OUT", at="2026-01-01T00:00:05Z"),
            failed_row("n4[0]", kind="subtask", at="2026-01-01T00:00:00Z"),  # subtasks are the array row's
        ]
    }
    assert rows.failed_at(None, table)["key"] == "n3"  # type: ignore[index]
    assert rows.failed_at(error("OOMKilled"), table)["key"] == "n3"  # type: ignore[index]
    del table["n2"], table["n3"]
    assert rows.failed_at(None, table)["key"] == "n1"  # type: ignore[index]
    assert rows.failed_at(None, {"n5": failed_row("n5", phase="SUCCEEDED")}) is None


# ---- planned nodes and where it failed, below a retried parent -------------------------------------------------


def test_child_node_ids_are_predicted_as_propeller_names_them_hashed_past_20_characters() -> None:
    from flyteexec_widget.objects.templates import child_node_id
    from flyteexec_widget.sandbox.player import unique_node_id

    assert child_node_id("", 0, "n0") == "n0"
    assert child_node_id("n1", 2, "dn0") == "n1-2-dn0"
    for parent, attempt, spec in [
        ("", 0, "train_model_for_each_region"),
        ("feature_engineering_stage", 0, "normalize_numeric_columns"),
        ("n1-0-n1-0-n1", 1, "n0"),
        ("fxq3z5a2b", 0, "score_feature_quality"),
    ]:
        got = child_node_id(parent, attempt, spec)
        assert got == unique_node_id(parent or None, attempt, spec)
        assert len(got) <= 20


def test_planned_children_of_a_retried_parent_belong_to_its_latest_attempt_and_are_counted() -> None:
    from flyteexec_widget.live.model import ExecutionModel
    from flyteexec_widget.objects.templates import PlannedNode, child_node_id

    def child(node_id: str, spec: str, group: str, phase: int) -> FlyteNodeExecution:
        return node(node_id, phase, TemplateInfo("task", spec), spec_node_id=spec, retry_group=group)

    failed = execution_pb2.NodeExecution.FAILED
    parent = node("n1", RUNNING, TemplateInfo("subworkflow", "sub"), is_parent_node=True)
    parent._subworkflow_node_executions = {
        "n1-0-a": child("n1-0-a", "a", "0", execution_pb2.NodeExecution.SUCCEEDED),
        "n1-0-b": child("n1-0-b", "b", "0", failed),  # attempt 0 failed here, and was retried
        "n1-1-a": child("n1-1-a", "a", "1", RUNNING),
    }
    parent._fx_planned = (
        PlannedNode("a", "n1-0-a", TemplateInfo("task", "a")),
        PlannedNode("b", "n1-0-b", TemplateInfo("task", "b")),
    )
    ex = execution(parent)
    got = build(ex)
    # b has not started in attempt 1: a not-started row of attempt 1, with the id attempt 1 will give it
    assert {k: (r["phase"], r["retry_group"], r["superseded"]) for k, r in got.items()} == {
        "n1": ("RUNNING", None, False),
        "n1/n1-0-a": ("SUCCEEDED", 0, True),
        "n1/n1-0-b": ("FAILED", 0, True),
        "n1/n1-1-a": ("RUNNING", 1, False),
        "n1/n1-1-b": ("NOT_STARTED", 1, False),
    }
    assert got["n1/n1-1-b"]["node_id"] == child_node_id("n1", 1, "b")
    assert got["n1"]["attempt_groups"] == [0, 1]
    model = ExecutionModel(ex)
    assert model.counts == {"RUNNING": 2, "NOT_STARTED": 1}  # 0 of 3 nodes: attempt 0's rows are not counted
    # attempt 0's failure was retried: it is not where the execution failed
    assert rows.failed_at(error("failed at Node[n1-0-b]. USER: E"), got) is None


def test_failed_at_leaves_out_a_retried_parents_earlier_attempts() -> None:
    table = {
        r["key"]: r
        for r in [
            failed_row("n1", kind="dynamic"),
            failed_row("n1/n1-0-x", parent="n1", at="2026-01-01T00:00:01Z", superseded=True, retry_group=0),
            failed_row("n1/n1-1-x", parent="n1", at="2026-01-01T00:00:09Z", retry_group=1),
        ]
    }
    assert rows.failed_at(None, table)["key"] == "n1/n1-1-x"  # type: ignore[index]
    assert rows.failed_at(error("failed at Node[n1-0-x]. USER: E"), table)["key"] == "n1/n1-1-x"  # type: ignore[index]


def test_a_capped_error_is_not_flagged_cut_and_keeps_its_exception_line() -> None:
    from flyteexec_widget.display.render import exception_line

    w = node("n0", execution_pb2.NodeExecution.FAILED)
    frames = "".join(f'  File "/app/x.py", line {i}, in f\n    g()\n' for i in range(4000))
    message = "Traceback (most recent call last):\n" + frames + "ValueError: column 'price' has 1273 non-numeric values"
    w._proto.closure.error.CopyFrom(execution_pb2.ExecutionError(code="E", message=message))  # the sync's whole one
    err = build(execution(w))["n0"]["error"]
    assert (err["capped"], err["trimmed"]) == (True, False)  # "Show all" fetches the rest; nothing to re-fetch
    assert exception_line(err["message"]) == "ValueError: column 'price' has 1273 non-numeric values"
