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
    "WorkflowPhase": "phases",
    "NodePhase": "phases",
    "TaskPhase": "phases",
    "CacheStatus": "phases",
    # errors
    "FlyteExecWidgetError": "errors",
    "FlyteAssertion": "errors",
    "FlyteTimeout": "errors",
    "InvalidReferenceError": "errors",
    "ConfigError": "errors",
    "RpcFailure": "errors",
    "NotFoundError": "errors",
    "AuthenticationError": "errors",
    "UnavailableError": "errors",
    "DataNotInlineError": "executions",
    # execution wrappers
    "RemoteExecutionBase": "executions",
    "FlyteWorkflowExecution": "executions",
    "FlyteNodeExecution": "executions",
    "FlyteTaskExecution": "executions",
    # literals
    "LiteralsResolver": "literals",
    # client, config and auth
    "Remote": "client",
    "RetryPolicy": "client",
    "PlatformConfig": "config",
    "StaticToken": "auth",
    "ClientSecret": "auth",
    "DeviceFlow": "auth",
    "ExternalCommand": "auth",
    # live state and widget
    "ExecutionModel": "model",
    "ExecutionWidget": "widget",
    "watch": "widget",
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
