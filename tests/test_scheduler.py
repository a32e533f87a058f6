"""The scheduler under a fake clock, against a real database: downtime, policies, overlap,
clock steps, DST, and two instances on one database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentdash.clock import FakeClock
from agentdash.config import Config, parse_config
from agentdash.engine.context import EngineContext
from agentdash.models import JobStatus
from agentdash.scheduler.scheduler import Scheduler
from agentdash.store import Store

BASE = """
providers:
  p: {type: anthropic}
jobs:
  j: {provider: p, prompt: "run for {schedule} on {date}"}
schedules:
  s:
    job: j
    cron: "%(cron)s"
    timezone: %(tz)s
    misfire: %(misfire)s
    catchup_window: %(window)s
    overlap: %(overlap)s
"""


def config(
    cron: str = "*/5 * * * *",
    *,
    tz: str = "UTC",
    misfire: str = "latest",
    window: str = "1h",
    overlap: str = "skip",
) -> Config:
    text = BASE % {"cron": cron, "tz": tz, "misfire": misfire, "window": window,
                   "overlap": overlap}  # fmt: skip
    return parse_config(text, Path("t.yaml"), {})


class Rig:
    def __init__(self, store: Store, cfg: Config, clock: FakeClock) -> None:
        self.store, self.clock = store, clock
        self.ctx = EngineContext(store=store, config=cfg, providers={}, pacers={}, clock=clock)
        self.scheduler = Scheduler()

    async def step(self) -> datetime | None:
        return await self.scheduler.step(self.ctx)

    async def jobs(self) -> list[str]:
        return [j.origin for j in await self.store.jobs.list_jobs(newest_first=False)]

    async def row(self):  # type: ignore[no-untyped-def]
        return (await self.store.schedules.rows())["s"]

    async def finish_all(self) -> None:
        for job in await self.store.jobs.list_jobs([JobStatus.QUEUED, JobStatus.RUNNING]):
            await self.store.jobs.update(job.id, {"status": JobStatus.COMPLETED})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "a.db") as s:
        yield s


T0 = datetime(2026, 12, 4, 9, 0, 30, tzinfo=UTC)


async def test_new_schedule_fires_at_its_next_slot_never_at_start(store: Store) -> None:
    rig = Rig(store, config(), FakeClock(T0))
    wake = await rig.step()
    assert await rig.jobs() == []
    assert wake == datetime(2026, 12, 4, 9, 5, tzinfo=UTC)
    rig.clock.set(datetime(2026, 12, 4, 9, 5, tzinfo=UTC))
    await rig.step()
    assert await rig.jobs() == ["schedule:s@2026-12-04T09:05:00+00:00"]
    await rig.step()  # the same "now" again never fires twice
    assert len(await rig.jobs()) == 1


@pytest.mark.parametrize(
    ("misfire", "window", "runs", "missed"),
    [
        ("latest", "1h", ["12:00"], 35),
        ("skip", "1h", [], 36),
        ("all", "1h", [f"11:{m:02d}" for m in range(15, 60, 5)] + ["12:00"], 26),
        ("latest", "1m", [], 36),  # the window is shorter than the time since the newest fire
    ],
)
async def test_three_hours_down_follows_the_misfire_policy(
    store: Store, misfire: str, window: str, runs: list[str], missed: int
) -> None:
    cfg = config(misfire=misfire, window=window, overlap="allow")
    rig = Rig(store, cfg, FakeClock(datetime(2026, 12, 4, 8, 58, tzinfo=UTC)))
    await rig.step()
    rig.clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    await rig.step()
    assert len(await rig.jobs()) == 1
    # down from 09:00 to 12:03: fires 09:05 ... 12:00 (36 of them) were missed
    later = Rig(store, cfg, FakeClock(datetime(2026, 12, 4, 12, 3, tzinfo=UTC)))
    wake = await later.step()
    fired = [o.split("T")[1][:5] for o in (await later.jobs())[1:]]
    assert fired == runs
    row = await later.row()
    assert row.missed_count == missed
    if missed:
        assert row.last_missed_for is not None
    assert wake == datetime(2026, 12, 4, 12, 5, tzinfo=UTC)
    await later.step()
    assert len(await later.jobs()) == 1 + len(runs)


async def test_clock_stepped_back_an_hour_does_not_refire(store: Store) -> None:
    rig = Rig(store, config(overlap="allow"), FakeClock(datetime(2026, 12, 4, 8, 59, tzinfo=UTC)))
    await rig.step()
    for minute in range(0, 31, 5):
        rig.clock.set(datetime(2026, 12, 4, 9, minute, tzinfo=UTC))
        await rig.step()
    assert len(await rig.jobs()) == 7
    rig.clock.set(datetime(2026, 12, 4, 8, 30, tzinfo=UTC))
    for _ in range(14):  # 08:30 ... 09:35 in 5-minute steps
        await rig.step()
        rig.clock.advance(300)
    assert len(await rig.jobs()) == 8  # only 09:35, reached again at the end
    assert (await rig.jobs())[-1].endswith("09:35:00+00:00")


async def test_overlap_skip_never_has_two_active_runs(store: Store) -> None:
    rig = Rig(store, config("* * * * *"), FakeClock(datetime(2026, 12, 4, 8, 59, 30, tzinfo=UTC)))
    await rig.step()
    started: dict[int, datetime] = {}
    for minute in range(1, 31):
        rig.clock.set(datetime(2026, 12, 4, 9, minute, tzinfo=UTC))
        for job in await store.jobs.list_jobs([JobStatus.QUEUED, JobStatus.RUNNING]):
            started.setdefault(job.id, rig.clock.now())
            if rig.clock.now() - started[job.id] >= timedelta(minutes=5):
                await store.jobs.update(job.id, {"status": JobStatus.COMPLETED})
        await rig.step()
        active = await store.jobs.list_jobs([JobStatus.QUEUED, JobStatus.RUNNING])
        assert len(active) <= 1
    fires = await store.schedules.fires("s")
    assert {o for _, o, _ in fires} == {"dispatched", "skipped_overlap"}
    assert sum(o == "dispatched" for _, o, _ in fires) == 5  # 09:01, 09:07, ... 09:25


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, 4, hour, minute, second, tzinfo=UTC)


FINISHED = {"status": JobStatus.COMPLETED, "next_poll_at": None}


async def running_when_stopped(
    store: Store, next_poll_at: datetime, cfg: Config | None = None, back_at: datetime | None = None
) -> tuple[int, Rig]:
    """The 09:00 run was running when agentdash stopped; it starts again at ``back_at``."""
    cfg = cfg or config()
    back_at = back_at or at(9, 12)
    rig = Rig(store, cfg, FakeClock(at(8, 59)))
    await rig.step()
    rig.clock.set(at(9, 0))
    await rig.step()
    (first,) = await store.jobs.list_jobs()
    await store.jobs.update(first.id, {"status": JobStatus.RUNNING, "next_poll_at": next_poll_at})
    return first.id, Rig(store, cfg, FakeClock(back_at))


async def test_a_catch_up_fire_waits_for_the_poll_of_a_run_that_ended_while_down(
    store: Store,
) -> None:
    first, later = await running_when_stopped(store, next_poll_at=at(9, 0, 5))
    wake = await later.step()
    assert len(await later.jobs()) == 1  # held: the run reads as running until it is polled
    assert wake == at(9, 12, 1)
    await store.jobs.update(first, FINISHED)
    later.clock.set(wake)  # the engine's first poll found it had ended remotely
    await later.step()
    assert (await later.jobs())[-1].endswith("09:10:00+00:00")
    assert (await later.row()).missed_count == 1  # 09:05


async def test_a_run_still_running_after_its_poll_skips_the_fire_at_once(store: Store) -> None:
    _, later = await running_when_stopped(store, next_poll_at=at(9, 12, 20))
    await later.step()
    assert len(await later.jobs()) == 1
    assert [o for _, o, _ in await store.schedules.fires("s")] == ["dispatched", "skipped_overlap"]


async def test_a_poll_that_never_comes_holds_a_fire_only_briefly(store: Store) -> None:
    _, later = await running_when_stopped(store, next_poll_at=at(9, 0, 5))
    await later.step()
    later.clock.set(at(9, 12, 20))
    await later.step()
    assert len(await store.schedules.fires("s")) == 1  # still held
    later.clock.set(at(9, 12, 31))
    await later.step()
    assert [o for _, o, _ in await store.schedules.fires("s")] == ["dispatched", "skipped_overlap"]


async def test_a_held_fire_is_judged_as_of_when_it_was_first_seen(store: Store) -> None:
    cfg = config(misfire="skip", overlap="queue")
    first, later = await running_when_stopped(store, at(9, 0, 5), cfg, back_at=at(9, 10, 40))
    assert await later.step() == at(9, 10, 41)  # the 09:10 fire is on time, but held
    await store.jobs.update(first, FINISHED)
    later.clock.set(at(9, 11, 5))  # 65 s after the slot: late, had it been judged now
    assert await later.step() == at(9, 15)
    assert (await later.jobs())[-1].endswith("09:10:00+00:00")


async def test_a_hold_ended_by_a_pause_leaves_no_trace(store: Store) -> None:
    _, later = await running_when_stopped(store, next_poll_at=at(9, 0, 5))
    await later.step()  # held at 09:12
    await store.schedules.set_paused("s", True, at(9, 12, 10))
    later.clock.set(at(9, 12, 10))
    await later.step()
    await store.schedules.set_paused("s", False, at(9, 13))
    later.clock.set(at(9, 15))
    assert await later.step() == at(9, 15, 1)  # held afresh, not decided on the old hold
    assert len(await store.schedules.fires("s")) == 1


async def test_overlap_queue_runs_the_fire_when_the_active_run_ends(store: Store) -> None:
    rig = Rig(store, config(overlap="queue"), FakeClock(datetime(2026, 12, 4, 8, 59, tzinfo=UTC)))
    await rig.step()
    rig.clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    await rig.step()
    rig.clock.set(datetime(2026, 12, 4, 9, 5, tzinfo=UTC))
    await rig.step()
    assert len(await rig.jobs()) == 1  # 09:05 waits
    await rig.finish_all()
    await rig.step()
    assert (await rig.jobs())[-1].endswith("09:05:00+00:00")


async def test_overlap_cancel_previous_asks_the_active_run_to_stop(store: Store) -> None:
    cfg = config(overlap="cancel_previous")
    rig = Rig(store, cfg, FakeClock(datetime(2026, 12, 4, 8, 59, tzinfo=UTC)))
    await rig.step()
    rig.clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    await rig.step()
    rig.clock.set(datetime(2026, 12, 4, 9, 5, tzinfo=UTC))
    await rig.step()
    first, second = await store.jobs.list_jobs(newest_first=False)
    assert first.cancel_requested and not second.cancel_requested


async def test_two_scheduler_instances_on_one_database_fire_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    cfg = config("* * * * *", overlap="allow")
    async with await Store.open(path) as a, await Store.open(path) as b:
        clock = FakeClock(datetime(2026, 12, 4, 8, 59, 30, tzinfo=UTC))
        one, two = Rig(a, cfg, clock), Rig(b, cfg, clock)
        await one.step()
        await two.step()
        for _ in range(60):
            clock.advance(30)
            await one.step()
            await two.step()
        origins = await one.jobs()
        assert len(origins) == len(set(origins)) == 30


async def test_dst_fold_fires_a_daily_job_once(store: Store) -> None:
    cfg = config("30 1 * * *", tz="America/New_York", overlap="allow")
    rig = Rig(store, cfg, FakeClock(datetime(2026, 10, 31, 12, 0, tzinfo=UTC)))
    await rig.step()
    for _ in range(4 * 48):  # every 15 minutes for two days
        rig.clock.advance(900)
        await rig.step()
    assert await rig.jobs() == [
        "schedule:s@2026-11-01T01:30:00-04:00",
        "schedule:s@2026-11-02T01:30:00-05:00",
    ]


async def test_pause_skips_silently_and_resume_starts_at_the_next_slot(store: Store) -> None:
    rig = Rig(store, config(overlap="allow"), FakeClock(datetime(2026, 12, 4, 8, 59, tzinfo=UTC)))
    await rig.step()
    assert await store.schedules.set_paused("s", True, rig.clock.now())
    rig.clock.set(datetime(2026, 12, 4, 9, 31, tzinfo=UTC))
    assert await rig.step() is None
    await store.schedules.set_paused("s", False, rig.clock.now())
    assert await rig.step() == datetime(2026, 12, 4, 9, 35, tzinfo=UTC)
    assert await rig.jobs() == []
    assert (await rig.row()).missed_count == 0


async def test_reenabling_in_config_starts_from_now(store: Store) -> None:
    rig = Rig(store, config(), FakeClock(datetime(2026, 12, 4, 8, 59, tzinfo=UTC)))
    await rig.step()
    await store.schedules.sync({"s": False}, rig.clock.now())
    rig.clock.set(datetime(2026, 12, 4, 11, 2, tzinfo=UTC))
    await store.schedules.sync({"s": True}, rig.clock.now())
    again = Rig(store, config(), rig.clock)
    await again.step()
    assert await again.jobs() == []
    assert (await again.row()).missed_count == 0


async def test_prompt_templates_and_context(store: Store) -> None:
    rig = Rig(store, config("0 9 * * *", tz="Europe/Berlin"), FakeClock(T0 - timedelta(hours=2)))
    await rig.step()
    rig.clock.set(datetime(2026, 12, 4, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
    await rig.step()
    (job,) = await store.jobs.list_jobs()
    assert job.prompt == "run for s on 2026-12-04"
    assert job.origin == "schedule:s@2026-12-04T09:00:00+01:00"
    assert job.context == {"schedule": "s", "scheduled_for": "2026-12-04T09:00:00+01:00"}
