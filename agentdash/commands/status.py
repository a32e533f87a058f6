"""``agentdash status`` and ``agentdash backup``: who runs the engine, and a safe copy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentdash.clock import utc_iso
from agentdash.commands.render import dumps
from agentdash.commands.session import open_store
from agentdash.control import Control, EngineStatus
from agentdash.durations import format_duration
from agentdash.models import JobStatus
from agentdash.runtime import Settings


async def status_command(settings: Settings, as_json: bool) -> int:
    async with open_store(settings) as store:
        status = await Control(store, settings.config).status()
    if as_json:
        print(dumps(_json(status, settings.database)))
    else:
        print(_text(status, settings.database))
    return 0


async def backup_command(settings: Settings, target: Path) -> int:
    async with open_store(settings) as store:
        await store.db.backup(target)
    print(f"backed up {settings.database} to {target}")
    return 0


def _json(status: EngineStatus, database: Path) -> dict[str, Any]:
    lease = status.lease
    return {
        "database": str(database),
        "engine": {
            "running": status.running,
            "owner": lease.owner,
            "pid": lease.pid,
            "host": lease.host,
            "epoch": lease.epoch,
            "since": utc_iso(lease.acquired_at),
            "renewed_at": utc_iso(lease.renewed_at),
            "expires_at": utc_iso(lease.expires_at),
            "released": lease.released,
        },
        "jobs": {s.value: status.counts.get(s, 0) for s in JobStatus},
    }


def _text(status: EngineStatus, database: Path) -> str:
    lease, now = status.lease, datetime.now(UTC)
    if status.running and lease.acquired_at:
        since = format_duration((now - lease.acquired_at).total_seconds())
        engine = (
            f"engine: running, pid {lease.pid} on {lease.host}, epoch {lease.epoch}, for {since}"
        )
    elif lease.pid is None:
        engine = "engine: not running (never started on this database)"
    else:
        how = "stopped cleanly" if lease.released else "stopped without releasing (crashed?)"
        engine = f"engine: not running; last owner pid {lease.pid} on {lease.host} {how}"
    counts = ", ".join(f"{n} {s.value}" for s, n in sorted(status.counts.items())) or "no jobs"
    return f"database: {database}\n{engine}\njobs: {counts}"
