"""Every scenario played by the sandbox's player, checked through FlyteAdmin's gRPC API as a client sees it.

The stepped clock makes each run deterministic: ``run_until_done`` jumps from one scheduled event to the next.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeAlias

import grpc
import pytest
from flyteidl.admin import common_pb2, execution_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.service import admin_pb2_grpc, dataproxy_pb2, dataproxy_pb2_grpc, signal_pb2_grpc

from flyteexec_widget.objects.phases import CacheStatus, NodePhase, TaskPhase, WorkflowPhase
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.player import (
    Player,
    child_execution_name,
    fixed_length_unique_id,
    fixed_length_unique_id_for_parts,
    unique_node_id,
)
from flyteexec_widget.sandbox.scenarios import get_scenario

WfId: TypeAlias = identifier_pb2.WorkflowExecutionIdentifier


class Admin:
    """Raw stubs for the sandbox (what a client sees), with paging helpers."""

    def __init__(self, endpoint: str) -> None:
        self.channel = grpc.insecure_channel(endpoint)
        self.admin = admin_pb2_grpc.AdminServiceStub(self.channel)
        self.signal = signal_pb2_grpc.SignalServiceStub(self.channel)
        self.dataproxy = dataproxy_pb2_grpc.DataProxyServiceStub(self.channel)

    def execution(self, wf: WfId) -> execution_pb2.Execution:
        return self.admin.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf), timeout=10)

    def nodes(self, wf: WfId, parent: str = "", limit: int = 100) -> list[node_execution_pb2.NodeExecution]:
        out: list[node_execution_pb2.NodeExecution] = []
        token = ""
        while True:
            resp = self.admin.ListNodeExecutions(
                node_execution_pb2.NodeExecutionListRequest(
                    workflow_execution_id=wf, limit=limit, token=token, unique_parent_id=parent
                ),
                timeout=10,
            )
            out.extend(resp.node_executions)
            if not resp.token:
                return out
            token = resp.token

    def tree(self, wf: WfId, parent: str = "") -> dict[str, node_execution_pb2.NodeExecution]:
        """Every node below ``parent``, recursively, keyed by unique id (start/end nodes included)."""
        out: dict[str, node_execution_pb2.NodeExecution] = {}
        for ne in self.nodes(wf, parent):
            out[ne.id.node_id] = ne
            if ne.metadata.is_parent_node:
                out.update(self.tree(wf, ne.id.node_id))
        return out

    def node(self, wf: WfId, node_id: str) -> node_execution_pb2.NodeExecution:
        ident = identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf)
        return self.admin.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=ident), timeout=10)

    def node_data(self, wf: WfId, node_id: str) -> Any:
        ident = identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf)
        return self.admin.GetNodeExecutionData(node_execution_pb2.NodeExecutionGetDataRequest(id=ident), timeout=10)

    def tasks(self, wf: WfId, node_id: str) -> list[Any]:
        ident = identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf)
        resp = self.admin.ListTaskExecutions(
            task_execution_pb2.TaskExecutionListRequest(node_execution_id=ident, limit=100), timeout=10
        )
        return sorted(resp.task_executions, key=lambda t: t.id.retry_attempt)

    def deck_html(self, wf: WfId, node_id: str) -> str:
        """The node's deck, fetched like the console does: CreateDownloadLink, then the signed URL."""
        ident = identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf)
        req = dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=ident
        )
        link = self.dataproxy.CreateDownloadLink(req, timeout=10)
        [url] = link.pre_signed_urls.signed_url
        assert url.startswith("http")
        with urllib.request.urlopen(url, timeout=10) as resp:
            return str(resp.read().decode())

    def set_signal(self, wf: WfId, signal_id: str, value: literals_pb2.Literal) -> None:
        sig = identifier_pb2.SignalIdentifier(signal_id=signal_id, execution_id=wf)
        self.signal.SetSignal(signal_pb2.SignalSetRequest(id=sig, value=value), timeout=10)

    def signals(self, wf: WfId) -> list[str]:
        resp = self.signal.ListSignals(signal_pb2.SignalListRequest(workflow_execution_id=wf, limit=100), timeout=10)
        return sorted(s.id.signal_id for s in resp.signals)


