"""Config of ``type: command``: a local agent command (``claude -p``, ``codex exec``, a script).

The command is checked when the config loads: it must name an executable (found on
``PATH``, or a path, relative ones read from ``workdir``), so a typo is a config error naming
``command`` rather than a job that fails later. That check is a few ``stat`` calls.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from agentdash.providers.settings import Duration, ProviderSettings
from agentdash.sinks.template import TemplateError, check, tokens

PLACEHOLDERS = ("prompt", "job", "intent_id", "title")
"""What an argument of ``command`` may contain."""


class CommandSettings(ProviderSettings):
    """Runs each job as a detached local process and follows its output files."""

    type: Literal["command"] = "command"
    workdir: Path | None = None
    """Directory the command runs in; default: the home directory."""
    command: list[str] = Field(min_length=1)
    """The program and its arguments. ``{prompt}`` in an argument passes the prompt there;
    without it the prompt goes to the command's stdin. ``{job}``, ``{intent_id}`` and
    ``{title}`` are filled in too."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the command (added to agentdash's own)."""
    logs_dir: Path | None = None
    """Where each run's stdout, stderr and exit status are kept; default: ``commands/``
    under the platform data directory (``~/.local/share/agentdash/commands``)."""
    max_output: int = Field(default=1_000_000, gt=0)
    """Most bytes of stdout kept as the job's output and transcript (the file keeps all)."""
    stderr_tail: int = Field(default=2000, gt=0)
    """How many characters from the end of stderr explain a failure."""
    cancel_grace: Duration = 5.0
    """After SIGTERM to the process group, how long before SIGKILL."""

    @field_validator("workdir")
    @classmethod
    def _existing_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().is_dir():
            raise ValueError(f"{str(value)!r} is not a directory")
        return value

    @field_validator("command")
    @classmethod
    def _runnable(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for index, argument in enumerate(value):
            try:
                check(argument, PLACEHOLDERS, task=False)
            except TemplateError as exc:
                raise ValueError(f"argument {index}: {exc}") from None
        program = value[0]
        if "{" in program:
            raise ValueError("the program (first item) cannot contain placeholders")
        if executable(program, info.data.get("workdir"), os.environ.get("PATH")) is None:
            where = "a path to" if os.sep in program else "on PATH as"
            raise ValueError(f"{program!r} is not {where} an executable program")
        return value

    @model_validator(mode="after")
    def _grace_below_deadline(self) -> CommandSettings:
        if self.cancel_grace >= self.timeout:
            raise ValueError(
                f"cancel_grace ({self.cancel_grace:g}s) must be shorter than timeout "
                f"({self.timeout:g}s), the deadline of the whole cancel"
            )
        return self

    @property
    def prompt_on_stdin(self) -> bool:
        """True when no argument takes ``{prompt}``."""
        return not any("prompt" in tokens(argument) for argument in self.command)


def executable(program: str, workdir: Path | None, path: str | None) -> str | None:
    """The program's full path if it can be run, else None."""
    if os.sep in program:
        base = (workdir or Path.home()).expanduser()
        full = base / Path(program).expanduser()
        return str(full) if full.is_file() and os.access(full, os.X_OK) else None
    return shutil.which(program, path=path)
