"""live/taskdetails.py: the task payload built from a TaskTemplate, the GetTask cache, which task a node runs, a
cache hit's source; and the console URLs of admin/refs.py checked against FlyteConsole's route patterns."""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2, task_pb2, workflow_pb2
from flyteidl.core import catalog_pb2, compiler_pb2, identifier_pb2, literals_pb2, tasks_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from google.protobuf import duration_pb2, struct_pb2

from flyteexec_widget.admin.refs import entity_url, entity_versions_url, execution_url
from flyteexec_widget.live import taskdetails as td

R = tasks_pb2.Resources


def _tid(name: str = "wf.train", version: str = "v1") -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project="p", domain="d", name=name, version=version
    )


def admin_task(template: tasks_pb2.TaskTemplate, **kw: Any) -> task_pb2.Task:
    t = task_pb2.Task(
        id=template.id, closure=task_pb2.TaskClosure(compiled_task=compiler_pb2.CompiledTask(template=template))
    )
    t.closure.created_at.FromSeconds(1_700_000_000)
    for k, v in kw.items():
        setattr(t, k, v)
    return t


def container_template(**meta: Any) -> tasks_pb2.TaskTemplate:
    return tasks_pb2.TaskTemplate(
        id=_tid(),
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(
            runtime=tasks_pb2.RuntimeMetadata(
                type=tasks_pb2.RuntimeMetadata.FLYTE_SDK, version="1.16.0", flavor="python"
            ),
            **meta,
        ),
        container=tasks_pb2.Container(
            image="ghcr.io/x/train:1",
            command=["pyflyte-execute"],
            args=["--task-name", "train"],
            resources=R(
                requests=[R.ResourceEntry(name=R.CPU, value="2"), R.ResourceEntry(name=R.MEMORY, value="4Gi")],
                limits=[
                    R.ResourceEntry(name=R.GPU, value="1"),
                    R.ResourceEntry(name=R.EPHEMERAL_STORAGE, value="10Gi"),
                    R.ResourceEntry(name=99, value="3"),  # a resource a newer Flyte knows
                ],
            ),
            env=[literals_pb2.KeyValuePair(key="TOKEN", value="s3cr3t"), literals_pb2.KeyValuePair(key="A", value="")],
        ),
    )


def test_a_container_tasks_payload_says_what_it_declares() -> None:
    timeout = duration_pb2.Duration(seconds=90)
    tmpl = container_template(
        retries=literals_pb2.RetryStrategy(retries=3),
        timeout=timeout,
        discoverable=True,
        discovery_version="1.2",
        cache_serializable=True,
        cache_ignore_input_vars=["seed"],
        pod_template_name="gpu-pool",
    )
    tmpl.metadata.interruptible = False
    tmpl.extended_resources.gpu_accelerator.device = "nvidia-tesla-a100"
    tmpl.extended_resources.gpu_accelerator.partition_size = "1g.5gb"
    p = td.task_payload(admin_task(tmpl, short_description="trains"))
    assert p["id"] == {"project": "p", "domain": "d", "name": "wf.train", "version": "v1"}
    assert (p["type"], p["target"], p["runtime"]) == ("python-task", "container", "flytekit 1.16.0 (python)")
    assert p["image"] == "ghcr.io/x/train:1"
    assert p["command"] == ["pyflyte-execute", "--task-name", "train"]
    assert p["resources"] == {
        "requests": {"cpu": "2", "memory": "4Gi"},
        "limits": {"gpu": "1", "ephemeral_storage": "10Gi", "unknown (99)": "3"},
    }
    assert p["accelerator"] == "nvidia-tesla-a100 (1g.5gb)"
    assert (p["retries"], p["timeout_s"], p["interruptible"]) == (3, 90.0, False)
    assert p["cache"] == {"enabled": True, "serializable": True, "version": "1.2", "ignored_inputs": ["seed"]}
    assert p["env"] == [{"key": "TOKEN", "value": "s3cr3t"}, {"key": "A", "value": ""}]  # as sent
    assert (p["pod_template"], p["description"], p["registered_at"]) == (
        "gpu-pool",
        "trains",
        "2023-11-14T22:13:20.000Z",
    )
    assert p["cut"] == []


