"""The one kernel probe: a widget can be shown only in a Jupyter kernel, not in plain Python or terminal IPython."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from flyteexec_widget.display import kernel


def fake_ipython(monkeypatch: pytest.MonkeyPatch, get_ipython: Any) -> None:
    module = types.ModuleType("IPython")
    module.get_ipython = get_ipython  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", module)


def test_plain_python_is_not_a_kernel_and_ipython_is_not_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert kernel.ipython_shell() is None
    assert not kernel.in_kernel()
    assert "IPython" not in sys.modules  # the probe never imports it: wait() in a terminal stays cheap


def test_terminal_ipython_has_a_shell_but_no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = types.SimpleNamespace()  # TerminalInteractiveShell: no .kernel
    fake_ipython(monkeypatch, lambda: shell)
    assert kernel.ipython_shell() is shell
    assert kernel.running_kernel() is None
    assert not kernel.in_kernel()


def test_a_shell_with_a_kernel_is_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    the_kernel = object()
    fake_ipython(monkeypatch, lambda: types.SimpleNamespace(kernel=the_kernel))
    assert kernel.running_kernel() is the_kernel
    assert kernel.in_kernel()


def test_an_unusable_ipython_counts_as_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise RuntimeError("interpreter shutting down")

    fake_ipython(monkeypatch, broken)
    assert kernel.ipython_shell() is None
    assert not kernel.in_kernel()


def test_outside_a_kernel_the_pump_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    with kernel.kernel_pump() as pump:
        pump()  # a no-op, not an error
