"""Task details (FlyteConsole's "Task" tab) and a cache hit's source, as the plain JSON the row's detail shows.

- :func:`task_payload`: what a registered task declares (``GetTask`` -> admin ``Task``, whose
  ``closure.compiled_task.template`` is the ``TaskTemplate`` as registered: flyteadmin's ``TaskManager.GetTask``
  returns ``transformers.FromTaskModel``, i.e. ``{id, closure{compiled_task, created_at}, short_description}``).
  Server text is kept as sent (the view shows it through ``textContent``) but bounded: environment values, image
  names and arguments are cut to a size a row's detail can hold.
- :class:`TaskCache`: one ``GetTask`` per task id and remote (a registered version never changes), shared by every
  widget over that remote; concurrent askers of the same id wait for the one call.
- :func:`node_task_id`: which task a node runs: its latest attempt's ``task_id``, else the compiled workflow's
  task node (a cache hit has no attempt at all).
- :func:`cache_source`: a cache hit's ``task_node_metadata.catalog_key.source_task_execution`` (propeller reads it
  back from DataCatalog's artifact metadata: ``nodes/catalog/datacatalog/transformer.go GetSourceFromMetadata``;
  FlyteAdmin keeps the event's catalog key in the node's closure: ``repositories/transformers/node_execution.go``).

Environment variables may hold secrets: they are in the task template for anyone who may read the task, so they
are shown as the server sent them, but never logged, and never put into widget state or the saved snapshot (they
travel only in the answer to the view's request).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

from flyteidl.admin import workflow_pb2
from flyteidl.core import catalog_pb2, identifier_pb2, tasks_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from google.protobuf import json_format

from ..admin.refs import entity_versions_url, safe_url
from ..objects.phases import unknown_name
from ..objects.protoview import InvalidTimeError, to_datetime, to_timedelta
from .compiled import branch_nodes, id_key, template_nodes

__all__ = [
    "MAX_ENV",
    "MAX_TEXT",
    "CacheSource",
    "TaskCache",
    "TaskPayload",
    "cache_source",
    "node_overrides",
    "node_task_id",
    "task_answer",
    "task_cache",
    "task_key",
    "task_payload",
    "template_node",
    "template_task_id",
]

log = logging.getLogger(__name__)

#: Environment variables one payload lists (``env_omitted`` counts the rest).
MAX_ENV = 500
#: Characters of one value (an env value, the image, an argument) a payload carries (``cut`` lists what was cut).
MAX_TEXT = 4096
#: Command and argument entries a payload lists.
MAX_ARGS = 200
#: Task payloads one remote's cache keeps (least recently asked dropped first, fetched again when asked): a kernel
#: that lives for days over many tasks and versions must not keep every one (a payload may hold MAX_ENV values).
MAX_CACHED_TASKS = 256

#: flyteidl ``Resources.ResourceName`` -> the payload's key.
_RESOURCE_NAMES = {
    tasks_pb2.Resources.CPU: "cpu",
    tasks_pb2.Resources.GPU: "gpu",
    tasks_pb2.Resources.MEMORY: "memory",
    tasks_pb2.Resources.STORAGE: "storage",
    tasks_pb2.Resources.EPHEMERAL_STORAGE: "ephemeral_storage",
}
# Kubernetes' resource names in a pod spec -> the payload's key.
_K8S_RESOURCE_NAMES = {
    "cpu": "cpu",
    "memory": "memory",
    "nvidia.com/gpu": "gpu",
    "ephemeral-storage": "ephemeral_storage",
}


class TaskId(TypedDict):
    project: str
    domain: str
    name: str
    version: str


class EnvVar(TypedDict):
    key: str
    value: str


class CacheSettings(TypedDict):
    enabled: bool  # TaskMetadata.discoverable
    serializable: bool  # cache_serializable: one execution computes a value, the others wait for it
    version: str  # discovery_version
    ignored_inputs: list[str]  # cache_ignore_input_vars


class TaskPayload(TypedDict):
    """A registered task, as the detail panel shows it."""

    id: TaskId
    type: str
    runtime: str  # "flytekit 1.16.0 (python)"; "" when unset
    target: str  # "container" | "k8s_pod" | "sql" | "" (a plugin task with no container)
    image: str
    command: list[str]
    resources: dict[str, dict[str, str]]  # {"requests": {"cpu": "2", ...}, "limits": {...}}
    accelerator: str  # extended_resources.gpu_accelerator.device ("" when none)
    retries: int
    timeout_s: float | None
    interruptible: bool | None  # None: not set on the task (the workflow's or launch's default applies)
    cache: CacheSettings
    env: list[EnvVar]
    env_omitted: int
    pod_template: str
    description: str
    registered_at: str | None
    cut: list[str]  # the fields some text of which was cut to MAX_TEXT


class CacheSource(TypedDict):
    """The task execution a cache hit's value came from."""

    project: str
    domain: str
    name: str  # the execution's name; "unknown" when the catalog's metadata names none (propeller's default)
    node_id: str
    attempt: int
    task_version: str
    known: bool  # the catalog named the execution
    url: str | None  # its console page (http(s) only); None when unknown


