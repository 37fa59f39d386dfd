"""The sandbox's answer cache (:mod:`flyteexec_widget.sandbox.cache`) and the store generation it relies on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flyteidl.core import identifier_pb2
from flyteidl.event import event_pb2

from flyteexec_widget.sandbox.cache import ResponseCache
from flyteexec_widget.sandbox.errors import StoreError
from flyteexec_widget.sandbox.store import Store


class FakeStore:
    def __init__(self) -> None:
        self.generation = 0
        self.reading = threading.RLock()


def _req(name: str) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(name=name)


def _counting(answer: str) -> tuple[list[int], Callable[[], Any]]:
    calls: list[int] = []

    def compute() -> identifier_pb2.Identifier:
        calls.append(1)
        return identifier_pb2.Identifier(name=answer, version=str(len(calls)))

    return calls, compute


def test_an_answer_is_kept_until_the_store_moves() -> None:
    store = FakeStore()
    cache = ResponseCache(store, min_bytes=0)
    calls, compute = _counting("a")
    first = cache.answer("Get", _req("x"), compute)
    assert cache.answer("Get", _req("x"), compute) is first
    assert (len(calls), cache.hits, cache.misses) == (1, 1, 1)
    store.generation += 1
    again = cache.answer("Get", _req("x"), compute)
    assert again.version == "2"
    assert len(calls) == 2


def test_requests_and_methods_each_have_their_own_answer() -> None:
    cache = ResponseCache(FakeStore(), min_bytes=0)
    a = cache.answer("Get", _req("x"), lambda: identifier_pb2.Identifier(name="x"))
    b = cache.answer("Get", _req("y"), lambda: identifier_pb2.Identifier(name="y"))
    c = cache.answer("List", _req("x"), lambda: identifier_pb2.Identifier(name="list x"))
    assert [m.name for m in (a, b, c)] == ["x", "y", "list x"]
    assert len(cache) == 3


def test_errors_are_not_kept() -> None:
    cache = ResponseCache(FakeStore(), min_bytes=0)
    outcomes: list[Any] = [StoreError(5, "missing"), identifier_pb2.Identifier(name="found")]  # type: ignore[arg-type]

    def compute() -> Any:
        out = outcomes.pop(0)
        if isinstance(out, Exception):
            raise out
        return out

    with pytest.raises(StoreError):
        cache.answer("Get", _req("x"), compute)
    assert cache.answer("Get", _req("x"), compute).name == "found"


def test_an_answer_computed_across_a_write_is_not_kept() -> None:
    """The generation is read with the answer, under the store's lock: a write that lands meanwhile (here inside
    compute) makes the answer unservable later."""
    store = FakeStore()
    cache = ResponseCache(store, min_bytes=0)

    def racing() -> identifier_pb2.Identifier:
        store.generation += 1
        return identifier_pb2.Identifier(name="old")

    assert cache.answer("Get", _req("x"), racing).name == "old"
    assert cache.answer("Get", _req("x"), lambda: identifier_pb2.Identifier(name="new")).name == "new"


def test_size_bounds_drop_the_oldest() -> None:
    cache = ResponseCache(FakeStore(), max_entries=2, min_bytes=0)
    for name in ("a", "b", "c"):
        cache.answer("Get", _req(name), lambda name=name: identifier_pb2.Identifier(name=name))
    assert len(cache) == 2
    calls, compute = _counting("a")
    cache.answer("Get", _req("a"), compute)
    assert calls == [1]  # "a" was dropped
    small = ResponseCache(FakeStore(), max_bytes=50, min_bytes=0)
    small.answer("Get", _req("big"), lambda: identifier_pb2.Identifier(name="x" * 100))
    assert len(small) == 0
    default = ResponseCache(FakeStore())  # small answers are not kept by default: rebuilding them is cheaper
    default.answer("Get", _req("tiny"), lambda: identifier_pb2.Identifier(name="tiny"))
    default.answer("Get", _req("big"), lambda: identifier_pb2.Identifier(name="x" * default.min_bytes))
    assert len(default) == 1


def test_a_cached_answer_is_sent_as_its_stored_bytes_others_as_serialized() -> None:
    cache = ResponseCache(FakeStore(), min_bytes=0)
    msg = cache.answer("Get", _req("x"), lambda: identifier_pb2.Identifier(name="x", version="1"))
    seen: list[Any] = []

    def default(m: Any) -> bytes:
        seen.append(m)
        return bytes(m.SerializeToString())

    serialize = cache.serializer(default)
    assert serialize(msg) == msg.SerializeToString()
    assert seen == []
    other = identifier_pb2.Identifier(name="x", version="1")  # equal, but not the cached object
    assert serialize(other) == other.SerializeToString()
    assert seen == [other]


def _node_event(wf: identifier_pb2.WorkflowExecutionIdentifier) -> event_pb2.NodeExecutionEvent:
    ev = event_pb2.NodeExecutionEvent(phase=1, producer_id="t")
    ev.id.node_id = "n0"
    ev.id.execution_id.CopyFrom(wf)
    ev.occurred_at.GetCurrentTime()
    return ev


def test_every_store_write_moves_the_generation_and_reads_do_not() -> None:
    from flyteidl.admin import execution_pb2, workflow_pb2
    from flyteidl.core import literals_pb2

    store = Store()
    wf = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e")
    seen = [store.generation]

    def moved() -> None:
        assert store.generation != seen[-1]
        seen.append(store.generation)

    store.put_workflow(workflow_pb2.Workflow(id=identifier_pb2.Identifier(name="w", version="v")))
    moved()
    store.create_execution(wf, execution_pb2.ExecutionSpec(), literals_pb2.LiteralMap(), identifier_pb2.Identifier())
    moved()
    store.apply_node_event(_node_event(wf))
    moved()
    with pytest.raises(StoreError):
        store.apply_node_event(_node_event(wf))  # the same phase again: refused, but it may have written
    moved()
    store.terminate(wf, "stop", "me")
    moved()
    store.text_timestamps = True
    moved()
    store.put_blob("s3://x", b"x")
    moved()
    with store.lock:  # a caller may change records in place under the public lock
        pass
    moved()
    store.get_execution(wf)
    store.list_node_executions(wf, limit=10, token="")
    with store.reading:
        store.node_record(_node_event(wf).id)
    assert store.generation == seen[-1]
