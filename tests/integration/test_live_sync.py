"""The live monitor over real gRPC: scheduler + tree + model against the sandbox (stepped clock, no sleeps).

Reconnecting after injected failures and a server restart, a permanent NOT_FOUND, many watches without leaked
threads, and wait() (timeout text, returning at a terminal phase while another thread moves sandbox time).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import identifier_pb2

from flyteexec_widget.admin.client import NO_RETRY
from flyteexec_widget.admin.errors import FlyteTimeout
from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.display import waiting
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.objects.phases import NodePhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox

FAST_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 200),
]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def no_retry_remote(sandbox: Sandbox) -> Iterator[Remote]:
    """A client that does not retry by itself, so the scheduler sees every failure."""
    r = Remote(sandbox.endpoint, insecure=True, rpc_timeout=10.0, retry=NO_RETRY, channel_options=FAST_RECONNECT)
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sched(clock: Clock) -> Iterator[SyncScheduler]:
    s = SyncScheduler(
        clock=clock, start_thread=False, retry=RetryPolicy(initial_backoff=1.0, max_backoff=8.0, jitter=0.0)
    )
    yield s
    s.shutdown()


def fetch(remote: Remote, wf_id: Any) -> FlyteWorkflowExecution:
    return remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)


def row_phases(model: ExecutionModel) -> dict[str, str]:
    """node id -> phase name of every node row of the execution itself that has started (not subtasks, not child
    executions, not the planned nodes that have not started yet)."""
    return {
        r["node_id"]: r["phase"]
        for k, r in model.rows.items()
        if r["kind"] != "subtask" and ">" not in k and r["phase"] != "NOT_STARTED"
    }


def truth_phases(sb: Sandbox, wf_id: Any) -> dict[str, str]:
    with sb.store.lock:
        hidden = {
            r.proto.id.node_id
            for r in sb.store.all_nodes(wf_id)
            if r.proto.metadata.spec_node_id in ("start-node", "end-node")
            or r.proto.id.node_id in ("start-node", "end-node")
        }
    return {k: NodePhase(v).name for k, v in sb.truth(wf_id).items() if k not in hidden}


def fresh_rows(remote: Remote, wf_id: Any) -> dict[str, dict[str, Any]]:
    """The rows a brand-new full sync gives: what an incremental one must end up equal to."""
    ex = fetch(remote, wf_id)
    TreeSync(remote, ex).refresh()
    return comparable(ExecutionModel(ex).rows)


def comparable(rows: Any) -> dict[str, dict[str, Any]]:
    """Rows without array subtasks' times: only a watch that saw them run knows those (FlyteAdmin keeps none)."""
    times = ("created_at", "started_at", "duration_s", "attempt_spans")
    return {k: {f: v for f, v in r.items() if not (r["kind"] == "subtask" and f in times)} for k, r in rows.items()}


def test_the_model_follows_the_execution_to_the_end(sandbox: Sandbox, remote: Remote, sched: SyncScheduler) -> None:
    wf_id = sandbox.launch("deep")
    model = ExecutionModel()
    w = sched.watch(fetch(remote, wf_id), model)
    versions = []
    for _ in range(100):
        next_due = sched.run_pending()
        versions.append(model.rows_version)
        if next_due is None:
            break
        sched._clock.now = next_due  # type: ignore[attr-defined]
        sandbox.advance(1.0)
    assert w.finished.is_set()
    assert model.sync_status["state"] == "done"
    assert model.header["phase"] == "SUCCEEDED"
    assert row_phases(model) == truth_phases(sandbox, wf_id)
    assert len(set(versions)) > 3  # it was seen progressing, not only at the end
    assert comparable(model.rows) == fresh_rows(remote, wf_id)


