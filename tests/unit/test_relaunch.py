"""Relaunch with new inputs, without a server: the form built from a launch plan's types (fields, prefill, what a
text must be), the inputs typed back (errors name each input), and the widget following the new execution (its
model, watch, trail and the messages that make the view start over)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.admin import launch_plan_pb2
from flyteidl.core import execution_pb2, identifier_pb2, interface_pb2, literals_pb2, types_pb2

from flyteexec_widget.display.launch_form import form_fields, kind_of, literal_text, parse_form, parse_text
from flyteexec_widget.display.widget import ExecutionWidget, RequestError
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.on_done import FollowedOnDone
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.objects.launch_inputs import InputsError, launch_inputs
from flyteexec_widget.objects.literal_to_python import to_python
from flyteexec_widget.objects.python_to_literal import to_literal
from tests.unit.test_widget import FakeWatch, custom, recording_comm  # noqa: F401  (the fixture is used)

T = types_pb2.LiteralType
INT, FLOAT, STR, BOOL = (T(simple=s) for s in (types_pb2.INTEGER, types_pb2.FLOAT, types_pb2.STRING, types_pb2.BOOLEAN))
DATETIME, DURATION, STRUCT = (T(simple=s) for s in (types_pb2.DATETIME, types_pb2.DURATION, types_pb2.STRUCT))
ENUM = T(enum_type=types_pb2.EnumType(values=["adam", "sgd"]))
LIST_INT = T(collection_type=INT)
MAP_FLOAT = T(map_value_type=FLOAT)
BLOB = T(blob=types_pb2.BlobType(format="joblib"))
DATASET = T(structured_dataset_type=types_pb2.StructuredDatasetType(format="parquet"))
BINARY = T(simple=types_pb2.BINARY)

TYPES = {
    "epochs": INT,
    "rate": FLOAT,
    "label": STR,
    "dry": BOOL,
    "start": DATETIME,
    "timeout": DURATION,
    "opt": ENUM,
    "layers": LIST_INT,
    "weights": MAP_FLOAT,
    "config": STRUCT,
    "model": BLOB,
    "table": DATASET,
    "raw": BINARY,
}
VALUES: dict[str, Any] = {
    "epochs": 20,
    "rate": 0.05,
    "label": "nightly",
    "dry": False,
    "start": dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.timezone.utc),
    "timeout": dt.timedelta(minutes=45),
    "opt": "adam",
    "layers": [64, 32],
    "weights": {"loss": 1.0},
    "config": {"dropout": 0.2},
    "model": "s3://b/model.joblib",
    "table": "s3://b/t.parquet",
    "raw": b"\x00\x01",
}


def launch_plan(required: tuple[str, ...] = (), fixed: dict[str, Any] | None = None) -> Any:
    params = {}
    for name, lt in TYPES.items():
        if name in required:
            params[name] = interface_pb2.Parameter(var=interface_pb2.Variable(type=lt), required=True)
        else:
            default = to_literal(VALUES[name], lt) if name != "raw" else to_literal(VALUES[name])
            params[name] = interface_pb2.Parameter(var=interface_pb2.Variable(type=lt), default=default)
    pm = interface_pb2.ParameterMap(parameters=params)
    fixed_map = literals_pb2.LiteralMap(literals={k: to_literal(v) for k, v in (fixed or {}).items()})
    return launch_plan_pb2.LaunchPlan(
        id=identifier_pb2.Identifier(resource_type=identifier_pb2.LAUNCH_PLAN, project="p", domain="d", name="lp"),
        spec=launch_plan_pb2.LaunchPlanSpec(default_inputs=pm, fixed_inputs=fixed_map),
        closure=launch_plan_pb2.LaunchPlanClosure(expected_inputs=pm),
    )


def inputs_of(**overrides: Any) -> literals_pb2.LiteralMap:
    values = {**VALUES, **overrides}
    return literals_pb2.LiteralMap(
        literals={k: to_literal(v, TYPES[k]) if k != "raw" else to_literal(v) for k, v in values.items()}
    )


# ---------------------------------------------------------------------------------------------------------------
# The form: types -> fields, prefilled from the execution's literals


def test_every_type_family_becomes_a_field_of_its_kind_prefilled_with_the_executions_value() -> None:
    fields = {f["name"]: f for f in form_fields(launch_plan(fixed={"region": "eu"}), inputs_of(epochs=30))}
    kinds = {name: f["kind"] for name, f in fields.items()}
    assert kinds == {
        "epochs": "int",
        "rate": "float",
        "label": "str",
        "dry": "bool",
        "start": "datetime",
        "timeout": "duration",
        "opt": "enum",
        "layers": "list",
        "weights": "map",
        "config": "struct",
        "model": "blob",
        "table": "dataset",
        "raw": "unsupported",
        "region": "fixed",
    }
    texts = {name: f["text"] for name, f in fields.items()}
    assert texts["epochs"] == "30"  # the execution's value, not the default 20
    assert texts["rate"] == "0.05"
    assert texts["dry"] == "false"
    assert texts["start"] == "2026-11-01T06:30:00Z"
    assert texts["timeout"] == "2700"
    assert texts["opt"] == "adam"
    assert texts["layers"] == "[64, 32]"
    assert texts["weights"] == '{"loss": 1.0}'
    assert texts["model"] == "s3://b/model.joblib"
    assert texts["table"] == "s3://b/t.parquet"
    assert fields["opt"]["values"] == ["adam", "sgd"]
    assert fields["layers"]["type"] == "list[int]"
    assert fields["region"]["fixed"] is True
    assert fields["region"]["text"] == '"eu"'
    # editable inputs by name, the fixed ones after them
    assert [f["name"] for f in form_fields(launch_plan(fixed={"region": "eu"}), None)][-1] == "region"


def test_an_input_the_execution_lacks_shows_the_default_and_a_required_one_is_empty() -> None:
    given = inputs_of()
    del given.literals["rate"]
    del given.literals["epochs"]
    fields = {f["name"]: f for f in form_fields(launch_plan(required=("epochs",)), given)}
    assert fields["rate"]["text"] == "0.05"
    assert fields["rate"]["required"] is False
    assert fields["epochs"]["text"] == ""
    assert fields["epochs"]["required"] is True


@pytest.mark.parametrize(
    ("kind", "lt", "text", "value"),
    [
        ("int", INT, " 9007199254740993 ", 9007199254740993),  # past 2**53: the kernel keeps every digit
        ("float", FLOAT, "1e-3", 0.001),
        ("float", FLOAT, "-inf", -math.inf),  # e.g. a default float("-inf"): the form relaunches it as is
        ("str", STR, " a b ", " a b "),
        ("bool", BOOL, "true", True),
        ("datetime", DATETIME, "2026-12-01T00:00:00Z", dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)),
        ("duration", DURATION, "90", 90.0),
        ("list", LIST_INT, "[1, 2, 3]", [1, 2, 3]),
        ("map", MAP_FLOAT, '{"a": 0.5}', {"a": 0.5}),
        ("blob", BLOB, "gs://x/y", "gs://x/y"),
    ],
)
def test_texts_parse_to_values_and_back(kind: str, lt: Any, text: str, value: Any) -> None:
    assert kind_of(lt) == kind
    parsed = parse_text(kind, text)
    assert parsed == value
    literal = to_literal(parsed, lt)
    assert parse_text(kind, literal_text(literal, lt)) == value


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("int", "4.5", "enter a whole number"),
        ("float", "1e400", "enter a number"),  # overflows: not an infinity anyone typed
        ("duration", "inf", "number of seconds"),
        ("bool", "yes", "choose true or false"),
        ("datetime", "tomorrow", "ISO 8601"),
        ("duration", "1h", "number of seconds"),
        ("list", "[1, 2", "not valid JSON: Expecting ',' delimiter (line 1, column 6)"),
        ("list", '{"a": 1}', "enter a JSON list"),
        ("map", "[1]", "enter a JSON object"),
    ],
)
def test_a_bad_text_says_what_is_valid(kind: str, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_text(kind, text)


def test_parse_form_builds_the_literals_of_the_edited_inputs_over_the_executions() -> None:
    lp = launch_plan(fixed={"region": "eu"})
    texts = {f["name"]: f["text"] for f in form_fields(lp, inputs_of()) if not f["fixed"]}
    texts["epochs"] = "31"
    texts["layers"] = "[1, 2]"
    texts["rate"] = ""  # emptied optional input: FlyteAdmin fills the default
    out = parse_form(lp, texts, inputs_of(rate=0.5))
    assert to_python(out.literals["epochs"]) == 31
    assert to_python(out.literals["layers"]) == [1, 2]
    assert "rate" not in out.literals
    assert out.literals["raw"] == inputs_of().literals["raw"]  # not editable here: launched as it was
    assert out.literals["model"].scalar.blob.metadata.type.format == "joblib"  # typed as declared
    assert "region" not in out.literals  # fixed: FlyteAdmin adds it


def test_parse_form_names_every_bad_input() -> None:
    lp = launch_plan(required=("epochs",), fixed={"region": "eu"})
    texts = {"epochs": "", "layers": '[1, "x"]', "weights": "{", "opt": "adagrad", "region": "us", "nope": "1"}
    with pytest.raises(InputsError) as err:
        parse_form(lp, texts, inputs_of())
    fields = err.value.fields
    assert set(fields) == {"epochs", "layers", "weights", "opt", "region", "nope"}
    assert fields["epochs"] == "a value is required (int)"
    assert "item 1: expected an int" in fields["layers"]
    assert fields["weights"].startswith("not valid JSON")
    assert fields["opt"] == "choose one of adam, sgd (enum{adam, sgd})"
    assert "fixed by the launch plan" in fields["region"]
    assert "no such input" in fields["nope"]
    assert "epochs" in fields["nope"]
    assert "input 'layers'" in str(err.value)


def test_launch_inputs_refuses_a_value_of_the_wrong_type_naming_input_and_type() -> None:
    with pytest.raises(InputsError, match=r"input 'model': .*expected a URI such as s3://bucket/key"):
        launch_inputs(launch_plan(), {"model": "model.joblib"})


# ---------------------------------------------------------------------------------------------------------------
# The widget follows the execution a relaunch/recover/launch made


def ask(w: ExecutionWidget, **content: Any) -> dict[str, Any]:
    """Send a request from the 'view'; the response the kernel sent (a follow sends reset/snapshot before it)."""
    before = len(custom(w))
    w._handle_custom_msg({"type": "request", "id": "v1:1", **content}, [])
    [response] = [m for m in custom(w)[before:] if m["type"] == "response"]
    return response


def wf(name: str, phase: int = execution_pb2.WorkflowExecution.SUCCEEDED, remote: Any = None) -> Any:
    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name=name),
        spec=admin_execution_pb2.ExecutionSpec(launch_plan=launch_plan().id),
        closure=admin_execution_pb2.ExecutionClosure(phase=phase, workflow_id=identifier_pb2.Identifier(name="wf")),
    )
    return FlyteWorkflowExecution(proto, remote=remote)


class Remote:
    """Launches executions named e2, e3, ... that fetch_execution then returns (running)."""

    def __init__(self) -> None:
        self.launched: list[tuple[str, Any]] = []

    def _new(self, how: str, payload: Any = None) -> Any:
        self.launched.append((how, payload))
        return identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name=f"e{len(self.launched) + 1}")

    def relaunch(self, execution: Any, name: str | None = None) -> Any:
        return self._new("relaunch")

    def recover(self, execution: Any, name: str | None = None) -> Any:
        return self._new("recover")

    def launch_plan_and_inputs(self, execution: Any) -> Any:
        return launch_plan(), inputs_of()

    def create_execution(
        self, lp_id: Any, inputs: Any, *, project: str, domain: str, name: Any = None, **kw: Any
    ) -> Any:
        self.create_kw = kw
        return self._new("create", inputs)

    def fetch_execution(self, ident: Any) -> Any:
        return wf(ident.name, execution_pb2.WorkflowExecution.RUNNING, remote=self)

    def generate_console_url(self, ident: Any) -> str:
        return f"https://console.example.com/console/projects/p/domains/d/executions/{ident.name}"


def follower() -> tuple[ExecutionWidget, Remote, list[tuple[Any, Any]], FakeWatch]:
    remote = Remote()
    original = wf("e1", remote=remote)
    first_watch = FakeWatch()
    started: list[tuple[Any, Any]] = []
    watches: list[FakeWatch] = []

    def watcher(execution: Any, model: Any) -> FakeWatch:
        started.append((execution, model))
        watches.append(FakeWatch())
        return watches[-1]

    w = ExecutionWidget(
        ExecutionModel(original),
        execution=original,
        remote=remote,
        watch=first_watch,
        runner=lambda fn: fn(),
        watcher=watcher,
    )
    return w, remote, started, first_watch


def test_relaunch_follows_the_new_execution_in_the_same_widget() -> None:
    w, _remote, started, first_watch = follower()
    w._push_snapshot()  # a view is on screen
    before = len(custom(w))
    res = ask(w, action="relaunch", key="")
    assert res["ok"]
    assert res["result"]["name"] == "e2"
    assert res["result"]["followed"] is True
    assert first_watch.stopped == 1  # the old watch stopped cleanly
    [(execution, model)] = started
    assert execution.id.name == "e2"
    assert w.model is model
    assert w.execution is execution
    assert w.header["name"] == "e2"
    sent = custom(w)[before:]
    # the view drops the old rows, then gets the new execution's snapshot, then the answer
    assert [m["type"] for m in sent] == ["accepted", "reset", "snapshot", "response"]
    assert [t["name"] for t in w.trail] == ["e1", "e2"]
    assert w.trail_at == 1
    assert w.trail[1]["how"] == "relaunched"
    assert w.trail[0]["url"].endswith("/executions/e1")
    new_watch = w.watch
    assert isinstance(new_watch, FakeWatch)
    w.close()  # closing the widget stops the watch of the execution it follows
    assert new_watch.stopped == 1


def test_a_launch_with_edited_inputs_follows_too_and_bad_inputs_are_named() -> None:
    w, remote, started, _ = follower()
    bad = ask(w, action="launch", key="", inputs={"epochs": "ten"})
    assert bad["ok"] is False
    assert bad["error"]["fields"] == {"epochs": "enter a whole number, e.g. 42 (int)"}
    assert remote.launched == []
    assert started == []
    ok = ask(w, action="launch", key="", inputs={"epochs": "10", "layers": "[7]"})
    assert ok["ok"]
    assert ok["result"]["followed"] is True
    [(how, literals)] = remote.launched
    assert how == "create"
    assert to_python(literals.literals["epochs"]) == 10
    assert to_python(literals.literals["layers"]) == [7]
    assert w.trail[-1]["how"] == "relaunched with new inputs"


def test_the_trail_leads_back_to_the_original_and_forward_again() -> None:
    w, _remote, _started, _ = follower()
    ask(w, action="recover", key="")
    assert w.header["name"] == "e2"
    assert w.trail[1]["how"] == "recovered"
    back = ask(w, action="follow", key="", index=0)
    assert back["ok"]
    assert w.header["name"] == "e1"
    assert w.trail_at == 0
    assert [t["name"] for t in w.trail] == ["e1", "e2"]  # the way forward stays
    ask(w, action="follow", key="", index=1)
    assert w.header["name"] == "e2"
    assert w.trail_at == 1
    bad = ask(w, action="follow", key="", index=5)
    assert bad["ok"] is False
    assert "position in the trail" in bad["error"]["message"]
    # relaunching the original again replaces what lay ahead of it
    ask(w, action="follow", key="", index=0)
    ask(w, action="relaunch", key="")
    assert [t["name"] for t in w.trail] == ["e1", "e3"]


def test_the_old_models_changes_no_longer_reach_the_view() -> None:
    w, _remote, _started, _ = follower()
    old = w.model
    w._push_snapshot()
    ask(w, action="relaunch", key="")
    before = len(custom(w)), dict(w.header)
    old.set_sync_status("done")  # a late write of the old watch
    assert len(custom(w)) == before[0]
    assert w.sync_status.get("state") != "done"
    assert w.header == before[1]


class FakeHandle:
    """An IPython DisplayHandle that keeps what it was updated with."""

    def __init__(self) -> None:
        self.bundles: list[dict[str, Any]] = []

    def update(self, bundle: dict[str, Any], raw: bool = False) -> None:
        self.bundles.append(bundle)


def test_the_saved_snapshot_shows_the_followed_execution() -> None:
    w, _remote, _started, _ = follower()
    handle = FakeHandle()
    w._display_handles.append(handle)
    ask(w, action="relaunch", key="")
    assert handle.bundles, "the saved snapshot was not refreshed when the widget followed the new execution"
    assert "e2" in handle.bundles[-1]["text/plain"]
    assert "e2" in handle.bundles[-1]["text/html"]


def test_inputs_too_large_to_be_inline_stop_a_relaunch_with_new_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relaunching over the launch plan's defaults would silently change every input not edited."""
    from flyteidl.admin import common_pb2

    from flyteexec_widget.objects.executions import DataNotInlineError
    from flyteexec_widget.remote import Remote as RealRemote

    remote = RealRemote.for_sandbox("127.0.0.1:9")  # never called: every RPC below is replaced
    data = admin_execution_pb2.WorkflowExecutionGetDataResponse(
        inputs=common_pb2.UrlBlob(url="https://blobs.example.com/inputs.pb", bytes=5_000_000)
    )
    monkeypatch.setattr(remote, "get_execution", lambda wf_id: wf("e1").to_flyte_idl())
    monkeypatch.setattr(remote, "get_launch_plan", lambda ident: launch_plan())
    monkeypatch.setattr(remote, "get_execution_data", lambda wf_id: data)
    created: list[Any] = []
    monkeypatch.setattr(remote, "create_execution", lambda *a, **kw: created.append(a))
    with pytest.raises(DataNotInlineError, match=r"The inputs of p:d:e1 are not available inline \(size 5000000"):
        remote.relaunch("p:d:e1", inputs={"epochs": 3})
    assert created == []
    remote.close()


