"""Told when it ends: ``on_done`` (once, off the scheduler's threads, errors logged), the widget's ``notify`` trait,
and the terminal bell of ``wait(notify=True)``."""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import types
from typing import Any

import pytest

from flyteexec_widget.display import kernel, notebook, waiting, widget
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.on_done import call_when_done
from flyteexec_widget.objects.executions import FlyteWorkflowExecution

from .test_waiting import RUNNING, SUCCEEDED, ScriptTree, TreeScheduler, make_execution, run_wait


@pytest.fixture(autouse=True)
def fast_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting, "TEXT_TICK_S", 0.005)
    monkeypatch.setattr(waiting, "UI_TICK_S", 0.005)


def test_on_done_runs_once_with_the_execution_when_the_status_is_done() -> None:
    model = ExecutionModel()
    ex = object()
    calls: list[Any] = []
    call_when_done(model, ex, calls.append, start=lambda fn: fn())
    model.set_sync_status("live")
    assert calls == []
    model.set_sync_status("done")
    model.set_sync_status("live")
    model.set_sync_status("done")
    assert calls == [ex]


def test_on_done_is_not_called_when_the_watch_stops_or_is_cancelled() -> None:
    model = ExecutionModel()
    calls: list[Any] = []
    cancel = call_when_done(model, "ex", calls.append, start=lambda fn: fn())
    model.set_sync_status("stopped")
    cancel()
    model.set_sync_status("done")
    assert calls == []


def test_an_exception_in_on_done_is_logged_on_its_own_thread(caplog: pytest.LogCaptureFixture) -> None:
    model = ExecutionModel()
    ran = threading.Event()
    threads: list[str] = []

    def boom(_: Any) -> None:
        threads.append(threading.current_thread().name)
        ran.set()
        raise RuntimeError("user code failed")

    call_when_done(model, "ex", boom)
    with caplog.at_level(logging.ERROR, logger="flyteexec_widget.live.on_done"):
        model.set_sync_status("done")  # returns: the callback runs elsewhere
        assert ran.wait(10)
        for t in threading.enumerate():
            if t.name == "flyteexec-on-done":
                t.join(10)
    assert threads == ["flyteexec-on-done"]
    assert "on_done callback for" in caplog.text
    assert "user code failed" in caplog.text


def test_watch_calls_on_done_with_the_final_execution_and_sets_the_bell(monkeypatch: pytest.MonkeyPatch) -> None:
    ex = FlyteWorkflowExecution(make_execution().to_flyte_idl(), remote=types.SimpleNamespace())  # never called
    sched = TreeScheduler(ScriptTree(ex, [RUNNING, SUCCEEDED]))
    monkeypatch.setattr(notebook.scheduler, "watch", sched.watch)
    done = threading.Event()
    got: list[Any] = []

    def on_done(execution: Any) -> None:
        got.append((execution, execution.phase))
        done.set()

    w = notebook.watch(ex, notify=True, on_done=on_done)
    try:
        assert w.notify is True
        assert done.wait(30)
        assert got == [(ex, SUCCEEDED)]
    finally:
        w.close()
        sched.shutdown()


@pytest.mark.parametrize(
    ("kw", "match"),
    [({"notify": "yes"}, "notify must be True or False"), ({"on_done": 3}, "on_done must be a callable")],
)
def test_bad_notify_arguments_are_named(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(TypeError, match=match):
        notebook.watch(make_execution(), **kw)


def test_wait_notify_rings_the_terminal_bell_once_at_the_end() -> None:
    out = io.StringIO()
    run_wait([RUNNING, SUCCEEDED], show=True, stream=out, notify=True)
    text = out.getvalue()
    assert text.count("\a") == 1
    assert text.rstrip("\n").endswith("\a")
    quiet = io.StringIO()
    run_wait([RUNNING, SUCCEEDED], show=True, stream=quiet)
    assert "\a" not in quiet.getvalue()


def test_wait_notify_rings_no_bell_on_a_timeout() -> None:
    out = io.StringIO()
    ticks = iter(range(1000))
    with pytest.raises(waiting.FlyteTimeout):
        run_wait([RUNNING], show=True, stream=out, notify=True, timeout=3, clock=lambda: float(next(ticks)))
    assert "\a" not in out.getvalue()


def test_wait_notify_in_a_notebook_turns_the_widgets_bell_on(monkeypatch: pytest.MonkeyPatch) -> None:
    class Shown:
        notify = False

    shown = Shown()
    monkeypatch.setattr(kernel, "in_kernel", lambda: True)
    monkeypatch.setattr(kernel, "kernel_pump", lambda: contextlib.nullcontext(lambda: None))
    monkeypatch.setattr(notebook, "display_for", lambda ex, model: shown)
    out = io.StringIO()
    run_wait([RUNNING, SUCCEEDED], stream=out, notify=True)
    assert shown.notify is True
    assert out.getvalue() == ""  # no bell in a notebook: the widget tells


def test_wait_notify_with_a_widget_on_screen_turns_its_bell_on_and_writes_no_bell_to_the_notebook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``w = watch(ex)`` a cell up, then ``ex.wait(notify=True)``: wait() shows no second widget, so the one on screen
    tells the user; a BEL written to the notebook's stderr would only show as an empty red output."""
    monkeypatch.setattr(kernel, "in_kernel", lambda: True)
    monkeypatch.setattr(kernel, "kernel_pump", lambda: contextlib.nullcontext(lambda: None))
    mine = make_execution().to_flyte_idl()
    mine.id.name = "on-screen"  # not the other tests' "abc": a model marked shown outlives this test until collected
    ex = FlyteWorkflowExecution(mine)
    other = make_execution().to_flyte_idl()
    other.id.name = "other"
    other_model = ExecutionModel(FlyteWorkflowExecution(other))
    on_screen = widget.ExecutionWidget(ExecutionModel(ex))
    elsewhere = widget.ExecutionWidget(other_model)
    on_screen.model.mark_shown()
    try:
        sched = TreeScheduler(ScriptTree(ex, [RUNNING, SUCCEEDED]))
        out = io.StringIO()
        assert waiting.wait(ex, scheduler=sched, stream=out, notify=True) is ex
        sched.shutdown()
        assert "\a" not in out.getvalue()
        assert on_screen.notify is True
        assert elsewhere.notify is False  # another execution's widget keeps its bell
    finally:
        on_screen.close()
        elsewhere.close()
        on_screen.model.shown = False  # type: ignore[attr-defined]
