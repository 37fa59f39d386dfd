"""Static renderings of an execution's state: a text tree (``text/plain``, terminals) and an HTML snapshot.

Both read only the plain data of an :class:`~flyteexec_widget.live.model.ExecutionModel` (``header``, ``counts``,
``sync_status`` and the node rows, whose schema is :mod:`~flyteexec_widget.live.rows`), so they can be tested with
exact strings and carry nothing but what the widget shows. Server text is untrusted: the HTML escapes all of it
with ``html.escape`` and links only what :func:`~flyteexec_widget.live.rows.safe_url` lets through; the text tree
shows control characters, escape sequences and bidi controls as visible escapes
(:func:`~flyteexec_widget.admin.plaintext.printable`).
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..admin.plaintext import printable
from ..live.rows import INVALID_TIME, MAX_ERROR_BYTES, safe_url
from ..objects import phases

__all__ = [
    "ExecutionState",
    "error_summary",
    "exception_line",
    "failure_text",
    "fmt_duration",
    "html_snapshot",
    "ordered_rows",
    "render_html",
    "render_saved_html",
    "render_text",
    "text_tree",
]

Row = Mapping[str, Any]

#: Text and HTML stop after this many node rows (a wide execution has 10,000): "... N more nodes".
MAX_TEXT_ROWS = 200
MAX_HTML_ROWS = 500
#: An array with more subtasks than this lists only its failed ones (widget.js EXPAND_ALL_MAX_SUBTASKS).
MAX_LISTED_SUBTASKS = 20
#: A snapshot's row shows at most this many log links, then "and N more" (widget.js ROW_LOG_LINES).
ROW_LOG_LINES = 6

_CSS_PATH = Path(__file__).parent / "static" / "widget.css"


class ExecutionState(Protocol):
    """The read-only part of ``ExecutionModel`` the renderers use."""

    @property
    def header(self) -> Mapping[str, Any]: ...

    @property
    def counts(self) -> Mapping[str, Any]: ...

    @property
    def sync_status(self) -> Mapping[str, Any]: ...

    @property
    def rows(self) -> Mapping[str, Row]: ...


def fmt_duration(seconds: float | None) -> str:
    """``0.4s``, ``12s``, ``1m 05s``, ``2h 03m``, ``3d 04h``; ``""`` for ``None``. Same rules as widget.js."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    s = max(0.0, float(seconds))
    if s < 10:
        return f"{math.floor(s * 10) / 10:.1f}s"
    total = int(s)
    if total < 60:
        return f"{total}s"
    m, sec = divmod(total, 60)
    if m < 60:
        return f"{m}m {sec:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h {m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d {h:02d}h"


def _parse_time(value: Any) -> _dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)


def _fmt_time(value: Any) -> str:
    """An ISO timestamp as ``2026-11-27 10:52:20 UTC`` (the snapshot is read later, anywhere: UTC, explicit)."""
    t = _parse_time(value)
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if t else ""


def _invalid(item: Mapping[str, Any], *fields: str) -> bool:
    """Whether the server sent any of ``fields`` out of range (``invalid_times``): shown as "invalid time"."""
    bad = item.get("invalid_times") or ()
    return any(f in bad for f in fields)


def _elapsed_text(header: Mapping[str, Any], now: _dt.datetime | None) -> str:
    text = fmt_duration(_elapsed(header, now))
    return text or (INVALID_TIME if _invalid(header, "started_at", "duration_s") else "")


def _now(now: _dt.datetime | None) -> _dt.datetime:
    return now if now is not None else _dt.datetime.now(_dt.timezone.utc)


def _elapsed(header: Mapping[str, Any], now: _dt.datetime | None) -> float | None:
    """The final duration once terminal, else the time since it started (None before it started)."""
    if header.get("terminal") and header.get("duration_s") is not None:
        return float(header["duration_s"])
    started = _parse_time(header.get("started_at"))
    if started is None:
        return header.get("duration_s")
    return max(0.0, (_now(now) - started).total_seconds())


def _sort_key(item: tuple[int, Row]) -> tuple[int, str, int]:
    index, row = item
    created = row.get("created_at")
    return (0 if created else 1, created or "", index)


