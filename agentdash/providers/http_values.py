"""Pure helpers of ``type: http``: values out of JSON answers, and new text since a cursor.

An HTTP API reports a job's text as a whole document on every poll, but the engine wants
what is *new*. The cursor keeps the length and a hash of the text seen so far: text that
extends it yields only the added part, text that changed otherwise yields the whole text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jmespath


def search(expression: str, document: Any) -> Any:
    """The value at a JMESPath expression (validated when the config loaded), or None."""
    return jmespath.search(expression, document)


def scalar(value: Any) -> str | None:
    """A string, number or boolean as text (JSON spelling: ``true``, ``1``); else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def joined_text(value: Any) -> str | None:
    """A string, or the strings of a (nested) list joined with blank lines; None if empty."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        parts = [part for item in value if (part := joined_text(item))]
        return "\n\n".join(parts) or None
    return None


def described(value: Any) -> str | None:
    """An error value as one line of text: a string as is, anything else as compact JSON."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def moment(value: Any) -> datetime | None:
    """ISO 8601 text or epoch seconds (milliseconds when implausibly large) as a UTC time."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def capped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with a note saying how much was left out."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[… {len(text) - limit} more characters not kept]"


def new_text(text: str | None, cursor: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The part of ``text`` not reported yet, and the cursor fields that remember it."""
    seen_len = int(cursor.get("text_len") or 0)
    seen_hash = cursor.get("text_sha")
    if text is None:
        return None, {"text_len": seen_len, "text_sha": seen_hash}
    remember = {"text_len": len(text), "text_sha": _digest(text)}
    if len(text) == seen_len and remember["text_sha"] == seen_hash:
        return None, remember
    if seen_len and len(text) > seen_len and _digest(text[:seen_len]) == seen_hash:
        return text[seen_len:], remember
    return text, remember


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
