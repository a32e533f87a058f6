"""Reading HTTP failure details every provider needs: ``retry-after`` and a safe excerpt."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

MAX_RETRY_AFTER = 3600.0
"""A provider asking for more than an hour is treated as asking for an hour."""


def retry_after_seconds(
    headers: Mapping[str, str] | None, now: float | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms:
        try:
            return _clamp(float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if not raw:
        return None
    try:
        return _clamp(float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return _clamp(when.timestamp() - (time.time() if now is None else now))


def excerpt(body: str, limit: int = 160) -> str:
    """The start of a response body on one line, for an error message."""
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _clamp(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
