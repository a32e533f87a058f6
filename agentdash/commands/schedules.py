"""``agentdash schedules``: list, preview, pause, resume and run-now."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentdash.clock import utc_iso
from agentdash.commands.render import aligned, dumps
from agentdash.commands.session import open_store
from agentdash.config import local_zone
from agentdash.control import Control
from agentdash.errors import AgentdashError
from agentdash.models import ScheduleView
from agentdash.runtime import Settings
from agentdash.scheduler.cron import describe, next_fires, validate


async def list_command(settings: Settings, as_json: bool) -> int:
    async with open_store(settings) as store:
        views = await Control(store, settings.config).schedules()
    if as_json:
        print(dumps([_view_json(v) for v in views]))
    elif views:
        print(_table(views))
    else:
        print("no schedules configured (see 'schedules:' in config.example.yaml)", file=sys.stderr)
    return 0


async def action_command(settings: Settings, action: str, name: str) -> int:
    async with open_store(settings) as store:
        control = Control(store, settings.config)
        if action == "pause":
            await control.pause_schedule(name)
            print(f"schedule {name} paused")
        elif action == "resume":
            await control.resume_schedule(name)
            print(f"schedule {name} resumed")
        else:
            job = await control.run_schedule(name)
            print(f"schedule {name}: queued job {job.id}")
    return 0


def preview_command(cron: str, tz: str | None, start: str | None, count: int, as_json: bool) -> int:
    validate(cron)
    zone = _zone(tz)
    after = _start(start, zone)
    fires = [f.isoformat() for f in next_fires(cron, zone, after, count)]
    if as_json:
        print(dumps({"cron": cron, "timezone": zone.key, "description": describe(cron),
                     "fires": fires}))  # fmt: skip
    else:
        print(f"{cron}  ({describe(cron)}, {zone.key})")
        print("\n".join(fires))
    return 0


def _zone(name: str | None) -> ZoneInfo:
    if name is None:
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise AgentdashError(
            f"unknown time zone {name!r}; use an IANA name like 'Europe/Berlin'"
        ) from None


def _start(text: str | None, zone: ZoneInfo) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise AgentdashError(f"--from {text!r} is not an ISO time like 2026-03-08T00:00") from None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def _view_json(view: ScheduleView) -> dict[str, Any]:
    return {
        "name": view.name,
        "job": view.job,
        "cron": view.cron,
        "description": view.description,
        "timezone": view.timezone,
        "misfire": view.misfire,
        "overlap": view.overlap,
        "enabled": view.enabled,
        "paused": view.paused,
        "next_fire": view.next_fire.isoformat() if view.next_fire else None,
        "last_fire": utc_iso(view.last_fire),
        "last_job_id": view.last_job_id,
        "last_result": view.last_result,
        "missed_count": view.missed_count,
        "last_missed": utc_iso(view.last_missed),
    }


def _table(views: list[ScheduleView]) -> str:
    rows = [("NAME", "CRON", "NEXT FIRE", "LAST RESULT", "MISSED", "STATE")]
    for v in views:
        state = "paused" if v.paused else ("disabled" if not v.enabled else "active")
        nxt = v.next_fire.isoformat(timespec="minutes") if v.next_fire else "-"
        rows.append((v.name, f"{v.cron} ({v.description})", nxt, v.last_result or "-",
                     str(v.missed_count), state))  # fmt: skip
    return aligned(rows)