def test_reconnects_after_injected_failures_without_losing_or_duplicating_rows(
    sandbox: Sandbox, no_retry_remote: Remote, sched: SyncScheduler, clock: Clock
) -> None:
    wf_id = sandbox.launch("all-kinds")
    sandbox.advance(10)
    model = ExecutionModel()
    states: list[str] = []
    model.observe(lambda ch: states.append(ch["new"]["state"]), names=["sync_status"])
    w = sched.watch(fetch(no_retry_remote, wf_id), model)
    sched.run_pending()
    rows_before = dict(model.rows)
    sandbox.fail_next(3)
    sandbox.advance(10)
    for _ in range(5):
        due = sched.run_pending(clock.now)
        assert due is not None
        clock.now = due
        if model.sync_status["state"] == "live" and "reconnecting" in states:
            break
    assert "reconnecting" in states
    assert model.sync_status["state"] == "live"
    assert model.sync_status["attempt"] == 0
    assert w.active
    assert dict(model.rows) != rows_before  # it caught up with what happened meanwhile
    assert comparable(model.rows) == fresh_rows(no_retry_remote, wf_id)


def test_reconnects_after_the_server_restarts(
    sandbox: Sandbox, no_retry_remote: Remote, sched: SyncScheduler, clock: Clock
) -> None:
    wf_id = sandbox.launch("deep")
    sandbox.advance(3)
    model = ExecutionModel()
    sched.watch(fetch(no_retry_remote, wf_id), model)
    sched.run_pending()
    sandbox.stop()
    clock.now += 1
    due = sched.run_pending()
    status = model.sync_status
    assert (status["state"], status["attempt"]) == ("reconnecting", 1)
    assert status["next_retry_at"] is not None
    assert "unavailable" in status["last_error"]
    sandbox.start()
    sandbox.advance(5)
    # wait (event-driven) until the client's channel is connected again, then the due retry succeeds
    grpc.channel_ready_future(no_retry_remote._get_channel()).result(timeout=30)
    assert due is not None
    clock.now = due
    sched.run_pending()
    assert model.sync_status["state"] == "live"
    assert row_phases(model) == truth_phases(sandbox, wf_id)


def test_not_found_stops_the_watch_with_a_clear_message(remote: Remote, sched: SyncScheduler) -> None:
    wf_id = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="nope")
    ex = FlyteWorkflowExecution(admin_execution_pb2.Execution(id=wf_id), remote=remote)
    model = ExecutionModel()
    w = sched.watch(ex, model)
    assert sched.run_pending() is None
    assert w.finished.is_set()
    assert not w.active
    assert model.sync_status["state"] == "error"
    assert "not found" in model.sync_status["last_error"]
    assert "flytesnacks:development:nope" in model.sync_status["last_error"]


def test_a_hundred_watches_share_one_thread_and_leave_none_behind(sandbox: Sandbox, remote: Remote) -> None:
    wf_id = sandbox.launch("single-task")
    sandbox.advance(1)
    sched = SyncScheduler(min_interval=60.0, max_interval=60.0)
    synced = threading.Semaphore(0)
    watches = []
    models = []
    for _ in range(100):
        model = ExecutionModel()
        model.observe(lambda ch: synced.release() if ch["new"]["last_synced_at"] else None, names=["sync_status"])
        models.append(model)
        watches.append(sched.watch(fetch(remote, wf_id), model))
    for _ in range(100):
        assert synced.acquire(timeout=60)
    names = [t.name for t in threading.enumerate()]
    assert names.count("flyteexec-sync") == 1
    assert sum(1 for n in names if n.startswith("flyteexec-sync-worker")) <= 4
    for w in watches:
        w.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("flyteexec-sync")]
    assert all(m.sync_status["state"] == "stopped" for m in models)
    assert all(row_phases(m) == row_phases(models[0]) for m in models)
    sched.shutdown()


def test_wait_timeout_names_the_execution_and_its_last_phase(sandbox: Sandbox, remote: Remote) -> None:
    wf_id = sandbox.launch("demo")
    sandbox.advance(1)
    sched = SyncScheduler(min_interval=0.01, max_interval=0.05)
    try:
        with pytest.raises(FlyteTimeout) as info:
            waiting.wait(fetch(remote, wf_id), timeout=dt.timedelta(milliseconds=300), show=False, scheduler=sched)
    finally:
        sched.shutdown()
    assert str(info.value) == (
        f"Execution flytesnacks:development:{wf_id.name} did not complete within 0:00:00.300000: last phase RUNNING"
    )


