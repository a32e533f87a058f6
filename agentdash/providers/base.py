"""The provider interface: what the engine needs from anything that runs agent jobs.

This module is the one place the interface is documented. A provider starts a job
(``create``), reports on it (``poll``, which also fetches new output), stops it (``cancel``)
and, when it can, lists what it created (``list_sessions``) so that a create whose outcome
was lost can be matched to its intent instead of being sent twice. A provider that can also
push results as they happen implements :class:`LiveProvider` on top.

Rules every provider follows:

- **No database.** What a provider must remember between polls (event cursors, byte
  offsets, the last status seen) travels in an opaque JSON ``cursor`` that the engine
  stores on the job and hands back on the next poll, even in another process after a
  restart. The remote id alone must be enough to find the job again.
- **No retries.** The engine applies the overall deadline (``asyncio.timeout``), the request
  budget and every retry with back-off; a provider makes one attempt and reports how it went.
- **One exception tree.** Failures are raised as :mod:`agentdash.errors`, never as a
  library's own exceptions: :class:`~agentdash.errors.TransientProviderError` (try again
  later, with ``retry_after`` when the remote said), :class:`~agentdash.errors.RejectedError`
  (final), and for ``create`` only :class:`~agentdash.errors.AmbiguousCreateError` (the job
  may exist: the engine reconciles instead of re-sending).

Adding a provider type: a package declares an entry point in the ``agentdash.providers``
group naming a class that satisfies :class:`ProviderType`: ``type_name`` (the config
``type:``), ``settings_model`` (a :class:`~agentdash.providers.settings.ProviderSettings`
subclass that validates its ``providers:`` entry) and ``from_settings`` (builds the provider).
The built-in types register the same way. Keep the settings model in a light module: config
loading imports it, and must not pull in an HTTP SDK.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from agentdash.models import JobStatus, Usage

if TYPE_CHECKING:
    import httpx2

    from agentdash.engine.pacing import Pacer
    from agentdash.providers.settings import ProviderSettings

ENTRY_POINT_GROUP = "agentdash.providers"
"""The entry-point group provider types register in."""


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
    output: str | None = None
    """The job's whole result text, when the provider knows it (a command's stdout, an HTTP
    job's final text). Output that arrives in pieces cannot be rebuilt from the last piece,
    so this, when set, is the job's output rather than ``new_messages[-1]``."""


@runtime_checkable
class Provider(Protocol):
    """An agent backend, built by its :class:`ProviderType` from one ``providers:`` entry."""

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
        """Report on the job and return output that arrived since ``cursor``.

        ``fetch_output`` asks for new output even when the status did not change (the job
        is on screen). Raises TransientProviderError for anything worth another poll, and
        RejectedError only when the job is certainly gone.
        """
        ...

    async def cancel(self, remote_id: str) -> None:
        """Stop the job; the remote side may take a moment to settle.

        RejectedError means it cannot be stopped remotely (the engine then cancels locally).
        """
        ...

    async def list_sessions(self, since: datetime) -> list[RemoteSession]:
        """Remote jobs created at or after ``since``, archived ones included."""
        ...

    async def archive(self, remote_id: str) -> None:
        """Put a duplicate or finished remote job away (a no-op where nothing is kept)."""
        ...

    async def aclose(self) -> None:
        """Release connections; jobs keep running remotely."""
        ...


@runtime_checkable
class LiveProvider(Provider, Protocol):
    """Optional: a provider that can push a job's progress while it is on screen.

    The engine still polls; a live stream only makes the job on screen update sooner, and
    polling takes over whenever the stream ends or fails.
    """

    def follow(self, remote_id: str, cursor: Mapping[str, Any]) -> AsyncIterator[PollResult]:
        """Yield a result whenever something changes, until the job ends or the stream drops."""
        ...


@dataclass(frozen=True, slots=True)
class ProviderContext:
    """What the registry hands a provider type when it builds a provider."""

    pacer: Pacer
    """The provider's request budget; every HTTP request must pass it."""
    env: Mapping[str, str]
    """The environment to read secrets from (``api_key_env``)."""
    http_client: Callable[[], httpx2.AsyncClient]
    """Makes an HTTP client wired to ``pacer``; a provider that talks HTTP must use it."""


class ProviderType(Protocol):
    """What an ``agentdash.providers`` entry point names: a provider class and its config."""

    type_name: ClassVar[str]
    """The ``type:`` value in config that selects this provider."""
    settings_model: ClassVar[type[ProviderSettings]]
    """Validates a ``providers:`` entry of this type (kept in a light module)."""

    @classmethod
    def from_settings(
        cls, name: str, settings: ProviderSettings, context: ProviderContext
    ) -> Provider:
        """Build the provider for the entry ``name``.

        Raises:
            ConfigError: the entry cannot be used here (e.g. its API key variable is unset).
        """
        ...
