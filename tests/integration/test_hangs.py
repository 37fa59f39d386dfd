"""No hang on a FlyteAdmin that accepts calls and never answers, and recovery after a long burst of server errors:
our client, scheduler, wait() and widget over real gRPC against the hostile FlyteAdmin (``tests/hostile_admin.py``).

The time bounds are the implementation's own constants (``FINAL_SYNC_S``, ``STOP_GRACE_S``, a call's budget) plus a
margin a loaded 2-core machine cannot miss (:data:`MARGIN_S`): behavioural bounds (the defects took 150 to 305 s),
not speed measurements. Each is tried with each call of a sync hanging in turn: ``GetExecution``,
``ListNodeExecutions``, ``ListTaskExecutions``.
"""

from __future__ import annotations

import logging
import os
import pathlib
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import node_execution_pb2, task_execution_pb2, workflow_pb2
from flyteidl.core import identifier_pb2

from flyteexec_widget.admin.errors import DeadlineExceededError, FlyteTimeout
from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.display import waiting
from flyteexec_widget.display.render import text_tree
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import STOP_GRACE_S, SyncScheduler
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.remote import Remote
from tests.hostile_admin import HANG, Hang, HostileAdmin, Status, execution, node_execution, task_execution

SUCCEEDED = 4  # WorkflowExecution.SUCCEEDED

#: What a loaded 2-core machine may add to the implementation's own bound before a test calls it a hang.
MARGIN_S = 5.0
#: stop() waits STOP_GRACE_S for the sync in flight, then as long again for the sync thread to go idle.
STOP_BOUND_S = 2 * STOP_GRACE_S + 3

#: Each call a sync makes, in order: the one that hangs (after the fetch, which GetExecution answers once).
SYNC_CALLS = ["GetExecution", "ListNodeExecutions", "ListTaskExecutions"]


def serve_with_hang(hostile_admin: HostileAdmin, method: str, then: Any = None) -> None:
    """An execution with one task node and its attempt, every call of ``method`` hanging after the fetch (until
    released: then it answers ``then``, by default UNAVAILABLE)."""
    n0 = node_execution("ex1", "n0")
    hostile_admin.serve_execution(execution("ex1"), nodes=[n0], tasks=[task_execution(n0)])
    hang = Hang() if then is None else Hang(then=then)
    if method == "GetExecution":
        hostile_admin.script("GetExecution", execution("ex1"), hang)  # the fetch is answered
    else:
        hostile_admin.script(method, hang)


def calls_before_the_hang(method: str) -> int:
    """How many calls of ``method`` have arrived once a watch's sync is stuck in one (the fetch called GetExecution
    once already)."""
    return 2 if method == "GetExecution" else 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def remote(hostile_admin: HostileAdmin) -> Iterator[Remote]:
    """Our client with its defaults (rpc_timeout 30 s, five attempts, a 60 s budget per call)."""
    with Remote.for_sandbox(hostile_admin.endpoint) as r:
        yield r


def fetch(remote: Remote) -> FlyteWorkflowExecution:
    return remote.fetch_execution("flytesnacks:development:ex1")


@pytest.mark.parametrize("method", SYNC_CALLS)
def test_wait_times_out_on_time_when_the_server_never_answers(
    hostile_admin: HostileAdmin, remote: Remote, method: str
) -> None:
    """wait(timeout=1) against a silent server returned after ~305 s; now within the timeout, the last sync's wait
    (FINAL_SYNC_S) and a margin, whichever call of the sync hangs."""
    serve_with_hang(hostile_admin, method)
    ex = fetch(remote)
    sched = SyncScheduler()
    start = time.monotonic()
    try:
        with pytest.raises(FlyteTimeout) as info:
            waiting.wait(ex, timeout=1, show=False, scheduler=sched)
        took = time.monotonic() - start
    finally:
        sched.shutdown()
    assert took < 1 + waiting.FINAL_SYNC_S + MARGIN_S
    assert str(info.value).startswith(
        "Execution flytesnacks:development:ex1 did not complete within 0:00:01: last phase RUNNING; "
        "the server did not answer (its last call has waited "
    )
    assert hostile_admin.calls_of(method)[-1].time_remaining is not None  # the stuck call had a deadline


