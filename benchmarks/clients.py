"""The two clients under test, behind the same few calls: this package's ``Remote`` and flytekit's ``FlyteRemote``.

Both are used exactly as a user would: ``fetch_execution`` then ``sync_execution(execution, sync_nodes=True)``;
a refresh is another ``sync_execution`` on the same object (ours keeps a ``TreeSync`` on it and fetches only what
can still change; flytekit walks everything again). flytekit is imported here only: the package never imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from flyteexec_widget.objects.executions import FlyteNodeExecution, FlyteWorkflowExecution
from flyteexec_widget.objects.phases import NodePhase
from flyteexec_widget.remote import Remote

#: Node phases after which a node has outputs to read.
_SUCCEEDED = {int(NodePhase.SUCCEEDED), int(NodePhase.RECOVERED)}


@dataclass(frozen=True)
class TreeShape:
    """What a synced tree holds: nodes (every level, child executions included) and nesting depth (levels)."""

    nodes: int
    depth: int


def split(wf: str) -> tuple[str, str, str]:
    p, d, n = wf.split(":")
    return p, d, n


# ---------------------------------------------------------------------------------------------------------------
# ours
# ---------------------------------------------------------------------------------------------------------------
#: The user agent's first word of ours in the load figures (the sandbox counts calls and bytes per client by it).
OURS_AGENT = "flyteexec-widget-bench"
#: flytekit's (grpc's default user agent, unchanged).
FLYTEKIT_AGENT = "grpc-python"


def ours_remote(endpoint: str, *, agent: str | None = None) -> Remote:
    """A fresh Remote (its own channel, executor and workflow cache: nothing learnt before); ``agent`` names it in
    the sandbox's per-client counts (:meth:`~benchmarks.server.SandboxProcess.client_counts`)."""
    if agent is None:
        return Remote.for_sandbox(endpoint)
    return Remote.for_sandbox(endpoint, channel_options=[("grpc.primary_user_agent", agent)])


def ours_fetch_and_sync(remote: Remote, wf: str) -> FlyteWorkflowExecution:
    execution = remote.fetch_execution(wf)
    return remote.sync_execution(execution, sync_nodes=True)


def ours_refresh(remote: Remote, execution: FlyteWorkflowExecution) -> FlyteWorkflowExecution:
    return remote.sync_execution(execution, sync_nodes=True)


def _ours_nodes(nodes: dict[str, FlyteNodeExecution], depth: int) -> Iterator[tuple[FlyteNodeExecution, int]]:
    for node in nodes.values():
        yield node, depth
        yield from _ours_nodes(node.subworkflow_node_executions, depth + 1)
        for child in node.workflow_executions:
            yield from _ours_nodes(child.node_executions, depth + 1)


def ours_shape(execution: FlyteWorkflowExecution) -> TreeShape:
    pairs = list(_ours_nodes(execution.node_executions, 1))
    return TreeShape(len(pairs), max((d for _, d in pairs), default=0))


def ours_fetch_all_data(remote: Remote, execution: FlyteWorkflowExecution) -> int:
    """Read every input and output flytekit's sync reads (nodes, and attempts of finished nodes), concurrently.

    This is the apples-to-apples figure: flytekit fetches this data inside ``sync_execution``; ours fetches it
    lazily, so a cold sync alone does not include it. Returns how many reads were made.
    """

    def read(target: Any, outputs: bool) -> None:
        _ = target.inputs
        if outputs:
            _ = target.outputs

    futures: list[Future[None]] = []
    for node, _depth in _ours_nodes(execution.node_executions, 1):
        succeeded = int(node.phase) in _SUCCEEDED
        futures.append(remote.executor.submit(read, node, succeeded))
        if node.is_done:
            for attempt in node.task_executions:
                futures.append(remote.executor.submit(read, attempt, int(attempt.phase) == 3))  # TaskPhase.SUCCEEDED
    for f in futures:
        try:
            f.result()
        except Exception:  # data a node legitimately lacks (e.g. not inline): flytekit skips those too
            logging.getLogger(__name__).debug("data read failed", exc_info=True)
    return len(futures)


# ---------------------------------------------------------------------------------------------------------------
# flytekit
# ---------------------------------------------------------------------------------------------------------------
def flytekit_remote(endpoint: str) -> Any:
    """A fresh, unmodified ``FlyteRemote`` for the sandbox."""
    from flytekit.configuration import Config  # type: ignore[import-untyped]
    from flytekit.remote import FlyteRemote  # type: ignore[import-untyped]

    # flytekit logs a warning per gate node and per missing data; the benchmark output stays readable without.
    logging.getLogger("flytekit").setLevel(logging.ERROR)
    return FlyteRemote(
        Config.for_endpoint(endpoint, insecure=True), default_project="flytesnacks", default_domain="development"
    )


def flytekit_fetch_and_sync(remote: Any, wf: str) -> Any:
    p, d, n = split(wf)
    execution = remote.fetch_execution(project=p, domain=d, name=n)
    return remote.sync_execution(execution, sync_nodes=True)


def flytekit_refresh(remote: Any, execution: Any) -> Any:
    return remote.sync_execution(execution, sync_nodes=True)


def _flytekit_nodes(nodes: dict[str, Any], depth: int) -> Iterator[tuple[Any, int]]:
    for node in nodes.values():
        if _is_start_or_end(node.id.node_id):
            continue  # flytekit keeps start/end nodes in its maps; ours (and the node counts here) leave them out
        yield node, depth
        children = getattr(node, "_underlying_node_executions", None) or []
        yield from _flytekit_nodes({c.id.node_id: c for c in children}, depth + 1)
        for child in getattr(node, "_workflow_executions", None) or []:
            yield from _flytekit_nodes(child.node_executions or {}, depth + 1)


def _is_start_or_end(node_id: str) -> bool:
    return node_id in ("start-node", "end-node") or node_id.endswith(("-start-node", "-end-node"))


def flytekit_shape(execution: Any) -> TreeShape:
    pairs = list(_flytekit_nodes(execution.node_executions or {}, 1))
    return TreeShape(len(pairs), max((d for _, d in pairs), default=0))
