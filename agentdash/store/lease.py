"""The engine lease row: who owns the engine, under which epoch, until when.

The ``flock`` on ``<db>.lock`` decides ownership; this row shows it to other processes and
carries the epoch that fences every dispatch write (see :meth:`Database.write`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agentdash.store.rows import dt, ts
from agentdash.store.sqlite import Database


@dataclass(frozen=True, slots=True)
class Lease:
    """The owner of the engine as last recorded."""

    owner: str | None
    pid: int | None
    host: str | None
    epoch: int
    acquired_at: datetime | None
    renewed_at: datetime | None
    expires_at: datetime | None
    released: bool


class LeaseStore:
    """Reads and writes of the single ``lease`` row."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def acquire(
        self, *, owner: str, pid: int, host: str, now: datetime, ttl: float
    ) -> tuple[int, bool]:
        """Take the lease with a new epoch.

        Returns:
            The new epoch, and whether the previous owner stopped without releasing it
            (an unclean stop: the caller runs the start-up checks).
        """
        async with self.db.write() as conn:
            was_released = await self.db.scalar("SELECT released FROM lease WHERE id = 1")
            cur = await conn.execute(
                "UPDATE lease SET owner = ?, pid = ?, host = ?, epoch = epoch + 1,"
                " acquired_at = ?, renewed_at = ?, expires_at = ?, released = 0"
                " WHERE id = 1 RETURNING epoch",
                (owner, pid, host, ts(now), ts(now), now.timestamp() + ttl),
            )
            row = await cur.fetchone()
            await cur.close()
        assert row is not None
        return int(row[0]), not bool(was_released)

    async def renew(self, *, epoch: int, now: datetime, ttl: float) -> None:
        """Push the expiry forward; fails with StaleOwnerError if the epoch moved."""
        async with self.db.write(epoch) as conn:
            await conn.execute(
                "UPDATE lease SET renewed_at = ?, expires_at = ? WHERE id = 1",
                (ts(now), now.timestamp() + ttl),
            )

    async def release(self, *, epoch: int) -> None:
        """Mark a clean stop, so the next owner knows no start-up check is needed."""
        async with self.db.write(epoch) as conn:
            await conn.execute("UPDATE lease SET released = 1 WHERE id = 1")

    async def current(self) -> Lease:
        rows = await self.db.rows(
            "SELECT owner, pid, host, epoch, acquired_at, renewed_at, expires_at, released"
            " FROM lease WHERE id = 1"
        )
        owner, pid, host, epoch, acquired, renewed, expires, released = rows[0]
        return Lease(
            owner, pid, host, int(epoch), dt(acquired), dt(renewed), dt(expires), bool(released)
        )
