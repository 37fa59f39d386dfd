"""wait(): flytekit's semantics (return at terminal, FlyteTimeout, argument types), status line, widget + pumping."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2

from flyteexec_widget.admin.errors import DeadlineExceededError, FlyteTimeout, NotFoundError
from flyteexec_widget.display import kernel, notebook, waiting, widget
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteWorkflowExecution
from flyteexec_widget.objects.templates import TemplateInfo

from ..hostile_text import UNSAFE, hostile

RUNNING = execution_pb2.WorkflowExecution.RUNNING
SUCCEEDED = execution_pb2.WorkflowExecution.SUCCEEDED
N_SUCCEEDED = execution_pb2.NodeExecution.SUCCEEDED
N_FAILED = execution_pb2.NodeExecution.FAILED


def make_execution() -> FlyteWorkflowExecution:
    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="abc")
    )
    proto.closure.phase = RUNNING
    return FlyteWorkflowExecution(proto)


class ScriptTree:
    """Each refresh takes the next workflow phase of the script (the last one repeats) and sets three nodes."""

    def __init__(self, execution: FlyteWorkflowExecution, phases: list[Any]) -> None:
        self.execution = execution
        self.phases = phases
        self.calls = 0
        self.before: Callable[[], None] | None = None

    def refresh(self, sync_nodes: bool = True) -> FlyteWorkflowExecution:
        if self.before is not None:
            self.before()
        step = self.phases[min(self.calls, len(self.phases) - 1)]
        self.calls += 1
        if isinstance(step, BaseException):
            raise step
        self.execution.to_flyte_idl().closure.phase = step
        nodes = {}
        for i, phase in enumerate([N_SUCCEEDED, N_FAILED, execution_pb2.NodeExecution.RUNNING]):
            p = node_execution_pb2.NodeExecution()
            p.id.execution_id.CopyFrom(self.execution.to_flyte_idl().id)
            p.id.node_id = f"n{i}"
            p.closure.phase = phase
            w = FlyteNodeExecution(p)
            w._template_info = TemplateInfo("task", f"t{i}")
            nodes[f"n{i}"] = w
        self.execution._node_executions = nodes
        return self.execution

    def execution_moved(self) -> bool:
        """What TreeSync answers from one GetExecution: the server moved on while scripted steps are left."""
        return self.calls < len(self.phases)


class TreeScheduler(SyncScheduler):
    """A real scheduler (thread and all) whose watches sync through a scripted tree instead of a server."""

    def __init__(self, tree: ScriptTree, **kw: Any) -> None:
        super().__init__(min_interval=0.001, max_interval=0.001, **kw)
        self.tree = tree

    def watch(self, execution: Any, model: ExecutionModel | None = None, **kw: Any) -> Any:
        kw["tree"] = self.tree
        return super().watch(execution, model, **kw)


@pytest.fixture(autouse=True)
def fast_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting, "TEXT_TICK_S", 0.005)
    monkeypatch.setattr(waiting, "UI_TICK_S", 0.005)


def run_wait(phases: list[Any], **kw: Any) -> tuple[FlyteWorkflowExecution, TreeScheduler, Any]:
    ex = make_execution()
    sched = TreeScheduler(ScriptTree(ex, phases))
    try:
        return ex, sched, waiting.wait(ex, scheduler=sched, **kw)
    finally:
        sched.shutdown()


def test_waits_with_a_watch_the_call_budget_does_not_pace() -> None:
    """A blocked wait() should end soon after the execution does: its watch keeps the adaptive interval only."""
    ex = make_execution()
    sched = TreeScheduler(ScriptTree(ex, [RUNNING, SUCCEEDED]))
    seen: list[bool] = []
    original = sched.watch

    def watch(execution: Any, model: ExecutionModel | None = None, **kw: Any) -> Any:
        w = original(execution, model, **kw)
        seen.append(w.paced)
        return w

    sched.watch = watch  # type: ignore[method-assign]
    try:
        waiting.wait(ex, scheduler=sched, show=False)
    finally:
        sched.shutdown()
    assert seen == [False]


def test_returns_the_synced_execution_at_a_terminal_phase() -> None:
    ex, sched, result = run_wait([RUNNING, RUNNING, SUCCEEDED], show=False)
    assert result is ex
    assert ex.phase == SUCCEEDED
    assert set(ex.node_executions) == {"n0", "n1", "n2"}
    assert sched.tree.calls >= 3
    assert sched.watches == []


def test_timeout_names_the_execution_and_its_last_phase() -> None:
    ticks = iter(range(1000))
    with pytest.raises(FlyteTimeout) as info:
        run_wait([RUNNING], timeout=dt.timedelta(seconds=3), show=False, clock=lambda: float(next(ticks)))
    assert str(info.value) == (
        "Execution flytesnacks:development:abc did not complete within 0:00:03: last phase RUNNING"
    )
    assert isinstance(info.value, TimeoutError)


def test_a_timeout_while_the_server_does_not_answer_returns_on_time_and_says_so() -> None:
    """The sync in flight never ends: wait() no longer waits for it (the last check used to sync on this thread
    after the in-flight one, ~300 s against a silent server with the default rpc_timeout)."""
    ex = make_execution()
    tree = ScriptTree(ex, [RUNNING])
    release = threading.Event()
    tree.before = lambda: release.wait(120) and None
    sched = TreeScheduler(tree)
    start = time.monotonic()
    try:
        with pytest.raises(FlyteTimeout) as info:
            waiting.wait(ex, timeout=0.2, scheduler=sched, show=False)
        took = time.monotonic() - start
        assert sched.watches == []
    finally:
        release.set()
        sched.shutdown()
    # 0.2 s, the last check's FINAL_SYNC_S and a margin for a loaded machine; the sync holds on for 120 s
    assert took < 0.2 + waiting.FINAL_SYNC_S + 5
    assert str(info.value).startswith(
        "Execution flytesnacks:development:abc did not complete within 0:00:00.200000: last phase RUNNING; "
        "the server did not answer (its last call has waited "
    )


def test_a_timeout_after_deadline_exceeded_says_the_server_did_not_answer() -> None:
    err = DeadlineExceededError(
        "GetExecution flytesnacks:development:abc: no answer from h:1 before the deadline",
        code=grpc.StatusCode.DEADLINE_EXCEEDED,
        method="GetExecution",
    )
    ticks = iter(range(1000))
    with pytest.raises(FlyteTimeout) as info:
        run_wait([err], timeout=3, show=False, clock=lambda: float(next(ticks)))
    assert str(info.value) == (
        "Execution flytesnacks:development:abc did not complete within 0:00:03: last phase RUNNING; the server did "
        "not answer: GetExecution flytesnacks:development:abc: no answer from h:1 before the deadline"
    )


def test_int_seconds_are_accepted_like_flytekit() -> None:
    ticks = iter(range(1000))
    with pytest.raises(FlyteTimeout, match="within 0:00:02"):
        run_wait([RUNNING], timeout=2, poll_interval=1, show=False, clock=lambda: float(next(ticks)))


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"timeout": "5"}, TypeError, "timeout must be a number of seconds or a datetime.timedelta"),
        ({"timeout": True}, TypeError, "timeout"),
        ({"timeout": -1}, ValueError, "timeout must not be negative"),
        ({"poll_interval": dt.timedelta(0)}, ValueError, "poll_interval must be positive"),
        ({"show": "yes"}, TypeError, "show must be True, False or None"),
    ],
)
def test_bad_arguments_are_named(kw: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        waiting.wait(make_execution(), scheduler=TreeScheduler(ScriptTree(make_execution(), [RUNNING])), **kw)


def test_a_permanent_error_is_raised() -> None:
    err = NotFoundError("GetExecution: not found", code=grpc.StatusCode.NOT_FOUND, method="GetExecution")
    with pytest.raises(NotFoundError, match="not found"):
        run_wait([err], show=False)


def test_terminal_status_line_is_rewritten_in_place_and_ends_with_a_newline() -> None:
    out = io.StringIO()
    run_wait([RUNNING, SUCCEEDED], show=True, stream=out, clock=lambda: 42.0)
    text = out.getvalue()
    assert text.startswith("\r")
    assert text.endswith("\n")
    assert text.count("\n") == 1
    last = text.rstrip("\n").split("\r")[-1].rstrip()
    assert last == "flytesnacks:development:abc SUCCEEDED 2/3 nodes done, 1 failed, 00:00"


def test_no_status_line_when_not_a_terminal_or_show_false() -> None:
    for show in (None, False):
        out = io.StringIO()  # not a tty
        run_wait([SUCCEEDED], show=show, stream=out)
        assert out.getvalue() == ""


def test_format_status_line() -> None:
    ex = make_execution()
    ScriptTree(ex, [RUNNING]).refresh()
    m = ExecutionModel(ex)
    assert waiting.format_status_line(m, 3725) == (
        "flytesnacks:development:abc RUNNING 2/3 nodes done, 1 failed, 1:02:05"
    )
    m.set_sync_status("reconnecting", attempt=3)
    assert waiting.format_status_line(m, 42).endswith("00:42 (reconnecting, attempt 3)")
    m.set_sync_status("login", attempt=1, last_error="log in again: run any call in a cell")
    assert waiting.format_status_line(m, 42).endswith("00:42 (log in again)")


def test_the_status_line_shows_terminal_payloads_as_escapes() -> None:
    """The execution's name and the sync error are server text: the ``\\r``-rewritten line stays one line."""
    ex = make_execution()
    ex.to_flyte_idl().id.name = hostile("name")
    ScriptTree(ex, [RUNNING]).refresh()
    m = ExecutionModel(ex)
    m.set_sync_status("error", attempt=1, last_error=hostile("error"))
    line = waiting.format_status_line(m, 42)
    assert not UNSAFE.search(line)
    assert "\n" not in line
    assert "\t" not in line
    assert line.startswith("flytesnacks:development:name:\\x1b[2J\\x1b[H|")
    assert "(error: error:\\x1b[2J" in line


