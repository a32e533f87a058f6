"""What the keys do, as calls to :class:`~agentdash.control.Control`, failures as toasts.

The UI acts only through Control (durable writes plus a wake-up of the engine owner), so
an action works the same whether this pane owns the engine or follows another. A refused
action (cancel a finished job, an unknown template) is a warning toast; an unexpected error
is an error toast and a log line; neither ever closes the dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from agentdash.config import JobConfig
from agentdash.control import Control
from agentdash.dashboard import DashboardServices
from agentdash.errors import AgentdashError
from agentdash.models import Job, JobStatus
from agentdash.text import safe_text

log = logging.getLogger(__name__)
R = TypeVar("R")
Severity = Literal["information", "warning", "error"]
Notify = Callable[[str, Severity], None]
"""(message, severity) → a toast, markup off."""


class Actions:
    """The dashboard's verbs; ``services`` is set once the app has opened them."""

    def __init__(self, notify: Notify, changed: Callable[[], None]) -> None:
        self.services: DashboardServices | None = None
        self._notify = notify
        self._changed = changed

    @property
    def templates(self) -> dict[str, JobConfig]:
        return dict(self.services.config.jobs) if self.services else {}

    async def dispatch(self, template: str, prompt: str) -> Job | None:
        job = await self._write(lambda c: c.dispatch(template, prompt))
        if job is not None:
            self._notify(f"Queued job #{job.id} {job.job}", "information")
        return job

    async def cancel(self, job_id: int) -> None:
        if await self._write(lambda c: c.cancel(job_id)) is not None:
            self._notify(f"Cancelling job #{job_id}", "information")

    async def rerun(self, job_id: int) -> Job | None:
        job = await self._write(lambda c: c.rerun(job_id))
        if job is not None:
            self._notify(f"Re-running #{job_id} as #{job.id}", "information")
        return job

    async def redeliver(self, job_id: int) -> None:
        reset = await self._write(lambda c: c.redeliver(job_id))
        if reset is not None:
            text = f"Delivering the result of #{job_id} again ({len(reset)} sink(s))"
            self._notify(
                text if reset else f"#{job_id}: every delivery already succeeded", "information"
            )

    async def set_paused(self, name: str, paused: bool) -> None:
        async def flip(control: Control) -> bool:
            await (control.pause_schedule(name) if paused else control.resume_schedule(name))
            return True

        if await self._write(flip) is not None:
            self._notify(f"Schedule {name} {'paused' if paused else 'resumed'}", "information")

    async def run_schedule(self, name: str) -> None:
        job = await self._write(lambda c: c.run_schedule(name))
        if job is not None:
            self._notify(f"Schedule {name} started job #{job.id}", "information")

    async def job(self, job_id: int) -> Job | None:
        """The job with its output; None (and a toast) when it cannot be read."""
        return await self._call(lambda c: c.job(job_id))

    async def older(self, statuses: list[JobStatus], before: int, limit: int) -> list[Job] | None:
        """A page of jobs in ``statuses`` with ids below ``before``, newest first."""
        return await self._call(lambda c: c.jobs(statuses, limit, before=before))

    async def deliveries(self, job_id: int) -> list[tuple[str, str]]:
        """(sink, state) of where the job's result goes, for the details pane."""
        found = await self._call(lambda c: c.deliveries(job_id=job_id), quiet=True) or []
        return [(d.sink, _delivery_state(d.status.value, d.attempts, d.last_error)) for d in found]

    async def _write(self, call: Callable[[Control], Awaitable[R]]) -> R | None:
        result = await self._call(call)
        if self.services is not None:
            self._changed()  # the app's Live.poke: marks the feed dirty and reads it now
        return result

    async def _call(self, call: Callable[[Control], Awaitable[R]], quiet: bool = False) -> R | None:
        if self.services is None:
            self._notify("Still starting up; try again in a moment", "warning")
            return None
        try:
            return await call(self.services.control)
        except AgentdashError as exc:
            if not quiet:
                self._notify(safe_text(str(exc)), "warning")
        except Exception as exc:
            log.exception("dashboard action failed")
            if not quiet:
                self._notify(safe_text(f"{type(exc).__name__}: {exc}"), "error")
        return None


def _delivery_state(status: str, attempts: int, error: str | None) -> str:
    text = f"{status} ({attempts} attempt{'s' if attempts != 1 else ''})"
    return f"{text}: {error}" if error else text
