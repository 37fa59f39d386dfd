"""ExecutionWidget without a kernel: a dummy comm records every message (as ipywidgets' own tests do); and the
notebook entry points that make one (``watch()``, the display hooks), with the kernel probe patched.

The model is a small fake following the documented ExecutionModel contract (docs/architecture.md), plus one
test over the real ExecutionModel and Remote for the no-credentials rule.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import subprocess
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import comm
import pytest
import traitlets
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2
from jupyter_client.session import json_packer

from flyteexec_widget.display import assets, kernel, notebook, requests, widget
from flyteexec_widget.display.widget import ExecutionWidget, wire_row
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.rows import DERIVED_FIELDS, empty_row, row_defaults, row_style
from flyteexec_widget.objects import phases
from flyteexec_widget.objects.literals import LiteralsResolver
from flyteexec_widget.objects.python_to_literal import to_literal

STATIC = Path(widget.__file__).parent / "static"


# ---------------------------------------------------------------------------------------------------------------
# A comm that records, and a fake model that follows the contract
# ---------------------------------------------------------------------------------------------------------------


class RecordingComm:
    comm_id = "a-b-c-d"
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


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm())


def custom(w: ExecutionWidget) -> list[dict[str, Any]]:
    """The custom messages the widget sent, in order."""
    return [m["content"] for m in w.comm.messages if m.get("method") == "custom"]


def view_row(held: Mapping[str, Any] | None, sent: Mapping[str, Any]) -> dict[str, Any]:
    """The row a view holds after merging ``sent`` (a whole row or a delta) into ``held``: widget.js ``mergeRow``,
    whose agreement with this is checked under node (tests/unit/test_wire_rows.py)."""
    r = {**(held if held is not None else row_defaults()), **sent}
    st = row_style(r["kind"], r["phase"])
    for name, value in zip(DERIVED_FIELDS, (st.label, st.color, st.terminal), strict=True):
        r.setdefault(name, value) if name in sent else r.__setitem__(name, value)
    return r


def view_rows(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [view_row(None, r) for r in sent]


def updates(w: ExecutionWidget) -> list[dict[str, Any]]:
    return [m["state"] for m in w.comm.messages if m.get("method") == "update"]


def row(key: str, phase: str = "RUNNING", parent: str = "", **extra: Any) -> dict[str, Any]:
    """A started task row by default; every field not named here is at its empty value."""
    st = phases.style("node", phases.NodePhase[phase])
    return {
        **empty_row(key, parent, key.count("/")),
        "node_id": key.rsplit("/", 1)[-1],
        "name": f"task_{key}",
        "phase": phase,
        "label": st.label,
        "color": st.color,
        "terminal": st.terminal,
        "created_at": "2026-11-27T10:00:00Z",
        "started_at": "2026-11-27T10:00:01Z",
        "queued_s": 1.0,
        "attempts": 1,
        **extra,
    }


class FakeNode:
    """A wrapper stand-in: counts every read of inputs/outputs, so laziness can be asserted."""

    def __init__(self, key: str, outputs: Any = None, inputs: Any = None) -> None:
        self.key = key
        self._outputs = outputs if outputs is not None else {}
        self._inputs = inputs if inputs is not None else {}
        self.data_reads = 0

    @property
    def outputs(self) -> Any:
        self.data_reads += 1
        if isinstance(self._outputs, Exception):
            raise self._outputs
        return self._outputs

    @property
    def inputs(self) -> Any:
        self.data_reads += 1
        return self._inputs

    def to_flyte_idl(self) -> Any:
        return admin_node_proto(self.key)


def admin_node_proto(node_id: str) -> Any:
    from flyteidl.admin import node_execution_pb2

    return node_execution_pb2.NodeExecution(
        id=identifier_pb2.NodeExecutionIdentifier(
            node_id=node_id,
            execution_id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1"),
        )
    )


class FakeModel(traitlets.HasTraits):
    header = traitlets.Dict()
    counts = traitlets.Dict()
    sync_status = traitlets.Dict()
    rows_version = traitlets.Int(0)

    def __init__(self, rows: list[dict[str, Any]], nodes: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._rows = {r["key"]: r for r in rows}
        self._nodes = nodes or {}
        self._subscribers: list[Callable[[int, list[dict[str, Any]], list[str]], None]] = []
        self.hooks: list[Callable[[], Any]] = []
        self.execution: Any = None
        self.shown = False
        self.header = {"project": "p", "domain": "d", "name": "e1", "workflow": "wf", "phase": "RUNNING"}
        self.counts = {"RUNNING": len(rows)}
        self.sync_status = {"state": "live"}

    @property
    def rows(self) -> Mapping[str, dict[str, Any]]:
        return self._rows

    def node(self, key: str) -> Any:
        return self._nodes[key]

    def snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        return self.rows_version, list(self._rows.values())

    def on_rows_change(self, cb: Callable[[int, list[dict[str, Any]], list[str]], None]) -> Callable[[], None]:
        self._subscribers.append(cb)
        return lambda: self._subscribers.remove(cb)

    def add_batch_hook(self, factory: Callable[[], Any]) -> Callable[[], None]:
        self.hooks.append(factory)
        return lambda: self.hooks.remove(factory)

    def mark_shown(self) -> None:
        self.shown = True

    def publish(self, changed: list[dict[str, Any]], removed: list[str] = ()) -> None:  # type: ignore[assignment]
        for r in changed:
            self._rows[r["key"]] = r
        for k in removed:
            self._rows.pop(k, None)
        self.rows_version += 1
        for cb in list(self._subscribers):
            cb(self.rows_version, changed, list(removed))


class FakeWatch:
    def __init__(self) -> None:
        self.stopped = 0

    def stop(self) -> None:
        self.stopped += 1


class FakeRemote:
    """Records the client calls the widget makes; ``fail`` makes the next call raise."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail: Exception | None = None

    def _record(self, *call: Any) -> None:
        self.calls.append(call)
        if self.fail is not None:
            raise self.fail

    def approve(self, execution: Any, signal_id: str) -> None:
        self._record("approve", execution, signal_id)

    def reject(self, execution: Any, signal_id: str) -> None:
        self._record("reject", execution, signal_id)

    def set_signal(self, execution: Any, signal_id: str, value: Any) -> None:
        self._record("set_signal", execution, signal_id, value)

    def terminate(self, execution: Any, cause: str = "") -> None:
        self._record("terminate", execution, cause)

    def relaunch(self, execution: Any, name: str | None = None) -> Any:
        self._record("relaunch", execution)
        return identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e2")

    def recover(self, execution: Any, name: str | None = None) -> Any:
        self._record("recover", execution)
        return identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e3")

    def generate_console_url(self, ident: Any) -> str:
        return f"https://console.example.com/console/projects/p/domains/d/executions/{ident.name}"

    def get_node_execution(self, node_id: Any) -> Any:
        self._record("get_node_execution", node_id.node_id)
        proto = admin_node_proto(node_id.node_id)
        proto.closure.error.CopyFrom(
            execution_pb2.ExecutionError(code="USER:Boom", message="line one\n" + "x" * 500, kind=1)
        )
        return proto

    def create_download_link(self, node_id: Any) -> list[str]:
        self._record("create_download_link", node_id.node_id)
        return ["javascript:alert(1)", "https://deck.example.com/n0.html?sig=1"]


