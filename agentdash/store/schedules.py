"""Schedule rows and fire records: what each schedule did, kept across restarts and config edits.

Schedules are keyed by name, so editing the config keeps their history. Every fire that
starts a job is a row in ``fires`` whose ``(schedule, scheduled_for)`` is UNIQUE, and each
pass moves the schedule's high-water mark (``last_fire_for``) with a compare-and-set inside
the same ``BEGIN IMMEDIATE`` transaction: however many processes or restarts, a fire is
acted on once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agentdash.models import ACTIVE
from agentdash.store.jobs import insert_job
from agentdash.store.rows import dt, ts
from agentdash.store.sqlite import Database

_ACTIVE_SQL = ", ".join(f"'{s.value}'" for s in ACTIVE)


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """The persisted state of one schedule."""

    name: str
    paused: bool
    config_enabled: bool
    enabled_since: datetime
    last_fire_for: datetime | None
    last_fired_at: datetime | None
    last_job_id: int | None
    missed_count: int
    last_missed_for: datetime | None

    @property
    def since(self) -> datetime:
        """Fires after this instant are still to be handled."""
        if self.last_fire_for is None:
            return self.enabled_since
        return max(self.last_fire_for, self.enabled_since)


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job a fire starts."""

    job: str
    provider: str
    prompt: str
    origin: str
    context: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FireOutcome:
    """What to record for one fire: a job to start, or why none was started."""

    scheduled_for: datetime
    outcome: str
    """``dispatched``, ``skipped_overlap``, ``queued`` (waits for the active run) or ``manual``."""
    job: NewJob | None = None


_COLUMNS = (
    "name, paused, config_enabled, enabled_since, last_fire_for, last_fired_at, last_job_id,"
    " missed_count, last_missed_for"
)


