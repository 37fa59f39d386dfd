"""The front end's files joined into the one module anywidget loads (display/assets.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from flyteexec_widget.display import assets


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    return node


def test_sibling_imports_are_removed_and_nothing_else() -> None:
    source = (
        'import {\n  a,\n  b,\n} from "./widget.js";\n'
        'import { c } from "./timeline.js";\n'
        "const s = 'import { x } from \"./y.js\";';\n"
        "export function f() { return a + b + c; }\n"
    )
    out = assets.strip_sibling_imports(source)
    assert 'from "./widget.js"' not in out
    assert 'from "./timeline.js";\n' not in out
    assert out.startswith("const s = ")  # a string that looks like an import, mid-line, stays
    assert "export function f()" in out


def test_every_module_file_is_listed_and_the_entry_is_last() -> None:
    """A new view file that is not listed would never reach the browser; only the entry has the default export."""
    on_disk = {p.name for p in assets.STATIC.glob("*.js")}
    assert on_disk == set(assets.WIDGET_MODULES) | set(assets.BOARD_MODULES), "list every static/*.js in a module list"
    *rest, entry = assets.WIDGET_MODULES
    assert "export default" in (assets.STATIC / entry).read_text(encoding="utf-8")
    for name in rest:
        assert "export default" not in (assets.STATIC / name).read_text(encoding="utf-8"), name
    # the board's list: the execution widget's modules (their entry's default export dropped), then its own entry
    assert assets.BOARD_MODULES[: len(assets.WIDGET_MODULES)] == assets.WIDGET_MODULES
    assert "export default" in (assets.STATIC / assets.BOARD_MODULES[-1]).read_text(encoding="utf-8")


def test_the_joined_module_parses_and_exports_the_widget(tmp_path: Path) -> None:
    """Duplicate top-level names across files, or a sibling import left in, would fail here (as in the browser)."""
    bundle = tmp_path / "joined.mjs"
    bundle.write_text(assets.joined_module(), encoding="utf-8")
    check = subprocess.run([_node(), "--check", str(bundle)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    probe = (
        f"const m = await import({str(bundle)!r});"
        "if (typeof m.default.render !== 'function' || typeof m.default.initialize !== 'function') process.exit(3);"
    )
    run = subprocess.run([_node(), "--input-type=module", "-e", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_board_module_parses_and_exports_the_board_alone(tmp_path: Path) -> None:
    """The board's module joins widget.js in front of board.js: one default export (the board's), no name clash."""
    joined = assets.joined_module(assets.BOARD_MODULES)
    assert joined.count("export default") == 1
    bundle = tmp_path / "board.mjs"
    bundle.write_text(joined, encoding="utf-8")
    check = subprocess.run([_node(), "--check", str(bundle)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    probe = (
        f"const m = await import({str(bundle)!r});"
        "if (typeof m.default.render !== 'function' || typeof m.boardSort !== 'function') process.exit(3);"
        "if (typeof m.RowFeed !== 'function') process.exit(4);"  # widget.js's helpers are in the same module
    )
    run = subprocess.run([_node(), "--input-type=module", "-e", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "board.css" in assets.BOARD_STYLES
    assert "fxb-table" in assets.stylesheet(assets.BOARD_STYLES)
