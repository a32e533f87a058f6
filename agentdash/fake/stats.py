"""Counters the tests assert on, and the requests-per-minute limiter.

Both are about what the *client* did (how often it called, whether it created a session
twice for one intent), which is exactly what a fake server can see and a client cannot.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agentdash.fake.wire import fmt_ts


@dataclass
class FakeStats:
    """What the server saw.

    ``requests`` counts API requests by route kind (``create``, ``retrieve``,
    ``list_sessions``, ``list_events``, ``send``, ``archive``, ``delete``, ``update``,
    ``stream``), including those answered with an injected fault or a 429.
    ``sessions_by_intent`` counts created sessions per ``metadata["agentdash_intent"]``, so a
    test can assert "exactly one session per intent" across retries and ambiguous creates.
    ``turn_ended_at`` maps a session id to when its latest turn ended on the server (the
    ``processed_at`` of the final idle/terminated event), for latency measurements.
    """

    requests: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    faults_applied: Counter[str] = field(default_factory=Counter)
    sessions_created: int = 0
    sessions_by_intent: Counter[str] = field(default_factory=Counter)
    turn_ended_at: dict[str, datetime] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``GET /_fake/stats`` body."""
        return {
            "requests": dict(self.requests),
            "requests_total": sum(self.requests.values()),
            "rate_limited": self.rate_limited,
            "faults_applied": dict(self.faults_applied),
            "sessions_created": self.sessions_created,
            "sessions_by_intent": dict(self.sessions_by_intent),
            "turn_ended_at": {k: fmt_ts(v) for k, v in self.turn_ended_at.items()},
        }


class RateLimiter:
    """A 60-second sliding window: at most ``rpm`` accepted requests in any minute."""

    def __init__(self) -> None:
        self._accepted: deque[datetime] = deque()

    def check(self, rpm: int | None, now: datetime) -> int | None:
        """None if the request may go ahead (and count it), else the ``retry-after`` seconds."""
        if not rpm:
            self._accepted.clear()
            return None
        while self._accepted and (now - self._accepted[0]).total_seconds() >= 60:
            self._accepted.popleft()
        if len(self._accepted) >= rpm:
            wait = 60 - (now - self._accepted[0]).total_seconds()
            return max(1, math.ceil(wait))
        self._accepted.append(now)
        return None

    def reset(self) -> None:
        """Forget the window (e.g. after the limit was changed by a test)."""
        self._accepted.clear()
