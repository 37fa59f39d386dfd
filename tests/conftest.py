"""Shared fixtures: a sandbox FlyteAdmin over real gRPC on 127.0.0.1 (stepped clock), a client for it, and a hostile
FlyteAdmin whose every answer a test scripts (:mod:`tests.hostile_admin`)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flyteexec_widget.remote import Remote
    from flyteexec_widget.sandbox import Sandbox
    from tests.hostile_admin import HostileAdmin


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches the children the tests start (kernels, scripts) as it would from a terminal: a suite run as a
    background job of a non-interactive shell starts with SIGINT ignored, which every child inherits, so a kernel
    interrupt would silently do nothing and the interrupt tests would wait out their timeouts."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh ``Sandbox(clock="stepped")`` per test: time moves only in ``sandbox.advance()``."""
    from flyteexec_widget.sandbox import Sandbox

    with Sandbox(clock="stepped") as sb:
        yield sb


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[Sandbox]:
    """One ``Sandbox(clock="stepped")`` shared by a module's tests (cheaper; tests must use their own executions)."""
    from flyteexec_widget.sandbox import Sandbox

    with Sandbox(clock="stepped") as sb:
        yield sb


@pytest.fixture
def remote(sandbox: Sandbox) -> Iterator[Remote]:
    """Our client (``Remote.for_sandbox``) connected to the per-test ``sandbox``."""
    from flyteexec_widget.remote import Remote

    r = Remote.for_sandbox(sandbox.endpoint, rpc_timeout=10.0)
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def hostile_admin() -> Iterator[HostileAdmin]:
    """A started :class:`~tests.hostile_admin.HostileAdmin` on 127.0.0.1 (every method UNIMPLEMENTED until scripted);
    stopped after the test, which ends any call still hung."""
    from tests.hostile_admin import HostileAdmin

    with HostileAdmin() as server:
        yield server
