"""Config models of the task source types, kept light so loading a config opens no database.

``config.py`` validates each ``task_sources:`` entry with the model registered here for its
``type``. Table and column names end up inside SQL, so they must be plain identifiers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from agentdash.providers.settings import Duration, StrictModel

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TAG = re.compile(r"[^\s,]+")


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"expected a plain SQL name (letters, digits, _), got {value!r}")
    return value


def _tag(value: str | None) -> str | None:
    if value is not None and not _TAG.fullmatch(value):
        raise ValueError(f"a tag is one word without commas or spaces, got {value!r}")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]


class TaskColumns(StrictModel):
    """Names of the task table's columns, for tables that name them differently."""

    id: Identifier = "id"
    """Primary key of a task."""
    prompt: Identifier = "prompt"
    """Text of the task; ``{task.prompt}`` in the job's prompt."""
    tags: Identifier = "tags"
    """Comma-separated tags; only tasks carrying ``tag`` are claimed."""
    status: Identifier = "status"
    """``pending`` → ``claimed`` → ``done`` | ``failed``."""
    claimed_by: Identifier = "claimed_by"
    """Who claimed the task: ``host:pid/instance``."""
    claimed_at: Identifier = "claimed_at"
    """When the claim was made or last refreshed (ISO 8601, UTC)."""
    result: Identifier = "result"
    """The job's final output, or its error when it failed."""


class TaskSourceSettings(StrictModel):
    """Keys every task source type accepts."""

    type: str
    """Which task source implementation serves this entry."""
    job: str
    """Name of the job template each claimed task runs."""
    tag: Annotated[str | None, AfterValidator(_tag)] = None
    """Only tasks carrying this tag are claimed; unset: every pending task."""
    every: Duration = 300.0
    """How often to look for pending tasks."""
    max_claims: int = Field(default=5, ge=1, le=100)
    """Most tasks claimed per look."""
    lease: Duration = 3600.0
    """A claim not refreshed for this long (its claimer is gone) may be taken back."""

    @model_validator(mode="after")
    def _lease_outlives_looks(self) -> TaskSourceSettings:
        if self.lease < 2 * self.every:
            raise ValueError(
                "lease must be at least twice 'every': live claims are refreshed once per look"
            )
        return self


class SqliteTaskSourceSettings(TaskSourceSettings):
    """A table in any SQLite database file."""

    type: Literal["sqlite"] = "sqlite"
    path: Path
    """The SQLite database file; it must exist (agentdash never creates it)."""
    table: Identifier = "tasks"
    """The task table's name."""
    columns: TaskColumns = TaskColumns()
    """Column names, when they differ from the defaults."""


TASK_SOURCE_SETTINGS: dict[str, type[TaskSourceSettings]] = {
    "sqlite": SqliteTaskSourceSettings,
}
"""Task source ``type`` → the model its config entry is validated with."""
