"""The sandbox's stand-in console and log pages: every link the sandbox hands out opens a page that says what
happened, fetched over real HTTP from its HTTP side, as a browser would after a click in the widget."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from flyteidl.core.identifier_pb2 import NodeExecutionIdentifier, WorkflowExecutionIdentifier

from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _ok(url: str) -> str:
    status, body = _get(url)
    assert status == 200, f"{url}: {status}\n{body}"
    return body


@pytest.fixture(scope="module")
def played() -> Iterator[tuple[Sandbox, WorkflowExecutionIdentifier, WorkflowExecutionIdentifier]]:
    """``demo`` (gate approved) and ``all-kinds`` played to their ends on one stepped sandbox."""
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        demo = sb.launch("demo")
        for _ in range(60):
            sb.advance(2)
            if any(s.id.signal_id == "approve-deploy" for s in remote.list_signals(demo)):
                break
        remote.approve(demo, "approve-deploy")
        assert sb.run_until_done(demo) == WorkflowPhase.SUCCEEDED
        kinds = sb.launch("all-kinds")
        sb.advance(2)
        remote.approve(kinds, "approve-me")
        remote.set_signal(kinds, "threshold", 0.7)
        assert sb.run_until_done(kinds) == WorkflowPhase.FAILED
        yield sb, demo, kinds


def _logs(sb: Sandbox, wf: WorkflowExecutionIdentifier, node_id: str) -> list[tuple[str, str, int]]:
    """(name, uri, attempt) of every log link of a node: its attempts' and its subtasks' (every retry)."""
    nid = NodeExecutionIdentifier(node_id=node_id, execution_id=wf)
    tasks, _ = sb.store.list_task_executions(nid, limit=100, token="")
    out = [(lg.name, lg.uri, t.id.retry_attempt) for t in tasks for lg in t.closure.logs]
    for t in tasks:
        for res in t.closure.metadata.external_resources:
            out.extend((lg.name, lg.uri, res.retry_attempt) for lg in res.logs)
    return out


def test_console_url_opens_a_page_with_the_execution_and_its_nodes(played: tuple[Sandbox, ...]) -> None:
    sb, demo, _ = played
    with Remote.for_sandbox(sb.endpoint, console_endpoint=sb.console_endpoint) as remote:
        url = remote.generate_console_url(demo)
    assert url == sb.console_url(demo)
    assert url.startswith(sb.console_endpoint + "/console/projects/flytesnacks/domains/development/executions/")
    page = _ok(url)
    assert "data-phase='SUCCEEDED'" in page
    assert "sandbox.demo.wf" in page
    assert "On a real Flyte cluster this link opens FlyteConsole" in page
    for node in ["n0", "n1", "n2", "n3", "n4", "n5"]:
        assert f"data-node='{node}'" in page
    assert "sandbox.train" in page
    assert 'http-equiv="refresh"' not in page  # finished: nothing left to reload for


def test_a_parent_s_page_indents_its_children_and_links_its_child_execution(played: tuple[Sandbox, ...]) -> None:
    sb, _, kinds = played
    page = _ok(sb.console_url(kinds))
    assert "data-phase='FAILED'" in page
    assert "data-node='n2-0-n0'" in page  # the subworkflow's children are listed too
    child = sb.store.get_node_execution(NodeExecutionIdentifier(node_id="n5", execution_id=kinds))
    name = child.closure.workflow_node_metadata.executionId.name
    assert f"executions/{name}'>{name}</a>" in page
    assert "sandbox.single_task.wf" in _ok(
        f"{sb.console_endpoint}/console/projects/flytesnacks/domains/development/executions/{name}"
    )


def test_every_log_link_of_every_attempt_and_subtask_opens_a_log_page(played: tuple[Sandbox, ...]) -> None:
    sb, demo, kinds = played
    checked = 0
    for wf in (demo, kinds):
        for rec in sb.store.all_nodes(wf):
            for _name, uri, _attempt in _logs(sb, wf, rec.proto.id.node_id):
                assert uri.startswith(sb.console_endpoint + "/logs/"), uri
                assert "Welcome to Flyte!" in _ok(uri)
                checked += 1
    assert checked > 100  # the tasks' attempts and every subtask retry of both arrays


def test_log_pages_tell_what_the_scenario_scripted(played: tuple[Sandbox, ...]) -> None:
    sb, demo, kinds = played
    train = _logs(sb, demo, "n2")
    assert [(name, attempt) for name, _, attempt in train] == [
        ("Kubernetes Logs (User)", 0),
        ("Kubernetes Logs (User)", 1),
    ]
    oom = _ok(train[0][1])
    assert "Killed" in oom
    assert "OOMKilled (exit code 137)" in oom
    retry = _ok(train[1][1])
    assert "Task sandbox.train succeeded" in retry
    assert "Writing outputs: epochs, loss, model" in retry

    # The shard that failed once and was retried: a log of each retry, named as propeller names them.
    shard5 = [(name, uri, a) for name, uri, a in _logs(sb, demo, "n1") if name.endswith("-5")]
    assert [(name, a) for name, _, a in shard5] == [("Kubernetes Logs (User)-5", 0), ("Kubernetes Logs (User)-5", 1)]
    first = _ok(shard5[0][1])
    assert "ConnectionResetError" in first
    assert "propeller retried it" in first
    assert "Subtask 5 succeeded" in _ok(shard5[1][1])

    # The traceback of the failed node, whole, with its exception line.
    (explode,) = _logs(sb, kinds, "n10")
    page = _ok(explode[1])
    assert "Traceback (most recent call last):" in page
    assert "ValueError: column &#x27;price&#x27; has 1273 non-numeric values" in page


def test_pages_escape_what_they_show(sandbox: Sandbox) -> None:
    wf = sandbox.launch("failure")
    sandbox.run_until_done(wf)
    (log,) = _logs(sandbox, wf, "n1")
    page = _ok(log[1])
    assert "KeyError: &#x27;customer_id&#x27; not found" in page
    assert "'customer_id'" not in page
    status, body = _get(sandbox.console_endpoint + "/console/projects/p/domains/d/executions/%3Cscript%3Ex")
    assert status == 404
    assert "&lt;script&gt;x" in body
    assert "<script>" not in body


def test_a_running_execution_page_reloads_and_unknown_pages_are_404(sandbox: Sandbox) -> None:
    wf = sandbox.launch("demo")
    sandbox.advance(3)
    assert 'http-equiv="refresh"' in _ok(sandbox.console_url(wf))
    base = f"{sandbox.console_endpoint}/logs/{wf.project}/{wf.domain}/{wf.name}"
    assert _get(f"{base}/n5/0")[0] == 404  # deploy has not started
    assert _get(f"{base}/n0/0?index=x")[0] == 400
    assert _get(sandbox.console_endpoint + "/nothing-here")[0] == 404
