"""Leaving the dashboard for a moment: ``$EDITOR``/``$PAGER`` on a job's output, and saving it.

The external program runs as a subprocess while the app is suspended; the event loop keeps
running, so the engine goes on polling (and output meanwhile is simply not drawn).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from textual.app import App

Runner = Callable[[list[str]], Awaitable[int]]
"""Runs a command with the terminal handed over; returns its exit status."""


def viewer_command(path: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """``$EDITOR``, else ``$PAGER``, else ``less``, with the file appended."""
    env = os.environ if env is None else env
    command = env.get("EDITOR") or env.get("VISUAL") or env.get("PAGER") or "less"
    return [*shlex.split(command), str(path)]


def write_private_temp(text: str, name: str) -> Path:
    """A 0600 temporary file holding ``text`` (agent output may be private)."""
    fd, raw = tempfile.mkstemp(prefix=f"agentdash-{name}-", suffix=".md")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(raw)


def save_new(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, never over an existing file (raises FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)


def suspended_runner(app: App[Any]) -> Runner:
    """The real runner: suspend the app, run the command, come back."""

    async def run(argv: list[str]) -> int:
        with app.suspend():
            process = await asyncio.create_subprocess_exec(*argv)
            return await process.wait()

    return run
