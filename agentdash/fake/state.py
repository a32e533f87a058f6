"""The fake server's in-memory state and the Managed Agents operations on it.

Everything here is synchronous and HTTP-free: ``server.py`` parses requests, calls one of
these methods, and serialises the result. Errors are raised as :class:`ApiError`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from agentdash.fake import listing
from agentdash.fake.scenario import Scenario, TurnOptions, resolve_turn
from agentdash.fake.sessions import FakeSession
from agentdash.fake.stats import FakeStats, RateLimiter
from agentdash.fake.timeline import Event, plan_resume, plan_turn
from agentdash.fake.validate import (
    SENDABLE,
    agent_snapshot,
    check_answer,
    check_metadata,
    prompt_text,
    require_str,
    validate_sent,
)
from agentdash.fake.wire import (
    ApiError,
    IdFactory,
    Query,
    bad_request,
    fmt_ts,
    to_ms,
)


class FakeState:
    """Sessions, counters and the rate limiter behind one fake server."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.scenario = scenario or Scenario()
        self.ids = IdFactory()
        self.sessions: dict[str, FakeSession] = {}
        #: ``session.deleted`` events of deleted sessions, so open streams can end properly.
        self.deleted: dict[str, Event] = {}
        self.stats = FakeStats()
        self.limiter = RateLimiter()
        #: Set on shutdown so that streams and hanging requests return promptly.
        self.closing = asyncio.Event()
        self._seq = itertools.count(1)

    def now(self) -> datetime:
        """The server clock (injectable through ``Scenario.now``), in whole milliseconds."""
        return to_ms(self.scenario.now())

    def reset(self) -> None:
        """Forget all sessions, counters and faults (the admin ``/_fake/reset``)."""
        self.sessions.clear()
        self.deleted.clear()
        self.stats = FakeStats()
        self.limiter.reset()
        self.scenario.clear_faults()

    # ---------------------------------------------------------------- time

    def session(self, session_id: str) -> FakeSession:
        """The session, advanced to now; 404 ``not_found_error`` if unknown or deleted."""
        found = self.sessions.get(session_id)
        if found is None:
            raise ApiError(404, "not_found_error", f"session {session_id!r} not found")
        self._advance(found)
        return found

    def _advance(self, session: FakeSession) -> None:
        now = self.now()
        while True:
            session.advance(now)
            if not session.resume_due:
                break
            session.resume_due = False
            self._resume(session, session.next_start(session.last_turn_end or now))
        if session.last_turn_end is not None:
            self.stats.turn_ended_at[session.id] = session.last_turn_end

    def refresh_stats(self) -> FakeStats:
        """Bring every session up to now, then return the counters."""
        for session in list(self.sessions.values()):
            self._advance(session)
        return self.stats

    # ---------------------------------------------------------------- turns

    def _start_turn(self, session: FakeSession, echo: Event, opts: TurnOptions) -> None:
        items, after = plan_turn(
            opts,
            ids=self.ids,
            prompt=prompt_text(echo),
            echo=echo,
            usage=session.planned_usage,
            budget=session.budget,
        )
        session.planned_usage = after
        session.turns += 1
        session.schedule(items, session.next_start(self.now()))
        self._advance(session)

    def _resume(self, session: FakeSession, start: datetime) -> None:
        opts = resolve_turn(self.scenario, prompt="", metadata=session.metadata, first=False)
        results = [
            {
                "type": "agent.tool_result",
                "id": self.ids.new("sevt_"),
                "tool_use_id": tool_id,
                "content": [{"type": "text", "text": "(fake) tool output"}],
                "is_error": False,
            }
            for tool_id, answer in session.answers.items()
            if answer == "allow"
            and tool_id
            not in {e["tool_use_id"] for e in session.events if e["type"] == "agent.tool_result"}
        ]
        items, after = plan_resume(
            opts,
            ids=self.ids,
            usage=session.planned_usage,
            budget=session.budget,
            tool_results=results,
        )
        session.planned_usage = after
        session.schedule(items, start)

    # ---------------------------------------------------------------- sessions

    def create_session(self, body: Mapping[str, Any]) -> FakeSession:
        """``POST /v1/sessions``: validate everything first, then create (all-or-nothing)."""
        agent = agent_snapshot(body.get("agent"))
        environment_id = require_str(body, "environment_id")
        title = body.get("title")
        if title is not None and not isinstance(title, str):
            raise bad_request("title: expected a string or null")
        metadata = check_metadata(body.get("metadata"))
        initial = body.get("initial_events") or []
        if not isinstance(initial, list) or len(initial) > 50:
            raise bad_request("initial_events: expected a list of at most 50 events")
        prepared: list[tuple[Event, TurnOptions | None]] = []
        for index, raw in enumerate(initial):
            event = validate_sent(raw, f"initial_events[{index}]", self.ids)
            if event["type"] not in ("user.message", "user.define_outcome"):
                raise bad_request(f"initial_events[{index}]: {event['type']} is not allowed here")
            opts = None
            if event["type"] == "user.message":
                first = not any(e["type"] == "user.message" for e, _ in prepared)
                opts = resolve_turn(
                    self.scenario, prompt=prompt_text(event), metadata=metadata, first=first
                )
            prepared.append((event, opts))
        now = self.now()
        session = FakeSession(
            id=self.ids.new("sesn_"),
            seq=next(self._seq),
            created_at=now,
            environment_id=environment_id,
            agent=agent,
            metadata=metadata,
            title=title,
            budget=body.get("budget"),
            resources=list(body.get("resources") or []),
            vault_ids=list(body.get("vault_ids") or []),
        )
        self.sessions[session.id] = session
        self.stats.sessions_created += 1
        if "agentdash_intent" in metadata:
            self.stats.sessions_by_intent[metadata["agentdash_intent"]] += 1
        for event, opts in prepared:
            if opts is None:
                session.record(event, now)
            else:
                self._start_turn(session, event, opts)
        return session

    def update_session(self, session_id: str, body: Mapping[str, Any]) -> FakeSession:
        """``POST /v1/sessions/{id}``: title, metadata patch (null deletes), budget."""
        session = self.session(session_id)
        if "title" in body:
            session.title = body["title"]
        if "metadata" in body:
            patch = body["metadata"] or {}
            if not isinstance(patch, dict):
                raise bad_request("metadata: expected an object")
            merged: dict[str, Any] = dict(session.metadata)
            for key, value in patch.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            session.metadata = check_metadata(merged)
        if "budget" in body:
            session.budget = body["budget"]
            session.budget_paused = False
        session.updated_at = self.now()
        return session

    def archive(self, session_id: str) -> FakeSession:
        """``POST /v1/sessions/{id}/archive``: stop any turn, terminate, set ``archived_at``."""
        session = self.session(session_id)
        if session.archived_at is not None:
            return session
        now = self.now()
        session.pending.clear()
        if session.status != "terminated":
            session.record({"type": "session.status_terminated", "id": self.ids.new("sevt_")}, now)
        session.archived_at = now
        return session

    def delete(self, session_id: str) -> Event:
        """``DELETE /v1/sessions/{id}``; open streams get ``session.deleted`` and end."""
        session = self.session(session_id)
        del self.sessions[session.id]
        event = {"type": "session.deleted", "id": self.ids.new("sevt_")}
        self.deleted[session.id] = {**event, "processed_at": fmt_ts(self.now())}
        return {"id": session.id, "type": "session_deleted"}

    def list_sessions(self, query: Query) -> dict[str, Any]:
        """``GET /v1/sessions`` (see :func:`listing.list_sessions`)."""
        sessions = list(self.sessions.values())
        for session in sessions:
            self._advance(session)
        limit = self.scenario.sessions_page_limit
        return listing.list_sessions(sessions, query, limit, self.now())

    # ---------------------------------------------------------------- events

    def send(self, session_id: str, raw_events: Any) -> list[Event]:
        """``POST /v1/sessions/{id}/events``; returns the echoes for the response's ``data``."""
        session = self.session(session_id)
        if session.archived_at is not None or session.status == "terminated":
            state = "archived" if session.archived_at else "terminated"
            raise ApiError(409, "invalid_request_error", f"session {session.id} is {state}")
        if not isinstance(raw_events, list) or not raw_events:
            raise bad_request("events: expected a non-empty list")
        events = [validate_sent(e, f"events[{i}]", self.ids) for i, e in enumerate(raw_events)]
        plans: list[TurnOptions | None] = []
        for index, event in enumerate(events):
            where = f"events[{index}]"
            if event["type"] not in SENDABLE:
                raise bad_request(f"{where}: cannot send events of type {event['type']!r}")
            if event["type"] == "user.message":
                if session.budget_paused:
                    raise bad_request("session is paused at its budget: raise or remove it first")
                first = session.turns == 0
                prompt = prompt_text(event)
                plans.append(
                    resolve_turn(
                        self.scenario, prompt=prompt, metadata=session.metadata, first=first
                    )
                )
            else:
                plans.append(None)
                check_answer(session, event, where)
        # user.interrupt jumps the queue: handle interrupts before anything else.
        order = sorted(range(len(events)), key=lambda i: events[i]["type"] != "user.interrupt")
        echoes: dict[int, Event] = {}
        for i in order:
            echoes[i] = self._apply_sent(session, events[i], plans[i])
        return [echoes[i] for i in range(len(events))]

    def _apply_sent(self, session: FakeSession, event: Event, opts: TurnOptions | None) -> Event:
        now = self.now()
        kind = event["type"]
        if kind == "user.message" and opts is not None:
            self._start_turn(session, event, opts)
            return {**event, "processed_at": None}
        if kind == "user.interrupt":
            return session.interrupt(event, now, self.ids)
        echo = session.record(event, now)
        if kind in ("user.custom_tool_result", "user.tool_confirmation"):
            tool_id = event.get("custom_tool_use_id") or event["tool_use_id"]
            session.answers[tool_id] = event.get("result", "result")
            if tool_id in session.awaiting:
                session.awaiting.remove(tool_id)
                if session.awaiting:
                    idle = {"type": "session.status_idle", "id": self.ids.new("sevt_")}
                    stop = {"type": "requires_action", "event_ids": list(session.awaiting)}
                    session.record(idle | {"stop_reason": stop, "stop_details": None}, now)
                else:
                    self._resume(session, session.next_start(now))
                    self._advance(session)
        return echo

    def list_events(self, session_id: str, query: Query) -> dict[str, Any]:
        """``GET /v1/sessions/{id}/events`` (see :func:`listing.list_events`)."""
        session = self.session(session_id)
        return listing.list_events(session, query, self.scenario.events_page_limit)
