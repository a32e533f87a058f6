"""Mapping between SQLite rows and the plain models, and the time format used in rows."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from agentdash.models import Job, JobStatus, Usage

JOB_COLUMNS = (
    "id, job, provider, status, origin, prompt, intent_id, remote_id, created_at, dispatched_at, "
    "finished_at, updated_at, next_poll_at, poll_count, poll_interval, consecutive_errors, "
    "last_error, error, usage, output, transcript, remote_status, cancel_requested, intent_at, "
    "dispatch_attempts, context"
)
"""Every job column but the provider cursor, which only the poller reads."""

JOB_SUMMARY_COLUMNS = JOB_COLUMNS.replace("output, transcript", "NULL, NULL")
"""The same columns without the (possibly large) output, for tables and lists."""


def ts(when: datetime | None) -> float | None:
    """A datetime as UTC epoch seconds for a row."""
    return None if when is None else when.timestamp()


def dt(value: float | None) -> datetime | None:
    """UTC epoch seconds from a row as an aware datetime."""
    return None if value is None else datetime.fromtimestamp(value, UTC)


def job_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Job:
    """A :class:`Job` from a row selected with :data:`JOB_COLUMNS`."""
    (
        id_, job, provider, status, origin, prompt, intent_id, remote_id, created_at,
        dispatched_at, finished_at, updated_at, next_poll_at, poll_count, poll_interval,
        consecutive_errors, last_error, error, usage, output, transcript, remote_status,
        cancel_requested, intent_at, dispatch_attempts, context,
    ) = tuple(row)  # fmt: skip
    created = dt(created_at)
    assert created is not None
    return Job(
        id=id_,
        job=job,
        provider=provider,
        status=JobStatus(status),
        origin=origin,
        prompt=prompt,
        created_at=created,
        intent_id=intent_id,
        remote_id=remote_id,
        dispatched_at=dt(dispatched_at),
        finished_at=dt(finished_at),
        updated_at=dt(updated_at),
        next_poll_at=dt(next_poll_at),
        poll_count=poll_count,
        poll_interval=poll_interval,
        consecutive_errors=consecutive_errors,
        last_error=last_error,
        error=error,
        usage=Usage.from_dict(json.loads(usage) if usage else None),
        output=output,
        transcript=transcript,
        remote_status=remote_status,
        cancel_requested=bool(cancel_requested),
        intent_at=dt(intent_at),
        dispatch_attempts=dispatch_attempts,
        context=json.loads(context) if context else {},
    )
