"""flyteexec-widget: watch Flyte executions live in Jupyter.

The public names are imported lazily, so ``import flyteexec_widget`` stays cheap (no grpc channel, no widget
machinery) until a name is used.
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

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flyteexec_widget' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