def test_unset_settings_read_as_unset_not_as_false() -> None:
    p = td.task_payload(admin_task(container_template()))
    assert p["interruptible"] is None  # not set on the task: the workflow's default applies
    assert p["timeout_s"] is None
    assert p["cache"] == {"enabled": False, "serializable": False, "version": "", "ignored_inputs": []}
    assert p["accelerator"] == ""


def test_a_pod_tasks_primary_container_gives_image_resources_and_env() -> None:
    spec = struct_pb2.Struct()
    spec.update(
        {
            "containers": [
                {"name": "sidecar", "image": "envoy:1"},
                {
                    "name": "main",
                    "image": "ghcr.io/x/pod:2",
                    "args": ["run"],
                    "resources": {"requests": {"cpu": "1", "nvidia.com/gpu": "1"}, "limits": {"memory": "8Gi"}},
                    "env": [{"name": "MODE", "value": "pod"}],
                },
            ]
        }
    )
    tmpl = tasks_pb2.TaskTemplate(id=_tid(), type="sidecar", k8s_pod=tasks_pb2.K8sPod(pod_spec=spec))
    tmpl.config["primary_container_name"] = "main"
    p = td.task_payload(admin_task(tmpl))
    assert (p["target"], p["image"], p["command"]) == ("k8s_pod", "ghcr.io/x/pod:2", ["run"])
    assert p["resources"] == {"requests": {"cpu": "1", "gpu": "1"}, "limits": {"memory": "8Gi"}}
    assert p["env"] == [{"key": "MODE", "value": "pod"}]


def test_huge_server_text_is_cut_and_said_so() -> None:
    tmpl = container_template()
    tmpl.container.image = "i" * 100_000
    del tmpl.container.env[:]
    tmpl.container.env.extend(literals_pb2.KeyValuePair(key=f"K{i}", value="v") for i in range(td.MAX_ENV + 7))
    tmpl.container.env[0].value = "x" * 50_000
    p = td.task_payload(admin_task(tmpl))
    assert len(p["image"]) == td.MAX_TEXT
    assert p["image"].endswith("…")
    assert len(p["env"]) == td.MAX_ENV
    assert p["env_omitted"] == 7
    assert len(p["env"][0]["value"]) == td.MAX_TEXT
    assert p["cut"] == ["image", "env"]


def test_the_cache_fetches_each_task_once_even_when_asked_at_the_same_time() -> None:
    calls: list[str] = []
    gate = threading.Event()

    def fetch(ident: identifier_pb2.Identifier) -> task_pb2.Task:
        calls.append(ident.name)
        gate.wait(5)
        return admin_task(container_template())

    cache = td.TaskCache()
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(_tid(), fetch))) for _ in range(5)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert calls == ["wf.train"]
    assert len(got) == 5
    assert all(g is got[0] for g in got)
    cache.get(_tid(version="v2"), fetch)
    assert calls == ["wf.train", "wf.train"]  # another version is another task


def test_a_failed_fetch_is_not_kept() -> None:
    cache = td.TaskCache()
    attempts: list[int] = []

    def flaky(ident: identifier_pb2.Identifier) -> task_pb2.Task:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("UNAVAILABLE")
        return admin_task(container_template())

    with pytest.raises(RuntimeError):
        cache.get(_tid(), flaky)
    assert cache.get(_tid(), flaky)["id"]["name"] == "wf.train"
    assert len(attempts) == 2


def test_the_cache_is_per_remote() -> None:
    class R1:
        pass

    a, b = R1(), R1()
    assert td.task_cache(a) is td.task_cache(a)
    assert td.task_cache(a) is not td.task_cache(b)


def _workflow() -> workflow_pb2.Workflow:
    def task_node(node_id: str, name: str) -> core_workflow_pb2.Node:
        return core_workflow_pb2.Node(id=node_id, task_node=core_workflow_pb2.TaskNode(reference_id=_tid(name)))

    sub_id = identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW, project="p", domain="d", name="sub", version="v1"
    )
    sub = core_workflow_pb2.WorkflowTemplate(id=sub_id, nodes=[task_node("n0", "wf.prepare")])
    branch = core_workflow_pb2.Node(id="n2")
    branch.branch_node.if_else.case.then_node.CopyFrom(task_node("n0", "wf.left"))
    array = core_workflow_pb2.Node(id="n3")
    array.array_node.node.CopyFrom(task_node("n3", "wf.map"))
    primary = core_workflow_pb2.WorkflowTemplate(
        nodes=[
            task_node("n0", "wf.train"),
            core_workflow_pb2.Node(id="n1", workflow_node=core_workflow_pb2.WorkflowNode(sub_workflow_ref=sub_id)),
            branch,
            array,
        ]
    )
    wf = workflow_pb2.Workflow()
    wf.closure.compiled_workflow.primary.template.CopyFrom(primary)
    wf.closure.compiled_workflow.sub_workflows.add().template.CopyFrom(sub)
    return wf


