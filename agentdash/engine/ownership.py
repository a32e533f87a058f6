"""Who runs the engine: an exclusive ``flock`` on ``<db>.lock``, never on the database file.

The kernel drops the lock when its process dies, ``kill -9`` included, so a crashed owner
never blocks a successor. (Locking the database file itself is forbidden: closing any other
descriptor of it would silently drop SQLite's own POSIX locks.)
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class EngineLock:
    """The engine lock of one database, held by at most one process."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def engine_running(database: Path) -> bool:
    """Whether some process holds the engine lock of ``database`` right now."""
    probe = EngineLock(database)
    if probe.try_acquire():
        probe.release()
        return False
    return True
