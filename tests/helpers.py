"""Building a real engine against the real fake server, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from agentdash.config import Config, parse_config
from agentdash.control import Control
from agentdash.engine.engine import Engine
from agentdash.fake import FakeServer, Scenario, running_fake
from agentdash.models import Job, JobStatus
from agentdash.runtime import ProviderSet, build_providers
from agentdash.store import Store

from .conftest import SENTINEL_KEY

CONFIG = """
poll: {{interval: 200ms, max_interval: 1s, max_backoff: 1s}}
engine: {{lease_ttl: 2s, clock_skew: 1s}}
providers:
  fake:
    type: anthropic
    api_key_env: FAKE_KEY
    base_url: {base_url}
    requests_per_minute: {rpm}
    max_concurrency: 8
    timeout: {timeout}
jobs:
  hello:
    provider: fake
    agent: agent_1
    environment: env_1
    prompt: Say hello
"""


def make_config(base_url: str, *, rpm: int = 6000, timeout: str = "5s") -> Config:
    text = CONFIG.format(base_url=base_url, rpm=rpm, timeout=timeout)
    return parse_config(text, Path("test.yaml"), {})


@dataclass
class Rig:
    fake: FakeServer
    store: Store
    engine: Engine
    control: Control
    providers: ProviderSet

    async def run(self, prompt: str = "Say hello") -> Job:
        job = await self.control.dispatch("hello", prompt)
        return await self.engine.run_until(job.id, ended)


def ended(job: Job) -> bool:
    return job.status.is_terminal or job.status is JobStatus.NEEDS_ACTION


@asynccontextmanager
async def rig(
    tmp_path: Path, scenario: Scenario | None = None, *, call_timeout: str = "5s", rpm: int = 6000
) -> AsyncIterator[Rig]:
    scenario = scenario or Scenario(turn_seconds=0.3)
    async with running_fake(scenario) as fake:
        config = make_config(fake.base_url, rpm=rpm, timeout=call_timeout)
        providers = build_providers(config, env={"FAKE_KEY": SENTINEL_KEY})
        store = await Store.open(tmp_path / "db" / "agentdash.db")
        engine = Engine(store, config, providers.providers, providers.pacers)
        try:
            assert await engine.acquire()
            control = Control(store, config, wake=engine.wake)
            yield Rig(fake, store, engine, control, providers)
        finally:
            await engine.release()
            await providers.aclose()
            await store.close()
