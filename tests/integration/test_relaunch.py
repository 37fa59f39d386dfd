"""Relaunch with new inputs over real gRPC, against the sandbox's ``typed-inputs`` scenario (a launch plan with an
input of every type family and a fixed one): ``Remote.relaunch(inputs=)``, the widget's form and launch requests
(the new execution's stored inputs carry the edit, the widget follows it), and the input checks on both sides
(the client before any call, the sandbox's CreateExecution as FlyteAdmin's ``CheckAndFetchInputsForExecution``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import comm
import grpc
import pytest
from flyteidl.admin import common_pb2
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import literals_pb2, security_pb2

from flyteexec_widget.admin.errors import InvalidArgumentError
from flyteexec_widget.display.widget import ExecutionWidget
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.objects.executions import FlyteWorkflowExecution
from flyteexec_widget.objects.launch_inputs import InputsError, launch_inputs
from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.objects.python_to_literal import to_literal
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from tests.integration.test_typed_signals import RecordingComm


def finished(sb: Sandbox, remote: Remote) -> FlyteWorkflowExecution:
    wf = sb.launch("typed-inputs")
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    return remote.fetch_execution(wf)


def stored_inputs(remote: Remote, name: str, like: FlyteWorkflowExecution) -> dict[str, Any]:
    """The inputs the sandbox stored for an execution, read back through the API."""
    return dict(remote.fetch_execution(like.id.project, like.id.domain, name).inputs)


def test_relaunch_with_an_edited_int_and_list_reaches_the_new_executions_inputs(
    sandbox: Sandbox, remote: Remote
) -> None:
    original = finished(sandbox, remote)
    new_id = remote.relaunch(original, inputs={"epochs": 35, "layers": [128, 8]})
    assert new_id.name != original.id.name  # FlyteAdmin named it
    assert sandbox.run_until_done(new_id) == WorkflowPhase.SUCCEEDED
    after = stored_inputs(remote, new_id.name, original)
    before = dict(original.inputs)
    assert after["epochs"] == 35
    assert after["layers"] == [128, 8]
    # the rest are the original's; the fixed input is the launch plan's
    assert {k: v for k, v in after.items() if k not in ("epochs", "layers")} == {
        k: v for k, v in before.items() if k not in ("epochs", "layers")
    }
    assert after["region"] == "eu-west-1"
    # named when asked
    named = remote.relaunch(original, name="tuned-1", inputs={"dry_run": True})
    assert named.name == "tuned-1"
    assert stored_inputs(remote, "tuned-1", original)["dry_run"] is True


def test_a_bad_input_is_refused_before_launching_naming_it(sandbox: Sandbox, remote: Remote) -> None:
    original = finished(sandbox, remote)
    before = sandbox.rpc_counts().get("CreateExecution", 0)
    with pytest.raises(InputsError) as err:
        remote.relaunch(original, inputs={"epochs": "many", "optimizer": "adagrad", "region": "us-east-1"})
    assert set(err.value.fields) == {"epochs", "optimizer", "region"}
    assert "expected an int" in err.value.fields["epochs"]
    assert "'adam', 'sgd', 'rmsprop'" in err.value.fields["optimizer"]
    assert "fixed by the launch plan" in err.value.fields["region"]
    assert sandbox.rpc_counts().get("CreateExecution", 0) == before  # nothing launched


def test_create_execution_checks_names_and_types_as_flyteadmin_does(sandbox: Sandbox, remote: Remote) -> None:
    """flyteadmin/pkg/manager/impl/validation/execution_validator.go, CheckAndFetchInputsForExecution."""
    original = finished(sandbox, remote)
    lp, _ = remote.launch_plan_and_inputs(original)
    project, domain = original.id.project, original.id.domain

    def create(**literals: literals_pb2.Literal) -> Any:
        return remote.create_execution(
            lp.id, literals_pb2.LiteralMap(literals=literals), project=project, domain=domain
        )

    with pytest.raises(InvalidArgumentError) as unknown:
        create(epoch=to_literal(3))
    assert unknown.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid input 'epoch'" in str(unknown.value)
    with pytest.raises(InvalidArgumentError) as wrong:
        create(epochs=to_literal("3"))
    assert "invalid epochs input wrong type" in str(wrong.value)
    with pytest.raises(InvalidArgumentError, match="invalid layers input wrong type"):
        create(layers=to_literal(["a"]))
    with pytest.raises(InvalidArgumentError, match="fixed by the launch plan"):
        create(region=to_literal("us-east-1"))
    # what fits is stored as given: an enum as its string, an empty list, a blob of the declared format
    ok = create(
        optimizer=to_literal("sgd"),
        layers=to_literal([]),
        checkpoint=to_literal("s3://m/x.joblib", lp.spec.default_inputs.parameters["checkpoint"].var.type),
    )
    stored = stored_inputs(remote, ok.name, original)
    assert stored["optimizer"] == "sgd"
    assert stored["layers"] == []
    assert stored["checkpoint"].uri == "s3://m/x.joblib"
    assert stored["epochs"] == 20  # the default filled in


# ---------------------------------------------------------------------------------------------------------------
# The widget: the form, a launch with edited texts, and following the new execution


@pytest.fixture
def widget(
    monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, remote: Remote
) -> Iterator[tuple[ExecutionWidget, SyncScheduler]]:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm())
    sched = SyncScheduler(start_thread=False)
    original = finished(sandbox, remote)
    TreeSync(remote, original).refresh()
    w = ExecutionWidget(
        ExecutionModel(original),
        execution=original,
        remote=remote,
        runner=lambda fn: fn(),
        watcher=lambda ex, model: sched.watch(ex, model),
    )
    w._push_snapshot()
    yield w, sched
    w.close()
    sched.shutdown()


def ask(w: ExecutionWidget, **request: Any) -> dict[str, Any]:
    before = len(w.comm.messages)
    w._handle_custom_msg({"type": "request", "id": "v1:1", **request}, [])
    sent = [m["content"] for m in w.comm.messages[before:] if m.get("method") == "custom"]
    [response] = [m for m in sent if m["type"] == "response"]
    return response


def test_the_widget_launches_the_edited_form_and_follows_the_new_execution(
    sandbox: Sandbox, remote: Remote, widget: tuple[ExecutionWidget, SyncScheduler]
) -> None:
    w, sched = widget
    original_name = w.header["name"]
    form = ask(w, action="relaunch_form", key="")["result"]
    fields = {f["name"]: f for f in form["fields"]}
    assert form["launch_plan"]["name"] == "sandbox.typed_inputs.wf"
    assert fields["epochs"]["text"] == "20"
    assert fields["layers"]["text"] == "[64, 32, 16]"
    assert fields["start_at"]["text"] == "2026-11-01T06:30:00Z"
    assert fields["timeout"]["text"] == "2700"
    assert fields["optimizer"]["values"] == ["adam", "sgd", "rmsprop"]
    assert fields["sales"]["kind"] == "dataset"
    assert fields["region"]["fixed"] is True
    texts = {name: f["text"] for name, f in fields.items() if not f["fixed"]}

    bad = ask(w, action="launch", key="", inputs={**texts, "layers": "[1, 2", "start_at": "soon"})
    assert bad["ok"] is False
    assert set(bad["error"]["fields"]) == {"layers", "start_at"}
    assert bad["error"]["fields"]["layers"].startswith("not valid JSON")
    assert w.header["name"] == original_name  # nothing launched, nothing followed

    res = ask(w, action="launch", key="", inputs={**texts, "epochs": "50", "layers": "[256, 128]"})["result"]
    assert res["followed"] is True
    new_name = res["name"]
    assert w.header["name"] == new_name
    assert [t["name"] for t in w.trail] == [original_name, new_name]
    [followed] = sched.watches  # one watch: the followed execution's
    assert followed.model is w.model
    assert sandbox.run_until_done(f"{w.header['project']}:{w.header['domain']}:{new_name}") == WorkflowPhase.SUCCEEDED
    sched.sync_once()
    assert w.header["phase"] == "SUCCEEDED"
    assert stored_inputs(remote, new_name, w.execution)["epochs"] == 50
    assert stored_inputs(remote, new_name, w.execution)["layers"] == [256, 128]
    new_spec = w.execution.to_flyte_idl().spec  # what FlyteAdmin (the sandbox) stored for it
    assert new_spec.metadata.reference_execution.name == original_name  # recorded as a relaunch of the original

    back = ask(w, action="follow", key="", index=0)
    assert back["ok"]
    assert w.header["name"] == original_name
    [again] = sched.watches  # the one it left stopped: no watch (nor its RPCs) goes on for nobody
    assert again.model is w.model
    assert again is not followed
    assert not followed.active


def test_relaunch_with_new_inputs_keeps_the_originals_run_settings(sandbox: Sandbox, remote: Remote) -> None:
    """FlyteAdmin's RelaunchExecution reruns the original's spec (flyteadmin/pkg/manager/impl/execution_manager.go
    RelaunchExecution: the existing spec, metadata mode RELAUNCH and reference_execution, overwrite_cache from its
    request): new inputs must not drop the service account, labels or raw output prefix the original ran with."""
    original = finished(sandbox, remote)
    lp, inputs = remote.launch_plan_and_inputs(original)
    settings = admin_execution_pb2.ExecutionSpec(
        labels=common_pb2.Labels(values={"team": "ml"}),
        annotations=common_pb2.Annotations(values={"owner": "ana"}),
        security_context=security_pb2.SecurityContext(run_as=security_pb2.Identity(k8s_service_account="trainer")),
        raw_output_data_config=common_pb2.RawOutputDataConfig(output_location_prefix="s3://ml-raw/"),
        overwrite_cache=True,
        max_parallelism=7,
    )
    project, domain = original.id.project, original.id.domain
    given = launch_inputs(lp, {}, base=inputs)  # the full inputs without the fixed one
    first = remote.create_execution(lp.id, given, project=project, domain=domain, like=settings)
    new_id = remote.relaunch(remote.fetch_execution(first), inputs={"epochs": 3})
    spec = remote.get_execution(new_id).spec
    assert dict(spec.labels.values) == {"team": "ml"}
    assert dict(spec.annotations.values) == {"owner": "ana"}
    assert spec.security_context.run_as.k8s_service_account == "trainer"
    assert spec.raw_output_data_config.output_location_prefix == "s3://ml-raw/"
    assert spec.overwrite_cache is False  # as RelaunchExecution: a cache overwrite only when asked for again
    assert spec.max_parallelism == 7
    assert spec.metadata.mode == admin_execution_pb2.ExecutionMetadata.RELAUNCH
    assert spec.metadata.reference_execution.name == first.name
    assert stored_inputs(remote, new_id.name, original)["epochs"] == 3
