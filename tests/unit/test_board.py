"""The board's pure parts (live/board.py): the FlyteAdmin filters a query asks with, the ids grouped into listings,
the input columns that differ between executions, and cells."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from flyteexec_widget.live.board import BoardIds, BoardQuery, cell, varying_inputs

UTC = dt.timezone.utc


def test_a_query_becomes_flyteadmin_filters() -> None:
    q = BoardQuery.make(
        "p",
        "d",
        launch_plan="sweeps.train",
        phase=["running", "FAILED"],
        since=dt.datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
        principal="alice",
    )
    assert q.filters() == (
        "eq(launch_plan.name,sweeps.train)+value_in(phase,RUNNING;FAILED)"
        "+gte(execution_created_at,2026-12-05T10:00:00.000000Z)+eq(user,alice)"
    )
    assert q.requests() == [("p", "d", q.filters(), 200)]


def test_one_phase_is_eq_and_a_workflow_is_a_join() -> None:
    q = BoardQuery.make("p", "d", workflow="wf.main", phase="SUCCEEDED", limit=50)
    assert q.filters() == "eq(workflow.name,wf.main)+eq(phase,SUCCEEDED)"
    assert q.requests()[0][3] == 50
    assert BoardQuery.make("p", "d").filters() == ""


def test_since_as_a_timedelta_is_fixed_when_the_board_starts() -> None:
    now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    q = BoardQuery.make("p", "d", since=dt.timedelta(hours=2), now=now)
    assert q.since == dt.datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert "gte(execution_created_at,2026-12-05T10:00:00.000000Z)" in q.filters()


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"phase": "DONE"}, "phase must be one or more of"),
        ({"phase": []}, "phase must be one or more of"),
        ({"since": "yesterday"}, "since must be a datetime or a timedelta"),
        ({"since": dt.datetime(2026, 1, 1)}, "timezone-aware"),
        ({"limit": 0}, "limit must be an int from 1 to 10000"),
        ({"launch_plan": "a+b"}, "launch_plan must be a non-empty string without"),
        ({"principal": "x;y"}, "principal must be"),
        # flyteadmin's filter regex takes the field up to the last ',': `eq(user,Doe, J)` asks for column "user,Doe"
        ({"principal": "Doe, J"}, "principal must be a non-empty string without '\\+', ';', ','"),
        ({"workflow": " wf"}, "without leading or trailing spaces"),
    ],
)
def test_bad_query_values_name_the_argument(kwargs: dict[str, object], names: str) -> None:
    with pytest.raises(ValueError, match=names):
        BoardQuery.make("p", "d", **kwargs)  # type: ignore[arg-type]


def test_ids_are_grouped_into_one_listing_per_project_and_domain() -> None:
    ids = BoardIds.make(["p:d:a", "p:d:b", "q:d:c", "p:d:a"])
    assert ids.ids == (("p", "d", "a"), ("p", "d", "b"), ("q", "d", "c"))
    assert ids.requests() == [
        ("p", "d", "value_in(execution_name,a;b)", 2),
        ("q", "d", "value_in(execution_name,c)", 1),
    ]


def test_ids_take_the_remote_defaults_and_refuse_an_empty_list() -> None:
    assert BoardIds.make(["abc"], default_project="p", default_domain="d").ids == (("p", "d", "abc"),)
    with pytest.raises(ValueError, match="empty"):
        BoardIds.make([])


def _row(**inputs: object) -> dict[str, object]:
    return {"inputs": {k: cell(v) for k, v in inputs.items()}}


def test_only_inputs_that_differ_become_columns() -> None:
    rows = [
        _row(learning_rate=0.01, batch_size=32, optimizer="adam", data="s3://x"),
        _row(learning_rate=0.03, batch_size=32, optimizer="sgd", data="s3://x"),
        _row(learning_rate=0.01, batch_size=32, optimizer="adam", data="s3://x"),
    ]
    assert varying_inputs(rows) == ["learning_rate", "optimizer"]


def test_an_input_some_executions_lack_differs_and_unfetched_rows_do_not_count() -> None:
    rows = [_row(a=1, extra=True), _row(a=1), {"inputs": {}}]
    assert varying_inputs(rows) == ["extra"]
    assert varying_inputs([_row(a=1)]) == []


def test_cells_sort_numbers_as_numbers_and_keep_text_short() -> None:
    assert cell(0.01) == {"text": "0.01", "value": 0.01}
    assert cell(32) == {"text": "32", "value": 32.0}
    assert cell(True) == {"text": "True", "value": "True"}
    assert cell(math.nan)["value"] == "nan"
    assert cell(None) == {"text": "None", "value": None}
    long = cell("x" * 500)
    assert len(long["text"]) == 80
    assert long["text"].endswith("…")


def test_ids_come_from_execution_objects_and_id_messages() -> None:
    from flyteidl.admin import execution_pb2
    from flyteidl.core import identifier_pb2

    from flyteexec_widget.objects.executions import FlyteWorkflowExecution

    ident = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n1")
    wrapper = FlyteWorkflowExecution(execution_pb2.Execution(id=ident))
    ids = BoardIds.make([wrapper, identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n2")])
    assert ids.ids == (("p", "d", "n1"), ("p", "d", "n2"))
    with pytest.raises(ValueError, match="execution name must be"):
        BoardIds.make(["p:d:a;b"])


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"poll_interval": "fast"}, ValueError, "poll_interval must be a positive number of seconds, got 'fast'"),
        ({"poll_interval": True}, ValueError, "poll_interval must be a positive number"),
        ({"progress": "yes"}, TypeError, "progress must be True or False, got 'yes'"),
    ],
)
def test_bad_board_options_name_the_argument(kwargs: dict[str, object], error: type[Exception], says: str) -> None:
    from flyteexec_widget.display.board import board

    with pytest.raises(error, match=says):
        board(remote=object(), project="p", domain="d", **kwargs)  # type: ignore[arg-type]
