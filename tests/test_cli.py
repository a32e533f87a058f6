"""The CLI as scripts use it: real processes, the fake server on loopback, JSON on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import SENTINEL_KEY
from .processes import cli


@pytest.fixture
def config_file(tmp_path: Path, fake_server: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"""
poll: {{interval: 300ms, max_interval: 1s}}
providers:
  fake: {{type: anthropic, api_key_env: FAKE_KEY, base_url: "{fake_server}"}}
jobs:
  hello: {{provider: fake, agent: agent_1, environment: env_1, prompt: Say hello}}
"""
    )
    return path


def test_dispatch_wait_json_then_show(config_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "data" / "a.db"
    base = ["--config", str(config_file), "--db", str(db)]
    done = cli(*base, "dispatch", "hello", "--prompt", "List three colours", "--wait", "--json")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == "completed"
    for key in ("id", "job", "status", "remote_id", "origin", "created_at", "finished_at", "error"):
        assert key in job
    assert "List three colours" in job["output"]

    shown = cli(*base, "show", str(job["id"]), "--json")
    assert shown.returncode == 0
    detail = json.loads(shown.stdout)
    assert "List three colours" in detail["output"] and detail["origin"] == "manual"

    listed = json.loads(cli(*base, "jobs", "--json").stdout)
    assert [j["id"] for j in listed] == [job["id"]]
    assert json.loads(cli(*base, "jobs", "--status", "failed", "--json").stdout) == []

    text = cli(*base, "jobs")
    assert "completed" in text.stdout and "hello" in text.stdout

    # the key never lands anywhere on disk or in any output
    for path in db.parent.iterdir():
        assert SENTINEL_KEY.encode() not in path.read_bytes(), path
    for out in (done, shown, text):
        assert SENTINEL_KEY not in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("script", "status", "code"),
    [
        ("needs_action", "needs_action", 1),
        ("retries_exhausted", "failed", 1),
        ("terminated", "failed", 1),
    ],
)
def test_dispatch_wait_exit_codes(
    config_file: Path, tmp_path: Path, script: str, status: str, code: int
) -> None:
    base = ["--config", str(config_file), "--db", str(tmp_path / "a.db")]
    done = cli(*base, "dispatch", "hello", "--prompt", f"x [fake:{script}]", "--wait", "--json")
    assert done.returncode == code, done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == status and job["error"]


def test_missing_key_is_a_clear_error_and_queues_nothing(config_file: Path, tmp_path: Path) -> None:
    base = ["--config", str(config_file), "--db", str(tmp_path / "a.db")]
    env = {k: v for k, v in os.environ.items() if k != "FAKE_KEY"}
    proc = subprocess.run(
        [sys.executable, "-m", "agentdash", *base, "dispatch", "hello", "--wait"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "FAKE_KEY is not set" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(cli(*base, "jobs", "--json").stdout) == []


def test_unknown_job_and_bad_ids_are_one_line_errors(config_file: Path, tmp_path: Path) -> None:
    base = ["--config", str(config_file), "--db", str(tmp_path / "a.db")]
    unknown = cli(*base, "dispatch", "helo")
    assert unknown.returncode == 2 and "did you mean 'hello'" in unknown.stderr
    missing = cli(*base, "show", "999")
    assert missing.returncode == 1 and "no job with id 999" in missing.stderr
    bad = cli(*base, "jobs", "--status", "done")
    assert bad.returncode == 1 and "unknown status 'done'" in bad.stderr
    for proc in (unknown, missing, bad):
        assert "Traceback" not in proc.stderr


def test_version_is_fast_and_plain() -> None:
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("agentdash ")


def test_daemon_serves_a_follower_dispatch_and_stops_on_sigterm(
    config_file: Path, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    base = ["--config", str(config_file), "--db", str(db)]
    daemon = subprocess.Popen(
        [sys.executable, "-m", "agentdash", *base, "daemon"],
        env={**os.environ, "FAKE_KEY": SENTINEL_KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not Path(f"{db}.wake").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        # this shell has no key: it is a follower, and the daemon does the work
        env = {k: v for k, v in os.environ.items() if k != "FAKE_KEY"}
        proc = subprocess.run(
            [sys.executable, "-m", "agentdash", *base, "dispatch", "hello", "--wait", "--json"],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status"] == "completed"
    finally:
        started = time.monotonic()
        daemon.terminate()
        _, err = daemon.communicate(timeout=10)
    assert daemon.returncode == 0
    assert time.monotonic() - started < 3
    assert "stopped cleanly" in err and SENTINEL_KEY not in err