@pytest.mark.parametrize(
    ("path", "task"),
    [
        (["n0"], "wf.train"),
        (["n1", "n0"], "wf.prepare"),  # through a subworkflow
        (["n2", "n0"], "wf.left"),  # through a branch
        (["n3"], "wf.map"),
        (["n3", "n7"], "wf.map"),  # an array's subtask runs the array's task
        (["n1"], None),  # a subworkflow runs no task itself
        (["n9"], None),
        (["n0", "n1"], None),
    ],
)
def test_which_task_the_compiled_workflow_runs_at_a_path(path: list[str], task: str | None) -> None:
    got = td.template_task_id(_workflow(), path)
    assert (got.name if got is not None else None) == task


def _hit(status: int, name: str = "src-exec", with_source: bool = True) -> node_execution_pb2.NodeExecution:
    n = node_execution_pb2.NodeExecution()
    meta = n.closure.task_node_metadata
    meta.cache_status = status
    meta.catalog_key.dataset_id.name = "flyte_task-wf.train"
    if with_source:
        src = meta.catalog_key.source_task_execution
        src.task_id.CopyFrom(_tid())
        src.node_execution_id.node_id = "n4"
        src.node_execution_id.execution_id.project = "p"
        src.node_execution_id.execution_id.domain = "d"
        src.node_execution_id.execution_id.name = name
        src.retry_attempt = 1
    return n


def _url(ex: identifier_pb2.WorkflowExecutionIdentifier) -> str:
    return execution_url("https://flyte.example.com", ex.project, ex.domain, ex.name)


def test_a_cache_hit_names_its_source_execution_with_its_console_page() -> None:
    assert td.cache_source(_hit(catalog_pb2.CACHE_HIT), _url) == {
        "project": "p",
        "domain": "d",
        "name": "src-exec",
        "node_id": "n4",
        "attempt": 1,
        "task_version": "v1",
        "known": True,
        "url": "https://flyte.example.com/console/projects/p/domains/d/executions/src-exec",
    }


def test_no_source_for_what_is_not_a_hit_or_names_none() -> None:
    assert td.cache_source(_hit(catalog_pb2.CACHE_POPULATED), _url) is None  # an overwrite names itself
    assert td.cache_source(_hit(catalog_pb2.CACHE_HIT, with_source=False), _url) is None
    assert td.cache_source(node_execution_pb2.NodeExecution(), _url) is None
    unknown = td.cache_source(_hit(catalog_pb2.CACHE_HIT, name="unknown"), _url)
    assert unknown is not None
    assert (unknown["known"], unknown["url"]) == (False, None)  # propeller's default: no page to link


def test_a_source_link_that_is_not_http_is_dropped() -> None:
    src = td.cache_source(_hit(catalog_pb2.CACHE_HIT), lambda ex: "javascript:alert(1)")
    assert src is not None
    assert src["url"] is None


# ---- console URLs, checked against FlyteConsole's route patterns -------------------------------------------------
# flyteconsole packages/oss-console/src/routes/routes.ts (projectDomainBasePath from constants.ts), under the
# '/console' prefix of makeOrgAwarePath's legacyConsoleRouteSection.
ROUTES = {
    "TaskVersionDetails": "/console/projects/:projectId/domains/:domainId/task/:entityName/version/:entityVersion",
    "WorkflowVersionDetails": (
        "/console/projects/:projectId/domains/:domainId/workflow/:entityName/version/:entityVersion"
    ),
    "LaunchPlanVersionDetails": (
        "/console/projects/:projectId/domains/:domainId/launch_plan/:entityName/version/:entityVersion"
    ),
    "TaskDetails": "/console/projects/:projectId/domains/:domainId/tasks/:taskName",
    "WorkflowDetails": "/console/projects/:projectId/domains/:domainId/(workflows|workflow)/:workflowName",
    "LaunchPlanDetails": "/console/projects/:projectId/domains/:domainId/launchPlans/:launchPlanName",
    "ExecutionDetails": "/console/projects/:projectId/domains/:domainId/executions/:executionId",
}


