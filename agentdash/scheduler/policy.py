"""Which fires to run and which to record as missed: the misfire policy, as pure math.

Given a schedule's fires since it last acted and the time now, :func:`plan` decides what
runs. A fire seen within :data:`ON_TIME` of its slot is on time and always runs (subject to
overlap); later ones are missed fires, handled by the policy inside the catch-up window:

- ``skip``: none of them run;
- ``latest`` (default): the newest one runs, once;
- ``all``: each one in the window runs, the newest ``max_catchup`` at most.

Every fire that does not run is counted as missed, so nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from agentdash.config import ScheduleConfig
from agentdash.scheduler.cron import count_and_latest_between, fires_between

ON_TIME = timedelta(seconds=60)
"""A fire acted on within this of its slot is on time, not a missed fire being caught up."""


@dataclass(frozen=True, slots=True)
class FirePlan:
    """What one scheduler pass does for one schedule."""

    run: tuple[datetime, ...]
    """Fires to dispatch, oldest first."""
    missed: int
    """Fires that will never run."""
    last_missed: datetime | None
    newest: datetime | None
    """The newest fire considered: the schedule's new high-water mark."""


NOTHING = FirePlan((), 0, None, None)


def plan(schedule: ScheduleConfig, tz: ZoneInfo, since: datetime, now: datetime) -> FirePlan:
    """Fires in ``(since, now]`` split into those to run and those missed."""
    if since >= now:
        return NOTHING  # also covers a wall clock stepped back: nothing re-fires
    total, newest = count_and_latest_between(schedule.cron, tz, since, now)
    if total == 0 or newest is None:
        return NOTHING
    window = timedelta(seconds=schedule.catchup_window)
    on_time = now - newest <= ON_TIME
    if schedule.misfire == "all":
        start = max(since, now - max(window, ON_TIME))
        run = tuple(fires_between(schedule.cron, tz, start, now))[-schedule.max_catchup :]
    elif on_time or (schedule.misfire == "latest" and now - newest <= window):
        run = (newest,)
    else:
        run = ()
    missed = total - len(run)
    return FirePlan(run, missed, _last_missed(schedule, tz, since, run, newest, missed), newest)


def _last_missed(
    schedule: ScheduleConfig,
    tz: ZoneInfo,
    since: datetime,
    run: tuple[datetime, ...],
    newest: datetime,
    missed: int,
) -> datetime | None:
    if missed == 0:
        return None
    if newest not in run:
        return newest
    before = run[0] - timedelta(microseconds=1)
    _, latest = count_and_latest_between(schedule.cron, tz, since, before)
    return latest
