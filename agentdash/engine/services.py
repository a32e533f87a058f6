"""Services: periodic work that shares the engine's one loop (schedules, deliveries, tasks).

A service's ``step`` is called on every wake of the loop. It does what is due, returns at
once (network work runs in tasks the service tracks, which call ``ctx.wake()`` when they
finish), and says when it next needs a wake. The loop sleeps until the earliest of those,
so an idle service costs nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agentdash.engine.context import EngineContext


class Service(Protocol):
    """Periodic work driven by the engine loop."""

    name: str

    async def step(self, ctx: EngineContext) -> datetime | None:
        """Do what is due now; return when the next wake is needed (None: only on demand)."""
        ...

    async def aclose(self) -> None:
        """Cancel tracked tasks; called when the engine stops owning the database."""
        ...


def build_services(ctx: EngineContext) -> list[Service]:
    """The services of an engine, in the order they run on each wake."""
    from agentdash.engine.lease_keeper import LeaseKeeper
    from agentdash.scheduler.scheduler import Scheduler
    from agentdash.sinks.deliverer import Deliverer
    from agentdash.tasks.service import TaskSources

    services: list[Service] = [LeaseKeeper(), Scheduler(), TaskSources(), Deliverer()]
    return services
