"""flytekit's objects, connected: which ``FlyteRemote`` a flytekit execution came from, and our client for it.

flytekit is never imported here: its objects are recognised by class name (``flytekit.remote.remote.FlyteRemote``,
``flytekit.remote.executions.FlyteWorkflowExecution``), so a notebook without flytekit pays nothing.

Which remote (flytekit 1.16, flytekit/remote/remote.py): ``FlyteRemote.execute()`` returns an execution holding its
remote (``_remote``); ``fetch_execution()`` and ``recent_executions()`` return executions WITHOUT one
(``promote_from_model(...)`` with no ``remote=``), and ``sync_execution()`` keeps what the object had. So an
execution without a remote is matched to the ``FlyteRemote`` objects bound to names in the notebook (IPython's
user namespace): when all of them connect alike (endpoint, TLS, auth mode, client id, command), that one is
used. Anything else (none, several clusters, or several identities) is not guessed: the caller falls back to the
config file, or asks for ``remote=``.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from .admin import ipython
from .admin.flytekit_config import config_from_flytekit, unmapped_settings
from .remote import Remote

__all__ = ["find_flyte_remote", "is_flyte_remote", "is_flytekit_execution", "remote_for"]

log = logging.getLogger(__name__)

FLYTE_REMOTE = ("flytekit.remote.remote", "FlyteRemote")
FLYTEKIT_EXECUTION = ("flytekit.remote.executions", "FlyteWorkflowExecution")

# flytekit's FlyteRemote -> our Remote over the same connection settings: one channel per FlyteRemote however many
# of its executions are displayed; the entry goes with the FlyteRemote.
_REMOTES: weakref.WeakKeyDictionary[Any, Remote] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _is(obj: Any, module_name: tuple[str, str]) -> bool:
    module, name = module_name
    return any(c.__module__ == module and c.__name__ == name for c in type(obj).__mro__)


def is_flyte_remote(obj: Any) -> bool:
    """Whether ``obj`` is flytekit's ``FlyteRemote`` (or a subclass), without importing flytekit."""
    return _is(obj, FLYTE_REMOTE)


def is_flytekit_execution(obj: Any) -> bool:
    """Whether ``obj`` is flytekit's ``FlyteWorkflowExecution`` (or a subclass), without importing flytekit."""
    return _is(obj, FLYTEKIT_EXECUTION)


def _platform(flyte_remote: Any) -> Any:
    return flyte_remote.config.platform


def _connection(flyte_remote: Any) -> tuple[Any, ...]:
    # who logs in counts too: two remotes of one cluster as different clients are not interchangeable
    p = _platform(flyte_remote)
    mode = getattr(p, "auth_mode", None)
    return (
        p.endpoint,
        bool(p.insecure),
        bool(p.insecure_skip_verify),
        p.ca_cert_file_path,
        str(getattr(mode, "value", mode)),
        getattr(p, "client_id", None),
        tuple(getattr(p, "command", None) or ()),
    )


def remote_for(flyte_remote: Any) -> Remote:
    """Our :class:`~flyteexec_widget.remote.Remote` with ``flyte_remote``'s endpoint, TLS settings, auth mode and
    credentials settings and default project/domain (see :mod:`~flyteexec_widget.admin.flytekit_config` for what
    maps); one per FlyteRemote."""
    with _LOCK:
        remote = _REMOTES.get(flyte_remote)
        if remote is None:
            platform = _platform(flyte_remote)
            skipped = unmapped_settings(platform)
            if skipped:
                log.warning("flytekit settings not used by flyteexec-widget: %s", ", ".join(skipped))
            remote = Remote.from_platform_config(
                config_from_flytekit(platform),
                default_project=getattr(flyte_remote, "default_project", None),
                default_domain=getattr(flyte_remote, "default_domain", None),
            )
            _REMOTES[flyte_remote] = remote
        return remote


def _namespace_remotes() -> list[Any]:
    """The FlyteRemote objects bound to names in the notebook (IPython's user namespace), if IPython runs."""
    shell = ipython.ipython_shell()
    user_ns = getattr(shell, "user_ns", None)
    if not isinstance(user_ns, dict):
        return []
    return [v for k, v in list(user_ns.items()) if not k.startswith("_") and is_flyte_remote(v)]


def find_flyte_remote(execution: Any) -> tuple[Any | None, str]:
    """The FlyteRemote of a flytekit execution, and how it was found (or, with None, why none was).

    Its own (``FlyteRemote.execute()`` results), else the one connection all the notebook's FlyteRemote variables
    share."""
    own = getattr(execution, "_remote", None)
    if own is not None and is_flyte_remote(own):
        return own, "the execution's own FlyteRemote"
    found = _namespace_remotes()
    if not found:
        return None, "the execution has no FlyteRemote (fetch_execution() gives none) and none is in the notebook"
    connections = {_connection(r) for r in found}
    if len(connections) > 1:
        endpoints = sorted({str(c[0]) for c in connections})
        if len(endpoints) == 1:
            return None, (
                f"the execution has no FlyteRemote and the notebook's connect to {endpoints[0]} with different "
                "settings (TLS or credentials)"
            )
        return None, (
            f"the execution has no FlyteRemote and the notebook's point at several endpoints ({', '.join(endpoints)})"
        )
    return found[0], "the notebook's FlyteRemote"
