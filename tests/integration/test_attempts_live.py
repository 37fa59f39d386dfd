"""Attempts against the sandbox: the compact per-attempt list a retried node's row carries for the timeline, and
the widget's ``attempts`` answer (reason, error, logs per attempt), for a retried task and a retried array subtask."""

from __future__ import annotations

from typing import Any

from flyteexec_widget.live.attempts import attempts_of
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox


def _watched(sandbox: Sandbox, remote: Remote, seconds: int) -> tuple[ExecutionModel, Any]:
    """all-kinds synced once per sandbox second for ``seconds`` (a watch sees subtasks start and end)."""
    wf_id = sandbox.launch("all-kinds")
    ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
    sync = TreeSync(remote, ex)
    for _ in range(seconds):
        sandbox.advance(1)
        sync.refresh()
    return ExecutionModel(ex), ex


def test_a_retried_node_carries_each_attempt_and_the_detail_gets_reasons_errors_and_logs(
    sandbox: Sandbox, remote: Remote
) -> None:
    model, _ = _watched(sandbox, remote, 30)
    row = model.rows["n0"]  # "flaky": two ConnectionErrors, then success
    spans = row["attempt_spans"]
    assert [s["phase"] for s in spans] == ["FAILED", "FAILED", "SUCCEEDED"]
    assert all(s["started_at"] for s in spans)
    assert [s["started_at"] for s in spans] == sorted(s["started_at"] for s in spans)
    assert all(s["duration_s"] is not None and s["duration_s"] > 0 for s in spans)
    # a node run once carries none: its own times say it all (and an empty list costs no bytes once omitted)
    assert model.rows["n10"]["attempt_spans"] == []

    answer = attempts_of(row, model.node("n0"))
    got = answer["attempts"]
    assert [a["attempt"] for a in got] == [0, 1, 2]
    assert [a["label"] for a in got] == ["Failed", "Failed", "Succeeded"]
    assert got[0]["error"] is not None
    assert got[0]["error"]["message"] == "ConnectionError: feature store timed out after 30s"
    assert got[2]["error"] is None
    assert all(a["reason"] for a in got)  # propeller's reasons ("task submitted to K8s"...)
    for a in got:  # each attempt's own log links
        assert a["logs"]
        assert {link["attempt"] for link in a["logs"]} == {a["attempt"]}
    assert len({link["uri"] for a in got for link in a["logs"]}) == sum(len(a["logs"]) for a in got)
    assert answer["omitted"] == 0


def test_a_retried_array_subtask_lists_each_retry_with_the_times_the_watch_saw(
    sandbox: Sandbox, remote: Remote
) -> None:
    model, _ = _watched(sandbox, remote, 40)
    row = model.rows["n9[13]"]  # retried twice (retries={13: 2})
    assert row["kind"] == "subtask"
    spans = row["attempt_spans"]
    assert len(spans) == 3
    assert [s["phase"] for s in spans][:2] == ["FAILED", "FAILED"]
    assert spans[-1]["phase"] == "SUCCEEDED"
    assert all(s["started_at"] for s in spans)  # the watch saw each retry start
    assert model.rows["n9[0]"]["attempt_spans"] == []  # run once

    answer = attempts_of(row, model.node("n9[13]"))
    got = answer["attempts"]
    assert [a["attempt"] for a in got] == [0, 1, 2]
    assert [a["phase"] for a in got] == ["FAILED", "FAILED", "SUCCEEDED"]
    assert all(a["logs"] for a in got)
    assert all(link["attempt"] == a["attempt"] for a in got for link in a["logs"])
