"""Execution references: parse ``"P:D:N"``, console URLs and ``(project, domain, name)``; build console URLs.

No protobufs here: anything with ``project``/``domain``/``name`` attributes (a flyteidl
``WorkflowExecutionIdentifier``, flytekit's model of it, a ProtoView) is read by duck typing.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .errors import InvalidReferenceError

__all__ = [
    "ACCEPTED_FORMS",
    "MAX_PART_LENGTH",
    "ExecutionRef",
    "check_part_lengths",
    "check_same_cluster",
    "console_base",
    "entity_url",
    "entity_versions_url",
    "execution_url",
    "normalize_endpoint",
    "parse_execution_ref",
    "safe_url",
    "uri_component",
]

ACCEPTED_FORMS = (
    "an execution reference is one of: fetch_execution(project, domain, name); "
    "fetch_execution(name=...) with default_project/default_domain set on the Remote; "
    "'project:domain:name'; or a console URL like "
    "'https://HOST/console/projects/PROJECT/domains/DOMAIN/executions/NAME' "
    "(trailing '/nodeId/...' path and '?query' allowed)"
)

# A part of an id may hold neither separators (':' '/') nor whitespace, nor URL syntax ('?' '#').
_BAD_PART = re.compile(r"[\s:/?#]")
_DNS_PREFIX = "dns:///"

#: FlyteAdmin's longest project, domain and execution name: 63 characters, a Kubernetes label (flyteadmin
#: pkg/manager/impl/validation: execution_validator.go ``allowedExecutionNameLength``, project ids are DNS-1123
#: labels in project_validator.go, and a domain becomes part of the ``project-domain`` namespace). Checked before
#: sending: a 100 KB name would come back as RESOURCE_EXHAUSTED, be retried, and fill the error.
MAX_PART_LENGTH = {"project": 63, "domain": 63, "name": 63}

#: How much of a bad input an error message quotes.
_SHOWN = 120


def _shown(value: Any) -> str:
    """``repr(value)``, cut to a readable length (a 100 KB name must not make a 100 KB error)."""
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 1]}… ({len(text):,} characters)"


def safe_url(url: Any) -> str | None:
    """``url`` (stripped) if it is an absolute http(s) URL with a host, else ``None``: ``javascript:``, ``data:``,
    relative, scheme-relative and host-less (``http:foo``) links never reach a page (a ``javascript:`` log link
    would run on click). The one check of every link the package shows: rows, the HTML snapshot, the widget, the
    device-login prompt."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    try:
        parts = urlsplit(u)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return u


@dataclass(frozen=True)
class ExecutionRef:
    """A workflow execution's id as plain strings; ``str()`` gives ``"project:domain:name"``.

    Read from a console URL, it also keeps the URL and its host (and port, if the URL names one), so a client can
    refuse a URL of another cluster (:func:`check_same_cluster`); they take no part in equality.
    """

    project: str
    domain: str
    name: str
    url: str | None = field(default=None, compare=False, repr=False)
    host: str | None = field(default=None, compare=False, repr=False)
    port: int | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.project}:{self.domain}:{self.name}"

    @property
    def subject(self) -> str:
        """The ``"project:domain:name"`` form used in error messages."""
        return str(self)


