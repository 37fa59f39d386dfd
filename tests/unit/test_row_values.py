"""rows.py with what a newer or hostile FlyteAdmin sends: one bad value must not poison the view.

Enum values this flyteidl does not know read "unknown (N)"; a time out of Python's range leaves that field None
and named in the row's ``invalid_times`` (that row only); a row carries at most 50 log links per attempt and
64 KB of error text, with the rest counted and fetchable.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import catalog_pb2, execution_pb2, identifier_pb2, workflow_pb2

from flyteexec_widget.display.render import error_summary
from flyteexec_widget.live import rows
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.rows import (
    MAX_ERROR_BYTES,
    MAX_LOGS_PER_ATTEMPT,
    MAX_LOGS_PER_ROW,
    RowBuilder,
    all_logs,
    cap_text,
    header_of,
)
from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
from flyteexec_widget.objects.templates import TemplateInfo, unknown_kind

WF_ID = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="abc")
NODE = execution_pb2.NodeExecution
YEAR_10000 = 253_402_300_800


def execution(*nodes: FlyteNodeExecution, phase: int = execution_pb2.WorkflowExecution.RUNNING) -> Any:
    ex = FlyteWorkflowExecution(admin_execution_pb2.Execution(id=WF_ID))
    ex.to_flyte_idl().closure.phase = phase
    ex._node_executions = {n.id.node_id: n for n in nodes}
    return ex


def node(node_id: str, phase: int = NODE.SUCCEEDED, info: TemplateInfo | None = None) -> FlyteNodeExecution:
    proto = node_execution_pb2.NodeExecution()
    proto.id.execution_id.CopyFrom(WF_ID)
    proto.id.node_id = node_id
    c = proto.closure
    c.phase = phase
    c.created_at.seconds, c.started_at.seconds = 1_800_000_000, 1_800_000_002
    c.duration.seconds = 5
    w = FlyteNodeExecution(proto)
    w._template_info = info or TemplateInfo("task", node_id)
    return w


def attempt(retry: int, n_logs: int = 0, **closure: Any) -> FlyteTaskExecution:
    t = task_execution_pb2.TaskExecution()
    t.id.retry_attempt = retry
    for i in range(n_logs):
        t.closure.logs.add(name=f"log {i}", uri=f"https://logs.example.com/{retry}/{i}")
    for k, v in closure.items():
        getattr(t.closure, k).CopyFrom(v)
    return FlyteTaskExecution(t)


def build(ex: Any) -> dict[str, rows.Row]:
    return RowBuilder().build(ex)[0]


# ---------------------------------------------------------------------------------------------- unknown enums


def test_an_error_kind_this_flyteidl_does_not_know_reads_unknown_n() -> None:
    """A FAILED node and execution with ExecutionError.kind 7 (a newer server): this raised on every sync."""
    n = node("n0", NODE.FAILED)
    n.to_flyte_idl().closure.error.CopyFrom(execution_pb2.ExecutionError(code="NEW:Thing", message="boom", kind=7))
    ok = node("n1")
    ex = execution(n, ok, phase=execution_pb2.WorkflowExecution.FAILED)
    ex.to_flyte_idl().closure.error.CopyFrom(execution_pb2.ExecutionError(code="NEW", message="wf boom", kind=7))
    model = ExecutionModel(ex)
    assert model.rows["n0"]["error"] == {
        "kind": "unknown (7)",
        "code": "NEW:Thing",
        "message": "boom",
        "trimmed": False,
        "capped": False,
    }
    assert model.rows["n1"]["phase"] == "SUCCEEDED"
    assert model.header["error"]["kind"] == "unknown (7)"
    assert model.header["terminal"] is True  # so wait() returns


def test_a_failed_task_attempts_unknown_error_kind_reads_unknown_n() -> None:
    n = node("n0", NODE.FAILED)
    n._task_executions = [attempt(0, error=execution_pb2.ExecutionError(message="x", kind=99))]
    assert build(execution(n))["n0"]["error"]["kind"] == "unknown (99)"


def test_phases_and_cache_statuses_this_flyteidl_does_not_know_read_unknown_n() -> None:
    n = node("n0", phase=42)
    n.to_flyte_idl().closure.task_node_metadata.cache_status = 57
    arr = node("a0", info=TemplateInfo("array", "map_t"))
    arr.to_flyte_idl().metadata.is_array = True
    t = task_execution_pb2.TaskExecution()
    t.closure.metadata.external_resources.add(index=0, phase=77, cache_status=88)
    t.closure.metadata.external_resources.add(index=1, phase=execution_pb2.TaskExecution.SUCCEEDED)
    arr._task_executions = [FlyteTaskExecution(t)]
    ex = execution(n, arr, phase=31)
    model = ExecutionModel(ex)
    r = model.rows["n0"]
    assert (r["phase"], r["label"], r["color"], r["terminal"], r["cache"]) == (
        "unknown (42)",
        "unknown (42)",
        "undefined",
        False,
        "unknown (57)",
    )
    sub = model.rows["a0[0]"]
    assert (sub["phase"], sub["label"], sub["cache"]) == ("unknown (77)", "unknown (77)", "unknown (88)")
    assert model.rows["a0"]["subtasks"] == {"total": 2, "counts": {"unknown (77)": 1, "SUCCEEDED": 1}}
    assert (model.header["phase"], model.header["label"]) == ("unknown (31)", "unknown (31)")
    assert model.counts == {"unknown (42)": 1, "SUCCEEDED": 1}  # a0 (its subtasks count on its row, not here)


def test_a_template_node_of_a_type_this_flyteidl_does_not_know_is_unknown_n() -> None:
    """A newer flyteidl's node target is an unknown field (number 42 here) of the template Node."""
    newer = workflow_pb2.Node(id="n0")
    newer.MergeFromString(b"\xd2\x02\x00")  # field 42, length-delimited, empty: a target this flyteidl lacks
    assert newer.WhichOneof("target") is None
    assert unknown_kind(newer) == "unknown (42)"
    assert unknown_kind(workflow_pb2.Node(id="n1")) == "unknown"


