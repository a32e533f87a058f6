"""Plain data shared by every layer: job statuses and the job record.

Nothing here does I/O. The store builds :class:`Job` from rows; the engine and UI read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    """The job lifecycle of the design: queued → dispatching → running ⇄ needs_action → end."""

    QUEUED = "queued"
    DISPATCHING = "dispatching"
    UNKNOWN = "unknown"
    RUNNING = "running"
    NEEDS_ACTION = "needs_action"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """Terminal states are final: nothing polls or changes the job afterwards."""
        return self in TERMINAL

    @property
    def is_polled(self) -> bool:
        """States whose remote session the poll loop keeps watching."""
        return self in POLLED


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
POLLED = frozenset({JobStatus.RUNNING, JobStatus.NEEDS_ACTION})
ACTIVE = frozenset(set(JobStatus) - TERMINAL)


@dataclass(frozen=True, slots=True)
class Usage:
    """What the provider reports a job cost; every field is optional because providers differ."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    active_seconds: float | None = None
    cost: str | None = None
    """Cost as the provider states it, e.g. ``"0.42 USD"``."""

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage:
        data = data or {}
        return cls(**{k: data.get(k) for k in cls.__slots__})


@dataclass(frozen=True, slots=True)
class Job:
    """One dispatch of a job template, from queued to a terminal state."""

    id: int
    job: str
    """The job template's name in config."""
    provider: str
    status: JobStatus
    origin: str
    """``manual``, ``schedule:NAME@FIRE_TIME_ISO`` or ``task:SOURCE:TASK_ID``."""
    prompt: str
    created_at: datetime
    intent_id: str | None = None
    remote_id: str | None = None
    dispatched_at: datetime | None = None
    finished_at: datetime | None = None
    next_poll_at: datetime | None = None
    poll_count: int = 0
    poll_interval: float | None = None
    consecutive_errors: int = 0
    last_error: str | None = None
    error: str | None = None
    """Why the job failed or needs a person; None while all is well."""
    usage: Usage = field(default_factory=Usage)
    output: str | None = None
    """The final agent message."""
    transcript: str | None = None
    """Every agent message so far, joined with blank lines."""
    remote_status: str | None = None
    cancel_requested: bool = False
    updated_at: datetime | None = None
    intent_at: datetime | None = None
    """When the intent id was committed; reconciliation looks for sessions from then on."""
    dispatch_attempts: int = 0
    context: dict[str, Any] = field(default_factory=dict)
    """Where the job came from, for templates: ``schedule`` name, ``task`` columns."""

    @property
    def is_active(self) -> bool:
        return not self.status.is_terminal


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """A schedule as people see it: its config, its next fire and its history."""

    name: str
    job: str
    cron: str
    description: str
    """The cron expression in words, e.g. "At 09:00 AM, Monday through Friday"."""
    timezone: str
    misfire: str
    overlap: str
    enabled: bool
    """False when the config disables it."""
    paused: bool
    """Paused by a person (``p`` in the dashboard, ``agentdash schedules pause``)."""
    next_fire: datetime | None
    last_fire: datetime | None
    """The scheduled time of the newest fire that was acted on."""
    last_job_id: int | None
    last_result: str | None
    """Status of the job the last fire started, or what happened to the fire."""
    missed_count: int
    last_missed: datetime | None
