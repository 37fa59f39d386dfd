"""A board: many executions kept fresh as one table (a sweep, a backfill, "my runs today").

Three parts, as for one execution:

- :class:`BoardQuery` / :class:`BoardIds`: what the board shows, and the FlyteAdmin filters that ask for it
  (flyteadmin's filter language: ``flyteadmin/pkg/common/filters.go`` for the functions, ``manager/impl/util/
  filters.go`` for the fields: model columns of the execution, or ``launch_plan.``/``workflow.`` columns, which
  flyteadmin answers by joining those tables, ``repositories/gormimpl/execution_repo.go``).
- :class:`BoardSync`: one refresh = one ``ListExecutions`` per project/domain (all pages, newest first, at most
  ``limit``), then, concurrently on ``remote.executor``: one top-level ``ListNodeExecutions`` per running execution
  (its progress, at most :data:`PROGRESS_BUDGET`), and only once per execution the data the list leaves out:
  ``GetExecutionData`` for the inputs (FlyteAdmin's list responses carry none) and, once terminal, the outputs (the
  same call answers both for one that was terminal when first seen), ``GetExecution`` for a failed one's whole
  error (list errors are cut to 100 bytes), ``GetWorkflow`` once per workflow version (how many nodes it plans).
  A scheduler watch runs it (a board is one more watched item of the one scheduler thread), and charges its
  calls (``last_rpc_count``) to the watch's call budget, as for an execution (``scheduler.RPC_RATE``).
- :class:`BoardModel`: the rows (plain JSON, :class:`BoardRow`) and a header naming the input columns (the inputs
  whose values differ between the executions: a sweep's hyperparameters) and the metric (a scalar output the user
  chose), published like an execution model's rows.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any, TypedDict

from flyteidl.admin import common_pb2

from ..admin.errors import RpcFailure, is_server_error
from ..admin.refs import parse_execution_ref, safe_url
from ..objects import phases
from ..objects.executions import FlyteWorkflowExecution
from .model import ExecutionModel
from .rows import cap_text, header_of

__all__ = [
    "PROGRESS_BUDGET",
    "BoardIds",
    "BoardModel",
    "BoardQuery",
    "BoardRow",
    "BoardState",
    "BoardSync",
    "cell",
    "varying_inputs",
]

log = logging.getLogger(__name__)

#: Running executions whose progress (one top-level node listing each) is fetched per refresh.
PROGRESS_BUDGET = 50
#: Executions whose missing data (inputs, outputs, whole error) is fetched per refresh; the rest follow next time.
DATA_BUDGET = 200
#: The error text a row carries (start and end kept: a traceback's exception line is its last line).
ROW_ERROR_BYTES = 8 * 1024
#: Longest text of an input or metric cell.
CELL_CHARS = 80

#: The board's order, newest first: by ``execution_created_at`` (the closure's created_at, the column ``since``
#: filters on), not the client's default ``created_at``: that one is the gorm row time every joined table has too
#: (a ``launch_plan.``/``workflow.`` filter joins one, and flyteadmin's sort key is not table-qualified,
#: ``common/sorting.go``), and unlike ``execution_created_at`` it has no index (``models/execution.go``).
BOARD_SORT = common_pb2.Sort(key="execution_created_at", direction=common_pb2.Sort.DESCENDING)

_PHASES = {p.name for p in phases.WorkflowPhase if p != phases.WorkflowPhase.UNDEFINED}


def _rfc3339(value: _dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(
            f"board(since=...) needs a timezone-aware datetime (e.g. with tzinfo=timezone.utc), got {value!r}"
        )
    return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _filter_value(name: str, value: str) -> str:
    # flyteadmin splits expressions at '+' and value lists at ';', and matches `(.+)\((.+),\s?(.+)\)`: the field
    # runs to the last ',' (a value with a comma becomes part of the field name, refused as an invalid filter) and
    # one space after the comma is dropped. Such a value cannot be asked for (no escaping in util/filters.go).
    if not isinstance(value, str) or not value or any(c in value for c in "+;(),") or value != value.strip():
        raise ValueError(
            f"board: {name} must be a non-empty string without '+', ';', ',', '(' or ')' and without leading or "
            f"trailing spaces (FlyteAdmin's filter syntax cannot carry them), got {value!r}"
        )
    return value


@dataclass(frozen=True)
class BoardQuery:
    """The executions of a project/domain that match: launched from launch plan ``launch_plan`` (or of workflow
    ``workflow``), in one of ``phase``, created at or after ``since`` (a datetime, or a timedelta before now: fixed
    when the board starts, so rows do not drop out as time passes), by ``principal``; the newest ``limit``."""

    project: str
    domain: str
    launch_plan: str | None = None
    workflow: str | None = None
    phase: tuple[str, ...] = ()
    since: _dt.datetime | None = None
    principal: str | None = None
    limit: int = 200

    @classmethod
    def make(
        cls,
        project: str,
        domain: str,
        *,
        launch_plan: str | None = None,
        workflow: str | None = None,
        phase: str | Iterable[str] | None = None,
        since: _dt.datetime | _dt.timedelta | None = None,
        principal: str | None = None,
        limit: int = 200,
        now: _dt.datetime | None = None,
    ) -> BoardQuery:
        """A checked query: a bad value raises ``ValueError`` naming the argument and what is valid."""
        for name, value in (("project", project), ("domain", domain)):
            _filter_value(name, value)
        phases_: tuple[str, ...] = ()
        if phase is not None:
            names = [phase] if isinstance(phase, str) else list(phase)
            bad = [p for p in names if not isinstance(p, str) or p.upper() not in _PHASES]
            if bad or not names:
                raise ValueError(f"board: phase must be one or more of {', '.join(sorted(_PHASES))}, got {phase!r}")
            phases_ = tuple(dict.fromkeys(p.upper() for p in names))
        if isinstance(since, _dt.timedelta):
            since = (now or _dt.datetime.now(_dt.timezone.utc)) - since
        elif since is not None and not isinstance(since, _dt.datetime):
            raise ValueError(f"board: since must be a datetime or a timedelta, got {since!r}")
        if since is not None:
            _rfc3339(since)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
            raise ValueError(f"board: limit must be an int from 1 to 10000, got {limit!r}")
        for name, optional in (("launch_plan", launch_plan), ("workflow", workflow), ("principal", principal)):
            if optional is not None:
                _filter_value(name, optional)
        return cls(project, domain, launch_plan, workflow, phases_, since, principal, limit)

    def filters(self) -> str:
        """FlyteAdmin's filter string for this query (``fn(field,value)`` joined by ``+``)."""
        out = []
        if self.launch_plan:
            out.append(f"eq(launch_plan.name,{self.launch_plan})")
        if self.workflow:
            out.append(f"eq(workflow.name,{self.workflow})")
        if len(self.phase) == 1:
            out.append(f"eq(phase,{self.phase[0]})")
        elif self.phase:
            out.append(f"value_in(phase,{';'.join(self.phase)})")
        if self.since is not None:
            # when it was created (launched): a queued execution has no started_at yet, and a NULL matches nothing
            out.append(f"gte(execution_created_at,{_rfc3339(self.since)})")
        if self.principal:
            # the column `user` holds spec.metadata.principal (models/execution.go, transformers/execution.go)
            out.append(f"eq(user,{self.principal})")
        return "+".join(out)

    def describe(self) -> str:
        parts = [f"{self.project}/{self.domain}"]
        if self.launch_plan:
            parts.append(f"launch plan {self.launch_plan}")
        if self.workflow:
            parts.append(f"workflow {self.workflow}")
        if self.phase:
            parts.append("phase " + "|".join(self.phase))
        if self.since is not None:
            parts.append(f"since {_rfc3339(self.since)}")
        if self.principal:
            parts.append(f"by {self.principal}")
        return ", ".join(parts)

    def requests(self) -> list[tuple[str, str, str, int]]:
        """``(project, domain, filters, limit)`` of each ``ListExecutions`` a refresh makes."""
        return [(self.project, self.domain, self.filters(), self.limit)]