LATE_ANSWERS = {
    "GetExecution": execution("ex1", phase=SUCCEEDED),
    "ListNodeExecutions": node_execution_pb2.NodeExecutionList(node_executions=[node_execution("ex1", "late")]),
    "ListTaskExecutions": task_execution_pb2.TaskExecutionList(),
}


@pytest.mark.parametrize("method", SYNC_CALLS)
def test_stop_returns_at_once_and_the_stuck_call_ends_on_its_own(
    hostile_admin: HostileAdmin, remote: Remote, method: str
) -> None:
    """Watch.stop() took ~150 s (it joined the stuck sync); now it leaves the sync to end on its own thread, and
    when that sync gets its answer at last (a SUCCEEDED execution, a new node) nothing reaches the stopped model.
    (A hang in ListTaskExecutions comes after the first paint: the rows painted before it stay as they were.)"""
    serve_with_hang(hostile_admin, method, then=LATE_ANSWERS[method])
    ex = fetch(remote)
    sched = SyncScheduler()
    model = ExecutionModel()
    w = sched.watch(ex, model)
    hostile_admin.wait_for_call(method, calls_before_the_hang(method))  # the sync is inside its call now
    start = time.monotonic()
    w.stop()
    assert time.monotonic() - start < STOP_BOUND_S
    assert model.sync_status["state"] == "stopped"
    assert w.in_flight_for is not None  # the call is still waiting
    painted = (dict(model.header), dict(model.rows))
    if method != "ListTaskExecutions":
        assert painted == ({}, {})  # nothing is painted before the execution and its nodes are listed
    hostile_admin.release()
    assert w._wait_settled(60)
    assert model.sync_status["state"] == "stopped"
    assert (model.header, model.rows) == painted  # the late answer was not written


class _Comm:
    comm_id = "hang-test"
    kernel = "Truthy"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.mark.parametrize("method", SYNC_CALLS)