def test_following_forgets_the_other_executions_graph() -> None:
    w, _remote, _started, _ = follower()
    # as the "graph" request keeps them: the execution's graph and a terminal dynamic node's
    w.request_cache["graph"] = {"": {"nodes": [{"id": "n0"}], "edges": []}, "n1": {"nodes": [], "edges": []}}
    ask(w, action="relaunch", key="")
    assert w.request_cache == {}


def followed_on_done(original_phase: int) -> tuple[ExecutionWidget, list[Any]]:
    """A widget as watch(ex, on_done=calls.append) makes it, over an original in ``original_phase``."""
    remote = Remote()
    original = wf("e1", original_phase, remote=remote)
    model = ExecutionModel(original)
    calls: list[Any] = []
    done = FollowedOnDone(calls.append, start=lambda fn: fn())
    done.attach(model, original)
    w = ExecutionWidget(
        model,
        execution=original,
        remote=remote,
        watch=FakeWatch(),
        runner=lambda fn: fn(),
        watcher=lambda execution, model: FakeWatch(),
        on_done=done,
    )
    return w, calls


def test_on_done_moves_to_the_followed_execution_when_the_original_had_not_ended() -> None:
    w, calls = followed_on_done(execution_pb2.WorkflowExecution.RUNNING)
    old_model = w.model
    assert ask(w, action="relaunch", key="")["result"]["followed"] is True
    assert isinstance(old_model, ExecutionModel)
    old_model.set_sync_status("done")  # a late end of the model left behind (its watch was stopped)
    assert calls == []
    new_model = w.model
    assert isinstance(new_model, ExecutionModel)
    new_model.set_sync_status("done")
    assert [ex.id.name for ex in calls] == ["e2"]  # called once, with the execution it followed
    w.close()


