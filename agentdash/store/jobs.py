"""Job rows: insert, read, and the lifecycle transitions the engine commits.

Every change bumps the row's ``seq`` to one past the table's highest, so a reader (the
dashboard, a follower pane) can ask "what changed since seq N" with one indexed query.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from agentdash.models import ACTIVE, Job, JobStatus
from agentdash.store.group_commit import GroupCommit
from agentdash.store.rows import JOB_COLUMNS, JOB_SUMMARY_COLUMNS, job_from_row, ts
from agentdash.store.sqlite import Database

_NEXT_SEQ = "(SELECT IFNULL(MAX(seq), 0) + 1 FROM jobs)"
_ACTIVE_SQL = ", ".join(f"'{s.value}'" for s in ACTIVE)


class JobStore:
    """Reads and writes of the ``jobs`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._writes = GroupCommit(db)

    async def add(
        self,
        *,
        job: str,
        provider: str,
        prompt: str,
        origin: str,
        now: datetime,
        context: Mapping[str, Any] | None = None,
    ) -> Job:
        """Insert a queued job and return it."""
        async with self.db.write() as conn:
            row = await insert_job(conn, job, provider, prompt, origin, now, context)
        assert row is not None
        found = await self.get(int(row[0]))
        assert found is not None
        return found

    async def get(self, job_id: int) -> Job | None:
        rows = await self.db.rows(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return job_from_row(rows[0]) if rows else None

    async def list_jobs(
        self,
        statuses: Iterable[JobStatus] | None = None,
        *,
        limit: int | None = None,
        newest_first: bool = True,
        before: int | None = None,
    ) -> list[Job]:
        """Jobs without their output, newest first, optionally filtered by status.

        ``before`` keeps the jobs with a smaller id: the next page of an id-ordered list.
        """
        conditions: list[str] = []
        params: tuple[Any, ...] = ()
        wanted = tuple(s.value for s in statuses) if statuses is not None else None
        if wanted is not None:
            conditions.append(f"status IN ({', '.join('?' * len(wanted))})")
            params = wanted
        if before is not None:
            conditions.append("id < ?")
            params = (*params, before)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        order = "DESC" if newest_first else "ASC"
        lim = f"LIMIT {int(limit)}" if limit else ""
        rows = await self.db.rows(
            f"SELECT {JOB_SUMMARY_COLUMNS} FROM jobs {where} ORDER BY id {order} {lim}", params
        )
        return [job_from_row(r) for r in rows]

    async def window(self, finished: int) -> tuple[list[Job], int]:
        """Every active job and the newest ``finished`` others (without output), newest
        first, and the newest seq: where a live view starts before following
        :meth:`changed_since`. One statement, so the seq matches the rows."""
        rows = await self.db.rows(
            f"WITH top AS (SELECT IFNULL(MAX(seq), 0) AS seq FROM jobs)"
            f" SELECT {JOB_SUMMARY_COLUMNS}, (SELECT seq FROM top) FROM jobs"
            f" WHERE status IN ({_ACTIVE_SQL})"
            f" UNION ALL SELECT * FROM (SELECT {JOB_SUMMARY_COLUMNS}, (SELECT seq FROM top)"
            f" FROM jobs WHERE status NOT IN ({_ACTIVE_SQL}) ORDER BY id DESC LIMIT ?)"
            " ORDER BY 1 DESC",
            (max(int(finished), 0),),
        )
        if not rows:
            return [], 0  # no job at all (jobs are never deleted): every seq is news
        return [job_from_row(r[:-1]) for r in rows], int(rows[0][-1])

    async def changed_since(self, seq: int) -> tuple[list[Job], int]:
        """Jobs changed after ``seq`` (without output) and the newest seq seen."""
        rows = await self.db.rows(
            f"SELECT {JOB_SUMMARY_COLUMNS}, seq FROM jobs WHERE seq > ? ORDER BY seq", (seq,)
        )
        if not rows:
            return [], seq
        return [job_from_row(r[:-1]) for r in rows], int(rows[-1][-1])

    async def counts(self) -> dict[JobStatus, int]:
        rows = await self.db.rows("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        return {JobStatus(s): int(n) for s, n in rows}

    async def active(self) -> list[Job]:
        """Every job not in a terminal state, oldest first."""
        rows = await self.db.rows(
            f"SELECT {JOB_SUMMARY_COLUMNS} FROM jobs WHERE status IN ({_ACTIVE_SQL}) ORDER BY id"
        )
        return [job_from_row(r) for r in rows]

    async def due(self, now: datetime, exclude: Iterable[int], limit: int) -> list[Job]:
        """Active jobs whose ``next_poll_at`` has come (or that await a cancel), oldest due first.

        ``exclude`` holds the jobs this process is working on already.
        """
        skip = tuple(exclude)
        not_in = f"AND id NOT IN ({', '.join('?' * len(skip))})" if skip else ""
        rows = await self.db.rows(
            f"SELECT {JOB_SUMMARY_COLUMNS} FROM jobs WHERE status IN ({_ACTIVE_SQL}) {not_in}"
            " AND (IFNULL(next_poll_at, 0) <= ? OR cancel_requested = 1)"
            " ORDER BY IFNULL(next_poll_at, 0), id LIMIT ?",
            (*skip, ts(now), limit),
        )
        return [job_from_row(r) for r in rows]

    async def next_due_at(self, exclude: Iterable[int]) -> float | None:
        """The earliest ``next_poll_at`` (epoch seconds) of an active job not in ``exclude``."""
        skip = tuple(exclude)
        not_in = f"AND id NOT IN ({', '.join('?' * len(skip))})" if skip else ""
        value = await self.db.scalar(
            f"SELECT MIN(CASE WHEN cancel_requested = 1 THEN 0 ELSE IFNULL(next_poll_at, 0) END)"
            f" FROM jobs WHERE status IN ({_ACTIVE_SQL}) {not_in}",
            skip,
        )
        return None if value is None else float(value)

    async def begin_dispatch(
        self, job_id: int, intent_id: str, now: datetime, epoch: int
    ) -> Job | None:
        """Commit the intent before the create call: queued → dispatching, fenced.

        A job that already has an intent keeps it, so a re-dispatch after reconciliation
        carries the same id and can still be matched.
        """
        async with self.db.write(epoch) as conn:
            cur = await conn.execute(
                "UPDATE jobs SET status = 'dispatching', intent_id = IFNULL(intent_id, ?),"
                " intent_at = IFNULL(intent_at, ?), dispatch_attempts = dispatch_attempts + 1,"
                f" updated_at = ?, seq = {_NEXT_SEQ} WHERE id = ? AND status = 'queued'",
                (intent_id, ts(now), ts(now), job_id),
            )
            changed = cur.rowcount
            await cur.close()
        return await self.get(job_id) if changed else None

    async def cursor(self, job_id: int) -> dict[str, Any]:
        """The provider's opaque poll state for a job."""
        raw = await self.db.scalar("SELECT cursor FROM jobs WHERE id = ?", (job_id,))
        return dict(json.loads(raw)) if raw else {}

    async def update(
        self,
        job_id: int,
        fields: Mapping[str, Any],
        *,
        epoch: int | None = None,
        only_if: Iterable[JobStatus] | None = None,
        append_transcript: str | None = None,
        deliveries: Sequence[str] = (),
        queued_at: datetime | None = None,
    ) -> Job | None:
        """Change columns of one job in one fenced transaction.

        Args:
            fields: column → value; datetimes become epoch seconds, dicts JSON.
            epoch: the lease epoch this process holds; the write fails if it moved.
            only_if: apply only while the job is in one of these states.
            append_transcript: text appended to the transcript (with a blank line between).
            deliveries: sinks to queue the job's result for, in the same transaction (the
                outbox): a job can never end without its deliveries, nor deliver twice.
            queued_at: when the deliveries are queued and first due, by the caller's clock
                (the engine's, which tests can freeze); the wall clock if not given.

        Returns:
            The job after the change, or None when ``only_if`` did not match.
        """
        sets, params = _assignments(fields)
        if append_transcript:
            sets.append(
                "transcript = CASE WHEN transcript IS NULL OR transcript = '' THEN ? "
                "ELSE transcript || char(10) || char(10) || ? END"
            )
            params += [append_transcript, append_transcript]
        where = "id = ?"
        wparams: list[Any] = [job_id]
        if only_if is not None:
            states = [s.value for s in only_if]
            where += f" AND status IN ({', '.join('?' * len(states))})"
            wparams += states

        async def change(conn: aiosqlite.Connection) -> int:
            cur = await conn.execute(
                f"UPDATE jobs SET {', '.join(sets)}, seq = {_NEXT_SEQ} WHERE {where}",
                (*params, *wparams),
            )
            changed = cur.rowcount
            await cur.close()
            if changed:
                await _queue_deliveries(conn, job_id, deliveries, queued_at)
            return changed

        changed = await self._writes.run(change, epoch)
        return await self.get(job_id) if changed else None


async def _queue_deliveries(
    conn: aiosqlite.Connection, job_id: int, sinks: Sequence[str], queued_at: datetime | None
) -> None:
    when = ts(queued_at) if queued_at is not None else time.time()
    for sink in sinks:
        await conn.execute(
            "INSERT OR IGNORE INTO deliveries (job_id, sink, created_at, next_attempt_at, seq)"
            " VALUES (?, ?, ?, ?, (SELECT IFNULL(MAX(seq), 0) + 1 FROM deliveries))",
            (job_id, sink, when, when),
        )


async def insert_job(
    conn: aiosqlite.Connection,
    job: str,
    provider: str,
    prompt: str,
    origin: str,
    now: datetime,
    context: Mapping[str, Any] | None = None,
) -> tuple[Any, ...] | None:
    """Insert a queued job inside the caller's transaction; returns ``(id,)``."""
    cur = await conn.execute(
        "INSERT INTO jobs (job, provider, status, origin, prompt, created_at, updated_at,"
        f" context, seq) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, {_NEXT_SEQ}) RETURNING id",
        (job, provider, origin, prompt, ts(now), ts(now), json.dumps(dict(context or {}))),
    )
    row = await cur.fetchone()
    await cur.close()
    return None if row is None else tuple(row)


def _assignments(fields: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    sets, params = [], []
    for column, value in fields.items():
        if not column.replace("_", "").isalnum():
            raise ValueError(f"bad column name {column!r}")
        sets.append(f"{column} = ?")
        params.append(_sql_value(value))
    return sets, params


def _sql_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, JobStatus):
        return value.value
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return int(value)
    return value
