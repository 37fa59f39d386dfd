"""The cyclic collector is off only while a first paint builds its rows, and comes back as it was."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from flyteexec_widget.live import gcpause


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_off_inside_back_on_after_even_on_error() -> None:
    gc.enable()
    seen: list[bool] = []

    def fail() -> None:
        with gcpause.paused():
            seen.append(gc.isenabled())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    assert seen == [False]
    assert gc.isenabled()


def test_nested_and_concurrent_uses_turn_it_on_once_the_last_leaves() -> None:
    gc.enable()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with gcpause.paused():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=other)
    with gcpause.paused():
        t.start()
        assert inside.wait(10)
        with gcpause.paused():
            assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread is still building
    leave.set()
    t.join(10)
    assert gc.isenabled()


def test_a_collector_the_user_turned_off_stays_off() -> None:
    gc.disable()
    with gcpause.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
