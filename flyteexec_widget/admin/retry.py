"""RetryPolicy: the one capped exponential backoff, with jitter, of the package.

:meth:`AdminClient.call <flyteexec_widget.admin.client.AdminClient.call>` retries transient failures of one call
with it (up to ``max_attempts``, all within ``total_timeout`` seconds); the live scheduler spaces the syncs of a
failing watch with it (a watch never gives up, so it ignores ``max_attempts`` and ``total_timeout``). Which failures
are worth retrying is said once, in :mod:`.errors`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["NO_RETRY", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retry of transient failures: attempt ``n`` (1-based) waits up to ``min(max_backoff, initial_backoff *
    multiplier**(n-1))``, less a random part of up to ``jitter`` of it (by default the wait falls in the upper half
    of that cap, so the retries of many clients spread out but never come faster than half the cap).

    ``max_attempts`` counts the first attempt: 1 means no retry.

    ``total_timeout``: the budget of one call, its attempts and the waits between them included, in seconds
    (None: no budget, only ``max_attempts``). An attempt's deadline is cut to what is left of it, and no attempt
    starts once the budget is spent; a deadline longer than the budget still gets its one attempt. Without it a
    server that accepts calls and never answers held a call for ``max_attempts`` x the deadline (150 s).
    """

    max_attempts: int = 5
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    multiplier: float = 2.0
    jitter: float = 0.5
    #: Two default deadlines (30 s each): a slow answer gets one retry, a server that never answers costs 60 s.
    total_timeout: float | None = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts}")
        if self.initial_backoff < 0 or self.max_backoff < 0:
            raise ValueError("RetryPolicy backoffs must be >= 0")
        if self.multiplier < 1:
            raise ValueError(f"RetryPolicy.multiplier must be >= 1, got {self.multiplier}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"RetryPolicy.jitter must be in [0, 1], got {self.jitter}")
        if self.total_timeout is not None and not self.total_timeout > 0:  # NaN too
            raise ValueError(f"RetryPolicy.total_timeout must be > 0 seconds or None, got {self.total_timeout}")

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based); ``rand`` returns a float in [0, 1)."""
        cap = min(self.max_backoff, self.initial_backoff * self.multiplier ** max(0, attempt - 1))
        return cap * (1 - self.jitter + self.jitter * rand())


#: One attempt, no retry: for calls that must not run twice (relaunch, recover) and ``call(retry=False)``.
NO_RETRY = RetryPolicy(max_attempts=1)
