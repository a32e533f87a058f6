"""The schedules panel: each schedule's cron in words, next fire countdown and last result."""

from __future__ import annotations

from datetime import datetime

from agentdash.clock import Clock
from agentdash.models import JobStatus, ScheduleView
from agentdash.ui.model import LOOKS, countdown
from agentdash.ui.widgets.live_table import Column, LiveTable

_STATUSES = {s.value for s in JobStatus}


def state(view: ScheduleView) -> str:
    if not view.enabled:
        return "○ disabled"
    return "⏸ paused" if view.paused else "● active"


def _state_colour(view: ScheduleView) -> tuple[str, bool]:
    if not view.enabled:
        return "dim", False
    return ("text-warning", True) if view.paused else ("text-success", False)


def last_result(view: ScheduleView) -> str:
    """``✓ completed #12``, or what happened to the fire (``skipped: overlap``)."""
    if view.last_result is None:
        return "—"
    text = view.last_result
    if text in _STATUSES:
        text = LOOKS[JobStatus(text)].label
    return f"{text} #{view.last_job_id}" if view.last_job_id is not None else text


def _last_colour(view: ScheduleView) -> tuple[str, bool]:
    if view.last_result in _STATUSES:
        look = LOOKS[JobStatus(view.last_result)]
        return look.colour, False
    return "", False


def _next(view: ScheduleView, now: datetime) -> str:
    if view.paused or not view.enabled:
        return "—"
    return countdown(view.next_fire, now)


COLUMNS: list[Column[ScheduleView]] = [
    Column("name", "Schedule", 14, lambda s, _: s.name),
    Column("job", "Job", 14, lambda s, _: s.job, narrow=False),
    Column("when", "When", 0, lambda s, _: s.description),
    Column("next", "Next", 10, _next, live=True, right=True),
    Column("last", "Last", 16, lambda s, _: last_result(s), colour=_last_colour, narrow=False),
    Column("missed", "Missed", 6, lambda s, _: str(s.missed_count), narrow=False, right=True),
    Column("state", "State", 10, lambda s, _: state(s), colour=_state_colour),
]


class SchedulesTable(LiveTable[ScheduleView]):
    """Schedules by name; ``p`` pauses or resumes the selected one, ``t`` runs it now."""

    DEFAULT_CSS = """
    SchedulesTable { height: auto; max-height: 8; }
    """

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(COLUMNS, lambda view: view.name, clock, order=str, id=id)

    def show(self, views: list[ScheduleView]) -> None:
        """Bring the rows in line with ``views``: update, add, drop; no rebuild."""
        names = {view.name for view in views}
        for key in [self._key(item) for item in self.items()]:
            if key not in names:
                self.drop(key)
        added = [self.put(view) for view in views]
        if any(added):
            self.reorder()
