"""Command rows: how a follower process asks the engine's owner to act.

A follower (a second pane, the CLI while a daemon runs) cannot call providers itself without
risking duplicates, so it writes what it wants here and the owner carries it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agentdash.store.rows import dt, ts
from agentdash.store.sqlite import Database


@dataclass(frozen=True, slots=True)
class Command:
    """One request to the engine owner."""

    id: int
    kind: str
    """``dispatch``, ``cancel``, ``pause``, ``resume``, ``run``."""
    args: dict[str, Any]
    created_at: datetime
    result: dict[str, Any] | None = None
    done_at: datetime | None = None


class CommandStore:
    """Reads and writes of the ``commands`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, kind: str, args: dict[str, Any], now: datetime) -> int:
        async with self.db.write() as conn:
            cur = await conn.execute(
                "INSERT INTO commands (kind, args, created_at) VALUES (?, ?, ?) RETURNING id",
                (kind, json.dumps(args), ts(now)),
            )
            row = await cur.fetchone()
            await cur.close()
        assert row is not None
        return int(row[0])

    async def pending(self) -> list[Command]:
        rows = await self.db.rows(
            "SELECT id, kind, args, created_at FROM commands WHERE done_at IS NULL ORDER BY id"
        )
        return [Command(i, k, json.loads(a), _req(dt(c))) for i, k, a, c in rows]

    async def finish(
        self, command_id: int, result: dict[str, Any], now: datetime, epoch: int | None = None
    ) -> None:
        async with self.db.write(epoch) as conn:
            await conn.execute(
                "UPDATE commands SET done_at = ?, result = ? WHERE id = ? AND done_at IS NULL",
                (ts(now), json.dumps(result), command_id),
            )

    async def get(self, command_id: int) -> Command | None:
        rows = await self.db.rows(
            "SELECT id, kind, args, created_at, result, done_at FROM commands WHERE id = ?",
            (command_id,),
        )
        if not rows:
            return None
        i, k, a, c, r, d = rows[0]
        return Command(i, k, json.loads(a), _req(dt(c)), json.loads(r) if r else None, dt(d))


def _req(value: datetime | None) -> datetime:
    assert value is not None
    return value
