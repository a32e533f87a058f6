"""Serving the background-responses fake: in-process for tests, or blocking for a demo.

Like :mod:`agentdash.fake.runner`, uvicorn's startup and shutdown are driven directly, so a
test gets the kernel-chosen port at once and no signal handlers are installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn

from agentdash.fake_responses.scenario import ResponsesScenario
from agentdash.fake_responses.server import create_app
from agentdash.fake_responses.state import ResponsesState


@dataclass
class ResponsesServer:
    """A running fake: where it listens, and its state (knobs and counters)."""

    host: str
    port: int
    state: ResponsesState

    @property
    def base_url(self) -> str:
        """``http://host:port/v1``: what an ``http`` provider's ``base_url`` should be."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def scenario(self) -> ResponsesScenario:
        return self.state.scenario


def _config(state: ResponsesState, host: str, port: int, quiet: bool) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(state),
        host=host,
        port=port,
        lifespan="off",
        http="h11",
        ws="none",
        log_level="warning" if quiet else "info",
        access_log=not quiet,
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=2,
    )


@asynccontextmanager
async def running_responses_fake(
    scenario: ResponsesScenario | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[ResponsesServer]:
    """Serve the fake on the running loop for the duration of the ``async with`` block."""
    state = ResponsesState(scenario or ResponsesScenario())
    config = _config(state, host, port, quiet=True)
    server = uvicorn.Server(config)
    config.load()
    server.lifespan = config.lifespan_class(config)
    await server.startup()
    if not server.started:  # pragma: no cover - startup exits the process on bind errors
        raise RuntimeError(f"responses fake could not start on {host}:{port}")
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield ResponsesServer(host=host, port=int(bound[1]), state=state)
    finally:
        await server.shutdown()


def serve(
    host: str = "127.0.0.1", port: int = 8766, scenario: ResponsesScenario | None = None
) -> None:
    """Serve until interrupted; for ``python -m agentdash.fake_responses``."""
    state = ResponsesState(scenario or ResponsesScenario())
    uvicorn.Server(_config(state, host, port, quiet=False)).run()
