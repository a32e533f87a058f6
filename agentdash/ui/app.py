"""The Textual app: wiring only.

It is handed a factory for its services (see :mod:`agentdash.dashboard`) and enters it in
a worker once running, so the database connection lives on the app's own event loop. Two
workers then run for the app's lifetime, both with ``exit_on_error=False``:

- ``engine``: owns the engine (or follows another process's) until the app exits;
- ``feed``: :class:`~agentdash.ui.live.Live`, the one reader of the database, which posts
  what changed to the screens and announces arrivals.

Screens and widgets live in their own modules; the rules they follow are in
:mod:`agentdash.ui.model`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path, PurePath
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from agentdash.clock import Clock, SystemClock
from agentdash.dashboard import DashboardServices, ServicesFactory
from agentdash.text import safe_text
from agentdash.ui.actions import Actions, Severity
from agentdash.ui.external import Runner, suspended_runner
from agentdash.ui.keys import APP_KEYS, JOB_KEYS, MAIN_KEYS, Key, bindings
from agentdash.ui.live import Live, Outlets
from agentdash.ui.screens.dashboard import DashboardScreen
from agentdash.ui.screens.help import HelpScreen
from agentdash.ui.screens.job import JobScreen

log = logging.getLogger(__name__)
FIRST_PAINT_WAIT = 5.0
"""Seconds the engine waits for the first load to be on screen before starting anyway."""


def stylesheet_paths(package: Path | None = None) -> list[str | PurePath]:
    """``agentdash.tcss``: inside the package in a wheel, at the repository root in a checkout.

    Missing altogether (a broken install) it is left out: every widget still has its own
    DEFAULT_CSS, so the dashboard works, only plainer.
    """
    package = package or Path(__file__).resolve().parent.parent
    for candidate in (package / "agentdash.tcss", package.parent / "agentdash.tcss"):
        if candidate.is_file():
            return [candidate]
    return []


class AgentDashApp(App[None]):
    """The dashboard."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet_paths()
    TITLE = "agentdash"
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012  (Textual declares it a plain attribute)
        (0, "-narrow"),
        (100, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = bindings(APP_KEYS)

    def __init__(
        self,
        open_services: ServicesFactory,
        *,
        clock: Clock | None = None,
        runner: Runner | None = None,
    ) -> None:
        super().__init__()
        self._open_services = open_services
        self.clock = clock or SystemClock()
        self.runner = runner or suspended_runner(self)
        self.live = Live(Outlets(self._broadcast, self._toast, lambda: self.bell()), self.clock)
        self.actions = Actions(self._toast, self.live.poke)
        self.services: DashboardServices | None = None
        self._stop = asyncio.Event()
        self._engine_worker: Worker[None] | None = None
        self._frozen = False

    def get_default_screen(self) -> Screen[None]:
        return DashboardScreen(self.actions, self.clock, self.runner)

    def on_mount(self) -> None:
        self._engine_worker = self.run_worker(
            self._serve(), name="engine", group="engine", exit_on_error=False
        )

    async def on_unmount(self) -> None:
        """Let the engine stop and the database close before the event loop goes away."""
        self._stop.set()
        if self._engine_worker is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._engine_worker.wait()
        if self._frozen:
            gc.unfreeze()  # what startup built may be collected again (tests run many apps)
            self._frozen = False

    async def _first_paint(self) -> None:
        """Wait until the first load is on screen (or a while at most): building the engine
        loads the provider SDKs, whose import would otherwise compete with it."""
        painted = asyncio.Event()

        async def shown() -> None:
            await self.live.loaded.wait()
            self.call_after_refresh(painted.set)
            await painted.wait()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(shown(), FIRST_PAINT_WAIT)

    def _settle(self) -> None:
        """Start-up is over: what it built (modules, provider SDKs, widgets, the first load)
        lives as long as the app. Hide it from the cycle collector (:func:`gc.freeze`), or
        each of its full passes walks it all again: 100 ms pauses of the whole screen."""
        gc.freeze()
        self._frozen = True

    async def action_quit(self) -> None:
        """Quit at once: jobs are in the database and resume on the next start."""
        self._stop.set()
        self.exit()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def _serve(self) -> None:
        """Open the services on this loop, follow the database, run the engine until exit."""
        try:
            async with self._open_services() as services:
                await self._run(services)
        except Exception as exc:
            log.exception("the dashboard could not start its services")
            self.live.show_header(problem=safe_text(str(exc))[:80])
            self._toast(f"Could not start: {safe_text(str(exc))}", "error")

    async def _run(self, services: DashboardServices) -> None:
        self.services = self.actions.services = services
        services.on_job(lambda _job: self.live.poke())
        services.on_role(lambda _owner: self.live.poke())
        feed = self.run_worker(
            self.live.follow(services), name="feed", group="feed", exit_on_error=False
        )
        try:
            await self._first_paint()
            self._settle()
            await services.start_host()
            self._settle()
            await services.run_engine(self._stop, self._engine_failed)
        finally:
            feed.cancel()
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await feed.wait()
            self.services = self.actions.services = self.live.services = None

    def _engine_failed(self, exc: BaseException) -> None:
        self._toast(f"The engine stopped: {safe_text(str(exc))}; restarting it", "error")

    def _broadcast(self, make: Callable[[], Message]) -> None:
        for screen in self.screen_stack:
            screen.post_message(make())

    def _toast(self, message: str, severity: Severity) -> None:
        self.notify(message, severity=severity, markup=False)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key's action is also a command (when it applies to the current selection)."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Every key, and what quitting keeps (?)", self.action_help)
        keys: tuple[Key, ...] = ()
        if isinstance(screen, DashboardScreen):
            keys = MAIN_KEYS
        elif isinstance(screen, JobScreen):
            keys = JOB_KEYS
        for key in keys:
            name = key.action.partition("(")[0]
            if key.palette and key.bind and screen.check_action(name, ()):
                run = partial(screen.run_action, key.action)
                yield SystemCommand(key.description, f"key {key.shown_key}", run)