# --------------------------------------------------------------------------------------------------------------
# The payload
# --------------------------------------------------------------------------------------------------------------


class _Cutter:
    """Cuts server text to :data:`MAX_TEXT` and remembers which field it cut."""

    def __init__(self) -> None:
        self.cut: list[str] = []

    def __call__(self, field: str, text: Any) -> str:
        s = text if isinstance(text, str) else str(text)
        if len(s) <= MAX_TEXT:
            return s
        if field not in self.cut:
            self.cut.append(field)
        return s[: MAX_TEXT - 1] + "…"


def _iso(ts: Any) -> str | None:
    try:
        return to_datetime(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except InvalidTimeError:
        return None


def _resource_map(entries: Sequence[tasks_pb2.Resources.ResourceEntry], cut: _Cutter) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in entries:
        name = _RESOURCE_NAMES.get(e.name) or (unknown_name(e.name) if e.name else "unknown")
        out[name] = cut("resources", e.value)
    return out


def _primary_container(template: tasks_pb2.TaskTemplate) -> dict[str, Any] | None:
    """The primary container of a pod task's pod spec (``config["primary_container_name"]``, as flytekit's
    ``PodTemplate`` names it), else its first container."""
    spec = json_format.MessageToDict(template.k8s_pod.pod_spec)
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    if not containers:
        return None
    primary = template.config.get("primary_container_name", "")
    for c in containers:
        if primary and c.get("name") == primary:
            return c
    return containers[0]


def _pod_resources(container: Mapping[str, Any], cut: _Cutter) -> dict[str, dict[str, str]]:
    res = container.get("resources")
    out: dict[str, dict[str, str]] = {"requests": {}, "limits": {}}
    if not isinstance(res, dict):
        return out
    for which in ("requests", "limits"):
        values = res.get(which)
        if isinstance(values, dict):
            for k, v in values.items():
                out[which][_K8S_RESOURCE_NAMES.get(str(k), cut("resources", k))] = cut("resources", v)
    return out


def _env(pairs: Sequence[tuple[Any, Any]], cut: _Cutter) -> tuple[list[EnvVar], int]:
    shown = [{"key": cut("env", k), "value": cut("env", v)} for k, v in pairs[:MAX_ENV]]
    return shown, max(0, len(pairs) - MAX_ENV)  # type: ignore[return-value]


def _runtime(meta: tasks_pb2.TaskMetadata) -> str:
    if not meta.HasField("runtime"):
        return ""
    rt = meta.runtime
    kind = {tasks_pb2.RuntimeMetadata.FLYTE_SDK: "flytekit"}.get(rt.type, "")
    text = " ".join(p for p in (kind, rt.version) if p)
    return f"{text} ({rt.flavor})" if rt.flavor else text


def task_payload(task: Any) -> TaskPayload:
    """The detail panel's task payload from an admin ``Task`` (GetTask's answer)."""
    template: tasks_pb2.TaskTemplate = task.closure.compiled_task.template
    meta = template.metadata
    cut = _Cutter()
    ident = task.id if task.HasField("id") else template.id
    target = template.WhichOneof("target") or ""
    image, command = "", []
    resources: dict[str, dict[str, str]] = {"requests": {}, "limits": {}}
    env: list[EnvVar] = []
    env_omitted = 0
    if target == "container":
        c = template.container
        image = cut("image", c.image)
        command = [cut("command", a) for a in [*c.command, *c.args][:MAX_ARGS]]
        resources = {
            "requests": _resource_map(c.resources.requests, cut),
            "limits": _resource_map(c.resources.limits, cut),
        }
        env, env_omitted = _env([(kv.key, kv.value) for kv in c.env], cut)
    elif target == "k8s_pod":
        pc = _primary_container(template)
        if pc is not None:
            image = cut("image", pc.get("image", ""))
            args = [*(pc.get("command") or []), *(pc.get("args") or [])]
            command = [cut("command", a) for a in args[:MAX_ARGS]]
            resources = _pod_resources(pc, cut)
            env, env_omitted = _env(
                [(e.get("name", ""), e.get("value", "")) for e in pc.get("env") or [] if isinstance(e, dict)], cut
            )
    timeout_s: float | None = None
    if meta.HasField("timeout"):
        try:
            timeout_s = to_timedelta(meta.timeout).total_seconds()
        except InvalidTimeError:
            timeout_s = None
    accel = ""
    if template.HasField("extended_resources") and template.extended_resources.HasField("gpu_accelerator"):
        ga = template.extended_resources.gpu_accelerator
        partition = ga.partition_size if ga.WhichOneof("partition_size_value") == "partition_size" else ""
        accel = cut("accelerator", ga.device + (f" ({partition})" if partition else ""))
    return {
        "id": {"project": ident.project, "domain": ident.domain, "name": ident.name, "version": ident.version},
        "type": cut("type", template.type),
        "runtime": cut("runtime", _runtime(meta)),
        "target": target,
        "image": image,
        "command": command,
        "resources": resources,
        "accelerator": accel,
        "retries": int(meta.retries.retries),
        "timeout_s": timeout_s,
        "interruptible": meta.interruptible if meta.WhichOneof("interruptible_value") else None,
        "cache": {
            "enabled": bool(meta.discoverable),
            "serializable": bool(meta.cache_serializable),
            "version": cut("cache", meta.discovery_version),
            "ignored_inputs": [cut("cache", v) for v in meta.cache_ignore_input_vars[:MAX_ARGS]],
        },
        "env": env,
        "env_omitted": env_omitted,
        "pod_template": cut("pod_template", meta.pod_template_name),
        "description": cut("description", getattr(task, "short_description", "")),
        "registered_at": _iso(task.closure.created_at) if task.closure.HasField("created_at") else None,
        "cut": cut.cut,
    }


# --------------------------------------------------------------------------------------------------------------
# One GetTask per task id and remote
# --------------------------------------------------------------------------------------------------------------

TaskKey = tuple[str, str, str, str]


def task_key(ident: identifier_pb2.Identifier) -> TaskKey:
    return (ident.project, ident.domain, ident.name, ident.version)


class TaskCache:
    """Task payloads by task id, each fetched once (a registered task version is immutable in FlyteAdmin).

    A failed fetch is not kept (the next ask tries again); concurrent asks for one id share the one call. At most
    ``limit`` payloads are kept, the least recently asked dropped first.
    """

    def __init__(self, limit: int = MAX_CACHED_TASKS) -> None:
        self._lock = threading.Lock()
        self._limit = max(1, limit)
        self._done: OrderedDict[TaskKey, TaskPayload] = OrderedDict()
        self._running: dict[TaskKey, threading.Event] = {}

    def get(self, ident: identifier_pb2.Identifier, fetch: Callable[[identifier_pb2.Identifier], Any]) -> TaskPayload:
        key = task_key(ident)
        while True:
            with self._lock:
                hit = self._done.get(key)
                if hit is not None:
                    self._done.move_to_end(key)
                    return hit
                waiting = self._running.get(key)
                if waiting is None:
                    mine = self._running[key] = threading.Event()
                    break
            waiting.wait()  # another thread fetches it; then read its result (or try ourselves if it failed)
        try:
            payload = task_payload(fetch(ident))
            with self._lock:
                self._done[key] = payload
                while len(self._done) > self._limit:
                    self._done.popitem(last=False)
            return payload
        finally:
            with self._lock:
                self._running.pop(key, None)
            mine.set()


_CACHES: weakref.WeakKeyDictionary[Any, TaskCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def task_cache(remote: Any) -> TaskCache:
    """The :class:`TaskCache` of ``remote`` (every widget over one remote shares it; it goes with the remote)."""
    with _CACHES_LOCK:
        try:
            cache = _CACHES.get(remote)
            if cache is None:
                cache = _CACHES[remote] = TaskCache()
        except TypeError:  # a remote that cannot be weakly referenced: a cache of its own per call site
            return TaskCache()
        return cache


# --------------------------------------------------------------------------------------------------------------
# Which task a node runs
# --------------------------------------------------------------------------------------------------------------


def _task_ref(node: core_workflow_pb2.Node) -> identifier_pb2.Identifier | None:
    if node.HasField("task_node") and node.task_node.HasField("reference_id"):
        return node.task_node.reference_id
    if node.HasField("array_node"):
        return _task_ref(node.array_node.node)
    return None


def template_node(workflow: workflow_pb2.Workflow, spec_path: Sequence[str]) -> core_workflow_pb2.Node | None:
    """The node the compiled workflow has at ``spec_path`` (spec node ids from the top level down, through
    subworkflows, branches and array nodes: below an array node, the array node itself), or None (a dynamic node's
    children, a path it does not have)."""
    closure = workflow.closure.compiled_workflow
    subs = {id_key(s.template.id): s.template for s in closure.sub_workflows}
    scope = template_nodes(closure.primary.template)
    for depth, spec in enumerate(spec_path):
        node = scope.get(spec)
        if node is None:
            return None
        if depth == len(spec_path) - 1 or node.HasField("array_node"):
            return node  # below an array node run only its subtasks, of its one task
        if node.HasField("workflow_node") and node.workflow_node.HasField("sub_workflow_ref"):
            sub = subs.get(id_key(node.workflow_node.sub_workflow_ref))
            if sub is None:
                return None
            scope = template_nodes(sub)
        elif node.HasField("branch_node"):
            scope = branch_nodes(node.branch_node)
        else:
            return None
    return None


def template_task_id(workflow: workflow_pb2.Workflow, spec_path: Sequence[str]) -> identifier_pb2.Identifier | None:
    """The task the compiled workflow runs at ``spec_path`` (see :func:`template_node`), or None."""
    node = template_node(workflow, spec_path)
    return _task_ref(node) if node is not None else None


def node_overrides(node: core_workflow_pb2.Node, task: TaskPayload | None) -> dict[str, Any]:
    """What the workflow's node sets over its task (flytekit's ``with_overrides``, node metadata): retries, timeout,
    interruptible, cache, image, resources; only what differs from ``task`` (flytekit copies the task's retries and
    timeout onto every node, which says nothing). ``{}`` when nothing does."""
    meta = node.metadata
    inner = node.array_node.node if node.HasField("array_node") else node
    ov = inner.task_node.overrides if inner.HasField("task_node") else core_workflow_pb2.TaskNodeOverrides()
    out: dict[str, Any] = {}
    if meta.HasField("retries"):
        out["retries"] = int(meta.retries.retries)
    if meta.HasField("timeout"):
        try:
            seconds = to_timedelta(meta.timeout).total_seconds()
        except InvalidTimeError:
            seconds = 0.0
        if seconds > 0:
            out["timeout_s"] = seconds
    if meta.WhichOneof("interruptible_value"):
        out["interruptible"] = bool(meta.interruptible)
    if meta.WhichOneof("cacheable_value"):
        out["cache"] = bool(meta.cacheable)
    if meta.WhichOneof("cache_version_value"):
        out["cache_version"] = meta.cache_version
    if meta.WhichOneof("cache_serializable_value"):
        out["cache_serializable"] = bool(meta.cache_serializable)
    cut = _Cutter()
    if ov.container_image:
        out["image"] = cut("image", ov.container_image)
    requests, limits = _resource_map(ov.resources.requests, cut), _resource_map(ov.resources.limits, cut)
    if requests or limits:
        out["resources"] = {"requests": requests, "limits": limits}
    if task is not None:
        same = {
            "retries": task["retries"],
            "timeout_s": task["timeout_s"],
            "interruptible": task["interruptible"],
            "cache": task["cache"]["enabled"],
            "cache_version": task["cache"]["version"],
            "cache_serializable": task["cache"]["serializable"],
            "image": task["image"],
            "resources": task["resources"],
        }
        out = {k: v for k, v in out.items() if same.get(k, object()) != v}
    return out


def node_task_id(node: Any, workflow: workflow_pb2.Workflow | None, spec_path: Sequence[str]) -> Any:
    """The task node ``node`` (a node execution wrapper) runs: its latest attempt's ``task_id`` (also inside a
    dynamic node, whose children the compiled workflow does not hold), else what ``workflow`` compiled at
    ``spec_path`` (a cache hit, or a node whose first attempt has not started). None if neither says."""
    attempts = node.task_executions
    if attempts:
        return attempts[-1].to_flyte_idl().id.task_id
    if workflow is not None and spec_path:
        return template_task_id(workflow, spec_path)
    return None


# --------------------------------------------------------------------------------------------------------------
# A cache hit's source
# --------------------------------------------------------------------------------------------------------------

#: What propeller names an execution the catalog metadata does not say (``GetSourceFromMetadata``'s default).
UNKNOWN = "unknown"


def cache_source(node_proto: Any, console_url: Callable[[Any], str] | None) -> CacheSource | None:
    """The execution a cache hit's value came from, from the node's closure; None when it names none.

    ``console_url(WorkflowExecutionIdentifier)`` builds its console page (the console's own cache status links
    ``Routes.ExecutionDetails`` of ``sourceTaskExecutionId.nodeExecutionId.executionId``: flyteconsole
    ``packages/oss-console/src/components/Executions/CacheStatus.tsx``).
    """
    closure = node_proto.closure
    if closure.WhichOneof("target_metadata") != "task_node_metadata":
        return None
    meta = closure.task_node_metadata
    # Only a hit's value came from elsewhere (an overwriting put names the execution itself as the source).
    if meta.cache_status != catalog_pb2.CACHE_HIT or not meta.catalog_key.HasField("source_task_execution"):
        return None
    key = meta.catalog_key
    src = key.source_task_execution
    ex = src.node_execution_id.execution_id
    known = bool(ex.name) and ex.name != UNKNOWN
    url = None
    if known and console_url is not None:
        try:
            url = safe_url(console_url(ex))
        except Exception:  # a name the console URL check refuses: shown without a link
            url = None
    return {
        "project": ex.project,
        "domain": ex.domain,
        "name": ex.name,
        "node_id": src.node_execution_id.node_id,
        "attempt": int(src.retry_attempt),
        "task_version": src.task_id.version,
        "known": known,
        "url": url,
    }


# --------------------------------------------------------------------------------------------------------------
# The answer to the view's "task" request
# --------------------------------------------------------------------------------------------------------------


def _spec_id(node: Any) -> str:
    proto = node.to_flyte_idl()
    return str(proto.metadata.spec_node_id or proto.id.node_id)


def _owner(
    rows: Mapping[str, Mapping[str, Any]], node_of: Callable[[str], Any], execution: Any, key: str
) -> tuple[Any, list[str]]:
    """The execution that runs row ``key`` (the top one, or a child launch plan's) and the spec ids from its top
    level down to the node."""
    chain: list[str] = []
    k = key
    while k:
        r = rows.get(k)
        if r is None:
            break
        if r.get("kind") == "launch_plan" and k != key:
            children = node_of(k).workflow_executions
            return (children[-1] if children else None), [_spec_id(node_of(c)) for c in reversed(chain)]
        chain.append(k)
        k = str(r.get("parent") or "")
    return execution, [_spec_id(node_of(c)) for c in reversed(chain)]


def _compiled_workflow(execution: Any) -> Any:
    """The admin ``Workflow`` the sync fetched for ``execution`` (fetched now if it did not)."""
    raw = getattr(execution, "_flyte_workflow", None)
    if raw is None and execution is not None:
        try:
            execution.flyte_workflow  # noqa: B018 - the property fetches it (one GetWorkflow) and keeps it
        except Exception:  # the links and the attempts' task id still work without it
            return None
        raw = getattr(execution, "_flyte_workflow", None)
    return raw


def _link(make: Callable[[], str]) -> str | None:
    try:
        return safe_url(make())
    except Exception:  # an id the URL builder refuses: no link rather than no answer
        return None


def _entity(ident: Any, resource_type: int) -> identifier_pb2.Identifier:
    out = identifier_pb2.Identifier()
    out.CopyFrom(ident)
    out.resource_type = resource_type
    return out


def task_answer(
    rows: Mapping[str, Mapping[str, Any]], node_of: Callable[[str], Any], execution: Any, remote: Any, key: str
) -> dict[str, Any]:
    """What the view's ``task`` request about row ``key`` gets: ``{"task": TaskPayload | None, "error": {type,
    message} | None, "links": {task, task_versions, workflow, launch_plan}, "cache_source": CacheSource | None,
    "overrides": what the workflow's node sets over the task (:func:`node_overrides`)}``.

    An array subtask's row answers for its array node (one task for every index). A failed ``GetTask`` is an
    ``error`` in the answer, not a failed request: the cache source and the links do not depend on it.
    """
    row = rows[key]
    if row.get("kind") == "subtask" and row.get("parent"):
        key = str(row["parent"])
    node = node_of(key)
    owner, spec_path = _owner(rows, node_of, execution, key)
    workflow = _compiled_workflow(owner)
    links: dict[str, str | None] = {"task": None, "task_versions": None, "workflow": None, "launch_plan": None}
    if owner is not None:
        proto = owner.to_flyte_idl()
        if proto.closure.HasField("workflow_id"):
            wf = _entity(proto.closure.workflow_id, identifier_pb2.WORKFLOW)
            links["workflow"] = _link(lambda: remote.generate_console_url(wf))
        lp = proto.spec.launch_plan
        if lp.name and lp.resource_type != identifier_pb2.TASK:  # a single-task execution has no launch plan
            lp_id = _entity(lp, identifier_pb2.LAUNCH_PLAN)
            links["launch_plan"] = _link(lambda: remote.generate_console_url(lp_id))
    answer: dict[str, Any] = {
        "task": None,
        "error": None,
        "links": links,
        "cache_source": cache_source(node.to_flyte_idl(), remote.generate_console_url),
    }
    tmpl = template_node(workflow, spec_path) if workflow is not None and spec_path else None
    answer["overrides"] = {}
    tid = node_task_id(node, workflow, spec_path)
    if tid is None or not tid.name:
        answer["error"] = {
            "type": "NoTask",
            "message": "which task this node runs is not known yet (no attempt has started, and the compiled "
            "workflow does not say: e.g. a node a dynamic workflow generated)",
        }
        return answer
    task_id = _entity(tid, identifier_pb2.TASK)
    links["task"] = _link(lambda: remote.generate_console_url(task_id))
    base = getattr(remote, "console_base", None)
    if callable(base):
        links["task_versions"] = _link(
            lambda: entity_versions_url(base(), "task", task_id.project, task_id.domain, task_id.name)
        )
    try:
        answer["task"] = task_cache(remote).get(task_id, remote.get_task)
    except Exception as e:
        # The message names the task id and the server's status, never the template's contents (env values).
        log.warning("GetTask %s failed: %s", ":".join(task_key(task_id)), e)
        answer["error"] = {"type": type(e).__name__, "message": str(e) or type(e).__name__}
    if tmpl is not None:
        answer["overrides"] = node_overrides(tmpl, answer["task"])
    return answer
