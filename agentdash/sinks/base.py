"""What a sink is: somewhere a finished job's result is sent, once per outbox row.

A sink's ``send`` returns when the receiver has the result and raises :class:`SinkError`
otherwise; :class:`PermanentSinkError` when retrying cannot help (a template naming a column
the task lacks, a task row that is no longer ours), so the row is parked at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Protocol

from agentdash.clock import utc_iso
from agentdash.errors import SinkError
from agentdash.models import Job
from agentdash.sinks.settings import SinkSettings
from agentdash.sinks.template import render
from agentdash.store.outbox import Delivery


class PermanentSinkError(SinkError):
    """A delivery that can never succeed as configured; it is parked as dead at once."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a sink's deliveries are paced and retried."""

    max_attempts: int | None
    """Attempts before a delivery is dead; None retries until it succeeds."""
    backoff: float
    max_backoff: float
    timeout: float
    """Overall deadline of one attempt."""
    max_concurrency: int

    @classmethod
    def of(cls, settings: SinkSettings) -> RetryPolicy:
        return cls(
            settings.max_attempts,
            settings.backoff,
            settings.max_backoff,
            settings.timeout,
            settings.max_concurrency,
        )

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempts-1))], so retries spread out."""
        ceiling = min(self.max_backoff, self.backoff * 2 ** min(max(attempts - 1, 0), 30))
        return rng.uniform(0, ceiling)

    def gives_up(self, attempts: int) -> bool:
        return self.max_attempts is not None and attempts >= self.max_attempts


@dataclass(frozen=True, slots=True)
class Parcel:
    """One delivery with everything a sink needs: the row, the full job, the idempotency key."""

    delivery: Delivery
    job: Job
    key: str
    """Stable across retries and restarts: ``<database instance>-<delivery id>``."""

    @property
    def task(self) -> dict[str, Any] | None:
        task = self.job.context.get("task")
        return task if isinstance(task, dict) else None

    def values(self) -> dict[str, str]:
        """The plain placeholders of a template (``{task.*}`` comes from :attr:`task`)."""
        job = self.job
        return {
            "job": job.job,
            "id": str(job.id),
            "status": job.status.value,
            "output": job.output or "",
            "error": job.error or "",
            "finished_at": utc_iso(job.finished_at) or "",
            "schedule": _schedule_of(job),
            "origin": job.origin,
            "prompt": job.prompt,
            "idempotency_key": self.key,
        }

    def render(self, text: str) -> str:
        """``text`` with its placeholders filled in.

        Raises:
            PermanentSinkError: the template names a task column this job does not have.
        """
        try:
            return render(text, self.values(), self.task)
        except ValueError as exc:
            raise PermanentSinkError(f"template: {exc}") from None


class Sink(Protocol):
    """Somewhere results go."""

    policy: RetryPolicy

    async def send(self, parcel: Parcel) -> None:
        """Deliver, or raise :class:`SinkError` saying why not."""
        ...

    async def aclose(self) -> None:
        """Close connections; called when the engine stops."""
        ...


def describe(exc: BaseException) -> str:
    """One line for a person: the innermost meaningful error, never an empty string."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    if isinstance(exc, SinkError) and text:
        return text
    if isinstance(exc, TimeoutError):
        return "timed out"
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def _schedule_of(job: Job) -> str:
    name = job.context.get("schedule")
    if isinstance(name, str):
        return name
    if job.origin.startswith("schedule:"):
        return job.origin.removeprefix("schedule:").split("@", 1)[0]
    return ""
