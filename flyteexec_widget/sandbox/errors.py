"""The error the sandbox admin refuses a request with (its own module so that the listing language, which
raises it too, and the store can both use it without importing each other)."""

from __future__ import annotations

import grpc


class StoreError(Exception):
    """A request the admin refuses: ``code`` is the gRPC status the servicer answers with."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
