"""The board over real gRPC against the sandbox: queries with FlyteAdmin filters and paging, new executions
appearing, the RPCs a refresh costs, a list of ids ending, and the board's requests (compare, terminate)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from flyteexec_widget.admin.errors import RpcFailure
from flyteexec_widget.display.board import Board
from flyteexec_widget.live.board import BoardIds, BoardModel, BoardQuery, BoardSync
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.sweep import hyperparameters, launch_sweep, trial_outcome

P, D = "flytesnacks", "development"
SWEEP_LP = "sandbox.sweep.wf"


def _board(remote: Remote, source: Any, metric: str | None = "accuracy") -> tuple[BoardSync, BoardModel]:
    sync = BoardSync(remote, source, metric=metric)
    model = BoardModel(sync)
    model.update_from(sync.refresh())
    return sync, model


def _refresh(sync: BoardSync, model: BoardModel) -> None:
    model.update_from(sync.refresh())


def test_a_query_lists_one_launch_plan_with_its_hyperparameters_metric_and_errors(
    sandbox: Sandbox, remote: Remote
) -> None:
    ids = launch_sweep(sandbox, 10)
    other = sandbox.launch("single-task")
    sandbox.advance(30)
    _sync, model = _board(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP))
    rows = list(model.rows.values())
    assert {r["name"] for r in rows} == {i.name for i in ids}  # the other launch plan's execution is not listed
    assert other.name not in model.rows
    assert [r["name"] for r in rows] == [i.name for i in reversed(ids)]  # newest first
    assert model.header["columns"] == ["batch_size", "learning_rate", "trial"]  # the optimizer is the same for all
    by_trial = {int(r["inputs"]["trial"]["text"]): r for r in rows}
    for trial, r in by_trial.items():
        assert r["inputs"]["learning_rate"]["value"] == hyperparameters(trial)["learning_rate"]
        outcome = trial_outcome(trial)
        assert r["phase"] == {"failed": "FAILED", "running": "RUNNING", "succeeded": "SUCCEEDED"}[outcome]
        if outcome == "succeeded":
            assert r["metric"] is not None
            assert isinstance(r["metric"]["value"], float)
        else:
            assert r["metric"] is None
        if outcome == "failed":  # the whole error, though ListExecutions cuts it at 100 bytes
            assert r["error"] is not None
            assert r["error"]["message"].splitlines()[-1].startswith("FloatingPointError: loss is NaN")
        if outcome == "running":
            assert r["progress"] == {"done": 1, "total": 3, "running": 1, "failed": 0}
    assert model.counts == {"SUCCEEDED": 6, "FAILED": 2, "RUNNING": 2}


def test_filters_by_phase_workflow_principal_and_since(sandbox: Sandbox, remote: Remote) -> None:
    launch_sweep(sandbox, 10)
    sandbox.advance(30)
    failed = BoardQuery.make(P, D, workflow=SWEEP_LP, phase=["FAILED", "RUNNING"], principal="sandbox")
    _s, model = _board(remote, failed)
    assert sorted(r["phase"] for r in model.rows.values()) == ["FAILED", "FAILED", "RUNNING", "RUNNING"]
    nobody = BoardQuery.make(P, D, launch_plan=SWEEP_LP, principal="someone-else")
    assert not _board(remote, nobody)[1].rows
    import datetime as dt

    later = BoardQuery.make(P, D, launch_plan=SWEEP_LP, since=dt.datetime(2999, 1, 1, tzinfo=dt.timezone.utc))
    assert not _board(remote, later)[1].rows


def test_list_executions_pages_over_an_order_it_asked_for(sandbox: Sandbox, remote: Remote) -> None:
    ids = launch_sweep(sandbox, 12)
    sandbox.reset_rpc_counts()
    got = remote.list_executions(P, D, filters=f"eq(launch_plan.name,{SWEEP_LP})", limit=5)
    assert [e.id.name for e in got] == [i.name for i in reversed(ids)]
    assert sandbox.rpc_counts()["ListExecutions"] == 3  # 5 + 5 + 2
    first = remote.list_executions(P, D, filters=f"eq(launch_plan.name,{SWEEP_LP})", limit=5, max_items=7)
    assert [e.id.name for e in first] == [i.name for i in reversed(ids)][:7]


def test_a_filter_the_admin_refuses_is_a_clear_error(sandbox: Sandbox, remote: Remote) -> None:
    with pytest.raises(RpcFailure) as err:
        remote.list_executions(P, D, filters="eq(launch_plan.nope,x)")
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_a_new_matching_execution_appears_at_the_top(sandbox: Sandbox, remote: Remote) -> None:
    launch_sweep(sandbox, 3)
    sandbox.advance(20)
    sync, model = _board(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP))
    assert len(model.rows) == 3
    seen: list[list[str]] = []
    model.on_rows_change(lambda v, changed, removed: seen.append([r["name"] for r in changed]))
    (new,) = launch_sweep(sandbox, 1, start=3)
    _refresh(sync, model)
    assert next(iter(model.rows.values()))["name"] == new.name
    assert seen
    assert new.name in seen[-1]


def test_a_steady_refresh_costs_one_listing_plus_one_node_listing_per_running_execution(
    sandbox: Sandbox, remote: Remote
) -> None:
    launch_sweep(sandbox, 20)  # 4 of them train for an hour
    sandbox.advance(40)
    sync, model = _board(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP))
    assert model.counts["RUNNING"] == 4
    sandbox.reset_rpc_counts()
    _refresh(sync, model)
    assert sandbox.rpc_counts() == {"ListExecutions": 1, "ListNodeExecutions": 4}
    # one that ends is read once more (its outputs), then never again
    sandbox.advance(3600)
    sandbox.reset_rpc_counts()
    _refresh(sync, model)
    assert sandbox.rpc_counts() == {"ListExecutions": 1, "GetExecutionData": 4}
    sandbox.reset_rpc_counts()
    _refresh(sync, model)
    assert sandbox.rpc_counts() == {"ListExecutions": 1}
    assert all(r["metric"] is not None for r in model.rows.values() if r["phase"] == "SUCCEEDED")


def test_a_board_of_ids_keeps_their_order_and_ends_when_all_ended(sandbox: Sandbox, remote: Remote) -> None:
    ids = launch_sweep(sandbox, 3)
    sandbox.advance(30)
    source = BoardIds.make([f"{P}:{D}:{i.name}" for i in ids])
    _sync, model = _board(remote, source)
    assert [r["name"] for r in model.rows.values()] == [i.name for i in ids]
    assert model.header["terminal"] is True
    running = launch_sweep(sandbox, 1, start=4)  # trial 4 runs for an hour
    _s2, m2 = _board(remote, BoardIds.make([*ids, *running]))
    assert m2.header["terminal"] is False


def test_the_board_through_the_scheduler_compare_and_terminate(sandbox: Sandbox, remote: Remote) -> None:
    ids = launch_sweep(sandbox, 5)  # trial 3 fails, trial 4 runs
    sandbox.advance(40)
    sched = SyncScheduler(start_thread=False)
    b = Board(
        remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP), metric="accuracy", scheduler=sched, runner=lambda fn: fn()
    )
    try:
        sched.sync_once()
        assert len(b.widget.rows) == 5
        assert b.widget.header["metric"] == "accuracy"
        k0, k1 = (f"{P}:{D}:{ids[t].name}" for t in (0, 1))
        result = b.compare(k0, k1)
        differing = {i["name"] for i in result["inputs"] if i["differs"]}
        assert differing == {"learning_rate", "trial"}
        assert [o["name"] for o in result["outputs"]] == ["accuracy"]
        assert result["outputs"][0]["differs"] is True
        assert [n["node_id"] for n in result["nodes"]] == ["n0", "n1", "n2"]
        train = result["nodes"][1]
        assert train["name"] == "train_trial"
        assert train["delta_s"] == pytest.approx(train["b"]["duration_s"] - train["a"]["duration_s"])
        sent: list[dict[str, Any]] = []
        b.widget.send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
        running = f"{P}:{D}:{ids[4].name}"
        b._on_msg(b.widget, {"type": "request", "id": "r1", "action": "terminate", "keys": [running, k0]}, [])
        response = sent[-1]
        assert response["ok"] is True
        outcomes = {r["key"]: r["ok"] for r in response["result"]["results"]}
        assert outcomes == {running: True, k0: False}  # k0 had finished: FAILED_PRECONDITION, reported per row
        assert b.model.rows[running]["phase"] in ("ABORTING", "ABORTED")
        b._on_msg(b.widget, {"type": "request", "id": "r2", "action": "compare", "keys": [k0]}, [])
        assert sent[-1]["ok"] is False
        assert "exactly 2" in sent[-1]["error"]["message"]
    finally:
        b.close()
        sched.shutdown()


def test_a_refused_data_fetch_marks_that_row_and_is_not_asked_again(sandbox: Sandbox, remote: Remote) -> None:
    launch_sweep(sandbox, 3)
    sandbox.advance(30)
    sandbox.fail_next(1, grpc.StatusCode.NOT_FOUND, methods="GetExecutionData")
    sync, model = _board(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP))
    states = sorted(r["outputs_state"] for r in model.rows.values())
    assert states == ["error", "ready", "ready"]
    sandbox.reset_rpc_counts()
    _refresh(sync, model)
    assert sandbox.rpc_counts() == {"ListExecutions": 1}


def test_server_errors_are_retried_and_the_listing_recovers(sandbox: Sandbox, remote: Remote) -> None:
    launch_sweep(sandbox, 3)
    sandbox.advance(30)
    sandbox.fail_next(1, grpc.StatusCode.INTERNAL, methods="GetExecutionData")
    sync, model = _board(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP))
    assert sorted(r["outputs_state"] for r in model.rows.values()) == ["pending", "ready", "ready"]
    _refresh(sync, model)  # asked again: FlyteAdmin's own failure may pass
    assert sorted(r["outputs_state"] for r in model.rows.values()) == ["ready", "ready", "ready"]
    sandbox.fail_next(1, grpc.StatusCode.UNAVAILABLE, methods="ListExecutions")
    _refresh(sync, model)  # the client retries a transient failure itself
    assert len(model.rows) == 3


def test_making_the_same_board_again_closes_the_previous_one(sandbox: Sandbox, remote: Remote) -> None:
    import datetime as dt

    from flyteexec_widget.display.board import board

    launch_sweep(sandbox, 2)
    first = board(remote=remote, project=P, domain=D, launch_plan=SWEEP_LP, since=dt.timedelta(hours=1))
    other = board(remote=remote, project=P, domain=D, launch_plan=SWEEP_LP, metric="accuracy")
    again = board(remote=remote, project=P, domain=D, launch_plan=SWEEP_LP, since=dt.timedelta(hours=1))
    try:
        assert not first.watch.active  # a cell run again: the old board stopped refreshing
        assert again.watch.active
        assert other.watch.active  # another query (here: another metric) is another board
    finally:
        for b in (first, other, again):
            b.close()


def test_a_metric_no_execution_has_says_which_outputs_there_are(sandbox: Sandbox, remote: Remote) -> None:
    launch_sweep(sandbox, 2)
    sandbox.advance(30)
    _s, model = _board(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP), metric="acuracy")
    assert model.header["metric_note"] == "no execution has an output named 'acuracy'; their outputs: accuracy"
    _s, good = _board(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP), metric="accuracy")
    assert good.header["metric_note"] is None