def test_the_timeout_message_shows_terminal_payloads_as_escapes() -> None:
    """FlyteTimeout's message (printed by a terminal's traceback) carried the name and the last error raw."""
    ex = make_execution()
    ex.to_flyte_idl().id.name = hostile("name")
    err = DeadlineExceededError(hostile("error"), code=grpc.StatusCode.DEADLINE_EXCEEDED, method="GetExecution")
    sched = TreeScheduler(ScriptTree(ex, [err]))
    ticks = iter(range(1000))
    try:
        with pytest.raises(FlyteTimeout) as info:
            waiting.wait(ex, timeout=3, show=False, scheduler=sched, clock=lambda: float(next(ticks)))
    finally:
        sched.shutdown()
    message = str(info.value)
    assert not UNSAFE.search(message)
    assert "\n" not in message
    assert message.startswith("Execution flytesnacks:development:name:\\x1b[2J\\x1b[H|")
    assert "the server did not answer: error:\\x1b[2J" in message


def test_an_aborted_node_counts_as_failed_as_in_the_widget() -> None:
    """The status line's "failed" is the phase table's ``failed`` flag, the one the widget's view counts by."""
    N = execution_pb2.NodeExecution
    ex = make_execution()
    ex.to_flyte_idl().closure.phase = execution_pb2.WorkflowExecution.ABORTED
    nodes = {}
    for i, phase in enumerate([N.ABORTED, N.FAILED, N.TIMED_OUT, N.SUCCEEDED, N.SKIPPED]):
        p = node_execution_pb2.NodeExecution()
        p.id.execution_id.CopyFrom(ex.to_flyte_idl().id)
        p.id.node_id = f"n{i}"
        p.closure.phase = phase
        node = FlyteNodeExecution(p)
        node._template_info = TemplateInfo("task", f"t{i}")  # type: ignore[attr-defined]
        nodes[f"n{i}"] = node
    ex._node_executions = nodes
    model = ExecutionModel(ex)
    styles = widget.phase_styles()["node"]  # what the view's isFailed() reads
    failed_in_widget = sum(1 for r in model.rows.values() if styles[r["phase"]]["failed"])
    assert failed_in_widget == 3
    assert waiting.format_status_line(model, 5) == "flytesnacks:development:abc ABORTED 5/5 nodes done, 3 failed, 00:05"


