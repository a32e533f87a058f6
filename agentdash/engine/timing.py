"""When to poll next: the adaptive interval and the back-off after failures. Pure math.

Polls start at the configured interval, double while nothing changes (up to the cap) and
drop back on any change; every delay is spread by jitter so a fleet never polls in step.
Failures back off with full jitter, never sooner than the provider's ``retry-after``.
"""

from __future__ import annotations

import random

from agentdash.config import PollConfig

MIN_DELAY = 0.5
"""No job is polled again sooner than this, whatever the jitter draws."""


def next_interval(previous: float | None, changed: bool, poll: PollConfig) -> float:
    """The un-jittered interval after a successful poll."""
    if changed or previous is None:
        return poll.interval
    return min(previous * 2, poll.max_interval)


def jittered(seconds: float, poll: PollConfig, rng: random.Random) -> float:
    """``seconds`` spread by ± ``poll.jitter``."""
    spread = seconds * poll.jitter
    return max(MIN_DELAY, seconds + rng.uniform(-spread, spread))


def backoff(errors: int, poll: PollConfig, rng: random.Random, retry_after: float | None) -> float:
    """Delay after ``errors`` consecutive failures: full jitter, at least ``retry_after``."""
    cap = min(poll.max_backoff, poll.interval * 2 ** min(errors, 16))
    delay = max(MIN_DELAY, rng.uniform(0, cap))
    return max(delay, retry_after or 0.0)
