"""Group commit: many small writes share one transaction, and so one fsync.

With ``synchronous=FULL`` every commit waits for the disk. A sweep over a thousand jobs would
spend most of its time there if each poll committed on its own. Writers hand their change
to :class:`GroupCommit` and await it; whatever queued while the previous transaction was
committing goes into the next one. Each caller still returns only after its change is
durable, and a failing change is rolled back to its savepoint without touching the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from agentdash.store.sqlite import Database, stale_owner

Change = Callable[[aiosqlite.Connection], Awaitable[Any]]


@dataclass
class _Pending:
    change: Change
    epoch: int | None
    done: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    """Batches writes of one database into shared transactions."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    async def run(self, change: Change, epoch: int | None = None) -> Any:
        """Apply ``change`` in a transaction shared with other writers; return its result.

        Raises:
            StaleOwnerError: ``epoch`` is not the lease's epoch (nothing of this change ran).
        """
        pending = _Pending(change, epoch)
        self._queue.append(pending)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await pending.done

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            results: list[tuple[_Pending, Any, BaseException | None]] = []
            try:
                async with self.db.write() as conn:
                    fenced = any(item.epoch is not None for item in batch)
                    current = await self.db.lease_epoch() if fenced else None
                    for index, item in enumerate(batch):
                        results.append((item, *await _apply(conn, item, current, index)))
            except BaseException as exc:  # the commit itself failed: nothing is durable
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc if isinstance(exc, Exception) else
                                                RuntimeError("write cancelled"))  # fmt: skip
                if not isinstance(exc, Exception):
                    raise
                continue
            for item, value, error in results:
                if item.done.done():  # the waiting caller was cancelled meanwhile
                    continue
                if error is not None:
                    item.done.set_exception(error)
                else:
                    item.done.set_result(value)


async def _apply(
    conn: aiosqlite.Connection, item: _Pending, current: Any, index: int
) -> tuple[Any, BaseException | None]:
    if item.epoch is not None and item.epoch != current:
        return None, stale_owner(current, item.epoch)
    await conn.execute(f"SAVEPOINT change_{index}")
    try:
        value = await item.change(conn)
    except Exception as exc:
        await conn.execute(f"ROLLBACK TO change_{index}")
        await conn.execute(f"RELEASE change_{index}")
        return None, exc
    await conn.execute(f"RELEASE change_{index}")
    return value, None