def test_closing_the_widget_returns_at_once_while_a_sync_is_stuck(
    hostile_admin: HostileAdmin, remote: Remote, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """widget.close() runs stop() on the kernel's main thread: it must not freeze the notebook either."""
    import comm

    from flyteexec_widget.display.widget import ExecutionWidget

    monkeypatch.setattr(comm, "create_comm", lambda **kw: _Comm())
    serve_with_hang(hostile_admin, method)
    ex = fetch(remote)
    sched = SyncScheduler()
    model = ExecutionModel(ex)
    w = sched.watch(ex, model)
    view = ExecutionWidget(model, execution=ex, remote=remote, watch=w)
    hostile_admin.wait_for_call(method, calls_before_the_hang(method))
    start = time.monotonic()
    view.close()
    assert time.monotonic() - start < STOP_BOUND_S
    assert not w.active
    assert model.sync_status["state"] == "stopped"
    sched.shutdown()


TERMINAL_WAIT = """
import sys
from flyteexec_widget.remote import Remote
remote = Remote.for_sandbox(sys.argv[1])
ex = remote.fetch_execution("flytesnacks:development:ex1")
print("WAITING", flush=True)
ex.wait(timeout=600, show=False)
"""


def test_ctrl_c_in_a_terminal_ends_the_script_at_once_while_a_call_hangs(hostile_admin: HostileAdmin) -> None:
    """Ctrl-C raised KeyboardInterrupt at once, but the script then stayed alive until the stuck call ran out of
    time: its pool threads were joined at exit. (In a kernel: the next test.)"""
    hostile_admin.script("GetExecution", execution("ex1"), HANG)
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen(
        [sys.executable, "-c", TERMINAL_WAIT, hostile_admin.endpoint],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # A terminal's Ctrl-C: the script must get SIGINT as a terminal would deliver it, also when this suite
        # runs as a background job (a non-interactive shell starts those with SIGINT ignored, which a child
        # inherits and Python then keeps: it would never see the Ctrl-C).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        if first != "WAITING\n":  # the script ended before waiting: say why (its stderr), not just that it did
            proc.kill()
            out, err = proc.communicate()
            calls = [c.method for c in hostile_admin.calls]
            raise AssertionError(f"the script did not start waiting: stdout {first + out!r}, calls {calls}\n{err}")
        hostile_admin.wait_for_call("GetExecution", 2)  # the sync is stuck in its call (30 s deadline, 60 s budget)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=25)
        took = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "KeyboardInterrupt" in err
    assert proc.returncode != 0
    assert took < STOP_BOUND_S + MARGIN_S  # the interrupt, the watch's stop and the interpreter's exit


KERNEL_SETUP = """
from flyteexec_widget.remote import Remote
remote = Remote.for_sandbox({endpoint!r})
ex = remote.fetch_execution("flytesnacks:development:ex1")
print("READY", flush=True)
"""


#: A cell of the kernel test: ``code`` whose KeyboardInterrupt notes when it arrived (the kernel's monotonic clock,
#: which on Linux is the test's too) in ``name``, then goes on as usual (the traceback shown, the cell failed).
INTERRUPTIBLE = """
import time as _time
try:
    {code}
except KeyboardInterrupt:
    {name} = _time.monotonic()
    raise
"""


def test_ctrl_c_in_a_kernel_interrupts_a_wait_and_a_call_that_hang() -> None:
    """In a real ipykernel, against the hostile FlyteAdmin: a cell blocked in wait() while the sync's call hangs,
    then a cell blocked in the hanging call itself (fetch_execution on the kernel's main thread, a 30 s deadline and
    a 60 s budget): a kernel interrupt raises KeyboardInterrupt in the cell promptly each time, the cell fails with
    it, and the kernel runs the next cell, with no watch left.

    The bound is on when the KeyboardInterrupt had come out of our code (noted by the cell itself, after wait()
    stopped its watch), not on when the error message arrived: after that, IPython renders the traceback (reading
    and parsing the source of every frame) and the kernel's IOPub thread delivers it, which took up to 5 s under a
    load of 15-20 on a 2-core machine while the KeyboardInterrupt itself came within 0.03 s; under a heavier load
    that delivery alone passes the bound. The cell's outcome is read from its execute_reply (the shell channel)."""
    import queue

    from jupyter_client.manager import start_new_kernel

    # Its own server, stopped only after the kernel: a hung call ends when its server stops, which must not be
    # what ends it here.
    with HostileAdmin() as server:
        server.script("GetExecution", execution("ex1"), HANG)  # the fetch is answered, every later call hangs
        env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).resolve().parents[2]))
        km, kc = start_new_kernel(kernel_name="python3", env=env)
        try:

            def reply_to(msg_id: str, timeout: float) -> dict[str, Any]:
                """The execute_reply of request ``msg_id`` (earlier replies are skipped)."""
                while True:
                    try:
                        msg = kc.get_shell_msg(timeout=timeout)
                    except queue.Empty:
                        raise AssertionError(f"no reply from the kernel {timeout:g} s after the interrupt") from None
                    if msg["parent_header"].get("msg_id") == msg_id:
                        return dict(msg["content"])

            def run(code: str, marker: str) -> str:
                """Run a cell; return the line it printed starting with ``marker`` (other cells' output skipped)."""
                msg_id = kc.execute(code, stop_on_error=False)  # after an interrupt the kernel must take requests
                while True:
                    msg = kc.get_iopub_msg(timeout=90)
                    if msg["parent_header"].get("msg_id") != msg_id:
                        continue
                    if msg["msg_type"] == "error":
                        raise AssertionError("\n".join(msg["content"]["traceback"]))
                    if msg["msg_type"] == "stream" and marker in msg["content"]["text"]:
                        return next(ln for ln in msg["content"]["text"].splitlines() if ln.startswith(marker))

            def interrupt(code: str, name: str, calls: int) -> float:
                """Run ``code`` in a cell, wait until the server holds call number ``calls`` of GetExecution,
                interrupt the kernel; check the cell failed with KeyboardInterrupt; return when it was sent."""
                msg_id = kc.execute(INTERRUPTIBLE.format(code=code, name=name), stop_on_error=False)
                server.wait_for_call("GetExecution", calls, timeout=60)
                sent = time.monotonic()
                km.interrupt_kernel()
                reply = reply_to(msg_id, timeout=60)
                assert (reply["status"], reply.get("ename")) == ("error", "KeyboardInterrupt")
                return sent

            run(KERNEL_SETUP.format(endpoint=server.endpoint), "READY")
            wait_sent = interrupt("ex.wait(timeout=600)", "_ki_wait", 2)  # the fetch, then the watch's sync: stuck
            # the cell's own call: stuck on the kernel's main thread
            call_sent = interrupt('remote.fetch_execution("flytesnacks:development:ex1")', "_ki_call", 3)
            marker = uuid.uuid4().hex
            after = run(
                "from flyteexec_widget.live.scheduler import default_scheduler\n"
                f'print("{marker}", _ki_wait, _ki_call, default_scheduler().watches, flush=True)',
                marker,
            )
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    _, wait_at, call_at, watches = after.split(" ", 3)
    assert float(wait_at) - wait_sent < STOP_BOUND_S + MARGIN_S
    assert float(call_at) - call_sent < STOP_BOUND_S + MARGIN_S  # not the call's 30 s deadline
    assert watches == "[]"  # the interrupted wait() left no watch behind


