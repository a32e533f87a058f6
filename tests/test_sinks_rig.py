"""Real servers on loopback for the sink and outbox tests (this module holds no tests).

- :func:`notes_server`: an MCP server built from the SDK's own ``MCPServer``, served by
  uvicorn, answering in SSE (the SDK default) or JSON; it records every tool call with its
  ``_meta`` and the ``Authorization`` header, and has a tool that always reports isError.
- :func:`webhook_server`: a Starlette receiver that records idempotency keys and bodies and
  can fail, or hold each request open for a while (to be caught mid-delivery by a kill).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentdash.config import parse_config
from agentdash.control import Control
from agentdash.engine.engine import Engine
from agentdash.fake import Scenario, running_fake
from agentdash.models import Job, JobStatus
from agentdash.runtime import build_providers
from agentdash.sinks.base import Parcel
from agentdash.store import Store
from agentdash.store.outbox import Delivery, DeliveryStatus

from .conftest import SENTINEL_KEY
from .helpers import Rig


@asynccontextmanager
async def serving(app: ASGIApp, *, lifespan: str = "on") -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 with a kernel-chosen port; yields ``http://127.0.0.1:PORT``."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan=lifespan,  # type: ignore[arg-type]
        log_level="warning",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    config.load()
    server.lifespan = config.lifespan_class(config)
    await server.startup()
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.shutdown()


@dataclass
class Notes:
    """What the MCP notes server saw."""

    url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    post_types: set[str] = field(default_factory=set)
    """Media types of the answers to POSTs: proof of which framing the client had to read."""
    legacy_only: bool = False
    """Refuse the 2026 ``server/discover`` probe, like a server that predates it."""


class _Record:
    """ASGI middleware: note each request's Authorization and each answer's media type."""

    def __init__(self, app: ASGIApp, notes: Notes) -> None:
        self.app, self.notes = app, notes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        value = headers.get(b"authorization")
        self.notes.auth.append(value.decode() if value else None)
        if self.notes.legacy_only and headers.get(b"mcp-method") == b"server/discover":
            refusal = {"jsonrpc": "2.0", "id": None, "error": {"code": -32601, "message": "no"}}
            return await JSONResponse(refusal, status_code=400)(scope, receive, send)

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["method"] == "POST":
                kind = dict(message.get("headers", [])).get(b"content-type", b"")
                if kind:
                    self.notes.post_types.add(kind.decode().split(";")[0])
            await send(message)

        await self.app(scope, receive, noting)


@asynccontextmanager
async def notes_server(*, json_response: bool, legacy_only: bool = False) -> AsyncIterator[Notes]:
    """The SDK's MCPServer with ``save_note`` (records) and ``reject_note`` (isError)."""
    notes = Notes(legacy_only=legacy_only)
    server = MCPServer("notes", log_level="WARNING")

    @server.tool()
    async def save_note(title: str, body: str, ctx: Context) -> str:
        meta = dict(ctx.request_context.meta or {})
        notes.calls.append({"title": title, "body": body, "meta": meta})
        return f"saved {title}"

    @server.tool()
    async def reject_note(title: str, body: str) -> str:
        raise ToolError(f"notes are read-only today ({title})")

    app = server.streamable_http_app(json_response=json_response)
    async with serving(_Record(app, notes)) as base:
        notes.url = f"{base}/mcp"
        yield notes


@dataclass
class Hooks:
    """What the webhook receiver saw, and how it behaves."""

    url: str = ""
    received: list[tuple[str | None, Any]] = field(default_factory=list)
    """(idempotency key, JSON body) in arrival order."""
    answered: list[str | None] = field(default_factory=list)
    """Keys whose request got its 200 back."""
    fail_next: int = 0
    """Answer this many requests with a 503."""
    hold: float = 0.0
    """Seconds each request is held before it is answered."""
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, check: Callable[[Hooks], bool]) -> None:
        """Return once ``check(self)`` holds; it is re-checked after every request event."""
        while not check(self):
            self.changed.clear()
            await self.changed.wait()

    @property
    def keys(self) -> list[str | None]:
        return [key for key, _ in self.received]

    @property
    def in_flight(self) -> set[str | None]:
        return set(self.keys) - set(self.answered)


@asynccontextmanager
async def webhook_server() -> AsyncIterator[Hooks]:
    hooks = Hooks()

    async def receive(request: Request) -> Response:
        key = request.headers.get("idempotency-key")
        hooks.received.append((key, json.loads(await request.body())))
        hooks.changed.set()
        if hooks.fail_next > 0:
            hooks.fail_next -= 1
            return JSONResponse({"error": "try later"}, status_code=503)
        if hooks.hold:
            await asyncio.sleep(hooks.hold)
        hooks.answered.append(key)
        hooks.changed.set()
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hook", receive, methods=["POST"])])
    async with serving(app, lifespan="off") as base:
        hooks.url = f"{base}/hook"
        yield hooks


def parcel(
    *,
    output: str = "All good",
    status: JobStatus = JobStatus.COMPLETED,
    context: dict[str, Any] | None = None,
    key: str = "inst-1",
) -> Parcel:
    """A finished job and its delivery, as the deliverer hands them to a sink."""
    now = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    job = Job(
        id=7, job="reviewer", provider="p", status=status, origin="schedule:daily@2026-05-04",
        prompt="Review", created_at=now, finished_at=now, output=output,
        error=None if status is JobStatus.COMPLETED else "it broke", context=context or {},
    )  # fmt: skip
    delivery = Delivery(
        id=1, job_id=7, job="reviewer", sink="s", status=DeliveryStatus.PENDING, attempts=0,
        next_attempt_at=now, last_error=None, created_at=now, delivered_at=None,
    )  # fmt: skip
    return Parcel(delivery, job, key)


ENGINE_CONFIG = """
poll: {{interval: 100ms, max_interval: 500ms, max_backoff: 1s}}
engine: {{lease_ttl: 5s, clock_skew: 1s}}
providers:
  fake: {{type: anthropic, api_key_env: FAKE_KEY, base_url: "{base_url}",
          requests_per_minute: 6000}}
"""
"""Provider and timing; each test appends its own ``jobs:``, ``sinks:`` and ``task_sources:``."""


@asynccontextmanager
async def engine_rig(
    tmp_path: Path, config_yaml: str, scenario: Scenario | None = None
) -> AsyncIterator[Rig]:
    """The real engine (with every service) on the fake Managed Agents server."""
    async with running_fake(scenario or Scenario(turn_seconds=0.2)) as fake:
        text = ENGINE_CONFIG.format(base_url=fake.base_url) + config_yaml
        config = parse_config(text, Path("test.yaml"), {})
        providers = build_providers(config, env={"FAKE_KEY": SENTINEL_KEY})
        store = await Store.open(tmp_path / "db" / "agentdash.db")
        engine = Engine(store, config, providers.providers, providers.pacers)
        try:
            assert await engine.acquire()
            yield Rig(fake, store, engine, Control(store, config, wake=engine.wake), providers)
        finally:
            await engine.release()
            await providers.aclose()
            await store.close()


async def run_until(
    engine: Engine, done: Callable[[], Awaitable[bool]], within: float = 20.0
) -> None:
    """Run the engine loop until ``done()`` holds (checked every 50 ms), at most ``within`` s."""
    stop = asyncio.Event()
    runner = asyncio.create_task(engine.run(stop))
    try:
        async with asyncio.timeout(within):
            while not await done():
                if runner.done():
                    runner.result()
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await runner
