"""The dashboard's one reader of the database: turns changes into messages for the screens.

:class:`Live` runs in the app's ``feed`` worker. It wakes when this process's engine
reports a change (:meth:`Live.poke`) or once a second, which is what it takes to notice
another process's commits (one ``PRAGMA data_version``; nothing else runs when nothing
changed). Then it posts what changed to every screen, builds the header, and announces
arrivals: a toast per job that completed, failed or needs you, and one bell per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from textual.message import Message

from agentdash.clock import Clock
from agentdash.control import EngineStatus
from agentdash.dashboard import DashboardServices, FeedUpdate, newest_update
from agentdash.models import Job, JobStatus, ScheduleView
from agentdash.text import safe_text
from agentdash.ui.actions import Severity
from agentdash.ui.messages import HeaderChanged, JobsChanged, SchedulesChanged
from agentdash.ui.model import LOOKS, clock_time
from agentdash.ui.widgets.status_bar import HeaderState

log = logging.getLogger(__name__)
INTERVAL = 1.0
"""Seconds between checks for other processes' commits."""
MAX_TOASTS = 3
"""Arrivals announced one by one per batch; the rest are summed up in one toast."""


@dataclass
class Outlets:
    """Where the feed's results go: the app provides these."""

    broadcast: Callable[[Callable[[], Message]], None]
    """Post a (fresh) message to every screen on the stack."""
    toast: Callable[[str, Severity], None]
    bell: Callable[[], None]


class Live:
    """Follows the database for the app; one instance per app run."""

    def __init__(self, outlets: Outlets, clock: Clock) -> None:
        self.out = outlets
        self.clock = clock
        self.services: DashboardServices | None = None
        self.header = HeaderState()
        self._poke = asyncio.Event()
        self.loaded = asyncio.Event()
        """Set once the first load has been read and posted to the screens."""
        self._status: EngineStatus | None = None
        self._schedules: list[ScheduleView] | None = None
        self._last_change: datetime | None = None
        self._error = ""

    @property
    def ready(self) -> bool:
        """The first load has been read (tests wait for this)."""
        return self._status is not None

    def poke(self) -> None:
        """Something changed in this process: read the database now."""
        if self.services is not None:
            self.services.feed.mark_dirty()
        self._poke.set()

    async def follow(self, services: DashboardServices) -> None:
        """Read changes until cancelled; a failed read is reported once and retried."""
        self.services = services
        while True:
            try:
                await self._refresh(services)
                self._error = ""
                self.loaded.set()
            except Exception as exc:
                if str(exc) != self._error:
                    log.exception("reading the database failed")
                    self.out.toast(f"Reading the database failed: {safe_text(str(exc))}", "error")
                self._error = str(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), INTERVAL)
            self._poke.clear()

    async def _refresh(self, services: DashboardServices) -> None:
        update = await services.feed.fetch()
        if update is not None:
            self._status = status = await services.status()
            if update.jobs:
                self._last_change = newest_update(update.jobs) or self._last_change
                self.out.broadcast(lambda: JobsChanged(update, status.counts))
                self._announce(update)
            schedules = await services.control.schedules()
            if schedules != self._schedules:
                self._schedules = schedules
                self.out.broadcast(lambda: SchedulesChanged(schedules))
        self.show_header()

    def show_header(self, *, problem: str = "") -> None:
        """Post the header if it changed: role, last poll, counts (or a start-up problem)."""
        services, status = self.services, self._status
        counts = status.counts if status else {}
        known: dict[str, Any] = {"label": services.label if services else ""}
        if problem:
            known.update(role="error", problem=problem)
        elif services is not None and services.is_owner:
            known.update(role="owner", last_poll=self._time(services.last_poll_at))
        elif status is not None and status.running:
            known.update(
                role="follower",
                owner_pid=status.lease.pid,
                owner_host=status.lease.host,
                last_poll=self._time(self._last_change),
                poll_word="last change",
            )
        state = HeaderState.counting(counts, **known)
        if state != self.header:
            self.header = state
            self.out.broadcast(lambda: HeaderChanged(state))

    def _time(self, when: datetime | None) -> str:
        return clock_time(when, self.clock.now())

    def _announce(self, update: FeedUpdate) -> None:
        if not update.arrived:
            return
        for job in update.arrived[:MAX_TOASTS]:
            self.out.toast(arrival_text(job), severity(job))
        rest = len(update.arrived) - MAX_TOASTS
        if rest > 0:
            self.out.toast(f"…and {rest} more jobs changed state", "information")
        self.out.bell()


def arrival_text(job: Job) -> str:
    text = f"#{job.id} {job.job}: {LOOKS[job.status].label}"
    if job.error:
        text += f"\n{safe_text(job.error).splitlines()[0][:160]}"
    return text


def severity(job: Job) -> Severity:
    if job.status is JobStatus.FAILED:
        return "error"
    return "warning" if job.status is JobStatus.NEEDS_ACTION else "information"
