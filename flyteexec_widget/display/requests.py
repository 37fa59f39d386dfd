"""The contract between the widget's comm protocol and its request handlers, and what they share.

The page asks the kernel with ``{"type": "request", "id", "action", "key", ...}``; :mod:`.widget` acknowledges it,
looks ``action`` up in ``ExecutionWidget._HANDLERS`` and calls the handler on a worker thread as
``handler(widget, request)``. A handler is one function per action, in the module of its group:

- :mod:`.requests_data`: what the page reads about a row (``inputs``, ``outputs``, ``select``, ``error``, ``logs``,
  ``attempts``, ``prioritize``, ``deck``, ``task``);
- :mod:`.requests_actions`: what the user does to an execution (``approve``, ``reject``, ``signal``,
  ``terminate``, ``relaunch``, ``recover``, ``relaunch_form``, ``launch``, ``follow``);
- :mod:`.requests_graph`: the compiled workflow the Graph view draws (``graph``).

A handler returns the ``result`` (plain JSON) or raises: :class:`RequestError` for a request that cannot be served,
any other exception for a failure on the way (an RPC); :func:`answer` logs it and sends it to the page as
:func:`error_data`, so nothing a handler raises reaches the comm. A handler reads the widget only through
:class:`RequestContext` and never sends messages itself.

The board (:mod:`.board`) speaks the same protocol with handlers of its own (:mod:`.board_requests`), served by
the same :func:`request_id` and :func:`answer`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from ..live.rows import Row
from ..objects import phases

__all__ = [
    "Handler",
    "RequestContext",
    "RequestError",
    "RequestModel",
    "answer",
    "error_data",
    "request_id",
    "require_execution",
    "require_remote",
    "target",
]


class RequestError(Exception):
    """A request from the view that cannot be served (bad key, missing remote, wrong gate): sent back as data."""


class RequestModel(Protocol):
    """What a handler reads of the model shown: the rows and the wrappers behind them."""

    @property
    def execution(self) -> Any: ...

    @property
    def rows(self) -> Mapping[str, Row]: ...

    def node(self, key: str) -> Any: ...


class RequestContext(Protocol):
    """What a handler may use of the widget that received the request (``ExecutionWidget`` provides it)."""

    @property
    def model(self) -> RequestModel: ...

    @property
    def execution(self) -> Any: ...

    @property
    def remote(self) -> Any:
        """The widget's Remote, None without one (the view then hides the actions)."""

    @property
    def trail_executions(self) -> list[Any]:
        """The wrappers behind the ``trail`` trait, oldest first."""

    @property
    def request_cache(self) -> dict[str, Any]:
        """Answers a handler keeps for the execution shown, by handler; emptied when the widget follows another."""

    def follow(self, execution: Any, how: str = "") -> None: ...

    def select(self, value: Any, origin: dict[str, Any]) -> None:
        """Keep ``value`` as the widget's ``selected_output`` (and the kernel's last selected value)."""


#: A request handler: ``(widget, request) -> result`` (plain JSON), run on a worker thread.
Handler = Callable[[RequestContext, Mapping[str, Any]], Any]


def require_remote(ctx: RequestContext, what: str) -> Any:
    """The widget's Remote, or an error saying what cannot be done without one."""
    if ctx.remote is None:
        raise RequestError(f"cannot {what}: this widget has no Remote (pass remote= to watch())")
    return ctx.remote


def require_execution(ctx: RequestContext) -> Any:
    """The execution shown (the widget's, else its model's)."""
    execution = ctx.execution if ctx.execution is not None else ctx.model.execution
    if execution is None:
        raise RequestError("this widget was created without its execution")
    return execution


def target(ctx: RequestContext, request: Mapping[str, Any]) -> Any:
    """The wrapper a request is about: ``key`` "" is the execution itself, else ``model.node(key)`` of a row whose
    node has started (a planned node has no node execution to ask about)."""
    key = request.get("key") or ""
    if not isinstance(key, str):
        raise RequestError(f"key must be a row key (a string), got {key!r}")
    if key == "":
        return require_execution(ctx)
    row = ctx.model.rows.get(key)
    if row is None:
        raise RequestError(f"no node {key!r} in this execution")
    if row["phase"] == phases.NOT_STARTED:
        raise RequestError(f"node {row['name'] or key!r} has not started yet")
    return ctx.model.node(key)


def error_data(e: BaseException) -> dict[str, Any]:
    """An exception as the data a response carries (type and message; never a traceback with local values), and
    for bad launch inputs what is wrong with each (``fields``: input name -> message)."""
    data: dict[str, Any] = {"type": type(e).__name__, "message": str(e) or type(e).__name__}
    fields = getattr(e, "fields", None)
    if isinstance(fields, dict):
        data["fields"] = {str(k): str(v) for k, v in fields.items()}
    return data


C = TypeVar("C")


def request_id(content: Mapping[str, Any]) -> str | int | None:
    """A request's ``id`` (a string or an integer), else None: a request without one cannot be answered."""
    req_id = content.get("id")
    return req_id if isinstance(req_id, (str, int)) and not isinstance(req_id, bool) else None


def answer(
    handlers: Mapping[str, Callable[[C, Mapping[str, Any]], Any]],
    ctx: C,
    request: Mapping[str, Any],
    send: Callable[[dict[str, Any]], None],
    *,
    closed: Callable[[], bool],
    log: logging.Logger,
) -> None:
    """Serve one request with the handler of its ``action`` and ``send`` the response (not once ``closed()``):
    ``{"type": "response", "id", "ok": true, "result"}``, or ``"ok": false`` with the failure's
    :func:`error_data`, logged to ``log``. A result the comm cannot send (not JSON) is answered with that failure,
    so the page never waits for a reply that will not come."""
    req_id = request.get("id")
    action = request.get("action")
    handler = handlers.get(action) if isinstance(action, str) else None
    try:
        if handler is None:
            raise RequestError(f"unknown action {action!r}; valid: {', '.join(sorted(handlers))}")
        result = handler(ctx, request)
        response: dict[str, Any] = {"type": "response", "id": req_id, "ok": True, "result": result}
    except Exception as e:
        log.warning("request %s %r for %r failed: %s", req_id, action, request.get("key"), e, exc_info=True)
        response = {"type": "response", "id": req_id, "ok": False, "error": error_data(e)}
    if closed():
        return
    try:
        send(response)
    except Exception as e:
        log.warning("the reply to request %s %r could not be sent: %s", req_id, action, e, exc_info=True)
        try:
            send({"type": "response", "id": req_id, "ok": False, "error": error_data(e)})
        except Exception:  # the comm itself is gone: nobody waits for the reply any more
            log.warning("request %s %r: no reply could be sent", req_id, action, exc_info=True)