def test_ctrl_c_raises_promptly_and_leaves_the_watch_stopped() -> None:
    ex = make_execution()
    sched = TreeScheduler(ScriptTree(ex, [RUNNING]))

    class Interrupting(io.StringIO):
        def write(self, s: str) -> int:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        waiting.wait(ex, scheduler=sched, show=True, stream=Interrupting())
    assert sched.watches == []
    sched.shutdown()
    assert [t for t in threading.enumerate() if t.name.startswith("flyteexec-sync")] == []


def test_in_a_notebook_the_widget_is_shown_and_kernel_messages_are_pumped(monkeypatch: pytest.MonkeyPatch) -> None:
    pumped = threading.Event()
    shown: list[tuple[Any, Any]] = []

    @contextlib.contextmanager
    def fake_pump() -> Iterator[Callable[[], None]]:
        yield pumped.set

    monkeypatch.setattr(kernel, "in_kernel", lambda: True)
    monkeypatch.setattr(kernel, "kernel_pump", fake_pump)
    monkeypatch.setattr(notebook, "display_for", lambda ex, model: shown.append((ex, model)) or object())
    ex = make_execution()
    tree = ScriptTree(ex, [RUNNING, SUCCEEDED])
    tree.before = lambda: None if tree.calls == 0 else pumped.wait(30)  # finish only after a pump
    sched = TreeScheduler(tree)
    out = io.StringIO()
    assert waiting.wait(ex, scheduler=sched, stream=out) is ex
    sched.shutdown()
    assert pumped.is_set()
    assert len(shown) == 1
    assert shown[0][0] is ex
    assert shown[0][1].shown
    assert out.getvalue() == ""  # the widget replaces the status line


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """In a notebook (pretend): the executions wait() displays a widget for, in order."""
    displayed: list[Any] = []
    monkeypatch.setattr(kernel, "in_kernel", lambda: True)
    monkeypatch.setattr(kernel, "kernel_pump", lambda: contextlib.nullcontext(lambda: None))
    monkeypatch.setattr(notebook, "display_for", lambda ex, model: displayed.append(ex) or object())
    return displayed


