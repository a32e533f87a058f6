"""A task table in someone else's SQLite file, and the jobs our database made from its tasks.

The foreign file is opened per look with ``mode=rw`` (a wrong path is an error, never a new
empty database) in autocommit, so a claim is ONE statement that commits on its own::

    UPDATE tasks SET status='claimed', claimed_by=?, claimed_at=?
    WHERE id=? AND status='pending' RETURNING *

The first updater wins; when another worker got there first the WHERE no longer matches and
we get no row, so losing is clean. We never change the foreign file's schema or journal mode.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from agentdash.errors import StoreError
from agentdash.store.jobs import insert_job
from agentdash.store.sqlite import BUSY_TIMEOUT_MS, Database

Row = dict[str, Any]
WriteOutcome = Literal["written", "already", "gone", "taken"]


@dataclass(frozen=True, slots=True)
class TaskColumns:
    """The task table's column names (already checked to be plain identifiers)."""

    id: str = "id"
    prompt: str = "prompt"
    tags: str = "tags"
    status: str = "status"
    claimed_by: str = "claimed_by"
    claimed_at: str = "claimed_at"
    result: str = "result"


class TaskTable:
    """Where a task source's table lives; :meth:`open` gives a short-lived session on it."""

    def __init__(self, path: Path, table: str, columns: TaskColumns) -> None:
        self.path = path.expanduser()
        self.table = table
        self.columns = columns

    @asynccontextmanager
    async def open(self) -> AsyncIterator[TaskSession]:
        """Connect (never creating the file), yield a session, and always close."""
        try:
            uri = self.path.absolute().as_uri() + "?mode=rw"
            conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the task database: {exc}") from None
        try:
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            yield TaskSession(conn, self.table, self.columns)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: table {self.table}: {exc}") from None
        finally:
            await conn.close()


class TaskSession:
    """Statements on one open task table; each commits by itself."""

    def __init__(self, conn: aiosqlite.Connection, table: str, columns: TaskColumns) -> None:
        self.conn = conn
        self.t = f'"{table}"'
        self.c = {k: f'"{getattr(columns, k)}"' for k in TaskColumns.__slots__}

    async def column_names(self) -> list[str]:
        rows = await self._rows(f"PRAGMA table_info({self.t})", ())
        return [str(r["name"]) for r in rows]

    async def pending(self, tag: str | None, limit: int) -> list[Row]:
        """Pending tasks carrying ``tag``, lowest id first."""
        where, params = self._tagged(tag)
        return await self._rows(
            f"SELECT * FROM {self.t} WHERE {self.c['status']} = 'pending' {where}"
            f" ORDER BY {self.c['id']} LIMIT ?",
            (*params, limit),
        )

    async def claimed(self, tag: str | None) -> list[Row]:
        """Claimed tasks carrying ``tag``: candidates for taking back."""
        where, params = self._tagged(tag)
        return await self._rows(
            f"SELECT * FROM {self.t} WHERE {self.c['status']} = 'claimed' {where}", params
        )

    async def claim(self, task_id: Any, by: str, at: str) -> Row | None:
        """The one-statement claim: the row after the update, or None if we lost."""
        c = self.c
        return await self._one(
            f"UPDATE {self.t} SET {c['status']} = 'claimed', {c['claimed_by']} = ?,"
            f" {c['claimed_at']} = ? WHERE {c['id']} = ? AND {c['status']} = 'pending'"
            " RETURNING *",
            (by, at, task_id),
        )

    async def take_back(self, row: Row, by: str, at: str) -> Row | None:
        """Claim a stale claim, only if nobody refreshed or changed it since we read it."""
        c, cols = self.c, self._names()
        return await self._one(
            f"UPDATE {self.t} SET {c['claimed_by']} = ?, {c['claimed_at']} = ?"
            f" WHERE {c['id']} = ? AND {c['status']} = 'claimed'"
            f" AND {c['claimed_by']} IS ? AND {c['claimed_at']} IS ? RETURNING *",
            (by, at, row[cols["id"]], row.get(cols["claimed_by"]), row.get(cols["claimed_at"])),
        )

    async def refresh(self, task_id: Any, by: str, at: str) -> bool:
        """Renew our claim's time so no one takes back a task whose job still runs."""
        c = self.c
        return await self._update(
            f"UPDATE {self.t} SET {c['claimed_at']} = ? WHERE {c['id']} = ?"
            f" AND {c['status']} = 'claimed' AND {c['claimed_by']} = ?",
            (at, task_id, by),
        )

    async def release(self, task_id: Any, by: str) -> bool:
        """Give a claim back (pending again), e.g. when recording its job failed."""
        c = self.c
        return await self._update(
            f"UPDATE {self.t} SET {c['status']} = 'pending', {c['claimed_by']} = NULL,"
            f" {c['claimed_at']} = NULL WHERE {c['id']} = ? AND {c['status']} = 'claimed'"
            f" AND {c['claimed_by']} = ?",
            (task_id, by),
        )

    async def finish(
        self, task_id: Any, by: str, status: Literal["done", "failed"], result: str
    ) -> tuple[WriteOutcome, str]:
        """Write a job's outcome to its task, if the task is still our claim.

        Returns ``written``; ``already`` when this very outcome is there (a repeat after a
        crash); ``gone`` or ``taken`` (with what was found) when the row is not ours to write.
        """
        c = self.c
        if await self._update(
            f"UPDATE {self.t} SET {c['status']} = ?, {c['result']} = ? WHERE {c['id']} = ?"
            f" AND {c['status']} = 'claimed' AND {c['claimed_by']} = ?",
            (status, result, task_id, by),
        ):
            return "written", ""
        row = await self._one(
            f"SELECT {c['status']} AS s, {c['claimed_by']} AS b FROM {self.t} WHERE {c['id']} = ?",
            (task_id,),
        )
        if row is None:
            return "gone", "the task no longer exists"
        if row["s"] == status and row["b"] == by:
            return "already", ""
        return "taken", f"the task is {row['s']!r}, claimed by {row['b']!r}"

    def _tagged(self, tag: str | None) -> tuple[str, tuple[Any, ...]]:
        if tag is None:
            return "", ()
        tags = self.c["tags"]
        return f"AND instr(',' || replace(IFNULL({tags}, ''), ' ', '') || ',', ?) > 0", (
            f",{tag},",
        )

    def _names(self) -> dict[str, str]:
        return {k: v.strip('"') for k, v in self.c.items()}

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        async with self.conn.execute(sql, params) as cur:
            names = [d[0] for d in cur.description or ()]
            return [_plain(dict(zip(names, r, strict=True))) for r in await cur.fetchall()]

    async def _one(self, sql: str, params: tuple[Any, ...]) -> Row | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    async def _update(self, sql: str, params: tuple[Any, ...]) -> bool:
        async with self.conn.execute(sql, params) as cur:
            return cur.rowcount > 0


