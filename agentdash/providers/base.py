"""The provider interface: what the engine needs from anything that runs agent jobs.

A provider starts a remote job (``create``), reports on it (``poll``), stops it (``cancel``)
and, when it can, lists what it created (``list_sessions``) so that a create whose outcome
was lost can be matched to its intent instead of being sent twice.

Providers never touch the database. What they must remember between polls (event cursors,
the last status seen) travels in an opaque JSON ``cursor`` that the engine stores on the job.
Errors are raised as the :mod:`agentdash.errors` tree, never as a library's own exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from agentdash.models import JobStatus, Usage


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """Everything a provider needs to start one job."""

    intent_id: str
    """Unique per job; stored with the remote job so a lost create can be found again."""
    job_name: str
    title: str
    prompt: str
    params: Mapping[str, Any] = field(default_factory=dict)
    """The job template's provider-specific keys (agent, environment, metadata...)."""


@dataclass(frozen=True, slots=True)
class RemoteSession:
    """A remote job as listed by the provider, for reconciliation."""

    remote_id: str
    created_at: datetime
    intent_id: str | None
    archived: bool = False


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll learnt about a job."""

    status: JobStatus
    """RUNNING, NEEDS_ACTION or a terminal state."""
    cursor: dict[str, Any]
    """The provider's state to hand back on the next poll."""
    changed: bool
    """Anything new since the last poll; the engine polls sooner after a change."""
    new_messages: tuple[str, ...] = ()
    """Agent text that arrived since the last poll, oldest first."""
    error: str | None = None
    """Why the job failed or what it waits for."""
    usage: Usage | None = None
    remote_status: str | None = None


@runtime_checkable
class Provider(Protocol):
    """An agent backend. Implementations live in ``agentdash.providers.<type>``."""

    name: str
    """The provider's name in config."""
    can_list: bool
    """Whether ``list_sessions`` works; without it ambiguous creates wait for a person."""

    async def create(self, request: CreateRequest) -> str:
        """Start the job and return its remote id. Never retried blindly by the provider.

        Raises:
            AmbiguousCreateError: the job may or may not exist remotely.
            TransientProviderError: certainly not created (e.g. 429); safe to try later.
            RejectedError: refused for good.
        """
        ...

    async def poll(
        self, remote_id: str, cursor: Mapping[str, Any], *, fetch_output: bool = False
    ) -> PollResult:
        """Report on the job; ``fetch_output`` asks for new output even if nothing changed."""
        ...

    async def cancel(self, remote_id: str) -> None:
        """Stop the job; the remote side may take a moment to settle."""
        ...

    async def list_sessions(self, since: datetime) -> list[RemoteSession]:
        """Remote jobs created at or after ``since``, archived ones included."""
        ...

    async def archive(self, remote_id: str) -> None:
        """Put a duplicate or finished remote job away."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