def make(
    rows: list[dict[str, Any]] | None = None,
    nodes: dict[str, Any] | None = None,
    remote: Any = None,
    watch: Any = None,
    execution: Any = None,
) -> tuple[ExecutionWidget, FakeModel]:
    model = FakeModel(rows if rows is not None else [row("n0"), row("n1")], nodes)
    w = ExecutionWidget(model, remote=remote, watch=watch, execution=execution, runner=lambda fn: fn())
    return w, model


def ask(w: ExecutionWidget, **content: Any) -> dict[str, Any]:
    """Send a request from the 'view' and return the response the kernel sent (after its "accepted")."""
    before = len(custom(w))
    w._handle_custom_msg({"type": "request", "id": "v1:1", **content}, [])
    sent = custom(w)[before:]
    assert len(sent) == 2, sent
    assert sent[0] == {"type": "accepted", "id": "v1:1"}
    assert sent[1]["type"] == "response"
    assert sent[1]["id"] == "v1:1"
    return sent[1]


# ---------------------------------------------------------------------------------------------------------------
# Rows: a snapshot pushed when displayed (or asked for), then patches with only what changed
# ---------------------------------------------------------------------------------------------------------------


def test_displaying_pushes_a_snapshot_unasked() -> None:
    # A running cell keeps the kernel from answering the browser: the rows must go out without being asked.
    w, model = make()
    assert custom(w) == []  # nothing before it is displayed
    assert w.snapshot_version == -1
    bundle = w._repr_mimebundle_()
    assert bundle is not None
    (snap,) = custom(w)
    assert snap == {"type": "snapshot", "version": 0, "rows": [wire_row(row("n0")), wire_row(row("n1"))]}
    assert view_rows(snap["rows"]) == [row("n0"), row("n1")]  # what the view holds: the model's rows
    assert model.shown
    # A model restored by a reloaded page learns from this trait that it missed the push, and asks.
    assert w.snapshot_version == 0
    assert updates(w)[-1] == {"snapshot_version": 0}


def test_a_snapshot_request_is_answered_to_every_view() -> None:
    w, model = make()
    w._handle_custom_msg({"type": "snapshot"}, [])
    (snap,) = custom(w)
    assert (snap["type"], snap["version"], view_rows(snap["rows"])) == ("snapshot", 0, [row("n0"), row("n1")])
    assert model.shown


def test_each_widget_has_its_own_instance_id() -> None:
    (a, _), (b, _) = make(), make()
    assert len(a.instance) == 32
    assert a.instance != b.instance


def test_no_patch_before_a_view_exists_then_only_changed_rows() -> None:
    w, model = make()
    model.publish([row("n0", "SUCCEEDED")])
    assert custom(w) == []  # no view yet: nothing to patch
    w._handle_custom_msg({"type": "snapshot"}, [])
    model.publish([row("n1", "FAILED")], removed=["n0"])
    patch = custom(w)[-1]
    delta = {"key": "n1", "phase": "FAILED"}  # n1 as the model had it: only what changed (the view derives the label)
    assert patch == {"type": "patch", "version": 2, "rows": [delta], "removed": ["n0"]}


def logs_of(key: str) -> list[dict[str, Any]]:
    """Log links as long as the sandbox's (Kubernetes dashboard and CloudWatch-style URIs)."""
    base = "https://logs.example.com/#/log/flytesnacks-development/"
    return [
        {"name": "Kubernetes Logs (User)", "uri": f"{base}a1b2c3d4e5f6g7h8i9j0-{key}-0/pod?namespace=x", "attempt": 0},
        {"name": "CloudWatch Logs", "uri": f"{base}group/stream/a1b2c3d4e5f6g7h8i9j0-{key}-0/events", "attempt": 0},
    ]


def patches(w: ExecutionWidget) -> list[dict[str, Any]]:
    return [m for m in custom(w) if m["type"] == "patch"]


def test_a_phase_change_sends_only_what_changed_not_the_logs() -> None:
    w, model = make([row("n0", logs=logs_of("n0")), row("n1")])  # rows before the widget: its first baseline
    w._handle_custom_msg({"type": "snapshot"}, [])
    done = row("n0", "SUCCEEDED", logs=logs_of("n0"), duration_s=12.5)
    model.publish([done])
    (patch,) = patches(w)
    (delta,) = patch["rows"]
    st = phases.style("node", phases.NodePhase.SUCCEEDED)
    assert delta == {"key": "n0", "phase": "SUCCEEDED", "duration_s": 12.5}  # label, colour, end: derived
    assert view_row(row("n0", logs=logs_of("n0")), delta) == done
    assert (st.label, st.terminal) == ("Succeeded", True)
    assert len(json.dumps(done)) > 500  # what a whole row costs, so the bound below can fail
    assert len(json.dumps(delta)) < 100