class ScheduleStore:
    """Reads and writes of ``schedules`` and ``fires``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def sync(self, enabled: Mapping[str, bool], now: datetime) -> None:
        """Make a row for every configured schedule; (re-)enabling one starts it from now.

        A new or re-enabled schedule fires first at its next future slot, never at once.
        Nothing is written when the rows already match (readers call this too).
        """
        known = {r.name: r.config_enabled for r in (await self.rows(enabled)).values()}
        if known == dict(enabled):
            return
        async with self.db.write() as conn:
            for name, on in enabled.items():
                await conn.execute(
                    "INSERT INTO schedules (name, enabled_since, config_enabled) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET config_enabled = excluded.config_enabled,"
                    " enabled_since = CASE WHEN schedules.config_enabled = 0"
                    " AND excluded.config_enabled = 1 THEN excluded.enabled_since"
                    " ELSE schedules.enabled_since END",
                    (name, ts(now), int(on)),
                )

    async def rows(self, names: Iterable[str] | None = None) -> dict[str, ScheduleRow]:
        found = await self.db.rows(f"SELECT {_COLUMNS} FROM schedules ORDER BY name")
        wanted = set(names) if names is not None else None
        return {r[0]: _row(r) for r in found if wanted is None or r[0] in wanted}

    async def active_jobs(self, name: str) -> list[int]:
        """Ids of the schedule's jobs that have not ended."""
        rows = await self.db.rows(
            f"SELECT id FROM jobs WHERE origin LIKE ? AND status IN ({_ACTIVE_SQL})",
            (f"schedule:{name}@%",),
        )
        return [int(r[0]) for r in rows]

    async def any_due_for_poll(self, job_ids: Sequence[int], now: datetime) -> bool:
        """Whether one of these remote jobs is due for a poll, so its stored state may be old.

        After a restart, a job that ended remotely while agentdash was down still reads as
        running until its first poll; the scheduler waits for that poll before judging overlap.
        """
        if not job_ids:
            return False
        marks = ", ".join("?" * len(job_ids))
        value = await self.db.scalar(
            f"SELECT 1 FROM jobs WHERE id IN ({marks}) AND status IN ('running', 'needs_action')"
            " AND IFNULL(next_poll_at, 0) <= ? LIMIT 1",
            (*job_ids, ts(now)),
        )
        return value is not None

    async def record(
        self,
        name: str,
        expected_since: datetime | None,
        outcomes: Sequence[FireOutcome],
        *,
        newest: datetime | None,
        missed: int,
        last_missed: datetime | None,
        cancel_jobs: Sequence[int] = (),
        now: datetime,
        epoch: int | None,
    ) -> bool:
        """Apply one pass for one schedule atomically; False if another pass got there first.

        ``expected_since`` is the ``last_fire_for`` the pass was planned from; the write
        happens only if it is unchanged (compare-and-set).
        """
        async with self.db.write(epoch) as conn:
            current = await self.db.scalar(
                "SELECT last_fire_for FROM schedules WHERE name = ?", (name,)
            )
            if current != ts(expected_since):
                return False
            last_job = await _record_fires(conn, name, outcomes, now)
            for job_id in cancel_jobs:
                await conn.execute(
                    "UPDATE jobs SET cancel_requested = 1, seq = (SELECT MAX(seq) + 1 FROM jobs)"
                    " WHERE id = ?",
                    (job_id,),
                )
            await conn.execute(
                "UPDATE schedules SET last_fire_for = IFNULL(?, last_fire_for),"
                " missed_count = missed_count + ?,"
                " last_missed_for = IFNULL(?, last_missed_for),"
                " last_fired_at = CASE WHEN ? THEN ? ELSE last_fired_at END,"
                " last_job_id = IFNULL(?, last_job_id) WHERE name = ?",
                (ts(newest), missed, ts(last_missed), bool(outcomes), ts(now), last_job, name),
            )
        return True

    async def queued_fire(self, name: str) -> datetime | None:
        """The oldest fire waiting for the schedule's active run to end (overlap ``queue``)."""
        value = await self.db.scalar(
            "SELECT MIN(scheduled_for) FROM fires WHERE schedule = ? AND outcome = 'queued'",
            (name,),
        )
        return dt(value)

    async def release_queued(
        self, name: str, scheduled_for: datetime, job: NewJob, now: datetime, epoch: int | None
    ) -> bool:
        """Start the job of a queued fire, once; False if another pass released it first."""
        try:
            await self._release(name, scheduled_for, job, now, epoch)
        except _Lost:
            return False
        return True

    async def _release(
        self, name: str, scheduled_for: datetime, job: NewJob, now: datetime, epoch: int | None
    ) -> None:
        async with self.db.write(epoch) as conn:
            row = await insert_job(
                conn, job.job, job.provider, job.prompt, job.origin, now, job.context
            )
            assert row is not None
            cur = await conn.execute(
                "UPDATE fires SET outcome = 'dispatched', job_id = ?, recorded_at = ?"
                " WHERE schedule = ? AND scheduled_for = ? AND outcome = 'queued'",
                (row[0], ts(now), name, ts(scheduled_for)),
            )
            if cur.rowcount != 1:
                raise _Lost()
            await conn.execute(
                "UPDATE schedules SET last_job_id = ?, last_fired_at = ? WHERE name = ?",
                (row[0], ts(now), name),
            )

    async def set_paused(self, name: str, paused: bool, now: datetime) -> bool:
        """Pause or resume; resuming starts from now, so paused slots never fire late."""
        async with self.db.write() as conn:
            cur = await conn.execute(
                "UPDATE schedules SET paused = ?, enabled_since = CASE WHEN ? = 0 AND paused = 1"
                " THEN ? ELSE enabled_since END WHERE name = ?",
                (int(paused), int(paused), ts(now), name),
            )
            return cur.rowcount == 1

    async def last_outcome(self, name: str) -> tuple[str, int | None, str | None] | None:
        """The newest fire's outcome, its job id, and that job's status."""
        rows = await self.db.rows(
            "SELECT f.outcome, f.job_id, j.status FROM fires f LEFT JOIN jobs j ON j.id = f.job_id"
            " WHERE f.schedule = ? ORDER BY f.scheduled_for DESC, f.id DESC LIMIT 1",
            (name,),
        )
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else None

    async def fires(self, name: str) -> list[tuple[datetime, str, int | None]]:
        """Every recorded fire of a schedule, oldest first."""
        rows = await self.db.rows(
            "SELECT scheduled_for, outcome, job_id FROM fires WHERE schedule = ?"
            " ORDER BY scheduled_for",
            (name,),
        )
        return [(_req(dt(a)), b, c) for a, b, c in rows]


class _Lost(Exception):
    """Another pass released the queued fire first; the transaction rolls back."""


async def _record_fires(
    conn: Any, name: str, outcomes: Sequence[FireOutcome], now: datetime
) -> int | None:
    last_job: int | None = None
    for fire in outcomes:
        job_id = None
        if fire.job is not None:
            j = fire.job
            row = await insert_job(conn, j.job, j.provider, j.prompt, j.origin, now, j.context)
            job_id = None if row is None else int(row[0])
        cur = await conn.execute(
            "INSERT OR IGNORE INTO fires (schedule, scheduled_for, outcome, job_id, recorded_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (name, ts(fire.scheduled_for), fire.outcome, job_id, ts(now)),
        )
        if cur.rowcount == 0 and job_id is not None:
            # this fire was acted on already: undo the job we just made for it
            await conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            job_id = None
        last_job = job_id or last_job
    return last_job


def _row(r: tuple[Any, ...]) -> ScheduleRow:
    return ScheduleRow(
        name=r[0],
        paused=bool(r[1]),
        config_enabled=bool(r[2]),
        enabled_since=_req(dt(r[3])),
        last_fire_for=dt(r[4]),
        last_fired_at=dt(r[5]),
        last_job_id=r[6],
        missed_count=int(r[7]),
        last_missed_for=dt(r[8]),
    )


def _req(value: datetime | None) -> datetime:
    assert value is not None
    return value
