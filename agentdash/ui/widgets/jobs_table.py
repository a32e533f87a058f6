"""The jobs table: one row per job, newest first, updated in place as jobs change."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.binding import Binding, BindingType

from agentdash.clock import Clock
from agentdash.models import Job
from agentdash.ui.model import LOOKS, age, elapsed, origin_label, problem
from agentdash.ui.widgets.live_table import Column, LiveTable


def _age(job: Job, now: datetime) -> str:
    return age(job.created_at, now)


def _status_colour(job: Job) -> tuple[str, bool]:
    look = LOOKS[job.status]
    return look.colour, look.bold


COLUMNS: list[Column[Job]] = [
    Column("id", "#", 6, lambda j, _: str(j.id), right=True),
    Column("job", "Job", 14, lambda j, _: j.job),
    Column("status", "Status", 13, lambda j, _: LOOKS[j.status].label, colour=_status_colour),
    Column("origin", "Origin", 14, lambda j, _: origin_label(j.origin), narrow=False),
    Column("provider", "Provider", 8, lambda j, _: j.provider, narrow=False),
    Column("age", "Age", 4, _age, live=True, narrow=False, right=True),
    Column("elapsed", "Elapsed", 7, elapsed, live=True, right=True),
    Column("polls", "Polls", 5, lambda j, _: str(j.poll_count), narrow=False, right=True),
    Column("error", "Last error", 0, lambda j, _: problem(j).split("\n", 1)[0]),
]


class JobsTable(LiveTable[Job]):
    """Jobs by id, newest at the top; Enter opens the selected job."""

    DEFAULT_CSS = """
    JobsTable { height: 1fr; min-height: 5; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", key_display="⏎"),
    ]

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(
            COLUMNS, lambda job: str(job.id), clock, order=int, newest_first=True, id=id
        )

    @property
    def selected_job(self) -> Job | None:
        return self.selected
