"""``agentdash schedules``: preview, list, pause, resume and run-now from the shell."""

from __future__ import annotations

import json
from pathlib import Path

from .test_cli import cli

CONFIG = """
providers:
  p: {type: anthropic, api_key_env: FAKE_KEY, base_url: "http://127.0.0.1:9"}
jobs:
  j: {provider: p, agent: a, environment: e, prompt: "report for {date}"}
schedules:
  nightly: {job: j, cron: "30 1 * * *", timezone: America/New_York}
"""


def test_preview_in_a_zone_across_the_autumn_fold() -> None:
    proc = cli("schedules", "preview", "30 1 * * *", "--tz", "America/New_York",
               "--from", "2026-10-31T12:00", "--count", "3", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["fires"] == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-02T01:30:00-05:00",
        "2026-11-03T01:30:00-05:00",
    ]


def test_preview_rejects_impossible_and_bad_input() -> None:
    never = cli("schedules", "preview", "0 0 31 2 *")
    assert never.returncode == 1 and "never fires" in never.stderr
    zone = cli("schedules", "preview", "* * * * *", "--tz", "Mars/Olympus")
    assert zone.returncode == 1 and "unknown time zone" in zone.stderr


def test_list_pause_resume_run(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG)
    base = ["--config", str(cfg), "--db", str(tmp_path / "a.db")]
    (view,) = json.loads(cli(*base, "schedules", "--json").stdout)
    assert view["name"] == "nightly" and view["next_fire"].endswith(":30:00-05:00")
    assert view["description"] == "At 01:30 AM" and not view["paused"]

    assert cli(*base, "schedules", "pause", "nightly").returncode == 0
    (view,) = json.loads(cli(*base, "schedules", "--json").stdout)
    assert view["paused"] and view["next_fire"] is None
    assert cli(*base, "schedules", "resume", "nightly").returncode == 0
    (view,) = json.loads(cli(*base, "schedules", "--json").stdout)
    assert not view["paused"] and view["next_fire"]

    run = cli(*base, "schedules", "run", "nightly")
    assert run.returncode == 0 and "queued job 1" in run.stdout
    (job,) = json.loads(cli(*base, "jobs", "--json").stdout)
    assert job["origin"].startswith("schedule:nightly@") and job["prompt"].startswith(
        "report for 20"
    )

    typo = cli(*base, "schedules", "pause", "nightlly")
    assert typo.returncode == 1 and "did you mean 'nightly'" in typo.stderr
