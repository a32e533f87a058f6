"""Durability: kill -9 at random moments, ambiguous creates, two daemons, a stale owner.

Every scenario runs real ``agentdash daemon`` processes against the fake Managed Agents
server in its own process (so it outlives the daemons it is talking to), and checks the
promise: every job ends exactly once, no remote session is created twice, no output lost.
"""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import httpx2
import pytest

from agentdash.clock import SystemClock
from agentdash.engine.ownership import EngineLock
from agentdash.errors import StaleOwnerError
from agentdash.fake import Scenario
from agentdash.models import JobStatus
from agentdash.store import Store

from .conftest import SENTINEL_KEY
from .helpers import rig
from .processes import cli
from .processes import start_daemon as daemon

CONFIG = """
poll: {{interval: 300ms, max_interval: 1s, max_backoff: 1s}}
engine: {{lease_ttl: 1s, clock_skew: 1s, max_dispatch_attempts: 50}}
providers:
  fake: {{type: anthropic, api_key_env: FAKE_KEY, base_url: "{url}", timeout: 3s}}
jobs:
  work: {{provider: fake, agent: a, environment: e, prompt: "task"}}
"""


def setup(tmp_path: Path, url: str) -> list[str]:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(url=url))
    return ["--config", str(config), "--db", str(tmp_path / "a.db")]


def queue_jobs(base: list[str], count: int) -> None:
    """Queue jobs through the CLI; while this test holds the engine lock (when no daemon
    does), the CLI is a follower and only queues them."""
    lock = EngineLock(Path(base[3]))
    held = lock.try_acquire()
    try:
        for i in range(count):
            proc = cli(*base, "dispatch", "work", "--prompt", f"job number {i}", "--json",
                       env={"FAKE_KEY": SENTINEL_KEY})  # fmt: skip
            assert proc.returncode == 0, proc.stderr
    finally:
        if held:
            lock.release()


def jobs(base: list[str]) -> list[dict[str, object]]:
    return list(json.loads(cli(*base, "jobs", "--json").stdout))


def stats(url: str) -> dict[str, object]:
    return dict(httpx2.get(f"{url}/_fake/stats").json())


def faults(url: str, body: dict[str, object]) -> None:
    httpx2.post(f"{url}/_fake/faults", json=body).raise_for_status()