# ---------------------------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("field", "seconds", "nanos", "invalid"),
    [
        ("created_at", YEAR_10000, 0, ["created_at"]),
        ("created_at", -62_135_596_801, 0, ["created_at"]),  # before year 1
        ("started_at", 1_800_000_002, -5, ["started_at"]),  # negative nanos
        ("started_at", 2**62, 0, ["started_at"]),
        ("duration", 2**62, 0, ["duration_s"]),  # past 10,000 years: protobuf's ToTimedelta overflows
        ("duration", 5, 1_000_000_000, ["duration_s"]),
    ],
)
def test_a_time_out_of_range_says_so_in_that_row_only(field: str, seconds: int, nanos: int, invalid: list[str]) -> None:
    bad, good = node("n0"), node("n1")
    ts = getattr(bad.to_flyte_idl().closure, field)
    ts.seconds, ts.nanos = seconds, nanos
    model = ExecutionModel(execution(bad, good))  # raised (every sync: state "error", all rows gone)
    r = model.rows["n0"]
    assert r["invalid_times"] == invalid
    assert r[field if field != "duration" else "duration_s"] is None
    if field in ("created_at", "started_at"):
        assert r["queued_s"] is None  # nothing to subtract
    assert r["phase"] == "SUCCEEDED"  # the rest of the row stands
    assert model.rows["n1"] == {**build(execution(good))["n1"]}
    assert model.rows["n1"]["invalid_times"] == []
    assert (model.rows["n1"]["created_at"], model.rows["n1"]["duration_s"]) == ("2027-01-15T08:00:00.000Z", 5.0)
    json.dumps(dict(model.rows))  # plain JSON


def test_times_out_of_range_in_the_header_say_so() -> None:
    ex = execution(node("n0"), phase=execution_pb2.WorkflowExecution.SUCCEEDED)
    c = ex.to_flyte_idl().closure
    c.created_at.seconds = YEAR_10000
    c.started_at.seconds = 1_800_000_000
    c.duration.seconds = -(2**62)
    h = header_of(ex)
    assert (h["created_at"], h["started_at"], h["duration_s"]) == (None, "2027-01-15T08:00:00.000Z", None)
    assert h["invalid_times"] == ["created_at", "duration_s"]


# ---------------------------------------------------------------------------------------------- unreadable nodes