def boolean(v: bool) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=v)))


def floating(v: float) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(float_value=v)))


def phases(tree: dict[str, node_execution_pb2.NodeExecution]) -> dict[str, str]:
    return {k: NodePhase(v.closure.phase).name for k, v in tree.items()}


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> Iterator[Admin]:
    a = Admin(sb.endpoint)
    yield a
    a.channel.close()


def wait_for_gate(sb: Sandbox, wf: WfId) -> None:
    """Play until nothing is scheduled any more (the execution waits for a signal)."""
    with pytest.raises(RuntimeError, match="nothing is scheduled"):
        sb.run_until_done(wf, max_seconds=3600)


# ----------------------------------------------------------------------------------------------------------------
def test_single_task_events_become_a_succeeded_execution_with_data(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("single-task")
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    tree = api.tree(wf)
    assert phases(tree) == {"start-node": "SUCCEEDED", "n0": "SUCCEEDED", "end-node": "SUCCEEDED"}
    n0 = tree["n0"]
    assert n0.metadata.spec_node_id == "n0"
    assert n0.closure.HasField("started_at")
    assert n0.closure.duration.seconds > 0
    [attempt] = api.tasks(wf, "n0")
    assert attempt.closure.phase == TaskPhase.SUCCEEDED
    assert attempt.id.task_id.name == "sandbox.say_hello"
    assert [log.name for log in attempt.closure.logs] == ["Kubernetes Logs (User)"]
    assert all(log.uri.startswith("http") for log in attempt.closure.logs)
    data = api.node_data(wf, "n0")
    assert data.full_inputs.literals["name"].scalar.primitive.string_value == "world"
    assert data.full_outputs.literals["o0"].scalar.primitive.string_value == "Hello, world!"
    ex = api.execution(wf)
    assert ex.closure.outputs is not None
    assert WorkflowPhase(ex.closure.phase) == WorkflowPhase.SUCCEEDED


def test_demo_waits_at_the_approve_gate_until_approved(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("demo")
    wait_for_gate(sb, wf)
    tree = api.tree(wf)
    assert tree["n4"].closure.phase == NodePhase.RUNNING
    assert "n5" not in tree
    assert api.signals(wf) == ["approve-deploy"]
    # train: one retry -> two task executions, the first failed, the second succeeded, with a deck.
    train = api.tasks(wf, "n2")
    assert [(t.id.retry_attempt, TaskPhase(t.closure.phase)) for t in train] == [
        (0, TaskPhase.FAILED),
        (1, TaskPhase.SUCCEEDED),
    ]
    assert "OOMKilled" in train[0].closure.error.message
    assert "<h2>Training</h2>" in api.deck_html(wf, "n2")
    # load_data populated the cache; the map over shards is one array task with 8 subtasks (+1 retry).
    assert tree["n0"].closure.task_node_metadata.cache_status == CacheStatus.CACHE_POPULATED
    assert tree["n1"].metadata.is_array
    [arr] = api.tasks(wf, "n1")
    assert arr.closure.task_type == "container_array"
    assert arr.closure.metadata.plugin_identifier == "k8s-array"
    assert arr.closure.event_version == 1
    resources = arr.closure.metadata.external_resources
    assert len(resources) == 9
    latest = {r.index: r for r in sorted(resources, key=lambda r: r.retry_attempt)}
    assert {TaskPhase(r.phase) for r in latest.values()} == {TaskPhase.SUCCEEDED}
    assert latest[5].retry_attempt == 1
    # evaluate's metrics are a Struct
    metrics = api.node_data(wf, "n3").full_outputs.literals["metrics"].scalar.generic
    assert metrics["accuracy"] == pytest.approx(0.934)

    api.set_signal(wf, "approve-deploy", boolean(True))
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    assert phases(api.tree(wf))["n5"] == "SUCCEEDED"


def test_rejecting_the_gate_fails_it_with_received_reject_signal(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("demo")
    wait_for_gate(sb, wf)
    api.set_signal(wf, "approve-deploy", boolean(False))
    assert sb.run_until_done(wf) == WorkflowPhase.FAILED
    gate = api.node(wf, "n4")
    assert gate.closure.phase == NodePhase.FAILED
    assert gate.closure.error.code == "ReceivedRejectSignal"
    assert "n5" not in phases(api.tree(wf))


def test_all_kinds_every_node_kind_then_failed(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("all-kinds")
    wait_for_gate(sb, wf)
    assert api.signals(wf) == ["approve-me", "threshold"]
    tree = api.tree(wf)
    assert tree["n6"].closure.phase == NodePhase.RUNNING
    assert tree["n7"].closure.phase == NodePhase.RUNNING
    api.set_signal(wf, "approve-me", boolean(True))
    api.set_signal(wf, "threshold", floating(0.7))
    assert sb.run_until_done(wf) == WorkflowPhase.FAILED

    tree = api.tree(wf)
    got = phases(tree)
    expected_top = {
        "n0": "SUCCEEDED",  # retried twice
        "n1": "SUCCEEDED",  # cache hit
        "n2": "SUCCEEDED",  # subworkflow
        "n3": "SUCCEEDED",  # dynamic
        "n4": "SUCCEEDED",  # branch
        "n5": "SUCCEEDED",  # launch plan
        "n6": "SUCCEEDED",  # approve
        "n7": "SUCCEEDED",  # signal
        "n8": "SUCCEEDED",  # sleep
        "n9": "SUCCEEDED",  # array with retries
        "n10": "FAILED",  # long user stack trace
        "n11": "TIMED_OUT",
        "n12": "SKIPPED",
    }
    assert {k: got[k] for k in expected_top} == expected_top
    # children ids: parentUniqueId-parentAttempt-nodeId, start/end nodes in subworkflows and dynamic workflows
    for child in ("n2-0-start-node", "n2-0-n0", "n2-0-n1", "n2-0-end-node", "n4-0-n0"):
        assert got[child] == "SUCCEEDED", child
    for child in ("n3-0-start-node", "n3-0-dn0", "n3-0-dn1", "n3-0-dn2", "n3-0-end-node"):
        assert got[child] == "SUCCEEDED", child
    assert "n4-0-start-node" not in got  # a branch runs its node, not a workflow
    sub = tree["n2-0-n0"]
    assert sub.metadata.retry_group == "0"
    assert sub.metadata.spec_node_id == "n0"
    assert tree["n2"].metadata.is_parent_node
    assert tree["n3"].metadata.is_dynamic
    assert tree["n3"].metadata.is_parent_node
    assert tree["n3-0-dn2"].metadata.is_array
    assert api.node_data(wf, "n3").dynamic_workflow.compiled_workflow.primary.template.nodes

    # task attempts: two retryable failures, then success
    assert [TaskPhase(t.closure.phase) for t in api.tasks(wf, "n0")] == [
        TaskPhase.FAILED,
        TaskPhase.FAILED,
        TaskPhase.SUCCEEDED,
    ]
    assert tree["n1"].closure.task_node_metadata.cache_status == CacheStatus.CACHE_HIT
    assert api.tasks(wf, "n1") == []
    # the launch-plan node points to a child execution that ran to completion
    child_id = tree["n5"].closure.workflow_node_metadata.executionId
    child = api.execution(child_id)
    assert WorkflowPhase(child.closure.phase) == WorkflowPhase.SUCCEEDED
    assert child.spec.metadata.mode == execution_pb2.ExecutionMetadata.CHILD_WORKFLOW
    assert child.spec.metadata.parent_node_execution.node_id == "n5"
    # typed signal output
    assert api.node_data(wf, "n7").full_outputs.literals["threshold"].scalar.primitive.float_value == 0.7
    # array: 120 subtasks, the last retry per index all succeeded, 5 extra attempts
    [arr] = api.tasks(wf, "n9")
    resources = arr.closure.metadata.external_resources
    assert len({r.index for r in resources}) == 120
    assert len(resources) == 120 + 5
    # the failing task: the whole message from Get, trimmed in List
    failed = api.node(wf, "n10")
    assert failed.closure.error.code == "USER:ValueError"
    assert failed.closure.error.message.count("\n") > 40
    assert len(tree["n10"].closure.error.message.encode()) <= 100
    assert tree["n11"].closure.error.code == "TimeoutExpired"
    assert [TaskPhase(t.closure.phase) for t in api.tasks(wf, "n11")] == [TaskPhase.ABORTED]
    ex = api.execution(wf)
    assert "n10" in ex.closure.error.message or "n11" in ex.closure.error.message


def test_failure_fails_fast_and_aborts_the_parallel_task(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("failure")
    assert sb.run_until_done(wf) == WorkflowPhase.FAILED
    got = phases(api.tree(wf))
    assert got == {"start-node": "SUCCEEDED", "n0": "SUCCEEDED", "n1": "FAILED", "n2": "ABORTED"}
    assert [TaskPhase(t.closure.phase) for t in api.tasks(wf, "n2")] == [TaskPhase.ABORTED]
    ex = api.execution(wf)
    assert ex.closure.error.code == "USER:KeyError"


def test_aborted_scenario_is_terminated_by_its_scripted_user(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("aborted")
    assert sb.run_until_done(wf) == WorkflowPhase.ABORTED
    got = phases(api.tree(wf))
    assert got == {"start-node": "SUCCEEDED", "n0": "SUCCEEDED", "n1": "ABORTED"}
    assert [TaskPhase(t.closure.phase) for t in api.tasks(wf, "n1")] == [TaskPhase.ABORTED]
    closure = api.execution(wf).closure
    assert closure.abort_metadata.cause == "Terminated from the console by a user"
    assert closure.WhichOneof("output_result") == "abort_metadata"  # ABORTED carries no error, as from propeller


def test_terminate_aborts_running_nodes_then_the_workflow(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("all-kinds")
    sb.advance(2)
    api.admin.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=wf, cause="stop it"), timeout=10)
    assert sb.run_until_done(wf) == WorkflowPhase.ABORTED
    tree = api.tree(wf)
    got = phases(tree)
    for node in ("n0", "n5", "n6", "n9"):  # a task between attempts, a launch plan, a gate, an array
        assert got[node] == "ABORTED", node
    assert not [k for k, p in got.items() if p in ("RUNNING", "QUEUED", "DYNAMIC_RUNNING")]
    assert tree["n6"].closure.error.code == "NodeAborted"
    assert TaskPhase(api.tasks(wf, "n9")[0].closure.phase) == TaskPhase.ABORTED
    # the launch-plan node's child execution is terminated too, through the admin
    child_id = tree["n5"].closure.workflow_node_metadata.executionId
    assert WorkflowPhase(api.execution(child_id).closure.phase) == WorkflowPhase.ABORTED
    assert sb.advance(3600) == 0  # nothing left scheduled for an aborted execution


def test_relaunch_plays_the_scenario_again(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("single-task")
    sb.run_until_done(wf)
    new = api.admin.RelaunchExecution(execution_pb2.ExecutionRelaunchRequest(id=wf, name="relaunched1"), timeout=10)
    assert sb.run_until_done(new.id) == WorkflowPhase.SUCCEEDED
    assert api.execution(new.id).spec.metadata.mode == execution_pb2.ExecutionMetadata.RELAUNCH
    assert phases(api.tree(new.id))["n0"] == "SUCCEEDED"


def test_recover_reuses_nodes_that_succeeded(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("failure")
    assert sb.run_until_done(wf) == WorkflowPhase.FAILED
    new = api.admin.RecoverExecution(execution_pb2.ExecutionRecoverRequest(id=wf, name="recovered1"), timeout=10)
    sb.run_until_done(new.id)
    tree = api.tree(new.id)
    assert tree["n0"].closure.phase == NodePhase.RECOVERED
    assert api.tasks(new.id, "n0") == []  # not run again
    assert api.node_data(new.id, "n0").full_outputs.literals["o0"].scalar.primitive.integer == 42
    assert tree["n1"].closure.phase == NodePhase.FAILED  # the script fails it again


def test_deep_nesting_uses_propellers_hashed_ids(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("deep", depth=6)
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    tree = api.tree(wf)
    # level k subworkflow is node n1 of level k-1; compute the ids as propeller does and find them all
    uid = "n1"
    for _ in range(5):
        assert tree[uid].metadata.is_parent_node, uid
        uid = unique_node_id(uid, 0, "n1")
    assert uid in tree
    assert any(len(k) == 8 and k.startswith("f") for k in tree)  # ids past 20 chars are hashed
    assert all(len(k) <= 20 for k in tree)
    assert {NodePhase(n.closure.phase) for n in tree.values()} == {NodePhase.SUCCEEDED}


def test_wide_1000_nodes_page_through_the_top_level(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("wide", size=1000)
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    nodes = api.nodes(wf, limit=100)
    ids = {n.id.node_id for n in nodes}
    assert len(nodes) == 1002 == len(ids)
    assert {f"n{i}" for i in range(1000)} <= ids


@pytest.mark.slow
def test_wide_10000_nodes() -> None:
    # ~13 s of CPU since the player delivers events in-process (it was ~2 min over gRPC): the default timeout
    # catches a regression to minutes.
    with Sandbox(clock="stepped") as sandbox:
        wf = sandbox.launch("wide", size=10000)
        assert sandbox.run_until_done(wf) == WorkflowPhase.SUCCEEDED
        truth = sandbox.truth(wf)
        assert len(truth) == 10002
        assert set(truth.values()) == {NodePhase.SUCCEEDED}


def test_the_player_forgets_finished_executions(sb: Sandbox) -> None:
    player = sb.driver
    assert isinstance(player, Player)
    wf = sb.launch("single-task")
    sb.advance(1)
    assert player.active_executions() == [(wf.project, wf.domain, wf.name)]
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    assert player.finished_event(wf).is_set()
    assert player.active_executions() == []
    assert not player._runs  # no interpreter state kept for a finished execution


def test_unknown_parameters_and_scenarios_are_clear_errors(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="valid parameters: size"):
        sb.launch("wide", depth=3)
    with pytest.raises(ValueError, match="valid scenarios: demo"):
        sb.launch("nope")
    with pytest.raises(ValueError, match="between 1 and"):
        sb.launch("deep", depth=0)


def test_scenarios_are_registered_as_compiled_workflows_launch_plans_and_tasks(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("demo")
    ex = api.execution(wf)
    lp = api.admin.GetLaunchPlan(common_pb2.ObjectGetRequest(id=ex.spec.launch_plan), timeout=10)
    assert "source" in lp.closure.expected_inputs.parameters
    workflow = api.admin.GetWorkflow(common_pb2.ObjectGetRequest(id=lp.spec.workflow_id), timeout=10)
    template = workflow.closure.compiled_workflow.primary.template
    assert [n.id for n in template.nodes] == ["n0", "n1", "n2", "n3", "n4", "n5"]
    assert set(template.interface.outputs.variables) == {"model", "metrics", "endpoint"}
    assert template.nodes[4].gate_node.approve.signal_id == "approve-deploy"
    assert template.nodes[1].HasField("array_node")
    assert list(template.nodes[2].upstream_node_ids) == ["n1"]
    connections = workflow.closure.compiled_workflow.primary.connections
    assert list(connections.downstream["start-node"].ids) == ["n0"]
    train_id = template.nodes[2].task_node.reference_id
    train = api.admin.GetTask(common_pb2.ObjectGetRequest(id=train_id), timeout=10)
    iface = train.closure.compiled_task.template.interface
    assert set(iface.inputs.variables) == {"learning_rate", "epochs"}
    assert iface.outputs.variables["model"].type.HasField("blob")
    assert train.closure.compiled_task.template.metadata.retries.retries == 1
    wide = sb.launch("wide", size=5)
    wide_lp = api.execution(wide).spec.launch_plan
    assert wide_lp.version == "v1-size-5"
    lp = api.admin.GetLaunchPlan(common_pb2.ObjectGetRequest(id=wide_lp), timeout=10)
    assert lp.closure.expected_inputs.parameters["size"].default.scalar.primitive.integer == 5
    workflow = api.admin.GetWorkflow(common_pb2.ObjectGetRequest(id=lp.spec.workflow_id), timeout=10)
    assert len(workflow.closure.compiled_workflow.primary.template.nodes) == 5


@pytest.mark.parametrize(
    ("parts", "max_length", "bits", "expected"),
    [
        # flyteplugins' encoder tests (go/tasks/pluginmachinery/encoding/encoder_test.go; once pkg/utils)
        (["x", "y", "z"], 10, 32, "x-y-z"),
        (["x", "y"], 1, 32, "fz2jizji"),
        (["x"], 2, 32, "x"),
        (["x", "y", "z"], 4, 32, "fxzsoqrq"),
        (["x", "y", "z", "m", "n"], 8, 32, "fsigbmty"),
        (["xxxxxxxxxxx"], 10, 32, "fggddjly"),
        (["", "", "n0"], 20, 32, "n0"),
        (["x", "y", "z", "m", "n", "y", "z", "m", "n", "y", "z", "m", "n"], 15, 32, "fe63sz6y"),
        (["x", "y", "z", "m", "n", "y", "z", "m", "n", "y", "z", "m", "n"], 15, 64, "fwp4bky2kucex5"),
    ],
)
def test_unique_ids_match_propellers_encoder(parts: list[str], max_length: int, bits: int, expected: str) -> None:
    assert fixed_length_unique_id_for_parts(max_length, parts, bits=bits) == expected


def test_a_launch_plan_child_execution_is_named_with_the_64_bit_hash() -> None:
    """Propeller stamps every new workflow with definition version 1, and for those names a launch plan's child
    execution with ``GetChildWorkflowExecutionIDV2`` (fnv64a: "f" + 13 characters); node ids keep fnv32a."""
    # the input of propeller's subworkflow/util_test.go, whose V1 (32-bit) name is "fav2uxxi"
    assert fixed_length_unique_id_for_parts(20, ["first-name-is-pretty-large", "hello-world", "1"]) == "fav2uxxi"
    name = child_execution_name("first-name-is-pretty-large", "hello-world", 1)
    joined = b"first-name-is-pretty-large-hello-world-1"
    h = 0xCBF29CE484222325  # FNV-1a 64, as Go's hash/fnv computes it
    for byte in joined:
        h = ((h ^ byte) * 0x100000001B3) % 2**64
    alphabet = "abcdefghijklmnopqrstuvwxyz123456"  # encoding.Base32Encoder, no padding: 64 bits -> 13 characters
    bits = h << 1  # 65 bits: 13 groups of 5, the last padded with one zero bit
    expected = "f" + "".join(alphabet[(bits >> (5 * (12 - i))) & 31] for i in range(13))
    assert name == expected == "fn1unxl53avgd1"
    assert child_execution_name("short", "n0", 0) == "short-n0-0"  # 20 characters or fewer: not hashed
    assert len(unique_node_id("first-name-is-pretty-large", 0, "n1")) == 8  # node ids stay 32-bit


def test_the_hash_threshold_counts_bytes_as_go_len_does() -> None:
    """Go's ``len(string)`` is the UTF-8 byte count: 11 characters of 2 bytes each (22 bytes) are past 20."""
    accented = "\u00e9" * 11
    assert (len(accented), len(accented.encode())) == (11, 22)
    hashed = fixed_length_unique_id(accented, 20)
    assert hashed != accented
    assert (hashed[0], len(hashed)) == ("f", 8)
    assert fixed_length_unique_id("\u00e9" * 10, 20) == "\u00e9" * 10  # 20 bytes: kept


def test_child_ids_follow_parent_attempt_lineage() -> None:
    assert unique_node_id(None, 0, "n0") == "n0"
    assert unique_node_id("n0", 0, "dn1") == "n0-0-dn1"
    assert unique_node_id("n3", 2, "n0") == "n3-2-n0"
    long_id = unique_node_id("n1-0-n1-0-n1-0-n1", 0, "n1")  # 22 characters -> hashed
    assert long_id.startswith("f")
    assert len(long_id) == 8


def test_an_execution_without_a_script_fails_instead_of_hanging(sb: Sandbox, api: Admin) -> None:
    lp = next(
        e
        for e in get_scenario("single-task").entities("flytesnacks", "development")
        if e.id.resource_type == identifier_pb2.LAUNCH_PLAN
    )
    lp.id.name = "someone.else.wf"
    sb.store.put_launch_plan(lp)
    req = execution_pb2.ExecutionCreateRequest(
        project="flytesnacks",
        domain="development",
        name="noscript1",
        spec=execution_pb2.ExecutionSpec(launch_plan=lp.id),
    )
    wf = api.admin.CreateExecution(req, timeout=10).id
    assert sb.run_until_done(wf) == WorkflowPhase.FAILED
    assert api.execution(wf).closure.error.code == "NoScript"


def test_terminating_an_execution_left_from_a_previous_run_aborts_it(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")
    with Sandbox(clock="stepped", state_path=state) as first:
        wf = first.launch("aborted")
        first.advance(5)
        assert first.phase(wf) == WorkflowPhase.RUNNING
    with Sandbox(clock="stepped", state_path=state) as second:
        api = Admin(second.endpoint)
        try:
            api.admin.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=wf, cause="cleanup"), timeout=10)
            assert second.run_until_done(wf) == WorkflowPhase.ABORTED
        finally:
            api.channel.close()


@pytest.mark.timeout(120)
def test_real_clock_with_speed_plays_to_the_end() -> None:
    """The demo's setup: wall-clock timestamps, delays divided by ``speed``, events from the clock's thread."""
    with Sandbox(clock="real", speed=100.0) as real:
        player = real.driver
        assert player is not None
        deep = real.launch("deep", depth=3)
        failing = real.launch("failure")
        assert player.finished_event(deep).wait(60), "deep never finished"  # type: ignore[attr-defined]
        assert player.finished_event(failing).wait(60), "failure never finished"  # type: ignore[attr-defined]
        api = Admin(real.endpoint)
        try:
            ok = api.execution(deep)
            assert WorkflowPhase(ok.closure.phase) == WorkflowPhase.SUCCEEDED
            # ~20 s of script at speed 100: well under the script's own length in wall time
            assert ok.closure.duration.ToTimedelta().total_seconds() < 20
            # wall-clock timestamps (not the stepped clock's fixed epoch)
            started = ok.closure.started_at.ToDatetime(tzinfo=timezone.utc)
            assert abs((datetime.now(timezone.utc) - started).total_seconds()) < 120
            assert WorkflowPhase(api.execution(failing).closure.phase) == WorkflowPhase.FAILED
        finally:
            api.channel.close()


def test_every_task_execution_names_a_registered_task(sb: Sandbox, api: Admin) -> None:
    wf = sb.launch("all-kinds")
    sb.advance(600)  # everything but the two signal gates has finished by then
    tree = api.tree(wf)
    seen = set()
    for node_id in tree:
        for attempt in api.tasks(wf, node_id):
            task_id = attempt.id.task_id
            if (task_id.name, task_id.version) in seen:
                continue
            seen.add((task_id.name, task_id.version))
            task = api.admin.GetTask(common_pb2.ObjectGetRequest(id=task_id), timeout=10)
            assert task.closure.compiled_task.template.id.name == task_id.name
    assert len(seen) >= 8


def test_a_dynamic_node_retried_after_its_workflow_timed_out_keeps_both_attempts_children(
    sb: Sandbox, api: Admin
) -> None:
    """propeller: a timed-out generated workflow is a retryable failure; the retry sends no node event (the node
    stays DYNAMIC_RUNNING, and the next attempt's DYNAMIC_RUNNING is refused as already recorded), the task runs
    again as attempt 1, and the new workflow's nodes are n1-1-<id>, listed under the same parent."""
    wf = sb.launch("dynamic-retry")
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    children = {n.id.node_id: n for n in api.nodes(wf, "n1")}
    assert {k: (n.metadata.retry_group, n.metadata.spec_node_id) for k, n in children.items()} == {
        "n1-0-start-node": ("0", "start-node"),
        "n1-0-dn0": ("0", "dn0"),
        "n1-0-dn1": ("0", "dn1"),
        "n1-1-start-node": ("1", "start-node"),
        "n1-1-dn0": ("1", "dn0"),
        "n1-1-dn1": ("1", "dn1"),
        "n1-1-dn2": ("1", "dn2"),
        "n1-1-end-node": ("1", "end-node"),
    }
    assert NodePhase(children["n1-0-dn1"].closure.phase) == NodePhase.TIMED_OUT
    assert [(t.id.retry_attempt, TaskPhase(t.closure.phase)) for t in api.tasks(wf, "n1")] == [
        (0, TaskPhase.SUCCEEDED),
        (1, TaskPhase.SUCCEEDED),
    ]
    parent = api.node(wf, "n1")
    assert (parent.metadata.is_parent_node, parent.metadata.is_dynamic) == (True, True)
    assert NodePhase(parent.closure.phase) == NodePhase.SUCCEEDED


def test_array_subtasks_as_node_executions_event_version_1(sb: Sandbox, api: Admin) -> None:
    """ArrayNode.EventVersion 1: the array node is a parent with no task execution of its own; each subtask is a
    node ``GenerateUniqueID(array, attempt, n<i>)`` (hashed past 20 characters) with spec node id and name n<i>,
    retry_group = the array's attempt, and a task execution per retry of the subtask."""
    wf = sb.launch("array-node-v1")
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    array = api.node(wf, "score_all_batches")
    assert (array.metadata.is_array, array.metadata.is_parent_node) == (True, True)
    assert api.tasks(wf, "score_all_batches") == []
    subtasks = {n.metadata.spec_node_id: n for n in api.nodes(wf, "score_all_batches")}
    assert set(subtasks) == {f"n{i}" for i in range(12)}
    for i, node in subtasks.items():
        assert node.id.node_id == unique_node_id("score_all_batches", 0, i)
        assert node.id.node_id.startswith("f")  # "score_all_batches-0-n<i>" is over 20 characters
        assert node.metadata.retry_group == "0"
    retried = [(t.id.retry_attempt, TaskPhase(t.closure.phase)) for t in api.tasks(wf, subtasks["n3"].id.node_id)]
    assert retried == [(0, TaskPhase.FAILED), (1, TaskPhase.SUCCEEDED)]
    assert NodePhase(subtasks["n3"].closure.phase) == NodePhase.SUCCEEDED


def test_a_dynamic_node_of_an_event_version_1_workflow_is_a_parent_only_through_its_children(
    sb: Sandbox, api: Admin
) -> None:
    """Below event version 2 propeller reports DYNAMIC_RUNNING as RUNNING, refused as already recorded: while it
    runs, List derives is_parent_node from the children; its final event sets is_dynamic alone, which ends the
    derivation (flyteadmin transformers/node_execution.go), and no dynamic workflow was ever stored."""
    wf = sb.launch("late-parent")
    sb.advance(25)  # the dynamic task finished at ~21.5 s; its children run
    (listed,) = [n for n in api.nodes(wf) if n.id.node_id == "n0"]
    assert (listed.metadata.is_parent_node, listed.metadata.is_dynamic) == (True, False)
    assert NodePhase(listed.closure.phase) == NodePhase.RUNNING
    assert {n.id.node_id for n in api.nodes(wf, "n0")} >= {"n0-0-dn0", "n0-0-dn1", "n0-0-dn2"}
    # flytekit's @dynamic registers task type "dynamic-task"; propeller reports the template's type in task events
    (attempt,) = api.tasks(wf, "n0")
    assert attempt.closure.task_type == "dynamic-task"
    assert sb.run_until_done(wf) == WorkflowPhase.SUCCEEDED
    (listed,) = [n for n in api.nodes(wf) if n.id.node_id == "n0"]
    assert (listed.metadata.is_parent_node, listed.metadata.is_dynamic) == (False, True)
    assert not api.node_data(wf, "n0").HasField("dynamic_workflow")
