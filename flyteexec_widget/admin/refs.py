"""Execution references: parse ``"P:D:N"``, console URLs and ``(project, domain, name)``; build console URLs.

No protobufs here: anything with ``project``/``domain``/``name`` attributes (a flyteidl
``WorkflowExecutionIdentifier``, flytekit's model of it, a ProtoView) is read by duck typing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .errors import InvalidReferenceError

__all__ = [
    "ACCEPTED_FORMS",
    "ExecutionRef",
    "console_base",
    "entity_url",
    "execution_url",
    "normalize_endpoint",
    "parse_execution_ref",
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


@dataclass(frozen=True)
class ExecutionRef:
    """A workflow execution's id as plain strings; ``str()`` gives ``"project:domain:name"``."""

    project: str
    domain: str
    name: str

    def __str__(self) -> str:
        return f"{self.project}:{self.domain}:{self.name}"

    @property
    def subject(self) -> str:
        """The ``"project:domain:name"`` form used in error messages."""
        return str(self)


def normalize_endpoint(endpoint: str) -> str:
    """Strip flytectl's ``dns:///`` prefix and surrounding whitespace from an admin endpoint."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise InvalidReferenceError(f"admin endpoint must be a non-empty 'host:port' string, got {endpoint!r}")
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


def entity_url(base: str, kind: str, project: str, domain: str, name: str, version: str) -> str:
    """The console page of a registered entity: ``{base}/console/projects/{p}/domains/{d}/{kind}/{name}/version/{v}``.

    ``kind`` is ``workflow``, ``task`` or ``launch_plan`` (flytekit's spelling).
    """
    if kind not in ENTITY_KINDS:
        raise InvalidReferenceError(f"entity kind must be one of {', '.join(ENTITY_KINDS)}, got {kind!r}")
    p, d, n, v = (quote(part, safe="") for part in (project, domain, name, version))
    return f"{base.rstrip('/')}/console/projects/{p}/domains/{d}/{kind}/{n}/version/{v}"


def _check_part(what: str, value: Any, original: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidReferenceError(f"execution {what} is missing in {original!r}; {ACCEPTED_FORMS}")
    if _BAD_PART.search(value):
        raise InvalidReferenceError(
            f"execution {what} {value!r} in {original!r} may not contain whitespace, ':', '/', '?' or '#'; "
            f"{ACCEPTED_FORMS}"
        )
    return value


def _parse_url(ref: str) -> ExecutionRef:
    parts = urlsplit(ref)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    # Look for the fixed sequence projects/P/domains/D/executions/N anywhere (the console may sit under a prefix).
    for i in range(len(segments) - 5):
        if segments[i] == "projects" and segments[i + 2] == "domains" and segments[i + 4] == "executions":
            p, d, n = segments[i + 1], segments[i + 3], segments[i + 5]
            return ExecutionRef(
                _check_part("project", p, ref), _check_part("domain", d, ref), _check_part("name", n, ref)
            )
    raise InvalidReferenceError(f"URL {ref!r} does not point to an execution page; {ACCEPTED_FORMS}")


def _parse_string(ref: str) -> ExecutionRef:
    text = ref.strip()
    if "/" in text:  # a URL, also without its scheme ("flyte.example.com/console/..."): "P:D:N" has no '/'
        return _parse_url(text)
    pieces = text.split(":")
    if len(pieces) == 3:
        p, d, n = pieces
        return ExecutionRef(_check_part("project", p, ref), _check_part("domain", d, ref), _check_part("name", n, ref))
    raise InvalidReferenceError(f"cannot read an execution reference from {ref!r}; {ACCEPTED_FORMS}")


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
            f"cannot read an execution reference from a {type(project).__name__} ({project!r}); {ACCEPTED_FORMS}"
        )
    if name is None:
        raise InvalidReferenceError(
            f"execution name is missing (project={project!r}, domain={domain!r}); {ACCEPTED_FORMS}"
        )
    original = (project, domain, name)
    p = project if project is not None else default_project
    d = domain if domain is not None else default_domain
    if p is None:
        raise InvalidReferenceError(
            f"no project given for execution {name!r} and the Remote has no default_project; {ACCEPTED_FORMS}"
        )
    if d is None:
        raise InvalidReferenceError(
            f"no domain given for execution {name!r} and the Remote has no default_domain; {ACCEPTED_FORMS}"
        )
    return ExecutionRef(
        _check_part("project", p, original), _check_part("domain", d, original), _check_part("name", name, original)
    )
