"""The top-level package: every advertised name resolves, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import flyteexec_widget


def test_every_exported_name_resolves() -> None:
    for name in flyteexec_widget.__all__:
        assert getattr(flyteexec_widget, name) is not None, name


def test_unknown_name_is_a_clear_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        flyteexec_widget.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_import_does_not_load_grpc_or_widgets() -> None:
    code = (
        "import sys, flyteexec_widget; "
        "print(sorted(m for m in ('grpc', 'ipywidgets', 'anywidget', 'flytekit') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_selected_output_is_public_where_the_view_says() -> None:
    # The view's tooltip tells users to call flyteexec_widget.selected_output(); it must resolve there.
    from flyteexec_widget.display import widget

    assert flyteexec_widget.selected_output is widget.selected_output
    assert "flyteexec_widget.selected_output()" in (widget._STATIC / "widget.js").read_text()
