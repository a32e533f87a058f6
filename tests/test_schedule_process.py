"""A real daemon with a one-minute schedule: fires on each minute boundary, never at start,
and after two minutes down runs exactly one catch-up under ``misfire: latest``, though the run
it stopped during was still going then (each run takes 20 s)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .processes import cli, start_daemon, stop

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


def scheduled_jobs(base: list[str]) -> list[dict[str, object]]:
    jobs = json.loads(cli(*base, "jobs", "--json").stdout)
    return [j for j in jobs if str(j["origin"]).startswith("schedule:")]


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def seconds_into_minute() -> float:
    now = datetime.now(UTC)
    return now.second + now.microsecond / 1e6


def test_minutely_schedule_fires_on_boundaries_and_catches_up_once(
    tmp_path: Path,
    fake_server: str,
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""
poll: {{interval: 500ms, max_interval: 2s}}
providers:
  fake: {{type: anthropic, api_key_env: FAKE_KEY, base_url: "{fake_server}"}}
jobs:
  tick:
    {{provider: fake, agent: a, environment: e, prompt: "tick {{now}} [fake:complete,seconds=20]"}}
schedules:
  every-minute: {{job: tick, cron: "* * * * *", timezone: UTC, misfire: latest}}
"""
    )
    base = ["--config", str(config), "--db", str(tmp_path / "a.db")]
    log = tmp_path / "daemon.log"

    def seen() -> str:
        origins = sorted(str(j["origin"]) for j in scheduled_jobs(base))
        return f"jobs {origins} at {datetime.now(UTC).isoformat()}\n{log.read_text()[-4000:]}"

    while not 5 < seconds_into_minute() < 45:  # start well away from a boundary
        time.sleep(0.5)
    daemon = start_daemon(base, log, verbose=True)
    try:
        time.sleep(3)
        assert scheduled_jobs(base) == [], seen()  # never at start
        assert wait_for(lambda: len(scheduled_jobs(base)) == 1, 65), seen()
        assert wait_for(lambda: len(scheduled_jobs(base)) == 2, 65), seen()
        first, second = sorted(str(j["origin"]) for j in scheduled_jobs(base))
        assert first.endswith(":00+00:00") and second.endswith(":00+00:00")
    finally:
        stop(daemon)
    assert daemon.returncode == 0, seen()
    # down for two whole minute boundaries, then back
    time.sleep(125)
    daemon = start_daemon(base, log, verbose=True)
    try:
        assert wait_for(lambda: len(scheduled_jobs(base)) >= 3, 30), seen()
        time.sleep(min(5.0, 58 - seconds_into_minute()) if seconds_into_minute() < 55 else 0)
        jobs = scheduled_jobs(base)
        assert len(jobs) == 3, seen()
    finally:
        stop(daemon)
    views = json.loads(cli(*base, "schedules", "--json").stdout)
    assert views[0]["missed_count"] == 1, views  # two slots passed while down; the newest ran
    assert views[0]["last_result"] in {"queued", "dispatching", "running", "completed"}
