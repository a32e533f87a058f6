"""Opening the store and becoming the engine owner (or a follower) for one command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agentdash.engine.engine import Engine
from agentdash.engine.ownership import EngineLock
from agentdash.errors import ConfigError
from agentdash.runtime import Settings, build_providers
from agentdash.store import Store


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Store]:
    store = await Store.open(settings.database)
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def owner_or_follower(
    settings: Settings, store: Store, *, required: str | None
) -> AsyncIterator[Engine | None]:
    """Yield an engine if this process could take the engine lock, else None (a follower).

    Args:
        required: a provider the command cannot do without; its build error is raised.
    """
    lock = EngineLock(store.path)
    if not lock.try_acquire():
        yield None
        return
    providers = build_providers(settings.config)
    try:
        if required is not None and required in providers.errors:
            raise ConfigError(providers.errors[required])
        engine = Engine(
            store,
            settings.config,
            providers.providers,
            providers.pacers,
            provider_errors=providers.errors,
            lock=lock,
        )
        await engine.acquire()
        try:
            yield engine
        finally:
            await engine.release()
    finally:
        await providers.aclose()
        lock.release()
