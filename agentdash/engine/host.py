"""Running the engine in a long-lived process: the daemon and the dashboard alike.

A host owns the engine when it can take the lock, and otherwise waits as a follower,
trying again every second, so that when the owner dies a follower takes over within a
few seconds. Followers still see everything: the data is in the shared database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from agentdash.clock import Clock
from agentdash.config import Config
from agentdash.engine.engine import Engine
from agentdash.runtime import ProviderSet
from agentdash.store import Store

log = logging.getLogger(__name__)
TAKEOVER_CHECK = 1.0
"""Seconds between a follower's attempts to take the engine lock."""


class EngineHost:
    """Owns the engine when it can; follows (and keeps trying) when it cannot."""

    def __init__(
        self,
        store: Store,
        config: Config,
        providers: ProviderSet,
        *,
        clock: Clock | None = None,
        on_role: Callable[[bool], None] | None = None,
    ) -> None:
        self.engine = Engine(
            store,
            config,
            providers.providers,
            providers.pacers,
            clock=clock,
            provider_errors=providers.errors,
        )
        self.is_owner = False
        self._on_role = on_role

    async def run(self, stop: asyncio.Event) -> None:
        """Follow until the lock is free, then run the engine until ``stop`` is set."""
        announced = False
        try:
            while not stop.is_set():
                if await self.engine.acquire():
                    self._set_role(True)
                    await self.engine.run(stop)
                    if stop.is_set():
                        return
                    await self.engine.release()  # deposed: follow the new owner
                    self._set_role(False)
                    continue
                if not announced:
                    lease = await self.engine.ctx.store.lease.current()
                    log.info("engine owned by pid %s on %s; following", lease.pid, lease.host)
                    announced = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), TAKEOVER_CHECK)
        finally:
            await self.engine.release()
            self._set_role(False)

    def _set_role(self, owner: bool) -> None:
        if owner != self.is_owner:
            self.is_owner = owner
            if self._on_role is not None:
                self._on_role(owner)