@dataclass(frozen=True)
class BoardIds:
    """A fixed list of executions (by ``(project, domain, name)``), in the order given."""

    ids: tuple[tuple[str, str, str], ...]

    @classmethod
    def make(
        cls, items: Iterable[Any], *, default_project: str | None = None, default_domain: str | None = None
    ) -> BoardIds:
        ids: list[tuple[str, str, str]] = []
        for item in items:
            ids.append(_id_of(item, default_project, default_domain))
        if not ids:
            raise ValueError("board: the list of executions is empty (give executions, ids, or a query)")
        return cls(tuple(dict.fromkeys(ids)))

    def filters(self, names: Sequence[str]) -> str:
        return f"value_in(execution_name,{';'.join(names)})"

    def describe(self) -> str:
        return f"{len(self.ids)} executions"

    def requests(self) -> list[tuple[str, str, str, int]]:
        groups: dict[tuple[str, str], list[str]] = {}
        for p, d, n in self.ids:
            groups.setdefault((p, d), []).append(n)
        return [(p, d, self.filters(names), len(names)) for (p, d), names in groups.items()]


def _id_of(item: Any, project: str | None, domain: str | None) -> tuple[str, str, str]:
    """``(project, domain, name)`` of an execution wrapper (ours or flytekit's), an id message or a reference."""
    to_idl = getattr(item, "to_flyte_idl", None)
    proto = to_idl() if callable(to_idl) else item
    ident = getattr(proto, "id", proto)
    if all(isinstance(getattr(ident, a, None), str) for a in ("project", "domain", "name")) and not isinstance(
        item, str
    ):
        p, d, n = ident.project, ident.domain, ident.name
    else:
        bare_name = isinstance(item, str) and not any(c in item for c in ":/")
        ref = (
            parse_execution_ref(name=item, default_project=project, default_domain=domain)
            if bare_name
            else parse_execution_ref(item, default_project=project, default_domain=domain)
        )
        p, d, n = ref.project, ref.domain, ref.name
    for name, value in (("project", p), ("domain", d), ("execution name", n)):
        _filter_value(name, value)
    return p, d, n