# ---------------------------------------------------------------------------------------- a user's own calls

#: A small budget for the user's own calls (the default is two 30 s deadlines: the same bound, slower to show).
SHORT = {"rpc_timeout": 1.0, "retry": RetryPolicy(total_timeout=2.0)}


def test_fetch_execution_on_a_silent_server_ends_within_its_budget(hostile_admin: HostileAdmin) -> None:
    hostile_admin.script("GetExecution", HANG)
    with Remote.for_sandbox(hostile_admin.endpoint, **SHORT) as r:
        start = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="GetExecution flytesnacks:development:ex1: no answer"):
            fetch(r)
        took = time.monotonic() - start
    assert took < 2.0 + MARGIN_S
    assert 1 <= len(hostile_admin.calls_of("GetExecution")) <= 2  # the budget holds two 1 s deadlines at most


@pytest.mark.parametrize("method", SYNC_CALLS)
def test_a_synchronous_sync_ends_within_the_budget_of_the_call_that_hangs(
    hostile_admin: HostileAdmin, method: str
) -> None:
    """execution.sync() on the user's thread: the stuck call gives up at its budget, and the error names it."""
    serve_with_hang(hostile_admin, method)
    with Remote.for_sandbox(hostile_admin.endpoint, **SHORT) as r:
        ex = fetch(r)
        start = time.monotonic()
        with pytest.raises(DeadlineExceededError, match=method):
            ex.sync()
        took = time.monotonic() - start
    assert took < 2.0 + MARGIN_S  # one call's budget: the calls before the hanging one are answered at once


