"""A real engine on a temporary database for any config: the rig of the provider tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from agentdash.config import Config, parse_config
from agentdash.control import Control
from agentdash.engine.engine import Engine
from agentdash.models import Job
from agentdash.runtime import ProviderSet, build_providers
from agentdash.store import Store

FAST = """
poll: {interval: 200ms, max_interval: 500ms, max_backoff: 500ms}
engine: {lease_ttl: 2s, clock_skew: 1s}
"""
"""Poll and back-off settings that keep end-to-end tests short."""


def config_of(text: str, env: Mapping[str, str] | None = None) -> Config:
    return parse_config(FAST + text, Path("test.yaml"), dict(env or {}))


@dataclass
class EngineRig:
    store: Store
    engine: Engine
    control: Control
    providers: ProviderSet

    async def dispatch(self, job: str, prompt: str | None = None) -> Job:
        return await self.control.dispatch(job, prompt)

    async def until(self, job: Job, done: Callable[[Job], bool]) -> Job:
        """Run the engine until ``done(job)``; a test that would hang fails instead."""
        async with asyncio.timeout(20):
            return await self.engine.run_until(job.id, done)

    async def finish(self, job: Job) -> Job:
        """Run the engine until ``job`` ends; the full record (output, transcript) is returned."""
        await self.until(job, lambda j: j.status.is_terminal)
        full = await self.store.jobs.get(job.id)
        assert full is not None
        return full


@asynccontextmanager
async def engine_rig(
    tmp_path: Path, config: Config, env: Mapping[str, str] | None = None
) -> AsyncIterator[EngineRig]:
    providers = build_providers(config, env=dict(env or {}))
    assert not providers.errors, providers.errors
    store = await Store.open(tmp_path / "db" / "agentdash.db")
    engine = Engine(store, config, providers.providers, providers.pacers)
    try:
        assert await engine.acquire()
        yield EngineRig(store, engine, Control(store, config, wake=engine.wake), providers)
    finally:
        await engine.release()
        await providers.aclose()
        await store.close()
