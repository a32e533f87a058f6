"""What every engine step needs, in one object: store, config, providers, clock, epoch."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agentdash.clock import Clock
from agentdash.config import Config
from agentdash.engine.pacing import Pacer
from agentdash.models import Job, JobStatus
from agentdash.providers.base import Provider
from agentdash.store import Store
from agentdash.text import safe_text

JobListener = Callable[[Job], None]
_UNTRUSTED = frozenset({"output", "error", "last_error", "remote_status"})
"""Columns holding text from a provider: made safe before they are stored."""


@dataclass
class EngineContext:
    """Shared state of one running engine."""

    store: Store
    config: Config
    providers: Mapping[str, Provider]
    pacers: Mapping[str, Pacer]
    clock: Clock
    epoch: int = 0
    rng: random.Random = field(default_factory=random.Random)
    listeners: list[JobListener] = field(default_factory=list)
    provider_errors: dict[str, str] = field(default_factory=dict)
    """Providers that could not be built (e.g. a missing key), with the reason."""
    wake: Callable[[], None] = lambda: None
    """Makes the engine loop look for work now; services call it when a task finishes."""

    def now(self) -> datetime:
        return self.clock.now()

    def later(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)

    def sinks_for(self, job: Job) -> list[str]:
        """Where the job's result goes: its template's sinks, and its task's source."""
        template = self.config.jobs.get(job.job)
        sinks = list(template.sinks) if template else []
        if job.origin.startswith("task:"):
            sinks.append("task:" + job.origin.split(":")[1])
        return sinks

    def timeout_for(self, provider: str) -> float:
        settings = self.config.providers.get(provider)
        return settings.timeout if settings else 60.0

    async def update(self, job: Job, fields: Mapping[str, Any], **kwargs: Any) -> Job | None:
        """Write a fenced change to ``job`` and tell the listeners.

        A change to a terminal state queues the job's deliveries in the same transaction.
        """
        status = fields.get("status")
        now = self.now()
        if isinstance(status, JobStatus) and status.is_terminal:
            kwargs.setdefault("deliveries", self.sinks_for(job))
            kwargs.setdefault("queued_at", now)
        fields = {k: safe_text(v) if k in _UNTRUSTED and isinstance(v, str) else v
                  for k, v in fields.items()}  # fmt: skip
        if kwargs.get("append_transcript"):
            kwargs["append_transcript"] = safe_text(kwargs["append_transcript"])
        changed = await self.store.jobs.update(
            job.id, {**fields, "updated_at": now}, epoch=self.epoch, **kwargs
        )
        if changed is not None:
            for listener in self.listeners:
                listener(changed)
        return changed
