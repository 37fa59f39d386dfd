"""Typed signals end to end: the sandbox's ``signals`` scenario waits on a STRUCT gate and an enum gate.

Answered with ``Remote.set_signal`` and with the widget's ``signal`` request (the JSON value the view parsed),
against the sandbox's SetSignal, which checks the value's type as FlyteAdmin does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import comm
import pytest
from flyteidl.core import identifier_pb2

from flyteexec_widget.admin.errors import InvalidArgumentError, NotFoundError
from flyteexec_widget.display.widget import ExecutionWidget
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.objects.phases import NodePhase, WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox

WfId = identifier_pb2.WorkflowExecutionIdentifier
CONFIG = {"a": 1, "b": [1, 2]}


def waiting_at_the_gates(sb: Sandbox, remote: Remote) -> tuple[WfId, FlyteWorkflowExecution]:
    wf = sb.launch("signals")
    with pytest.raises(RuntimeError, match="nothing is scheduled"):
        sb.run_until_done(wf, max_seconds=3600)
    ex = remote.fetch_execution(wf).sync()
    assert ex.node_executions["n1"].phase == NodePhase.RUNNING  # the struct gate
    assert ex.node_executions["n2"].phase == NodePhase.RUNNING  # the enum gate
    return wf, ex


def signal_values(remote: Remote, wf: WfId) -> dict[str, Any]:
    return {s.id.signal_id: s.value if s.HasField("value") else None for s in remote.list_signals(wf)}


def test_a_struct_gate_answered_with_set_signal_lets_the_execution_proceed(sandbox: Sandbox, remote: Remote) -> None:
    wf, ex = waiting_at_the_gates(sandbox, remote)
    remote.set_signal(ex, "config", CONFIG)
    remote.set_signal(ex, "color", "green")
    stored = signal_values(remote, wf)
    assert stored["config"].scalar.WhichOneof("value") == "generic"  # a Struct, not a map literal
    assert stored["color"].scalar.primitive.string_value == "green"
    assert sandbox.run_until_done(wf, max_seconds=3600) == WorkflowPhase.SUCCEEDED
    ex.sync()
    assert dict(ex.node_executions["n1"].outputs) == {"config": CONFIG}
    assert dict(ex.node_executions["n2"].outputs) == {"color": "green"}
    assert ex.node_executions["n3"].phase == NodePhase.SUCCEEDED


def test_a_value_that_does_not_fit_names_the_signal_the_value_and_the_expected_type(
    sandbox: Sandbox, remote: Remote
) -> None:
    wf, ex = waiting_at_the_gates(sandbox, remote)
    with pytest.raises(InvalidArgumentError) as info:
        remote.set_signal(ex, "config", [1, 2])
    msg = str(info.value)
    assert f"{wf.project}:{wf.domain}:{wf.name} signal config" in msg
    assert "list [1, 2] does not fit the expected type struct" in msg
    with pytest.raises(
        InvalidArgumentError, match=r"str 'purple' does not fit the expected type enum\{red, green, blue\}"
    ):
        remote.set_signal(ex, "color", "purple")
    assert signal_values(remote, wf) == {"config": None, "color": None}  # nothing was sent


def test_a_signal_whose_gate_has_not_started_is_not_found(sandbox: Sandbox, remote: Remote) -> None:
    wf = sandbox.launch("signals")  # n0 still runs: no gate has created its signal yet
    with pytest.raises(NotFoundError, match=r"signal config: the execution has no such signal \(yet\): its gate"):
        remote.set_signal(wf, "config", CONFIG)


# ---------------------------------------------------------------------------------------------------------------
# The same through the widget's comm protocol
# ---------------------------------------------------------------------------------------------------------------


class RecordingComm:
    comm_id = "typed-signals"
    kernel = "Truthy"  # ipywidgets only sends when the comm has a kernel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.messages: list[dict[str, Any]] = []

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        self.messages.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def widget_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm())
    made: list[ExecutionWidget] = []

    def make(remote: Remote, ex: FlyteWorkflowExecution) -> ExecutionWidget:
        TreeSync(remote, ex).refresh()
        w = ExecutionWidget(ExecutionModel(ex), execution=ex, remote=remote, runner=lambda fn: fn())
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def ask(w: ExecutionWidget, **request: Any) -> dict[str, Any]:
    """Send a request as the view does; the response the kernel sent back."""
    w._handle_custom_msg({"type": "request", "id": "v1:1", **request}, [])
    responses = [m["content"] for m in w.comm.messages if m.get("method") == "custom"]
    response: dict[str, Any] = responses[-1]
    assert response["type"] == "response"
    return response


def test_a_struct_gate_answered_from_the_widget_lets_the_execution_proceed(
    sandbox: Sandbox, remote: Remote, widget_for: Any
) -> None:
    wf, ex = waiting_at_the_gates(sandbox, remote)
    w = widget_for(remote, ex)
    assert w._model.rows["n1"]["gate"] == {"kind": "signal", "signal_id": "config", "type": "struct"}
    assert w._model.rows["n2"]["gate"]["type"] == "enum{red, green, blue}"
    assert ask(w, action="signal", key="n1", value=CONFIG)["ok"] is True  # the JSON object the view parsed
    assert ask(w, action="signal", key="n2", value="blue")["ok"] is True
    assert sandbox.run_until_done(wf, max_seconds=3600) == WorkflowPhase.SUCCEEDED
    ex.sync()
    assert dict(ex.node_executions["n1"].outputs) == {"config": CONFIG}
    assert dict(ex.node_executions["n2"].outputs) == {"color": "blue"}


def test_a_widget_value_that_does_not_fit_comes_back_naming_the_expected_type(
    sandbox: Sandbox, remote: Remote, widget_for: Any
) -> None:
    wf, ex = waiting_at_the_gates(sandbox, remote)
    w = widget_for(remote, ex)
    response = ask(w, action="signal", key="n1", value="not json")
    assert response["ok"] is False
    assert response["error"]["type"] == "InvalidArgumentError"
    assert "str 'not json' does not fit the expected type struct" in response["error"]["message"]
    assert signal_values(remote, wf)["config"] is None
