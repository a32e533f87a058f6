"""What a person can ask of agentdash, from whichever process they are in.

The CLI and the dashboard both act through :class:`Control`. Every action is a durable
write (a queued job, a cancel flag, a schedule flag) followed by a ring of the engine
owner's doorbell, so it works the same in the owner, in a follower pane, or from a shell
while a daemon runs, and nothing is lost if the owner is down: it acts on start.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from agentdash.clock import Clock, SystemClock
from agentdash.config import Config, ScheduleConfig, zone_of
from agentdash.engine.ownership import engine_running
from agentdash.engine.wakeup import ring
from agentdash.errors import AgentdashError
from agentdash.models import Job, JobStatus, ScheduleView
from agentdash.scheduler.cron import describe, next_fire
from agentdash.scheduler.scheduler import run_now_job
from agentdash.store import Lease, Store
from agentdash.store.outbox import Delivery, DeliveryStatus
from agentdash.store.schedules import ScheduleRow


@dataclass(frozen=True)
class EngineStatus:
    """Who runs the engine, and how many jobs are in each state."""

    running: bool
    lease: Lease
    counts: dict[JobStatus, int]


T = TypeVar("T")


class Control:
    """Job and schedule actions as durable writes plus a wake-up of the engine owner."""

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        clock: Clock | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock or SystemClock()
        self._wake = wake

    async def dispatch(
        self, job_name: str, prompt: str | None = None, origin: str = "manual"
    ) -> Job:
        """Queue a job from its template; the engine owner sends it."""
        template = _named(self.config.jobs, job_name, "job template")
        text = prompt if prompt is not None else template.prompt
        if not text.strip():
            raise AgentdashError(f"job {job_name!r} has no prompt; give one")
        job = await self.store.jobs.add(
            job=job_name,
            provider=template.provider,
            prompt=text,
            origin=origin,
            now=self.clock.now(),
        )
        await self.wake()
        return job

    async def cancel(self, job_id: int) -> Job:
        """Ask the engine to cancel a job (it stops the remote session first)."""
        job = await self.job(job_id)
        if job.status.is_terminal:
            raise AgentdashError(f"job {job_id} is {job.status.value} already; nothing to cancel")
        updated = await self.store.jobs.update(job_id, {"cancel_requested": True})
        await self.wake()
        return updated or job

    async def rerun(self, job_id: int) -> Job:
        """Queue a new job with the same template and prompt as a finished one."""
        job = await self.job(job_id)
        if not job.status.is_terminal:
            raise AgentdashError(
                f"job {job_id} is still {job.status.value}; re-run it once it ends"
            )
        return await self.dispatch(job.job, job.prompt, origin=f"rerun:{job.id}")

    async def jobs(
        self,
        statuses: list[JobStatus] | None = None,
        limit: int | None = None,
        *,
        before: int | None = None,
    ) -> list[Job]:
        """Jobs without their output, newest first (only ids below ``before``: a next page)."""
        return await self.store.jobs.list_jobs(statuses, limit=limit, before=before)

    async def changes(self, seq: int) -> tuple[list[Job], int]:
        """Jobs changed after ``seq`` (without output) and the newest seq: for live views."""
        return await self.store.jobs.changed_since(seq)

    async def window(self, finished: int) -> tuple[list[Job], int]:
        """Every active job, the newest ``finished`` others, and the seq to follow from:
        where a live view starts, however long the history."""
        return await self.store.jobs.window(finished)

    async def data_version(self) -> int:
        """A number that changes whenever another process commits to the database."""
        return await self.store.db.data_version()

    async def job(self, job_id: int) -> Job:
        job = await self.store.jobs.get(job_id)
        if job is None:
            raise AgentdashError(f"no job with id {job_id}")
        return job

    async def status(self) -> EngineStatus:
        running = await asyncio.to_thread(engine_running, self.store.path)
        return EngineStatus(
            running, await self.store.lease.current(), await self.store.jobs.counts()
        )

    async def schedules(self) -> list[ScheduleView]:
        """Every configured schedule with its next fire and history."""
        await self._sync_schedules()
        rows = await self.store.schedules.rows(self.config.schedules)
        now = self.clock.now()
        return [await self._schedule_view(name, rows[name], now) for name in self.config.schedules]

    async def pause_schedule(self, name: str) -> None:
        """Stop a schedule firing until resumed; its slots meanwhile are not caught up."""
        self._schedule(name)
        await self._sync_schedules()
        await self.store.schedules.set_paused(name, True, self.clock.now())
        await self.wake()

    async def resume_schedule(self, name: str) -> None:
        """Fire again from the next future slot."""
        self._schedule(name)
        await self._sync_schedules()
        await self.store.schedules.set_paused(name, False, self.clock.now())
        await self.wake()

    async def run_schedule(self, name: str) -> Job:
        """Start the schedule's job now, as if it had fired (overlap rules do not apply)."""
        self._schedule(name)
        new = run_now_job(self.config, name, self.clock.now())
        job = await self.store.jobs.add(
            job=new.job,
            provider=new.provider,
            prompt=new.prompt,
            origin=new.origin,
            now=self.clock.now(),
            context={**new.context, "manual": True},
        )
        await self.wake()
        return job

    def _schedule(self, name: str) -> ScheduleConfig:
        return _named(self.config.schedules, name, "schedule")

    async def _sync_schedules(self) -> None:
        enabled = {name: s.enabled for name, s in self.config.schedules.items()}
        await self.store.schedules.sync(enabled, self.clock.now())

    async def _schedule_view(self, name: str, row: ScheduleRow, now: datetime) -> ScheduleView:
        schedule = self.config.schedules[name]
        zone = zone_of(schedule)
        active = schedule.enabled and not row.paused
        last = await self.store.schedules.last_outcome(name)
        result = None
        if last is not None:
            outcome, _, status = last
            result = status if outcome == "dispatched" and status else outcome.replace("_", " ")
        return ScheduleView(
            name=name,
            job=schedule.job,
            cron=schedule.cron,
            description=describe(schedule.cron),
            timezone=zone.key,
            misfire=schedule.misfire,
            overlap=schedule.overlap,
            enabled=schedule.enabled,
            paused=row.paused,
            next_fire=next_fire(schedule.cron, zone, max(now, row.since)) if active else None,
            last_fire=row.last_fire_for,
            last_job_id=row.last_job_id,
            last_result=result,
            missed_count=row.missed_count,
            last_missed=row.last_missed_for,
        )

    async def wake(self) -> None:
        """Tell the engine owner there is work; in the owner itself, wake its loop directly."""
        if self._wake is not None:
            self._wake()
        else:
            await asyncio.to_thread(ring, self.store.path)

    async def deliveries(
        self,
        *,
        job_id: int | None = None,
        statuses: list[DeliveryStatus] | None = None,
        limit: int | None = None,
    ) -> list[Delivery]:
        """Where job results went, or are still going: newest first."""
        return await self.store.outbox.list_deliveries(
            job_id=job_id, statuses=statuses, limit=limit
        )

    async def redeliver(self, job_id: int) -> list[Delivery]:
        """Send a job's dead and failing deliveries again now (the dashboard's ``R``).

        Returns the deliveries that were reset; none when everything was delivered already.
        """
        await self.job(job_id)
        reset = await self.store.outbox.redeliver(job_id, self.clock.now())
        if reset:
            await self.wake()
        return reset


def _named(entries: Mapping[str, T], name: str, kind: str) -> T:
    """The config entry called ``name``, or an error that lists the known ones."""
    entry = entries.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, list(entries), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(sorted(entries)) or "none are configured"
        raise AgentdashError(f"no {kind} {name!r}{hint}; known: {known}")
    return entry
