"""The sandbox's stand-in web pages: what a console link and a task log link open in the demo.

On a real cluster an execution's console URL opens FlyteConsole, and a task's log links open the log provider
propeller's log plugins were configured with (the Kubernetes dashboard, CloudWatch, Stackdriver...). The sandbox
has neither, so its HTTP side (:mod:`.oauth`) serves, from the store's state:

- ``/console/projects/<p>/domains/<d>/executions/<name>``: the execution's phase, times and error and a table of its
  nodes with their log links, and a note that a real cluster opens FlyteConsole there;
- ``/logs/<p>/<d>/<execution>/<node id>/<attempt>`` (``?index=<i>`` for an array subtask): plausible log lines of
  that attempt, written from what the scenario scripted (the error it failed with, an OOM kill, a retried shard).

Every text from the store goes through :func:`html.escape`; every link is built here from quoted path parts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, unquote

from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import identifier_pb2

from ..objects.phases import NodePhase, TaskPhase, WorkflowPhase, is_terminal
from .errors import StoreError
from .store import Store

__all__ = ["Pages", "console_path", "log_path"]

_CONSOLE = re.compile(r"^/console/projects/([^/]+)/domains/([^/]+)/executions/([^/]+)/?$")
_LOGS = re.compile(r"^/logs/([^/]+)/([^/]+)/([^/]+)/([^/]+)/(\d+)/?$")
#: Start and end nodes are bookkeeping: FlyteConsole hides them too.
_HIDDEN_NODES = ("start-node", "end-node")
#: More nodes than this on one page would make it slow to build and to read (the ``wide`` scenario has 20,000).
MAX_NODES_SHOWN = 2000


def _q(part: str) -> str:
    return quote(part, safe="")


def console_path(project: str, domain: str, name: str) -> str:
    """The path of an execution's console page (the same shape as FlyteConsole's)."""
    return f"/console/projects/{_q(project)}/domains/{_q(domain)}/executions/{_q(name)}"


def log_path(project: str, domain: str, execution: str, node_id: str, attempt: int, index: int | None = None) -> str:
    """The path of one attempt's log page; ``index`` for an array subtask (``attempt`` is then its retry)."""
    path = f"/logs/{_q(project)}/{_q(domain)}/{_q(execution)}/{_q(node_id)}/{int(attempt)}"
    return path if index is None else f"{path}?index={int(index)}"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _time(ts: object) -> datetime | None:
    """A protobuf Timestamp as an aware UTC datetime, None when unset."""
    seconds = getattr(ts, "seconds", 0)
    nanos = getattr(ts, "nanos", 0)
    if not seconds and not nanos:
        return None
    return datetime.fromtimestamp(seconds + nanos / 1e9, tz=timezone.utc)


