"""PlatformConfig: the flytectl YAML (or legacy INI) config plus ``FLYTE_*`` environment variables.

Follows flytekit's ``PlatformConfig.auto()``: the first config file found in the search order
``$FLYTECTL_CONFIG`` -> ``./flytekit.config`` -> ``~/.flyte/config`` -> ``~/.flyte/config.yaml`` is read
(``*.yaml``/``*.yml`` as flytectl YAML, anything else as flytekit's legacy INI, or as YAML when it has no INI
``[section]``: flytekit would fail there), and each
``FLYTE_{SECTION}_{OPTION}`` environment variable overrides the file's value.

Stricter than flytekit where a guess would fail open: booleans take only the spellings flytectl and YAML know
(:data:`BOOL_SPELLINGS`; flytekit reads ``insecure: flase`` as True), URLs and paths must be strings, and a file
must be UTF-8. Anything else is a :class:`ConfigError` naming the setting, where it was read and the value.

One addition of ours: ``FLYTE_CREDENTIALS_ACCESS_TOKEN`` (same naming scheme; flytekit has no such variable) holds
a bearer token you already have (a CI secret, a token from your IdP). When set it is sent as is (a
:class:`~flyteexec_widget.admin.auth.StaticToken`), replacing the file's ``authType``; only an explicit
``FLYTE_CREDENTIALS_AUTH_MODE`` takes precedence over it.
"""

from __future__ import annotations

import configparser
import logging
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .refs import normalize_endpoint

__all__ = ["AUTH_TYPES", "PlatformConfig", "find_config_file", "load_config", "no_endpoint_message", "searched_files"]

log = logging.getLogger(__name__)

# flytectl's names first (what the error message lists), then flytekit's aliases for the same modes.
AUTH_TYPES: dict[str, str] = {
    "clientsecret": "ClientSecret",
    "pkce": "Pkce",
    "externalcommand": "ExternalCommand",
    "deviceflow": "DeviceFlow",
    "standard": "Pkce",
    "basic": "ClientSecret",
    "client_credentials": "ClientSecret",
    "external_process": "ExternalCommand",
}
_VALID_AUTH = (
    "ClientSecret, Pkce, ExternalCommand, DeviceFlow (flytekit aliases: standard, basic, client_credentials, "
    "external_process)"
)


#: The boolean spellings accepted (any case): Go's ``strconv.ParseBool`` (flytectl: 1, t, true / 0, f, false) and
#: YAML 1.1's own booleans (yes/no, y/n, on/off), which flytectl's YAML and flytekit's PyYAML read. Anything else
#: is an error: flytekit reads every string but false/0/off/no as True, so ``insecure: flase`` would send the
#: bearer token in plain text.
_TRUE = frozenset({"true", "t", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "f", "0", "no", "n", "off"})
BOOL_SPELLINGS = "true/false, yes/no, on/off, y/n, t/f, 1/0 (any case)"


def _kind(v: Any) -> str:
    """What a config value is, in YAML's words, for error messages."""
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, (list, tuple)):
        return "a list"
    return f"{type(v).__name__} {v!r}"


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):  # YAML ``insecure: 1``
        return bool(v)
    if isinstance(v, str):
        word = v.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(f"{v!r} is not a boolean; accepted: {BOOL_SPELLINGS}")
    if isinstance(v, (dict, list, tuple)):  # a boolean setting holds no secret: show what was written, cut short
        shown = repr(v)
        raise ValueError(
            f"{_kind(v)} {shown if len(shown) <= 80 else shown[:79] + '…'} is not a boolean; accepted: {BOOL_SPELLINGS}"
        )
    raise ValueError(f"{_kind(v)} is not a boolean; accepted: {BOOL_SPELLINGS}")


def _to_list(v: Any) -> tuple[str, ...]:
    if isinstance(v, (list, tuple)):
        return tuple(_to_str(x) for x in v)
    return tuple(s.strip() for s in _to_str(v).split(",") if s.strip())


def _to_command(v: Any) -> tuple[str, ...]:
    # flytekit splits a string on commas; a single string without commas is more likely a shell line.
    if isinstance(v, (list, tuple)):
        return tuple(_to_str(x) for x in v)
    s = _to_str(v)
    try:
        return tuple(x.strip() for x in s.split(",")) if "," in s else tuple(shlex.split(s))
    except ValueError as e:  # an unclosed quote
        raise ValueError(f"cannot split the command line ({e})") from None


