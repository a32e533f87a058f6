"""The SQLite store against real database files."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentdash.errors import StaleOwnerError, StoreError
from agentdash.models import JobStatus
from agentdash.store import Store
from agentdash.store.schema import MIGRATIONS

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


async def test_files_are_private_and_pragmas_set(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "a.db"
    async with await Store.open(path) as store:
        await store.jobs.add(job="j", provider="p", prompt="x", origin="manual", now=NOW)
        assert await store.db.scalar("PRAGMA journal_mode") == "wal"
        assert await store.db.scalar("PRAGMA synchronous") == 2  # FULL
        assert await store.db.scalar("PRAGMA foreign_keys") == 1
        assert await store.db.scalar("PRAGMA busy_timeout") == 5000
        for suffix in ("", "-wal", "-shm"):
            mode = stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode)
            assert mode == 0o600, (suffix, oct(mode))
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_existing_directory_mode_is_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    async with await Store.open(shared / "a.db"):
        pass
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755


async def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA application_id=12345")
    with pytest.raises(StoreError, match="not an agentdash database"):
        await Store.open(path)


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    async with await Store.open(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer agentdash"):
        await Store.open(path)


async def test_fenced_write_fails_after_takeover(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "a.db") as store:
        job = await store.jobs.add(job="j", provider="p", prompt="x", origin="manual", now=NOW)
        old, _ = await store.lease.acquire(owner="a", pid=1, host="h", now=NOW, ttl=30)
        new, _ = await store.lease.acquire(owner="b", pid=2, host="h", now=NOW, ttl=30)
        assert new == old + 1
        with pytest.raises(StaleOwnerError):
            await store.jobs.begin_dispatch(job.id, "intent", NOW, old)
        unchanged = await store.jobs.get(job.id)
        assert unchanged is not None and unchanged.status is JobStatus.QUEUED
        started = await store.jobs.begin_dispatch(job.id, "intent", NOW, new)
        assert started is not None and started.status is JobStatus.DISPATCHING
        assert started.intent_id == "intent"


async def test_intent_survives_redispatch(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "a.db") as store:
        epoch, _ = await store.lease.acquire(owner="a", pid=1, host="h", now=NOW, ttl=30)
        job = await store.jobs.add(job="j", provider="p", prompt="x", origin="manual", now=NOW)
        first = await store.jobs.begin_dispatch(job.id, "one", NOW, epoch)
        assert first is not None
        await store.jobs.update(job.id, {"status": JobStatus.QUEUED}, epoch=epoch)
        second = await store.jobs.begin_dispatch(job.id, "two", NOW, epoch)
        assert second is not None and second.intent_id == "one"
        assert second.dispatch_attempts == 2


async def test_changed_since_reports_each_change_once(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "a.db") as store:
        a = await store.jobs.add(job="a", provider="p", prompt="x", origin="manual", now=NOW)
        b = await store.jobs.add(job="b", provider="p", prompt="x", origin="manual", now=NOW)
        changed, seq = await store.jobs.changed_since(0)
        assert [j.id for j in changed] == [a.id, b.id]
        await store.jobs.update(a.id, {"last_error": "x"})
        changed, seq2 = await store.jobs.changed_since(seq)
        assert [j.id for j in changed] == [a.id] and seq2 > seq
        assert await store.jobs.changed_since(seq2) == ([], seq2)


async def test_transcript_appends_with_blank_lines(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "a.db") as store:
        job = await store.jobs.add(job="a", provider="p", prompt="x", origin="manual", now=NOW)
        await store.jobs.update(job.id, {}, append_transcript="one")
        await store.jobs.update(job.id, {}, append_transcript="two")
        got = await store.jobs.get(job.id)
        assert got is not None and got.transcript == "one\n\ntwo"


async def test_only_if_guards_terminal_states(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "a.db") as store:
        job = await store.jobs.add(job="a", provider="p", prompt="x", origin="manual", now=NOW)
        await store.jobs.update(job.id, {"status": JobStatus.COMPLETED})
        again = await store.jobs.update(
            job.id, {"status": JobStatus.FAILED}, only_if=[JobStatus.RUNNING]
        )
        assert again is None
        got = await store.jobs.get(job.id)
        assert got is not None and got.status is JobStatus.COMPLETED


async def test_deliveries_are_queued_at_the_callers_time_once(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "a.db") as store:
        job = await store.jobs.add(job="a", provider="p", prompt="x", origin="manual", now=NOW)
        done = {"status": JobStatus.COMPLETED}
        await store.jobs.update(job.id, done, deliveries=["hook", "notes"], queued_at=NOW)
        await store.jobs.update(job.id, done, deliveries=["hook"], queued_at=NOW)  # a replay
        rows = await store.db.rows(
            "SELECT sink, created_at, next_attempt_at FROM deliveries ORDER BY sink"
        )
    stamp = NOW.timestamp()
    assert rows == [("hook", stamp, stamp), ("notes", stamp, stamp)]


MIGRATE = """
import asyncio, sys
from pathlib import Path
from agentdash.store import Store
async def main():
    store = await Store.open(Path(sys.argv[1]))
    print(await store.db.scalar("PRAGMA user_version"))
    await store.close()
asyncio.run(main())
"""


def test_two_processes_migrating_at_once_leave_one_good_schema(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, str(path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs == [str(len(MIGRATIONS))] * 4
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"jobs", "lease", "schedules", "fires", "deliveries", "instance"}
        assert conn.execute("SELECT COUNT(*) FROM lease").fetchone()[0] == 1


async def test_backup_is_a_consistent_private_copy(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "a.db") as store:
        await store.jobs.add(job="a", provider="p", prompt="x", origin="manual", now=NOW)
        target = tmp_path / "backups" / "b.db"
        await store.db.backup(target)
        with pytest.raises(StoreError, match="exists already"):
            await store.db.backup(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    async with await Store.open(target) as copy:
        assert [j.job for j in await copy.jobs.list_jobs()] == ["a"]


async def test_concurrent_writers_in_one_process_serialise(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "a.db") as store:
        await asyncio.gather(
            *(
                store.jobs.add(job=f"j{i}", provider="p", prompt="x", origin="manual", now=NOW)
                for i in range(50)
            )
        )
        assert len(await store.jobs.list_jobs()) == 50
