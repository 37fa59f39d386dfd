"""Nothing outlives a closed widget: ``watch()`` against the sandbox over real gRPC, then ``close()``.

Counted with weak references after ``gc.collect()`` (objects), ``tracemalloc`` (memory the Python allocator still
holds), ``threading.enumerate()`` (threads) and ``/proc/self/fd`` (file descriptors), never with RSS or timings. The
1,000-watch loop is the "memory stays flat" promise of docs/reliability.md.
"""

from __future__ import annotations

import gc
import os
import re
import threading
import tracemalloc
import weakref
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from flyteexec_widget.display import notebook
from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import SyncScheduler
from flyteexec_widget.objects.executions import RemoteExecutionBase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox


def _sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("flyteexec-sync")]


def _settled_threads() -> list[threading.Thread]:
    """The sync threads left once those that were told to end did (a thread exits a moment after stop())."""
    for t in _sync_threads():
        t.join(10)
    return _sync_threads()


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def running(sandbox: Sandbox, remote: Remote) -> tuple[str, Remote]:
    """A running execution with a few nodes (the demo scenario, one sandbox second in), as ``watch()`` takes it:
    a reference string, so each ``watch()`` fetches its own execution object (which holds the synced tree)."""
    wf_id = sandbox.launch("demo")
    sandbox.advance(1)
    return f"{wf_id.project}:{wf_id.domain}:{wf_id.name}", remote


@pytest.fixture(autouse=True)
def _no_threads_left() -> Iterator[None]:
    yield
    assert _settled_threads() == []


KINDS = ("widget", "model", "execution", "tree")


def _watch_once(running: tuple[str, Remote], *, synced: bool) -> tuple[weakref.ref[Any], ...]:
    """``watch()`` + ``close()``; returns weak references to the widget, its model, its execution and its tree."""
    ref, remote = running
    w = notebook.watch(ref, remote)
    assert w.watch is not None
    assert w.execution is not None
    if synced:  # one sync done: the model holds rows and the tree holds node executions
        model = w.model
        assert isinstance(model, ExecutionModel)
        _wait_for_sync(model)
        assert model.rows
    refs = (weakref.ref(w), weakref.ref(w.model), weakref.ref(w.execution), weakref.ref(w.watch.tree))
    w.close()
    return refs


def _alive(refs: list[tuple[weakref.ref[Any], ...]]) -> list[str]:
    gc.collect()
    return [kind for group in refs for kind, r in zip(KINDS, group, strict=True) if r() is not None]


def _wait_for_sync(model: ExecutionModel) -> None:
    done = threading.Event()

    def on_status(change: dict[str, Any]) -> None:
        if change["new"].get("last_synced_at"):
            done.set()

    model.observe(on_status, names=["sync_status"])
    if not model.sync_status.get("last_synced_at"):
        assert done.wait(30), f"no sync within 30 s: {model.sync_status}"
    model.unobserve(on_status, names=["sync_status"])


def test_a_closed_widget_its_model_execution_and_tree_are_freed(running: tuple[str, Remote]) -> None:
    assert _alive([_watch_once(running, synced=True)]) == []


#: Every how many watches of the 1,000 one is synced first (its model holds rows, its tree node executions).
SYNC_EVERY = 50
#: Traced memory the 1,000 watches may leave behind: noise (interned names, caches reaching their size). One
#: leaked Layout widget per watch (ipywidgets' own, see ExecutionWidget.close) was 3.4 MB; a leaked synced tree
#: is ~1 MB per 300 nodes.
MEMORY_BOUND = 512 * 1024


def test_a_thousand_watches_leave_nothing_behind(running: tuple[str, Remote]) -> None:
    """1,000 watch() + close(), every 50th synced first: every widget, model, execution and tree is collected, and
    traced memory stays flat (the widgets' own parts too: ipywidgets kept each one's Layout widget for ever)."""
    for i in range(SYNC_EVERY):  # warm up: the channel, templates, caches at their size
        _watch_once(running, synced=i == 0)
    gc.collect()
    here = [tracemalloc.Filter(False, __file__)]  # the weak references this test keeps are not a leak
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot().filter_traces(here)
        refs = [_watch_once(running, synced=i % SYNC_EVERY == 0) for i in range(1000)]
        assert _alive(refs) == []  # gc.collect() inside
        after = tracemalloc.take_snapshot().filter_traces(here)
    finally:
        tracemalloc.stop()
    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    top = "\n".join(str(stat) for stat in after.compare_to(before, "lineno")[:5])
    assert growth < MEMORY_BOUND, f"{growth:,} bytes more after 1,000 watches; most:\n{top}"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts file descriptors through /proc")
