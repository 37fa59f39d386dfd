"""Request handlers for what the user does to an execution: decide a gate, terminate, relaunch, recover, launch
with edited inputs, and step along the trail of executions the widget has shown.

One function per request action (the contract: :mod:`.requests`). Every action is one call of the widget's Remote;
those that create an execution then make the widget follow it (``ExecutionWidget.follow``); those that change the
execution shown (a gate decided, a signal, terminate) have its watch refresh at once
(:func:`~flyteexec_widget.live.scheduler.refresh_soon`): its nodes move right after, while the watch's interval may
have backed off as the gate waited.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..live import scheduler
from ..live.rows import safe_url, signal_id_of
from .launch_form import form_fields, parse_form
from .requests import RequestContext, RequestError, require_execution, require_remote

__all__ = [
    "approve",
    "follow",
    "launch",
    "recover",
    "reject",
    "relaunch",
    "relaunch_form",
    "signal",
    "terminate",
]

logger = logging.getLogger(__name__)


def _gate(ctx: RequestContext, request: Mapping[str, Any], kinds: tuple[str, ...]) -> tuple[Any, str]:
    """The node wrapper of the gate row ``key`` waits on (its id names the workflow execution that owns the gate:
    for a gate inside a child launch plan, the child execution) and the signal's whole id."""
    key = request.get("key")
    if not isinstance(key, str) or key not in ctx.model.rows:
        raise RequestError(f"no node {key!r} in this execution")
    gate = ctx.model.rows[key].get("gate")
    if not gate or gate.get("kind") not in kinds:
        raise RequestError(f"node {key!r} is not waiting on {' or '.join(kinds)} (any more)")
    node = ctx.model.node(key)
    # the row's signal id may be cut (rows.MAX_NAME_CHARS): the signal is set by the template's whole id
    info = getattr(node, "_template_info", None)
    whole = signal_id_of(info.gate) if info is not None and info.gate is not None else ""
    return node, whole or str(gate["signal_id"])


def approve(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``approve``: approve the gate row ``key`` waits on -> ``{"message": "Approved"}``."""
    node, signal_id = _gate(ctx, request, ("approve",))
    require_remote(ctx, "approve").approve(node, signal_id)
    scheduler.refresh_soon(ctx.model)
    return {"message": "Approved"}


def reject(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``reject``: reject the gate row ``key`` waits on -> ``{"message": "Rejected"}``."""
    node, signal_id = _gate(ctx, request, ("approve",))
    require_remote(ctx, "reject").reject(node, signal_id)
    scheduler.refresh_soon(ctx.model)
    return {"message": "Rejected"}


def signal(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``signal`` (``value``): set the signal row ``key`` waits on -> ``{"message": "Sent <value>"}``."""
    node, signal_id = _gate(ctx, request, ("signal",))
    if "value" not in request:
        raise RequestError("a signal request needs a value")
    # The JSON value as the view parsed it: set_signal builds the literal with the signal's own type, and a
    # value that does not fit comes back as the request's error, naming the type.
    value = request["value"]
    require_remote(ctx, "send a signal").set_signal(node, signal_id, value)
    scheduler.refresh_soon(ctx.model)
    return {"message": f"Sent {value!r}"}


def terminate(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``terminate`` (``cause``): terminate the execution -> ``{"message": "Termination requested"}``."""
    cause = request.get("cause") or ""
    if not isinstance(cause, str):
        raise RequestError(f"cause must be a string, got {cause!r}")
    require_remote(ctx, "terminate").terminate(require_execution(ctx), cause)
    scheduler.refresh_soon(ctx.model)
    return {"message": "Termination requested"}


def relaunch(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``relaunch``: relaunch the execution unchanged and follow the new one -> :func:`_new_execution`'s answer."""
    new_id = require_remote(ctx, "relaunch").relaunch(require_execution(ctx))
    return _new_execution(ctx, "Relaunched as", new_id, "relaunched")


def recover(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``recover``: recover the failed execution and follow the new one -> :func:`_new_execution`'s answer."""
    new_id = require_remote(ctx, "recover").recover(require_execution(ctx))
    return _new_execution(ctx, "Recovering as", new_id, "recovered")


def relaunch_form(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``relaunch_form``: the execution's launch plan's inputs, prefilled with the execution's
    (``launch_form.form_fields``) -> ``{"fields", "launch_plan": {name, version}}``; one ``GetExecution``,
    ``GetLaunchPlan`` and ``GetExecutionData``."""
    remote = require_remote(ctx, "relaunch")
    launch_plan, values = remote.launch_plan_and_inputs(require_execution(ctx))
    lp = launch_plan.id
    return {"fields": form_fields(launch_plan, values), "launch_plan": {"name": lp.name, "version": lp.version}}


def launch(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``launch`` (``inputs``: name -> text, optional ``name``): launch the execution's launch plan with the form's
    texts, read and typed by the kernel (``launch_form.parse_form``: every bad field named in the error's
    ``fields``), then follow -> :func:`_new_execution`'s answer."""
    texts = request.get("inputs")
    if not isinstance(texts, dict):
        raise RequestError(f"inputs must be an object of input name -> text, got {texts!r}")
    name = request.get("name") or None
    if name is not None and not isinstance(name, str):
        raise RequestError(f"name must be a string, got {name!r}")
    remote = require_remote(ctx, "relaunch")
    execution = require_execution(ctx)
    launch_plan, values = remote.launch_plan_and_inputs(execution)
    literals = parse_form(launch_plan, texts, values)
    wf_id, proto = execution.id, execution.to_flyte_idl()
    new_id = remote.create_execution(
        launch_plan.id,
        literals,
        project=wf_id.project,
        domain=wf_id.domain,
        name=name,
        like=proto.spec,  # its run settings (service account, labels...), as FlyteAdmin's Relaunch keeps them
        reference=proto.id,
    )
    return _new_execution(ctx, "Launched", new_id, "relaunched with new inputs")


def follow(ctx: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
    """``follow`` (``index``): show the execution at ``index`` of ``trail`` (the way back to the original, and
    forward again) -> ``{"message": "Showing", "name"}``."""
    index = request.get("index")
    trail = ctx.trail_executions
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(trail):
        raise RequestError(f"index must be a position in the trail (0..{len(trail) - 1})")
    shown = trail[index]
    ctx.follow(shown)
    return {"message": "Showing", "name": shown.id.name}


def _new_execution(ctx: RequestContext, what: str, new_id: Any, how: str) -> dict[str, Any]:
    """An execution an action created, which the widget then follows: ``{"message", "name", "url", "followed",
    "follow_error"?}`` (the execution exists either way: a failed follow says why it is not shown here)."""
    name = str(getattr(new_id, "name", "") or new_id)
    try:
        url = safe_url(require_remote(ctx, "link the new execution").generate_console_url(new_id))
    except Exception:  # no console URL is not a failure of the action itself
        logger.warning("no console URL for %s", name, exc_info=True)
        url = None
    result: dict[str, Any] = {"message": what, "name": name, "url": url, "followed": False}
    try:
        ctx.follow(new_id, how)
        result["followed"] = True
    except Exception as e:  # the execution exists: say so, with its link, and why it is not shown here
        logger.warning("could not follow %s", name, exc_info=True)
        result["follow_error"] = str(e) or type(e).__name__
    return result
