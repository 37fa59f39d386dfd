"""Task details and cache sources over real gRPC: the widget's ``task`` request against the sandbox.

What a user relies on: opening a task node's detail shows the task as registered (image, resources, retries, env,
cache settings) with console links, costs one ``GetTask`` per task id however many nodes run it, and a cache hit
names the execution its value came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ipywidgets import comm

from flyteexec_widget.display.widget import ExecutionWidget
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox


class RecordingComm:
    """A comm that keeps what the widget sends (no kernel needed)."""

    comm_id = "task-details"
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


def ask(w: ExecutionWidget, key: str) -> dict[str, Any]:
    """The view's ``task`` request for row ``key``; the result (the request must succeed)."""
    w._handle_custom_msg({"type": "request", "id": "v1:1", "action": "task", "key": key}, [])
    responses = [m["content"] for m in w.comm.messages if m.get("method") == "custom"]
    response: dict[str, Any] = responses[-1]
    assert response["type"] == "response"
    assert response["ok"], response
    result: dict[str, Any] = response["result"]
    return result


def finished(sandbox: Sandbox, remote: Remote, scenario: str) -> FlyteWorkflowExecution:
    wf = sandbox.launch(scenario)
    if scenario == "all-kinds":  # its gates wait for a decision
        sandbox.advance(2)
        remote.approve(wf, "approve-me")
        remote.set_signal(wf, "threshold", 0.7)
    sandbox.run_until_done(wf)
    return remote.fetch_execution(wf)


@pytest.fixture
def console_remote(sandbox: Sandbox) -> Iterator[Remote]:
    r = Remote.for_sandbox(sandbox.endpoint, rpc_timeout=10.0, console_endpoint=sandbox.console_endpoint)
    try:
        yield r
    finally:
        r.close()


