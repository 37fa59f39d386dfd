"""flytekit's ``PlatformConfig`` (what a ``FlyteRemote`` connects with) mapped onto ours.

Read by attribute, never by importing flytekit: the object comes from a flytekit the user already loaded.

What maps (flytekit/configuration/__init__.py ``PlatformConfig``): ``endpoint``, ``insecure``,
``insecure_skip_verify``, ``ca_cert_file_path``, ``console_endpoint``, ``auth_mode`` (its ``AuthType`` names, the
flytectl ones and flytekit's aliases), ``client_id``, ``client_credentials_secret`` (flytekit resolved it from its
file or variable already), ``scopes``, ``audience``, ``command``.

What does not (:data:`NOT_MAPPED`): the token flytekit's own client already holds (its authenticator sits inside a
gRPC interceptor, out of reach: our client logs in by itself, with the same settings), ``proxy_command`` and
``http_proxy_url`` (no proxy support here), ``rpc_retries`` (our :class:`~flyteexec_widget.admin.retry.RetryPolicy`
applies), flytekit auth plugins (an ``auth_mode`` outside flytekit's ``AuthType``), and the extra channel arguments
given to ``FlyteRemote(**kwargs)`` (client certificates, channel options). ``Pkce`` (flytekit's default,
``standard``) maps to our placeholder: harmless while the server asks for no token, a clear error once it does.
"""

from __future__ import annotations

from typing import Any

from .config import PlatformConfig, canonical_auth_type
from .errors import ConfigError

__all__ = ["FLYTEKIT_SOURCE", "NOT_MAPPED", "config_from_flytekit", "unmapped_settings"]

#: ``PlatformConfig.source`` of a config mapped from flytekit (errors speak of the FlyteRemote, not of a file).
FLYTEKIT_SOURCE = "flytekit's FlyteRemote"

#: flytekit settings with no counterpart here: named in the log when one is set (see the module docstring).
NOT_MAPPED = ("proxy_command", "http_proxy_url")


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def config_from_flytekit(platform: Any) -> PlatformConfig:
    """Our :class:`~flyteexec_widget.admin.config.PlatformConfig` for flytekit's ``PlatformConfig`` ``platform``."""
    endpoint = _text(getattr(platform, "endpoint", None))
    if endpoint is None:
        raise ConfigError(f"flytekit's PlatformConfig has no endpoint (got {type(platform).__name__})")
    mode = getattr(platform, "auth_mode", None)
    mode = getattr(mode, "value", mode)  # flytekit's AuthType enum, or a plain string
    auth_type = canonical_auth_type(mode, where="flytekit auth_mode") if isinstance(mode, str) and mode else None
    scopes = getattr(platform, "scopes", None) or ()
    command = getattr(platform, "command", None) or ()
    return PlatformConfig(
        endpoint=endpoint,
        insecure=bool(getattr(platform, "insecure", False)),
        insecure_skip_verify=bool(getattr(platform, "insecure_skip_verify", False)),
        ca_cert_file_path=_text(getattr(platform, "ca_cert_file_path", None)),
        console_endpoint=_text(getattr(platform, "console_endpoint", None)),
        auth_type=auth_type,
        client_id=_text(getattr(platform, "client_id", None)),
        client_secret=_text(getattr(platform, "client_credentials_secret", None)),
        scopes=tuple(str(s) for s in scopes),
        audience=_text(getattr(platform, "audience", None)),
        command=tuple(str(c) for c in command),
        source=FLYTEKIT_SOURCE,
    )


def unmapped_settings(platform: Any) -> list[str]:
    """The settings of ``platform`` that are set and have no counterpart here (:data:`NOT_MAPPED`)."""
    return [name for name in NOT_MAPPED if getattr(platform, name, None)]
