"""Turning Managed Agents session events into job state: pure functions, no I/O.

The rules (reference §2): a turn is over only when a ``session.status_idle`` event arrives
after the turn's ``user.message`` (an ``idle`` status alone may be left over from before),
or when the session terminates. The agent's text is in ``agent.message`` text blocks;
redacted blocks are skipped and unknown event types are ignored, so a newer API cannot
break an older agentdash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentdash.models import JobStatus

EVENT_TYPES = (
    "user.message",
    "agent.message",
    "session.status_running",
    "session.status_rescheduled",
    "session.status_idle",
    "session.status_terminated",
    "session.error",
    "session.usage",
)
"""The event types a poll asks for; everything else is noise for a dashboard."""

_REMOTE_STATUS = {
    "session.status_running": "running",
    "session.status_rescheduled": "rescheduling",
    "session.status_idle": "idle",
    "session.status_terminated": "terminated",
}
"""The session ``status`` each status event moves to, so events alone tell it."""


@dataclass
class TurnState:
    """What the poller remembers about a session between polls (stored as the cursor)."""

    anchored: bool = False
    """The job's ``user.message`` has been seen, so idle events now end the turn."""
    since: str | None = None
    """``processed_at`` of the newest event seen: the next list starts there (``gte``)."""
    seen_at_since: list[str] = field(default_factory=list)
    """Ids of the events at ``since``: several can share one timestamp."""
    status: JobStatus = JobStatus.RUNNING
    error: str | None = None
    last_session_error: str | None = None
    interrupted: bool = False
    remote_status: str | None = None
    usage: dict[str, Any] | None = None
    """The newest usage snapshot (cumulative): a ``session.usage`` event or the session's own."""
    usage_behind: bool = True
    """The agent has worked since ``usage`` was taken, so it may not count the latest tokens."""
    activity: int = 0
    """New events seen other than usage snapshots: what "the job changed" means to a poll."""
    quiet_polls: int = 0
    """Polls in a row that saw no activity (the provider checks the session now and then)."""

    @classmethod
    def from_cursor(cls, cursor: Mapping[str, Any]) -> TurnState:
        state = cls()
        for key, value in cursor.items():
            if hasattr(state, key):
                setattr(state, key, JobStatus(value) if key == "status" else value)
        return state

    def to_cursor(self) -> dict[str, Any]:
        return {
            "anchored": self.anchored,
            "since": self.since,
            "seen_at_since": list(self.seen_at_since),
            "status": self.status.value,
            "error": self.error,
            "last_session_error": self.last_session_error,
            "interrupted": self.interrupted,
            "remote_status": self.remote_status,
            "usage": self.usage,
            "usage_behind": self.usage_behind,
            "activity": self.activity,
            "quiet_polls": self.quiet_polls,
        }


def apply_events(state: TurnState, events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Fold new events (ascending) into ``state``; return the agent texts among them.

    Events already seen (same id at the cursor's timestamp) are skipped, so overlapping
    ``created_at[gte]`` pages never duplicate text.
    """
    texts: list[str] = []
    for event in events:
        if not _is_new(state, event):
            continue
        kind = str(event.get("type", ""))
        state.remote_status = _REMOTE_STATUS.get(kind, state.remote_status)
        if kind == "session.usage":
            if isinstance(event.get("usage"), Mapping):
                state.usage, state.usage_behind = dict(event["usage"]), False
            continue
        state.activity += 1
        if kind in ("agent.message", "session.status_running"):
            state.usage_behind = True
        if kind == "user.message":
            state.anchored = True
            state.status = JobStatus.RUNNING
        elif kind == "agent.message":
            text = message_text(event)
            if text:
                texts.append(text)
        elif kind == "session.error":
            _note_error(state, event)
        elif kind == "session.status_running" and state.anchored:
            if state.status is JobStatus.NEEDS_ACTION:
                state.status, state.error = JobStatus.RUNNING, None
        elif kind == "session.status_idle" and state.anchored:
            _on_idle(state, event)
        elif kind == "session.status_terminated":
            on_terminated(state)
    return texts


def on_terminated(state: TurnState) -> None:
    """The session is gone for good; a turn that already ended keeps its own outcome."""
    if state.status.is_terminal:
        return
    state.status = JobStatus.CANCELLED if state.interrupted else JobStatus.FAILED
    state.error = state.last_session_error or "the session was terminated"


def message_text(event: Mapping[str, Any]) -> str:
    """The text of an ``agent.message``: its text blocks joined, redacted blocks skipped."""
    blocks = event.get("content") or []
    parts = [
        str(b.get("text", ""))
        for b in blocks
        if isinstance(b, Mapping) and b.get("type") == "text" and b.get("text")
    ]
    return "".join(parts).strip()


def _is_new(state: TurnState, event: Mapping[str, Any]) -> bool:
    processed = event.get("processed_at")
    event_id = str(event.get("id") or "")
    if not processed:
        return False  # queued, not processed yet: it will come again once processed
    processed = str(processed)
    if state.since is not None and processed < state.since:
        return False
    if processed == state.since:
        if event_id and event_id in state.seen_at_since:
            return False
        state.seen_at_since.append(event_id)
    else:
        state.since, state.seen_at_since = processed, [event_id]
    return True


def _note_error(state: TurnState, event: Mapping[str, Any]) -> None:
    error = event.get("error") or {}
    if not isinstance(error, Mapping):
        return
    message = str(error.get("message") or error.get("type") or "session error")
    retry = error.get("retry_status") or {}
    retry_type = retry.get("type") if isinstance(retry, Mapping) else None
    if retry_type != "retrying":
        state.last_session_error = message


def _on_idle(state: TurnState, event: Mapping[str, Any]) -> None:
    reason = event.get("stop_reason") or {}
    kind = str(reason.get("type", "end_turn")) if isinstance(reason, Mapping) else "end_turn"
    details = event.get("stop_details") or {}
    refused = isinstance(details, Mapping) and details.get("type") == "refusal"
    if kind == "requires_action":
        count = len(reason.get("event_ids") or []) if isinstance(reason, Mapping) else 0
        state.status = JobStatus.NEEDS_ACTION
        state.error = f"waiting for a tool confirmation or result ({count} pending)"
    elif kind == "budget_reached":
        state.status = JobStatus.NEEDS_ACTION
        state.error = "the session reached its budget; raise or remove it to continue"
    elif kind == "retries_exhausted":
        state.status = JobStatus.FAILED
        state.error = state.last_session_error or "the turn failed after exhausting retries"
    elif kind == "refusal" or refused:
        state.status = JobStatus.FAILED
        explanation = details.get("explanation") if isinstance(details, Mapping) else None
        state.error = f"the agent refused: {explanation}" if explanation else "the agent refused"
    elif state.interrupted:
        state.status = JobStatus.CANCELLED
    else:
        state.status, state.error = JobStatus.COMPLETED, None