def test_threads_and_file_descriptors_are_flat_over_a_hundred_watches(running: tuple[str, Remote]) -> None:
    _, remote = running
    _watch_once(running, synced=True)  # the first watch opens the channel's connection: count from there
    gc.collect()
    threads, fds = _thread_kinds(), _fds()
    others = {t for t in threading.enumerate() if t.name.startswith("flyteexec-rpc")} - _pool_threads(remote)
    for _ in range(100):
        _watch_once(running, synced=True)
    gc.collect()
    assert _settled_threads() == []
    after = _thread_kinds()
    # The client's RPC pool starts workers as concurrency needs them, up to its bound: more of them later is not a
    # leak. (Pools of other tests' clients, still alive in this process, are theirs: they must not grow either.)
    assert len(_pool_threads(remote)) <= remote.max_workers
    rpc_now = {t for t in threading.enumerate() if t.name.startswith("flyteexec-rpc")} - _pool_threads(remote)
    assert rpc_now <= others
    after.pop("flyteexec-rpc", None)
    # Every other kind of thread: no more than after the first watch.
    # The sandbox's gRPC server (in this process) grows its own bounded worker pool the same way under load: it is
    # the server's, not something the watches left behind.
    after.pop("sandbox-grpc", None)
    assert {kind: n for kind, n in after.items() if n > threads.get(kind, 0)} == {}
    assert _fds() <= fds


def _pool_threads(remote: Remote) -> set[threading.Thread]:
    """The live worker threads of ``remote``'s RPC pool."""
    return {t for t in getattr(remote.executor, "_threads", []) if t.is_alive()}


def _thread_kinds() -> Counter[str]:
    """Live threads by name without the pool's worker number ("flyteexec-rpc_3" -> "flyteexec-rpc")."""
    return Counter(re.sub(r"_\d+$", "", t.name) for t in threading.enumerate())


def _wrappers() -> Counter[str]:
    """Live execution wrappers by class (the objects a sync makes per node and attempt)."""
    gc.collect()
    # type(), not isinstance(): flytekit's lazy modules (loaded by other tests) raise on __class__
    return Counter(t.__name__ for t in map(type, gc.get_objects()) if issubclass(t, RemoteExecutionBase))


def test_a_long_watch_keeps_memory_flat(sandbox: Sandbox, remote: Remote) -> None:
    """200 syncs of a running execution (the demo waits at its approval gate) hold no more objects than one: the
    same wrappers, and no traced allocation growth beyond noise."""
    wf_id = sandbox.launch("demo")
    for _ in range(60):  # to its approval gate, where it waits (running) for good
        sandbox.advance(2)
    execution = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
    sched = SyncScheduler(start_thread=False)
    model = ExecutionModel()
    w = sched.watch(execution, model)
    for _ in range(5):  # warm up: the tree, templates and channel are built
        sched.sync_once(w)
    assert model.header["phase"] == "RUNNING"
    assert any(r["kind"] == "gate" and not r["terminal"] for r in model.rows.values())
    wrappers = _wrappers()
    assert wrappers["FlyteNodeExecution"] >= 5  # the tree is there: the counts below are not vacuous
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            sched.sync_once(w)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert w.syncs >= 205
    assert _wrappers() == wrappers
    assert growth < 256 * 1024, f"{growth:,} bytes more after 200 syncs"
    w.stop()
    sched.shutdown()


def test_a_remote_dropped_without_close_leaves_no_pool_threads(sandbox: Sandbox) -> None:
    """A notebook cell that makes a new Remote each time it runs, and never closes the old one: once the old one
    is collected its RPC pool's threads end (they hold the pool, not the client, so nothing else would end them)."""
    wf_id = sandbox.launch("demo")
    sandbox.advance(1)
    ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
    dropped = Remote.for_sandbox(sandbox.endpoint)
    dropped.sync_execution(dropped.fetch_execution(ref))  # concurrent calls: its pool has started threads
    threads = _pool_threads(dropped)
    assert threads
    client = weakref.ref(dropped)
    del dropped
    gc.collect()
    assert client() is None
    for t in threads:
        t.join(10)
    assert [t.name for t in threads if t.is_alive()] == []
