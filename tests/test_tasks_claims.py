"""Task claims one look at a time: taking back abandoned claims, refreshing live ones,
renamed columns, clear errors, and a write-back that never clobbers someone else's task."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentdash.errors import StoreError
from agentdash.models import JobStatus
from agentdash.sinks.base import Parcel, PermanentSinkError
from agentdash.store.outbox import instance_id
from agentdash.tasks.claims import Identity, Look, TaskSourceError
from agentdash.tasks.writeback import TaskWriteback

from .helpers import Rig
from .test_sinks_rig import engine_rig, parcel
from .test_tasks_sqlite import make_task_db, source_yaml, task_rows


def set_claim(path: Path, task_id: int, by: str, at: datetime | str | None = None) -> None:
    at = at or datetime.now(UTC)
    stamp = at if isinstance(at, str) else at.isoformat(timespec="seconds")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE tasks SET status = 'claimed', claimed_by = ?, claimed_at = ? WHERE id = ?",
            (by, stamp, task_id),
        )
    conn.close()


async def look(r: Rig) -> int:
    settings = r.engine.ctx.config.task_sources["queue"]
    identity = Identity.here(await instance_id(r.store.db))
    return await Look(r.engine.ctx, "queue", settings, identity).run()


async def test_abandoned_claims_are_taken_back_and_fresh_ones_left(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tasks = tmp_path / "tasks.db"
    make_task_db(tasks, 4)  # tagged: 1, 2, 3
    async with engine_rig(tmp_path, source_yaml(tasks)) as r:
        instance = await instance_id(r.store.db)
        set_claim(tasks, 1, f"oldhost:99/{instance}:queue")  # ours, but we crashed
        set_claim(tasks, 2, "rival:1", datetime.now(UTC) - timedelta(hours=2))  # long gone
        set_claim(tasks, 3, "rival:2")  # a live claim of someone else
        assert await look(r) == 2
        jobs = {j.origin: j for j in await r.control.jobs()}
    assert set(jobs) == {"task:queue:1", "task:queue:2"}
    rows = task_rows(tasks)
    me = Identity.here(instance).claimed_by("queue")
    assert rows[1]["claimed_by"] == rows[2]["claimed_by"] == me
    assert rows[3]["claimed_by"] == "rival:2"
    assert "took back task 1 from oldhost:99/" in caplog.text
    assert "took back task 2 from rival:1" in caplog.text


async def test_live_claims_are_refreshed_and_never_claimed_twice(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.db"
    make_task_db(tasks, 8)  # tagged: 1 2 3 5 6 7
    async with engine_rig(tmp_path, source_yaml(tasks, max_claims="2")) as r:
        assert await look(r) == 2
        me = task_rows(tasks)[1]["claimed_by"]
        set_claim(tasks, 1, me, "2000-01-01T00:00:00+00:00")
        with sqlite3.connect(tasks) as conn:  # someone re-opens task 2: we ran it already
            conn.execute("UPDATE tasks SET status = 'pending', claimed_by = NULL WHERE id = 2")
        conn.close()
        assert await look(r) == 2
        origins = sorted(j.origin for j in await r.control.jobs())
    rows = task_rows(tasks)
    assert origins == ["task:queue:1", "task:queue:2", "task:queue:3", "task:queue:5"]
    assert rows[1]["claimed_at"] > "2020"  # refreshed: its job still runs
    assert (rows[2]["status"], rows[2]["claimed_by"]) == ("pending", None)  # left for others


async def test_renamed_columns_are_mapped_for_claims_prompts_and_write_back(
    tmp_path: Path,
) -> None:
    tasks = tmp_path / "work.db"
    with sqlite3.connect(tasks) as conn:
        conn.execute(
            "CREATE TABLE queue (task_id TEXT PRIMARY KEY, body TEXT, labels TEXT, state TEXT,"
            " worker TEXT, taken_at REAL, answer TEXT)"
        )
        conn.execute("INSERT INTO queue VALUES ('T-1', 'do it', 'ai', 'pending', NULL, NULL, NULL)")
    conn.close()
    columns = (
        "{id: task_id, prompt: body, tags: labels, status: state, claimed_by: worker,"
        " claimed_at: taken_at, result: answer}"
    )
    yaml = source_yaml(tasks, prompt="{task.id}/{task.task_id}: {task.prompt}",
                       table="queue", columns=columns)  # fmt: skip
    async with engine_rig(tmp_path, yaml) as r:
        assert await look(r) == 1
        [job] = await r.control.jobs()
        sink = TaskWriteback("queue", r.engine.ctx.config.task_sources["queue"])
        done = await r.store.jobs.update(
            job.id, {"status": JobStatus.COMPLETED, "output": "it is done"}
        )
        assert done is not None
        await sink.send(Parcel(parcel().delivery, done, "k"))
        await sink.send(Parcel(parcel().delivery, done, "k"))  # a repeat is harmless
    assert job.prompt == "T-1/T-1: do it"
    conn = sqlite3.connect(tasks)
    row = conn.execute("SELECT state, answer, worker FROM queue").fetchone()
    conn.close()
    assert row[:2] == ("done", "it is done") and row[2].endswith(":queue")


async def test_write_back_never_touches_a_task_someone_else_holds(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.db"
    make_task_db(tasks, 1)
    async with engine_rig(tmp_path, source_yaml(tasks)) as r:
        assert await look(r) == 1
        [job] = await r.control.jobs()
        set_claim(tasks, 1, "thief:1")
        failed = await r.store.jobs.update(job.id, {"status": JobStatus.FAILED, "error": "boom"})
        assert failed is not None
        sink = TaskWriteback("queue", r.engine.ctx.config.task_sources["queue"])
        with pytest.raises(PermanentSinkError, match="claimed by 'thief:1'; not writing back"):
            await sink.send(Parcel(parcel().delivery, failed, "k"))
    assert task_rows(tasks)[1]["status"] == "claimed"


async def test_a_missing_column_or_file_is_one_clear_error(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.db"
    make_task_db(tasks, 4)
    yaml = source_yaml(tasks, prompt="{task.prompt} by {task.owner}")
    async with engine_rig(tmp_path, yaml) as r:
        with pytest.raises(TaskSourceError, match=r"has no column 'owner' \(it has: id, prompt"):
            await look(r)
    assert {row["status"] for row in task_rows(tasks).values()} == {"pending"}
    missing = tmp_path / "nowhere.db"
    async with engine_rig(tmp_path / "b", source_yaml(missing)) as r:
        with pytest.raises(StoreError, match="cannot open the task database"):
            await look(r)
    assert not missing.exists()