def _to_str(v: Any) -> str:
    """A text value; a YAML number is read as its digits (an unquoted numeric client id), nothing else is."""
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise ValueError(f"expected a string, got {_kind(v)}")


def _to_text(v: Any) -> str:
    """A URL or path: a string, nothing else (``endpoint: 8089`` or a list is a mistake, not a host)."""
    if isinstance(v, str):
        return v
    raise ValueError(f"expected a string, got {_kind(v)}")


@dataclass(frozen=True)
class _Entry:
    field: str
    section: str  # legacy INI section; env var is FLYTE_{SECTION}_{OPTION}
    option: str | None  # legacy INI option; None = no INI key and no env var
    yaml: str | None  # dotted flytectl key
    convert: Callable[[Any], Any] = _to_str

    @property
    def env(self) -> str | None:
        return f"FLYTE_{self.section.upper()}_{self.option.upper()}" if self.option else None


_ENTRIES: tuple[_Entry, ...] = (
    _Entry("endpoint", "platform", "url", "admin.endpoint", _to_text),
    _Entry("insecure", "platform", "insecure", "admin.insecure", _to_bool),
    _Entry("insecure_skip_verify", "platform", "insecure_skip_verify", "admin.insecureSkipVerify", _to_bool),
    _Entry("ca_cert_file_path", "platform", "ca_cert_file_path", "admin.caCertFilePath", _to_text),
    _Entry("console_endpoint", "platform", "console_endpoint", "console.endpoint", _to_text),
    _Entry("auth_type", "credentials", "auth_mode", "admin.authType", _to_text),
    _Entry("client_id", "credentials", "client_id", "admin.clientId"),
    _Entry("client_secret", "credentials", "client_secret", None),
    _Entry("client_secret_location", "credentials", "client_secret_location", "admin.clientSecretLocation", _to_text),
    _Entry("client_secret_env_var", "credentials", "client_secret_env_var", "admin.clientSecretEnvVar", _to_text),
    _Entry("scopes", "credentials", "scopes", "admin.scopes", _to_list),
    _Entry("audience", "credentials", "audience", "admin.audience"),
    _Entry("command", "credentials", "command", "admin.command", _to_command),
    # ours (see the module docstring): a ready-made bearer token; no YAML key, tokens do not belong in files.
    _Entry("access_token", "credentials", "access_token", None),
    # flyteidl's Go client options; flytekit has no env var for them, so neither do we.
    _Entry("token_url", "credentials", None, "admin.tokenUrl", _to_text),
    _Entry("authorization_header", "credentials", None, "admin.authorizationHeader", _to_text),
)

ENV_VARS: tuple[str, ...] = tuple(e.env for e in _ENTRIES if e.env)


@dataclass(frozen=True)
class PlatformConfig:
    """Connection and auth settings. ``client_secret`` never shows in ``repr()``."""

    endpoint: str | None = None
    insecure: bool = False
    insecure_skip_verify: bool = False
    ca_cert_file_path: str | None = None
    console_endpoint: str | None = None
    auth_type: str | None = None  # canonical flytectl name (ClientSecret|Pkce|ExternalCommand|DeviceFlow) or None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    client_secret_location: str | None = None
    client_secret_env_var: str | None = None
    scopes: tuple[str, ...] = ()
    audience: str | None = None
    command: tuple[str, ...] = field(default=(), repr=False)  # its arguments may hold a secret
    token_url: str | None = None
    authorization_header: str | None = None
    access_token: str | None = field(default=None, repr=False)  # FLYTE_CREDENTIALS_ACCESS_TOKEN
    source: str | None = None  # the file read, if any

    def __post_init__(self) -> None:
        if self.endpoint is not None:
            object.__setattr__(self, "endpoint", normalize_endpoint(self.endpoint))
        if self.auth_type is not None:
            object.__setattr__(self, "auth_type", canonical_auth_type(self.auth_type, where="authType"))

    def resolved_client_secret(self) -> str | None:
        """The client secret: ``clientSecretEnvVar``'s variable, else ``clientSecretLocation``'s file, else inline.

        Same precedence as flytekit; a missing secret file is skipped (flytectl's default location
        ``/etc/secrets/client_secret`` rarely exists on a laptop).
        """
        if self.client_secret_env_var:
            v = os.environ.get(self.client_secret_env_var)
            if v:
                return v
        if self.client_secret_location:
            path = Path(self.client_secret_location).expanduser()
            if path.is_file():
                text = _read_text(path, "admin.clientSecretLocation").strip()
                if text:
                    return text
        return self.client_secret or None


