"""The package's exceptions, the one place that turns a ``grpc.RpcError`` into one of them, and which failures are
worth retrying.

Every :class:`RpcFailure` says what a caller should do about it, once, here:

- ``transient``: retry; the same call may succeed later as it is (UNAVAILABLE, DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED, CANCELLED: what calls in flight get when FlyteAdmin restarts, or a login the user still has
  to do: :class:`LoginRequiredError`).
- ``permanent``: stop; retrying cannot help (NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED). A watch ends.
- ``server_error``: FlyteAdmin failed while answering (INTERNAL, UNKNOWN: a bug, or an outage behind it such as
  its database). A call does not retry it (it may have been applied), a watch does, with backoff, and shows
  "reconnecting (server error: ...)": it is back to live once the server answers again.
- none of these: the server rejected this request (INVALID_ARGUMENT, FAILED_PRECONDITION...); a watch retries
  with backoff and shows the error.

:func:`is_transient`, :func:`is_permanent` and :func:`is_server_error` answer for any exception (False for what
is not an RpcFailure).
"""

from __future__ import annotations

import grpc

from .plaintext import printable


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

    #: Retry: the same call may succeed later as it is.
    transient = False
    #: Stop: retrying cannot help.
    permanent = False
    #: FlyteAdmin failed while answering: a watch retries, a single call does not.
    server_error = False

    def __init__(self, message: str, *, code: grpc.StatusCode, method: str, details: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.method = method
        self.details = details


class NotFoundError(RpcFailure, LookupError):
    """The execution, node or signal does not exist (NOT_FOUND). Permanent."""

    permanent = True


class InvalidArgumentError(RpcFailure, ValueError):
    """The server rejected the request's contents (INVALID_ARGUMENT)."""


class AlreadyExistsError(RpcFailure):
    """ALREADY_EXISTS."""


class FailedPreconditionError(RpcFailure):
    """The request does not fit the current state, e.g. terminating a finished execution (FAILED_PRECONDITION)."""


class AuthenticationError(RpcFailure):
    """The server wants credentials, or refused the ones sent (UNAUTHENTICATED). Permanent (a refresh was tried)."""

    permanent = True


class LoginRequiredError(AuthenticationError):
    """A new interactive login (DeviceFlow) is needed and this thread may not show it: the sync thread must not
    prompt into whatever cell is running. Transient, not permanent: the user's next call in a cell logs in, and a
    watch that waited resumes.

    ``url`` (http(s)) and ``user_code``: where a login already started in a cell waits for approval; None when
    none is under way. Neither is a secret (the device code, which is, never leaves the authenticator).
    """

    transient = True
    permanent = False

    def __init__(
        self, message: str, *, url: str | None = None, user_code: str | None = None, method: str = "login"
    ) -> None:
        super().__init__(message, code=grpc.StatusCode.UNAUTHENTICATED, method=method)
        self.url = url
        self.user_code = user_code


class LoginError(AuthenticationError):
    """Getting a token failed (token endpoint refused, device flow expired, command failed, ...)."""

    def __init__(self, message: str, *, method: str = "login") -> None:
        super().__init__(message, code=grpc.StatusCode.UNAUTHENTICATED, method=method)


class LoginTimeout(LoginError):
    """Getting a token ran out of time: the identity provider (or a login command) did not answer within the
    call's budget, or a device login was not approved within the time the caller had. Transient, like
    DEADLINE_EXCEEDED: the same login may succeed later."""

    transient = True
    permanent = False


class PermissionDeniedError(RpcFailure):
    """The credentials are valid but may not do this (PERMISSION_DENIED). Permanent."""

    permanent = True


class UnavailableError(RpcFailure, ConnectionError):
    """The server could not be reached or dropped the call (UNAVAILABLE). Transient: retried."""

    transient = True


class DeadlineExceededError(RpcFailure, TimeoutError):
    """The call ran past its deadline (DEADLINE_EXCEEDED). Transient: retried."""

    transient = True


class ResourceExhaustedError(RpcFailure):
    """The server is rate limiting or out of a resource (RESOURCE_EXHAUSTED). Transient: retried."""

    transient = True


class CallCancelledError(RpcFailure):
    """The call was cancelled before an answer came (CANCELLED): what calls in flight get when FlyteAdmin or a
    proxy in front of it restarts. Transient: retried."""

    transient = True


class ServerError(RpcFailure):
    """FlyteAdmin failed while answering (INTERNAL, UNKNOWN). Not retried by a call (a request that changes
    something may have been applied); a watch retries it with backoff, as "reconnecting (server error: ...)"."""

    server_error = True


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying as it is (see the module docstring)."""
    return isinstance(exc, RpcFailure) and exc.transient


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying ``exc`` cannot help, so a watch should stop (see the module docstring)."""
    return isinstance(exc, RpcFailure) and exc.permanent


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
    grpc.StatusCode.CANCELLED: CallCancelledError,
    grpc.StatusCode.INTERNAL: ServerError,
    grpc.StatusCode.UNKNOWN: ServerError,
}


def is_server_error(exc: BaseException) -> bool:
    """Whether ``exc`` says FlyteAdmin itself failed, so it may answer again later (see the module docstring)."""
    return isinstance(exc, RpcFailure) and exc.server_error


def translate_rpc_error(err: grpc.RpcError, *, method: str, endpoint: str, subject: str | None = None) -> RpcFailure:
    """Turn a ``grpc.RpcError`` into the matching :class:`RpcFailure` with a message a user can act on.

    ``subject`` names what the call was about (an execution id such as ``"flytesnacks:development:abc"``);
    ``endpoint`` is the admin address. Credentials never reach the message: only the server's details do, with
    control characters and bidi controls as visible escapes (:func:`~.plaintext.printable`).
    """
    code: grpc.StatusCode = err.code() if callable(getattr(err, "code", None)) else grpc.StatusCode.UNKNOWN
    details: str = (err.details() if callable(getattr(err, "details", None)) else "") or ""
    # The details and the subject (node and task names) are the server's text, and a message ends up in a terminal:
    # no ANSI sequence or bidi override gets through (``details`` keeps them as sent). The details may span lines (a
    # stack trace); a name may not.
    shown = printable(details, multiline=True)
    about = f" {printable(subject)}" if subject else ""
    if code == grpc.StatusCode.NOT_FOUND:
        msg = f"{method}: not found{about}" + (f" ({shown})" if details else "")
    elif code == grpc.StatusCode.UNAVAILABLE:
        msg = f"{method}: FlyteAdmin at {endpoint} is unavailable ({shown or 'no details'})"
    elif code == grpc.StatusCode.UNAUTHENTICATED:
        msg = (
            f"{method}: FlyteAdmin at {endpoint} refused the request as unauthenticated ({shown or 'no details'}). "
            "Log in by setting admin.authType in your flytectl config (ClientSecret, DeviceFlow or "
            "ExternalCommand), set FLYTE_CREDENTIALS_CLIENT_ID / FLYTE_CREDENTIALS_CLIENT_SECRET, or put a token "
            "in FLYTE_CREDENTIALS_ACCESS_TOKEN."
        )
    elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
        msg = f"{method}{about}: no answer from {endpoint} before the deadline"
    else:
        msg = f"{method}{about}: {code.name} from {endpoint}: {shown or 'no details'}"
    cls = _BY_CODE.get(code, RpcFailure)
    return cls(msg, code=code, method=method, details=details)
