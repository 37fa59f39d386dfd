"""The board's request handlers: one function per action of the board's view (``static/board.js``).

The protocol is the execution widget's (:mod:`.requests`): the page sends ``{"type": "request", "id", "action",
...}``, :class:`~.board.Board` acknowledges it and :func:`.requests.answer` calls ``HANDLERS[action](board,
request)`` on a worker thread, sending the result, or the failure as :func:`.requests.error_data`. A handler reads
the board only through :class:`BoardContext`. The actions:

- ``select`` (``keys``): what is ticked, readable as ``Board.selected``.
- ``open`` (``key``, ``pin``): the execution's tree widget under the board; ``close`` (``key``) closes one,
  ``unpin`` (``key``) lets the next one opened replace it.
- ``compare`` (``keys``: two): :func:`.board_compare.compare`.
- ``terminate`` (``keys``, ``cause``), ``relaunch``, ``recover`` (``keys``): the Remote's own methods, per
  execution, each reported; the board then refreshes at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..admin.refs import safe_url
from ..live.board import BoardModel
from .requests import RequestError

__all__ = ["HANDLERS", "BoardContext", "BoardHandler", "BoardTraits"]


class BoardTraits(Protocol):
    """The traits of the board's table a handler sets or reads (``BoardWidget``'s)."""

    selected: list[str]
    open_keys: list[str]
    pinned: list[str]


class BoardContext(Protocol):
    """What a handler may use of the board that received the request (:class:`~.board.Board` provides it)."""

    @property
    def model(self) -> BoardModel: ...

    @property
    def remote(self) -> Any: ...

    @property
    def widget(self) -> BoardTraits: ...

    def open(self, key: str, *, pin: bool = False) -> Any: ...

    def close_tree(self, key: str) -> None: ...

    def unpin(self, key: str) -> None: ...

    def compare(self, a: str, b: str) -> dict[str, Any]: ...

    def refresh(self, timeout: float = 30.0) -> bool: ...


#: A board request handler: ``(board, request) -> result`` (plain JSON), run on a worker thread.
BoardHandler = Callable[[BoardContext, Mapping[str, Any]], Any]


def _key(request: Mapping[str, Any]) -> str:
    key = request.get("key")
    if not isinstance(key, str):
        raise RequestError(f"key must be a row key (a string), got {key!r}")
    return key


def _keys(ctx: BoardContext, request: Mapping[str, Any], n: int | None = None) -> list[str]:
    """The request's ``keys``: row keys of this board (``n`` of them, if given)."""
    keys = request.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or not keys:
        raise RequestError(f"keys must be a non-empty list of row keys, got {keys!r}")
    if n is not None and len(keys) != n:
        raise RequestError(f"this needs exactly {n} executions, got {len(keys)}")
    for k in keys:
        ctx.model.node(k)  # KeyError names a key not on the board
    return list(keys)


def select(ctx: BoardContext, request: Mapping[str, Any]) -> dict[str, Any]:
    keys = request.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise RequestError(f"keys must be a list of row keys, got {keys!r}")
    ctx.widget.selected = [k for k in keys if k in ctx.model.rows]
    return {"selected": len(ctx.widget.selected)}


def open_tree(ctx: BoardContext, request: Mapping[str, Any]) -> dict[str, Any]:
    ctx.open(_key(request), pin=bool(request.get("pin")))
    return {"open": list(ctx.widget.open_keys)}


def close_tree(ctx: BoardContext, request: Mapping[str, Any]) -> dict[str, Any]:
    ctx.close_tree(_key(request))
    return {"open": list(ctx.widget.open_keys)}


def unpin(ctx: BoardContext, request: Mapping[str, Any]) -> dict[str, Any]:
    ctx.unpin(_key(request))
    return {"pinned": list(ctx.widget.pinned)}


def compare(ctx: BoardContext, request: Mapping[str, Any]) -> dict[str, Any]:
    a, b = _keys(ctx, request, 2)
    return ctx.compare(a, b)


def _act(ctx: BoardContext, request: Mapping[str, Any], what: str) -> dict[str, Any]:
    """``what`` (terminate, relaunch, recover) on each execution of ``keys``, each reported, then a refresh."""
    keys = _keys(ctx, request)
    cause = request.get("cause") or ""
    if not isinstance(cause, str):
        raise RequestError(f"cause must be a string, got {cause!r}")
    results = []
    for key in keys:
        ex = ctx.model.node(key)
        try:
            if what == "terminate":
                ctx.remote.terminate(ex, cause)
                results.append({"key": key, "ok": True, "message": "Termination requested"})
            else:
                new_id = getattr(ctx.remote, what)(ex)
                try:
                    url = safe_url(ctx.remote.generate_console_url(new_id))
                except Exception:
                    url = None
                verb = "Relaunched as" if what == "relaunch" else "Recovering as"
                results.append({"key": key, "ok": True, "message": verb, "name": new_id.name, "url": url})
        except Exception as e:  # one refusal (e.g. already finished) must not stop the others
            results.append({"key": key, "ok": False, "message": f"{type(e).__name__}: {e}"})
    ctx.refresh(10.0)  # show the outcome (ABORTING, the new executions of a query) at once
    done = sum(1 for r in results if r["ok"])
    return {"results": results, "message": f"{what}: {done} of {len(results)} done"}


def terminate(ctx: BoardContext, request: Mapping[str, Any]) -> dict[str, Any]:
    return _act(ctx, request, "terminate")


def relaunch(ctx: BoardContext, request: Mapping[str, Any]) -> dict[str, Any]:
    return _act(ctx, request, "relaunch")


def recover(ctx: BoardContext, request: Mapping[str, Any]) -> dict[str, Any]:
    return _act(ctx, request, "recover")


#: Request action -> its handler.
HANDLERS: dict[str, BoardHandler] = {
    "select": select,
    "open": open_tree,
    "close": close_tree,
    "unpin": unpin,
    "compare": compare,
    "terminate": terminate,
    "relaunch": relaunch,
    "recover": recover,
}
