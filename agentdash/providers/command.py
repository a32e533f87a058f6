"""``type: command``: each job is a local command, run detached, its output read from files.

Create starts the command (see :mod:`agentdash.providers.command_proc`) with the prompt on
stdin or in an argument, in a run directory of its own under ``logs_dir``. The remote id is
``PID-STARTTIME-RUN``: enough for any later agentdash to find the process again, and to
tell it from a stranger that reuses the pid. Each poll reads the stdout written since the
byte offset in the cursor, whole lines only while the command runs; once it has ended, the
recorded exit status decides: 0 is completed, anything else failed with the tail of stderr.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import platformdirs

from agentdash.errors import AmbiguousCreateError, ConfigError, RejectedError
from agentdash.paths import APP, ensure_private_dir
from agentdash.providers import command_output as output
from agentdash.providers.base import CreateRequest, PollResult, ProviderContext, RemoteSession
from agentdash.providers.command_proc import (
    ProcessId,
    boot_id,
    exit_status,
    running_stat,
    spawn,
    terminate,
)
from agentdash.providers.command_settings import CommandSettings
from agentdash.providers.settings import ProviderSettings
from agentdash.sinks.template import render

_REMOTE_ID = re.compile(r"(\d+)-(\d+)-([A-Za-z0-9_.-]+)")


def default_logs_dir() -> Path:
    """``commands/`` under the platform data directory, beside the default database."""
    return platformdirs.user_data_path(APP) / "commands"


class CommandProvider:
    """A :class:`~agentdash.providers.base.Provider` for one ``type: command`` entry."""

    type_name: ClassVar[str] = "command"
    settings_model: ClassVar[type[ProviderSettings]] = CommandSettings
    can_list = False

    @classmethod
    def from_settings(
        cls, name: str, settings: ProviderSettings, context: ProviderContext
    ) -> CommandProvider:
        if not isinstance(settings, CommandSettings):
            raise ConfigError(f"provider {name!r}: expected command settings")
        return cls(name, settings, (settings.logs_dir or default_logs_dir()).expanduser())

    def __init__(self, name: str, settings: CommandSettings, logs_dir: Path) -> None:
        self.name = name
        self.settings = settings
        self.logs_dir = logs_dir

    def __repr__(self) -> str:
        return f"CommandProvider(name={self.name!r}, command={self.settings.command[0]!r})"

    async def aclose(self) -> None:
        """Nothing to release: the commands run on, and the next agentdash finds them."""

    async def create(self, request: CreateRequest) -> str:
        run = await asyncio.to_thread(self._prepare, request)
        argv = self._argv(request)
        env = {**os.environ, **self.settings.env}
        env |= {"AGENTDASH_JOB": request.job_name, "AGENTDASH_INTENT_ID": request.intent_id}
        cwd = (self.settings.workdir or Path.home()).expanduser()
        try:
            ident = await asyncio.to_thread(spawn, argv, run, cwd, env)
        except OSError as exc:
            raise RejectedError(f"could not start {argv[0]!r}: {exc.strerror or exc}") from None
        except (ValueError, subprocess.SubprocessError) as exc:
            raise AmbiguousCreateError(f"the command may have started: {exc}") from None
        (run / "boot_id").write_text(boot_id(), encoding="ascii")
        return f"{ident}-{run.name}"

    def _argv(self, request: CreateRequest) -> list[str]:
        filled = {
            "prompt": request.prompt,
            "job": request.job_name,
            "intent_id": request.intent_id,
            "title": request.title,
        }
        return [render(argument, filled, None) for argument in self.settings.command]

    def _prepare(self, request: CreateRequest) -> Path:
        """A fresh 0700 run directory, with the prompt as stdin (or an empty stdin)."""
        ensure_private_dir(self.logs_dir)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        job = re.sub(r"[^A-Za-z0-9_.-]", "_", request.job_name)[:40]
        run = self.logs_dir / f"{stamp}-{job}-{uuid.uuid4().hex[:8]}"
        run.mkdir(mode=0o700)
        stdin = request.prompt if self.settings.prompt_on_stdin else ""
        (run / "stdin").write_text(stdin, encoding="utf-8")
        (run / "intent_id").write_text(request.intent_id, encoding="ascii")
        return run

    async def poll(
        self, remote_id: str, cursor: Mapping[str, Any], *, fetch_output: bool = False
    ) -> PollResult:
        return await asyncio.to_thread(self._poll, remote_id, cursor)

    def _poll(self, remote_id: str, cursor: Mapping[str, Any]) -> PollResult:
        ident, run = self._locate(remote_id)
        code = exit_status(run)
        running = code is None and self._running(ident, run)
        if code is None and not running:
            code = exit_status(run)  # it may have ended between the two looks
        return output.poll_result(run, cursor, self.settings, running=running, code=code)

    async def cancel(self, remote_id: str) -> None:
        ident, run = self._locate(remote_id)
        stat = running_stat(ident) if self._same_boot(run) else None
        if stat is not None:
            await terminate(stat.pgrp, self.settings.cancel_grace)

    async def archive(self, remote_id: str) -> None:
        """Nothing to put away: the run directory stays for people to read."""

    async def list_sessions(self, since: datetime) -> list[RemoteSession]:
        return []

    def _locate(self, remote_id: str) -> tuple[ProcessId, Path]:
        match = _REMOTE_ID.fullmatch(remote_id)
        if match is None or match.group(3).startswith("."):
            raise RejectedError(f"{remote_id!r} is not a command job id")
        run = self.logs_dir / match.group(3)
        if not run.is_dir():
            raise RejectedError(f"the run directory {run} is gone (was logs_dir changed?)")
        return ProcessId(int(match.group(1)), int(match.group(2))), run

    def _running(self, ident: ProcessId, run: Path) -> bool:
        return self._same_boot(run) and running_stat(ident) is not None

    @staticmethod
    def _same_boot(run: Path) -> bool:
        try:
            recorded = (run / "boot_id").read_text(encoding="ascii").strip()
        except OSError:
            return True  # written just after the start; a poll may come first
        return recorded == boot_id()