def ordered_rows(rows: Mapping[str, Row] | Iterable[Row]) -> list[Row]:
    """Rows depth-first: children under their parent, siblings by ``created_at`` (as the console), then arrival.

    A row whose parent is missing is shown at the top level rather than lost.
    """
    items = list(rows.values()) if isinstance(rows, Mapping) else list(rows)
    keys = {r["key"] for r in items}
    children: dict[str, list[tuple[int, Row]]] = {}
    for i, r in enumerate(items):
        parent = r.get("parent") or ""
        children.setdefault(parent if parent in keys else "", []).append((i, r))
    out: list[Row] = []
    stack: list[Row] = [r for _, r in sorted(children.get("", []), key=_sort_key)][::-1]
    seen: set[str] = set()
    while stack:
        row = stack.pop()
        if row["key"] in seen:  # a cycle in bad data must not loop forever
            continue
        seen.add(row["key"])
        out.append(row)
        kids = children.get(row["key"])
        if kids:  # most rows have none: a saved snapshot of 10,000 rows sorted 10,000 empty lists twice
            stack.extend(r for _, r in sorted(kids, key=_sort_key, reverse=True))
    return out


def _first_line(text: Any, limit: int = 160) -> str:
    s = str(text or "").strip()
    line = s.splitlines()[0] if s else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def phase_style(name: str) -> phases.PhaseStyle:
    """The style of a phase given by name: a node phase, else a task phase (array subtasks), else neutral."""
    if name == phases.NOT_STARTED:
        return phases.NOT_STARTED_STYLE
    for kind, enum_cls in (("node", phases.NodePhase), ("task", phases.TaskPhase)):
        member = enum_cls.__members__.get(name)
        if member is not None:
            return phases.style(kind, member)  # type: ignore[arg-type]
    return phases.PhaseStyle(name, "undefined", False)


_TRACEBACK = "Traceback (most recent call last):"
#: An exception line: ``ValueError: boom``, ``requests.exceptions.ConnectionError: ...``, or a bare ``KeyError``.
_EXCEPTION_LINE = re.compile(r"(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?::\s.*|Error|Exception|Interrupt|Exit)")
#: What propeller puts before a node's error in the execution's: "failed at Node[n1]. USER: USER:E, caused by: ".
_LEAD_IN = re.compile(r"^\s*failed at Node\[[^\]]*\]\.\s*[^,]*?,\s*caused by:\s*")
_NAMED_NODE = re.compile(r"failed at Node\[([^\]\s]+)\]")


def exception_line(message: Any) -> str:
    """The line of an error message that says what went wrong: in a Python traceback, the last line that looks
    like ``SomeError: message`` (the exception finally raised, also past chained ones and flytekit's indented
    "Message:" block); else the first line. Same rule as widget.js's ``exceptionLine``."""
    lines = str(message or "").strip().splitlines()
    for at, line in enumerate(lines):
        if _TRACEBACK in line:
            for cand in reversed(lines[at + 1 :]):
                if _EXCEPTION_LINE.fullmatch(cand.strip()):
                    return cand.strip()
            break
    return lines[0].strip() if lines else ""


def error_summary(message: Any, limit: int = 160) -> str:
    """:func:`exception_line`, cut to ``limit`` characters."""
    line = exception_line(message)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def strip_lead_in(message: Any) -> str:
    """An execution's error without propeller's "failed at Node[..]. KIND: CODE, caused by: " lead-ins (the
    header names the node itself, and the kind is in the code already)."""
    text = str(message or "")
    while True:
        cut = _LEAD_IN.sub("", text, count=1)
        if cut == text:
            return text
        text = cut


def failure_text(header: Mapping[str, Any], rows: Mapping[str, Row] | None = None, limit: int = 160) -> str:
    """The header's error line: "Failed at <node>: <exception line>", or the error's own line without a node
    (an abort: "Aborted: <cause>"). The exception line is the execution's error's, or, where ``failed_at`` is a
    node that error does not name (it named a rejected gate, or only the parent), that node's own."""
    err = header.get("error")
    if not isinstance(err, Mapping):
        return ""
    if err.get("kind") == "ABORTED":
        return _first_line("Aborted: " + str(err.get("message") or ""), limit)
    at = header.get("failed_at")
    message = strip_lead_in(err.get("message"))
    if (
        isinstance(at, Mapping)
        and rows is not None
        and at.get("node_id") not in _NAMED_NODE.findall(str(err.get("message") or ""))
    ):
        row_error = (rows.get(str(at.get("key"))) or {}).get("error")
        if isinstance(row_error, Mapping) and row_error.get("message"):
            message = str(row_error["message"])
    what = error_summary(message, limit) or str(err.get("code") or "")
    if isinstance(at, Mapping) and at.get("name"):
        node = str(at["name"]) + (f" ({at['node_id']})" if at.get("node_id") and at["node_id"] != at["name"] else "")
        return _first_line(f"Failed at {node}: {what}", limit)
    return what


