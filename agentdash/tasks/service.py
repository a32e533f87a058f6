"""The task sources service: looks at each source every ``every``, as a task of its own.

A look opens the task database, which may be busy or on a slow disk, so it never runs
inside ``step``: step starts the looks that are due and returns; a finished look wakes the
engine, which then dispatches the jobs it queued. The first look is made at once on start.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentdash.errors import AgentdashError, StaleOwnerError
from agentdash.store.outbox import instance_id
from agentdash.tasks.claims import Identity, Look
from agentdash.tasks.settings import TaskSourceSettings

if TYPE_CHECKING:
    from agentdash.engine.context import EngineContext

log = logging.getLogger(__name__)


class TaskSources:
    """Claims work from every configured task source and queues it as jobs."""

    name = "tasks"

    def __init__(self) -> None:
        self._looking: dict[str, asyncio.Task[None]] = {}
        self._next: dict[str, datetime] = {}
        self._identity: Identity | None = None
        self.errors: dict[str, str] = {}
        """The last error of each source whose last look failed, for status views."""

    async def step(self, ctx: EngineContext) -> datetime | None:
        sources = ctx.config.task_sources
        if not sources:
            return None
        if self._identity is None:
            self._identity = Identity.here(await instance_id(ctx.store.db))
        now = ctx.now()
        for name, settings in sources.items():
            if name not in self._looking and self._next.get(name, now) <= now:
                self._start(ctx, name, settings, self._identity)
        waiting = [at for name, at in self._next.items() if name not in self._looking]
        return min(waiting, default=None)

    async def aclose(self) -> None:
        tasks = list(self._looking.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _start(
        self, ctx: EngineContext, name: str, settings: TaskSourceSettings, identity: Identity
    ) -> None:
        task = asyncio.create_task(
            self._look(ctx, Look(ctx, name, settings, identity)), name=f"task-source-{name}"
        )
        self._looking[name] = task
        task.add_done_callback(lambda _: self._finished(ctx, name))

    def _finished(self, ctx: EngineContext, name: str) -> None:
        self._looking.pop(name, None)
        ctx.wake()

    async def _look(self, ctx: EngineContext, look: Look) -> None:
        try:
            blocked = ctx.provider_errors.get(ctx.config.jobs[look.settings.job].provider)
            if blocked:
                raise AgentdashError(
                    f"not claiming: job {look.settings.job!r} cannot run: {blocked}"
                )
            queued = await look.run()
            self.errors.pop(look.name, None)
            if queued:
                log.info("task source %s: queued %s job(s)", look.name, queued)
        except StaleOwnerError as exc:
            log.error("task source %s: %s", look.name, exc)
        except AgentdashError as exc:
            self._report(look.name, str(exc))
        except Exception as exc:
            log.exception("task source %s: unexpected error", look.name)
            self.errors[look.name] = f"{type(exc).__name__}: {exc}"
        finally:
            self._next[look.name] = ctx.now() + timedelta(seconds=look.settings.every)

    def _report(self, name: str, error: str) -> None:
        """Log an error once per change, not on every look while it lasts."""
        if self.errors.get(name) != error:
            log.error("task source %s: %s", name, error)
        self.errors[name] = error
