"""Displaying flytekit's own ``FlyteWorkflowExecution`` shows the live widget: an IPython display formatter.

Registered by class name (``IPythonDisplayFormatter.for_type_by_name``), so flytekit is never imported and its
classes are not patched; the formatter applies to flytekit's class and its subclasses once flytekit is loaded.
Importing this module is cheap (no grpc, no widget library): the printer loads the display layer when it runs.

When: ``import flyteexec_widget`` registers it if a Jupyter kernel is running (unless the environment variable
:data:`OFF_VARIABLE` is ``0``), and ``%load_ext flyteexec_widget`` does (also from an IPython profile's
``extensions``). Off: ``flyteexec_widget.flytekit_display(False)`` or ``%unload_ext flyteexec_widget``; flytekit's
own text repr shows again. Not in a terminal IPython: there flytekit's repr stays.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ..admin import ipython

__all__ = ["OFF_VARIABLE", "is_registered", "register", "register_at_import", "unregister"]

log = logging.getLogger(__name__)

#: ``FLYTEEXEC_WIDGET_FLYTEKIT_DISPLAY=0`` keeps ``import flyteexec_widget`` from registering the formatter.
OFF_VARIABLE = "FLYTEEXEC_WIDGET_FLYTEKIT_DISPLAY"

_MODULE, _NAME = "flytekit.remote.executions", "FlyteWorkflowExecution"


def _show(obj: Any) -> None:
    """The printer: our live widget for flytekit's execution (see :func:`~.notebook.display_flytekit`)."""
    from .notebook import display_flytekit  # the display layer loads only when a flytekit execution is shown

    display_flytekit(obj)


def _formatter(shell: Any) -> Any:
    return shell.display_formatter.ipython_display_formatter


def register(shell: Any = None) -> bool:
    """Register the formatter with ``shell`` (default: the running one) if it is a Jupyter kernel's; returns
    whether it is registered. Idempotent."""
    shell = shell if shell is not None else ipython.ipython_shell()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    _formatter(shell).for_type_by_name(_MODULE, _NAME, _show)
    return True


def unregister(shell: Any = None) -> None:
    """Remove the formatter (idempotent): flytekit's executions show as flytekit shows them."""
    shell = shell if shell is not None else ipython.ipython_shell()
    if shell is not None:
        _formatter(shell).pop(f"{_MODULE}.{_NAME}", None)


def is_registered(shell: Any = None) -> bool:
    """Whether displaying flytekit's executions shows our widget in ``shell`` (default: the running one)."""
    shell = shell if shell is not None else ipython.ipython_shell()
    if shell is None:
        return False
    fmt = _formatter(shell)
    key = (_MODULE, _NAME)
    return fmt.deferred_printers.get(key) is _show or any(
        (c.__module__, c.__name__) == key and p is _show for c, p in fmt.type_printers.items()
    )


def register_at_import() -> None:
    """What ``import flyteexec_widget`` does: register in a running kernel unless :data:`OFF_VARIABLE` is ``0``.
    Never raises: an import must not fail over a display nicety."""
    if os.environ.get(OFF_VARIABLE, "").strip().lower() in ("0", "false", "no", "off"):
        return
    try:
        register()
    except Exception:
        log.warning("could not register the display of flytekit's executions", exc_info=True)