def _match(route: str, url: str) -> dict[str, str] | None:
    """path-to-regexp's reading of ``route`` (``:name`` = one segment, ``(a|b)`` = a group) applied to ``url``'s
    path; the parameters decoded as react-router hands them to the page."""
    rx = re.sub(r"(?<=/):(\w+)", r"(?P<\1>[^/]+)", route).replace("/(workflows|workflow)/", "/(?:workflows|workflow)/")
    m = re.fullmatch(rx, urlsplit(url).path)
    return {k: unquote(v) for k, v in m.groupdict().items()} if m else None


@pytest.mark.parametrize(
    ("kind", "route"),
    [
        ("task", "TaskVersionDetails"),
        ("workflow", "WorkflowVersionDetails"),
        ("launch_plan", "LaunchPlanVersionDetails"),
    ],
)
@pytest.mark.parametrize("version", ["v1", "2026.12.05-abc_1", "sha256:ab/cd+e f", "a(b)!*'~"])
def test_entity_pages_match_the_consoles_routes(kind: str, route: str, version: str) -> None:
    url = entity_url("https://flyte.example.com/", kind, "flytesnacks", "development", "wf.train", version)
    assert _match(ROUTES[route], url) == {
        "projectId": "flytesnacks",
        "domainId": "development",
        "entityName": "wf.train",
        "entityVersion": version,
    }


def test_versions_are_encoded_as_encodeuricomponent_does() -> None:
    # encodeURIComponent("a(b)!*'~ /:") == "a(b)!*'~%20%2F%3A" (FlyteConsole's makeUrl)
    url = entity_url("https://h", "task", "p", "d", "t", "a(b)!*'~ /:")
    assert url.endswith("/version/a(b)!*'~%20%2F%3A")


@pytest.mark.parametrize(
    ("kind", "route", "param"),
    [
        ("task", "TaskDetails", "taskName"),
        ("workflow", "WorkflowDetails", "workflowName"),
        ("launch_plan", "LaunchPlanDetails", "launchPlanName"),
    ],
)
def test_all_versions_pages_match_the_consoles_routes(kind: str, route: str, param: str) -> None:
    url = entity_versions_url("https://flyte.example.com", kind, "flytesnacks", "development", "wf.train")
    assert _match(ROUTES[route], url) == {"projectId": "flytesnacks", "domainId": "development", param: "wf.train"}


def test_the_cache_sources_page_is_the_consoles_execution_route() -> None:
    ex = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="abc123")
    assert _match(ROUTES["ExecutionDetails"], _url(ex)) == {"projectId": "p", "domainId": "d", "executionId": "abc123"}


class _Attempt:
    def __init__(self, task_id: identifier_pb2.Identifier) -> None:
        self._t = task_execution_pb2.TaskExecution()
        self._t.id.task_id.CopyFrom(task_id)

    def to_flyte_idl(self) -> Any:
        return self._t


class _Node:
    def __init__(self, node_id: str, attempts: list[_Attempt]) -> None:
        self.task_executions = attempts
        self.workflow_executions: list[Any] = []
        self._p = node_execution_pb2.NodeExecution()
        self._p.id.node_id = node_id

    def to_flyte_idl(self) -> node_execution_pb2.NodeExecution:
        return self._p


class _Execution:
    _flyte_workflow = None

    def to_flyte_idl(self) -> Any:
        return execution_pb2.Execution()


class _Remote:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls = 0

    def get_task(self, ident: identifier_pb2.Identifier) -> Any:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def generate_console_url(self, ident: Any) -> str:
        return f"https://flyte.example.com/{ident.name}"

    def console_base(self) -> str:
        return "https://flyte.example.com"


