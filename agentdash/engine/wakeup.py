"""A doorbell for the engine owner: a Unix socket beside the database.

Another process that writes work for the owner (a queued job, a cancel or schedule flag)
rings it, so the owner acts within milliseconds without polling the database on a timer
while idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from pathlib import Path


def socket_path(database: Path) -> Path:
    return database.with_name(database.name + ".wake")


class Doorbell:
    """Listens on the socket and calls ``on_ring`` for every connection."""

    def __init__(self, database: Path, on_ring: Callable[[], None]) -> None:
        self.path = socket_path(database)
        self._on_ring = on_ring
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> bool:
        """Listen; False when the platform or path does not allow it (callers then poll)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a dead owner; we hold the engine lock now
        try:
            self._server = await asyncio.start_unix_server(self._handle, path=str(self.path))
        except (OSError, ValueError):
            return False
        os.chmod(self.path, 0o600)
        return True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._on_ring()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


def ring(database: Path) -> bool:
    """Wake the owner of ``database``; False when nobody listens."""
    path = socket_path(database)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True
