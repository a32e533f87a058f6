"""Renewing the engine lease while there is work, so other processes can see the owner is live.

The flock decides ownership; the lease row is what followers and ``agentdash status`` read,
and its epoch fences every write. Renewal needs a wake-up every third of the lease, so it
happens only while jobs are active: an idle engine wakes for nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agentdash.engine.context import EngineContext


class LeaseKeeper:
    """Renews the lease every ``lease_ttl / 3`` while any job is active."""

    name = "lease"

    def __init__(self) -> None:
        self._renewed: datetime | None = None

    async def step(self, ctx: EngineContext) -> datetime | None:
        ttl = ctx.config.engine.lease_ttl
        every = timedelta(seconds=ttl / 3)
        now = ctx.now()
        if self._renewed is None or now - self._renewed >= every:
            await ctx.store.lease.renew(epoch=ctx.epoch, now=now, ttl=ttl)
            self._renewed = now
        if await ctx.store.jobs.next_due_at(()) is None:
            return None
        return self._renewed + every

    async def aclose(self) -> None:
        self._renewed = None