def test_no_second_widget_when_one_is_on_screen(shown: list[Any]) -> None:
    ex = make_execution()
    on_screen = ExecutionModel(ex)
    on_screen.mark_shown()
    sched = TreeScheduler(ScriptTree(ex, [SUCCEEDED]))
    waiting.wait(ex, scheduler=sched)
    sched.shutdown()
    assert shown == []


def test_no_second_widget_when_a_running_watch_feeds_one(shown: list[Any]) -> None:
    """Run All: watch(execution) displayed a widget whose view has not spoken yet (so not marked shown)."""
    ex = make_execution()
    sched = TreeScheduler(ScriptTree(ex, [RUNNING, RUNNING, SUCCEEDED]))
    widget_model = ExecutionModel(ex)
    other = sched.watch(ex, widget_model, poll_interval=60.0)  # the widget's own watch
    waiting.wait(ex, scheduler=sched)
    other.stop()
    sched.shutdown()
    assert shown == []


def test_no_second_widget_when_a_widget_is_attached_to_a_model_of_it(shown: list[Any]) -> None:
    """Run All on a finished execution: watch()'s widget exists (its watch already ended), not yet marked shown."""
    ex = make_execution()
    widget_model = ExecutionModel(ex)
    remove = widget_model.add_batch_hook(contextlib.nullcontext)  # what an ExecutionWidget does
    sched = TreeScheduler(ScriptTree(ex, [SUCCEEDED]))
    waiting.wait(ex, scheduler=sched)
    sched.shutdown()
    assert shown == []
    remove()
    assert not widget_model.has_views


def test_show_false_displays_nothing_in_a_notebook(shown: list[Any]) -> None:
    ex = make_execution()
    sched = TreeScheduler(ScriptTree(ex, [RUNNING, SUCCEEDED]))
    out = io.StringIO()
    assert waiting.wait(ex, scheduler=sched, show=False, stream=out) is ex
    sched.shutdown()
    assert shown == []
    assert out.getvalue() == ""


def test_show_true_displays_a_widget_even_when_one_is_on_screen(shown: list[Any]) -> None:
    ex = make_execution()
    on_screen = ExecutionModel(ex)
    on_screen.mark_shown()
    sched = TreeScheduler(ScriptTree(ex, [SUCCEEDED]))
    waiting.wait(ex, scheduler=sched, show=True)
    sched.shutdown()
    assert shown == [ex]
    assert on_screen.shown
