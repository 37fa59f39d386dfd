"""The package's exceptions, and the one place that turns a ``grpc.RpcError`` into one of them."""

from __future__ import annotations

import grpc


class FlyteExecWidgetError(Exception):
    """Base class of every error this package raises on purpose."""


class FlyteAssertion(FlyteExecWidgetError, AssertionError):
    """A precondition of the call does not hold (like flytekit's ``FlyteAssertion``, also an ``AssertionError``)."""


class FlyteTimeout(FlyteExecWidgetError, TimeoutError):
    """``wait()`` ran out of time."""


class InvalidReferenceError(FlyteExecWidgetError, ValueError):
    """An execution reference (URL, ``"P:D:N"``, ids) or another argument is malformed."""


class ConfigError(FlyteExecWidgetError, ValueError):
    """A config file or ``FLYTE_*`` environment variable is missing something or holds a bad value."""


class RpcFailure(FlyteExecWidgetError):
    """A FlyteAdmin call failed. ``code`` is the gRPC status code, ``method`` the RPC's short name."""

    transient = False

    def __init__(self, message: str, *, code: grpc.StatusCode, method: str, details: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.method = method
        self.details = details


class NotFoundError(RpcFailure, LookupError):
    """The execution, node or signal does not exist (NOT_FOUND)."""


class InvalidArgumentError(RpcFailure, ValueError):
    """The server rejected the request's contents (INVALID_ARGUMENT)."""


class AlreadyExistsError(RpcFailure):
    """ALREADY_EXISTS."""


class FailedPreconditionError(RpcFailure):
    """The request does not fit the current state, e.g. terminating a finished execution (FAILED_PRECONDITION)."""


class AuthenticationError(RpcFailure):
    """The server wants credentials, or refused the ones sent (UNAUTHENTICATED)."""


class PermissionDeniedError(RpcFailure):
    """The credentials are valid but may not do this (PERMISSION_DENIED)."""


class UnavailableError(RpcFailure, ConnectionError):
    """The server could not be reached or dropped the call (UNAVAILABLE). Transient: retried."""

    transient = True


class DeadlineExceededError(RpcFailure, TimeoutError):
    """The call ran past its deadline (DEADLINE_EXCEEDED). Transient: retried."""

    transient = True


class ResourceExhaustedError(RpcFailure):
    """The server is rate limiting or out of a resource (RESOURCE_EXHAUSTED). Transient: retried."""

    transient = True


TRANSIENT_CODES = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)

_BY_CODE: dict[grpc.StatusCode, type[RpcFailure]] = {
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
}


def translate_rpc_error(err: grpc.RpcError, *, method: str, endpoint: str, subject: str | None = None) -> RpcFailure:
    """Turn a ``grpc.RpcError`` into the matching :class:`RpcFailure` with a message a user can act on.

    ``subject`` names what the call was about (an execution id such as ``"flytesnacks:development:abc"``);
    ``endpoint`` is the admin address. Credentials never reach the message: only the server's details do.
    """
    code: grpc.StatusCode = err.code() if callable(getattr(err, "code", None)) else grpc.StatusCode.UNKNOWN
    details: str = (err.details() if callable(getattr(err, "details", None)) else "") or ""
    about = f" {subject}" if subject else ""
    if code == grpc.StatusCode.NOT_FOUND:
        msg = f"{method}: not found{about}" + (f" ({details})" if details else "")
    elif code == grpc.StatusCode.UNAVAILABLE:
        msg = f"{method}: FlyteAdmin at {endpoint} is unavailable ({details or 'no details'})"
    elif code == grpc.StatusCode.UNAUTHENTICATED:
        msg = (
            f"{method}: FlyteAdmin at {endpoint} refused the request as unauthenticated ({details or 'no details'}). "
            "Log in by setting admin.authType in your flytectl config (ClientSecret, DeviceFlow or "
            "ExternalCommand), set FLYTE_CREDENTIALS_CLIENT_ID / FLYTE_CREDENTIALS_CLIENT_SECRET, or put a token "
            "in FLYTE_CREDENTIALS_ACCESS_TOKEN."
        )
    elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
        msg = f"{method}{about}: no answer from {endpoint} before the deadline"
    else:
        msg = f"{method}{about}: {code.name} from {endpoint}: {details or 'no details'}"
    cls = _BY_CODE.get(code, RpcFailure)
    return cls(msg, code=code, method=method, details=details)
