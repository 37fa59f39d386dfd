"""The Jupyter kernel we may run in: the probe for "can a widget be shown here", and the pump that handles widget
messages while a cell blocks.

:func:`in_kernel` (defined in :mod:`flyteexec_widget.admin.ipython`, which the login prompt uses too) is the one
answer to "is this a notebook kernel": a terminal IPython has a shell but no kernel, and cannot show a widget.
:func:`kernel_pump` lets ``wait()`` handle widget clicks during its blocking loop: on ipykernel 7 by
:class:`_ShellPump` (``jupyter-ui-poll`` 1.1 relies on ``kernel.do_one_iteration``, which ipykernel 7.4 removed,
and then silently pumps nothing); on ipykernel 6 by ``jupyter-ui-poll``.

Nothing here is imported at module level from IPython, ipykernel, zmq, tornado or jupyter-ui-poll: ``wait()`` in a
terminal loads this module and must not pay for (or need) a kernel's libraries; inside a kernel they are loaded
already.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any

# The probe lives with the login prompt that needs it too, in the bottom layer; the display layer uses it from here.
from ..admin.ipython import in_kernel, ipython_shell, running_kernel

__all__ = ["in_kernel", "ipython_shell", "kernel_pump", "running_kernel"]

log = logging.getLogger(__name__)

_COMM_TYPES = frozenset({"comm_open", "comm_msg", "comm_close"})


class _ShellPump:
    """Process widget messages while a cell blocks, on ipykernel 7 (where ``do_one_iteration`` is gone).

    ipykernel 7 receives shell messages on its shell-channel thread and hands them to the main thread through an
    inproc socket, read by the main event loop, which a blocking cell holds up. This reads that socket directly
    (on the main thread, which owns it): comm messages (widget clicks) are handled at once, exactly as the kernel
    would (parent header set for their output, then restored); anything else (the next cells' execute_requests)
    is handed back to the event loop in arrival order when the wait ends, so it runs after this cell.
    """

    def __init__(self, kernel: Any, socket: Any) -> None:
        self.kernel = kernel
        self.socket = socket
        self.deferred: list[Any] = []
        self.tasks: list[Any] = []  # async comm handlers left to the event loop (kept referenced)
        self.cell_ident = kernel._get_shell_context_var(kernel._shell_parent_ident)
        self.cell_parent = kernel.get_parent("shell")

    @classmethod
    def for_kernel(cls, kernel: Any) -> _ShellPump | None:
        thread = getattr(kernel, "shell_channel_thread", None)
        pair = getattr(getattr(thread, "manager", None), "_shell_channel_to_main", None)
        socket = getattr(pair, "to_socket", None)
        if socket is None or not hasattr(kernel, "_shell_parent_ident"):
            return None
        return cls(kernel, socket)

    def poll(self, n: int = 10) -> None:
        import zmq  # lazy: only ever called inside an ipykernel 7 kernel, which has zmq loaded

        for _ in range(n):
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            if self._msg_type(frames) in _COMM_TYPES:
                self._handle_now(frames)
            else:
                self.deferred.append(frames)

    def _msg_type(self, frames: list[Any]) -> str:
        try:
            _, msg = self.kernel.session.feed_identities(frames, copy=False)
            return str(self.kernel.session.deserialize(msg, content=False, copy=False)["header"]["msg_type"])
        except Exception:
            return ""  # e.g. the kernel's one-frame "stop aborting" marker: leave it to the kernel

    def _handle_now(self, frames: list[Any]) -> None:
        kernel = self.kernel
        try:
            idents, msg = kernel.session.feed_identities(frames, copy=False)
            msg = kernel.session.deserialize(msg, content=True, copy=False)
            handler = kernel.shell_handlers.get(msg["header"]["msg_type"])
            if handler is None:
                return
            kernel.set_parent(idents, msg, channel="shell")
            if getattr(kernel, "_supports_kernel_subshells", True):  # what dispatch_shell replies through
                stream = kernel.shell_channel_thread.manager.get_subshell_to_shell_channel_socket(None)
            else:
                stream = kernel.shell_stream
            result = handler(stream, idents, msg)
            if inspect.isawaitable(result):  # an async comm handler: let the event loop finish it
                self.tasks.append(asyncio.ensure_future(result))
        except Exception:
            log.exception("a widget message could not be handled during wait()")
        finally:
            kernel.set_parent(self.cell_ident, self.cell_parent, channel="shell")

    def close(self) -> None:
        """Give the deferred messages back to the kernel's loop, in order: they run once this cell ends."""
        if not self.deferred:
            return
        from tornado.ioloop import IOLoop  # lazy: the kernel's event loop library, loaded in a kernel only

        loop = IOLoop.current()
        for frames in self.deferred:
            loop.add_callback(self.kernel.shell_main, None, frames)
        self.deferred = []


@contextlib.contextmanager
def kernel_pump() -> Iterator[Callable[[], None]]:
    """A function processing pending kernel messages (widget clicks) while the cell blocks; no-op if unavailable.

    ipykernel 7: :class:`_ShellPump`. ipykernel 6: the ``jupyter-ui-poll`` package when installed (it drives
    ``kernel.do_one_iteration``, which ipykernel 7 no longer has).
    """
    kernel = running_kernel()
    pump = _ShellPump.for_kernel(kernel) if kernel is not None else None
    if pump is not None:
        try:
            yield pump.poll
        finally:
            pump.close()
        return
    if kernel is None or not hasattr(kernel, "do_one_iteration"):
        yield lambda: None
        return
    try:
        from jupyter_ui_poll import ui_events  # lazy: it imports IPython; only reached inside an ipykernel 6 kernel
    except ImportError:
        log.debug("jupyter-ui-poll is not installed: widget clicks are handled after wait() returns")
        yield lambda: None
        return
    with ui_events() as poll:
        yield lambda: poll(10)
