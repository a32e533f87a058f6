"""SQLite persistence: the only package that imports aiosqlite.

:class:`Store` bundles the database with its table stores so callers open one object.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

from agentdash.store.jobs import JobStore
from agentdash.store.lease import Lease, LeaseStore
from agentdash.store.outbox import OutboxStore
from agentdash.store.schedules import ScheduleStore
from agentdash.store.sqlite import Database


class Store:
    """An open database and the stores of its tables."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.jobs = JobStore(db)
        self.lease = LeaseStore(db)
        self.schedules = ScheduleStore(db)
        self.outbox = OutboxStore(db)

    @classmethod
    async def open(cls, path: Path) -> Self:
        return cls(await Database.open(path))

    @property
    def path(self) -> Path:
        return self.db.path

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


__all__ = ["Lease", "Store"]