def progress_text(counts: Mapping[str, Any]) -> str:
    """``"4 of 6 nodes done"``: node rows whose phase is terminal, of all node rows (planned ones included)."""
    total = sum(int(n) for n in counts.values())
    done = sum(int(n) for name, n in counts.items() if phase_style(name).terminal)
    return f"{done} of {total} nodes done" if total else ""


def shards_text(subtasks: Mapping[str, Any]) -> str:
    """``"8 of 8 shards"``: an array node's subtasks in a terminal phase, of all of them (latest retry each)."""
    counts = subtasks.get("counts") or {}
    done = sum(int(n) for name, n in counts.items() if _task_style(name).terminal)
    return f"{done} of {subtasks.get('total', 0)} shards"


def _task_style(name: str) -> phases.PhaseStyle:
    member = phases.TaskPhase.__members__.get(name)
    return phases.style("task", member) if member is not None else phase_style(name)


def _count_parts(counts: Mapping[str, Any]) -> list[tuple[str, str, str, int]]:
    """``(name, label, color, n)`` per phase with n > 0: node phases in the enum's order, then the others."""
    order = [m.name for m in phases.NodePhase] + [phases.NOT_STARTED] + [m.name for m in phases.TaskPhase]
    names = sorted((n for n, c in counts.items() if c), key=lambda n: order.index(n) if n in order else len(order))
    parts = []
    for name in names:
        s = phase_style(name)
        parts.append((name, s.label, s.color, int(counts[name])))
    return parts


def _finished_at(header: Mapping[str, Any]) -> _dt.datetime | None:
    """When a terminal execution ended (its start plus its duration), else None (widget.js finishedAt)."""
    if not header.get("terminal"):
        return None
    start = _parse_time(header.get("started_at")) or _parse_time(header.get("created_at"))
    if start is None:
        return None
    return start + _dt.timedelta(seconds=float(header.get("duration_s") or 0))


def _sync_text(
    sync: Mapping[str, Any],
    now: _dt.datetime | None,
    *,
    absolute: bool = False,
    finished: _dt.datetime | None = None,
) -> str:
    """The sync line; ``absolute``: "last synced <UTC time>" (a saved snapshot is read later), not "... ago". Once
    the execution is final: "final (finished <UTC time>)" from ``finished``, else from the last sync."""
    state = sync.get("state") or ""
    if state == "reconnecting":
        cause = _first_line(sync.get("server_error"))
        text = "reconnecting (" + (f"server error: {cause}; " if cause else "") + f"attempt {sync.get('attempt') or 1}"
        nxt = _parse_time(sync.get("next_retry_at"))
        if nxt is not None:
            text += f", next in {fmt_duration(max(0.0, (nxt - _now(now)).total_seconds()))}"
        return text + ")"
    if state == "login":  # the message says what to do; the link is where a login under way waits
        url = safe_url(sync.get("login_url"))
        return (_first_line(sync.get("last_error")) or "log in again") + (f" ({url})" if url else "")
    last = _parse_time(sync.get("last_synced_at"))
    if last is None:
        ago = ""
    elif absolute:
        ago = f"last synced {_fmt_time(sync.get('last_synced_at'))}"
    else:
        ago = f"last synced {fmt_duration(max(0.0, (_now(now) - last).total_seconds()))} ago"
    if state == "error":
        return "sync failed: " + _first_line(sync.get("last_error")) + (f" ({ago})" if ago else "")
    if state == "stopped":
        return "not watching" + (f" ({ago})" if ago else "")
    if state == "done":
        end = finished or last
        return f"final (finished {_fmt_time(end.isoformat())})" if end else "final"
    return ago


def _exec_ref(header: Mapping[str, Any]) -> str:
    return "/".join(str(header.get(k) or "") for k in ("project", "domain", "name"))


