"""Per-provider pacing: a token bucket for the request budget and a shared back-off.

Every HTTP request a provider sends passes :meth:`Pacer.before_request` (wired as an httpx2
request hook), so pagination and retries count against the budget too. A 429 or 529 seen by
any request pushes the whole provider back, since the limit is the provider's, not the job's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from agentdash.providers.http_errors import retry_after_seconds

OVERLOAD_STATUS = frozenset({429, 503, 529})


class Pacer:
    """Spreads one provider's requests under ``requests_per_minute``."""

    def __init__(
        self,
        requests_per_minute: int,
        *,
        burst: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = requests_per_minute / 60.0
        self.burst = float(max(1, burst))
        self._tokens = self.burst
        self._monotonic = monotonic
        self._stamp = monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.requests = 0
        self.overloads = 0

    async def before_request(self, *_: object) -> None:
        """Wait for a token (and for any provider-wide pause) before a request goes out."""
        async with self._lock:
            while True:
                now = self._monotonic()
                wait = max(self._paused_until - now, self._refill(now))
                if wait <= 0:
                    self._tokens -= 1
                    self.requests += 1
                    return
                await asyncio.sleep(wait)

    def after_response(self, status: int, headers: dict[str, str]) -> None:
        """Back the whole provider off when it says it is overloaded."""
        if status not in OVERLOAD_STATUS:
            return
        self.overloads += 1
        pause = retry_after_seconds(headers) or 1.0
        self._paused_until = max(self._paused_until, self._monotonic() + pause)
        self._tokens = min(self._tokens, 0.0)

    def paused_for(self) -> float:
        """Seconds until the provider-wide pause ends (0 when not paused)."""
        return max(0.0, self._paused_until - self._monotonic())

    def _refill(self, now: float) -> float:
        """Add tokens for the time passed; return seconds until one token is available."""
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