def test_wait_returns_the_synced_execution_when_it_finishes(sandbox: Sandbox, remote: Remote) -> None:
    wf_id = sandbox.launch("all-kinds")
    sandbox.advance(5)
    ex = fetch(remote, wf_id)
    remote.approve(ex, "approve-me")
    remote.set_signal(ex, "threshold", 0.5)
    mover = threading.Thread(target=sandbox.run_until_done, args=(wf_id,))
    sched = SyncScheduler(min_interval=0.01, max_interval=0.05)
    try:
        mover.start()  # sandbox time moves on another thread while wait() blocks
        result = waiting.wait(ex, poll_interval=dt.timedelta(milliseconds=100), show=False, scheduler=sched)
    finally:
        mover.join(60)
        sched.shutdown()
    assert result is ex
    assert ex.is_done
    assert {n: NodePhase(p.phase).name for n, p in ex.node_executions.items()} == {
        k: v for k, v in truth_phases(sandbox, wf_id).items() if "-" not in k
    }
    assert len(ex.node_executions["n0"].task_executions) == 3
    assert ex.node_executions["n5"].workflow_executions[0].is_done


def test_wait_across_a_server_restart_ends_on_the_true_terminal_phase(sandbox: Sandbox, remote: Remote) -> None:
    """FlyteAdmin restarts while wait() blocks: the wait goes on through the outage and ends on the phase the
    server really reached, with every node's final phase (no row regressed to what it was before the restart)."""
    wf_id = sandbox.launch("all-kinds")
    sandbox.advance(5)
    ex = fetch(remote, wf_id)
    remote.approve(ex, "approve-me")
    remote.set_signal(ex, "threshold", 0.5)
    seen_before = {n: NodePhase(p.phase).name for n, p in remote.sync_execution(ex).node_executions.items()}
    outcome: dict[str, Any] = {}
    sched = SyncScheduler(min_interval=0.01, max_interval=0.2)

    def waiter() -> None:
        try:
            outcome["result"] = waiting.wait(ex, timeout=dt.timedelta(seconds=90), show=False, scheduler=sched)
        except BaseException as e:  # handed to the test thread
            outcome["error"] = e

    t = threading.Thread(target=waiter)
    try:
        t.start()
        sandbox.stop()  # the restart: every call fails while the execution moves on (state kept)
        sandbox.start()
        sandbox.run_until_done(wf_id)
        t.join(120)
    finally:
        sched.shutdown()
    assert not t.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"] is ex
    truth = {k: v for k, v in truth_phases(sandbox, wf_id).items() if "-" not in k}
    assert ex.closure.phase == sandbox.phase(wf_id)
    assert {n: NodePhase(p.phase).name for n, p in ex.node_executions.items()} == truth
    assert seen_before != truth  # the nodes did move on during the wait: their final phases are what it shows


KERNEL_CELL = """
import faulthandler, signal, threading, datetime as dt
faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test dumps the kernel's threads if it hangs
from comm import get_comm_manager
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.remote import Remote
clicked = threading.Event()
get_comm_manager().register_target("probe", lambda comm, msg: clicked.set())
sb = Sandbox(clock="stepped")
wf = sb.launch("single-task")
remote = Remote.for_sandbox(sb.endpoint)
ex = remote.fetch_execution(wf.project, wf.domain, wf.name)
def mover():  # sandbox time moves only once the 'click' was handled
    if clicked.wait(120):
        sb.run_until_done(wf)
threading.Thread(target=mover, daemon=True).start()
print("WAITING", flush=True)
ex.wait(timeout=120, poll_interval=dt.timedelta(milliseconds=50))  # generous: a loaded CI machine
print("DONE", clicked.is_set(), ex.phase, flush=True)
"""