def _fmt_time(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC") if dt is not None else ""


def _seconds(d: object) -> float | None:
    seconds = getattr(d, "seconds", 0)
    nanos = getattr(d, "nanos", 0)
    return seconds + nanos / 1e9 if (seconds or nanos) else None


def _fmt_duration(s: float | None) -> str:
    if s is None:
        return ""
    if s < 60:
        return f"{s:.1f}s"
    m, sec = divmod(int(s), 60)
    return f"{m}m {sec:02d}s" if m < 60 else f"{m // 60}h {m % 60:02d}m"


_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f1f1f; background: #fff; }
@media (prefers-color-scheme: dark) { body { color: #e6e6e6; background: #1e1e1e; } a { color: #64b5f6; } }
.note { padding: 8px 12px; border-left: 4px solid #1976d2; background: rgba(25, 118, 210, 0.08); margin: 12px 0; }
table { border-collapse: collapse; margin-top: 12px; }
th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid rgba(127, 127, 127, 0.3); vertical-align: top; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
pre { white-space: pre-wrap; word-break: break-word; padding: 8px 12px; background: rgba(127, 127, 127, 0.1); }
.phase { font-weight: 600; }
.log .ERROR { color: #d32f2f; } .log .WARNING { color: #ef6c00; }
"""


def _page(title: str, body: str, *, refresh: bool = False) -> bytes:
    # A page of a running execution reloads itself, as FlyteConsole keeps polling.
    meta = '<meta http-equiv="refresh" content="5">' if refresh else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'>{meta}<title>{_esc(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    ).encode()


class Pages:
    """Builds the console and log pages from ``store``; :meth:`handle` answers one GET (None: not a page path)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def handle(self, path: str, query: str) -> tuple[int, bytes] | None:
        """``(status, html)`` for a page path, or None when ``path`` is not one of the pages'."""
        m = _CONSOLE.match(path)
        if m:
            project, domain, name = (unquote(g) for g in m.groups())
            return self._console(project, domain, name)
        m = _LOGS.match(path)
        if m:
            project, domain, name, node_id = (unquote(g) for g in m.groups()[:4])
            params = parse_qs(query)
            index_text = (params.get("index") or [""])[0]
            if index_text and not index_text.isdigit():
                return 400, _page("Bad request", f"<p>index must be a number, got <code>{_esc(index_text)}</code></p>")
            index = int(index_text) if index_text else None
            return self._logs(project, domain, name, node_id, int(m.group(5)), index)
        return None

    # -- the console page -------------------------------------------------------------------------------------
    def _console(self, project: str, domain: str, name: str) -> tuple[int, bytes]:
        wf_id = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)
        try:
            ex = self.store.get_execution(wf_id)
            nodes = [(r.proto, r.parent) for r in self.store.all_nodes(wf_id)]
        except StoreError:
            ref = f"{_esc(project)}:{_esc(domain)}:{_esc(name)}"
            body = f"<h1>No execution {ref}</h1><p>This sandbox has no such execution.</p>"
            return 404, _page("Execution not found", body)
        closure = ex.closure
        phase = WorkflowPhase(closure.phase)
        parts = [
            f"<h1>{_esc(closure.workflow_id.name or ex.spec.launch_plan.name)}</h1>",
            f"<p><code>{_esc(project)}:{_esc(domain)}:{_esc(name)}</code> &middot; "
            f"<span class='phase' data-phase='{_esc(phase.name)}'>{_esc(phase.name)}</span></p>",
            "<p class='note'>This is the flyteexec-widget sandbox's stand-in page. On a real Flyte cluster this link "
            "opens FlyteConsole: the execution's graph, its nodes, timeline, inputs and outputs.</p>",
            self._facts(ex),
        ]
        if closure.HasField("error"):
            parts.append(f"<h2>Error</h2><pre>{_esc(closure.error.code)}: {_esc(closure.error.message)}</pre>")
        elif closure.abort_metadata.cause or closure.abort_cause:
            parts.append(f"<p>Aborted: {_esc(closure.abort_metadata.cause or closure.abort_cause)}</p>")
        parts.append(self._node_table(wf_id, nodes))
        return 200, _page(f"{name} - sandbox console", "".join(parts), refresh=not is_terminal("workflow", phase))

    @staticmethod
    def _facts(ex: execution_pb2.Execution) -> str:
        c = ex.closure
        rows = [
            ("launch plan", f"{ex.spec.launch_plan.name} ({ex.spec.launch_plan.version})"),
            ("created", _fmt_time(_time(c.created_at))),
            ("started", _fmt_time(_time(c.started_at))),
            ("duration", _fmt_duration(_seconds(c.duration))),
        ]
        cells = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows if v)
        return f"<table class='facts'>{cells}</table>"

    def _node_table(
        self,
        wf_id: identifier_pb2.WorkflowExecutionIdentifier,
        nodes: list[tuple[node_execution_pb2.NodeExecution, str]],
    ) -> str:
        """Every node (children indented under their parent) with its task, phase, times and log pages."""
        kids: dict[str, list[node_execution_pb2.NodeExecution]] = {}
        for n, parent in nodes:  # creation order, as FlyteConsole lists siblings
            if n.metadata.spec_node_id not in _HIDDEN_NODES:
                kids.setdefault(parent, []).append(n)
        shown: list[node_execution_pb2.NodeExecution] = []
        depth: dict[str, int] = {}
        stack = [(n, 0) for n in reversed(kids.get("", []))]
        while stack:
            n, d = stack.pop()
            shown.append(n)
            depth[n.id.node_id] = d
            stack.extend((c, d + 1) for c in reversed(kids.get(n.id.node_id, [])))
        head = "<tr><th>Node</th><th>Task</th><th>Phase</th><th>Started</th><th>Duration</th><th>Logs</th></tr>"
        rows = []
        for n in shown[:MAX_NODES_SHOWN]:
            tasks = self._tasks(n.id)
            task_name = tasks[-1].id.task_id.name if tasks else ""
            c = n.closure
            indent = "&nbsp;" * 4 * depth.get(n.id.node_id, 0)
            links = " ".join(
                f"<a href='{_esc(self._log_href(wf_id, n.id.node_id, t.id.retry_attempt))}'>"
                f"attempt {t.id.retry_attempt + 1}</a>"
                for t in tasks
                if t.closure.logs
            )
            child = ""
            if c.HasField("workflow_node_metadata"):
                ce = c.workflow_node_metadata.executionId  # the admin message spells it so
                child = f" &rarr; <a href='{_esc(console_path(ce.project, ce.domain, ce.name))}'>{_esc(ce.name)}</a>"
            rows.append(
                f"<tr data-node='{_esc(n.id.node_id)}'><td>{indent}<code>{_esc(n.id.node_id)}</code>{child}</td>"
                f"<td>{_esc(task_name)}</td><td class='phase'>{_esc(NodePhase(c.phase).name)}</td>"
                f"<td>{_esc(_fmt_time(_time(c.started_at)))}</td><td>{_esc(_fmt_duration(_seconds(c.duration)))}</td>"
                f"<td>{links}</td></tr>"
            )
        more = len(shown) - MAX_NODES_SHOWN
        tail = f"<p>&hellip; and {more:,} more nodes.</p>" if more > 0 else ""
        return f"<h2>Nodes ({len(shown):,})</h2><table class='nodes'>{head}{''.join(rows)}</table>{tail}"

    @staticmethod
    def _log_href(wf_id: identifier_pb2.WorkflowExecutionIdentifier, node_id: str, attempt: int) -> str:
        return log_path(wf_id.project, wf_id.domain, wf_id.name, node_id, attempt)

    def _tasks(self, nid: identifier_pb2.NodeExecutionIdentifier) -> list[task_execution_pb2.TaskExecution]:
        try:
            tasks, _ = self.store.list_task_executions(nid, limit=1000, token="")
        except StoreError:
            return []
        return sorted(tasks, key=lambda t: t.id.retry_attempt)

    # -- the log page -----------------------------------------------------------------------------------------
    def _logs(
        self, project: str, domain: str, name: str, node_id: str, attempt: int, index: int | None
    ) -> tuple[int, bytes]:
        wf_id = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)
        nid = identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=wf_id)
        what = f"{name}/{node_id} attempt {attempt + 1}" + ("" if index is None else f" subtask {index}")
        tasks = self._tasks(nid)
        if index is None:
            task = next((t for t in tasks if t.id.retry_attempt == attempt), None)
            if task is not None:
                task = self.store.get_task_execution(task.id)  # a listing trims the error; a log has it whole
            lines = None if task is None else _task_lines(task, self._record_names(task))
        else:
            task = tasks[-1] if tasks else None
            res = None
            if task is not None:
                res = next(
                    (
                        r
                        for t in tasks
                        for r in t.closure.metadata.external_resources
                        if r.index == index and r.retry_attempt == attempt
                    ),
                    None,
                )
            retried = task is not None and any(
                r.index == index and r.retry_attempt > attempt
                for t in tasks
                for r in t.closure.metadata.external_resources
            )
            if task is not None and res is not None:
                lines = _subtask_lines(task, index, attempt, TaskPhase(res.phase), retried)
            else:
                lines = None
        if task is None or lines is None:
            return 404, _page("No logs", f"<h1>No logs for {_esc(what)}</h1><p>This attempt has not started.</p>")
        pod = task.closure.metadata.generated_name or node_id
        if index is not None:
            pod = f"{pod}-{index}"
        phase = TaskPhase(task.closure.phase) if index is None else None
        running = phase is not None and not is_terminal("task", phase)
        body = (
            f"<h1>Logs of {_esc(task.id.task_id.name)}</h1>"
            f"<p>pod <code>{_esc(pod)}</code> in namespace <code>{_esc(project)}-{_esc(domain)}</code> &middot; "
            f"{_esc(what)}</p>"
            "<p class='note'>Sandbox stand-in for a log viewer. On a real cluster this link opens the log provider "
            "your Flyte deployment configured (Kubernetes dashboard, CloudWatch, Stackdriver...).</p>"
            "<pre class='log'>"
            + "\n".join(f"<span class='{_esc(level)}'>{_esc(text)}</span>" for level, text in lines)
            + "</pre>"
        )
        return 200, _page(f"logs: {what}", body, refresh=running)

    def _record_names(self, task: task_execution_pb2.TaskExecution) -> tuple[list[str], list[str]]:
        """Names of the attempt's inputs and outputs (what flytekit logs when it loads and writes them)."""
        try:
            with self.store.reading:
                rec = self.store.task_record(task.id)
                ins = sorted(rec.inputs.literals) if rec.inputs is not None else []
                outs = sorted(rec.outputs.literals) if rec.outputs is not None else []
        except StoreError:
            return [], []
        return ins, outs


Line = tuple[str, str]  # (level, text)


def _stamp(dt: datetime | None, offset_s: float = 0.0) -> str:
    if dt is None:
        return "                       "
    return (dt + timedelta(seconds=offset_s)).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]


