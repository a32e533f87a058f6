"""What the dashboard needs from the core, composed in one place and handed to the UI.

The UI may not open the database or build providers itself (it must not import the store,
the providers or any network library), and the database connection must be opened inside
the app's own event loop. So the composition root gives the app a *factory*:
:func:`open_dashboard` bound to the resolved settings. The app enters it from a worker once
it runs, and leaves it on exit, which stops the engine and closes everything in order.

:class:`JobFeed` turns "something may have changed" into the jobs that did, whoever
changed them: this process's engine (a listener marks the feed dirty), this process's own
actions, or another process (SQLite's ``data_version`` moves). It also says which jobs just
*arrived* in a state a person wants to hear about, once per transition, never per poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from agentdash.clock import Clock, SystemClock
from agentdash.config import Config
from agentdash.control import Control, EngineStatus
from agentdash.engine.host import EngineHost
from agentdash.engine.wakeup import ring
from agentdash.models import Job, JobStatus
from agentdash.paths import ensure_private_dir
from agentdash.runtime import ProviderSet, Settings, build_providers
from agentdash.store import Store

log = logging.getLogger(__name__)

LOUD = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.NEEDS_ACTION})
"""States whose arrival is announced (a toast and the bell)."""
ENGINE_RETRY = 5.0
"""Seconds before the engine is started again after it failed unexpectedly."""
HISTORY = 500
"""Finished jobs a live view starts with (newest first; every active job is read too).
Older ones are read on request, a page at a time: a long history costs nothing at start."""

Seed = Callable[[Control], Awaitable[None]]
ServicesFactory = Callable[[], AbstractAsyncContextManager["DashboardServices"]]


@dataclass(frozen=True)
class FeedUpdate:
    """One batch of changed jobs (summaries, without output)."""

    jobs: list[Job]
    arrived: list[Job]
    """Jobs that just entered a state in :data:`LOUD`; empty on the first load."""
    initial: bool
    history: int = HISTORY
    """The first load holds at most this many finished jobs (the newest)."""


class JobFeed:
    """Changed jobs since the last fetch, from this process or any other.

    ``fetch`` is cheap when nothing changed: one ``PRAGMA data_version``. That pragma only
    moves for *other* connections' commits, so this process's own writes (the engine's, or
    an action's) call :meth:`mark_dirty`. The first fetch reads every active job and the
    newest ``history`` finished ones, however many the database holds.
    """

    def __init__(self, control: Control, history: int = HISTORY) -> None:
        self._control = control
        self._history = history
        self._seq = 0
        self._version: int | None = None
        self._dirty = True
        self._known: dict[int, JobStatus] = {}
        self._primed = False

    def mark_dirty(self) -> None:
        self._dirty = True

    async def fetch(self) -> FeedUpdate | None:
        """The jobs changed since the last call; None when nothing can have changed.

        An update with no jobs means the database moved in some other way (a schedule
        paused, a lease renewed): schedules and counts are worth reading again.
        """
        version = await self._control.data_version()
        if not self._dirty and version == self._version:
            return None
        self._dirty = False  # before the read: a change during it marks the feed again
        self._version = version
        initial = not self._primed
        if initial:
            jobs, self._seq = await self._control.window(self._history)
        else:
            jobs, self._seq = await self._control.changes(self._seq)
        self._primed = True
        arrived = [job for job in jobs if self._arrived(job)]
        return FeedUpdate(jobs, [] if initial else arrived, initial, self._history)

    def _arrived(self, job: Job) -> bool:
        before = self._known.get(job.id)
        self._known[job.id] = job.status
        return job.status in LOUD and before != job.status


@dataclass
class DashboardServices:
    """Everything the app acts through, already open; built by :func:`open_dashboard`.

    The engine host comes last: :meth:`start_host` builds it (:meth:`run_engine` calls it),
    once the provider modules are loaded off the event loop (the Anthropic SDK alone takes
    most of a second to import). The app shows the jobs first, then starts the engine.
    """

    control: Control
    config: Config
    database: Path
    feed: JobFeed
    make_host: Callable[[], Awaitable[EngineHost]]
    label: str = ""
    """Shown in the header: ``demo`` or the database path."""
    host: EngineHost | None = None
    _role_listeners: list[Callable[[bool], None]] = field(default_factory=list)
    _job_listeners: list[Callable[[Job], None]] = field(default_factory=list)

    @property
    def is_owner(self) -> bool:
        return self.host is not None and self.host.is_owner

    @property
    def last_poll_at(self) -> datetime | None:
        return None if self.host is None else self.host.engine.last_poll_at

    def on_job(self, listener: Callable[[Job], None]) -> None:
        """Call ``listener`` with every job this process's engine changes."""
        self._job_listeners.append(listener)
        if self.host is not None:
            self.host.engine.add_listener(listener)

    def on_role(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(owner)`` whenever this process becomes or stops being the owner."""
        self._role_listeners.append(listener)

    async def start_host(self) -> EngineHost:
        """The engine host, built on first use (the provider modules load meanwhile)."""
        if self.host is None:
            host = await self.make_host()
            for listener in self._job_listeners:
                host.engine.add_listener(listener)
            self.host = host
        return self.host

    async def status(self) -> EngineStatus:
        return await self.control.status()

    async def run_engine(
        self, stop: asyncio.Event, on_error: Callable[[BaseException], None]
    ) -> None:
        """Own (or follow) the engine until ``stop``; an unexpected failure is reported, and
        the engine is started again a few seconds later, so the dashboard never dies of it."""
        host = await self.start_host()
        while not stop.is_set():
            try:
                await host.run(stop)
            except Exception as exc:
                log.exception("engine stopped unexpectedly")
                on_error(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), ENGINE_RETRY)


def _waker(database: Path, host: Callable[[], EngineHost | None]) -> Callable[[], None]:
    """Wake the engine: directly when this process owns it, else ring the owner's doorbell
    off the event loop (a socket connect must never stall the UI)."""

    def wake() -> None:
        owner = host()
        if owner is not None and owner.is_owner:
            owner.engine.wake()
            return
        asyncio.get_running_loop().run_in_executor(None, ring, database)

    return wake


@asynccontextmanager
async def open_dashboard(
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    seed: Seed | None = None,
    label: str | None = None,
) -> AsyncIterator[DashboardServices]:
    """Open the store, build the providers and the engine host; close them all on exit.

    Args:
        env: where provider API keys are read (default: the process environment).
        seed: called once with the Control after the store opens (the demo's jobs).
    """
    clock = clock or SystemClock()
    built: list[ProviderSet] = []
    try:
        store = await Store.open(settings.database)
        try:
            listeners: list[Callable[[bool], None]] = []

            def role_changed(owner: bool) -> None:
                for listener in listeners:
                    listener(owner)

            async def make_host() -> EngineHost:
                await asyncio.to_thread(preload_providers, settings.config)
                providers = build_providers(settings.config, env)
                built.append(providers)
                for name, reason in providers.errors.items():
                    log.error("provider %s unavailable: %s", name, reason)
                return EngineHost(
                    store, settings.config, providers, clock=clock, on_role=role_changed
                )

            services: DashboardServices | None = None
            control = Control(
                store,
                settings.config,
                clock=clock,
                wake=_waker(settings.database, lambda: services.host if services else None),
            )
            if seed is not None:
                await seed(control)
            services = DashboardServices(
                control=control,
                config=settings.config,
                database=settings.database,
                feed=JobFeed(control),
                make_host=make_host,
                label=label if label is not None else str(settings.database),
                _role_listeners=listeners,
            )
            yield services
        finally:
            await store.close()
    finally:
        for providers in built:
            await providers.aclose()


def preload_providers(config: Config) -> None:
    """Import the module of every configured provider type (run in a thread: building the
    providers afterwards is quick). A type that fails to load is reported by the build."""
    from agentdash.providers.registry import provider_type

    for settings in config.providers.values():
        with contextlib.suppress(Exception):
            provider_type(settings.type)


def dashboard_factory(
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    seed: Seed | None = None,
    label: str | None = None,
) -> ServicesFactory:
    """:func:`open_dashboard` with its arguments bound: what the app is given."""

    def factory() -> AbstractAsyncContextManager[DashboardServices]:
        return open_dashboard(settings, env=env, clock=clock, seed=seed, label=label)

    return factory


def route_logs(path: Path) -> None:
    """Send log records to a private file instead of stderr, which the dashboard owns:
    a warning printed on a full-screen app would scribble over it."""
    ensure_private_dir(path.parent)  # the database's directory: 0700, as the store makes it
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)


def newest_update(jobs: Iterable[Job]) -> datetime | None:
    """The latest ``updated_at`` among ``jobs``: a follower's "last activity" time."""
    stamps = [job.updated_at for job in jobs if job.updated_at is not None]
    return max(stamps, default=None)