def test_a_task_nodes_detail_shows_the_registered_task_with_console_links(
    sandbox: Sandbox, console_remote: Remote, widget_for: Any
) -> None:
    ex = finished(sandbox, console_remote, "failure")
    w = widget_for(console_remote, ex)
    res = ask(w, "n0")
    task = res["task"]
    assert res["error"] is None
    assert (task["id"]["name"], task["id"]["version"]) == ("sandbox.extract", "v1")
    assert task["type"] == "python-task"
    assert task["image"] == "cr.flyte.org/flyteorg/flytekit:py3.11-1.16.0"
    assert task["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    assert task["env"] == [{"key": "PYTHONUNBUFFERED", "value": "1"}]
    assert task["command"][:1] == ["pyflyte-execute"]
    # FlyteConsole's routes.ts: TaskVersionDetails, TaskDetails, WorkflowVersionDetails, LaunchPlanVersionDetails
    base = f"{sandbox.console_endpoint}/console/projects/flytesnacks/domains/development"
    assert res["links"] == {
        "task": f"{base}/task/sandbox.extract/version/v1",
        "task_versions": f"{base}/tasks/sandbox.extract",
        "workflow": f"{base}/workflow/sandbox.failure.wf/version/v1",
        "launch_plan": f"{base}/launch_plan/sandbox.failure.wf/version/v1",
    }
    assert res["cache_source"] is None
    assert res["overrides"] == {}  # the node's retries and timeout are the task's: nothing the node overrides


def test_one_get_task_per_task_id_however_many_nodes_and_widgets_open_it(
    sandbox: Sandbox, console_remote: Remote, widget_for: Any
) -> None:
    remote = console_remote
    ex = finished(sandbox, remote, "all-kinds")
    w = widget_for(remote, ex)
    sandbox.reset_rpc_counts()
    # n3 is a dynamic node: its children dn0 and dn1 run one task ("square"); n9's subtasks all run "score".
    keys = ["n3/n3-0-dn0", "n3/n3-0-dn1", "n9", "n9[0]", "n9[7]", "n0", "n0"]
    answers = {k: ask(w, k) for k in keys}
    assert answers["n3/n3-0-dn0"]["task"]["id"]["name"] == "sandbox.square"
    dynamic = ask(w, "n3")["task"]  # the dynamic node's own task: flytekit's @dynamic type
    assert (dynamic["id"]["name"], dynamic["type"]) == ("sandbox.fan_out", "dynamic-task")
    assert answers["n3/n3-0-dn1"]["task"] == answers["n3/n3-0-dn0"]["task"]
    assert answers["n9[7]"]["task"]["id"]["name"] == "sandbox.score"
    assert answers["n9[7]"]["task"]["interruptible"] is True
    flaky = answers["n0"]["task"]
    assert (flaky["retries"], flaky["interruptible"]) == (2, True)
    assert {"key": "RETRY_NOTE", "value": "<b>3 attempts</b> & no markup"} in flaky["env"]  # as sent, unescaped
    assert sandbox.rpc_counts().get("GetTask", 0) == 4  # square, fan_out, score, flaky: once each
    # A second widget over the same remote asks nothing again.
    w2 = widget_for(remote, remote.fetch_execution(ex.id))
    sandbox.reset_rpc_counts()
    assert ask(w2, "n9")["task"]["id"]["name"] == "sandbox.score"
    assert sandbox.rpc_counts().get("GetTask", 0) == 0


def test_timeout_and_a_node_without_attempts_take_the_task_from_the_compiled_workflow(
    sandbox: Sandbox, console_remote: Remote, widget_for: Any
) -> None:
    ex = finished(sandbox, console_remote, "all-kinds")
    w = widget_for(console_remote, ex)
    slow_answer = ask(w, "n11")
    slow = slow_answer["task"]
    assert slow_answer["overrides"] == {}  # the node's 30 s timeout is the task's
    assert slow["timeout_s"] == 30.0
    assert slow["resources"]["requests"]["ephemeral_storage"] == "5Gi"
    # A cache hit runs no attempt: its task comes from the compiled workflow's task node.
    assert not ex.node_executions["n1"].task_executions
    hit = ask(w, "n1")
    assert hit["task"]["id"]["name"] == "sandbox.cached"
    assert hit["task"]["cache"] == {"enabled": True, "serializable": True, "version": "1.0", "ignored_inputs": []}
    # Nodes inside a subworkflow and a branch are found through their parents' templates.
    assert ask(w, "n2/n2-0-n1")["task"]["id"]["name"] == "sandbox.fit"
    assert ask(w, "n4/n4-0-n0")["task"]["id"]["name"] == "sandbox.take_left"


def test_a_cache_hit_names_the_execution_that_populated_it(
    sandbox: Sandbox, console_remote: Remote, widget_for: Any
) -> None:
    fill = sandbox.launch("cache-fill")
    assert sandbox.run_until_done(fill) == WorkflowPhase.SUCCEEDED
    ex = finished(sandbox, console_remote, "all-kinds")
    w = widget_for(console_remote, ex)
    assert w.model.rows["n1"]["cache"] == "hit"
    src = ask(w, "n1")["cache_source"]
    assert src == {
        "project": "flytesnacks",
        "domain": "development",
        "name": fill.name,
        "node_id": "n0",
        "attempt": 0,
        "task_version": "v1",
        "known": True,
        "url": sandbox.console_url(fill),
    }
    # A populated node is not "cached from" anything.
    fill_w = widget_for(console_remote, console_remote.fetch_execution(fill))
    assert ask(fill_w, "n0")["cache_source"] is None


def test_a_cache_hit_no_execution_populated_names_no_source(
    sandbox: Sandbox, console_remote: Remote, widget_for: Any
) -> None:
    ex = finished(sandbox, console_remote, "all-kinds")
    src = ask(widget_for(console_remote, ex), "n1")["cache_source"]
    # propeller's GetSourceFromMetadata defaults: name and node "unknown"; shown without a link
    assert (src["name"], src["node_id"], src["known"], src["url"]) == ("unknown", "unknown", False, None)


def test_get_task_failing_leaves_the_links_and_the_cache_source(
    sandbox: Sandbox, console_remote: Remote, widget_for: Any
) -> None:
    ex = finished(sandbox, console_remote, "single-task")
    w = widget_for(console_remote, ex)
    sandbox.fail_next(1, code=__import__("grpc").StatusCode.NOT_FOUND, methods=["GetTask"])
    res = ask(w, "n0")
    assert res["task"] is None
    assert "NOT_FOUND" in res["error"]["message"] or "not found" in res["error"]["message"].lower()
    assert res["links"]["task"] is not None
    # not cached: the next open asks again and gets it
    assert ask(w, "n0")["task"]["id"]["name"] == "sandbox.say_hello"
