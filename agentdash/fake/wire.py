"""Wire-format helpers shared by the fake server: timestamps, ids, errors, cursors, queries.

They live apart from the routes so that the session model (``sessions.py``/``state.py``)
can raise API errors and format timestamps without importing Starlette.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

#: Every Managed Agents call must carry this beta in ``anthropic-beta`` (§1.1).
MANAGED_AGENTS_BETA = "managed-agents-2026-04-01"


class ApiError(Exception):
    """An error the fake answers with the standard Anthropic envelope (§1.9)."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def bad_request(message: str) -> ApiError:
    """A 400 ``invalid_request_error``: the most common way a request is refused."""
    return ApiError(400, "invalid_request_error", message)


def error_body(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    """The JSON error envelope, including ``request_id`` like the real API."""
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": request_id,
    }


def to_ms(when: datetime) -> datetime:
    """UTC, truncated to whole milliseconds.

    Timestamps go on the wire with millisecond precision; storing them truncated keeps
    ``created_at[gte]=<a processed_at we sent>`` exact instead of off by a few microseconds.
    """
    when = when.astimezone(UTC)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def fmt_ts(when: datetime) -> str:
    """ISO 8601 with milliseconds and a ``Z`` suffix, as the real API writes them."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_ts(value: str, name: str) -> datetime:
    """Parse an RFC 3339 query value (``Z``, offsets, or naive meaning UTC).

    A ``+`` offset that arrived unescaped decodes to a space; put it back rather than
    rejecting a hand-written URL.
    """
    text = value.strip()
    for candidate in (text, text.replace(" ", "+")):
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    raise bad_request(f"{name}: invalid RFC 3339 timestamp {value!r}")


class IdFactory:
    """Makes prefixed ids (``sesn_``, ``sevt_``, ``req_``) that sort in creation order."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new(self, prefix: str) -> str:
        """A fresh id: a zero-padded counter (ordering) plus random hex (uniqueness across runs)."""
        return f"{prefix}01{next(self._counter):010d}{secrets.token_hex(6)}"


def new_request_id() -> str:
    """A ``req_…`` id for the ``request-id`` header; independent of any server state."""
    return "req_011" + secrets.token_hex(10)


def encode_cursor(data: dict[str, Any]) -> str:
    """An opaque ``page`` cursor: base64url JSON, so clients cannot rely on its contents."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> dict[str, Any]:
    """Undo :func:`encode_cursor`; a 400 for anything we did not mint."""
    if not value.startswith("page_"):
        raise bad_request("page: invalid cursor")
    body = value[len("page_") :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise bad_request("page: invalid cursor") from exc
    if not isinstance(data, dict):
        raise bad_request("page: invalid cursor")
    return data


class Query:
    """A read-only view of the query string that keeps repeated keys (``types[]=a&types[]=b``)."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items = list(items)

    def get(self, key: str) -> str | None:
        """The last value given for ``key`` (None when absent)."""
        found = [v for k, v in self._items if k == key]
        return found[-1] if found else None

    def getlist(self, *keys: str) -> list[str]:
        """All values of any of ``keys`` (so ``types[]`` and plain ``types`` both work)."""
        return [v for k, v in self._items if k in keys]

    def limit(self, default: int, maximum: int = 1000) -> int:
        """``limit`` as an int within ``1..maximum``; 400 when it is not."""
        raw = self.get("limit")
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise bad_request(f"limit: expected an integer, got {raw!r}") from exc
        if not 1 <= value <= maximum:
            raise bad_request(f"limit: must be between 1 and {maximum}")
        return value

    def order(self, default: str) -> str:
        """``order`` (``asc``/``desc``), 400 on anything else."""
        value = self.get("order") or default
        if value not in ("asc", "desc"):
            raise bad_request(f"order: expected 'asc' or 'desc', got {value!r}")
        return value

    def flag(self, key: str) -> bool:
        """A boolean query flag as the SDK writes it (``true``/``false``)."""
        value = (self.get(key) or "").lower()
        if value in ("", "false", "0"):
            return False
        if value in ("true", "1"):
            return True
        raise bad_request(f"{key}: expected true or false, got {value!r}")

    def time_bounds(self) -> list[tuple[str, datetime]]:
        """The ``created_at[gt|gte|lt|lte]`` filters present, parsed."""
        bounds: list[tuple[str, datetime]] = []
        for op in ("gt", "gte", "lt", "lte"):
            raw = self.get(f"created_at[{op}]")
            if raw:
                bounds.append((op, parse_ts(raw, f"created_at[{op}]")))
        return bounds


def within(when: datetime | None, bounds: list[tuple[str, datetime]]) -> bool:
    """Whether ``when`` satisfies every ``created_at[...]`` bound (None never matches a bound)."""
    if not bounds:
        return True
    if when is None:
        return False
    for op, limit in bounds:
        if (
            (op == "gt" and not when > limit)
            or (op == "gte" and not when >= limit)
            or (op == "lt" and not when < limit)
            or (op == "lte" and not when <= limit)
        ):
            return False
    return True
