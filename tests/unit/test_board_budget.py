"""A board keeps to the scheduler's call budget like a watch of one execution (live/board.py, live/scheduler.py),
with a fake FlyteAdmin client (a unit test: the sandbox's board runs in tests/integration/test_board_*.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import node_execution_pb2
from flyteidl.core import execution_pb2

from flyteexec_widget.admin.retry import RetryPolicy
from flyteexec_widget.live.board import BoardModel, BoardQuery, BoardSync
from flyteexec_widget.live.scheduler import RPC_BURST, RPC_RATE, SyncScheduler

from ._fake_clock import Clock

RUNNING = execution_pb2.WorkflowExecution.RUNNING
NODE_RUNNING = execution_pb2.NodeExecution.RUNNING
NODE_SUCCEEDED = execution_pb2.NodeExecution.SUCCEEDED


class SweepAdmin:
    """100 executions, 20 running, each running one's node count growing at every listing (its progress changes,
    so the board's rows change at every refresh); counts the calls."""

    def __init__(self, total: int = 100, running: int = 20) -> None:
        self.calls = 0
        self.listings = 0
        self.executor = ThreadPoolExecutor(4)
        self.executions = []
        for i in range(total):
            proto = admin_execution_pb2.Execution()
            proto.id.project, proto.id.domain, proto.id.name = "p", "d", f"t{i}"
            proto.closure.phase = RUNNING if i < running else execution_pb2.WorkflowExecution.SUCCEEDED
            self.executions.append(proto)

    def list_executions(self, project: str, domain: str, **_: Any) -> list[Any]:
        self.calls += 1
        self.listings += 1
        return list(self.executions)

    def get_execution_data(self, ident: Any) -> Any:
        self.calls += 1
        return admin_execution_pb2.WorkflowExecutionGetDataResponse()

    def list_node_executions(self, ident: Any) -> list[Any]:
        self.calls += 1
        nodes = []
        for k in range(self.listings + 1):  # one more node done per refresh
            n = node_execution_pb2.NodeExecution()
            n.id.node_id = f"n{k}"
            n.closure.phase = NODE_SUCCEEDED if k < self.listings else NODE_RUNNING
            nodes.append(n)
        return nodes

    def generate_console_url(self, _: Any) -> str:
        return "http://console.example/x"


@pytest.fixture
def admin() -> Iterator[SweepAdmin]:
    a = SweepAdmin()
    yield a
    a.executor.shutdown()


def test_a_board_whose_rows_change_at_every_refresh_keeps_to_the_call_budget(admin: SweepAdmin) -> None:
    """A sweep of 100 with 20 running whose progress moves all the time: without the budget the board refreshes
    every second (21 calls each: one listing, one node listing per running execution), 21 calls a second for as long
    as it is open. It keeps to RPC_RATE on average, and never waits past max_interval."""
    clock = Clock()
    sched = SyncScheduler(
        clock=clock,
        wall_clock=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
        start_thread=False,
        retry=RetryPolicy(initial_backoff=1.0, multiplier=2.0, max_backoff=8.0, jitter=0.0),
    )
    try:
        sync = BoardSync(admin, BoardQuery.make("p", "d"))
        model = BoardModel(sync)
        w = sched.watch(BoardQuery.make("p", "d"), model, remote=admin, tree=sync)
        sched.run_pending()  # the first refresh: inputs of all 100 (free, like a watch's cold sync)
        assert len(model.rows) == 100
        assert model.counts == {"RUNNING": 20, "SUCCEEDED": 80}
        first_calls = admin.calls
        versions, start, gaps = model.rows_version, clock.now, []
        clock.now = w.due
        while clock.now - start < 600:
            next_due = sched.run_pending()
            assert next_due is not None
            gaps.append(next_due - clock.now)
            clock.now = next_due
        assert model.rows_version - versions == len(gaps)  # rows changed at every refresh: the interval stays 1 s
        steady_rate = (admin.calls - first_calls) / (clock.now - start)
        # paced: a refresh of 21 calls every max_interval (15 s) at most, ~1.4 calls a second, not 21 (RPC_RATE alone
        # would ask for 42 s between refreshes; the budget never holds a view back longer than max_interval)
        assert steady_rate <= 21 / w.max_interval + RPC_BURST / 600
        assert steady_rate > RPC_RATE
        assert sync.last_rpc_count == 21  # what the board charges is what it made: 1 listing + 20 node listings
        assert max(gaps) == pytest.approx(w.max_interval)  # the debt never makes it wait past max_interval
    finally:
        sched.shutdown()