@pytest.mark.parametrize(
    ("code", "server_error"),
    [
        (grpc.StatusCode.INTERNAL, "INTERNAL: database is down"),
        (grpc.StatusCode.UNKNOWN, "UNKNOWN: database is down"),
        (grpc.StatusCode.CANCELLED, None),  # what calls in flight get when the server restarts: transient
    ],
)
def test_back_to_live_within_one_interval_after_a_long_burst_of_errors(
    hostile_admin: HostileAdmin,
    caplog: pytest.LogCaptureFixture,
    code: grpc.StatusCode,
    server_error: str | None,
) -> None:
    """A burst of 15 failed syncs (the backoff alone would be 30 s by then; the watch showed "error" long after the
    server was back): the watch reconnects, says why, prints nothing, and is live at its next sync once the server
    answers, within its longest interval."""
    hostile_admin.serve_execution(execution("ex1"), nodes=[node_execution("ex1", "n0")])
    clock = Clock()
    sched = SyncScheduler(clock=clock, start_thread=False)  # default intervals (1 to 15 s) and backoff
    model = ExecutionModel()
    with Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=10.0, sleep=lambda s: None) as remote:
        w = sched.watch(fetch(remote), model)
        sched.run_pending()
        assert model.sync_status["state"] == "live"
        hostile_admin.script("GetExecution", Status(code, "database is down\n  at db.go:12"))
        with caplog.at_level(logging.INFO, logger="flyteexec_widget"):
            for _ in range(15):
                clock.now = w.due
                sched.run_pending()
        status = model.sync_status
        assert (status["state"], status["attempt"], status["server_error"]) == ("reconnecting", 15, server_error)
        assert "database is down" in status["last_error"]
        [line] = [ln for ln in text_tree(model).splitlines() if ln.startswith("reconnecting")]
        expected = f"reconnecting (server error: {server_error}; " if server_error else "reconnecting (attempt 15"
        assert line.startswith(expected)
        # shown in the status, printed into no cell: nothing at WARNING or above (logging's last resort prints that)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
        assert w.due - clock.now <= sched.max_interval
        hostile_admin.serve_execution(execution("ex1"), nodes=[node_execution("ex1", "n0")])  # answering again
        clock.now = w.due
        sched.run_pending()
        assert model.sync_status["state"] == "live"
        assert model.sync_status["server_error"] is None
        assert list(model.rows) == ["n0"]
    sched.shutdown()


def test_a_burst_of_server_errors_does_not_degrade_the_watch_for_good(
    hostile_admin: HostileAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    """Failing GetWorkflow and filtered listings during an outage used to be taken as final answers: node kinds
    inferred for ever (with a warning printed into the running cell), and whole listings for ever. Now the sync is
    retried, and after the outage the workflow is fetched and listings are filtered again."""
    ex = execution("ex1")
    ex.closure.workflow_id.CopyFrom(
        identifier_pb2.Identifier(
            resource_type=identifier_pb2.WORKFLOW, project="flytesnacks", domain="development", name="wf", version="v1"
        )
    )
    node = node_execution("ex1", "n0")
    hostile_admin.serve_execution(ex, nodes=[node], workflow=workflow_pb2.Workflow(id=ex.closure.workflow_id))
    hostile_admin.script("GetWorkflow", Status(grpc.StatusCode.INTERNAL, "database is down"))
    clock = Clock()
    sched = SyncScheduler(clock=clock, start_thread=False)
    model = ExecutionModel()
    with Remote.for_sandbox(hostile_admin.endpoint, rpc_timeout=10.0, sleep=lambda s: None) as remote:
        w = sched.watch(fetch(remote), model)
        with caplog.at_level(logging.INFO, logger="flyteexec_widget"):
            sched.run_pending()
            assert model.sync_status["server_error"] == "INTERNAL: database is down"
            hostile_admin.script("GetWorkflow", workflow_pb2.Workflow(id=ex.closure.workflow_id))
            clock.now = w.due
            sched.run_pending()
            assert model.sync_status["state"] == "live"
            assert len(hostile_admin.calls_of("GetWorkflow")) == 2  # asked again, not cached as missing
            # the outage hits the listings, filtered (now that the first one set a watermark) and whole alike
            hostile_admin.script("ListNodeExecutions", Status(grpc.StatusCode.INTERNAL, "database is down"))
            clock.now = w.due
            sched.run_pending()
            assert model.sync_status["state"] == "reconnecting"
            hostile_admin.serve_execution(ex, nodes=[node], workflow=workflow_pb2.Workflow(id=ex.closure.workflow_id))
            clock.now = w.due
            sched.run_pending()
            assert model.sync_status["state"] == "live"
        assert hostile_admin.calls_of("ListNodeExecutions")[-1].request.filters.startswith("gte(")
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    sched.shutdown()
