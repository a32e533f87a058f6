"""One look at a task source: keep our live claims fresh, take back abandoned ones, claim new.

Claiming is two steps in two databases: the one-statement claim in the task table, then the
job in ours (fenced, and only if no job with origin ``task:SOURCE:ID`` exists, in the same
transaction). A crash between them leaves a claim of ours with no job; the next look finds
it by our instance id in ``claimed_by`` and takes it back at once. A claim of anyone else's
is taken back once its ``claimed_at`` is older than the lease: every claimer refreshes the
claims whose jobs still run (we do it on every look), so a stale claim means a gone claimer.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agentdash.clock import utc_iso
from agentdash.errors import AgentdashError
from agentdash.sinks.template import render, tokens
from agentdash.store.task_table import (
    Row,
    TaskColumns,
    TaskSession,
    TaskTable,
    existing_origins,
    insert_task_job,
    live_claims,
)
from agentdash.tasks.settings import SqliteTaskSourceSettings, TaskSourceSettings

if TYPE_CHECKING:
    from agentdash.engine.context import EngineContext

log = logging.getLogger(__name__)
PEEK = 20
"""Extra pending rows read per look, past tasks we ran before and tasks others win."""


class TaskSourceError(AgentdashError):
    """A task source that cannot be used as configured (missing file, table or column)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who we are in ``claimed_by``: ``host:pid/instance:source``.

    The pid changes with every restart; the instance id (stored in our database) and the
    source name do not, so after a crash we still recognise our own claims.
    """

    host: str
    pid: int
    instance: str

    @classmethod
    def here(cls, instance: str) -> Identity:
        return cls(socket.gethostname(), os.getpid(), instance)

    def claimed_by(self, source: str) -> str:
        return f"{self.host}:{self.pid}/{self.instance}:{source}"

    def owns(self, claimed_by: Any, source: str) -> bool:
        return isinstance(claimed_by, str) and claimed_by.endswith(f"/{self.instance}:{source}")


def table_for(settings: TaskSourceSettings) -> TaskTable:
    if not isinstance(settings, SqliteTaskSourceSettings):
        raise TaskSourceError(f"task source type {settings.type!r} is not supported")
    return TaskTable(settings.path, settings.table, TaskColumns(**settings.columns.model_dump()))


@dataclass
class Look:
    """One look at one source, with what it needs close at hand."""

    ctx: EngineContext
    name: str
    settings: TaskSourceSettings
    identity: Identity

    async def run(self) -> int:
        """Refresh, take back, claim; returns how many jobs were queued."""
        table = table_for(self.settings)
        async with table.open() as session:
            await self._check_columns(session, table)
            await self._refresh(session)
            queued = await self._take_back(session, table.columns)
            if queued < self.settings.max_claims:
                queued += await self._claim_new(session, table.columns, queued)
        return queued

    @property
    def prompt(self) -> str:
        return self.ctx.config.jobs[self.settings.job].prompt or "{task.prompt}"

    async def _check_columns(self, session: TaskSession, table: TaskTable) -> None:
        """Every column we write or the prompt reads must exist: one clear error, not N."""
        columns = table.columns
        names = await session.column_names()
        if not names:
            raise TaskSourceError(f"{table.path}: there is no table {table.table!r}")
        needed = {getattr(columns, k) for k in TaskColumns.__slots__}
        if self.settings.tag is None:
            needed.discard(columns.tags)
        used = {t.removeprefix("task.") for t in tokens(self.prompt) if t.startswith("task.")}
        aliases = {k for k in TaskColumns.__slots__ if getattr(columns, k) in names}
        missing = sorted(needed - set(names)) + sorted(used - set(names) - aliases)
        if missing:
            raise TaskSourceError(
                f"{table.path}: table {table.table!r} has no column {', '.join(map(repr, missing))}"
                f" (it has: {', '.join(names)}); map names under task_sources.{self.name}.columns"
                f" or fix jobs.{self.settings.job}.prompt"
            )

    async def _refresh(self, session: TaskSession) -> None:
        """Renew the claims whose jobs still run, so no other worker takes them back."""
        for claim in await live_claims(self.ctx.store.db, self.name):
            await session.refresh(claim.task_id, claim.claimed_by, self._stamp())

    async def _take_back(self, session: TaskSession, columns: TaskColumns) -> int:
        queued = 0
        for row in await self._unrun(await session.claimed(self.settings.tag), columns):
            if queued >= self.settings.max_claims or not self._abandoned(row, columns):
                continue
            taken = await session.take_back(row, self._by, self._stamp())
            if taken is not None:
                log.warning(
                    "task source %s: took back task %s from %s (claimed at %s)",
                    self.name, row[columns.id], row.get(columns.claimed_by),
                    row.get(columns.claimed_at),
                )  # fmt: skip
                queued += await self._queue(session, columns, taken)
        return queued

    async def _claim_new(self, session: TaskSession, columns: TaskColumns, queued: int) -> int:
        """Claim pending tasks until ``max_claims`` jobs were queued in this look."""
        start = queued
        rows = await session.pending(self.settings.tag, self.settings.max_claims + PEEK)
        for row in await self._unrun(rows, columns):
            if queued >= self.settings.max_claims:
                break
            claimed = await session.claim(row[columns.id], self._by, self._stamp())
            if claimed is None:
                log.debug("task source %s: task %s went to another worker", self.name, row)
                continue
            queued += await self._queue(session, columns, claimed)
        return queued - start

    async def _unrun(self, rows: list[Row], columns: TaskColumns) -> list[Row]:
        """The rows we have no job for yet (a task re-opened after we ran it stays skipped)."""
        ran = await existing_origins(self.ctx.store.db, [self._origin(r, columns) for r in rows])
        return [row for row in rows if self._origin(row, columns) not in ran]

    async def _queue(self, session: TaskSession, columns: TaskColumns, row: Row) -> int:
        """Create the job for a task we just claimed; give the claim back if that fails."""
        task = _task_view(row, columns)
        template = self.ctx.config.jobs[self.settings.job]
        context = {
            "task": task,
            "task_id": row[columns.id],
            "task_source": self.name,
            "claimed_by": self._by,
        }
        try:
            job_id = await insert_task_job(
                self.ctx.store.db,
                epoch=self.ctx.epoch,
                job=self.settings.job,
                provider=template.provider,
                prompt=render(self.prompt, {}, task, strict=False),
                origin=self._origin(row, columns),
                now=self.ctx.now(),
                context=context,
            )
        except BaseException:
            await session.release(row[columns.id], self._by)
            raise
        if job_id is None:
            await session.release(row[columns.id], self._by)
            return 0
        log.info("task source %s: task %s is job %s", self.name, row[columns.id], job_id)
        return 1

    def _abandoned(self, row: Row, columns: TaskColumns) -> bool:
        if self.identity.owns(row.get(columns.claimed_by), self.name):
            return True  # ours, yet no job: we stopped between claiming and recording
        claimed_at = _instant(row.get(columns.claimed_at))
        if claimed_at is None:
            return False
        return (self.ctx.now() - claimed_at).total_seconds() > self.settings.lease

    def _origin(self, row: Row, columns: TaskColumns) -> str:
        return f"task:{self.name}:{row[columns.id]}"

    def _stamp(self) -> str:
        return utc_iso(self.ctx.now()) or ""

    @property
    def _by(self) -> str:
        return self.identity.claimed_by(self.name)


def _task_view(row: Row, columns: TaskColumns) -> Row:
    """The row as templates see it: its own columns, plus ``id``, ``prompt``... when renamed."""
    names = {k: getattr(columns, k) for k in TaskColumns.__slots__}
    aliases = {k: row[name] for k, name in names.items() if name in row}
    return {**aliases, **row}


def _instant(value: Any) -> datetime | None:
    """A claim time as written by any claimer: ISO 8601 text or epoch seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
