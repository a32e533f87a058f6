"""What a person can ask of agentdash, from whichever process they are in.

The CLI and the dashboard both act through :class:`Control`. Every action is a durable
write (a queued job, a cancel flag, a schedule flag) followed by a ring of the engine
owner's doorbell, so it works the same in the owner, in a follower pane, or from a shell
while a daemon runs, and nothing is lost if the owner is down: it acts on start.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable
from dataclasses import dataclass

from agentdash.clock import Clock, SystemClock
from agentdash.config import Config
from agentdash.engine.ownership import engine_running
from agentdash.engine.wakeup import ring
from agentdash.errors import AgentdashError
from agentdash.models import Job, JobStatus
from agentdash.store import Lease, Store


@dataclass(frozen=True)
class EngineStatus:
    """Who runs the engine, and how many jobs are in each state."""

    running: bool
    lease: Lease
    counts: dict[JobStatus, int]


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
        template = self.config.jobs.get(job_name)
        if template is None:
            close = difflib.get_close_matches(job_name, list(self.config.jobs), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(self.config.jobs)) or "none are configured"
            raise AgentdashError(f"no job template {job_name!r}{hint}; known: {known}")
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
        self, statuses: list[JobStatus] | None = None, limit: int | None = None
    ) -> list[Job]:
        """Jobs without their output, newest first."""
        return await self.store.jobs.list_jobs(statuses, limit=limit)

    async def changes(self, seq: int) -> tuple[list[Job], int]:
        """Jobs changed after ``seq`` (without output) and the newest seq: for live views."""
        return await self.store.jobs.changed_since(seq)

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

    async def wake(self) -> None:
        """Tell the engine owner there is work; in the owner itself, wake its loop directly."""
        if self._wake is not None:
            self._wake()
        else:
            await asyncio.to_thread(ring, self.store.path)
