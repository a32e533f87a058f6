"""The scheduler service: turns cron fires into queued jobs, inside the engine's loop.

On every wake it plans each schedule's fires since its high-water mark (misfire policy,
catch-up window), applies the overlap policy against the schedule's active jobs, and records
the whole pass in one transaction. It asks the loop to wake at the next fire; it never ticks.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from agentdash.config import Config, ScheduleConfig, zone_of
from agentdash.engine.context import EngineContext
from agentdash.scheduler.cron import next_fire
from agentdash.scheduler.policy import plan
from agentdash.store.schedules import FireOutcome, NewJob, ScheduleRow

log = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"\{(date|now|schedule)\}")
RECHECK = timedelta(seconds=1)
"""How soon a fire held back for a poll (see :meth:`Scheduler._fire`) is looked at again."""
MAX_HOLD = timedelta(seconds=30)
"""The longest a fire waits for the polls of the schedule's earlier jobs; then it is decided."""


class Scheduler:
    """Fires every configured schedule into the store."""

    name = "scheduler"

    def __init__(self) -> None:
        self._synced = False
        self._held_since: dict[str, datetime] = {}

    async def step(self, ctx: EngineContext) -> datetime | None:
        config = ctx.config
        if not config.schedules:
            return None
        now = ctx.now()
        if not self._synced:
            enabled = {name: s.enabled for name, s in config.schedules.items()}
            await ctx.store.schedules.sync(enabled, now)
            self._synced = True
        rows = await ctx.store.schedules.rows(config.schedules)
        wakes = []
        for name, schedule in config.schedules.items():
            row = rows.get(name)
            if row is None or row.paused or not schedule.enabled:
                self._held_since.pop(name, None)
                continue
            seen = await self._fire(ctx, name, schedule, row, now)
            if seen is None:
                wakes.append(now + RECHECK)
                continue
            await self._release_queued(ctx, name, schedule)
            wakes.append(next_fire(schedule.cron, zone_of(schedule), max(seen, row.since)))
        return min(wakes) if wakes else None

    async def aclose(self) -> None:
        self._synced = False
        self._held_since.clear()

    async def _fire(
        self,
        ctx: EngineContext,
        name: str,
        schedule: ScheduleConfig,
        row: ScheduleRow,
        now: datetime,
    ) -> datetime | None:
        """Record this pass's fires as of the time returned; None when they are held back.

        A fire whose overlap rule meets an earlier job of the schedule that is due for a
        poll waits (up to :data:`MAX_HOLD`) for that poll: after a restart the job may have
        ended remotely while agentdash was down, and skipping a catch-up fire because of a
        run that is over would be wrong. A held pass is planned as of when it was first
        seen, so waiting never turns an on-time fire into a missed one.
        """
        held = self._held_since.pop(name, None)
        seen = held if held is not None and held <= now else now
        fires = plan(schedule, zone_of(schedule), row.since, seen)
        if fires.newest is None:
            return seen
        active = await ctx.store.schedules.active_jobs(name)
        if (
            fires.run
            and schedule.overlap != "allow"
            and active
            and now - seen < MAX_HOLD
            and await ctx.store.schedules.any_due_for_poll(active, now)
        ):
            self._held_since[name] = seen
            return None
        outcomes: list[FireOutcome] = []
        cancel: list[int] = []
        for when in fires.run:
            outcome, new_cancels = self._overlap(schedule, active, outcomes)
            cancel += new_cancels
            job = _new_job(ctx.config, name, schedule, when) if outcome == "dispatched" else None
            outcomes.append(FireOutcome(when, outcome, job))
        if fires.missed:
            log.warning("schedule %s: %d missed fire(s), newest %s", name, fires.missed,
                        fires.last_missed)  # fmt: skip
        done = await ctx.store.schedules.record(
            name,
            row.last_fire_for,
            outcomes,
            newest=fires.newest,
            missed=fires.missed,
            last_missed=fires.last_missed,
            cancel_jobs=cancel,
            now=now,
            epoch=ctx.epoch or None,
        )
        if done and (outcomes or cancel):
            ctx.wake()
        return seen

    @staticmethod
    def _overlap(
        schedule: ScheduleConfig, active: list[int], earlier: list[FireOutcome]
    ) -> tuple[str, list[int]]:
        """How a fire is treated given the schedule's active run (and this pass's fires)."""
        busy = bool(active) or any(o.outcome == "dispatched" for o in earlier)
        if not busy or schedule.overlap == "allow":
            return "dispatched", []
        if schedule.overlap == "cancel_previous":
            return "dispatched", list(active)
        if schedule.overlap == "queue":
            return "queued", []
        return "skipped_overlap", []

    async def _release_queued(
        self, ctx: EngineContext, name: str, schedule: ScheduleConfig
    ) -> None:
        if schedule.overlap != "queue" or await ctx.store.schedules.active_jobs(name):
            return
        when = await ctx.store.schedules.queued_fire(name)
        if when is None:
            return
        job = _new_job(ctx.config, name, schedule, when)
        if await ctx.store.schedules.release_queued(name, when, job, ctx.now(), ctx.epoch or None):
            ctx.wake()


def _new_job(config: Config, name: str, schedule: ScheduleConfig, when: datetime) -> NewJob:
    template = config.jobs[schedule.job]
    local = when.astimezone(zone_of(schedule))
    values = {"date": local.date().isoformat(), "now": local.isoformat(), "schedule": name}
    prompt = _PLACEHOLDER.sub(lambda m: values[m.group(1)], schedule.prompt or template.prompt)
    return NewJob(
        job=schedule.job,
        provider=template.provider,
        prompt=prompt,
        origin=f"schedule:{name}@{local.isoformat()}",
        context={"schedule": name, "scheduled_for": local.isoformat()},
    )


def run_now_job(config: Config, name: str, now: datetime) -> NewJob:
    """The job a person's "run now" starts (no overlap check: they asked for it)."""
    schedule = config.schedules[name]
    return _new_job(config, name, schedule, now.replace(microsecond=0))