def _attempts_title(row: Row) -> str:
    """A retried row's attempts on hover in the saved snapshot ("#1 Failed, #2 Succeeded"), from its
    ``attempt_spans``; "" when it has none."""
    spans = row.get("attempt_spans") or []
    if not spans:
        return ""
    names = [f"#{i + 1} {phase_style(str(s.get('phase') or '')).label}" for i, s in enumerate(spans)]
    return f' title="{_e(", ".join(names))}"'


def _row_facts(row: Row) -> list[str]:
    """The short facts after a row's badge: duration, attempts, cache, subtask counts, gate."""
    facts = []
    duration = fmt_duration(row.get("duration_s"))
    if duration:
        facts.append(duration)
    if row.get("invalid_times"):  # one bad time from the server: said once, the rest of the row stands
        facts.append(INVALID_TIME)
    if (row.get("queued_s") or 0) >= 0.1:  # below that it is noise, not a wait
        facts.append(f"queued {fmt_duration(row['queued_s'])}")
    if (row.get("attempts") or 0) > 1:
        facts.append(f"attempts {row['attempts']}")
    if row.get("cache") and row.get("cache") != "disabled":
        facts.append(f"cache {row['cache']}")
    sub = row.get("subtasks")
    if sub:
        parts = [f"{n} {label}" for _, label, _, n in _count_parts(sub.get("counts", {}))]
        facts.append(f"{shards_text(sub)}: " + ", ".join(parts))
    gate = row.get("gate")
    if gate:
        facts.append(f"waiting for {gate.get('kind')} {gate.get('signal_id') or ''}".rstrip())
    child = row.get("child")
    if isinstance(child, Mapping) and child.get("name"):
        facts.append(f"→ {child['name']}")
    note = _attempt_note(row)
    if note:
        facts.append(note)
    return facts


def _current(rows: list[Row]) -> list[Row]:
    """The rows without those of a retried parent's earlier attempts (the widget shows them behind a switch)."""
    return [r for r in rows if not r.get("superseded")]


def _listed(rows: list[Row]) -> list[Row]:
    """The rows a snapshot lists: :func:`_current`, and of an array with more than :data:`MAX_LISTED_SUBTASKS`
    subtasks only the failed ones (at most that many): its row counts them all, and 10,000 subtask rows would push
    the nodes after them past the row limit (the live view's "Expand all" leaves such arrays collapsed too)."""
    big = {
        r["key"]
        for r in rows
        if isinstance(r.get("subtasks"), Mapping) and int(r["subtasks"].get("total") or 0) > MAX_LISTED_SUBTASKS
    }
    failed_kept: dict[str, int] = {}
    out = []
    for r in _current(rows):
        parent = r.get("parent") or ""
        if r.get("kind") == "subtask" and parent in big:
            if not phase_style(str(r.get("phase") or "")).failed or failed_kept.get(parent, 0) >= MAX_LISTED_SUBTASKS:
                continue
            failed_kept[parent] = failed_kept.get(parent, 0) + 1
        out.append(r)
    return out


def _attempt_note(row: Row) -> str:
    """``"children of attempt 2 (1 earlier attempt not shown)"`` for a retried parent, else ``""``."""
    groups = row.get("attempt_groups") or []
    if len(groups) < 2:
        return ""
    earlier = len(groups) - 1
    return f"children of attempt {groups[-1] + 1} ({earlier} earlier attempt{'s' if earlier > 1 else ''} not shown)"


