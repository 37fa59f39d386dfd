"""The board's trees and watches over their life, on the sandbox: a tree opened while the board closes, the same
row opened twice at once (a double click: two requests on two threads), what the board shows while FlyteAdmin
cannot be reached, and the executions it remembers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from flyteexec_widget.display import notebook
from flyteexec_widget.display.board import Board
from flyteexec_widget.live.board import BoardQuery
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.sweep import launch_sweep

P, D = "flytesnacks", "development"
SWEEP_LP = "sandbox.sweep.wf"


@pytest.fixture
def sched() -> Iterator[SyncScheduler]:
    s = SyncScheduler(start_thread=False)
    yield s
    s.shutdown()


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The tree widgets the board makes (through notebook.watch, the one way it makes them)."""
    out: list[Any] = []
    real = notebook.watch

    def recording(*args: Any, **kwargs: Any) -> Any:
        out.append(real(*args, **kwargs))
        return out[-1]

    monkeypatch.setattr(notebook, "watch", recording)
    return out


def _board(remote: Remote, sched: SyncScheduler, **kw: Any) -> Board:
    return Board(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP, **kw), scheduler=sched, runner=lambda fn: fn())


def test_a_tree_opened_while_the_board_closes_is_closed_too(
    sandbox: Sandbox, remote: Remote, sched: SyncScheduler, made: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    (first,) = launch_sweep(sandbox, 1)
    b = _board(remote, sched)
    sched.sync_once()
    real_fetch = remote.fetch_execution

    def fetch_then_close(*args: Any) -> Any:
        got = real_fetch(*args)
        b.close()  # the user closes the board (or runs its cell again) while the tree is fetched
        return got

    monkeypatch.setattr(remote, "fetch_execution", fetch_then_close)
    with pytest.raises(RuntimeError, match="closed"):
        b.open(f"{P}:{D}:{first.name}")
    assert len(made) == 1
    assert made[0].watch is not None
    assert not made[0].watch.active  # no tree keeps polling for a board that is gone


def test_one_row_opened_twice_at_once_keeps_one_tree(
    sandbox: Sandbox, remote: Remote, sched: SyncScheduler, made: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    (first,) = launch_sweep(sandbox, 1)
    key = f"{P}:{D}:{first.name}"
    b = _board(remote, sched)
    try:
        sched.sync_once()
        real_fetch = remote.fetch_execution
        calls = 0

        def fetch_racing(*args: Any) -> Any:
            nonlocal calls
            calls += 1
            got = real_fetch(*args)
            if calls == 1:
                b.open(key, pin=True)  # the "pin" click's request finishes first
            return got

        monkeypatch.setattr(remote, "fetch_execution", fetch_racing)
        opened = b.open(key)  # the row click's
        assert len(made) == 2  # made[0]: the pin's (it got in first), made[1]: the row click's
        assert opened is made[0]
        assert made[1].watch is not None
        assert not made[1].watch.active  # the spare tree does not poll on
        assert made[0].watch is not None
        assert made[0].watch.active
        assert b.widget.open_keys == [key]
        assert b.widget.pinned == [key]
        assert list(b.panes.children) == [opened]
    finally:
        b.close()
    assert made[0].watch is not None
    assert not made[0].watch.active


def test_while_flyteadmin_cannot_be_reached_the_board_says_reconnecting_and_comes_back(
    sandbox: Sandbox, sched: SyncScheduler
) -> None:
    launch_sweep(sandbox, 2)
    from flyteexec_widget.admin.retry import RetryPolicy

    remote = Remote.for_sandbox(sandbox.endpoint, rpc_timeout=5.0, retry=RetryPolicy(max_attempts=1))
    b = _board(remote, sched)
    try:
        sched.sync_once()
        assert len(b.widget.rows) == 2
        sandbox.fail_next(2, grpc.StatusCode.UNAVAILABLE, methods="ListExecutions")
        sched.sync_once()
        assert b.widget.sync_status["state"] == "reconnecting"
        assert "UNAVAILABLE" in b.widget.sync_status["last_error"]
        assert len(b.widget.rows) == 2  # the rows it had stay
        sched.sync_once()
        sched.sync_once()
        assert b.widget.sync_status["state"] == "live"
    finally:
        b.close()
        remote.close()


def test_executions_that_stop_matching_are_forgotten(sandbox: Sandbox, remote: Remote) -> None:
    from flyteexec_widget.live.board import BoardModel, BoardSync

    ids = launch_sweep(sandbox, 5)  # trial 4 trains for an hour, the others end within a minute
    sandbox.advance(2)
    sync = BoardSync(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP, phase="RUNNING"))
    model = BoardModel(sync)
    model.update_from(sync.refresh())
    assert len(model.rows) == 5
    sandbox.advance(60)
    model.update_from(sync.refresh())
    assert [r["name"] for r in model.rows.values()] == [ids[4].name]
    with pytest.raises(KeyError, match="no execution"):
        sync.entry(f"{P}:{D}:{ids[0].name}")  # its data is not kept for a row the board no longer has


def test_relaunch_and_recover_of_the_ticked_rows_appear_on_the_board(
    sandbox: Sandbox, remote: Remote, sched: SyncScheduler
) -> None:
    ids = launch_sweep(sandbox, 4)  # trial 3 fails
    sandbox.advance(60)
    b = _board(remote, sched)
    sent: list[dict[str, Any]] = []
    b.widget.send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    try:
        sched.sync_once()
        ok, failed = (f"{P}:{D}:{ids[t].name}" for t in (0, 3))
        assert b.model.rows[failed]["phase"] == "FAILED"
        b._on_msg(b.widget, {"type": "request", "id": "r1", "action": "relaunch", "keys": [ok]}, [])
        (relaunched,) = sent[-1]["result"]["results"]
        assert relaunched["ok"] is True
        assert relaunched["message"] == "Relaunched as"
        assert relaunched["url"] is None or relaunched["url"].startswith(("http://", "https://"))
        b._on_msg(b.widget, {"type": "request", "id": "r2", "action": "recover", "keys": [failed]}, [])
        (recovered,) = sent[-1]["result"]["results"]
        assert recovered["ok"] is True
        assert recovered["message"] == "Recovering as"
        names = [r["name"] for r in b.rows]
        assert relaunched["name"] in names  # the board refreshed at once: the new executions match its query
        assert recovered["name"] in names
        assert len(names) == 6
        from flyteidl.admin import execution_pb2

        new = b.execution(f"{P}:{D}:{relaunched['name']}").to_flyte_idl()
        assert new.spec.metadata.mode == execution_pb2.ExecutionMetadata.RELAUNCH
        assert new.spec.metadata.reference_execution.name == ids[0].name
    finally:
        b.close()


def test_ids_flyteadmin_does_not_know_are_named_in_the_head(sandbox: Sandbox, remote: Remote) -> None:
    from flyteexec_widget.display.board_render import board_text
    from flyteexec_widget.live.board import BoardIds, BoardModel, BoardSync

    (known,) = launch_sweep(sandbox, 1)
    sync = BoardSync(remote, BoardIds.make([f"{P}:{D}:{known.name}", f"{P}:{D}:typo123"]))
    model = BoardModel(sync)
    model.update_from(sync.refresh())
    assert [r["name"] for r in model.rows.values()] == [known.name]
    assert model.header["missing_note"] == f"not found on FlyteAdmin: {P}:{D}:typo123"
    assert "not found on FlyteAdmin: flytesnacks:development:typo123" in board_text(
        list(model.rows.values()), model.header
    )


def test_a_query_is_ordered_by_the_indexed_unambiguous_execution_created_at(
    sandbox: Sandbox, remote: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flyteexec_widget.live.board import BoardModel, BoardSync

    ids = launch_sweep(sandbox, 3)
    asked: list[Any] = []
    real = remote.list_executions

    def recording(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("sort_by"))
        return real(*args, **kwargs)

    monkeypatch.setattr(remote, "list_executions", recording)
    sync = BoardSync(remote, BoardQuery.make(P, D, launch_plan=SWEEP_LP))  # joins launch_plans (created_at too)
    model = BoardModel(sync)
    model.update_from(sync.refresh())
    from flyteidl.admin import common_pb2

    assert [(s.key, s.direction) for s in asked] == [("execution_created_at", common_pb2.Sort.DESCENDING)]
    assert [r["name"] for r in model.rows.values()] == [i.name for i in reversed(ids)]


def test_the_views_open_pin_unpin_and_close_requests_and_bad_requests_are_answered(
    sandbox: Sandbox, remote: Remote, sched: SyncScheduler, made: list[Any]
) -> None:
    """The board's requests as the page sends them (board.js): each acknowledged, then answered; a tree closed from
    the view stops its watch; a request the board cannot serve comes back as an error naming what is valid."""
    first, second = launch_sweep(sandbox, 2)
    k1, k2 = (f"{P}:{D}:{x.name}" for x in (first, second))
    b = _board(remote, sched)
    sent: list[dict[str, Any]] = []
    b.widget.send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]

    def ask(req_id: str, action: str, **fields: Any) -> dict[str, Any]:
        b._on_msg(b.widget, {"type": "request", "id": req_id, "action": action, **fields}, [])
        assert sent[-2] == {"type": "accepted", "id": req_id}
        assert sent[-1]["type"] == "response"
        assert sent[-1]["id"] == req_id
        return sent[-1]

    try:
        sched.sync_once()
        assert ask("r1", "open", key=k1, pin=True)["result"] == {"open": [k1]}
        assert ask("r2", "open", key=k2)["result"] == {"open": [k1, k2]}  # the pinned one stays beside it
        assert b.widget.pinned == [k1]
        assert ask("r3", "unpin", key=k1)["result"] == {"pinned": []}
        assert ask("r4", "close", key=k1)["result"] == {"open": [k2]}
        assert not made[0].watch.active  # the tree closed from the view polls no more
        assert made[1].watch.active
        assert ask("r5", "select", keys=[k2, "p:d:gone"])["result"] == {"selected": 1}
        assert b.selected == [k2]

        bad = ask("r6", "explode", key=k1)
        assert bad["ok"] is False
        assert "unknown action 'explode'" in bad["error"]["message"]
        assert "compare" in bad["error"]["message"]  # the valid ones are named
        bad = ask("r7", "close", key=["not", "a", "key"])
        assert bad["ok"] is False
        assert "key must be a row key" in bad["error"]["message"]
        bad = ask("r8", "terminate", keys=["p:d:gone"])
        assert bad["ok"] is False
        assert "no execution 'p:d:gone' on this board" in bad["error"]["message"]
        count = len(sent)
        b._on_msg(b.widget, {"type": "request", "action": "select", "keys": []}, [])  # no id: nobody to answer
        assert len(sent) == count
    finally:
        b.close()
    assert not made[1].watch.active