def _plain(row: Row) -> Row:
    """A row with JSON-friendly values (it is stored in the job's context)."""
    return {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else v for k, v in row.items()}


@dataclass(frozen=True, slots=True)
class LiveClaim:
    """A task still in our hands: its job runs, or its write-back has not gone through."""

    task_id: Any
    claimed_by: str


async def live_claims(db: Database, source: str) -> list[LiveClaim]:
    """Claims from ``source`` to keep fresh (through the active-job and pending indexes)."""
    prefix = f"task:{source}:"
    rows = await db.rows(
        "SELECT context FROM jobs WHERE status NOT IN ('completed', 'failed', 'cancelled')"
        " AND origin >= ? AND origin < ? UNION SELECT j.context FROM deliveries d"
        " JOIN jobs j ON j.id = d.job_id WHERE d.status = 'pending' AND d.sink = ?",
        (prefix, prefix[:-1] + ";", f"task:{source}"),
    )
    contexts = [json.loads(row[0]) for row in rows if row[0]]
    return [
        LiveClaim(c.get("task_id"), c["claimed_by"])
        for c in contexts
        if isinstance(c.get("claimed_by"), str)
    ]


async def existing_origins(db: Database, origins: list[str]) -> set[str]:
    """Which of ``origins`` already have a job here (we never run a task twice)."""
    found: set[str] = set()
    for start in range(0, len(origins), 500):
        chunk = origins[start : start + 500]
        rows = await db.rows(
            f"SELECT origin FROM jobs WHERE origin IN ({', '.join('?' * len(chunk))})",
            tuple(chunk),
        )
        found.update(str(row[0]) for row in rows)
    return found


async def insert_task_job(
    db: Database,
    *,
    epoch: int,
    job: str,
    provider: str,
    prompt: str,
    origin: str,
    now: datetime,
    context: Mapping[str, Any],
) -> int | None:
    """Queue the job for a claimed task, unless one with that origin exists (fenced, atomic)."""
    async with db.write(epoch) as conn:
        async with conn.execute("SELECT 1 FROM jobs WHERE origin = ?", (origin,)) as cur:
            if await cur.fetchone() is not None:
                return None
        row = await insert_job(conn, job, provider, prompt, origin, now, context)
    return None if row is None else int(row[0])