def test_env_values_reach_the_answer_but_never_the_log(caplog: pytest.LogCaptureFixture) -> None:
    rows = {"n0": {"key": "n0", "parent": "", "kind": "task"}}
    node = _Node("n0", [_Attempt(_tid())])
    ok = _Remote(admin_task(container_template()))
    with caplog.at_level("DEBUG"):
        answer = td.task_answer(rows, lambda k: node, _Execution(), ok, "n0")
        assert {"key": "TOKEN", "value": "s3cr3t"} in answer["task"]["env"]
        failing = _Remote(RuntimeError("GetTask p:d:wf.train@v1: UNAVAILABLE"))
        bad = td.task_answer(rows, lambda k: node, _Execution(), failing, "n0")
    assert bad["task"] is None
    assert bad["error"]["message"] == "GetTask p:d:wf.train@v1: UNAVAILABLE"
    assert bad["links"]["task"] == "https://flyte.example.com/wf.train"
    assert "s3cr3t" not in caplog.text
    assert "GetTask" in caplog.text  # the failure itself is logged


def test_a_subtask_row_answers_for_its_array_node() -> None:
    rows = {
        "n9": {"key": "n9", "parent": "", "kind": "array"},
        "n9[3]": {"key": "n9[3]", "parent": "n9", "kind": "subtask"},
    }
    asked: list[str] = []
    node = _Node("n9", [_Attempt(_tid("wf.score"))])

    def node_of(key: str) -> _Node:
        asked.append(key)
        return node

    answer = td.task_answer(rows, node_of, _Execution(), _Remote(admin_task(container_template())), "n9[3]")
    assert answer["task"] is not None
    assert set(asked) == {"n9"}


def _task_node(**meta: Any) -> core_workflow_pb2.Node:
    node = core_workflow_pb2.Node(id="n0", task_node=core_workflow_pb2.TaskNode(reference_id=_tid()))
    node.metadata.retries.retries = meta.pop("retries", 0)
    for k, v in meta.items():
        setattr(node.metadata, k, v)
    return node


def test_node_overrides_are_what_the_node_sets_beyond_its_task() -> None:
    task = td.task_payload(admin_task(container_template(retries=literals_pb2.RetryStrategy(retries=2))))
    # flytekit copies the task's retries onto the node: nothing to say
    assert td.node_overrides(_task_node(retries=2), task) == {}
    node = _task_node(retries=5, interruptible=True, cache_version="2")
    node.metadata.timeout.FromSeconds(600)
    node.task_node.overrides.container_image = "ghcr.io/x/train:2"
    node.task_node.overrides.resources.limits.add(name=R.MEMORY, value="16Gi")
    assert td.node_overrides(node, task) == {
        "retries": 5,
        "timeout_s": 600.0,
        "interruptible": True,
        "cache_version": "2",
        "image": "ghcr.io/x/train:2",
        "resources": {"requests": {}, "limits": {"memory": "16Gi"}},
    }
    # without the task (GetTask failed) everything the node sets is shown
    assert td.node_overrides(_task_node(retries=2), None) == {"retries": 2}


def test_an_array_nodes_overrides_are_on_its_inner_task_node() -> None:
    array = core_workflow_pb2.Node(id="n3")
    array.array_node.node.CopyFrom(_task_node())
    array.array_node.node.task_node.overrides.resources.requests.add(name=R.CPU, value="250m")
    assert td.node_overrides(array, None)["resources"] == {"requests": {"cpu": "250m"}, "limits": {}}


def test_the_cache_keeps_a_bounded_number_of_tasks_the_least_recently_asked_dropped_first() -> None:
    calls: list[str] = []

    def fetch(ident: identifier_pb2.Identifier) -> task_pb2.Task:
        calls.append(ident.version)
        return admin_task(container_template())

    cache = td.TaskCache(limit=3)
    for v in ("v1", "v2", "v3"):
        cache.get(_tid(version=v), fetch)
    cache.get(_tid(version="v1"), fetch)  # asked again: the most recent now
    cache.get(_tid(version="v4"), fetch)  # one too many: v2, the least recently asked, goes
    assert calls == ["v1", "v2", "v3", "v4"]
    cache.get(_tid(version="v1"), fetch)
    cache.get(_tid(version="v4"), fetch)
    assert calls == ["v1", "v2", "v3", "v4"]  # kept: no second GetTask
    cache.get(_tid(version="v2"), fetch)
    assert calls[-1] == "v2"  # dropped, so fetched again
    assert len(cache._done) == 3
    assert td.TaskCache()._limit == td.MAX_CACHED_TASKS