def text_tree(state: ExecutionState, *, now: _dt.datetime | None = None, max_rows: int = MAX_TEXT_ROWS) -> str:
    """The execution as a text tree (rich-style guides). ``now`` fixes the clock for elapsed times (tests)."""
    h = state.header
    lines: list[str] = []
    title = "  ".join(
        p
        for p in (
            str(h.get("workflow") or ""),
            _exec_ref(h),
            f"[{h.get('label') or 'Unknown'}]",
            _elapsed_text(h, now),
        )
        if p
    )
    lines.append(title)
    url = safe_url(h.get("url"))
    if url:
        lines.append(url)
    parts = _count_parts(state.counts)
    if parts:
        progress = progress_text(state.counts)
        lines.append(f"{progress}: " + ", ".join(f"{n} {label}" for _, label, _, n in parts))
    sync = _sync_text(state.sync_status, now, finished=_finished_at(h))
    if sync:
        lines.append(sync)
    failure = failure_text(h, state.rows)
    if failure:
        lines.append("error: " + failure)

    rows = _listed(ordered_rows(state.rows))
    shown = rows[:max_rows]
    # A row is "last" among its siblings when no later row (in the shown order) has the same parent.
    last_of_parent: dict[str, str] = {}
    for r in shown:
        last_of_parent[r.get("parent") or ""] = r["key"]
    open_guides: dict[int, bool] = {}  # depth -> whether the ancestor at that depth has later siblings
    for r in shown:
        depth = int(r.get("depth") or 0)
        is_last = last_of_parent.get(r.get("parent") or "") == r["key"]
        prefix = "".join("│  " if open_guides.get(d) else "   " for d in range(depth))
        open_guides[depth] = not is_last
        name = str(r.get("name") or r.get("node_id") or r["key"])
        head = [name]
        if r.get("node_id") and r.get("node_id") != name:
            head.append(str(r["node_id"]))
        head.append(f"({r.get('kind') or 'node'})")
        head.append(f"[{r.get('label') or r.get('phase') or 'Unknown'}]")
        line = prefix + ("└─ " if is_last else "├─ ") + "  ".join([" ".join(head), *_row_facts(r)])
        lines.append(line)
        error = r.get("error")
        if error and error.get("message"):
            cont = prefix + ("   " if is_last else "│  ")
            lines.append(cont + "error: " + error_summary(error["message"]))
    if len(rows) > len(shown):
        lines.append(f"… {len(rows) - len(shown)} more nodes")
    # Line by line: a newline or an escape sequence inside a server string (a name, an error) shows as an escape
    # instead of forging a line or driving the terminal.
    return "\n".join(printable(line) for line in lines)


def render_text(state: ExecutionState) -> str:
    """:func:`text_tree` at the current time."""
    return text_tree(state)


# ---------------------------------------------------------------------------------------------------------------
# HTML snapshot
# ---------------------------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def _link(url: Any, text: Any) -> str:
    """An ``<a>`` to an http(s) ``url`` opening in a new tab, else the escaped text alone."""
    safe = safe_url(url)
    if safe is None:
        return _e(text)
    return f'<a href="{_e(safe)}" target="_blank" rel="noopener noreferrer">{_e(text)}</a>'


def _badge(label: Any, color: Any) -> str:
    token = "".join(c for c in str(color or "undefined") if c.isalnum() or c == "-") or "undefined"
    return f'<span class="fxw-badge fxw-badge--{token}">{_e(label or "Unknown")}</span>'


def _css() -> str:
    try:
        return _CSS_PATH.read_text(encoding="utf-8")
    except OSError:  # the snapshot stays readable without the stylesheet
        return ""


#: With a saved snapshot, in the output before the live view (widget.ExecutionWidget._ipython_display_): a
#: notebook front end built on JupyterLab's output area (JupyterLab, Notebook 7, Voila) shows one of the two. The
#: snapshot is hidden while the live view after it is on screen; the widget's output is hidden while it has no
#: live view: its model is missing (kernel gone: "Error displaying widget: model not found") or not restored yet
#: (a page reloaded while a cell runs: "Loading widget..."), and the snapshot shows instead.
SAVED_CSS = (
    ".jp-OutputArea-child:has(.fxw-saved):has(+ .jp-OutputArea-child .fxw-live){display:none}"
    # The widget renderer's output carries no data-mime-type (rendermime's renderers all set one).
    ".jp-OutputArea-child:has(.fxw-saved)"
    "+.jp-OutputArea-child:has(> .jp-OutputArea-output:not([data-mime-type])):not(:has(.fxw-live)){display:none}"
)


#: The snapshot table's columns (the live view's, widget.js COLUMNS): the kind is a tag after the name, a failed
#: node's exception line a row of its own under it.
_STATIC_COLUMNS = (
    ("name", "Node"),
    ("status", "Status"),
    ("start", "Started"),
    ("dur", "Duration"),
    ("attempts", '<span title="Attempts">#</span>'),
    ("cache", "Cache"),
    ("logs", "Logs"),
)


