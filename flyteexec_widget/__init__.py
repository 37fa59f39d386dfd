"""flyteexec-widget: watch Flyte executions live in Jupyter.

The public names are imported lazily, so ``import flyteexec_widget`` stays cheap (no grpc channel, no widget
machinery) until a name is used. In a Jupyter kernel the import also registers the display of flytekit's own
``FlyteWorkflowExecution`` as the live widget (a formatter by class name: flytekit is not imported; see
:mod:`~flyteexec_widget.display.flytekit_display`); ``%load_ext flyteexec_widget`` does the same.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # phases
    "WorkflowPhase": "objects.phases",
    "NodePhase": "objects.phases",
    "TaskPhase": "objects.phases",
    "CacheStatus": "objects.phases",
    # errors
    "FlyteExecWidgetError": "admin.errors",
    "FlyteAssertion": "admin.errors",
    "FlyteTimeout": "admin.errors",
    "InvalidReferenceError": "admin.errors",
    "ConfigError": "admin.errors",
    "RpcFailure": "admin.errors",
    "NotFoundError": "admin.errors",
    "AuthenticationError": "admin.errors",
    "UnavailableError": "admin.errors",
    "DataNotInlineError": "objects.executions",
    # execution wrappers
    "RemoteExecutionBase": "objects.executions",
    "FlyteWorkflowExecution": "objects.executions",
    "FlyteNodeExecution": "objects.executions",
    "FlyteTaskExecution": "objects.executions",
    # literals
    "LiteralsResolver": "objects.literals",
    # client, config and auth
    "Remote": "remote",
    "RetryPolicy": "admin.retry",
    "PlatformConfig": "admin.config",
    "StaticToken": "admin.auth",
    "ClientSecret": "admin.auth",
    "DeviceFlow": "admin.auth",
    "ExternalCommand": "admin.auth",
    # live state and widget
    "ExecutionModel": "live.model",
    "ExecutionWidget": "display.widget",
    "watch": "display.notebook",
    "board": "display.board",
    "Board": "display.board",
    "selected_output": "display.widget",
    # sandbox
    "Sandbox": "sandbox",
}

__all__ = ["__version__", "flytekit_display", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flyteexec_widget' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


def flytekit_display(on: bool = True) -> bool:
    """Turn the live display of flytekit's ``FlyteWorkflowExecution`` on or off in the running kernel; returns
    whether it is on (never on outside a Jupyter kernel)."""
    from .display import flytekit_display as fd

    if not isinstance(on, bool):
        raise TypeError(f"flytekit_display() takes True or False, got {on!r}")
    if on:
        return fd.register()
    fd.unregister()
    return False


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext flyteexec_widget``: flytekit's executions display as the live widget."""
    from .display import flytekit_display as fd

    fd.register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext flyteexec_widget``: flytekit's executions display as flytekit shows them again."""
    from .display import flytekit_display as fd

    fd.unregister(ipython)


def _register_at_import() -> None:
    from .display import flytekit_display as fd

    fd.register_at_import()


_register_at_import()
