"""A real SQLite task table shared with a competing claimer process: every tagged task is
claimed exactly once overall, run by the engine on the fake provider, written back, and its
result delivered once."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

from agentdash.models import JobStatus
from agentdash.store.outbox import DeliveryStatus, instance_id

from .helpers import Rig
from .test_sinks_rig import engine_rig, run_until, webhook_server

SCHEMA = """
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY, prompt TEXT NOT NULL, tags TEXT, priority INTEGER,
    status TEXT NOT NULL DEFAULT 'pending', claimed_by TEXT, claimed_at TEXT, result TEXT
)
"""

RIVAL = r"""
import pathlib, sqlite3, sys, time
db, go, stop = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
conn = sqlite3.connect(db, isolation_level=None, timeout=10)
won = []
while not go.exists():
    time.sleep(0.01)
while not stop.exists():
    pending = conn.execute(
        "SELECT id FROM tasks WHERE status = 'pending'"
        " AND instr(',' || replace(tags, ' ', '') || ',', ',ai,') > 0 ORDER BY id").fetchall()
    for (task_id,) in pending:
        got = conn.execute(
            "UPDATE tasks SET status = 'claimed', claimed_by = 'rival:1', claimed_at = ?"
            " WHERE id = ? AND status = 'pending' RETURNING id",
            (time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), task_id)).fetchall()
        if got:
            won.append(task_id)
            conn.execute("UPDATE tasks SET status = 'done', result = 'by rival' WHERE id = ?",
                         (task_id,))
        time.sleep(0.05)
    time.sleep(0.02)
print(" ".join(map(str, won)))
"""

TAGS = ["other", "ai", "x, ai", "ai,y"]


def make_task_db(path: Path, count: int, marker: dict[int, str] | None = None) -> list[int]:
    """``count`` tasks, three in four tagged ``ai``; returns the ids of the tagged ones."""
    with sqlite3.connect(path) as conn:
        conn.execute(SCHEMA)
        for n in range(1, count + 1):
            prompt = f"prompt {n} {(marker or {}).get(n, '')}".strip()
            conn.execute(
                "INSERT INTO tasks (id, prompt, tags, priority) VALUES (?, ?, ?, ?)",
                (n, prompt, TAGS[n % 4], n % 3),
            )
    conn.close()
    return [n for n in range(1, count + 1) if n % 4]


def task_rows(path: Path) -> dict[int, dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM tasks")}
    finally:
        conn.close()


def source_yaml(
    path: Path,
    hook: str = "http://127.0.0.1:9/x",
    prompt: str = "Task {task.id} (p{task.priority}): {task.prompt}",
    **extra: str,
) -> str:
    settings = {"every": "100ms", "max_claims": "3", "lease": "1m", **extra}
    keys = "\n".join(f"    {k}: {v}" for k, v in settings.items())
    return f"""
jobs:
  worker:
    provider: fake
    agent: a
    environment: e
    prompt: "{prompt}"
    sinks: [hook]
sinks:
  hook: {{type: webhook, url: "{hook}", backoff: 50ms, max_backoff: 200ms}}
task_sources:
  queue:
    type: sqlite
    path: "{path}"
    tag: ai
    job: worker
{keys}
"""


async def test_competing_claimers_each_task_once_written_back_and_delivered(
    tmp_path: Path,
) -> None:
    tasks_db, go, stop = tmp_path / "tasks.db", tmp_path / "go", tmp_path / "stop"
    tagged = make_task_db(tmp_path / "tasks.db", 24, marker={6: "[fake:terminated]"})
    rival = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RIVAL, *map(str, (tasks_db, go, stop)), stdout=PIPE
    )
    try:
        async with (
            webhook_server() as hooks,
            engine_rig(tmp_path, source_yaml(tasks_db, hooks.url)) as r,
        ):
            go.touch()  # both claimers start together
            await run_until(r.engine, lambda: _all_finished(r, tasks_db), within=40)
            jobs = [await r.control.job(j.id) for j in await r.control.jobs()]
            deliveries = await r.control.deliveries()
            instance = await instance_id(r.store.db)
    finally:
        stop.touch()
        out, _ = await rival.communicate()
    rival_won = {int(t) for t in out.split()}
    rows = task_rows(tasks_db)
    ours = {int(j.origin.rsplit(":", 1)[1]): j for j in jobs}

    assert len(ours) == len(jobs)  # one job per task
    assert not rival_won & set(ours)  # nobody ran a task the other claimed
    assert rival_won | set(ours) == set(tagged)  # and every tagged task ran
    for n, row in rows.items():
        if n not in tagged:
            assert (row["status"], row["claimed_by"]) == ("pending", None)
        elif n in rival_won:
            assert (row["status"], row["result"]) == ("done", "by rival")
        else:
            job = ours[n]
            assert row["claimed_by"].endswith(f"/{instance}:queue")
            assert job.prompt == f"Task {n} (p{n % 3}): {row['prompt']}"
            if job.status is JobStatus.COMPLETED:
                assert (row["status"], row["result"]) == ("done", job.output)
            else:
                assert (row["status"], row["result"]) == ("failed", job.error), row
    assert len(deliveries) == 2 * len(ours)
    assert {d.status for d in deliveries} == {DeliveryStatus.DELIVERED}
    hook_keys = [f"{instance}-{d.id}" for d in deliveries if d.sink == "hook"]
    assert sorted(hooks.keys) == sorted(hook_keys)
    print(f"rival won {len(rival_won)}, agentdash won {len(ours)}")


async def _all_finished(r: Rig, tasks_db: Path) -> bool:
    rows = await asyncio.to_thread(task_rows, tasks_db)
    open_tasks = [n for n, row in rows.items() if n % 4 and row["status"] != "done"
                  and row["status"] != "failed"]  # fmt: skip
    deliveries = await r.control.deliveries()
    jobs = await r.control.jobs()
    settled = all(d.status is not DeliveryStatus.PENDING for d in deliveries)
    return not open_tasks and settled and len(deliveries) == 2 * len(jobs) > 0
