"""Process level: ``agentdash daemon`` with a webhook sink is killed with SIGKILL while
deliveries are in flight, then restarted. Every result arrives, and the only repeats are of
deliveries that were in flight at the kill (the documented at-least-once window)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from agentdash.config import load_config
from agentdash.control import Control
from agentdash.fake import Scenario, running_fake
from agentdash.store import Store
from agentdash.store.outbox import DeliveryStatus, instance_id

from .conftest import SENTINEL_KEY
from .test_sinks_rig import webhook_server

CONFIG = """
poll: {{interval: 200ms, max_interval: 500ms}}
engine: {{lease_ttl: 3s}}
providers:
  fake: {{type: anthropic, api_key_env: FAKE_KEY, base_url: "{fake}"}}
jobs:
  hello: {{provider: fake, agent: a, environment: e, prompt: hi, sinks: [hook]}}
sinks:
  hook: {{type: webhook, url: "{hook}", max_concurrency: 2, backoff: 100ms}}
"""
JOBS = 6


async def start_daemon(config: Path, db: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as stderr:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "agentdash", "--config", str(config), "--db", str(db), "daemon",
            env={**os.environ, "FAKE_KEY": SENTINEL_KEY},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )  # fmt: skip


@pytest.mark.slow
async def test_kill_9_repeats_only_deliveries_in_flight(tmp_path: Path) -> None:
    db, log = tmp_path / "data" / "a.db", tmp_path / "daemon.log"
    async with running_fake(Scenario(turn_seconds=0.3)) as fake, webhook_server() as hooks:
        hooks.hold = 0.6  # every delivery stays in flight a while
        config_file = tmp_path / "config.yaml"
        config_file.write_text(CONFIG.format(fake=fake.base_url, hook=hooks.url))
        config = load_config(config_file, env={})
        daemon = await start_daemon(config_file, db, log)
        store = await Store.open(db)
        try:
            control = Control(store, config)
            for n in range(JOBS):
                await control.dispatch("hello", f"job {n}")
            async with asyncio.timeout(30):
                await hooks.wait_for(lambda h: bool(h.in_flight) and len(h.answered) >= 2)
            daemon.send_signal(signal.SIGKILL)
            in_flight, received = set(hooks.in_flight), set(hooks.keys)  # at the kill
            assert await daemon.wait() == -signal.SIGKILL
            daemon = await start_daemon(config_file, db, log)
            await _all_delivered(control)
            deliveries = await control.deliveries()
            instance = await instance_id(store.db)
        finally:
            if daemon.returncode is None:
                daemon.terminate()
                await daemon.wait()
            await store.close()
    counts = Counter(hooks.keys)
    repeated = {key for key, n in counts.items() if n > 1}
    assert set(counts) == {f"{instance}-{d.id}" for d in deliveries}  # every result arrived
    assert in_flight  # the kill did catch deliveries mid-flight...
    assert in_flight <= repeated  # ...and those were sent again after the restart,
    assert repeated <= received  # never anything that was not sent before the kill
    assert max(counts.values()) == 2
    assert daemon.returncode == 0, log.read_text()


async def _all_delivered(control: Control) -> None:
    async with asyncio.timeout(40):
        while True:
            found = await control.deliveries()
            if len(found) == JOBS and all(d.status is DeliveryStatus.DELIVERED for d in found):
                return
            await asyncio.sleep(0.1)