def test_wait_in_a_kernel_handles_widget_messages_and_runs_later_cells_after() -> None:
    """In a real ipykernel, a comm message (a widget click) sent while wait() blocks is handled during the wait,
    and a cell queued meanwhile runs after it: the approach of jupyter-ui-poll, done here for ipykernel 7."""
    import contextlib
    import os
    import pathlib
    import queue
    import signal
    import uuid

    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).resolve().parents[2]))
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        kc.execute(KERNEL_CELL)
        texts: list[str] = []

        def dump_threads() -> None:
            """The failure path only: the kernel's threads to its stderr (KERNEL_CELL registers the handler)."""
            os.kill(km.provisioner.process.pid, signal.SIGUSR1)  # type: ignore[union-attr,attr-defined]
            with contextlib.suppress(queue.Empty):  # let the dump reach stderr
                kc.get_iopub_msg(timeout=2)

        def read_until(marker: str) -> None:
            while not any(marker in t for t in texts):
                try:
                    msg = kc.get_iopub_msg(timeout=90)
                except queue.Empty as empty:
                    dump_threads()
                    raise AssertionError(f"no {marker!r} within 90 s; the kernel printed {texts!r}") from empty
                # the interrupted cell's KeyboardInterrupt is asserted from its execute_reply below
                if msg["msg_type"] == "error" and msg["content"]["ename"] != "KeyboardInterrupt":
                    raise AssertionError("\n".join(msg["content"]["traceback"]))
                if msg["msg_type"] == "stream":
                    texts.extend(line for line in msg["content"]["text"].splitlines() if line)

        read_until("WAITING")
        kc.execute('print("SECOND", clicked.is_set(), flush=True)')  # queued behind the blocking cell
        kc.shell_channel.send(
            kc.session.msg("comm_open", {"comm_id": uuid.uuid4().hex, "target_name": "probe", "data": {}})
        )
        read_until("SECOND")
        assert texts == ["WAITING", "DONE True 4", "SECOND True"], texts  # 4: SUCCEEDED

        # Ctrl-C (a kernel interrupt) during wait(): KeyboardInterrupt at once, the watch stopped
        texts.clear()
        msg_id = kc.execute(
            'wf2 = sb.launch("single-task"); ex2 = remote.fetch_execution(wf2.project, wf2.domain, wf2.name)\n'
            'print("WAITING2", flush=True)\nex2.wait(timeout=60)',
            stop_on_error=False,  # the kernel would otherwise abort the next request after the interrupt
        )
        read_until("WAITING2")
        km.interrupt_kernel()
        # The cell's own execute_reply says how it ended (the iopub "error" message can be late or, rarely, lost
        # on a loaded machine while the reply is not: see test_hangs' in-kernel Ctrl-C test).
        while True:
            try:
                reply = kc.get_shell_msg(timeout=60)
            except queue.Empty as empty:
                dump_threads()
                message = "no reply 60 s after the interrupt (the kernel's threads: see stderr)"
                raise AssertionError(message) from empty
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        assert (content["status"], content.get("ename")) == ("error", "KeyboardInterrupt"), content
        kc.execute(
            "from flyteexec_widget.live.scheduler import default_scheduler\n"
            'print("AFTER", default_scheduler().watches, flush=True)'
        )
        read_until("AFTER")
        assert texts[-1] == "AFTER []", texts
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_clients_own_retries_show_as_reconnecting(sandbox: Sandbox, sched: SyncScheduler) -> None:
    """A client that retries by itself (the default) reports each retry through its on_retry hook."""
    wf_id = sandbox.launch("deep")
    sandbox.advance(3)
    seen_by_user: list[int] = []
    with Remote(
        sandbox.endpoint,
        insecure=True,
        sleep=lambda _s: None,  # the client's backoff sleeps: skipped
        on_retry=lambda attempt, _delay, _err: seen_by_user.append(attempt),
    ) as remote:
        model = ExecutionModel()
        states: list[tuple[str, int]] = []
        model.observe(lambda ch: states.append((ch["new"]["state"], ch["new"]["attempt"])), names=["sync_status"])
        sched.watch(fetch(remote, wf_id), model)
        sandbox.fail_next(2, methods=["GetExecution"])
        sched.run_pending()
    assert ("reconnecting", 1) in states
    assert ("reconnecting", 2) in states
    assert states[-1] == ("live", 0)  # the sync itself succeeded
    assert seen_by_user == [1, 2]  # the user's own hook still runs
    assert row_phases(model) == truth_phases(sandbox, wf_id)