def test_a_row_the_view_never_got_is_sent_whole() -> None:
    w, model = make()
    w._handle_custom_msg({"type": "snapshot"}, [])
    model.publish([row("n2", logs=logs_of("n2")), row("n0", "QUEUED")])
    (patch,) = patches(w)
    whole, delta = patch["rows"]
    assert view_row(None, whole) == row("n2", logs=logs_of("n2"))
    # Whole, but without what the view knows: fields at their default, the label, colour and end of its phase.
    assert set(whole) == {"key", "node_id", "name", "phase", "created_at", "started_at", "queued_s", "attempts", "logs"}
    assert delta == {"key": "n0", "phase": "QUEUED"}


class LateSnapshotModel(FakeModel):
    """The sync thread publishes after the widget subscribed, and the widget's snapshot() returns older rows."""

    def on_rows_change(self, cb: Callable[[int, list[dict[str, Any]], list[str]], None]) -> Callable[[], None]:
        self.stale = (self.rows_version, list(self._rows.values()))
        unsubscribe = super().on_rows_change(cb)
        self.publish([row("n0", "QUEUED")])
        return unsubscribe

    def snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        if hasattr(self, "stale"):
            taken, self.stale = self.stale, None  # type: ignore[assignment]
            if taken is not None:
                return taken
        return super().snapshot()


def test_a_publication_that_raced_ahead_of_the_seeding_is_not_overwritten() -> None:
    model = LateSnapshotModel([row("n0"), row("n1")])
    w = ExecutionWidget(model, runner=lambda fn: fn())
    w._handle_custom_msg({"type": "snapshot"}, [])
    model.publish([row("n0", "SUCCEEDED"), row("n1", "FAILED")])
    (patch,) = patches(w)
    # n0's baseline is the racing publication (QUEUED), not the stale snapshot (RUNNING); n1 has none: whole.
    assert patch["rows"] == [{"key": "n0", "phase": "SUCCEEDED"}, wire_row(row("n1", "FAILED"))]


def test_a_field_that_disappeared_arrives_as_null() -> None:
    w, model = make()
    model.publish([row("n0", extra_field="x")])
    w._handle_custom_msg({"type": "snapshot"}, [])
    model.publish([row("n0")])
    assert patches(w)[-1]["rows"] == [{"key": "n0", "extra_field": None}]


def test_successive_patches_of_a_row_each_carry_only_their_own_change() -> None:
    w, model = make()
    model.publish([row("n0")])
    w._handle_custom_msg({"type": "snapshot"}, [])
    model.publish([row("n0", attempts=2)])
    model.publish([row("n0", attempts=2, cache="hit")])
    model.publish([row("n0", attempts=2, cache="hit")], removed=["n1"])  # unchanged row: an empty delta
    assert [p["rows"] for p in patches(w)] == [
        [{"key": "n0", "attempts": 2}],
        [{"key": "n0", "cache": "hit"}],
        [{"key": "n0"}],
    ]
    assert [p["version"] for p in patches(w)] == [2, 3, 4]  # contiguous: the view detects a missed one


def test_a_removed_row_that_comes_back_is_sent_whole() -> None:
    w, model = make()
    model.publish([row("n0")])
    w._handle_custom_msg({"type": "snapshot"}, [])
    model.publish([], removed=["n0"])
    model.publish([row("n0", "QUEUED")])
    assert view_rows(patches(w)[-1]["rows"]) == [row("n0", "QUEUED")]


def test_a_later_snapshot_has_whole_current_rows_and_deltas_continue_from_them() -> None:
    w, model = make()
    w._handle_custom_msg({"type": "snapshot"}, [])
    model.publish([row("n0", logs=logs_of("n0"))])
    model.publish([row("n0", "SUCCEEDED", logs=logs_of("n0"))])
    w._handle_custom_msg({"type": "snapshot"}, [])
    snap = custom(w)[-1]
    assert snap["version"] == 2
    assert view_rows(snap["rows"]) == [row("n0", "SUCCEEDED", logs=logs_of("n0")), row("n1")]
    model.publish([row("n0", "SUCCEEDED", logs=logs_of("n0"), deck=True)])
    assert patches(w)[-1] == {"type": "patch", "version": 3, "rows": [{"key": "n0", "deck": True}], "removed": []}
    # Applying every patch after each view's snapshot gives both views the model's rows.
    views = {name: {r["key"]: view_row(None, r) for r in m["rows"]} for name, m in (("v1", custom(w)[0]), ("v2", snap))}
    since = {"v1": custom(w)[0]["version"], "v2": snap["version"]}
    for name, held in views.items():
        for p in patches(w):
            if p["version"] > since[name]:
                for delta in p["rows"]:
                    held[delta["key"]] = view_row(held.get(delta["key"]), delta)
        assert held == dict(model.rows), name


def test_model_traits_are_mirrored_and_batched_through_the_hook() -> None:
    w, model = make()
    assert len(model.hooks) == 1  # the widget's hold_sync entered around each model batch
    with model.hooks[0]():
        model.header = {**model.header, "phase": "SUCCEEDED", "terminal": True}
        model.counts = {"SUCCEEDED": 2}
    assert w.header["phase"] == "SUCCEEDED"
    assert w.counts == {"SUCCEEDED": 2}
    last = updates(w)[-1]
    assert last["header"]["phase"] == "SUCCEEDED"
    assert last["counts"] == {"SUCCEEDED": 2}


@pytest.mark.parametrize("missing", ["snapshot", "add_batch_hook", "mark_shown", "execution"])
def test_a_model_without_a_member_of_the_contract_is_refused_up_front(missing: str) -> None:
    """No fallbacks: ModelLike is required whole, and a model lacking a member fails at once, naming it."""

    class Lacking(FakeModel):
        def __getattribute__(self, name: str) -> Any:
            if name == missing:
                raise AttributeError(name)
            return super().__getattribute__(name)

    with pytest.raises(TypeError, match=f"missing '{missing}'"):
        ExecutionWidget(Lacking([row("n0")]), runner=lambda fn: fn())


class RacingModel(FakeModel):
    """A sync thread writes the model after the widget copied its traits but before it observes them."""

    def observe(self, handler: Any, names: Any = traitlets.All, type: str = "change") -> None:
        if names == ["header", "counts", "sync_status"]:
            self.header = {**self.header, "phase": "SUCCEEDED"}
            self.sync_status = {"state": "done"}
        super().observe(handler, names=names, type=type)


