"""Answers of the sandbox's read RPCs, kept while the store has not changed, and their serialized bytes.

FlyteAdmin answers a ``GetWorkflow`` from bytes it stored once: a workflow is immutable, CreateWorkflow writes its
compiled closure to storage (``storageClient.WriteProtobuf`` in ``flyteadmin/pkg/manager/impl/workflow_manager.go``)
and GetWorkflow reads it back (``util.GetWorkflow`` -> ``FetchAndGetWorkflowClosure``: ``ReadProtobuf`` of the row's
``RemoteClosureIdentifier``, ``flyteadmin/pkg/manager/impl/util/shared.go``). A listing is rows read and their stored
closures unmarshalled (``listNodeExecutions`` in ``node_execution_manager.go``, ``FromNodeExecutionModel`` in
``repositories/transformers/node_execution.go``). In Go that is a few ms for 1,000 nodes; the sandbox, in Python and
under one GIL, would copy, trim and serialize 1,000 protobufs for every ``ListNodeExecutions`` of a settled
execution. So it keeps its answers while nothing changed.

The contract that keeps a cached answer exact: a read RPC's answer is a function of its request and of the store's
state, and :attr:`~.store.Store.generation` changes with every store write (events, registrations, terminations,
signals, the timestamp mode, and anything done under the store's public :attr:`~.store.Store.lock`). An answer is
kept under the generation it was computed at (read under the store's lock, with the answer), and the whole cache is
dropped as soon as the generation moves: nothing computed before a write is ever served after it. Errors are never
cached. The request's serialized bytes are the key, so paging tokens, limits, filters and sort order each have
their own answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

#: Answers smaller than this are not kept: building one (a node, an attempt listing) takes ~20 us of the ~0.5 ms
#: gRPC Python spends on any call, while thousands of them (a complete tree lists every node's attempts, and so
#: does flytekit's sync beside it) would push the big answers out of the cache.
MIN_BYTES = 2048
#: At most this many answers are kept ...
MAX_ENTRIES = 4096
#: ... and at most this many serialized bytes (a 10,000-node listing is ~3 MB, its workflow ~1.4 MB).
MAX_BYTES = 64 * 1024 * 1024


class _Versioned(Protocol):
    @property
    def generation(self) -> int: ...

    @property
    def reading(self) -> threading.RLock: ...


class ResponseCache:
    """Read RPC answers by (method, request bytes), valid for one store generation; see the module docstring.

    :meth:`answer` returns the cached message itself (shared: callers serialize it, never change it).
    :meth:`serializer` wraps a gRPC response serializer so that a cached answer goes out as its stored bytes.
    """

    def __init__(
        self,
        store: _Versioned,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        min_bytes: int = MIN_BYTES,
    ) -> None:
        self._store = store
        #: Answers smaller than this many bytes are computed every time (tests set 0 to keep every answer).
        self.min_bytes = min_bytes
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._generation = store.generation
        self._entries: OrderedDict[tuple[str, bytes], tuple[Any, bytes]] = OrderedDict()
        # id(message) -> (message, bytes) of the cached messages: what serializer() looks up. The message is held,
        # so its id cannot be reused by another object while it is listed; the identity check makes sure.
        self._wire: dict[int, tuple[Any, bytes]] = {}
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _sync(self) -> None:
        """Drop everything if the store moved on (call with ``_lock`` held)."""
        current = self._store.generation
        if current != self._generation:
            self._entries.clear()
            self._wire.clear()
            self._bytes = 0
            self._generation = current

    def answer(self, method: str, request: Any, compute: Callable[[], Any]) -> Any:
        """The answer to ``request`` of ``method``: the cached one if the store has not changed since it was
        computed, else ``compute()`` (run under the store's lock with the generation read, then kept)."""
        key = (method, request.SerializeToString(deterministic=True))
        with self._lock:
            self._sync()
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return hit[0]
            self.misses += 1
        with self._store.reading:
            generation = self._store.generation
            response = compute()  # raises for an error answer: nothing is kept
        if generation != self._store.generation:
            return response  # written meanwhile: not worth keeping (nor serializing twice)
        data = response.SerializeToString()
        if len(data) < self.min_bytes:
            return response
        with self._lock:
            self._sync()
            if generation == self._generation and key not in self._entries:
                self._entries[key] = (response, data)
                self._wire[id(response)] = (response, data)
                self._bytes += len(data)
                while self._entries and (len(self._entries) > self._max_entries or self._bytes > self._max_bytes):
                    _, (old, old_data) = self._entries.popitem(last=False)
                    self._wire.pop(id(old), None)
                    self._bytes -= len(old_data)
        return response

    def serializer(self, default: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
        """``default`` (a response class's ``SerializeToString``), answering a cached message with its bytes."""
        wire = self._wire

        def serialize(message: Any) -> bytes:
            # No lock: a dict read is atomic; a message evicted meanwhile is simply serialized again.
            entry = wire.get(id(message))
            if entry is not None and entry[0] is message:
                return entry[1]
            return default(message)

        return serialize
