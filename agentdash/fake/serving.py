"""Serving a fake's ASGI app with uvicorn: in-process on the running loop, or until Ctrl-C.

In-process, uvicorn's ``startup``/``shutdown`` are driven directly instead of ``serve()``,
because ``serve()`` installs signal handlers and loops until a flag flips; a test wants
neither, and wants the kernel-chosen port (``port=0``) as soon as the socket is bound. Both
fakes (Managed Agents and background responses) are served this way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp


def server_config(
    app: ASGIApp, host: str, port: int, *, quiet: bool, log_level: str = "info"
) -> uvicorn.Config:
    """uvicorn settings for a fake: HTTP/1.1 only, no lifespan, quick graceful shutdown."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        http="h11",
        ws="none",
        log_level="warning" if quiet else log_level,
        access_log=not quiet,
        # In-process: leave the host application's logging configuration alone.
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=2,
    )


@asynccontextmanager
async def serving_in_process(
    app: ASGIApp, host: str, port: int, *, before_shutdown: Callable[[], None] | None = None
) -> AsyncIterator[int]:
    """Serve ``app`` on the running loop for the ``async with`` block; yields the bound port.

    ``before_shutdown`` runs first on exit (to tell open streams and hanging requests to
    finish), then uvicorn shuts down.
    """
    config = server_config(app, host, port, quiet=True)
    server = uvicorn.Server(config)
    config.load()
    server.lifespan = config.lifespan_class(config)
    await server.startup()
    if not server.started:  # pragma: no cover - startup exits the process on bind errors
        raise RuntimeError(f"could not start a server on {host}:{port}")
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield int(bound[1])
    finally:
        if before_shutdown is not None:
            before_shutdown()
        await server.shutdown()


def serve_until_interrupted(app: ASGIApp, host: str, port: int) -> None:
    """Serve ``app`` until Ctrl-C, logging requests; uvicorn prints the real port."""
    uvicorn.Server(server_config(app, host, port, quiet=False)).run()