def test_a_model_write_between_copy_and_observe_is_not_lost() -> None:
    model = RacingModel([row("n0")])
    w = ExecutionWidget(model, runner=lambda fn: fn())
    assert w.header["phase"] == "SUCCEEDED"
    assert w.sync_status == {"state": "done"}


def test_close_stops_the_watch_and_listens_no_more() -> None:
    watch = FakeWatch()
    w, model = make(watch=watch)
    w._handle_custom_msg({"type": "snapshot"}, [])
    w.close()
    w.close()
    assert watch.stopped == 1
    assert model._subscribers == []
    assert model.hooks == []
    model.header = {"phase": "FAILED"}
    assert w.header.get("phase") == "RUNNING"


def test_a_closed_widget_and_its_real_model_are_collected() -> None:
    model = ExecutionModel()
    w = ExecutionWidget(model)
    w._handle_custom_msg({"type": "snapshot", "view": "v1"}, [])
    refs = weakref.ref(w), weakref.ref(model)
    w.close()
    del w, model
    gc.collect()
    assert [r() for r in refs] == [None, None]


def test_closing_the_widget_closes_its_layout_widget_too() -> None:
    """ipywidgets gives each DOMWidget a Layout widget and leaves it open (in its registry, with a comm) when the
    widget closes: one left behind per watch for the kernel's life."""
    from ipywidgets.widgets.widget import _instances

    w = ExecutionWidget(ExecutionModel())
    layout_id = w.layout.model_id
    assert layout_id in _instances
    w.close()
    assert layout_id not in _instances
    assert w.layout.comm is None


def test_the_front_end_is_the_package_files_sent_as_text() -> None:
    """Sent as text read from static/ (not as Paths: anywidget would tie every instance to a file watcher)."""
    w, _ = make()
    state = w.get_state()
    assert state["_esm"] == assets.joined_module()
    for name in assets.WIDGET_MODULES:  # each file, without its imports of the others
        assert assets.strip_sibling_imports((STATIC / name).read_text(encoding="utf-8")) in state["_esm"]
    assert state["_css"] == assets.stylesheet()
    for name in assets.WIDGET_STYLES:
        assert (STATIC / name).read_text(encoding="utf-8") in state["_css"]


def test_bad_messages_are_ignored_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    w, _ = make()
    with caplog.at_level(logging.WARNING, logger="flyteexec_widget.display.widget"):
        w._handle_custom_msg("hello", [])
        w._handle_custom_msg({"type": "nonsense"}, [])
        w._handle_custom_msg({"type": "request", "action": "inputs"}, [])  # no id
    assert custom(w) == []
    assert len(caplog.records) == 3


# ---------------------------------------------------------------------------------------------------------------
# Inputs / outputs: lazy, typed, errors as data
# ---------------------------------------------------------------------------------------------------------------


def resolver(**values: Any) -> LiteralsResolver:
    return LiteralsResolver({k: to_literal(v) for k, v in values.items()})


def test_outputs_are_read_only_when_requested() -> None:
    node = FakeNode("n0", outputs=resolver(o0=3, o1="hi"))
    w, _ = make(nodes={"n0": node})
    w._handle_custom_msg({"type": "snapshot"}, [])
    assert node.data_reads == 0
    resp = ask(w, action="outputs", key="n0")
    assert node.data_reads >= 1
    assert resp["ok"] is True
    assert resp["result"] == {
        "items": [
            {"name": "o0", "value": {"t": "int", "v": 3}},
            {"name": "o1", "value": {"t": "str", "v": "hi", "len": 2}},
        ]
    }


def test_show_all_fetches_one_cut_subtree_whole() -> None:
    node = FakeNode("n0", outputs={"big": list(range(120)), "s": "y" * 5000})
    w, _ = make(nodes={"n0": node})
    first = ask(w, action="outputs", key="n0")["result"]["items"]
    big = first[0]["value"]
    assert big["len"] == 120
    assert len(big["items"]) == 50
    assert big["truncated"] is True
    assert big["path"] == ["big"]
    s = first[1]["value"]
    assert s["len"] == 5000
    assert len(s["v"]) == 2000
    assert s["path"] == ["s"]
    full = ask(w, action="outputs", key="n0", path=["big"])["result"]
    assert full["path"] == ["big"]
    assert len(full["value"]["items"]) == 120
    assert "truncated" not in full["value"]


def test_select_puts_the_python_value_on_the_widget() -> None:
    value = {"a": [1, 2, dt.timedelta(seconds=3)]}
    node = FakeNode("n0", outputs={"o0": value})
    w, _ = make(nodes={"n0": node})
    resp = ask(w, action="select", key="n0", which="outputs", path=["o0", 0, 2])
    assert resp["result"] == {"path": "o0[0][2]", "type": "timedelta"}
    assert w.selected_output == dt.timedelta(seconds=3)
    assert widget.selected_output() == dt.timedelta(seconds=3)  # for executions shown by their repr
    assert w.selected_from == {"key": "n0", "which": "outputs", "path": "o0[0][2]"}
    assert "selected_output" not in w.get_state()  # any Python object: never synced


def test_a_failing_read_comes_back_as_data_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    node = FakeNode("n0", outputs=RuntimeError("outputs are not available yet"))
    w, _ = make(nodes={"n0": node})
    with caplog.at_level(logging.WARNING, logger="flyteexec_widget.display.widget"):
        resp = ask(w, action="outputs", key="n0")
    assert resp == {
        "type": "response",
        "id": "v1:1",
        "ok": False,
        "error": {"type": "RuntimeError", "message": "outputs are not available yet"},
    }
    assert "outputs are not available yet" in caplog.text


