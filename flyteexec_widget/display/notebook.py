"""Getting an execution on screen in a notebook: ``watch()``, the display hooks of the execution wrappers, and the
widget ``wait()`` shows.

Each entry point builds an :class:`~flyteexec_widget.live.model.ExecutionModel`, starts a scheduler watch when the
execution still changes, and wraps both in an :class:`~flyteexec_widget.display.widget.ExecutionWidget`. Outside a
kernel (:func:`~flyteexec_widget.display.kernel.in_kernel`: terminal IPython, plain Python, nbconvert without
widgets) no widget and no thread is made: the display hooks give the text tree and the static HTML snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from IPython.display import display

from ..admin.errors import ConfigError
from ..flytekit_remotes import find_flyte_remote, is_flyte_remote, remote_for
from ..live import scheduler
from ..live.model import ExecutionModel
from ..live.on_done import FollowedOnDone
from ..objects.executions import FlyteWorkflowExecution
from ..remote import Remote
from . import kernel
from .render import render_html, render_text
from .widget import ExecutionWidget, ModelLike, WatchLike

__all__ = ["display_flytekit", "display_for", "ipython_display_for", "mimebundle_for", "repr_mimebundle", "watch"]

log = logging.getLogger(__name__)

_ACCEPTED = (
    "watch() takes a FlyteWorkflowExecution (ours or flytekit's), a console URL, 'project:domain:name', "
    "or a name with project= and domain="
)


def watch(
    x: Any,
    remote: Any = None,
    *,
    project: str | None = None,
    domain: str | None = None,
    notify: bool = False,
    on_done: Callable[[FlyteWorkflowExecution], Any] | None = None,
) -> ExecutionWidget:
    """Watch an execution live: returns the widget (display it, or let the cell show it).

    ``x`` is our :class:`~flyteexec_widget.objects.executions.FlyteWorkflowExecution`, flytekit's (anything with
    ``to_flyte_idl()`` and ``id``), a console URL, ``"project:domain:name"``, or a name with ``project=`` and
    ``domain=``. ``remote`` (a :class:`~flyteexec_widget.remote.Remote` or flytekit's ``FlyteRemote``) defaults to
    the execution's own (a flytekit execution's ``FlyteRemote``: see :mod:`~flyteexec_widget.flytekit_remotes`),
    else ``Remote.from_config()``. A scheduler watch keeps the model fresh until the execution is terminal; closing
    the widget stops it.

    ``notify``: the widget's bell starts on (a browser notification and a marked tab title when the execution
    ends). ``on_done(execution)``: called once, with the final (synced) execution, when the watch saw the terminal
    phase and synced it a last time; on a daemon thread of its own (never the cell's); an exception in it is
    logged. Not called when the watch stops first (the widget closed) or ends on a permanent error. When the widget
    follows another execution before the one shown ended (Relaunch, Recover, a launch with new inputs, a step along
    its trail), ``on_done`` moves to it and is called with that execution when it ends; once called, never again.
    """
    if not isinstance(notify, bool):
        raise TypeError(f"notify must be True or False, got {notify!r}")
    if on_done is not None and not callable(on_done):
        raise TypeError(f"on_done must be a callable taking the execution, got {on_done!r}")
    execution = _resolve_execution(x, remote, project, domain)
    model = ExecutionModel(execution)
    done = FollowedOnDone(on_done) if on_done is not None else None
    if done is not None:
        done.attach(model, execution)
    handle = _start_watch(execution, model)
    try:
        return ExecutionWidget(
            model, execution=execution, remote=execution._remote, watch=handle, notify=notify, on_done=done
        )
    except Exception:
        handle.stop()
        raise


def _default_remote(why: str | None = None) -> Remote:
    """``Remote.from_config()``; ``why``: why the execution's own remote was not used (added to a config error)."""
    try:
        return Remote.from_config()
    except ConfigError as e:
        if why is None:
            raise
        raise ConfigError(f"{e}; {why}: pass remote= (your FlyteRemote, or a Remote)") from None


def _as_remote(remote: Any) -> Any:
    """``remote=`` as our client: flytekit's FlyteRemote becomes a Remote over its connection settings."""
    return remote_for(remote) if is_flyte_remote(remote) else remote


def _flytekit_remote(x: Any) -> Remote:
    """The remote for a flytekit execution: its FlyteRemote's settings, else the config file."""
    flyte_remote, how = find_flyte_remote(x)
    if flyte_remote is not None:
        log.info("watching %s through %s", getattr(getattr(x, "id", None), "name", "?"), how)
        return remote_for(flyte_remote)
    return _default_remote(how)


def _refuse_node_or_task_execution(x: Any) -> None:
    """flytekit's FlyteNodeExecution and FlyteTaskExecution have ``to_flyte_idl()`` and ``id`` too: say to watch
    their workflow execution (their id holds it) instead of failing later on the remote or the message type."""
    wf_id = getattr(x.id, "execution_id", None)  # a NodeExecutionIdentifier
    if wf_id is None:  # a TaskExecutionIdentifier: through its node execution's id
        wf_id = getattr(getattr(x.id, "node_execution_id", None), "execution_id", None)
    if wf_id is None:
        return
    ref = ":".join(str(getattr(wf_id, k, "")) for k in ("project", "domain", "name"))
    raise TypeError(
        f"{_ACCEPTED}; got {type(x).__module__}.{type(x).__qualname__} (a part of an execution): watch its workflow "
        f"execution, watch({ref!r})"
    )


def _resolve_execution(x: Any, remote: Any, project: str | None, domain: str | None) -> FlyteWorkflowExecution:
    """Our wrapper for whatever :func:`watch` was given, with a remote to sync it."""
    remote = _as_remote(remote)
    if isinstance(x, FlyteWorkflowExecution):
        if remote is not None and remote is not x._remote:
            return FlyteWorkflowExecution.promote_from_model(x, remote=remote)
        if x._remote is None:
            return FlyteWorkflowExecution.promote_from_model(x, remote=_default_remote())
        return x
    if isinstance(x, str):
        if not x.strip():
            raise TypeError(f"{_ACCEPTED}; got an empty string")
        remote = remote if remote is not None else _default_remote()
        if project is not None or domain is not None:
            if project is None or domain is None:
                raise TypeError(
                    f"{_ACCEPTED}; with a name, give both project= and domain= (got {project!r}, {domain!r})"
                )
            fetched: FlyteWorkflowExecution = remote.fetch_execution(project, domain, x)
        else:
            fetched = remote.fetch_execution(x)
        return fetched
    if callable(getattr(x, "to_flyte_idl", None)) and hasattr(x, "id"):  # flytekit's FlyteWorkflowExecution
        _refuse_node_or_task_execution(x)
        remote = remote if remote is not None else _flytekit_remote(x)
        return FlyteWorkflowExecution.promote_from_model(x, remote=remote)
    raise TypeError(f"{_ACCEPTED}; got {type(x).__module__}.{type(x).__qualname__}")


def _start_watch(execution: Any, model: ExecutionModel) -> WatchLike:
    started: WatchLike = scheduler.watch(execution, model)
    return started


def _live_widget(execution: FlyteWorkflowExecution) -> tuple[ExecutionWidget | None, ExecutionModel]:
    """The widget showing ``execution`` (None outside a kernel) and its model.

    A watch keeps it fresh unless the execution is already terminal and its nodes were synced.
    """
    model = ExecutionModel(execution)
    if not kernel.in_kernel():
        return None, model
    remote = getattr(execution, "_remote", None)
    synced = getattr(execution, "_node_executions", None) is not None
    needs_sync = remote is not None and not (bool(model.header.get("terminal")) and synced)
    handle = _start_watch(execution, model) if needs_sync else None
    return ExecutionWidget(model, execution=execution, remote=remote, watch=handle), model


def repr_mimebundle(execution: FlyteWorkflowExecution) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(data, metadata)`` for a ``FlyteWorkflowExecution._repr_mimebundle_``: in a kernel the live widget plus
    ``text/plain`` and ``text/html``; elsewhere (terminal IPython, plain Python) only those two, no thread started.
    The metadata matters in Colab (anywidget's custom widget manager)."""
    widget, model = _live_widget(execution)
    bundle = widget._repr_mimebundle_() if widget is not None else None
    if bundle is None:
        return {"text/plain": render_text(model), "text/html": render_html(model)}, {}
    return dict(bundle[0]), dict(bundle[1])


def mimebundle_for(execution: FlyteWorkflowExecution) -> dict[str, Any]:
    """What displaying a ``FlyteWorkflowExecution`` shows: the data of :func:`repr_mimebundle`."""
    return repr_mimebundle(execution)[0]


def ipython_display_for(execution: FlyteWorkflowExecution) -> None:
    """For a ``FlyteWorkflowExecution._ipython_display_``: like :func:`repr_mimebundle`, but displayed with a
    display id, so the output is refreshed with the final state once the watch is done (the snapshot saved with
    the notebook then shows how the execution ended, not how it looked when the cell ran)."""
    widget, model = _live_widget(execution)
    if widget is not None:
        widget._ipython_display_()
        return
    display(  # type: ignore[no-untyped-call]
        {"text/plain": render_text(model), "text/html": render_html(model)}, raw=True
    )


def display_flytekit(x: Any) -> None:
    """Display flytekit's ``FlyteWorkflowExecution`` ``x`` as our live widget (the printer of
    :mod:`~.flytekit_display`), through its FlyteRemote's connection (:func:`_flytekit_remote`). When no remote can
    be found, flytekit's own text shows, with the reason and what to do."""
    try:
        execution = FlyteWorkflowExecution.promote_from_model(x, remote=_flytekit_remote(x))
    except Exception as e:
        log.info("no live view of a flytekit execution: %s", e)
        note = f"(flyteexec-widget shows no live view: {e})"
        display({"text/plain": f"{x!r}\n{note}"}, raw=True)  # type: ignore[no-untyped-call]
        return
    ipython_display_for(execution)


def display_for(execution: FlyteWorkflowExecution, model: ModelLike) -> ExecutionWidget | None:
    """Show a widget over ``model`` (owned and synced by the caller, e.g. ``wait()``) and return it.

    The widget does not own a watch: closing it leaves the caller's sync running. Outside a kernel nothing is
    shown and ``None`` is returned (the caller prints a text status instead).
    """
    if not kernel.in_kernel():
        return None
    widget = ExecutionWidget(model, execution=execution, remote=getattr(execution, "_remote", None))
    display(widget)  # type: ignore[no-untyped-call]
    return widget
