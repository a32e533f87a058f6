"""Serving the background-responses fake: in-process for tests, or blocking for a demo.

Served like the Managed Agents fake (:mod:`agentdash.fake.serving`): a test gets the
kernel-chosen port at once and no signal handlers are installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from agentdash.fake.serving import serve_until_interrupted, serving_in_process
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


@asynccontextmanager
async def running_responses_fake(
    scenario: ResponsesScenario | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[ResponsesServer]:
    """Serve the fake on the running loop for the duration of the ``async with`` block."""
    state = ResponsesState(scenario or ResponsesScenario())
    async with serving_in_process(create_app(state), host, port) as bound:
        yield ResponsesServer(host=host, port=bound, state=state)


def serve(
    host: str = "127.0.0.1", port: int = 8766, scenario: ResponsesScenario | None = None
) -> None:
    """Serve until interrupted; for ``python -m agentdash.fake_responses``."""
    state = ResponsesState(scenario or ResponsesScenario())
    serve_until_interrupted(create_app(state), host, port)
