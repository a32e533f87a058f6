"""The one module that talks to SQLite: connection, pragmas, migrations, transactions.

One long-lived aiosqlite connection per process, in autocommit mode, with every
read-then-write inside ``BEGIN IMMEDIATE`` (a deferred transaction that reads first cannot
upgrade to a writer once another process wrote, and fails at once whatever busy_timeout says).
Fenced writes check the lease epoch inside the same transaction, so a process that lost the
engine to another can never change a job again.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from agentdash.errors import StaleOwnerError, StoreError
from agentdash.paths import ensure_private_dir
from agentdash.store.schema import APPLICATION_ID, MIGRATIONS

MIN_SQLITE = (3, 35, 0)  # RETURNING
BUSY_TIMEOUT_MS = 5000


class Database:
    """An open agentdash database; the job, lease and command stores build on it."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Self:
        """Open (creating 0600 in a 0700 directory if needed), set pragmas and migrate."""
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(f"SQLite {sqlite3.sqlite_version} is too old; agentdash needs 3.35+")
        path = path.expanduser()
        _create_private(path)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the database: {exc}") from None
        db = cls(conn, path)
        try:
            await db._configure()
            await db._migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self.conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _configure(self) -> None:
        for pragma in (
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA journal_size_limit=67108864",
        ):
            await self.conn.execute(pragma)

    async def _migrate(self) -> None:
        async with self.write() as conn:
            app_id = await self.scalar("PRAGMA application_id")
            if app_id not in (0, APPLICATION_ID):
                raise StoreError(f"{self.path} is not an agentdash database")
            version = int(await self.scalar("PRAGMA user_version") or 0)
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path} was written by a newer agentdash (schema {version}); upgrade"
                )
            for step in range(version, len(MIGRATIONS)):
                for statement in _statements(MIGRATIONS[step]):
                    await conn.execute(statement)
            if version < len(MIGRATIONS):
                await conn.execute(f"PRAGMA user_version={len(MIGRATIONS)}")
                await conn.execute(f"PRAGMA application_id={APPLICATION_ID}")

    @asynccontextmanager
    async def write(self, epoch: int | None = None) -> AsyncIterator[aiosqlite.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction; with ``epoch``, fenced by the engine lease.

        Raises:
            StaleOwnerError: another process owns the engine now (nothing was written).
        """
        async with self._lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.path}: the database is busy: {exc}") from None
            try:
                if epoch is not None:
                    current = await self.lease_epoch()
                    if current != epoch:
                        raise stale_owner(current, epoch)
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def lease_epoch(self) -> Any:
        """The engine lease's epoch; inside a write, what a fenced change is checked against."""
        return await self.scalar("SELECT epoch FROM lease WHERE id = 1")

    async def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first column of the first row, or None."""
        rows = list(await self.conn.execute_fetchall(sql, params))
        return rows[0][0] if rows else None

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Every row of a read-only query (reads need no transaction in WAL mode).

        One hop to the connection's thread (``execute_fetchall``), not three (execute, fetch,
        close): it is what a read costs in wake-ups and latency.
        """
        return [tuple(r) for r in await self.conn.execute_fetchall(sql, params)]

    async def quick_check(self) -> str:
        """``PRAGMA quick_check``: ``"ok"`` or the first problem found."""
        return str(await self.scalar("PRAGMA quick_check"))

    async def backup(self, target: Path) -> None:
        """A consistent copy of the database at ``target`` (``VACUUM INTO``), created 0600."""
        target = target.expanduser()
        if target.exists():
            raise StoreError(f"{target} exists already; choose a new file for the backup")
        ensure_private_dir(target.parent)
        await self.conn.execute("VACUUM INTO ?", (str(target),))
        os.chmod(target, 0o600)

    async def data_version(self) -> int:
        """Changes when another connection commits; a cheap "did anything change" probe."""
        return int(await self.scalar("PRAGMA data_version") or 0)


def stale_owner(current: Any, mine: int) -> StaleOwnerError:
    """The error of a fenced write by a process whose lease epoch is no longer current."""
    return StaleOwnerError(
        f"engine lease moved to epoch {current}; this process (epoch {mine}) no longer owns"
        " the engine"
    )


def _create_private(path: Path) -> None:
    ensure_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the database: {exc.strerror}") from None
    os.close(fd)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


__all__ = ["Database", "StaleOwnerError", "StoreError"]