def test_one_bad_variable_does_not_hide_the_others() -> None:
    class Partly(Mapping[str, Any]):
        def __getitem__(self, k: str) -> Any:
            if k == "bad":
                raise TypeError("'bad': cannot convert")
            return 1

        def __iter__(self) -> Iterator[str]:
            return iter(["good", "bad"])

        def __len__(self) -> int:
            return 2

    w, _ = make(nodes={"n0": FakeNode("n0", outputs=Partly())})
    items = ask(w, action="outputs", key="n0")["result"]["items"]
    assert items[0] == {"name": "good", "value": {"t": "int", "v": 1}}
    assert items[1] == {"name": "bad", "error": {"type": "TypeError", "message": "'bad': cannot convert"}}


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"action": "explode", "key": "n0"}, "unknown action 'explode'"),
        ({"action": "outputs", "key": "nope"}, "no node 'nope'"),
        ({"action": "outputs", "key": "n0", "path": ["o0", -1]}, "position"),
        ({"action": "select", "key": "n0", "which": "secrets", "path": ["o0"]}, "which must be"),
        ({"action": "approve", "key": "n0"}, "is not waiting on approve"),
    ],
)
def test_bad_requests_get_a_clear_error(request_: dict[str, Any], message: str) -> None:
    w, _ = make(nodes={"n0": FakeNode("n0", outputs={"o0": [1]})}, remote=FakeRemote())
    resp = ask(w, **request_)
    assert resp["ok"] is False
    assert message in resp["error"]["message"]


def test_execution_outputs_use_the_execution() -> None:
    execution = FakeNode("exec", outputs={"result": 42})
    w, _ = make(execution=execution)
    assert ask(w, action="outputs", key="")["result"]["items"] == [{"name": "result", "value": {"t": "int", "v": 42}}]


# ---------------------------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------------------------


def gate_rows() -> list[dict[str, Any]]:
    return [
        row("g1", kind="gate", gate={"kind": "approve", "signal_id": "ok-to-go", "type": "bool"}),
        row("g2", kind="gate", gate={"kind": "signal", "signal_id": "threshold", "type": "int"}),
    ]


def test_approve_reject_and_signal_call_the_client_with_the_gates_node() -> None:
    remote = FakeRemote()
    nodes = {"g1": FakeNode("g1"), "g2": FakeNode("g2")}
    w, _ = make(rows=gate_rows(), nodes=nodes, remote=remote)
    assert w.can_act is True
    assert ask(w, action="approve", key="g1")["result"] == {"message": "Approved"}
    assert ask(w, action="reject", key="g1")["ok"] is True
    assert ask(w, action="signal", key="g2", value=7)["result"] == {"message": "Sent 7"}
    assert remote.calls == [
        ("approve", nodes["g1"], "ok-to-go"),
        ("reject", nodes["g1"], "ok-to-go"),
        ("set_signal", nodes["g2"], "threshold", 7),
    ]


def test_a_signal_value_goes_to_set_signal_as_the_view_parsed_it() -> None:
    # No coercion by gate type name in the widget: set_signal builds the literal with the signal's own type.
    remote = FakeRemote()
    rows = [row("g3", kind="gate", gate={"kind": "signal", "signal_id": "config", "type": "struct"})]
    w, _ = make(rows=rows, nodes={"g3": FakeNode("g3")}, remote=remote)
    assert ask(w, action="signal", key="g3", value={"a": 1, "b": [1, 2]})["ok"] is True
    assert remote.calls == [("set_signal", w._model.node("g3"), "config", {"a": 1, "b": [1, 2]})]


def test_a_value_that_does_not_fit_the_signal_comes_back_as_the_request_error() -> None:
    from flyteexec_widget.admin.errors import InvalidArgumentError

    remote = FakeRemote()
    remote.fail = InvalidArgumentError(
        "SetSignal p:d:e signal threshold: str 'seven' does not fit the expected type int: expected an int",
        code=None,  # type: ignore[arg-type]
        method="SetSignal",
    )
    w, _ = make(rows=gate_rows(), nodes={"g2": FakeNode("g2")}, remote=remote)
    resp = ask(w, action="signal", key="g2", value="seven")
    assert resp["ok"] is False
    assert resp["error"]["type"] == "InvalidArgumentError"
    assert "expected type int" in resp["error"]["message"]


def test_server_errors_of_actions_come_back_as_data() -> None:
    from flyteexec_widget.admin.errors import InvalidArgumentError

    remote = FakeRemote()
    remote.fail = InvalidArgumentError("SetSignal: signal does not exist", code=None, method="SetSignal")  # type: ignore[arg-type]
    w, _ = make(rows=gate_rows(), nodes={"g1": FakeNode("g1")}, remote=remote)
    resp = ask(w, action="approve", key="g1")
    assert resp["error"] == {"type": "InvalidArgumentError", "message": "SetSignal: signal does not exist"}


def test_terminate_with_cause_and_without_a_remote() -> None:
    execution = FakeNode("exec")
    remote = FakeRemote()
    w, _ = make(remote=remote, execution=execution)
    assert ask(w, action="terminate", key="", cause="wrong inputs")["ok"] is True
    assert remote.calls == [("terminate", execution, "wrong inputs")]
    w2, _ = make(execution=execution)
    assert w2.can_act is False
    resp = ask(w2, action="terminate", key="")
    assert resp["ok"] is False
    assert "no Remote" in resp["error"]["message"]


def test_full_error_is_fetched_with_a_single_get() -> None:
    remote = FakeRemote()
    w, _ = make(nodes={"n0": FakeNode("n0")}, remote=remote)
    result = ask(w, action="error", key="n0")["result"]
    assert result == {"message": "line one\n" + "x" * 500, "code": "USER:Boom", "kind": "USER", "capped": False}
    assert remote.calls == [("get_node_execution", "n0")]


def test_deck_link_is_http_only() -> None:
    w, _ = make(nodes={"n0": FakeNode("n0")}, remote=FakeRemote())
    assert ask(w, action="deck", key="n0")["result"] == {"url": "https://deck.example.com/n0.html?sig=1"}


class NoDeckYet(FakeRemote):
    """CreateDownloadLink answering NOT_FOUND (the client's ``[]``): the deck file does not exist (yet)."""

    def create_download_link(self, node_id: Any) -> list[str]:
        self._record("create_download_link", node_id.node_id)
        return []


def test_a_running_nodes_missing_deck_is_a_note_not_an_error() -> None:
    """Propeller reports deck_uri from RUNNING on; the data proxy answers NOT_FOUND until the task wrote the deck
    at its end: for a running node that is expected, so the view gets a note, not an error."""
    rows = [row("n0", "RUNNING", deck=True), row("n1", "SUCCEEDED", deck=True)]
    w, _ = make(rows=rows, nodes={"n0": FakeNode("n0"), "n1": FakeNode("n1")}, remote=NoDeckYet())
    running = ask(w, action="deck", key="n0")
    assert running["ok"] is True
    assert running["result"] == {"url": None, "message": "the deck is written when the task ends"}
    done = ask(w, action="deck", key="n1")  # a finished node without its deck: that is an error
    assert (done["ok"], done["error"]["message"]) == (False, "the server has no deck for this node")
    assert ask(w, action="deck", key="")["ok"] is False  # decks belong to nodes