def wait_all_ended(base: list[str], timeout: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = jobs(base)
        if current and all(j["status"] in ("completed", "failed", "cancelled") for j in current):
            return current
        time.sleep(0.5)
    raise AssertionError(f"jobs did not end: {[(j['id'], j['status']) for j in jobs(base)]}")


def assert_exactly_once(base: list[str], url: str, count: int) -> None:
    final = wait_all_ended(base, 120)
    assert len(final) == count
    assert all(j["status"] == "completed" for j in final), [(j["id"], j["status"]) for j in final]
    seen = stats(url)
    per_intent = dict(seen["sessions_by_intent"])  # type: ignore[arg-type]
    assert seen["sessions_created"] == count, per_intent
    assert sorted(per_intent) == sorted(str(j["intent_id"]) for j in final)
    assert set(per_intent.values()) == {1}
    for job in final:
        shown = json.loads(cli(*base, "show", str(job["id"]), "--json").stdout)
        assert "job number" in shown["output"], shown


@pytest.mark.slow
def test_chaos_kill9_at_random_moments_loses_and_duplicates_nothing(
    tmp_path: Path,
    fake_server: str,
) -> None:
    base = setup(tmp_path, fake_server)
    faults(
        fake_server,
        {
            "latency": 0.05,
            "faults": [
                {"kind": "create_then_fail", "mode": "500", "count": 3},
                {"kind": "create_then_fail", "mode": "drop", "count": 2},
                {"kind": "html_502", "route": "list_events", "count": 6},
                {"kind": "truncated_json", "route": "list_events", "count": 4},
                {"kind": "slow_body", "route": "list_events", "count": 4, "pause": 0.3},
                {"kind": "rate_limit", "route": "create", "count": 2, "retry_after": 0.5},
            ],
        },
    )
    queue_jobs(base, 12)
    rng = random.Random(20261204)
    for _ in range(10):
        proc = daemon(base)
        time.sleep(rng.uniform(0.6, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    final = daemon(base)
    try:
        assert_exactly_once(base, fake_server, 12)
    finally:
        final.terminate()
        final.wait(timeout=10)
    status = json.loads(cli(*base, "status", "--json").stdout)
    assert status["engine"]["released"] is True and status["jobs"]["completed"] == 12


@pytest.mark.slow
def test_two_daemons_started_together_create_one_session_per_job(
    tmp_path: Path,
    fake_server: str,
) -> None:
    base = setup(tmp_path, fake_server)
    queue_jobs(base, 8)
    first, second = daemon(base), daemon(base)
    try:
        assert_exactly_once(base, fake_server, 8)
    finally:
        for proc in (first, second):
            proc.terminate()
            proc.wait(timeout=10)


@pytest.mark.slow
def test_stopped_owner_keeps_the_lock_and_nothing_runs_twice(
    tmp_path: Path,
    fake_server: str,
) -> None:
    base = setup(tmp_path, fake_server)
    owner = daemon(base)
    follower = None
    try:
        time.sleep(1.5)
        queue_jobs(base, 3)
        # stop the owner while it is idle: stopped inside a write it would hold SQLite's
        # write lock too, and every writer (even the CLI queueing a job) would wait on it
        wait_all_ended(base, 60)
        owner.send_signal(signal.SIGSTOP)
        time.sleep(2.5)  # past the 1 s lease
        follower = daemon(base)
        queue_jobs(base, 3)
        time.sleep(2.0)
        status = json.loads(cli(*base, "status", "--json").stdout)
        assert status["engine"]["running"] and status["engine"]["pid"] == owner.pid
        owner.send_signal(signal.SIGCONT)
        assert_exactly_once(base, fake_server, 6)
    finally:
        owner.send_signal(signal.SIGCONT)
        for proc in (owner, follower):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)


async def test_deposed_owner_dispatches_nothing_and_steps_down(tmp_path: Path) -> None:
    """Lease-only takeover: another process bumps the epoch; every fenced write then fails."""
    async with rig(tmp_path, Scenario(turn_seconds=0.2)) as r:
        async with await Store.open(r.store.path) as other:
            await other.lease.acquire(owner="b", pid=2, host="h", now=SystemClock().now(), ttl=30)
        job = await r.control.dispatch("hello", "x")
        with pytest.raises(StaleOwnerError):
            await r.engine.run_until(job.id, lambda j: j.status.is_terminal)
        assert r.engine.deposed
        unchanged = await r.store.jobs.get(job.id)
        assert unchanged is not None and unchanged.status is JobStatus.QUEUED
        assert r.fake.stats.sessions_created == 0


async def test_reconcile_keeps_the_oldest_of_duplicate_sessions_and_archives_the_rest(
    tmp_path: Path,
) -> None:
    import anthropic

    async with rig(tmp_path, Scenario(turn_seconds=0.2)) as r:
        client = anthropic.AsyncAnthropic(api_key="k", base_url=r.fake.base_url, max_retries=0)
        job = await r.control.dispatch("hello", "x")
        await r.store.jobs.update(
            job.id,
            {"status": JobStatus.UNKNOWN, "intent_id": "dup", "intent_at": SystemClock().now()},
        )
        made = []
        for _ in range(2):
            session = await client.beta.sessions.create(
                agent="a",
                environment_id="e",
                metadata={"agentdash_intent": "dup"},
                initial_events=[
                    {"type": "user.message", "content": [{"type": "text", "text": "x"}]}
                ],
            )
            made.append(session.id)
        await client.close()
        done = await r.engine.run_until(job.id, lambda j: j.status.is_terminal)
        assert done.status is JobStatus.COMPLETED and done.remote_id == made[0]
        assert r.fake.state.sessions[made[1]].archived_at is not None
        assert r.fake.state.sessions[made[0]].archived_at is None


async def test_ambiguous_create_on_a_provider_that_cannot_list_waits_for_a_person(
    tmp_path: Path,
) -> None:
    from agentdash.fake import Fault

    async with rig(tmp_path) as r:
        r.providers.providers["fake"].can_list = False  # type: ignore[misc]
        r.fake.scenario.add_fault(Fault("create_then_fail", mode="500"))
        job = await r.control.dispatch("hello", "x")
        done = await r.engine.run_until(job.id, lambda j: j.status is JobStatus.NEEDS_ACTION)
        assert done.error is not None and "cannot list" in done.error
        assert r.fake.stats.sessions_created == 1


@pytest.mark.slow
def test_follower_takes_over_when_the_owner_dies_and_relays_cancels(
    tmp_path: Path,
    fake_server: str,
) -> None:
    base = setup(tmp_path, fake_server)
    owner = daemon(base)
    time.sleep(1.5)
    follower = daemon(base)
    try:
        proc = cli(*base, "dispatch", "work", "--prompt", "job number 0 [fake:complete,seconds=60]",
                   "--json")  # fmt: skip
        job = json.loads(proc.stdout)
        deadline = time.monotonic() + 10
        while (
            json.loads(cli(*base, "show", str(job["id"]), "--json").stdout)["status"] != "running"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        started = time.monotonic()
        while json.loads(cli(*base, "status", "--json").stdout)["engine"]["pid"] != follower.pid:
            assert time.monotonic() - started < 5, "no takeover within 5 s"
            time.sleep(0.2)
        cancelled = cli(*base, "cancel", str(job["id"]), "--json")
        assert cancelled.returncode == 0, cancelled.stderr
        assert json.loads(cancelled.stdout)["status"] == "cancelled"
        assert stats(fake_server)["sessions_created"] == 1
    finally:
        follower.send_signal(signal.SIGINT)
        follower.wait(timeout=5)
    assert follower.returncode == 0
    assert json.loads(cli(*base, "status", "--json").stdout)["engine"]["released"] is True
