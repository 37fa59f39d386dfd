"""Request handlers for what the page reads about a row: its data, error, logs, attempts, deck and task.

One function per request action (the contract: :mod:`.requests`); the row key ``""`` is the execution itself
where the action allows it. Inputs and outputs are read from ``model.node(key).inputs`` / ``.outputs`` only when a
request asks for them, and sent as a JSON-safe typed tree (:func:`~flyteexec_widget.display.values.value_tree`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..live.attempts import attempts_of
from ..live.rows import all_logs, cap_text, safe_url
from ..live.taskdetails import task_answer
from ..objects import phases
from .requests import RequestContext, RequestError, error_data, require_execution, require_remote, target
from .values import FULL_LIMITS, path_label, resolve_path, value_tree, variable_type

__all__ = [
    "MAX_PRIORITIZED_CHILDREN",
    "attempts",
    "deck",
    "error",
    "inputs",
    "logs",
    "outputs",
    "prioritize",
    "select",
    "task",
]

logger = logging.getLogger(__name__)

#: A "prioritize" request for a row moves its children's attempt listings ahead too, at most this many of them.
MAX_PRIORITIZED_CHILDREN = 200


def _data(ctx: RequestContext, request: Mapping[str, Any], which: str) -> dict[str, Any]:
    resolver = getattr(target(ctx, request), which)
    path = request.get("path")
    if path:  # "show all" of one cut subtree
        if not isinstance(path, list):
            raise RequestError(f"path must be a list, got {path!r}")
        try:
            value = resolve_path(resolver, path)
        except (KeyError, ValueError) as e:
            raise RequestError(f"{path_label(path)}: {e}") from None
        return {"path": path, "value": value_tree(value, path=path, **FULL_LIMITS)}
    variables = getattr(resolver, "variable_map", None)
    items: list[dict[str, Any]] = []
    for name in resolver:
        item: dict[str, Any] = {"name": name}
        var = variables.get(name) if isinstance(variables, Mapping) else None
        if var is not None:
            item["type"] = variable_type(var)
        try:
            item["value"] = value_tree(resolver[name], path=[name])
        except Exception as e:  # one bad literal must not hide the others
            logger.warning("%s %r could not be converted: %s", which, name, e, exc_info=True)
            item["error"] = error_data(e)
        items.append(item)
    return {"items": items}


def inputs(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``inputs``: the row's inputs (key "": the execution's) -> ``{"items": [{"name", "type"?, "value"} |
    {"name", "error"}]}``; with ``path`` (a cut subtree's) -> ``{"path", "value"}``, that subtree whole."""
    return _data(ctx, request, "inputs")