def _log(dt: datetime | None, offset_s: float, level: str, text: str) -> Line:
    return level, f"{_stamp(dt, offset_s)} {level:<7} {text}"


def _task_lines(task: task_execution_pb2.TaskExecution, names: tuple[list[str], list[str]]) -> list[Line]:
    """What a flytekit container of this attempt would have logged, from what the scenario made it do."""
    c = task.closure
    phase = TaskPhase(c.phase)
    name = task.id.task_id.name
    start = _time(c.started_at) or _time(c.created_at)
    dur = _seconds(c.duration) or 0.0
    inputs, outputs = names
    out: list[Line] = [
        _log(start, 0.0, "INFO", f"Welcome to Flyte! Running task {name} (attempt {task.id.retry_attempt + 1})"),
        _log(start, 0.2, "INFO", "Loading inputs: " + (", ".join(inputs) if inputs else "(none)")),
    ]
    if phase in (TaskPhase.QUEUED, TaskPhase.INITIALIZING, TaskPhase.WAITING_FOR_RESOURCES, TaskPhase.UNDEFINED):
        return [_log(_time(c.created_at), 0.0, "INFO", f"Pod scheduled; waiting to start ({phase.name})")]
    steps = max(1, min(5, int(dur // 2) or 1))
    for i in range(steps):
        out.append(_log(start, 0.5 + i * max(dur - 1.0, 0.5) / steps, "INFO", f"{name}: step {i + 1} of {steps}"))
    if not is_terminal("task", phase):
        out.append(("INFO", "... (still running: this page reloads every 5 seconds)"))
        return out
    end = dur
    if phase == TaskPhase.SUCCEEDED:
        out.append(_log(start, end, "INFO", "Writing outputs: " + (", ".join(outputs) if outputs else "(none)")))
        out.append(_log(start, end, "INFO", f"Task {name} succeeded in {_fmt_duration(dur)}"))
    elif phase == TaskPhase.ABORTED:
        reason = c.reason or "aborted"
        out.append(_log(start, end, "WARNING", f"Received SIGTERM: {reason}"))
    elif c.HasField("error"):
        out.extend(_error_lines(start, end, c.error.code, c.error.message))
    else:
        out.append(_log(start, end, "ERROR", f"Task {name} ended {phase.name}"))
    return out


def _error_lines(start: datetime | None, end: float, code: str, message: str) -> Iterable[Line]:
    if "OOMKilled" in code or "OOMKilled" in message:
        # The kernel kills the process: nothing from Python, only the kubelet's word for it.
        yield _log(start, end - 0.4, "WARNING", "Memory usage above 95% of the container limit")
        yield "ERROR", "Killed"
        yield _log(start, end, "ERROR", f"container terminated: OOMKilled (exit code 137). {message}")
        return
    lines = message.splitlines() or [code]
    yield _log(start, end, "ERROR", f"Task failed with {code}:")
    for line in lines:
        yield "ERROR", line


def _subtask_lines(
    task: task_execution_pb2.TaskExecution, index: int, retry: int, phase: TaskPhase, retried: bool
) -> list[Line]:
    """One array subtask's pod: each index maps over one input; a failed attempt reads like a transient error."""
    start = _time(task.closure.started_at) or _time(task.closure.created_at)
    name = task.id.task_id.name
    out: list[Line] = [
        _log(start, 0.0, "INFO", f"Welcome to Flyte! Running map task {name}, index {index} (retry {retry})"),
        _log(start, 0.2, "INFO", f"Loading input {index} of the mapped list"),
    ]
    if phase == TaskPhase.QUEUED:
        return out[:1]
    if phase == TaskPhase.RUNNING:
        out.append(("INFO", "... (still running)"))
    elif phase == TaskPhase.SUCCEEDED:
        out.append(_log(start, 1.0, "INFO", f"Subtask {index} succeeded; output written"))
    elif phase in (TaskPhase.FAILED, TaskPhase.ABORTED):
        out.append(_log(start, 1.0, "ERROR", "Traceback (most recent call last):"))
        out.append(("ERROR", '  File "/root/sandbox/map_task.py", line 31, in read_shard'))
        out.append(("ERROR", "    return client.get_object(Bucket=bucket, Key=key)"))
        out.append(("ERROR", f"ConnectionResetError: [Errno 104] Connection reset by peer while reading input {index}"))
        then = "propeller retried it" if retried else "no retries left"
        out.append(_log(start, 1.1, "ERROR", f"Subtask {index} attempt {retry + 1} failed; {then}"))
    return out
