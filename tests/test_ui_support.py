"""Shared pieces of the dashboard tests: a real app on a real engine against the fake.

The app is built exactly as the CLI builds it (``dashboard_factory`` + ``AgentDashApp``);
only the fake's URL, a test key, and an external-program runner are injected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual.pilot import Pilot

from agentdash.clock import Clock
from agentdash.config import Config, parse_config
from agentdash.control import Control
from agentdash.dashboard import dashboard_factory
from agentdash.fake import FakeServer, Scenario, running_fake
from agentdash.runtime import Settings
from agentdash.ui.app import AgentDashApp
from agentdash.ui.screens.dashboard import DashboardScreen
from agentdash.ui.widgets.jobs_table import JobsTable

from .conftest import SENTINEL_KEY

CONFIG = """
poll: {{interval: 200ms, max_interval: 1s, max_backoff: 1s}}
engine: {{lease_ttl: 5s, clock_skew: 1s}}
providers:
  fake:
    type: anthropic
    api_key_env: FAKE_KEY
    base_url: {base_url}
    requests_per_minute: 6000
    max_concurrency: 8
    timeout: 5s
jobs:
  hello:
    provider: fake
    agent: agent_1
    environment: env_1
    prompt: Say hello
  slow:
    provider: fake
    agent: agent_1
    environment: env_1
    metadata: {{fake_turn_seconds: "600", fake_messages: "4"}}
    prompt: Take your time
  noted:
    provider: fake
    agent: agent_1
    environment: env_1
    prompt: Write it down
    sinks: [notes]
sinks:
  notes:
    type: file
    directory: {sink_dir}
schedules:
  leap-day:
    job: hello
    cron: "0 0 29 2 *"  # never fires while a test runs (an every-minute one could, and add a job)
    misfire: skip
"""


def ui_config(base_url: str, sink_dir: Path) -> Config:
    text = CONFIG.format(base_url=base_url, sink_dir=sink_dir)
    return parse_config(text, Path("ui-test.yaml"), {})


@dataclass
class Runs:
    """A stand-in for the suspend-and-run of ``$EDITOR``: records argv and the file text."""

    calls: list[list[str]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    async def __call__(self, argv: list[str]) -> int:
        self.calls.append(argv)
        self.texts.append(Path(argv[-1]).read_text(encoding="utf-8"))
        return 0


@dataclass
class UiRig:
    app: AgentDashApp
    fake: FakeServer
    settings: Settings
    runs: Runs
    bells: list[int]

    @property
    def control(self) -> Control:
        assert self.app.services is not None
        return self.app.services.control

    @property
    def main(self) -> DashboardScreen:
        screen = self.app.screen_stack[0]
        assert isinstance(screen, DashboardScreen)
        return screen

    @property
    def table(self) -> JobsTable:
        return self.main.jobs_table

    def row_keys(self) -> list[str]:
        return [str(row.key.value) for row in self.table.ordered_rows]

    def row_of(self, job_id: int) -> dict[str, str]:
        """The row of a job as column key → plain cell text."""
        table = self.table
        if str(job_id) not in table.rows:
            return {}
        return {
            str(column.key.value): table.get_cell(str(job_id), column.key).plain
            for column in table.ordered_columns
        }


@asynccontextmanager
async def ui_rig(
    tmp_path: Path,
    scenario: Scenario | None = None,
    *,
    clock: Clock | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> AsyncIterator[UiRig]:
    """A dashboard app on a fresh database, its engine talking to an in-process fake."""
    async with running_fake(scenario or Scenario(turn_seconds=0.3)) as fake:
        config = ui_config(fake.base_url, tmp_path / "notes")
        settings = Settings(config, None, tmp_path / "db" / "agentdash.db")
        factory = dashboard_factory(settings, env={"FAKE_KEY": SENTINEL_KEY}, clock=clock)
        runs = Runs()
        app = AgentDashApp(factory, clock=clock, runner=runs)
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        yield UiRig(app, fake, settings, runs, bells)


async def wait_for(pilot: Pilot[None], condition: Callable[[], object], within: float = 10) -> None:
    """Let the app run until ``condition()`` holds, for at most ``within`` seconds."""
    loop_time = pilot.app._loop.time if pilot.app._loop else None
    assert loop_time is not None
    deadline = loop_time() + within
    while not condition():
        if loop_time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await pilot.pause(0.02)


async def started(pilot: Pilot[None], rig: UiRig) -> None:
    """Wait until the services are open and the first load reached the table."""
    await wait_for(pilot, lambda: rig.app.services is not None and rig.app.live.ready)
