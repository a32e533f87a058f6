"""``agentdash daemon``: the engine with no UI, for servers and systemd.

If another process owns the engine, the daemon waits as a follower and takes over within a
few seconds of the owner's death. SIGTERM and SIGINT stop it cleanly: in-flight calls are
cancelled (committed state is never lost), the lease is released and the lock dropped.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from agentdash.commands.session import open_store
from agentdash.engine.host import EngineHost
from agentdash.runtime import Settings, build_providers

log = logging.getLogger("agentdash.daemon")


async def daemon_command(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    providers = build_providers(settings.config)
    for name, reason in providers.errors.items():
        log.error("provider %s unavailable: %s", name, reason)

    def on_role(owner: bool) -> None:
        if owner:
            log.info("engine running on %s (epoch %s)", settings.database, host.engine.epoch)

    try:
        async with open_store(settings) as store:
            host = EngineHost(store, settings.config, providers, on_role=on_role)
            await host.run(stop)
            log.info("engine stopped cleanly")
    finally:
        await providers.aclose()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0
