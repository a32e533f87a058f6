"""Run the fake server: in-process on the current event loop for tests, or blocking for the CLI.

In-process, uvicorn's ``startup``/``shutdown`` are driven directly instead of ``serve()``,
because ``serve()`` installs signal handlers and loops until a flag flips; a test wants
neither, and wants the kernel-chosen port (``port=0``) as soon as the socket is bound.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from agentdash.fake.scenario import Scenario
from agentdash.fake.server import create_app
from agentdash.fake.state import FakeState
from agentdash.fake.stats import FakeStats


@dataclass
class FakeServer:
    """A running fake: where it listens, and handles on its knobs and counters."""

    host: str
    port: int
    app: Starlette
    state: FakeState

    @property
    def base_url(self) -> str:
        """``http://host:port`` (IPv6 hosts bracketed), ready for ``AsyncAnthropic(base_url=)``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def scenario(self) -> Scenario:
        """The live knobs; changes apply to the next request."""
        return self.state.scenario

    @property
    def stats(self) -> FakeStats:
        """Counters, with every session advanced to now first."""
        return self.state.refresh_stats()


def _config(app: Starlette, host: str, port: int, log_level: str, quiet: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        http="h11",
        ws="none",
        log_level=log_level,
        access_log=not quiet,
        # In-process: leave the host application's logging configuration alone.
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=2,
    )


@asynccontextmanager
async def running_fake(
    scenario: Scenario | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
) -> AsyncIterator[FakeServer]:
    """Serve the fake on the running loop for the duration of the ``async with`` block.

    ``port=0`` lets the OS pick a free port; read it from ``.port``/``.base_url``. On exit,
    open SSE streams and hanging requests are told to finish, then uvicorn shuts down.
    """
    state = FakeState(scenario)
    app = create_app(state=state)
    config = _config(app, host, port, log_level, quiet=True)
    server = uvicorn.Server(config)
    config.load()
    server.lifespan = config.lifespan_class(config)
    await server.startup()
    if not server.started:  # pragma: no cover - startup exits the process on bind errors
        raise RuntimeError(f"fake server could not start on {host}:{port}")
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield FakeServer(host=host, port=int(bound[1]), app=app, state=state)
    finally:
        state.closing.set()
        await server.shutdown()


def serve(host: str = "127.0.0.1", port: int = 8765, scenario: Scenario | None = None) -> None:
    """Serve the fake until interrupted (Ctrl-C); for ``agentdash fake-server``.

    uvicorn logs the URL it listens on (the real port, even for ``port=0``).
    """
    app = create_app(state=FakeState(scenario))
    uvicorn.Server(_config(app, host, port, "info", quiet=False)).run()