def _static_logs(r: Row) -> str:
    """A row's log links, one a line: the latest attempts' past :data:`ROW_LOG_LINES`, and "and N more"."""
    links = [lg for lg in (r.get("logs") or []) if isinstance(lg, Mapping) and safe_url(lg.get("uri"))]
    multi = len({lg.get("attempt") or 0 for lg in links}) > 1
    omitted = max(0, int(r.get("logs_omitted") or 0))
    total = len(links) + omitted
    if total > ROW_LOG_LINES or omitted:
        latest_first = sorted(links, key=lambda lg: -(lg.get("attempt") or 0))[: ROW_LOG_LINES - 1]
        links = [lg for lg in links if any(lg is k for k in latest_first)]

    def label(lg: Mapping[str, Any]) -> str:
        name = str(lg.get("name") or "log")
        return f"{name} #{(lg.get('attempt') or 0) + 1}" if multi else name

    lines = [f"<div>{_link(lg.get('uri'), label(lg))}</div>" for lg in links]
    if total > len(links):
        lines.append(f'<div class="fxw-log-more">and {total - len(links):,} more</div>')
    return "".join(lines)


def _attempts_cell(r: Row) -> str:
    """The attempts cell: the count, or "…" while a watch has not listed them yet (never a wrong 0)."""
    if r.get("attempts", 0) is None:
        return '<td class="fxw-sc-attempts" title="Attempts not listed yet">…</td>'
    return f'<td class="fxw-sc-attempts"{_attempts_title(r)}>{_e(r.get("attempts") or "")}</td>'


def _static_row(r: Row) -> list[str]:
    """One node's ``<tr>`` (and a second one with its exception line when it failed)."""
    depth = int(r.get("depth") or 0)
    # widget.js indentPx: 16 px a level for 4 levels, 6 px a level after, at most 100 px (and 4 px of padding)
    indent = 4 + min(100, min(depth, 4) * 16 + max(0, depth - 4) * 6)
    name = f'<span class="fxw-name">{_e(r.get("name") or r.get("node_id") or r.get("key"))}</span>'
    node_id = r.get("node_id")
    if node_id and node_id != r.get("name") and r.get("kind") != "subtask":
        name += f' <span class="fxw-nodeid">{_e(node_id)}</span>'
    kind = r.get("kind")
    if kind and kind not in ("task", "subtask"):
        name += f' <span class="fxw-kindtag">{_e(kind)}</span>'
    child = r.get("child")
    if isinstance(child, Mapping) and child.get("name"):
        name += " → " + _link(child.get("url"), child.get("name"))
    if _attempt_note(r):
        name += f' <span class="fxw-attempt-note">{_e(_attempt_note(r))}</span>'
    status = _badge(r.get("label") or r.get("phase"), r.get("color"))
    sub = r.get("subtasks")
    if isinstance(sub, Mapping):
        counts = ", ".join(f"{n:,} {label}" for _, label, _, n in _count_parts(sub.get("counts", {})))
        status += f' <span class="fxw-shards">{_e(shards_text(sub))}</span>'
        if counts:
            status += f' <span class="fxw-subtasks">{_e(counts)}</span>'
    duration = fmt_duration(r.get("duration_s")) or (INVALID_TIME if _invalid(r, "duration_s") else "")
    if (r.get("queued_s") or 0) >= 0.1:
        duration += f" (queued {fmt_duration(r['queued_s'])})"
    started = _fmt_time(r.get("started_at")) or (INVALID_TIME if _invalid(r, "started_at") else "")
    error = r.get("error")
    message = error.get("message") or error.get("code") if isinstance(error, Mapping) else None
    cells = [
        f'<td class="fxw-sc-name" style="padding-left:{indent}px">{name}</td>',
        f'<td class="fxw-sc-status">{status}</td>',
        f'<td class="fxw-sc-start">{_e(started)}</td>',
        f'<td class="fxw-sc-dur">{_e(duration)}</td>',
        _attempts_cell(r),
        f'<td class="fxw-sc-cache">{_e(r.get("cache") or "")}</td>',
        f'<td class="fxw-sc-logs">{_static_logs(r)}</td>',
    ]
    cls = ' class="fxw-sr-haserr"' if message else ""
    out = [f'<tr data-key="{_e(r.get("key"))}" data-phase="{_e(r.get("phase"))}"{cls}>{"".join(cells)}</tr>']
    if message:
        line = f'<span class="fxw-error">{_e(error_summary(message, 400))}</span>'
        out.append(
            f'<tr class="fxw-sr-err"><td colspan="{len(cells)}" style="padding-left:{indent + 20}px">{line}</td></tr>'
        )
    return out


