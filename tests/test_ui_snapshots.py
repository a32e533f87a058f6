"""Layout snapshots at 120x36 and 80x24 with a frozen clock.

The database is seeded directly (no remote calls happen: the running job's next poll is a
day away on the frozen clock, and the provider points at a closed port), so every time,
age and countdown on screen is fixed. Review a changed snapshot before accepting it
(``pytest --snapshot-update``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from agentdash.clock import FakeClock
from agentdash.config import parse_config
from agentdash.dashboard import dashboard_factory
from agentdash.models import JobStatus
from agentdash.runtime import Settings
from agentdash.store import Store
from agentdash.ui.app import AgentDashApp
from agentdash.ui.screens.dashboard import DashboardScreen
from agentdash.ui.widgets.schedules_table import SchedulesTable

from .conftest import SENTINEL_KEY

NOW = datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC)
CONFIG = """
poll: {interval: 15s}
providers:
  fake: {type: anthropic, api_key_env: FAKE_KEY, base_url: "http://127.0.0.1:9"}
jobs:
  review: {provider: fake, agent: a, environment: e, prompt: Review the changes}
  report: {provider: fake, agent: a, environment: e, prompt: Write the weekly report}
  deploy: {provider: fake, agent: a, environment: e, prompt: Deploy to staging}
  import: {provider: fake, agent: a, environment: e, prompt: Import the orders}
schedules:
  pulse: {job: review, cron: "*/2 * * * *", timezone: UTC}
  nightly: {job: import, cron: "0 3 * * *", timezone: UTC}
"""
REPORT = (
    "# Weekly report\n\n## Done\n\n- **Schedules** never fire twice\n- Output search\n\n"
    "| Area | State |\n|---|---|\n| engine | ✓ |\n| ui | ✓ |\n\n```bash\nmake demo\n```\n"
)


async def seed(database: Path) -> None:
    async with await Store.open(database) as store:

        async def job(name: str, minutes: float, **fields: Any) -> None:
            created = NOW - timedelta(minutes=minutes)
            row = await store.jobs.add(
                job=name, provider="fake", prompt=f"Please {name}", origin="manual", now=created
            )
            dispatched = created + timedelta(seconds=2)
            await store.jobs.update(
                row.id, {"dispatched_at": dispatched, "remote_id": f"sesn_{row.id:04d}", **fields}
            )

        await job(
            "import",
            240,
            status=JobStatus.FAILED,
            poll_count=3,
            finished_at=NOW - timedelta(minutes=238),
            error="Unrecoverable error: the agent container stopped",
        )
        await job(
            "review",
            95,
            status=JobStatus.CANCELLED,
            poll_count=4,
            finished_at=NOW - timedelta(minutes=90),
        )
        await job(
            "report",
            30,
            status=JobStatus.COMPLETED,
            poll_count=6,
            finished_at=NOW - timedelta(minutes=27),
            output=REPORT,
            transcript="Collecting the merged changes…\n\n" + REPORT,
            usage={"input_tokens": 1840, "output_tokens": 512, "cost": "0.03 USD"},
        )
        await job(
            "deploy",
            12,
            status=JobStatus.NEEDS_ACTION,
            poll_count=9,
            next_poll_at=NOW + timedelta(days=1),
            error="waiting for a tool confirmation or result (1 pending)",
        )
        await job(
            "review",
            3,
            status=JobStatus.RUNNING,
            poll_count=5,
            next_poll_at=NOW + timedelta(days=1),
            transcript="Reading the diff of 14 files…",
            consecutive_errors=2,
            last_error="timeout after 60s",
        )


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], AgentDashApp]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    database = tmp_path / "db" / "agentdash.db"
    asyncio.run(seed(database))
    settings = Settings(parse_config(CONFIG, Path("snap.yaml"), {}), None, database)
    clock = FakeClock(NOW)

    def make() -> AgentDashApp:
        factory = dashboard_factory(
            settings, env={"FAKE_KEY": SENTINEL_KEY}, clock=clock, label="snapshot"
        )
        return AgentDashApp(factory, clock=clock)

    yield make  # type: ignore[misc]
    monkeypatch.delenv("TZ")
    time.tzset()


async def loaded(pilot: Pilot[None]) -> None:
    app = pilot.app
    main = app.screen_stack[0]
    assert isinstance(main, DashboardScreen)
    deadline = time.monotonic() + 10
    while not (
        main.header.role == "owner"
        and main.jobs_table.row_count == 5
        and main.query_one(SchedulesTable).row_count == 2
    ):
        assert time.monotonic() < deadline, "the dashboard did not load"
        await pilot.pause(0.02)
    await pilot.pause()


async def opened(pilot: Pilot[None]) -> None:
    await loaded(pilot)
    await pilot.press("j", "j", "enter")
    screen = pilot.app.screen
    deadline = time.monotonic() + 10
    while not getattr(screen, "loaded", False):
        assert time.monotonic() < deadline
        await pilot.pause(0.02)
    await pilot.pause()


def test_main_screen_wide(make_app: Callable[[], AgentDashApp], snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=loaded)


def test_main_screen_narrow(make_app: Callable[[], AgentDashApp], snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=loaded)


def test_job_screen_wide(make_app: Callable[[], AgentDashApp], snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=opened)


def test_job_screen_narrow(make_app: Callable[[], AgentDashApp], snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=opened)
