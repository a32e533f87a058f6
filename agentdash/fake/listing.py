"""Filtering and keyset pagination for ``GET /v1/sessions`` and ``GET …/events``.

Cursors are positions (session creation sequence, event index), not offsets, so a page
stays correct while new sessions or events keep arriving between two calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from agentdash.fake.sessions import FakeSession
from agentdash.fake.wire import Query, bad_request, decode_cursor, encode_cursor, within

_T = TypeVar("_T")


def paginate(
    found: list[tuple[int, _T]], page: str | None, order: str, limit: int, scope: str
) -> tuple[list[_T], str | None]:
    """One page of ``(position, item)`` pairs (ascending by position) and the next cursor.

    The cursor remembers its listing and order; reusing it with another order is a 400,
    like the real API.
    """
    if order == "desc":
        found = found[::-1]
    if page:
        cursor = decode_cursor(page)
        if cursor.get("scope") != scope:
            raise bad_request("page: cursor belongs to a different listing")
        if cursor.get("order") != order:
            raise bad_request("page: cursor was created with a different order")
        after = int(cursor.get("after", 0))
        found = [(k, v) for k, v in found if (k > after if order == "asc" else k < after)]
    chosen = found[:limit]
    next_page = None
    if len(found) > limit and chosen:
        next_page = encode_cursor({"scope": scope, "order": order, "after": chosen[-1][0]})
    return [item for _, item in chosen], next_page


def list_sessions(
    sessions: list[FakeSession], query: Query, default_limit: int, now: datetime
) -> dict[str, Any]:
    """``GET /v1/sessions``: newest first by default, archived ones only on request."""
    order = query.order("desc")
    limit = query.limit(default_limit)
    bounds = query.time_bounds()
    archived = query.flag("include_archived")
    statuses = set(query.getlist("statuses[]", "statuses"))
    agent_id = query.get("agent_id")
    found = [
        (s.seq, s)
        for s in sorted(sessions, key=lambda s: s.seq)
        if (archived or s.archived_at is None)
        and (not statuses or s.status in statuses)
        and (not agent_id or s.agent["id"] == agent_id)
        and within(s.created_at, bounds)
    ]
    page, next_page = paginate(found, query.get("page"), order, limit, "sessions")
    return {"data": [s.to_json(now) for s in page], "next_page": next_page, "prev_page": None}


def list_events(session: FakeSession, query: Query, default_limit: int) -> dict[str, Any]:
    """``GET /v1/sessions/{id}/events``: released events only, oldest first by default.

    ``created_at[...]`` filters compare against ``processed_at`` (§1.6).
    """
    order = query.order("asc")
    limit = query.limit(default_limit)
    bounds = query.time_bounds()
    types = set(query.getlist("types[]", "types"))
    found = [
        (index, event)
        for index, (event, when) in enumerate(zip(session.events, session.times, strict=True))
        if (not types or event["type"] in types) and within(when, bounds)
    ]
    page, next_page = paginate(found, query.get("page"), order, limit, session.id)
    return {"data": page, "next_page": next_page}
