"""The engine: one loop that owns every in-flight job of a database.

The loop sleeps until the earliest moment something is due (a job's ``next_poll_at``, a
cancel, a doorbell ring from another process), starts that work as tasks bounded per
provider, and goes back to sleep. With nothing active it sleeps without a timeout: no
periodic wake-ups, no CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from agentdash.clock import Clock, SystemClock
from agentdash.config import Config
from agentdash.engine.cancel import carry_out_cancel
from agentdash.engine.context import EngineContext, JobListener
from agentdash.engine.dispatch import dispatch, reconcile
from agentdash.engine.ownership import EngineLock
from agentdash.engine.pacing import Pacer
from agentdash.engine.poller import poll
from agentdash.engine.services import build_services
from agentdash.engine.wakeup import Doorbell
from agentdash.errors import AgentdashError, StaleOwnerError
from agentdash.models import Job, JobStatus
from agentdash.providers.base import Provider
from agentdash.store import Store

log = logging.getLogger(__name__)
BATCH = 256
"""Most jobs picked up in one wake; the rest follow on the next (immediate) wake."""
FALLBACK_CHECK = 1.0
"""Seconds between database checks when the doorbell socket cannot be used."""

ProviderFactory = Callable[[str, Pacer], Provider]


class Engine:
    """Dispatches, polls and cancels the jobs of one database while it holds the lock."""

    def __init__(
        self,
        store: Store,
        config: Config,
        providers: Mapping[str, Provider],
        pacers: Mapping[str, Pacer],
        *,
        clock: Clock | None = None,
        provider_errors: Mapping[str, str] | None = None,
        lock: EngineLock | None = None,
    ) -> None:
        self.ctx = EngineContext(
            store=store,
            config=config,
            providers=providers,
            pacers=pacers,
            clock=clock or SystemClock(),
            provider_errors=dict(provider_errors or {}),
        )
        self.lock = lock or EngineLock(store.path)
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._slots = {
            name: asyncio.Semaphore(settings.max_concurrency)
            for name, settings in config.providers.items()
        }
        self._low_water = 2 * sum(s.max_concurrency for s in config.providers.values()) or 1
        self.ctx.wake = self.wake
        self.services = build_services(self.ctx)
        self._service_due: dict[str, float] = {}
        self._doorbell = Doorbell(store.path, self.wake)
        self._use_doorbell = False
        self.last_poll_at: datetime | None = None
        self.deposed = False
        """Set when another process took the lease: this engine must stop acting."""

    @property
    def epoch(self) -> int:
        return self.ctx.epoch

    def add_listener(self, listener: JobListener) -> None:
        """Call ``listener`` with every job the engine changes (after the commit)."""
        self.ctx.listeners.append(listener)

    def wake(self) -> None:
        """Make the loop look for work now (new jobs, cancels, commands)."""
        self._wake.set()

    async def acquire(self) -> bool:
        """Become the owner if no other process is; returns whether we are."""
        if not self.lock.try_acquire():
            return False
        self.deposed = False
        try:
            epoch, unclean = await self.ctx.store.lease.acquire(
                owner=f"{socket.gethostname()}:{os.getpid()}",
                pid=os.getpid(),
                host=socket.gethostname(),
                now=self.ctx.now(),
                ttl=self.ctx.config.engine.lease_ttl,
            )
            self.ctx.epoch = epoch
            if unclean:
                await self._after_unclean_stop()
            self._use_doorbell = await self._doorbell.start()
        except BaseException:
            self.lock.release()
            raise
        return True

    async def release(self) -> None:
        """Stop in-flight work, mark a clean stop and drop the lock."""
        await self._cancel_inflight()
        for service in self.services:
            await service.aclose()
        await self._doorbell.stop()
        if self.lock.held:
            with contextlib.suppress(StaleOwnerError):
                await self.ctx.store.lease.release(epoch=self.ctx.epoch)
            self.lock.release()

    async def run(self, stop: asyncio.Event) -> None:
        """The loop; returns when ``stop`` is set. Requires :meth:`acquire` first."""
        stopper = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set() and not self.deposed:
                self._wake.clear()
                try:
                    await self.step()
                except StaleOwnerError as exc:
                    self._step_down(exc)
                    break
                delay = await self.seconds_until_due()
                waiter = asyncio.create_task(self._wake.wait())
                await asyncio.wait({waiter, stopper}, timeout=delay, return_when="FIRST_COMPLETED")
                waiter.cancel()
        finally:
            stopper.cancel()

    async def step(self) -> None:
        """Run the services, then start work for every due job not already in flight."""
        for service in self.services:
            try:
                due_at = await service.step(self.ctx)
            except StaleOwnerError:
                raise
            except Exception:
                log.exception("service %s failed; retrying in a minute", service.name)
                due_at = self.ctx.later(60)
            if due_at is None:
                self._service_due.pop(service.name, None)
            else:
                self._service_due[service.name] = due_at.timestamp()
        due = await self.ctx.store.jobs.due(self.ctx.now(), self._inflight.keys(), BATCH)
        for job in due:
            self._start(job)

    async def seconds_until_due(self) -> float | None:
        """Seconds until the next job or service is due; None to sleep until woken."""
        at = await self.ctx.store.jobs.next_due_at(self._inflight.keys())
        candidates = [t for t in (at, *self._service_due.values()) if t is not None]
        if not candidates:
            return None if self._use_doorbell else FALLBACK_CHECK
        delay = max(0.0, min(candidates) - self.ctx.now().timestamp())
        return delay if self._use_doorbell else min(delay, FALLBACK_CHECK)

    async def run_until(self, job_id: int, done: Callable[[Job], bool]) -> Job:
        """Run the loop until ``done(job)`` holds for one job (for ``dispatch --wait``)."""
        stop = asyncio.Event()
        result: list[Job] = []

        def check(job: Job) -> None:
            if job.id == job_id and done(job):
                result.append(job)
                stop.set()

        self.add_listener(check)
        current = await self.ctx.store.jobs.get(job_id)
        if current is not None and done(current):
            return current
        await self.run(stop)
        self.ctx.listeners.remove(check)
        if not result:
            raise StaleOwnerError("another process took over the engine; the job goes on there")
        return result[0]

    def _start(self, job: Job) -> None:
        task = asyncio.create_task(self._process(job), name=f"job-{job.id}")
        self._inflight[job.id] = task
        task.add_done_callback(lambda _: self._finished(job.id))

    def _finished(self, job_id: int) -> None:
        """A job's work is done; look for more only once the backlog runs low.

        Waking on every completion would re-query the database a thousand times in a sweep
        of a thousand jobs; the tasks already started keep every provider slot busy until
        the backlog drops to the low-water mark.
        """
        self._inflight.pop(job_id, None)
        if len(self._inflight) <= self._low_water:
            self._wake.set()

    async def _process(self, job: Job) -> None:
        slots = self._slots.get(job.provider) or asyncio.Semaphore(1)
        try:
            async with slots:
                await self._handle(job)
        except StaleOwnerError as exc:
            self._step_down(exc)
        except AgentdashError as exc:
            log.warning("job %s: %s", job.id, exc)
        except Exception:
            log.exception("job %s: unexpected error", job.id)

    async def _handle(self, job: Job) -> None:
        if job.status in (JobStatus.DISPATCHING, JobStatus.UNKNOWN):
            await reconcile(self.ctx, job)
        elif job.cancel_requested:
            await carry_out_cancel(self.ctx, job)
        elif job.status is JobStatus.QUEUED:
            await dispatch(self.ctx, job)
        else:
            self.last_poll_at = datetime.now(UTC)
            await poll(self.ctx, job)

    def _step_down(self, exc: StaleOwnerError) -> None:
        """Another process owns the engine now: stop acting, let the host follow."""
        if not self.deposed:
            log.error("stepping down: %s", exc)
        self.deposed = True
        self._wake.set()

    async def _cancel_inflight(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _after_unclean_stop(self) -> None:
        result = await self.ctx.store.db.quick_check()
        if result != "ok":
            log.error("database check after an unclean stop: %s", result)
        log.info("previous owner stopped uncleanly; reconciling and resuming polls")
