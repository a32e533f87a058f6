"""Run the fake server: in-process on the current event loop for tests, or blocking for the CLI
(see :mod:`agentdash.fake.serving` for how)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette

from agentdash.fake.scenario import Scenario
from agentdash.fake.server import create_app
from agentdash.fake.serving import serve_until_interrupted, serving_in_process
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


@asynccontextmanager
async def running_fake(
    scenario: Scenario | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
) -> AsyncIterator[FakeServer]:
    """Serve the fake on the running loop for the duration of the ``async with`` block.

    ``port=0`` lets the OS pick a free port; read it from ``.port``/``.base_url``. On exit,
    open SSE streams and hanging requests are told to finish, then uvicorn shuts down.
    """
    state = FakeState(scenario)
    app = create_app(state=state)
    async with serving_in_process(app, host, port, before_shutdown=state.closing.set) as bound:
        yield FakeServer(host=host, port=bound, app=app, state=state)


def serve(host: str = "127.0.0.1", port: int = 8765, scenario: Scenario | None = None) -> None:
    """Serve the fake until interrupted (Ctrl-C); for ``agentdash fake-server``.

    uvicorn logs the URL it listens on (the real port, even for ``port=0``).
    """
    serve_until_interrupted(create_app(state=FakeState(scenario)), host, port)
