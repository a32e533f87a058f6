"""What the app tells its screens: jobs changed, schedules changed, the header changed.

The app's feed loop is the only reader of the database; it posts these to every screen on
the stack, and each screen updates only what it shows.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.message import Message

from agentdash.dashboard import FeedUpdate
from agentdash.models import JobStatus, ScheduleView
from agentdash.ui.widgets.status_bar import HeaderState


class JobsChanged(Message):
    bubble = False  # posted to each screen; the app itself has nothing to do with it

    def __init__(self, update: FeedUpdate, counts: Mapping[JobStatus, int]) -> None:
        super().__init__()
        self.update = update
        self.counts = counts
        """Jobs per status in the whole database, read after the changes."""


class SchedulesChanged(Message):
    bubble = False  # posted to each screen; the app itself has nothing to do with it

    def __init__(self, schedules: list[ScheduleView]) -> None:
        super().__init__()
        self.schedules = schedules


class HeaderChanged(Message):
    bubble = False  # posted to each screen; the app itself has nothing to do with it

    def __init__(self, state: HeaderState) -> None:
        super().__init__()
        self.state = state
