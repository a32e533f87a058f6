"""One fake session: its released events, its not-yet-due events, and the state they imply.

Events are computed ahead (a plan per turn) and *released* lazily: whenever anything looks
at the session, :meth:`FakeSession.advance` moves every event whose due time has passed
into the history, stamping ``processed_at`` with the due time (not the time of the look).
So a session that nobody polls still "finishes" on time, no background task is needed,
and ``processed_at`` values are stable whatever the polling rhythm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agentdash.fake.timeline import Event, Planned, Usage
from agentdash.fake.wire import IdFactory, fmt_ts, to_ms

_MS = timedelta(milliseconds=1)


@dataclass
class Pending:
    """An event waiting for its due time."""

    due: datetime
    event: Event


@dataclass
class FakeSession:
    """Session record plus the bookkeeping needed to derive ``status``, ``stats`` and ``usage``."""

    id: str
    seq: int
    created_at: datetime
    environment_id: str
    agent: dict[str, Any]
    metadata: dict[str, str]
    title: str | None = None
    budget: dict[str, Any] | None = None
    resources: list[Any] = field(default_factory=list)
    vault_ids: list[str] = field(default_factory=list)
    status: str = "idle"
    updated_at: datetime | None = None
    archived_at: datetime | None = None
    events: list[Event] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    #: Usage once every planned turn has run; the base for the next plan.
    planned_usage: Usage = field(default_factory=Usage)
    running_since: datetime | None = None
    active_seconds: float = 0.0
    terminated_at: datetime | None = None
    #: Ids of released ``agent.tool_use``/``agent.custom_tool_use`` events -> their type.
    tool_uses: dict[str, str] = field(default_factory=dict)
    #: Tool-use ids answered by the client -> "allow", "deny" or "result".
    answers: dict[str, str] = field(default_factory=dict)
    #: Tool-use ids the latest ``requires_action`` idle is still blocked on.
    awaiting: list[str] = field(default_factory=list)
    #: Set when a ``requires_action`` idle is released with every id already answered.
    resume_due: bool = False
    budget_paused: bool = False
    open_span: str | None = None
    turns: int = 0
    last_turn_end: datetime | None = None

    def __post_init__(self) -> None:
        if self.updated_at is None:
            self.updated_at = self.created_at

    @property
    def busy(self) -> bool:
        """Whether a turn is in progress or queued (an interrupt has something to stop)."""
        return bool(self.pending) or self.status in ("running", "rescheduling")

    def advance(self, now: datetime) -> None:
        """Release every pending event due at or before ``now``, in due order."""
        while self.pending and self.pending[0].due <= now:
            item = self.pending.pop(0)
            self.record(item.event, item.due)
            if self.resume_due:
                return  # the caller must plan the resumed turn before time moves on

    def next_start(self, now: datetime) -> datetime:
        """When a newly queued turn starts: now, or just after the queued work."""
        latest = max([now, *self.times[-1:], *(p.due + _MS for p in self.pending[-1:])])
        return to_ms(latest)

    def schedule(self, items: list[Planned], start: datetime) -> None:
        """Queue a plan's events, due at ``start`` plus each event's offset."""
        for item in items:
            self.pending.append(Pending(to_ms(start + timedelta(seconds=item.offset)), item.event))
        self.pending.sort(key=lambda p: p.due)  # stable: plan order wins on equal due times

    def record(self, event: Event, when: datetime) -> Event:
        """Append ``event`` to the history at ``when`` and apply its effect on the session."""
        released = {**event, "processed_at": fmt_ts(when)}
        self.events.append(released)
        self.times.append(when)
        self.updated_at = when
        self._effect(released, when)
        return released

    def interrupt(self, event: Event, now: datetime, ids: IdFactory) -> Event:
        """Apply a ``user.interrupt``: drop queued work and go idle with ``end_turn`` at once.

        Turns queued behind the running one are dropped too. On an idle session the
        interrupt is only echoed (a no-op, as documented).
        """
        busy = self.busy
        echo = self.record(event, now)
        if busy:
            self.pending.clear()
            if self.open_span is not None:
                zero = dict.fromkeys(
                    (
                        "input_tokens",
                        "output_tokens",
                        "cache_creation_input_tokens",
                        "cache_read_input_tokens",
                    ),
                    0,
                )
                end: Event = {"type": "span.model_request_end", "id": ids.new("sevt_")}
                end |= {"model_request_start_id": self.open_span, "is_error": False}
                self.record(end | {"model_usage": zero}, now)
            idle: Event = {"type": "session.status_idle", "id": ids.new("sevt_")}
            self.record(idle | {"stop_reason": {"type": "end_turn"}, "stop_details": None}, now)
            self.planned_usage = self.usage
        return echo

    def _stop_running(self, when: datetime) -> None:
        if self.running_since is not None:
            self.active_seconds += (when - self.running_since).total_seconds()
            self.running_since = None
        self.last_turn_end = when
        self.open_span = None

    def _effect(self, event: Event, when: datetime) -> None:
        kind = event["type"]
        if kind == "session.status_running":
            self.status = "running"
            self.budget_paused = False
            if self.running_since is None:
                self.running_since = when
        elif kind == "session.status_rescheduled":
            self.status = "rescheduling"
        elif kind == "session.status_idle":
            self._stop_running(when)
            self.status = "idle"
            stop = event["stop_reason"]
            self.budget_paused = stop["type"] == "budget_reached"
            if stop["type"] == "requires_action":
                self.awaiting = [i for i in stop["event_ids"] if i not in self.answers]
                self.resume_due = not self.awaiting
            else:
                self.awaiting = []
        elif kind == "session.status_terminated":
            self._stop_running(when)
            self.status = "terminated"
            self.terminated_at = when
            self.awaiting = []
        elif kind == "session.usage":
            self.usage = Usage.from_json(event["usage"])
            if event.get("budget") is not None:
                self.budget = event["budget"]
        elif kind == "span.model_request_start":
            self.open_span = event["id"]
        elif kind == "span.model_request_end":
            self.open_span = None
        elif kind in ("agent.tool_use", "agent.custom_tool_use"):
            self.tool_uses[event["id"]] = kind

    def to_json(self, now: datetime) -> Event:
        """The Session object (§1.3) as of ``now``."""
        active = self.active_seconds
        if self.running_since is not None:
            active += (now - self.running_since).total_seconds()
        end = self.terminated_at or now
        updated = self.updated_at or self.created_at
        return {
            "type": "session",
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "environment_id": self.environment_id,
            "agent": self.agent,
            "metadata": dict(self.metadata),
            "resources": self.resources,
            "vault_ids": self.vault_ids,
            "outcome_evaluations": [],
            "budget": self.budget,
            "deployment_id": None,
            "stats": {
                "active_seconds": round(active, 3),
                "duration_seconds": round((end - self.created_at).total_seconds(), 3),
            },
            "usage": {**self.usage.to_json(), "active_seconds": round(active, 3)},
            "created_at": fmt_ts(self.created_at),
            "updated_at": fmt_ts(updated),
            "archived_at": fmt_ts(self.archived_at) if self.archived_at else None,
        }