def canonical_auth_type(value: str, *, where: str = "authType") -> str:
    """Map a flytectl/flytekit auth mode name (any case) to flytectl's spelling, or raise ConfigError."""
    canon = AUTH_TYPES.get(str(value).strip().lower())
    if canon is None:
        raise ConfigError(f"unknown {where} {value!r}; valid values: {_VALID_AUTH}")
    return canon


def find_config_file(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """The first existing file in flytekit's search order, or None.

    ``$FLYTECTL_CONFIG`` naming something that is not a file (a directory) is a :class:`ConfigError`: it was
    set on purpose, and skipping it would quietly connect with another file's settings.
    """
    env = os.environ if environ is None else environ
    from_env = env.get("FLYTECTL_CONFIG")
    if from_env:
        p = Path(from_env).expanduser()
        if p.exists():
            if not p.is_file():
                raise ConfigError(f"FLYTECTL_CONFIG {str(p)!r} is not a file (a directory?); point it at a config file")
            return p
        log.warning("FLYTECTL_CONFIG points to %s, which does not exist; ignoring it", p)
    here = (cwd or Path.cwd()) / "flytekit.config"
    if here.is_file():
        return here
    home = Path.home() / ".flyte"
    for candidate in (home / "config", home / "config.yaml"):
        if candidate.is_file():
            return candidate
    return None


def searched_files(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> list[str]:
    """The places :func:`find_config_file` looks, in its order, as a user would write them (for error messages)."""
    env = os.environ if environ is None else environ
    from_env = env.get("FLYTECTL_CONFIG")
    return [
        f"$FLYTECTL_CONFIG ({from_env!r})" if from_env else "$FLYTECTL_CONFIG (unset)",
        str((cwd or Path.cwd()) / "flytekit.config"),
        str(Path.home() / ".flyte" / "config"),
        str(Path.home() / ".flyte" / "config.yaml"),
    ]


def no_endpoint_message(source: str | None, environ: Mapping[str, str] | None = None) -> str:
    """What to say when no FlyteAdmin endpoint is configured: where we looked, and the ways to give one."""
    if source:
        where = f"the config file {source} has no admin.endpoint and FLYTE_PLATFORM_URL is unset"
        fix = f"set admin.endpoint in {source}"
    else:
        where = (
            f"no config file was found (searched, in order: {', '.join(searched_files(environ))}) and "
            "FLYTE_PLATFORM_URL is unset"
        )
        fix = (
            "write ~/.flyte/config.yaml with 'admin: {endpoint: dns:///flyte.example.com:443}' "
            "(or point FLYTECTL_CONFIG at such a file)"
        )
    # "endpoint=" alone read as an argument of whatever failed (watch(), board() have none): say whose it is
    return (
        f"no FlyteAdmin endpoint: {where}; {fix}, set FLYTE_PLATFORM_URL=host:port, or connect with "
        "Remote.from_config(endpoint='host:port')"
    )


#: A value read from the config, with where it came from (``admin.insecure in /home/me/.flyte/config.yaml``,
#: ``FLYTE_PLATFORM_INSECURE``): what an error about it names.
_Raw = tuple[Any, str]


def _read_text(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read {what} {str(path)!r}: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{what} {str(path)!r} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); save it as UTF-8"
        ) from None


def _read_yaml(path: Path, text: str | None = None) -> dict[str, _Raw]:
    text = _read_text(path, "flytectl config") if text is None else text
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"cannot read flytectl config {str(path)!r}: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"flytectl config {str(path)!r} must be a YAML mapping, got {type(data).__name__}")
    out: dict[str, _Raw] = {}
    for entry in _ENTRIES:
        if not entry.yaml:
            continue
        node: Any = data
        keys = entry.yaml.split(".")
        for depth, key in enumerate(keys):
            if node is None:
                break
            if not isinstance(node, dict):
                section = ".".join(keys[:depth])
                raise ConfigError(
                    f"{section} in {str(path)!r} must be a mapping of settings (like 'admin: {{endpoint: ...}}'), "
                    f"got {_kind(node)}"
                )
            node = node.get(key)
        # flytekit ignores empty values ("" / [] / None) but keeps False.
        if isinstance(node, bool) or (node is not None and node != "" and node != []):
            out[entry.field] = (node, f"{entry.yaml} in {str(path)!r}")
    return out


def _read_ini(path: Path) -> dict[str, _Raw]:
    text = _read_text(path, "flytekit config")
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.MissingSectionHeaderError:
        # No "[section]" line: a flytectl YAML file without a .yaml name (flytectl itself reads FLYTECTL_CONFIG as
        # YAML whatever its name; flytekit would fail here).
        return _read_yaml(path, text)
    except configparser.Error as e:
        raise ConfigError(f"cannot read flytekit config {str(path)!r}: {e}") from None
    out: dict[str, _Raw] = {}
    for entry in _ENTRIES:
        if entry.option and parser.has_option(entry.section, entry.option):
            where = f"[{entry.section}] {entry.option} in {str(path)!r}"
            try:
                # flytekit's parser interpolates too: "%%" is a "%", a lone "%" is an error (flytekit skips the
                # value silently; here it is named)
                value = parser.get(entry.section, entry.option)
            except configparser.Error as e:
                # the parser's message quotes the value, and client_secret or access_token may be the key: not shown
                raise ConfigError(
                    f"bad value for {where}: its '%' cannot be read ({type(e).__name__}); write a '%' as '%%' "
                    "(the file is read with interpolation, as flytekit reads it)"
                ) from None
            # "insecure =" is unset, as in flytekit (which skips empty values and reads an empty boolean as False)
            if value.strip():
                out[entry.field] = (value, where)
    return out


def load_config(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> PlatformConfig:
    """Read ``path`` (or the first file in the search order) and apply ``FLYTE_*`` overrides.

    A value that is not what its setting takes (``insecure: flase``, ``endpoint: [a, b]``) is a
    :class:`ConfigError` naming the setting, where it was read, the value and what is accepted.
    """
    env = os.environ if environ is None else environ
    file: Path | None
    if path is not None:
        file = Path(path).expanduser()
        if not file.exists():
            raise ConfigError(f"config file {str(file)!r} does not exist")
        if not file.is_file():
            raise ConfigError(f"config file {str(file)!r} is not a file (a directory?); give the path of a config file")
    else:
        file = find_config_file(env)
    raw: dict[str, _Raw] = {}
    if file is not None:
        raw = _read_yaml(file) if file.suffix in (".yaml", ".yml") else _read_ini(file)
        log.info("using Flyte config %s", file)
    for e in _ENTRIES:
        # An empty variable (``FLYTE_PLATFORM_URL=``) counts as unset and the file's value stays, as in flytekit
        # (which, unlike us, reads an empty boolean variable as False).
        if e.env and env.get(e.env, "").strip():
            raw[e.field] = (env[e.env], e.env)
    values: dict[str, Any] = {}
    for e in _ENTRIES:
        if e.field in raw:
            value, where = raw[e.field]
            try:
                values[e.field] = e.convert(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"bad value for {where}: {exc}") from None
    if "auth_type" in values:
        where = (
            "FLYTE_CREDENTIALS_AUTH_MODE" if env.get("FLYTE_CREDENTIALS_AUTH_MODE", "").strip() else "admin.authType"
        )
        values["auth_type"] = canonical_auth_type(values["auth_type"], where=where)
    if values.get("access_token") and not env.get("FLYTE_CREDENTIALS_AUTH_MODE", "").strip():
        values["auth_type"] = None  # a token given in the environment beats the file's authType (see above)
    cfg = PlatformConfig(**values, source=str(file) if file else None)
    # flytekit: a client secret found through clientSecretLocation/clientSecretEnvVar selects ClientSecret mode.
    # We let it replace only "no mode" or Pkce (which cannot work in a kernel), never an explicit other mode.
    if cfg.auth_type in (None, "Pkce") and not cfg.access_token and cfg.resolved_client_secret():
        cfg = _replace(cfg, auth_type="ClientSecret")
    return cfg


def _replace(cfg: PlatformConfig, **changes: Any) -> PlatformConfig:
    values = {f.name: getattr(cfg, f.name) for f in fields(cfg)}
    values.update(changes)
    return PlatformConfig(**values)