def normalize_endpoint(endpoint: str) -> str:
    """Strip flytectl's ``dns:///`` prefix and surrounding whitespace from an admin endpoint."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise InvalidReferenceError(f"admin endpoint must be a non-empty 'host:port' string, got {_shown(endpoint)}")
    ep = endpoint.strip()
    if ep.startswith(_DNS_PREFIX):
        ep = ep[len(_DNS_PREFIX) :]
    return ep


def console_base(admin_endpoint: str, insecure: bool, console_endpoint: str | None = None) -> str:
    """Where FlyteConsole lives: ``console_endpoint`` if set, else ``http(s)://`` + the admin endpoint.

    Matches flytekit's ``FlyteRemote.generate_console_http_domain`` except that a trailing ``/`` on
    ``console_endpoint`` is dropped (flytekit would produce ``//console/...``).
    """
    if console_endpoint:
        return console_endpoint.rstrip("/")
    scheme = "http" if insecure else "https"
    return f"{scheme}://{normalize_endpoint(admin_endpoint)}"


def execution_url(base: str, project: str, domain: str, name: str) -> str:
    """The console page of one execution: ``{base}/console/projects/{p}/domains/{d}/executions/{name}``."""
    p, d, n = (quote(part, safe="") for part in (project, domain, name))
    return f"{base.rstrip('/')}/console/projects/{p}/domains/{d}/executions/{n}"


#: URL path segment of each entity kind, as flytekit's ``generate_console_url`` writes it.
ENTITY_KINDS = ("workflow", "task", "launch_plan")

# What JavaScript's encodeURIComponent leaves as is besides letters and digits (Python's quote() also leaves "~").
_URI_COMPONENT_SAFE = "-_.!~*'()"


def uri_component(text: str) -> str:
    """``text`` encoded as JavaScript's ``encodeURIComponent`` does it (FlyteConsole encodes versions so)."""
    return quote(text, safe=_URI_COMPONENT_SAFE)


def entity_url(base: str, kind: str, project: str, domain: str, name: str, version: str) -> str:
    """The console page of a registered entity: ``{base}/console/projects/{p}/domains/{d}/{kind}/{name}/version/{v}``.

    ``kind`` is ``workflow``, ``task`` or ``launch_plan`` (flytekit's spelling, and FlyteConsole's route: its
    ``EntityVersionDetails`` / ``TaskVersionDetails`` / ``WorkflowVersionDetails`` / ``LaunchPlanVersionDetails``
    in flyteconsole ``packages/oss-console/src/routes/routes.ts``, which the console's Task tab links through
    ``versionDetailsUrlGenerator``). The console puts the version through ``encodeURIComponent`` and the other
    parts in as they are; here they are percent-encoded too (the same string for the names Flyte allows:
    letters, digits, ``-_.``), so a hostile name cannot add path segments.
    """
    if kind not in ENTITY_KINDS:
        raise InvalidReferenceError(f"entity kind must be one of {', '.join(ENTITY_KINDS)}, got {kind!r}")
    p, d, n = (quote(part, safe="") for part in (project, domain, name))
    return f"{base.rstrip('/')}/console/projects/{p}/domains/{d}/{kind}/{n}/version/{uri_component(version)}"


#: The console's all-versions page of each entity kind (its ``EntityDetails`` route: ``tasks``, ``workflows``,
#: ``launchPlans``; flyteconsole ``packages/oss-console/src/routes/routes.ts``).
_ENTITY_LIST_SEGMENT = {"workflow": "workflows", "task": "tasks", "launch_plan": "launchPlans"}


def entity_versions_url(base: str, kind: str, project: str, domain: str, name: str) -> str:
    """The console page listing every version of an entity: ``.../domains/{d}/{tasks|workflows|launchPlans}/{name}``
    (FlyteConsole's ``EntityDetails.makeUrl``)."""
    if kind not in _ENTITY_LIST_SEGMENT:
        raise InvalidReferenceError(f"entity kind must be one of {', '.join(ENTITY_KINDS)}, got {kind!r}")
    p, d, n = (quote(part, safe="") for part in (project, domain, name))
    return f"{base.rstrip('/')}/console/projects/{p}/domains/{d}/{_ENTITY_LIST_SEGMENT[kind]}/{n}"


def _check_part(what: str, value: Any, original: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidReferenceError(f"execution {what} is missing in {_shown(original)}; {ACCEPTED_FORMS}")
    check_part_lengths(**{what: value})
    if _BAD_PART.search(value):
        raise InvalidReferenceError(
            f"execution {what} {_shown(value)} in {_shown(original)} may not contain whitespace, ':', '/', '?' or "
            f"'#'; {ACCEPTED_FORMS}"
        )
    return value


def check_part_lengths(**parts: str) -> None:
    """Raise :class:`InvalidReferenceError` if a ``project``/``domain``/``name`` is longer than FlyteAdmin allows
    (:data:`MAX_PART_LENGTH`)."""
    for what, value in parts.items():
        limit = MAX_PART_LENGTH[what]
        if len(value) > limit:
            raise InvalidReferenceError(
                f"execution {what} {_shown(value)} is {len(value):,} characters long; FlyteAdmin allows at most "
                f"{limit} (a Kubernetes label)"
            )


def _url_parts(ref: str) -> tuple[str, str | None, int | None]:
    """``(path, host, port)`` of a console URL, also one without its scheme (``flyte.example.com/console/...``)."""
    if "://" in ref:
        text = ref
    elif ref.startswith("/"):
        return ref, None, None  # a path alone names no host
    else:
        text = "//" + ref
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError as e:  # "[::1/console" (Invalid IPv6 URL), "host:abc" (bad port)
        raise InvalidReferenceError(f"malformed console URL {_shown(ref)}: {e}; {ACCEPTED_FORMS}") from None
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        raise InvalidReferenceError(
            f"console URL {_shown(ref)} must start with http:// or https://, not {parts.scheme}:; {ACCEPTED_FORMS}"
        )
    return parts.path, host or None, port


def _parse_url(ref: str) -> ExecutionRef:
    path, host, port = _url_parts(ref)
    segments = [unquote(s) for s in path.split("/") if s]
    # Look for the fixed sequence projects/P/domains/D/executions/N anywhere (the console may sit under a prefix).
    for i in range(len(segments) - 5):
        if segments[i] == "projects" and segments[i + 2] == "domains" and segments[i + 4] == "executions":
            p, d, n = segments[i + 1], segments[i + 3], segments[i + 5]
            return ExecutionRef(
                _check_part("project", p, ref),
                _check_part("domain", d, ref),
                _check_part("name", n, ref),
                url=ref,
                host=host,
                port=port,
            )
    raise InvalidReferenceError(f"URL {_shown(ref)} does not point to an execution page; {ACCEPTED_FORMS}")


def _host_key(host: str) -> str:
    """A host as compared: lower case, no trailing dot, every loopback address the same."""
    h = host.strip().strip("[]").lower().rstrip(".")
    if h == "localhost":
        return "loopback"
    try:
        return "loopback" if ipaddress.ip_address(h).is_loopback else h
    except ValueError:
        return h


def _host_port(address: str) -> tuple[str, int | None] | None:
    """Host and explicit port of an admin endpoint (``host:port``) or a console endpoint (a URL); None if unreadable."""
    try:
        parts = urlsplit(address if "://" in address else "//" + address)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    return (host, port) if host else None


def check_same_cluster(ref: ExecutionRef, endpoint: str, console_endpoint: str | None = None) -> None:
    """Refuse a console URL of another cluster: its host must be the admin endpoint's or the console endpoint's.

    Only the host, project, domain and name of a URL are read, so fetching a foreign URL from this cluster would
    show a different execution (or the one of the same name here) as if it were the one linked. Ports are compared
    when both sides name one (two sandboxes on 127.0.0.1 differ by port only; ``https://host/...`` and an admin on
    ``host:8089`` are one cluster). A reference without a host (``P:D:N``, a path) passes.
    """
    if ref.host is None:
        return
    admin = endpoint.strip().removeprefix(_DNS_PREFIX)
    candidates = [c for c in (_host_port(admin), _host_port(console_endpoint or "")) if c is not None]
    for host, port in candidates:
        if _host_key(host) == _host_key(ref.host) and (port is None or ref.port is None or port == ref.port):
            return
    where = ref.host if ref.port is None else f"{ref.host}:{ref.port}"
    ours = f"admin {endpoint}" + (f", console {console_endpoint}" if console_endpoint else "")
    raise InvalidReferenceError(
        f"console URL {_shown(ref.url)} is on {where}, not on this Remote's cluster ({ours}): fetching it here would "
        f"show {ref} of this cluster instead; use a Remote connected to {ref.host} (e.g. Remote.from_config() with "
        "that cluster's config), or set console_endpoint if this cluster's console lives on that host"
    )


def _parse_string(ref: str) -> ExecutionRef:
    text = ref.strip()
    if "/" in text:  # a URL, also without its scheme ("flyte.example.com/console/..."): "P:D:N" has no '/'
        return _parse_url(text)
    pieces = text.split(":")
    if len(pieces) == 3:
        p, d, n = pieces
        return ExecutionRef(_check_part("project", p, ref), _check_part("domain", d, ref), _check_part("name", n, ref))
    raise InvalidReferenceError(f"cannot read an execution reference from {_shown(ref)}; {ACCEPTED_FORMS}")


def parse_execution_ref(
    project: Any = None,
    domain: str | None = None,
    name: str | None = None,
    *,
    default_project: str | None = None,
    default_domain: str | None = None,
) -> ExecutionRef:
    """Read an execution reference given the way ``fetch_execution`` receives it.

    - ``(project, domain, name)``; with ``name`` alone (or a missing project/domain), the defaults fill in;
    - one string in ``project``'s place: ``"P:D:N"`` or a console URL;
    - one object with ``project``/``domain``/``name`` attributes (an identifier), or a 3-tuple.

    Raises :class:`InvalidReferenceError` saying what is accepted.
    """
    if domain is None and name is None and project is not None:
        if isinstance(project, ExecutionRef):
            return project
        if isinstance(project, str):
            return _parse_string(project)
        if isinstance(project, tuple) and len(project) == 3:
            p, d, n = project
            return ExecutionRef(
                _check_part("project", p, project), _check_part("domain", d, project), _check_part("name", n, project)
            )
        if hasattr(project, "resource_type") or hasattr(project, "version"):
            # a task/workflow/launch plan Identifier also has project/domain/name: do not read it as an execution
            raise InvalidReferenceError(
                f"{type(project).__name__} {project.project}:{project.domain}:{project.name} identifies a registered "
                f"entity (task, workflow or launch plan), not an execution; {ACCEPTED_FORMS}"
            )
        if all(hasattr(project, a) for a in ("project", "domain", "name")):
            p, d, n = project.project, project.domain, project.name
            return ExecutionRef(
                _check_part("project", p, project), _check_part("domain", d, project), _check_part("name", n, project)
            )
        raise InvalidReferenceError(
            f"cannot read an execution reference from a {type(project).__name__} ({_shown(project)}); {ACCEPTED_FORMS}"
        )
    if name is None:
        raise InvalidReferenceError(
            f"execution name is missing (project={_shown(project)}, domain={_shown(domain)}); {ACCEPTED_FORMS}"
        )
    original = (project, domain, name)
    p = project if project is not None else default_project
    d = domain if domain is not None else default_domain
    if p is None:
        raise InvalidReferenceError(
            f"no project given for execution {_shown(name)} and the Remote has no default_project; {ACCEPTED_FORMS}"
        )
    if d is None:
        raise InvalidReferenceError(
            f"no domain given for execution {_shown(name)} and the Remote has no default_domain; {ACCEPTED_FORMS}"
        )
    return ExecutionRef(
        _check_part("project", p, original), _check_part("domain", d, original), _check_part("name", name, original)
    )
