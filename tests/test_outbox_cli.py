"""``agentdash deliveries``: the list scripts read, and ``--redeliver`` (the dashboard's R)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentdash.cli import main
from agentdash.models import JobStatus
from agentdash.store import Store

CONFIG = """
providers:
  p: {type: anthropic}
jobs:
  hello: {provider: p, prompt: hi, sinks: [hook]}
sinks:
  hook: {type: webhook, url: "http://127.0.0.1:9/hook"}
"""


async def seed(db: Path) -> int:
    """A failed job whose one delivery went dead."""
    async with await Store.open(db) as store:
        job = await store.jobs.add(
            job="hello", provider="p", prompt="hi", origin="manual", now=datetime.now(UTC)
        )
        await store.jobs.update(job.id, {"status": JobStatus.FAILED}, deliveries=["hook"])
        outbox = store.outbox
        [delivery] = await outbox.list_deliveries()
        await outbox.failed(delivery.id, "POST http://127.0.0.1:9/hook: refused", None, epoch=0)
        return job.id


def test_deliveries_list_and_redeliver(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, db = tmp_path / "config.yaml", tmp_path / "a.db"
    config.write_text(CONFIG)
    job_id = asyncio.run(seed(db))
    base = ["--config", str(config), "--db", str(db), "deliveries"]

    assert main([*base, "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["job_id"] == job_id and listed["sink"] == "hook" and listed["job"] == "hello"
    assert (listed["status"], listed["attempts"], listed["retrying"]) == ("dead", 1, False)
    assert "refused" in listed["last_error"] and listed["delivered_at"] is None

    assert main([*base, "--redeliver", str(job_id), "--json"]) == 0
    [reset] = json.loads(capsys.readouterr().out)
    assert (reset["status"], reset["attempts"]) == ("pending", 0)

    assert main([*base, "--status", "pending"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("ID") and "hook" in table and "pending" in table

    assert main([*base, "--redeliver", str(job_id)]) == 0
    assert "no dead or failing deliveries" in capsys.readouterr().err
    assert main([*base, "--status", "lost"]) == 1
    assert "unknown delivery status 'lost'" in capsys.readouterr().err
    assert main([*base, "--redeliver", "999"]) == 1
    assert "no job with id 999" in capsys.readouterr().err