Source = BoardQuery | BoardIds


# --------------------------------------------------------------------------------------------------------------
# rows
# --------------------------------------------------------------------------------------------------------------


class Cell(TypedDict):
    """An input or output value in a column: ``text`` shown, ``value`` sorted by (a number, else the text)."""

    text: str
    value: float | str | None


class Progress(TypedDict):
    done: int
    total: int
    running: int
    failed: int


class BoardError(TypedDict):
    kind: str
    code: str
    message: str


class BoardRow(TypedDict):
    key: str
    project: str
    domain: str
    name: str
    url: str | None
    launch_plan: str
    lp_version: str
    lp_url: str | None
    workflow: str
    principal: str
    phase: str
    label: str
    color: str
    terminal: bool
    created_at: str | None
    started_at: str | None
    duration_s: float | None
    progress: Progress | None
    error: BoardError | None
    inputs: dict[str, Cell]
    metric: Cell | None
    outputs_state: str  # "pending" (not terminal / not fetched yet) | "ready" | "none" (no such output) | "error"


def cell(value: Any) -> Cell:
    """A value as a column cell: numbers sort as numbers (non-finite ones as text), the rest by its text."""
    if isinstance(value, bool):
        return {"text": str(value), "value": str(value)}
    if isinstance(value, (int, float)):
        f = float(value)
        text = repr(value) if isinstance(value, float) else str(value)
        return {"text": text, "value": f if math.isfinite(f) else text}
    if value is None:
        return {"text": "None", "value": None}
    text = str(value) if isinstance(value, str) else repr(value)
    text = text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"
    return {"text": text, "value": text}