def _header_error(h: Mapping[str, Any], rows: Mapping[str, Row]) -> str:
    """The header's error as the live view shows it (widget.js ``errorView``): the failure line
    (:func:`failure_text`, propeller's lead-ins dropped) once, the whole message folded under it."""
    err = h.get("error")
    msg = (err.get("message") or err.get("code")) if isinstance(err, Mapping) else err
    summary = failure_text(h, rows) or error_summary(msg)
    capped = ""
    if isinstance(err, Mapping) and err.get("capped"):
        capped = f'<div class="fxw-more">… cut at {MAX_ERROR_BYTES // 1024} KB (the live view shows all)</div>'
    return (
        '<div class="fxw-header-error"><details class="fxw-errview">'
        f'<summary class="fxw-error">{_e(summary)}</summary><pre class="fxw-error-full">{_e(msg)}</pre>{capped}'
        "</details></div>"
    )


def html_snapshot(
    state: ExecutionState,
    *,
    now: _dt.datetime | None = None,
    max_rows: int = MAX_HTML_ROWS,
    include_css: bool = True,
    saved: bool = False,
) -> str:
    """A static HTML copy of the widget's last state (nbconvert, GitHub, a notebook saved without widget state).

    ``saved``: the saved-snapshot output shown instead of the live view when it cannot be (marked as a saved
    snapshot with the time it was taken, and carrying :data:`SAVED_CSS`). Every server string is escaped; only
    http(s) links are kept; no script, no iframe.
    """
    h = state.header
    out: list[str] = []
    if include_css:
        out.append(f"<style>{_css()}{SAVED_CSS if saved else ''}</style>")
    out.append('<div class="fxw fxw-static fxw-saved">' if saved else '<div class="fxw fxw-static">')
    if saved:
        taken = _now(now).astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        out.append(
            f'<div class="fxw-saved-note"><b>Saved snapshot</b>, taken {_e(taken)}. The live view shows here once '
            "the kernel that ran this cell is back and free; after a kernel restart, run the cell again.</div>"
        )
    out.append('<div class="fxw-header"><div class="fxw-title">')
    out.append(f'<span class="fxw-wf">{_e(h.get("workflow"))}</span> ')
    out.append(_link(h.get("url"), _exec_ref(h)) + " ")
    out.append(_badge(h.get("label"), h.get("color")) + " ")
    out.append(f'<span class="fxw-elapsed">{_e(_elapsed_text(h, now))}</span>')
    out.append("</div>")
    parts = _count_parts(state.counts)
    if parts:
        chips = " ".join(f"{_badge(f'{n} {label}', color)}" for _, label, color, n in parts)
        progress = f'<span class="fxw-done">{_e(progress_text(state.counts))}</span> '
        out.append(f'<div class="fxw-counts">{progress}{chips}</div>')
    sync = _sync_text(state.sync_status, now, absolute=saved, finished=_finished_at(h))
    if sync:
        out.append(f'<div class="fxw-sync">{_e(sync)}</div>')
    err = h.get("error")
    if err:
        out.append(_header_error(h, state.rows))
    out.append("</div>")

    rows = _listed(ordered_rows(state.rows))
    shown = rows[:max_rows]
    # Auto layout (JupyterLab's rendered HTML fixes it: columns of equal width whose text overlaps); the columns
    # give way by priority when the output is narrow (widget.css, container queries), as the live view's do.
    out.append('<table class="fxw-static-table" style="table-layout:auto"><thead><tr>')
    for col, label in _STATIC_COLUMNS:
        out.append(f'<th class="fxw-sc-{col}">{label}</th>')
    out.append("</tr></thead><tbody>")
    for r in shown:
        out.extend(_static_row(r))
    out.append("</tbody></table>")
    if len(rows) > len(shown):
        out.append(f'<div class="fxw-more">… {len(rows) - len(shown)} more nodes</div>')
    out.append("</div>")
    return "".join(out)


def render_html(state: ExecutionState) -> str:
    """:func:`html_snapshot` at the current time."""
    return html_snapshot(state)


def render_saved_html(state: ExecutionState) -> str:
    """The saved snapshot (:func:`html_snapshot` with ``saved``) at the current time."""
    return html_snapshot(state, saved=True)