def test_a_node_whose_row_cannot_be_built_shows_the_error_and_the_others_stay(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = rows._node_fields

    def fragile(proto: Any, tasks: Any, info: Any, own: Any = None) -> Any:
        if proto.id.node_id == "n0":
            raise RuntimeError("a value nobody foresaw")
        return real(proto, tasks, info, own)

    monkeypatch.setattr(rows, "_node_fields", fragile)
    built = build(execution(node("n0", NODE.FAILED), node("n1")))
    assert built["n1"]["phase"] == "SUCCEEDED"
    assert built["n1"]["error"] is None
    bad = built["n0"]
    assert (bad["node_id"], bad["name"], bad["phase"], bad["label"]) == ("n0", "n0", "FAILED", "Failed")
    assert bad["error"] is not None
    assert bad["error"]["message"] == "flyteexec-widget could not read this node: RuntimeError: a value nobody foresaw"
    assert "could not be built" in caplog.text  # logged with its traceback, not swallowed


# ---------------------------------------------------------------------------------------------- sizes


def test_ten_thousand_log_links_become_fifty_and_a_count() -> None:
    """10,000 links froze the tab for seconds and made a 2.6 MB saved notebook output."""
    n = node("n0")
    n._task_executions = [attempt(0, 10_000)]
    r = build(execution(n))["n0"]
    assert len(r["logs"]) == MAX_LOGS_PER_ATTEMPT == 50
    assert r["logs"][0] == {"name": "log 0", "uri": "https://logs.example.com/0/0", "attempt": 0}
    assert r["logs_omitted"] == 9_950
    assert len(json.dumps(r)) < 10_000
    full = all_logs(r, n)
    assert len(full) == 10_000
    assert full[-1]["uri"] == "https://logs.example.com/0/9999"


def test_log_links_are_capped_per_attempt_and_per_row_keeping_the_latest_attempts() -> None:
    n = node("n0")
    n._task_executions = [attempt(i, 60) for i in range(6)]  # 360 links
    r = build(execution(n))["n0"]
    per_attempt: dict[int, int] = {}
    for link in r["logs"]:
        per_attempt[link["attempt"]] = per_attempt.get(link["attempt"], 0) + 1
    assert per_attempt == {2: 50, 3: 50, 4: 50, 5: 50}  # the latest attempts, in attempt order
    assert [link["attempt"] for link in r["logs"]] == sorted(link["attempt"] for link in r["logs"])
    assert len(r["logs"]) == MAX_LOGS_PER_ROW
    assert r["logs_omitted"] == 360 - MAX_LOGS_PER_ROW
    assert len(all_logs(r, n)) == 360
    few = node("n1")
    few._task_executions = [attempt(0, 2), attempt(1, 3)]
    assert build(execution(few))["n1"]["logs_omitted"] == 0


def test_a_huge_log_name_is_cut_and_a_huge_log_url_is_left_to_the_full_list() -> None:
    n = node("n0")
    t = task_execution_pb2.TaskExecution()
    t.closure.logs.add(name="x" * 1_000_000, uri="https://logs.example.com/a")
    t.closure.logs.add(name="long", uri="https://logs.example.com/" + "y" * 1_000_000)
    t.closure.logs.add(name="script", uri="javascript:alert(1)")
    n._task_executions = [FlyteTaskExecution(t)]
    r = build(execution(n))["n0"]
    assert [(len(link["name"]), link["uri"]) for link in r["logs"]] == [(200, "https://logs.example.com/a")]
    assert r["logs"][0]["name"].endswith("…")
    assert r["logs_omitted"] == 1  # the long one; the javascript: link is dropped everywhere
    assert [link["name"] for link in all_logs(r, n)] == ["x" * 1_000_000, "long"]


def test_array_subtask_rows_cap_their_logs_and_all_logs_gives_their_own() -> None:
    arr = node("a0", NODE.RUNNING, info=TemplateInfo("array", "map_t"))
    arr.to_flyte_idl().metadata.is_array = True
    t = task_execution_pb2.TaskExecution()
    for index in range(2):
        res = t.closure.metadata.external_resources.add(index=index, phase=execution_pb2.TaskExecution.RUNNING)
        for i in range(70 + index):
            res.logs.add(name=f"s{index}-{i}", uri=f"https://logs.example.com/{index}/{i}")
    arr._task_executions = [FlyteTaskExecution(t)]
    built, nodes = RowBuilder().build(execution(arr))
    assert (len(built["a0[0]"]["logs"]), built["a0[0]"]["logs_omitted"]) == (50, 20)
    assert (len(built["a0[1]"]["logs"]), built["a0[1]"]["logs_omitted"]) == (50, 21)
    assert nodes["a0[1]"] is arr  # an array subtask row's wrapper is its array node's
    sub_logs = all_logs(built["a0[1]"], arr)
    assert len(sub_logs) == 71
    assert {link["name"][:3] for link in sub_logs} == {"s1-"}
    assert all_logs(built["a0"], arr) == []  # the array node's own attempts carry no logs here


def test_a_huge_error_is_cut_to_64_kb_and_flagged() -> None:
    """A 1 MB error went whole into widget state and the saved notebook."""
    n = node("n0", NODE.FAILED)
    message = "Traceback (most recent call last):\n" + "  é\n" * 300_000 + "ValueError: boom"  # 1.5 MB
    n.to_flyte_idl().closure.error.CopyFrom(execution_pb2.ExecutionError(code="C" * 10_000, message=message, kind=1))
    ex = execution(n, phase=execution_pb2.WorkflowExecution.FAILED)
    ex.to_flyte_idl().closure.error.CopyFrom(execution_pb2.ExecutionError(message=message))
    model = ExecutionModel(ex)
    err = model.rows["n0"]["error"]
    assert err is not None
    assert err["capped"] is True
    assert err["trimmed"] is False
    kept = err["message"].encode()
    assert MAX_ERROR_BYTES - 4 <= len(kept) <= MAX_ERROR_BYTES
    head, _, tail = err["message"].partition("\n  … ")
    assert message.startswith(head)
    assert len(head) > MAX_ERROR_BYTES // 2
    assert tail.startswith(f"{len(message.encode()) - MAX_ERROR_BYTES:,} more bytes not shown …\n")
    assert message.endswith(tail.split("…\n", 1)[1])
    # the exception line at the end survives the cut: the row's summary is still the useful line
    assert error_summary(err["message"]) == "ValueError: boom"
    assert len(err["code"]) == 256
    assert model.header["error"]["capped"] is True
    assert len(json.dumps(model.header, ensure_ascii=False)) < 2 * MAX_ERROR_BYTES  # was the whole 1.5 MB


def test_a_huge_abort_cause_is_cut_too() -> None:
    ex = execution(phase=execution_pb2.WorkflowExecution.ABORTED)
    ex.to_flyte_idl().closure.abort_metadata.cause = "c" * 200_000
    err = header_of(ex)["error"]
    assert err is not None
    assert (err["capped"], err["kind"]) == (True, "ABORTED")
    assert MAX_ERROR_BYTES - 4 <= len(err["message"]) <= MAX_ERROR_BYTES


def test_cap_text_keeps_head_and_tail_and_cuts_at_character_boundaries() -> None:
    assert cap_text("abc", 2) == ("ab", True)  # no room for the note: a plain cut
    assert cap_text("ab", 2) == ("ab", False)
    assert cap_text("€€", 4) == ("€", True)  # 3 bytes each: the second does not fit
    assert cap_text("x" * 100) == ("x" * 100, False)
    text, cut = cap_text("€" * 1000, 800)  # 3,000 bytes
    assert cut
    assert text == "€" * 220 + "\n  … 2,200 more bytes not shown …\n" + "€" * 33
    assert len(text.encode()) <= 800


def test_a_cache_status_row_field_still_reads_known_values() -> None:
    n = node("n0")
    n.to_flyte_idl().closure.task_node_metadata.cache_status = catalog_pb2.CACHE_HIT
    assert build(execution(n))["n0"]["cache"] == "hit"


# ---------------------------------------------------------------------------------------------- huge ids and names


def test_huge_header_names_are_cut() -> None:
    big = "z" * 1_000_000
    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project=big, domain=big, name=big)
    )
    proto.closure.workflow_id.name = big
    header = header_of(FlyteWorkflowExecution(proto))
    for field in ("project", "domain", "name", "workflow"):
        assert header[field] == "z" * (rows.MAX_NAME_CHARS - 1) + "…", field


def test_a_cut_key_stays_unique_and_stable_and_a_child_keeps_its_parent_s() -> None:
    """Row keys are built from node ids: a cut id gets a hash of the whole, so ids sharing a long beginning (or a
    short id that looks like a cut one) never share a row, and the same id gives the same key every sync."""
    long_a, long_b = "a" * 5000 + "1", "a" * 5000 + "2"
    looks_cut = "a" * (rows.MAX_NAME_CHARS - 18) + "…#0000000000000000"  # as long as a cut key part
    child = node("c")
    parent = node(long_a, info=TemplateInfo("subworkflow", "sub"))
    parent._subworkflow_node_executions = {"c": child}
    built = build(execution(parent, node(long_b), node(looks_cut)))
    assert len(built) == 4
    keys = list(built)
    assert all(len(k) <= 2 * rows.MAX_NAME_CHARS for k in keys)
    parent_key = keys[0]
    assert built[f"{parent_key}/c"]["parent"] == parent_key
    assert list(build(execution(parent, node(long_b), node(looks_cut)))) == keys  # stable across builds
