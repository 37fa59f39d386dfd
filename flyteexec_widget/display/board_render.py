"""The board without a live view: a text table (``text/plain``, terminals) and a static HTML table (``text/html``),
also as the saved snapshot a displayed board leaves in the notebook (shown when its live view cannot be: the
notebook reopened without its kernel, nbconvert, GitHub). Same columns as ``static/board.js`` (``boardColumns``);
every server string escaped, only http(s) links kept.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from .render import _badge, _css, _e, _link, _parse_time, exception_line, fmt_duration

__all__ = ["BOARD_SAVED_CSS", "MAX_TEXT_ROWS", "board_html", "board_text"]

#: Rows of the text table (the HTML snapshot has them all: a board holds at most its query's limit).
MAX_TEXT_ROWS = 50

#: As render.SAVED_CSS for the execution widget: a JupyterLab-based front end shows the live board when it is
#: rendered (the next output holds ``.fxb``), else this snapshot.
BOARD_SAVED_CSS = (
    ".jp-OutputArea-child:has(.fxb-saved):has(+ .jp-OutputArea-child .fxb){display:none}"
    ".jp-OutputArea-child:has(.fxb-saved)"
    "+.jp-OutputArea-child:has(> .jp-OutputArea-output:not([data-mime-type])):not(:has(.fxb)){display:none}"
    ".fxb-static table{border-collapse:collapse}.fxb-static td,.fxb-static th{padding:2px 8px;text-align:left;"
    "white-space:nowrap;border-bottom:1px solid var(--fxw-border)}.fxb-static .fxb-error{color:var(--fxw-err)}"
)


def _duration(row: Mapping[str, Any], now: _dt.datetime) -> str:
    if row.get("terminal") and row.get("duration_s") is not None:
        return fmt_duration(float(row["duration_s"]))
    started = _parse_time(row.get("started_at"))
    return fmt_duration((now - started).total_seconds()) if started is not None else ""


def _cells(row: Mapping[str, Any], header: Mapping[str, Any], now: _dt.datetime) -> list[tuple[str, str]]:
    """``(heading, text)`` of each column of a row, in the board's order."""
    out = [("Execution", str(row.get("name") or "")), ("Status", str(row.get("label") or row.get("phase") or ""))]
    inputs = row.get("inputs") or {}
    for name in header.get("columns") or []:
        out.append((name, str((inputs.get(name) or {}).get("text", ""))))
    metric = header.get("metric")
    if metric:
        out.append((metric, str((row.get("metric") or {}).get("text", ""))))
    p = row.get("progress")
    out.append(("Progress", f"{p['done']} of {p['total']} nodes" if p else ""))
    out.append(("Duration", _duration(row, now)))
    out.append(("Launch plan", f"{row.get('launch_plan') or row.get('workflow') or ''} {row.get('lp_version') or ''}"))
    err = row.get("error")
    out.append(("Error", exception_line(err.get("message")) if err else ""))
    return out


def board_text(rows: Sequence[Mapping[str, Any]], header: Mapping[str, Any], *, now: _dt.datetime | None = None) -> str:
    """The board as aligned text columns (the first :data:`MAX_TEXT_ROWS` rows, in board order)."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    title = f"Board: {header.get('source', '')} · {len(rows)} execution{'s' if len(rows) != 1 else ''}"
    title += "".join(f"\n{n}" for n in (header.get("missing_note"), header.get("metric_note")) if n)
    if not rows:
        return title + "\n(no executions match yet)"
    table = [_cells(r, header, now) for r in rows[:MAX_TEXT_ROWS]]
    heads = [h for h, _ in table[0]]
    cols = list(zip(*[[t for _, t in line] for line in table], strict=True))
    widths = [min(60, max(len(h), *(len(t) for t in col))) for h, col in zip(heads, cols, strict=True)]

    def line(texts: Sequence[str]) -> str:
        cut = [t if len(t) <= w else t[: w - 1] + "…" for t, w in zip(texts, widths, strict=True)]
        return "  ".join(t.ljust(w) for t, w in zip(cut, widths, strict=True)).rstrip()

    out = [title, line(heads)] + [line([t for _, t in cells]) for cells in table]
    if len(rows) > MAX_TEXT_ROWS:
        out.append(f"… and {len(rows) - MAX_TEXT_ROWS} more")
    return "\n".join(out)


def board_html(
    rows: Sequence[Mapping[str, Any]],
    header: Mapping[str, Any],
    *,
    saved: bool = False,
    now: _dt.datetime | None = None,
) -> str:
    """The board as a static HTML table; ``saved``: marked as the saved snapshot (with its CSS)."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    out = [f"<style>{_css()}{BOARD_SAVED_CSS}</style>"]
    out.append('<div class="fxw fxb-static fxb-saved">' if saved else '<div class="fxw fxb-static">')
    if saved:
        taken = now.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        out.append(
            f'<div class="fxw-saved-note"><b>Saved snapshot</b> of the board, taken {_e(taken)}. The live board '
            "shows here once the kernel that ran this cell is back and free.</div>"
        )
    out.append(f"<div><b>Board: {_e(header.get('source', ''))}</b> · {len(rows)} executions</div>")
    out.extend(f"<div>{_e(n)}</div>" for n in (header.get("missing_note"), header.get("metric_note")) if n)
    if rows:
        heads = [h for h, _ in _cells(rows[0], header, now)]
        out.append("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>")
        for r in rows:
            cells = _cells(r, header, now)
            tds = [f"<td>{_link(r.get('url'), cells[0][1])}</td>", f"<td>{_badge(r.get('label'), r.get('color'))}</td>"]
            rest = cells[2:]
            for i, (_head, text) in enumerate(rest):
                cls = ' class="fxb-error"' if i == len(rest) - 1 else ""  # the error is the last column
                tds.append(f"<td{cls}>{_e(text)}</td>")
            out.append("<tr>" + "".join(tds) + "</tr>")
        out.append("</tbody></table>")
    out.append("</div>")
    return "".join(out)
