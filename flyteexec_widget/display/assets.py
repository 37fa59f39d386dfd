"""The front end's files, joined into the one ES module anywidget loads.

anywidget takes a single module as a string (``_esm``), so a view that lives in a file of its own
(``static/timeline.js`` beside ``static/widget.js``) is joined into it here: the files in :data:`WIDGET_MODULES`
are concatenated in order with their imports of each other (``import {...} from "./x.js";``) removed, which is all
a bundler would do for modules that only import one another. No bundler, no CDN; each file is still a real ES
module that node's test runner imports on its own (tests/unit/js).

Rules for the files (checked by tests/unit/test_assets.py): top-level names are unique across the files; only the
entry file (the last one) of a list has ``export default`` (another list's entry joined in front, as widget.js is in
the board's, has its default export dropped); a file uses what it imports from a sibling only inside functions
and classes, never at its own top level (siblings may import each other in a cycle).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

__all__ = ["BOARD_MODULES", "BOARD_STYLES", "STATIC", "WIDGET_MODULES", "joined_module", "stylesheet"]

STATIC = Path(__file__).parent / "static"

#: The execution widget's modules, entry (``export default``) last.
WIDGET_MODULES: tuple[str, ...] = ("timeline.js", "graph.js", "notify.js", "taskdetails.js", "relaunch.js", "widget.js")

#: The widget's stylesheets, joined in order.
WIDGET_STYLES: tuple[str, ...] = ("widget.css", "timeline.css", "graph.css", "taskdetails.css", "relaunch.css")

#: The board's modules (a widget of its own: ``display/board.py``): the execution widget's helpers, then its entry.
BOARD_MODULES: tuple[str, ...] = (*WIDGET_MODULES, "board.js")

#: The board's stylesheets: the execution widget's (badges, buttons, themes), then its own.
BOARD_STYLES: tuple[str, ...] = (*WIDGET_STYLES, "board.css")

# `import { a, b } from "./sibling.js";` over one or more lines; nothing else is an import of a sibling.
_SIBLING_IMPORT = re.compile(r'^import\s*\{[^}]*\}\s*from\s*"\./[\w.-]+\.js";[ \t]*\n?', re.MULTILINE)


# The default export of an entry joined in front of another entry (one statement on one line, as widget.js ends).
_DEFAULT_EXPORT = re.compile(r"^export default [^\n]*;[ \t]*\n?", re.MULTILINE)


def strip_sibling_imports(source: str) -> str:
    """``source`` without its imports of sibling modules (they are joined into the same module)."""
    return _SIBLING_IMPORT.sub("", source)


@cache
def joined_module(names: tuple[str, ...] = WIDGET_MODULES) -> str:
    """The files ``names`` from ``static/`` joined into one ES module (entry last)."""
    parts = []
    for i, name in enumerate(names):
        text = (STATIC / name).read_text(encoding="utf-8")
        if i < len(names) - 1:
            text = _DEFAULT_EXPORT.sub("", text)
        parts.append(f"// ---- {name} ----\n{strip_sibling_imports(text)}")
    return "\n".join(parts)


@cache
def stylesheet(names: tuple[str, ...] = WIDGET_STYLES) -> str:
    """The stylesheets ``names`` from ``static/`` joined in order."""
    return "\n".join((STATIC / name).read_text(encoding="utf-8") for name in names)