def test_requests_run_on_the_runner_not_inline() -> None:
    queued: list[Callable[[], None]] = []
    model = FakeModel([row("n0")], {"n0": FakeNode("n0", outputs={"o": 1})})
    w = ExecutionWidget(model, runner=queued.append)
    w._handle_custom_msg({"type": "request", "id": 5, "action": "outputs", "key": "n0"}, [])
    assert custom(w) == [{"type": "accepted", "id": 5}]  # read at once: the view stops "waiting for the kernel"
    assert len(queued) == 1
    queued[0]()
    assert custom(w)[-1]["id"] == 5
    assert custom(w)[-1]["ok"] is True


class PackingComm(RecordingComm):
    """Packs each message as the kernel's session does before it leaves (JSON; no NaN), so what cannot go fails."""

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        json_packer(data)
        super().send(data, buffers, **kwargs)


def test_a_reply_the_session_cannot_pack_still_answers_the_page(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A handler whose result is not JSON used to fail the send on the worker thread: the view waited for ever.
    monkeypatch.setattr(comm, "create_comm", lambda **kw: PackingComm())
    monkeypatch.setitem(ExecutionWidget._HANDLERS, "logs", lambda w, request: {"logs": [object()]})
    w, _ = make()
    with caplog.at_level(logging.WARNING, logger="flyteexec_widget.display.widget"):
        resp = ask(w, action="logs", key="n0")
    assert resp["ok"] is False
    assert "JSON" in resp["error"]["message"]  # the session's own words: the value is not JSON
    assert "could not be sent" in caplog.text


def test_the_widget_gives_handlers_all_the_request_contract_names() -> None:
    # The handlers (display/requests_*.py) use the widget only through requests.RequestContext; a member the widget
    # lacked would turn every request that reads it into an AttributeError on the page. mypy cannot see it: the
    # widget's base class (anywidget) is untyped, so it passes for any Protocol.
    members = [n for n in vars(requests.RequestContext) if not n.startswith("_")]
    assert {"model", "remote", "request_cache", "follow", "select"} <= set(members)
    w, _ = make()
    assert [n for n in members if not hasattr(w, n)] == []
    model_members = [n for n in vars(requests.RequestModel) if not n.startswith("_")]
    assert [n for n in model_members if not hasattr(w.model, n)] == []


# ---------------------------------------------------------------------------------------------------------------
# Phase styles, display bundle, credentials, watch() arguments
# ---------------------------------------------------------------------------------------------------------------


def test_phase_styles_come_from_the_one_table() -> None:
    styles = widget.phase_styles()
    for kind, enum in (("workflow", phases.WorkflowPhase), ("node", phases.NodePhase), ("task", phases.TaskPhase)):
        extra = {phases.NOT_STARTED} if kind == "node" else set()
        assert set(styles[kind]) == {m.name for m in enum} | extra
        for m in enum:
            assert styles[kind][m.name]["label"] == phases.style(kind, m).label  # type: ignore[arg-type]
    assert set(styles) == {"workflow", "node", "task", "gate"}  # what widget.js reads
    assert styles["gate"] == {"RUNNING": styles["node"]["RUNNING"] | {"label": "Paused", "color": "paused"}}
    assert styles["node"][phases.NOT_STARTED]["label"] == "Not started"
    # Rows carry their colour token themselves; a running gate node's is PAUSED_STYLE's.
    tokens = {s["color"] for table in styles.values() for s in table.values()} | {phases.PAUSED_STYLE.color}
    css = (STATIC / "widget.css").read_text()
    missing = [t for t in tokens if f".fxw-badge--{t} " not in css]
    assert missing == []  # every colour token the kernel can send has a CSS rule


def test_display_bundle_has_widget_text_and_html() -> None:
    w, _ = make(rows=[row("n0", name="<img src=x onerror=alert(1)>")])
    data, _ = w._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == w.model_id
    assert "task_n0" not in data["text/plain"]
    assert "<img src=x onerror=alert(1)>" in data["text/plain"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in data["text/html"]
    assert "<img" not in data["text/html"]


def test_no_trait_or_message_carries_credentials() -> None:
    from flyteexec_widget.admin.auth import StaticToken
    from flyteexec_widget.live.model import ExecutionModel
    from flyteexec_widget.objects.executions import FlyteWorkflowExecution
    from flyteexec_widget.remote import Remote

    token = "SECRET-TOKEN-4f9a"
    remote = Remote("flyte.example.com:443", auth=StaticToken(token), console_endpoint="https://console.example.com")
    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1"),
        closure=admin_execution_pb2.ExecutionClosure(
            phase=execution_pb2.WorkflowExecution.RUNNING,
            workflow_id=identifier_pb2.Identifier(name="wf"),
        ),
    )
    execution = FlyteWorkflowExecution(proto, remote=remote)
    model = ExecutionModel(execution)
    w = ExecutionWidget(model, execution=execution, runner=lambda fn: fn())
    w._handle_custom_msg({"type": "snapshot"}, [])
    assert w.header["url"] == "https://console.example.com/console/projects/p/domains/d/executions/e1"
    assert w.can_act is True
    state = json.dumps(w.get_state(), default=str)
    assert token not in state
    assert token not in json.dumps(w.comm.messages, default=str)
    assert token not in json.dumps(w._repr_mimebundle_()[0], default=str)
    w.close()


def test_watch_rejects_what_it_cannot_read() -> None:
    with pytest.raises(TypeError, match="console URL"):
        notebook.watch(42)
    with pytest.raises(TypeError, match="both project= and domain="):
        notebook.watch("e1", FakeRemote(), project="p")


def test_watch_fetches_by_name_and_starts_a_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    from flyteexec_widget.objects.executions import FlyteWorkflowExecution

    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1")
    )

    class Fetching(FakeRemote):
        def fetch_execution(self, *args: Any) -> FlyteWorkflowExecution:
            self.calls.append(("fetch_execution", *args))
            return FlyteWorkflowExecution(proto, remote=self)

        def generate_console_url(self, _: Any) -> str:
            return "https://console.example.com/x"

    started: list[Any] = []
    handle = FakeWatch()
    monkeypatch.setattr(notebook, "_start_watch", lambda ex, model: started.append((ex, model)) or handle)
    remote = Fetching()
    w = notebook.watch("e1", remote, project="p", domain="d")
    assert remote.calls == [("fetch_execution", "p", "d", "e1")]
    assert started[0][0] is w.execution
    assert started[0][1] is w.model
    w.close()
    assert handle.stopped == 1