def varying_inputs(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The input names whose values differ between the rows (a row without the input counts as a value of its
    own), in the order first seen. Rows whose inputs are not fetched yet (empty) are left out of the comparison."""
    seen: dict[str, set[str | None]] = {}
    order: list[str] = []
    known = [r for r in rows if r.get("inputs")]
    for r in known:
        for name in r["inputs"]:
            if name not in seen:
                seen[name] = set()
                order.append(name)
    for r in known:
        for name in order:
            c = r["inputs"].get(name)
            seen[name].add(None if c is None else c["text"])
    return [n for n in order if len(seen[n]) > 1]


# --------------------------------------------------------------------------------------------------------------
# the sync
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Entry:
    """What the board knows of one execution beyond its list entry (fetched once, kept)."""

    execution: FlyteWorkflowExecution
    inputs: dict[str, Cell] | None = None
    outputs: dict[str, Cell] | None = None
    outputs_state: str = "pending"
    error: str | None = None  # the whole error message (the list's is cut at 100 bytes)
    progress: Progress | None = None
    durations: dict[str, float] = field(default_factory=dict)


@dataclass
class BoardState:
    """What one refresh produced: the executions in board order and what the board knows of each."""

    source: Source
    order: list[str]
    entries: dict[str, _Entry]
    metric: str | None
    truncated: bool
    complete: bool
    workflows: dict[str, int]


def _key(ident: Any) -> str:
    return f"{ident.project}:{ident.domain}:{ident.name}"


class BoardSync:
    """Keeps a board's executions fresh; ``refresh()`` is what a scheduler watch calls (see the module docstring).

    ``remote``: an :class:`~flyteexec_widget.remote.Remote`. ``metric``: the name of a scalar output shown as a
    column (fetched once an execution succeeded). ``progress``: list the nodes of running executions.
    """

    def __init__(self, remote: Any, source: Source, *, metric: str | None = None, progress: bool = True) -> None:
        if metric is not None and (not isinstance(metric, str) or not metric):
            raise ValueError(f"board: metric must be the name of an output (a non-empty string), got {metric!r}")
        self.remote = remote
        self.source = source
        self.metric = metric
        self.progress = progress
        self.lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._workflow_nodes: dict[str, int] = {}  # workflow id -> how many nodes it plans at the top level
        self.refreshes = 0
        # Calls the last refresh made (one per listing and per fetch; a listing of more pages makes more): what the
        # scheduler charges to the watch's call budget (scheduler.RPC_RATE), so a board keeps to it like a watch.
        self.last_rpc_count = 0

    # -- reading -------------------------------------------------------------------------------------------------

    def entry(self, key: str) -> _Entry:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(f"no execution {key!r} on this board") from None

    # -- one refresh ---------------------------------------------------------------------------------------------

    def refresh(self, sync_nodes: bool = True) -> BoardState:
        with self.lock:
            listed: list[Any] = []
            truncated = False
            self.last_rpc_count = 0
            for project, domain, filters, limit in self.source.requests():
                self.last_rpc_count += 1
                # One more than asked: says whether the query matched more than the board shows.
                got = self.remote.list_executions(
                    project, domain, filters=filters, sort_by=BOARD_SORT, max_items=limit + 1
                )
                truncated = truncated or len(got) > limit
                listed.extend(got[:limit])
            order: list[str] = []
            for proto in listed:
                key = _key(proto.id)
                entry = self._entries.get(key)
                if entry is None:
                    entry = self._entries[key] = _Entry(FlyteWorkflowExecution(proto, remote=self.remote))
                else:
                    entry.execution._update(proto)
                order.append(key)
            # Forget the executions that no longer match (a phase query's finished ones): a board left open for days
            # would otherwise keep every execution it ever listed, data included.
            for gone in set(self._entries) - set(order):
                del self._entries[gone]
            if isinstance(self.source, BoardIds):  # the order given; ids the admin does not know are left out
                rank = {f"{p}:{d}:{n}": i for i, (p, d, n) in enumerate(self.source.ids)}
                order.sort(key=lambda k: rank.get(k, len(rank)))
            complete = self._fetch_details(order, sync_nodes)
            self.refreshes += 1
            return BoardState(
                source=self.source,
                order=order,
                entries={k: self._entries[k] for k in order},
                metric=self.metric,
                truncated=truncated,
                complete=complete,
                workflows=dict(self._workflow_nodes),
            )

    def _fetch_details(self, order: list[str], sync_nodes: bool) -> bool:
        """Fetch, concurrently, what the rows still lack; returns whether nothing is left to fetch."""
        jobs: list[tuple[str, Any, Any]] = []  # (what, entry, callable)
        data_left = DATA_BUDGET
        progress_left = PROGRESS_BUDGET
        pending = False
        for key in order:
            e = self._entries[key]
            proto = e.execution.to_flyte_idl()
            terminal = phases.is_terminal("workflow", proto.closure.phase)
            needs_data = e.inputs is None or (terminal and e.outputs_state == "pending")
            if needs_data:
                if data_left > 0:
                    data_left -= 1
                    jobs.append(("data", e, terminal))
                else:
                    pending = True
            if terminal and proto.closure.HasField("error") and e.error is None:
                if _maybe_trimmed(proto.closure.error.message):
                    if data_left > 0:
                        data_left -= 1
                        jobs.append(("error", e, None))
                    else:
                        pending = True
                else:
                    e.error = proto.closure.error.message
            if not terminal and self.progress and sync_nodes:
                wf = proto.closure.workflow_id
                wf_key = f"{wf.project}:{wf.domain}:{wf.name}@{wf.version}"
                if wf.name and wf_key not in self._workflow_nodes:
                    self._workflow_nodes[wf_key] = -1  # asked once, whatever the answer
                    jobs.append(("workflow", wf_key, wf))
                if progress_left > 0:
                    progress_left -= 1
                    jobs.append(("progress", e, None))
            elif terminal and e.progress is not None and e.progress["done"] < e.progress["total"]:
                e.progress = None  # the count stopped when it ended: the phase says how
        if not jobs:
            return not pending
        self.last_rpc_count += len(jobs)
        futures: list[Future[None]] = [self.remote.executor.submit(self._run_job, *job) for job in jobs]
        wait(futures)
        for f in futures:
            exc = f.exception()
            if exc is not None:
                if isinstance(exc, RpcFailure) and _ends_watch(exc):
                    raise exc
                pending = True
                log.info("board: a fetch failed (retried next refresh): %s", exc)
        # workflow sizes known only now: fill the progress totals of this round
        for key in order:
            e = self._entries[key]
            if e.progress is not None:
                wf = e.execution.to_flyte_idl().closure.workflow_id
                planned = self._workflow_nodes.get(f"{wf.project}:{wf.domain}:{wf.name}@{wf.version}", -1)
                e.progress["total"] = max(e.progress["total"], planned)
        return not pending

    def _run_job(self, what: str, target: Any, arg: Any) -> None:
        try:
            self._run_job_unguarded(what, target, arg)
        except RpcFailure as exc:
            if exc.transient or is_server_error(exc) or _ends_watch(exc) or what not in ("data", "error"):
                raise  # retried next refresh (a server error may pass), or the end of the watch
            # A permanent refusal of one execution's data (NOT_FOUND, a server that cannot read its blob...): shown
            # as such and not asked again every refresh; the rest of the board goes on.
            log.info("board: %s of %s refused: %s", what, target.execution.to_flyte_idl().id.name, exc)
            if what == "data":
                target.inputs = target.inputs if target.inputs is not None else {}
                target.outputs, target.outputs_state = {}, "error"
            else:
                target.error = target.execution.to_flyte_idl().closure.error.message

    def _run_job_unguarded(self, what: str, target: Any, arg: Any) -> None:
        if what == "data":
            self._fetch_data(target, terminal=bool(arg))
        elif what == "error":
            full = self.remote.get_execution(target.execution.to_flyte_idl().id)
            target.error = full.closure.error.message
        elif what == "workflow":
            wf = self.remote.get_workflow(arg)
            nodes = wf.closure.compiled_workflow.primary.template.nodes
            self._workflow_nodes[target] = sum(1 for n in nodes if n.id not in ("start-node", "end-node"))
        elif what == "progress":
            self._fetch_progress(target)

    def _fetch_data(self, e: _Entry, *, terminal: bool) -> None:
        resp = self.remote.get_execution_data(e.execution.to_flyte_idl().id)
        e.inputs = _cells(resp.full_inputs, resp.inputs)
        if terminal:
            proto = e.execution.to_flyte_idl()
            succeeded = phases.style("workflow", proto.closure.phase).succeeded
            outputs = _cells(resp.full_outputs, resp.outputs) if succeeded else {}
            e.outputs = outputs
            e.outputs_state = "ready" if outputs else "none"

    def _fetch_progress(self, e: _Entry) -> None:
        nodes = self.remote.list_node_executions(e.execution.to_flyte_idl().id)
        done = running = failed = 0
        shown = 0
        durations: dict[str, float] = {}
        for n in nodes:
            node_id = n.id.node_id
            if node_id in ("start-node", "end-node"):
                continue
            shown += 1
            style = phases.style("node", n.closure.phase)
            if style.terminal:
                done += 1
            else:
                running += 1
            if style.failed:
                failed += 1
            if n.closure.HasField("duration"):
                durations[node_id] = n.closure.duration.ToTimedelta().total_seconds()
        e.progress = {"done": done, "total": shown, "running": running, "failed": failed}
        e.durations = durations


def _ends_watch(exc: RpcFailure) -> bool:
    """An error no retry fixes for any execution of the board: the login or the permission."""
    return not exc.transient and exc.code is not None and exc.code.name in ("UNAUTHENTICATED", "PERMISSION_DENIED")


def _maybe_trimmed(message: str) -> bool:
    # FlyteAdmin cuts list errors to 100 bytes and then to valid UTF-8 (97-100 bytes): such a one may be cut.
    return 97 <= len(message.encode()) <= 100


def _cells(full: Any, blob: Any) -> dict[str, Cell]:
    """A data response's literal map as cells; data too large to be inline shows its size."""
    from ..objects.literal_to_python import to_python  # the literal conversion is only needed once data arrives

    if not full.literals and getattr(blob, "bytes", 0) > 0:
        return {"…": {"text": f"not inline ({int(blob.bytes):,} bytes)", "value": None}}
    out: dict[str, Cell] = {}
    for name in sorted(full.literals):
        try:
            out[name] = cell(to_python(full.literals[name]))
        except Exception as exc:  # one unreadable value must not hide the others
            out[name] = {"text": f"unreadable: {type(exc).__name__}", "value": None}
    return out


# --------------------------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------------------------


def _row(key: str, e: _Entry, metric: str | None) -> BoardRow:
    ex = e.execution
    proto = ex.to_flyte_idl()
    head = header_of(ex)
    lp = proto.spec.launch_plan
    err: BoardError | None = None
    if head["error"] is not None:
        message, _ = cap_text(e.error if e.error is not None else head["error"]["message"], ROW_ERROR_BYTES)
        err = {"kind": head["error"]["kind"], "code": head["error"]["code"], "message": message}
    metric_cell: Cell | None = None
    state = e.outputs_state
    if metric is not None and e.outputs is not None:
        got = e.outputs.get(metric)
        if got is not None:
            metric_cell = got
        elif state == "ready":
            state = "none"
    lp_url = None
    if lp.name:
        try:
            lp_url = safe_url(ex._remote.generate_console_url(lp)) if ex._remote is not None else None
        except Exception:
            lp_url = None
    return {
        "key": key,
        "project": head["project"],
        "domain": head["domain"],
        "name": head["name"],
        "url": head["url"],
        "launch_plan": lp.name,
        "lp_version": lp.version,
        "lp_url": lp_url,
        "workflow": head["workflow"],
        "principal": proto.spec.metadata.principal,
        "phase": head["phase"],
        "label": head["label"],
        "color": head["color"],
        "terminal": head["terminal"],
        "created_at": head["created_at"],
        "started_at": head["started_at"],
        "duration_s": head["duration_s"],
        "progress": dict(e.progress) if e.progress is not None and not head["terminal"] else None,  # type: ignore[typeddict-item]
        "error": err,
        "inputs": dict(e.inputs or {}),
        "metric": metric_cell,
        "outputs_state": state,
    }


def _metric_note(state: BoardState) -> str | None:
    """Why the metric column stays empty: no execution that returned outputs has one by that name (a typo)."""
    if state.metric is None:
        return None
    names: set[str] = set()
    for e in state.entries.values():
        names.update(k for k in (e.outputs or {}) if k != "…")
    if not names or state.metric in names:
        return None
    return f"no execution has an output named {state.metric!r}; their outputs: {', '.join(sorted(names))}"


def _missing_note(state: BoardState) -> str | None:
    """Which of a list of ids FlyteAdmin did not list (a typo, another project's name, a deleted execution)."""
    if not isinstance(state.source, BoardIds):
        return None
    missing = [f"{p}:{d}:{n}" for p, d, n in state.source.ids if f"{p}:{d}:{n}" not in state.entries]
    if not missing:
        return None
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return f"not found on FlyteAdmin: {shown}"


class BoardModel(ExecutionModel):
    """The board's observable state: ``rows`` (key ``"project:domain:name"`` -> :class:`BoardRow`, in board
    order), ``header`` (``source``, ``columns``: the varying inputs, ``metric``, ``total``, ``truncated``,
    ``terminal``: a list of ids that all ended and whose data is fetched; a query never ends; ``metric_note``,
    ``missing_note``: a metric no execution has, ids FlyteAdmin did not list), ``counts`` (phase -> executions)
    and ``sync_status`` as the scheduler sets it. Publishes changed rows like an execution model."""

    def __init__(self, sync: BoardSync | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sync = sync
        self.state: BoardState | None = None

    @property
    def execution_key(self) -> str:
        return ""  # not an execution: models_for() never finds a board

    def node(self, key: str) -> Any:
        """The execution wrapper behind a row."""
        if self.state is None or key not in self.state.entries:
            raise KeyError(f"no execution {key!r} on this board")
        return self.state.entries[key].execution

    def update_from(self, execution: Any) -> int:
        """Publish a refresh's :class:`BoardState`; returns the rows version."""
        state: BoardState = execution
        rows: dict[str, Any] = {k: _row(k, state.entries[k], state.metric) for k in state.order}
        counts: dict[str, int] = {}
        for r in rows.values():
            counts[r["phase"]] = counts.get(r["phase"], 0) + 1
        ids = isinstance(state.source, BoardIds)
        terminal = ids and state.complete and all(r["terminal"] for r in rows.values())
        header = {
            "source": state.source.describe(),
            "kind": "ids" if ids else "query",
            "columns": varying_inputs(rows.values()),
            "metric": state.metric,
            "total": len(rows),
            "truncated": state.truncated,
            "terminal": terminal,
            "metric_note": _metric_note(state),
            "missing_note": _missing_note(state),
        }
        with self._lock, self.batch():
            self.state = state
            old = self._rows
            changed = [row for key, row in rows.items() if old.get(key) != row]
            removed = [key for key in old if key not in rows]
            order_changed = list(old) != list(rows)
            self._rows = rows
            self.header = header
            self.counts = counts
            if changed or removed or order_changed:
                self.rows_version += 1
                for callback in list(self._subscribers):
                    try:
                        callback(self.rows_version, changed, removed)
                    except Exception:
                        log.exception("a rows subscriber of a board failed")
            return self.rows_version
