"""The delivery outbox: one row per (job, sink), queued in the transaction that ends the job.

A job can therefore never end without its deliveries, and ``UNIQUE (job_id, sink)`` means it
never gets two. The deliverer reads due rows, sends them, and records each outcome in a write
fenced by the engine lease, so a process that lost the engine cannot record anything.
Every change bumps ``seq`` so a live view can ask what changed since seq N.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from agentdash.store.rows import dt, ts
from agentdash.store.sqlite import Database

_NEXT_SEQ = "(SELECT IFNULL(MAX(seq), 0) + 1 FROM deliveries)"
_COLUMNS = (
    "d.id, d.job_id, j.job, d.sink, d.status, d.attempts, d.next_attempt_at, d.last_error,"
    " d.created_at, d.delivered_at, d.seq"
)
_FROM = "FROM deliveries d JOIN jobs j ON j.id = d.job_id"
ERROR_LIMIT = 2000
"""Longest error text kept on a row."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"
    """Parked after too many attempts or an error retrying cannot fix; ``redeliver`` revives it."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One job result on its way to one sink."""

    id: int
    job_id: int
    job: str
    """The job template's name."""
    sink: str
    """A name under ``sinks:``, or ``task:SOURCE`` for a task's write-back."""
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    seq: int = 0

    @property
    def retrying(self) -> bool:
        """Pending after at least one failed attempt."""
        return self.status is DeliveryStatus.PENDING and self.last_error is not None


class OutboxStore:
    """Reads and writes of the ``deliveries`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, now: datetime, exclude: Iterable[int], limit: int) -> list[Delivery]:
        """Pending deliveries whose time has come, oldest due first, minus ``exclude``."""
        skip = tuple(exclude)
        return await self._select(
            f"WHERE d.status = 'pending' AND IFNULL(d.next_attempt_at, 0) <= ? {_not_in(skip)}"
            " ORDER BY IFNULL(d.next_attempt_at, 0), d.id LIMIT ?",
            (ts(now), *skip, limit),
        )

    async def next_due_after(self, now: datetime, exclude: Iterable[int]) -> datetime | None:
        """The earliest retry time after ``now`` of a pending delivery not in ``exclude``."""
        skip = tuple(exclude)
        value = await self.db.scalar(
            "SELECT MIN(next_attempt_at) FROM deliveries d WHERE status = 'pending'"
            f" AND next_attempt_at > ? {_not_in(skip)}",
            (ts(now), *skip),
        )
        return dt(value)

    async def delivered(self, delivery_id: int, now: datetime, *, epoch: int) -> bool:
        """Record a successful send (fenced); False if the row is no longer pending."""
        return await self._change(
            delivery_id,
            "status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL,"
            " next_attempt_at = NULL",
            (ts(now),),
            epoch=epoch,
        )

    async def failed(
        self, delivery_id: int, error: str, retry_at: datetime | None, *, epoch: int
    ) -> bool:
        """Record a failed attempt (fenced): retry at ``retry_at``, or park as dead if None."""
        status = "pending" if retry_at is not None else "dead"
        return await self._change(
            delivery_id,
            "status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?",
            (status, error[:ERROR_LIMIT], ts(retry_at)),
            epoch=epoch,
        )

    async def redeliver(self, job_id: int, now: datetime) -> list[Delivery]:
        """Send a job's dead and failing deliveries again now, with a fresh attempt budget.

        Not fenced: like a cancel flag, any process may ask; the engine owner acts on it.
        """
        async with self.db.write() as conn:
            cur = await conn.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, last_error = NULL,"
                f" next_attempt_at = ?, seq = {_NEXT_SEQ} WHERE job_id = ? AND (status = 'dead'"
                " OR (status = 'pending' AND last_error IS NOT NULL)) RETURNING id",
                (ts(now), job_id),
            )
            ids = [int(row[0]) for row in await cur.fetchall()]
            await cur.close()
        return [d for d in await self.list_deliveries(job_id=job_id) if d.id in ids]

    async def list_deliveries(
        self,
        *,
        job_id: int | None = None,
        statuses: Iterable[DeliveryStatus] | None = None,
        limit: int | None = None,
    ) -> list[Delivery]:
        """Deliveries newest first, optionally of one job or in some states."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if job_id is not None:
            where.append("d.job_id = ?")
            params.append(job_id)
        if statuses is not None:
            wanted = [s.value for s in statuses]
            where.append(f"d.status IN ({', '.join('?' * len(wanted))})")
            params += wanted
        lim = f" LIMIT {int(limit)}" if limit else ""
        return await self._select(
            f"WHERE {' AND '.join(where)} ORDER BY d.id DESC{lim}", tuple(params)
        )

    async def changed_since(self, seq: int) -> tuple[list[Delivery], int]:
        """Deliveries changed after ``seq`` and the newest seq seen, for live views."""
        found = await self._select("WHERE d.seq > ? ORDER BY d.seq", (seq,))
        return found, (found[-1].seq if found else seq)

    async def _select(self, tail: str, params: tuple[Any, ...]) -> list[Delivery]:
        rows = await self.db.rows(f"SELECT {_COLUMNS} {_FROM} {tail}", params)
        return [_delivery(row) for row in rows]

    async def _change(
        self, delivery_id: int, sets: str, params: tuple[Any, ...], *, epoch: int
    ) -> bool:
        async with self.db.write(epoch) as conn:
            cur = await conn.execute(
                f"UPDATE deliveries SET {sets}, seq = {_NEXT_SEQ}"
                " WHERE id = ? AND status = 'pending'",
                (*params, delivery_id),
            )
            changed = cur.rowcount
            await cur.close()
        return bool(changed)


async def instance_id(db: Database) -> str:
    """This database's stable random id: task claims and idempotency keys carry it."""
    return str(await db.scalar("SELECT instance_id FROM instance WHERE id = 1"))


def _not_in(skip: tuple[int, ...]) -> str:
    return f"AND d.id NOT IN ({', '.join('?' * len(skip))})" if skip else ""


def _delivery(row: tuple[Any, ...]) -> Delivery:
    id_, job_id, job, sink, status, attempts, next_at, error, created, delivered, seq = row
    created_at = dt(created)
    assert created_at is not None
    return Delivery(
        id=id_,
        job_id=job_id,
        job=job,
        sink=sink,
        status=DeliveryStatus(status),
        attempts=attempts,
        next_attempt_at=dt(next_at),
        last_error=error,
        created_at=created_at,
        delivered_at=dt(delivered),
        seq=seq,
    )