def test_flytekit_style_objects_are_promoted(monkeypatch: pytest.MonkeyPatch) -> None:
    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e9")
    )

    class FlytekitLike:
        id = proto.id

        def to_flyte_idl(self) -> Any:
            return proto

    monkeypatch.setattr(notebook, "_start_watch", lambda ex, model: FakeWatch())
    remote = FakeRemote()
    w = notebook.watch(FlytekitLike(), remote)
    assert w.execution is not None
    assert w.execution.to_flyte_idl() is proto
    assert w.execution._remote is remote


# ---------------------------------------------------------------------------------------------------------------
# The front end: syntax, and its pure helpers under node
# ---------------------------------------------------------------------------------------------------------------


def _node() -> str:
    import shutil

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    return node


def test_widget_js_unit_tests_under_node() -> None:
    test_files = sorted(str(p) for p in (Path(__file__).parent / "js").glob("*.test.mjs"))
    assert len(test_files) >= 2  # the helpers and the view parts
    result = subprocess.run([_node(), "--test", *test_files], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


class Handle:
    """A DisplayHandle stand-in recording its updates."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update(self, data: dict[str, Any], *, raw: bool) -> None:
        assert raw
        self.updates.append(data)


def test_displaying_makes_a_saved_snapshot_then_the_live_view(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def fake_display(data: dict[str, Any], *, raw: bool, metadata: Any = None, display_id: Any = None) -> Any:
        shown.append((data, {"metadata": metadata, "display_id": display_id}))
        return Handle() if display_id else None

    monkeypatch.setattr(widget, "display", fake_display)
    w, _ = make()
    w._ipython_display_()
    (saved, saved_opts), (live, _) = shown
    # First the saved snapshot (refreshable: a display id), marked as such, with the CSS that shows it only while
    # the live view after it is not on screen; then the live view alone (no text/html a front end would prefer).
    assert set(saved) == {"text/plain", "text/html"}
    assert saved_opts["display_id"] is True
    assert 'class="fxw fxw-static fxw-saved"' in saved["text/html"]
    assert "Saved snapshot" in saved["text/html"]
    assert ".jp-OutputArea-child:has(.fxw-saved)" in saved["text/html"]
    assert set(live) == {"application/vnd.jupyter.widget-view+json", "text/plain"}
    assert live["application/vnd.jupyter.widget-view+json"]["model_id"] == w.model_id
    assert "Live view of p/d/e1" in live["text/plain"]
    assert [m["type"] for m in custom(w)] == ["snapshot"]  # the rows went out with it, unasked


def test_the_saved_snapshot_is_refreshed_while_running_and_once_when_done(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(widget.time, "monotonic", lambda: clock[0])
    w, model = make()
    handle = Handle()
    w._display_handles.append(handle)  # what _ipython_display_ records in a kernel
    w._saved_at = clock[0]
    model.sync_status = {"state": "live"}
    assert handle.updates == []  # nothing changed
    model.publish([row("n0", "SUCCEEDED")])
    model.sync_status = {"state": "live", "last_synced_at": "2026-11-27T10:00:01Z"}
    assert handle.updates == []  # changed, but the last refresh is too recent
    clock[0] += widget.SAVED_SNAPSHOT_EVERY_S
    model.sync_status = {"state": "live", "last_synced_at": "2026-11-27T10:00:06Z"}
    assert len(handle.updates) == 1  # a notebook saved now holds the tree as it is now
    assert "[Succeeded]" in handle.updates[0]["text/plain"]
    clock[0] += widget.SAVED_SNAPSHOT_EVERY_S
    model.sync_status = {"state": "live", "last_synced_at": "2026-11-27T10:00:12Z"}
    assert len(handle.updates) == 1  # nothing changed since
    model.publish([row("n1", "SUCCEEDED")])
    model.header = {**model.header, "phase": "SUCCEEDED", "label": "Succeeded", "terminal": True}
    model.counts = {"SUCCEEDED": 2}
    model.sync_status = {"state": "done"}  # final: at once, however recent the last refresh
    model.sync_status = {"state": "done", "last_synced_at": "2026-11-27T10:00:13Z"}
    assert len(handle.updates) == 2  # once
    data = handle.updates[-1]
    assert set(data) == {"text/plain", "text/html"}  # the live view's output is left alone (no re-render)
    assert "Running" not in data["text/html"].split("</style>", 1)[1]
    assert "fxw-saved" in data["text/html"]


def test_a_watch_that_ends_while_the_saved_output_is_made_still_publishes_the_final_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The race a browser test met: the sync thread reported "done" after the saved bundle was built but before its
    # handle was registered, so the final refresh found no handle and the notebook kept the empty first snapshot.
    w, model = make()
    handles: list[Handle] = []

    def fake_display(data: dict[str, Any], *, raw: bool, metadata: Any = None, display_id: Any = None) -> Any:
        if not display_id:
            return None
        model.publish([row("n0", "SUCCEEDED")])  # the watch finishes while this output is being made
        model.sync_status = {"state": "done"}
        handles.append(Handle())
        return handles[-1]

    monkeypatch.setattr(widget, "display", fake_display)
    w._ipython_display_()
    (handle,) = handles
    assert len(handle.updates) == 1
    assert "[Succeeded]" in handle.updates[0]["text/plain"]


def test_a_request_about_a_node_that_has_not_started_says_so() -> None:
    planned = {**row("n2"), "phase": phases.NOT_STARTED, "label": "Not started", "name": "train"}
    w, _ = make(rows=[row("n0"), planned])
    res = ask(w, action="outputs", key="n2")
    assert res["ok"] is False
    assert res["error"]["message"] == "node 'train' has not started yet"


def test_relaunch_and_recover_answer_with_the_new_execution() -> None:
    execution = FakeNode("exec")
    remote = FakeRemote()
    w, _ = make(remote=remote, execution=execution)
    result = ask(w, action="relaunch", key="")["result"]
    assert {k: result[k] for k in ("message", "name", "url")} == {
        "message": "Relaunched as",
        "name": "e2",
        "url": "https://console.example.com/console/projects/p/domains/d/executions/e2",
    }
    # this fake remote cannot fetch the new execution: the widget says why it does not follow it (tests/unit/
    # test_relaunch.py follows real ones)
    assert result["followed"] is False
    assert result["follow_error"]
    assert ask(w, action="recover", key="")["result"]["name"] == "e3"
    assert remote.calls == [("relaunch", execution), ("recover", execution)]


def _wf(phase: int = execution_pb2.WorkflowExecution.RUNNING, remote: Any = None) -> Any:
    from flyteexec_widget.objects.executions import FlyteWorkflowExecution

    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1"),
        closure=admin_execution_pb2.ExecutionClosure(phase=phase, workflow_id=identifier_pb2.Identifier(name="wf")),
    )
    return FlyteWorkflowExecution(proto, remote=remote)


def test_mimebundle_outside_a_kernel_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Any] = []
    monkeypatch.setattr(notebook, "_start_watch", lambda ex, model: started.append(ex))
    data = notebook.mimebundle_for(_wf(remote=FakeRemote()))
    assert set(data) == {"text/plain", "text/html"}
    assert data["text/plain"].startswith("wf  p/d/e1  [Running]")
    assert started == []


def test_mimebundle_in_a_kernel_shows_the_live_widget(monkeypatch: pytest.MonkeyPatch) -> None:
    handle = FakeWatch()
    started: list[Any] = []
    monkeypatch.setattr(kernel, "in_kernel", lambda: True)
    monkeypatch.setattr(notebook, "_start_watch", lambda ex, model: started.append(ex) or handle)
    running = _wf(remote=FakeRemote())
    data, metadata = notebook.repr_mimebundle(running)
    assert {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert started == [running]
    assert isinstance(metadata, dict)
    # a terminal execution whose nodes were synced needs no watch; one without a remote cannot have one
    done = _wf(execution_pb2.WorkflowExecution.SUCCEEDED, remote=FakeRemote())
    done._node_executions = {}
    notebook.mimebundle_for(done)
    notebook.mimebundle_for(_wf())
    assert started == [running]


@pytest.mark.flytekit
def test_flytekits_own_execution_object_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    from flytekit.models.execution import Execution as FlytekitExecutionModel
    from flytekit.remote.executions import FlyteWorkflowExecution as FlytekitExecution

    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="fk1"),
        closure=admin_execution_pb2.ExecutionClosure(phase=execution_pb2.WorkflowExecution.RUNNING),
    )
    theirs = FlytekitExecution.promote_from_model(FlytekitExecutionModel.from_flyte_idl(proto))
    monkeypatch.setattr(notebook, "_start_watch", lambda ex, model: FakeWatch())
    w = notebook.watch(theirs, FakeRemote())
    assert w.execution is not None
    assert w.execution.to_flyte_idl().id.name == "fk1"
    assert w.header["name"] == "fk1"


def _attempt_proto(attempt: int, phase: int, *, error: str = "", reason: str = "", uri: str = "") -> Any:
    from flyteidl.admin import task_execution_pb2
    from flyteidl.core import execution_pb2

    t = task_execution_pb2.TaskExecution()
    t.id.retry_attempt = attempt
    t.id.node_execution_id.node_id = "n0"
    t.closure.phase = phase
    t.closure.created_at.FromSeconds(1_800_000_000 + 10 * attempt)
    t.closure.started_at.FromSeconds(1_800_000_001 + 10 * attempt)
    t.closure.duration.FromSeconds(3)
    if error:
        t.closure.error.CopyFrom(execution_pb2.ExecutionError(code="USER:ValueError", message=error, kind=1))
    if reason:
        t.closure.reasons.add(message=reason)
    if uri:
        t.closure.logs.add(name=f"log {attempt}", uri=uri)
    return t


def test_attempts_lists_each_attempt_with_its_reason_error_and_own_safe_logs() -> None:
    from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteTaskExecution
    from flyteexec_widget.objects.phases import TaskPhase

    node = FlyteNodeExecution(admin_node_proto("n0"))
    node._task_executions = [
        FlyteTaskExecution(
            _attempt_proto(1, TaskPhase.SUCCEEDED, reason="done", uri="https://logs.example.com/1")
        ),  # listed out of order: the answer is oldest first
        FlyteTaskExecution(
            _attempt_proto(
                0,
                TaskPhase.FAILED,
                error="Traceback...\nValueError: boom",
                reason="x" * 5000,
                uri="javascript:alert(1)",
            )
        ),
    ]
    w, _ = make([row("n0"), {**row("n1"), "phase": "NOT_STARTED"}], {"n0": node})
    got = ask(w, action="attempts", key="n0")["result"]["attempts"]
    assert [a["attempt"] for a in got] == [0, 1]
    assert [a["label"] for a in got] == ["Failed", "Succeeded"]
    assert got[0]["error"]["message"] == "Traceback...\nValueError: boom"
    assert got[0]["error"]["code"] == "USER:ValueError"
    assert len(got[0]["reason"]) == 2000  # a hostile reason is cut
    assert got[0]["logs"] == []  # only http(s) links
    assert got[1]["logs"] == [{"name": "log 1", "uri": "https://logs.example.com/1", "attempt": 1}]
    assert (got[1]["started_at"], got[1]["duration_s"], got[1]["queued_s"]) == ("2027-01-15T08:00:11.000Z", 3.0, 1.0)
    # the execution itself and a node that has not started have no attempts: errors that say so
    assert "attempts belong to nodes" in ask(w, action="attempts", key="")["error"]["message"]
    assert "has not started" in ask(w, action="attempts", key="n1")["error"]["message"]
