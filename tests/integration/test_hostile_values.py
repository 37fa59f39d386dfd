"""One bad value from the server must not poison the view, over real gRPC.

- The sandbox, told by event RPCs what a newer propeller would say: a node and its execution FAILED with an
  ``ExecutionError.kind`` this flyteidl does not know. ``wait()`` returns, the rows are there, the kind reads
  "unknown (N)" (it raised in the row builder on every sync: ``wait()`` ran into its timeout).
- A FlyteAdmin answering with times out of Python's range (``tests/unit/_fake_admin.py``, a real gRPC server with
  scripted answers; real FlyteAdmin refuses such event times, a hostile or broken one may still send them): only
  that node's row says "invalid time", the others are intact, and the sync stays live across incremental syncs
  (an ``updated_at`` in year 10000 was the watermark of the next filtered listing, which failed every sync).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.admin import signal_pb2, workflow_pb2
from flyteidl.core import execution_pb2, identifier_pb2
from flyteidl.event import event_pb2
from google.protobuf import timestamp_pb2

from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.display.render import html_snapshot, text_tree
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.rows import MAX_NAME_CHARS
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox

from .. import hostile_admin as ha
from ..hostile_admin import HostileAdmin
from ..unit._fake_admin import FakeServer, node_execution, serve, wf_id

TASK_RUNNING = execution_pb2.TaskExecution.RUNNING

NEWER_ERROR_KIND = 7  # ExecutionError.ErrorKind has UNKNOWN=0, USER=1, SYSTEM=2
YEAR_10000 = 253_402_300_800


def _now(sb: Sandbox) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(sb.clock.now())
    return ts


def test_a_failed_execution_with_an_error_kind_this_flyteidl_does_not_know(sandbox: Sandbox, remote: Remote) -> None:
    wid = sandbox.launch("single-task")
    sandbox.advance(2)  # n0 runs; the player's next step (success) is never reached: the clock stays here
    stub = sandbox._stub()
    err = execution_pb2.ExecutionError(code="NEW:Kind", message="only a newer Flyte names it", kind=NEWER_ERROR_KIND)
    node_id = identifier_pb2.NodeExecutionIdentifier(node_id="n0", execution_id=wid)
    stub.CreateNodeEvent(
        admin_event_pb2.NodeExecutionEventRequest(
            request_id="newer-propeller-1",
            event=event_pb2.NodeExecutionEvent(
                id=node_id,
                producer_id="propeller",
                phase=execution_pb2.NodeExecution.FAILED,
                occurred_at=_now(sandbox),
                error=err,
            ),
        )
    )
    stub.CreateWorkflowEvent(
        admin_event_pb2.WorkflowExecutionEventRequest(
            request_id="newer-propeller-2",
            event=event_pb2.WorkflowExecutionEvent(
                execution_id=wid,
                producer_id="propeller",
                phase=execution_pb2.WorkflowExecution.FAILED,
                occurred_at=_now(sandbox),
                error=err,
            ),
        )
    )
    ex = remote.fetch_execution(wid.project, wid.domain, wid.name)
    assert ex.wait(timeout=20, show=False) is ex  # FlyteTimeout "last phase FAILED" before
    assert ex.closure.error.kind == NEWER_ERROR_KIND  # the wrapper keeps the number, as flytekit does
    model = ExecutionModel(ex)
    assert model.header["phase"] == "FAILED"
    assert model.header["error"]["kind"] == "unknown (7)"
    row = model.rows["n0"]
    assert (row["phase"], row["error"]["kind"], row["error"]["code"]) == ("FAILED", "unknown (7)", "NEW:Kind")
    assert "only a newer Flyte names it" in html_snapshot(model)


@pytest.fixture
def hostile() -> Iterator[FakeServer]:
    with serve() as server:
        yield server


def _running_execution(server: FakeServer) -> Any:
    wid = wf_id("badtimes")
    ex = server.admin.add_execution(wid)
    ex.closure.phase = execution_pb2.WorkflowExecution.RUNNING
    ex.closure.created_at.seconds = 1_800_000_000
    ex.closure.started_at.seconds = 1_800_000_001
    for i in range(3):
        n = node_execution(wid, f"n{i}", 1_800_000_010 + i)
        n.closure.phase = execution_pb2.NodeExecution.RUNNING
        n.closure.started_at.seconds = 1_800_000_020 + i
        n.closure.updated_at.seconds = 1_800_000_030 + i
        server.admin.node_executions.append(n)
    bad = server.admin.node_executions[1]
    bad.closure.created_at.seconds = YEAR_10000
    bad.closure.updated_at.seconds = YEAR_10000  # the sync's watermark candidate
    bad.closure.started_at.nanos = -5
    bad.closure.duration.seconds = 2**62
    return wid


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_times_out_of_range_say_invalid_time_in_their_row_only_and_the_sync_stays_live(hostile: FakeServer) -> None:
    wid = _running_execution(hostile)
    clock = Clock()
    sched = SyncScheduler(clock=clock, start_thread=False, retry=RetryPolicy(initial_backoff=1.0, jitter=0.0))
    remote = Remote(hostile.endpoint, insecure=True, rpc_timeout=5.0)
    try:
        ex = remote.fetch_execution(wid.project, wid.domain, wid.name)
        model = ExecutionModel()
        w = sched.watch(ex, model, poll_interval=1.0)
        for _ in range(4):  # the first listing is whole, the next ones filter on the updated_at watermark
            due = sched.run_pending(clock.now)
            assert model.sync_status["state"] == "live", model.sync_status
            assert due is not None
            clock.now = due
        listings = hostile.state.of("ListNodeExecutions")
        assert len(listings) >= 3
        filters = [c.request.filters for c in listings if c.request.filters]
        assert filters  # the incremental listings did filter, on a time that is not the year-10000 one
        assert all("9999" not in f and "10000" not in f for f in filters), filters

        assert set(model.rows) == {"n0", "n1", "n2"}
        bad = model.rows["n1"]
        assert bad["invalid_times"] == ["created_at", "started_at", "duration_s"]
        assert (bad["created_at"], bad["started_at"], bad["duration_s"], bad["phase"]) == (None, None, None, "RUNNING")
        for key in ("n0", "n2"):
            good = model.rows[key]
            assert good["invalid_times"] == []
            assert good["created_at"]
            assert good["started_at"]
        html = html_snapshot(model)
        bad_row = html[html.index('data-key="n1"') :].split("</tr>", 1)[0]
        assert "invalid time" in bad_row
        assert html.count("invalid time") == 2  # that row's Started and Duration cells, nothing else
        text = text_tree(model)
        assert [line for line in text.splitlines() if "invalid time" in line] == [
            line for line in text.splitlines() if line.lstrip("├└─│ ").startswith("n1")
        ]
        # the wrappers: repr works, the bad field raises a clear error, the others read
        node = ex.node_executions["n1"]
        assert "n1 RUNNING invalid duration" in repr(node)
        with pytest.raises(ValueError, match=r"NodeExecutionClosure.created_at: Timestamp\(seconds=253402300800"):
            _ = node.closure.created_at
        assert ex.node_executions["n0"].closure.created_at.year == 2027

        # the execution ends: the watch ends "done", not "error"
        hostile.admin.executions[wid.name].closure.phase = execution_pb2.WorkflowExecution.SUCCEEDED
        for n in hostile.admin.node_executions:
            n.closure.phase = execution_pb2.NodeExecution.SUCCEEDED
        for _ in range(3):
            if w.finished.is_set():
                break
            due = sched.run_pending(clock.now)
            clock.now = due if due is not None else clock.now + 1
        assert w.finished.is_set()
        assert model.sync_status["state"] == "done"
        assert {r["phase"] for r in model.rows.values()} == {"SUCCEEDED"}
    finally:
        sched.shutdown()
        remote.close()


class _Comm:
    comm_id = "huge-ids"
    kernel = "Truthy"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent: list[Any] = []

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        self.sent.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


MB = 1_000_000


def test_a_megabyte_of_id_is_cut_in_the_rows_their_keys_and_the_saved_html(
    hostile_admin: HostileAdmin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node id, a gate's name and signal id and a subtask's external id of 1 MB each went whole into the rows, so
    into widget state, its messages and the saved HTML. Now each is cut to rows.MAX_NAME_CHARS; two ids that share
    their first megabyte but one character still get two rows; approving the gate sends its whole signal id."""
    import comm

    from flyteexec_widget.display import requests_actions
    from flyteexec_widget.display.widget import ExecutionWidget

    monkeypatch.setattr(comm, "create_comm", lambda **kw: _Comm())
    big = "n" + "x" * MB
    ex = ha.execution("ex1")
    ex.closure.workflow_id.CopyFrom(
        identifier_pb2.Identifier(
            resource_type=identifier_pb2.WORKFLOW, project="flytesnacks", domain="development", name="wf", version="v1"
        )
    )
    gate = ha.node_execution("ex1", big + "a")
    gate.metadata.spec_node_id = "g"
    twin = ha.node_execution("ex1", big + "b")  # the same first megabyte
    twin.metadata.spec_node_id = "t"
    array = ha.node_execution("ex1", "arr")
    array.metadata.is_array = True
    attempt = ha.task_execution(array)
    attempt.closure.metadata.external_resources.add(external_id="e" * MB, index=0, phase=TASK_RUNNING)
    workflow = workflow_pb2.Workflow(id=ex.closure.workflow_id)
    node = workflow.closure.compiled_workflow.primary.template.nodes.add(id="g")
    node.metadata.name = "gate " + "y" * MB
    node.gate_node.approve.signal_id = "s" * MB
    hostile_admin.serve_execution(ex, nodes=[gate, twin, array], tasks=[attempt], workflow=workflow)
    hostile_admin.script("SetSignal", signal_pb2.SignalSetResponse())
    sched = SyncScheduler(start_thread=False)
    model = ExecutionModel()
    with Remote.for_sandbox(hostile_admin.endpoint) as remote:
        w = sched.watch(remote.fetch_execution("flytesnacks:development:ex1"), model)
        sched.run_pending()
        assert model.sync_status["state"] == "live", model.sync_status
        rows = list(model.rows.values())
        assert len(rows) == 4  # the gate, its twin, the array node and its subtask: no key clash
        assert len({r["key"] for r in rows}) == 4
        for r in rows:
            for field in ("key", "parent", "node_id", "name"):
                assert len(r[field]) <= 2 * MAX_NAME_CHARS, (field, len(r[field]))
        [gate_row] = [r for r in rows if r["kind"] == "gate"]
        assert gate_row["gate"] is not None
        assert len(gate_row["gate"]["signal_id"]) == MAX_NAME_CHARS
        assert gate_row["node_id"].endswith("…")
        [sub] = [r for r in rows if r["kind"] == "subtask"]
        assert sub["node_id"] == "e" * (MAX_NAME_CHARS - 1) + "…"
        state = json.dumps({"rows": rows, "header": model.header})
        assert len(state) < 20_000  # four rows: 3 MB before
        assert len(html_snapshot(model)) < 50_000
        assert len(text_tree(model)) < 20_000
        view = ExecutionWidget(model, execution=w.tree.execution, remote=remote, watch=w)
        try:
            view._on_msg(view, {"type": "snapshot", "view": "v1"}, [])  # a view asks for the rows
            sent = [json.dumps(m, default=str, ensure_ascii=False) for m in view.comm.sent]
            assert any(gate_row["key"] in m for m in sent)  # the rows went out
            assert sum(map(len, sent)) < 50_000  # what the browser gets, and the notebook saves
            assert requests_actions.approve(view, {"key": gate_row["key"]}) == {"message": "Approved"}
        finally:
            view.close()
    [set_signal] = hostile_admin.calls_of("SetSignal")
    assert set_signal.request.id.signal_id == "s" * MB  # the whole id, not the row's cut one
    assert set_signal.request.id.execution_id.name == "ex1"
    sched.shutdown()
