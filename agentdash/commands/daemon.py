"""``agentdash daemon``: the engine with no UI, for servers and systemd.

If another process owns the engine, the daemon waits as a follower and takes over within a
few seconds of the owner's death. SIGTERM and SIGINT stop it cleanly: in-flight work is
cancelled (committed state is never lost), the lease is released and the lock dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from agentdash.commands.session import open_store
from agentdash.engine.engine import Engine
from agentdash.runtime import Settings, build_providers

log = logging.getLogger("agentdash.daemon")
TAKEOVER_CHECK = 1.0
"""Seconds between a follower's attempts to take the engine lock."""


async def daemon_command(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    providers = build_providers(settings.config)
    for name, reason in providers.errors.items():
        log.error("provider %s unavailable: %s", name, reason)
    try:
        async with open_store(settings) as store:
            engine = Engine(
                store,
                settings.config,
                providers.providers,
                providers.pacers,
                provider_errors=providers.errors,
            )
            if not await _become_owner(engine, stop):
                return 0
            log.info("engine running on %s (epoch %s)", settings.database, engine.epoch)
            try:
                await engine.run(stop)
            finally:
                await engine.release()
            log.info("engine stopped cleanly")
    finally:
        await providers.aclose()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0


async def _become_owner(engine: Engine, stop: asyncio.Event) -> bool:
    """Take the lock, waiting as a follower while another process holds it."""
    announced = False
    while not stop.is_set():
        if await engine.acquire():
            return True
        if not announced:
            lease = await engine.ctx.store.lease.current()
            log.info("engine owned by pid %s on %s; waiting to take over", lease.pid, lease.host)
            announced = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), TAKEOVER_CHECK)
    return False