def test_on_done_that_ran_for_the_original_does_not_run_again_for_a_relaunch() -> None:
    w, calls = followed_on_done(execution_pb2.WorkflowExecution.FAILED)
    model = w.model
    assert isinstance(model, ExecutionModel)
    model.set_sync_status("done")
    assert [ex.id.name for ex in calls] == ["e1"]
    ask(w, action="relaunch", key="")
    new_model = w.model
    assert isinstance(new_model, ExecutionModel)
    new_model.set_sync_status("done")
    assert [ex.id.name for ex in calls] == ["e1"]
    w.close()


def test_on_done_of_a_closed_widget_is_not_called() -> None:
    w, calls = followed_on_done(execution_pb2.WorkflowExecution.RUNNING)
    model = w.model
    w.close()
    assert isinstance(model, ExecutionModel)
    model.set_sync_status("done")
    assert calls == []


@pytest.mark.parametrize("value", ["42", "true", "null", '"quoted"', "[1]", " 7 ", "hello", 42])
def test_a_union_inputs_value_comes_back_unchanged_through_its_field(value: Any) -> None:
    # union[int, str] holding the string "42": the field showed 42, which a launch read back as the int 42
    union = types_pb2.LiteralType(
        union_type=types_pb2.UnionType(
            variants=[types_pb2.LiteralType(simple=types_pb2.INTEGER), types_pb2.LiteralType(simple=types_pb2.STRING)]
        )
    )
    text = literal_text(to_literal(value, union), union)
    back = to_python(to_literal(parse_text("union", text), union), union)
    assert back == value
    assert type(back) is type(value)


