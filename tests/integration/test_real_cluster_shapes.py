"""What real clusters produce and the client must follow, over real gRPC against the sandbox (stepped clock).

- a dynamic node retried after its generated workflow timed out: children of both attempts under one parent,
  grouped by parent attempt (rows, counts, the text rendering);
- node ids past propeller's 20 characters (hashed) at every level, and array subtasks reported as node executions
  (event version 1) whose hashed ids carry no index: the index comes from the spec node id;
- a node that becomes a parent without its own row moving (FlyteAdmin derives ``is_parent_node``): its children
  show in the refresh that first can see them;
- a SQLite-backed FlyteAdmin whose ``updated_at`` filter compares text: found out, then whole listings;
- error messages FlyteAdmin trimmed inside a multi-byte character (97-99 bytes) are known to be trimmed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flyteidl.admin import node_execution_pb2
from flyteidl.core import execution_pb2

from flyteexec_widget.display.render import text_tree
from flyteexec_widget.display.waiting import format_status_line
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.sync import ATTEMPTS_BUDGET, TreeSync
from flyteexec_widget.objects.phases import NodePhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.player import unique_node_id
from tests.integration.test_tree_sync import SpyRemote, _send_node_event, fetch, flatten, visible_truth


@pytest.fixture
def spy(sandbox: Sandbox) -> Iterator[SpyRemote]:
    r = SpyRemote(sandbox.endpoint, insecure=True, rpc_timeout=10.0)
    try:
        yield r
    finally:
        r.close()


def _advance_until(sb: Sandbox, tree: TreeSync, done: Any, limit: int = 120) -> None:
    """Advance one second at a time, refreshing each time, until ``done()``."""
    for _ in range(limit):
        sb.advance(1)
        tree.refresh()
        if done():
            return
    raise AssertionError("the awaited state never came")


# ----------------------------------------------------------------------------------------------------------------
# a retried dynamic node
# ----------------------------------------------------------------------------------------------------------------


def test_children_of_a_retried_dynamic_node_are_grouped_by_parent_attempt(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("dynamic-retry")
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    # attempt 0's workflow timed out; attempt 1's task runs, its children do not exist yet
    _advance_until(
        sandbox, tree, lambda: "n1" in ex.node_executions and len(ex.node_executions["n1"].task_executions) == 2
    )
    model = ExecutionModel(ex)
    parent = model.rows["n1"]
    assert (parent["attempt_groups"], parent["kind"]) == ([0, 1], "dynamic")
    earlier = {k: r for k, r in model.rows.items() if k.startswith("n1/")}
    assert set(earlier) == {"n1/n1-0-dn0", "n1/n1-0-dn1"}
    assert all(r["retry_group"] == 0 and r["superseded"] for r in earlier.values())
    assert earlier["n1/n1-0-dn1"]["phase"] == "TIMED_OUT"
    assert "TIMED_OUT" not in model.counts  # the view counts what runs now: the latest attempt
    assert ", 0 failed," in format_status_line(model, 10)  # so does wait()'s status line
    # attempt 1's children arrive under the same parent
    _advance_until(sandbox, tree, lambda: "n1-1-dn2" in ex.node_executions["n1"].subworkflow_node_executions)
    sandbox.run_until_done(wf_id)
    tree.refresh()
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    model.update_from(ex)
    rows = model.rows
    assert rows["n1"]["attempt_groups"] == [0, 1]
    latest = {k for k, r in rows.items() if k.startswith("n1/") and not r["superseded"]}
    assert latest == {"n1/n1-1-dn0", "n1/n1-1-dn1", "n1/n1-1-dn2"}
    assert {rows[k]["retry_group"] for k in latest} == {1}
    assert rows["n1/n1-0-dn1"]["superseded"]
    assert rows["n1/n1-0-dn1"]["phase"] == "TIMED_OUT"
    assert rows["n0"]["retry_group"] is None
    assert not rows["n0"]["superseded"]
    # counts: every row of the latest attempt, none of the earlier one
    assert model.counts == {"SUCCEEDED": 2 + 1 + 3}
    text = text_tree(model)
    assert "n1-1-dn1" in text
    assert "n1-0-dn1" not in text
    assert "children of attempt 2 (1 earlier attempt not shown)" in text


# ----------------------------------------------------------------------------------------------------------------
# hashed ids
# ----------------------------------------------------------------------------------------------------------------


def test_long_node_ids_are_hashed_at_every_level_and_the_tree_still_matches(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("long-names")
    sandbox.run_until_done(wf_id)
    ex = fetch(spy, wf_id)
    TreeSync(spy, ex).refresh()
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    top = unique_node_id(None, 0, "feature_engineering_stage")
    assert top.startswith("f")
    assert len(top) == 8
    child = unique_node_id(top, 0, "normalize_numeric_columns")
    assert child in ex.node_executions[top].subworkflow_node_executions
    model = ExecutionModel(ex)
    names = {r["name"] for r in model.rows.values()}
    assert {"features", "normalize", "train_regions", "train_region", "choose_target", "deploy"} <= names
    assert model.rows[top]["kind"] == "subworkflow"
    # the map task's subtasks under a hashed array id keep their indices
    array = unique_node_id(top, 0, "score_feature_quality")
    assert {k for k in model.rows if k.startswith(f"{top}/{array}[")} == {f"{top}/{array}[{i}]" for i in range(4)}


def test_array_subtasks_as_nodes_take_their_index_from_the_spec_node_id(sandbox: Sandbox, spy: SpyRemote) -> None:
    """With event version 1 a subtask's id is ``<array>-<attempt>-n<i>``, hashed past 20 characters: only the
    spec node id ``n<i>`` still says which index it is."""
    wf_id = sandbox.launch("array-node-v1")
    sandbox.run_until_done(wf_id)
    ex = fetch(spy, wf_id)
    TreeSync(spy, ex).refresh()
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    model = ExecutionModel(ex)
    subtasks = {k: r for k, r in model.rows.items() if k.startswith("score_all_batches[")}
    assert set(subtasks) == {f"score_all_batches[{i}]" for i in range(12)}
    three = subtasks["score_all_batches[3]"]
    assert three["node_id"] == unique_node_id("score_all_batches", 0, "n3") != "score_all_batches-0-n3"
    assert (three["kind"], three["name"], three["phase"], three["attempts"]) == (
        "subtask",
        "score_batch[3]",
        "SUCCEEDED",
        2,
    )
    assert (
        model.node("score_all_batches[3]")
        is ex.node_executions["score_all_batches"].subworkflow_node_executions[three["node_id"]]
    )
    nested = {k for k in model.rows if k.startswith("n2/n2-0-n0[")}
    assert nested == {"n2/n2-0-n0[0]", "n2/n2-0-n0[1]", "n2/n2-0-n0[2]"}


# ----------------------------------------------------------------------------------------------------------------
# a parent FlyteAdmin flags only from its children
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("budget", [ATTEMPTS_BUDGET, 0])
def test_children_of_a_node_flagged_a_parent_only_by_them_show_in_the_next_refresh(
    sandbox: Sandbox, spy: SpyRemote, budget: int
) -> None:
    """late-parent: a dynamic node of an eventVersion-1 workflow never reports itself a parent; FlyteAdmin derives
    the flag from its children without touching its row, and its siblings moved the level's watermark far past it,
    so no filtered listing returns it. Its children must still show in the refresh after they appear, however many
    unchanged running nodes share the attempt budget (0: more of them than the budget, none left for it)."""
    wf_id = sandbox.launch("late-parent")
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    tree.attempts_budget = budget
    refreshes = 0
    for _ in range(60):
        sandbox.advance(1)
        spy.lists.clear()
        tree.refresh()
        refreshes += 1
        truth = {k for k in sandbox.truth(wf_id) if k.startswith("n0-0-dn")}
        if truth:
            break
    assert 2 < refreshes < 30  # the children appeared mid-run
    # ... and the refresh that showed them listed the top level filtered: not the periodic whole listing, which
    # would show FlyteAdmin's derived is_parent_node by itself
    top_listings = [filters for parent, filters in spy.lists if parent == ""]
    assert top_listings
    assert all(top_listings)
    assert set(ex.node_executions["n0"].subworkflow_node_executions) >= truth
    assert ExecutionModel(ex).rows["n0"]["kind"] == "dynamic"
    sandbox.run_until_done(wf_id)
    tree.refresh()
    assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    listed: node_execution_pb2.NodeExecution = ex.node_executions["n0"].to_flyte_idl()
    assert (listed.metadata.is_dynamic, listed.metadata.is_parent_node) == (True, False)  # as FlyteAdmin ends it


# ----------------------------------------------------------------------------------------------------------------
# a SQLite-backed FlyteAdmin
# ----------------------------------------------------------------------------------------------------------------


def test_the_sandbox_can_compare_timestamp_filters_as_sqlite_does(sandbox: Sandbox, spy: SpyRemote) -> None:
    wf_id = sandbox.launch("single-task")
    sandbox.advance(3)
    every = len(spy.list_node_executions(wf_id))
    since = "2000-01-01T00:00:00Z"  # before everything: a timestamp comparison matches every node
    assert len(spy.list_node_executions(wf_id, filters=f"gte(node_execution_updated_at,{since})")) == every > 0
    sandbox.compare_timestamps_as_text()
    now = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    day_start = sandbox.clock.now().strftime("%Y-%m-%dT00:00:00Z")
    # stored "2026-01-01 12:00:03+00:00" >= "2026-01-01T00:00:00Z"? ' ' < 'T': no, nothing on the same day matches
    assert spy.list_node_executions(wf_id, filters=f"gte(node_execution_updated_at,{day_start})") == []
    assert len(spy.list_node_executions(wf_id, filters=f"lt(node_execution_updated_at,{now})")) == every
    sandbox.compare_timestamps_as_text(False)
    assert len(spy.list_node_executions(wf_id, filters=f"gte(node_execution_updated_at,{day_start})")) == every


def test_a_filter_that_compares_text_is_found_out_and_the_tree_listed_whole(
    sandbox: Sandbox, spy: SpyRemote, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.compare_timestamps_as_text()
    wf_id = sandbox.launch("deep")
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    with caplog.at_level(logging.INFO, logger="flyteexec_widget.live.sync"):
        for _ in range(25):
            sandbox.advance(1)
            tree.refresh()
            # every refresh shows what FlyteAdmin holds, not only the periodic whole one
            assert flatten(ex.node_executions) == visible_truth(sandbox, wf_id)
    said = [r for r in caplog.records if "missed the newest node" in r.getMessage()]
    assert len(said) == 1  # once
    # INFO: a WARNING from the sync thread would print into whatever cell runs; SQLite is a likely cause, not a sure one
    assert said[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert said[0].getMessage() == (
        f"execution {wf_id.name}: the filtered listing missed the newest node (e.g. a SQLite-backed FlyteAdmin "
        "compares timestamps as text): listing this execution whole from now on"
    )
    spy.lists.clear()
    sandbox.advance(1)
    tree.refresh()
    assert spy.lists
    assert all(f == "" for _, f in spy.lists)


def test_a_filter_that_works_is_kept(sandbox: Sandbox, spy: SpyRemote, caplog: pytest.LogCaptureFixture) -> None:
    wf_id = sandbox.launch("deep")
    ex = fetch(spy, wf_id)
    tree = TreeSync(spy, ex)
    with caplog.at_level(logging.INFO, logger="flyteexec_widget.live.sync"):
        for _ in range(8):
            sandbox.advance(1)
            tree.refresh()
    assert not tree.whole_listings
    assert "missed the newest node" not in caplog.text
    assert any(f for _, f in spy.lists)


# ----------------------------------------------------------------------------------------------------------------
# errors trimmed inside a character
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ascii_bytes", "char"), [(99, "é"), (98, "€"), (97, "🙂")])
def test_an_error_trimmed_inside_a_multibyte_character_is_marked_trimmed(
    sandbox: Sandbox, remote: Remote, ascii_bytes: int, char: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FlyteAdmin cuts list errors at 100 bytes and drops a character cut in two: 97-99 bytes come back. The sync
    fetches such an error whole (for the first sync.FULL_ERRORS failures); past those the row is flagged trimmed."""
    import flyteexec_widget.live.sync as sync_mod

    message = "x" * ascii_bytes + char + " and the rest of a long traceback"
    wf_id = sandbox.launch("single-task")
    sandbox.advance(1)
    _send_node_event(sandbox, wf_id, "broken", NodePhase.RUNNING)
    _send_node_event(
        sandbox, wf_id, "broken", NodePhase.FAILED, error=execution_pb2.ExecutionError(code="E", message=message)
    )
    with monkeypatch.context() as m:
        m.setattr(sync_mod, "FULL_ERRORS", 0)  # as if 50 failures had had theirs fetched already
        ex = fetch(remote, wf_id)
        TreeSync(remote, ex).refresh()
    listed = ex.node_executions["broken"].closure.error.message
    assert listed == "x" * ascii_bytes  # the cut character is dropped whole, not half of it
    error = ExecutionModel(ex).rows["broken"]["error"]
    assert error is not None
    assert error["trimmed"]
    whole = remote.get_node_execution(ex.node_executions["broken"].to_flyte_idl().id)
    assert whole.closure.error.message == message  # what the view fetches for a trimmed error

    ex = fetch(remote, wf_id)
    TreeSync(remote, ex).refresh()  # within the first failures: fetched whole by the sync, nothing left to fetch
    error = ExecutionModel(ex).rows["broken"]["error"]
    assert error is not None
    assert (error["message"], error["trimmed"]) == (message, False)
