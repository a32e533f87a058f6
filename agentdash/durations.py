"""Human durations in config (``15s``, ``2m``, ``1h30m``, ``500ms``) parsed to seconds."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> float:
    """Seconds from ``"15s"``, ``"2m"``, ``"1h30m"``, ``"250ms"`` or a bare number of seconds.

    Raises:
        ValueError: with a message that shows the accepted forms.
    """
    if isinstance(value, bool):
        raise ValueError(_expected(value))
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(_expected(value))
    text = value.strip().lower().replace(" ", "")
    if not text or _PART.sub("", text):
        raise ValueError(_expected(value))
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(text))


def format_duration(seconds: float) -> str:
    """The short form a person reads in a table: ``45s``, ``3m05s``, ``2h10m``, ``3d4h``."""
    s = int(max(seconds, 0))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600}h"


def _expected(value: object) -> str:
    return f"expected a duration like '15s', '2m', '1h' or '500ms', got {value!r}"