def test_a_widget_closed_while_a_relaunch_is_fetched_starts_no_watch_for_it() -> None:
    # the user closes the widget while the kernel still fetches the execution it relaunched: the follow that comes
    # after must not start a watch nobody stops (it would poll FlyteAdmin until that execution ends)
    w, remote, started, first_watch = follower()
    fetch = remote.fetch_execution

    def closing_fetch(ident: Any) -> Any:
        w.close()
        return fetch(ident)

    remote.fetch_execution = closing_fetch  # type: ignore[method-assign]
    new_id = remote.relaunch(w.execution)
    with pytest.raises(RequestError, match="closed"):
        w.follow(new_id, "relaunched")
    assert started == []
    assert first_watch.stopped == 1


def test_a_launch_from_the_form_keeps_the_originals_run_settings_and_names_it_as_relaunched() -> None:
    w, remote, _, _ = follower()
    execution = w.execution
    assert execution is not None
    execution.to_flyte_idl().spec.labels.values["team"] = "ml"
    texts = {f["name"]: f["text"] for f in ask(w, action="relaunch_form", key="")["result"]["fields"] if not f["fixed"]}
    assert ask(w, action="launch", key="", inputs=texts)["ok"]
    assert dict(remote.create_kw["like"].labels.values) == {"team": "ml"}
    assert remote.create_kw["reference"].name == "e1"


def test_a_nan_float_input_is_prefilled_and_launched_as_it_is() -> None:
    text = literal_text(to_literal(math.nan, FLOAT), FLOAT)
    assert text == "nan"
    assert math.isnan(to_python(to_literal(parse_text("float", text), FLOAT), FLOAT))
