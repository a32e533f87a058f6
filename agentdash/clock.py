"""Time as a dependency: the engine and scheduler read ``now`` from a Clock, never the OS.

Tests pass a :class:`FakeClock` so that DST folds, lease expiry and back-offs can be
driven without sleeping.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Where the engine reads the time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never steps backwards, for deadlines and intervals."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to; ``set`` may step it backwards like a real NTP fix."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        from datetime import timedelta

        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        """Step the wall clock to ``when``, even backwards; the monotonic clock is untouched."""
        self._now = when.astimezone(UTC)


def utc_iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``-free ``+00:00`` offset, or None."""
    return None if when is None else when.astimezone(UTC).isoformat(timespec="seconds")