def outputs(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``outputs``: as ``inputs``, for the outputs."""
    return _data(ctx, request, "outputs")


def select(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``select`` (``which``: inputs|outputs, ``path``): the entry's Python value becomes the widget's
    ``selected_output`` -> ``{"path": "x[2]", "type"}``."""
    which = request.get("which")
    if which not in ("inputs", "outputs"):
        raise RequestError(f"which must be 'inputs' or 'outputs', got {which!r}")
    path = request.get("path")
    if not isinstance(path, list) or not path:
        raise RequestError(f"path must be a non-empty list, got {path!r}")
    try:
        value = resolve_path(getattr(target(ctx, request), which), path)
    except (KeyError, ValueError) as e:
        raise RequestError(f"{path_label(path)}: {e}") from None
    ctx.select(value, {"key": request.get("key") or "", "which": which, "path": path_label(path)})
    return {"path": path_label(path), "type": type(value).__name__}


def error(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``error``: the error message as a single Get returns it (list responses trim it to 100 bytes) ->
    ``{message, code, kind, capped}``, cut at ``rows.MAX_ERROR_BYTES`` (``capped``) unless ``"all": true``."""
    wrapper = target(ctx, request)
    remote = require_remote(ctx, "fetch the full error")
    key = request.get("key") or ""
    whole = request.get("all", False)
    if not isinstance(whole, bool):
        raise RequestError(f"all must be true or false, got {whole!r}")
    if key == "":
        proto = remote.get_execution(wrapper.to_flyte_idl().id)
    else:
        proto = remote.get_node_execution(wrapper.to_flyte_idl().id)
    closure = proto.closure
    if not closure.HasField("error"):
        return {"message": "", "code": "", "kind": "", "capped": False}
    err = closure.error
    message, capped = (err.message, False) if whole else cap_text(err.message)
    return {"message": message, "code": err.code, "kind": phases.error_kind_name(err.kind), "capped": capped}


def logs(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``logs``: every log link of a node (a row carries at most ``rows.MAX_LOGS_PER_ATTEMPT`` per attempt) ->
    ``{"logs": [...]}``."""
    key = request.get("key")
    if not isinstance(key, str) or key == "":
        raise RequestError(f"no node {key!r} in this execution")
    node = target(ctx, request)  # a node that has started (a planned one has no logs yet)
    return {"logs": all_logs(ctx.model.rows[key], node)}


def attempts(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``attempts``: every attempt of a node (an array subtask: every retry) with its reason, error and log
    links, read from what the sync already holds (live/attempts.py), no RPC -> ``{"attempts", "omitted",
    "max_logs"}``."""
    key = request.get("key")
    if not isinstance(key, str) or key == "":
        raise RequestError(f"attempts belong to nodes: no node {key!r} in this execution")
    node = target(ctx, request)
    return attempts_of(ctx.model.rows[key], node)


def prioritize(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``prioritize``: the user opened or expanded a row whose attempts are not listed yet (``attempts`` null):
    the sync lists its attempts, and its children's, before the others still waiting -> ``{"queued": n}`` (0:
    none waits)."""
    key = request.get("key")
    if not isinstance(key, str) or key not in ctx.model.rows:
        raise RequestError(f"no node {key!r} in this execution")
    rows = ctx.model.rows
    keys = [key] + [k for k, r in rows.items() if r["parent"] == key and r["attempts"] is None]
    nodes = [ctx.model.node(k) for k in keys[: 1 + MAX_PRIORITIZED_CHILDREN] if rows[k]["attempts"] is None]
    tree = getattr(require_execution(ctx), "_tree_sync", None)
    queue = getattr(tree, "prioritize", None)
    return {"queued": queue(nodes) if callable(queue) and nodes else 0}


def deck(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``deck``: a signed http(s) link to the node's deck -> ``{"url"}``, or ``{"url": None, "message"}`` while a
    running task has not written it yet: propeller reports ``deck_uri`` from RUNNING on, and the data proxy
    answers NOT_FOUND until the task wrote the file at its end."""
    key = request.get("key") or ""
    if key == "":
        raise RequestError("decks belong to nodes: the request needs a node's row key")
    node = target(ctx, request)
    remote = require_remote(ctx, "open the deck")
    links = remote.create_download_link(node.to_flyte_idl().id)
    urls = [u for u in links if safe_url(u)]
    if urls:
        return {"url": urls[0]}
    if not links and not ctx.model.rows[key].get("terminal"):
        return {"url": None, "message": "the deck is written when the task ends"}
    if not links:
        raise RequestError("the server has no deck for this node")
    raise RequestError("the server returned no http(s) link to the deck")


def task(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``task``: the task a node runs (one ``GetTask`` per task id and remote, cached), console links, a cache
    hit's source -> :func:`~flyteexec_widget.live.taskdetails.task_answer`'s ``{"task", "error", "links",
    "cache_source", "overrides"}``."""
    key = request.get("key") or ""
    if key == "":
        raise RequestError("task details belong to nodes: the request needs a node's row key")
    target(ctx, request)  # a known row of a node that has started
    remote = require_remote(ctx, "fetch the task")
    return task_answer(ctx.model.rows, ctx.model.node, require_execution(ctx), remote, key)
