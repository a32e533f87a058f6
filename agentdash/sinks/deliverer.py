"""The outbox deliverer: a service that sends due deliveries and records what happened.

Delivery guarantee: **at least once**. A delivery row is written in the same transaction
that ends its job, so no result is ever lost. It is marked delivered only after the sink
confirmed it; a crash (or ``kill -9``, or a stop) after a send but before that record means
the same delivery is sent again after the restart. Duplicates happen only then, only for
deliveries that were in flight at that moment, and every repeat carries the same
idempotency key (``<database instance>-<delivery id>``: the ``Idempotency-Key`` header of a
webhook, ``_meta["agentdash/idempotency-key"]`` of an MCP call, the file name of a file
sink), so a receiver that keeps keys can drop them.

Failed attempts are retried with full-jitter exponential backoff; after a sink's
``max_attempts`` (or at once, for errors retrying cannot fix) the row is parked as dead
with its last error, until someone re-delivers it. ``step`` only starts tasks (bounded per
sink) and returns; each task wakes the engine when it ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentdash.errors import StaleOwnerError
from agentdash.sinks.base import Parcel, PermanentSinkError, Sink, describe
from agentdash.sinks.registry import build_sink, policy_for, preload
from agentdash.store.outbox import Delivery, instance_id

if TYPE_CHECKING:
    from agentdash.engine.context import EngineContext

log = logging.getLogger(__name__)
BATCH = 64
"""Most due deliveries looked at per wake; a full batch asks for another wake at once."""


class Deliverer:
    """Sends pending outbox rows to their sinks, as tasks, a few per sink at a time."""

    name = "deliveries"

    def __init__(self) -> None:
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._per_sink: Counter[str] = Counter()
        self._sinks: dict[str, Sink] = {}
        self._instance: str | None = None

    async def step(self, ctx: EngineContext) -> datetime | None:
        if self._instance is None:
            self._instance = await instance_id(ctx.store.db)
        outbox = ctx.store.outbox
        now = ctx.now()
        due = await outbox.due(now, self._inflight.keys(), BATCH)
        started = 0
        for delivery in due:
            limit = policy_for(delivery.sink, ctx.config).max_concurrency
            if self._per_sink[delivery.sink] < limit:
                self._start(ctx, delivery)
                started += 1
        if len(due) == BATCH and started:
            return now
        return await outbox.next_due_after(now, self._inflight.keys())

    async def aclose(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sink in self._sinks.values():
            await sink.aclose()
        self._sinks.clear()

    def _start(self, ctx: EngineContext, delivery: Delivery) -> None:
        task = asyncio.create_task(self._deliver(ctx, delivery), name=f"delivery-{delivery.id}")
        self._inflight[delivery.id] = task
        self._per_sink[delivery.sink] += 1
        task.add_done_callback(lambda _: self._finished(ctx, delivery))

    def _finished(self, ctx: EngineContext, delivery: Delivery) -> None:
        self._inflight.pop(delivery.id, None)
        self._per_sink[delivery.sink] -= 1
        ctx.wake()

    async def _deliver(self, ctx: EngineContext, delivery: Delivery) -> None:
        try:
            await self._attempt(ctx, delivery)
        except StaleOwnerError as exc:
            log.error("delivery %s not recorded: %s", delivery.id, exc)
        except Exception:
            log.exception("delivery %s: unexpected error", delivery.id)

    async def _attempt(self, ctx: EngineContext, delivery: Delivery) -> None:
        outbox = ctx.store.outbox
        try:
            sink = await self._sink(ctx, delivery.sink)
            job = await ctx.store.jobs.get(delivery.job_id)
            if job is None:
                raise PermanentSinkError(f"job {delivery.job_id} no longer exists")
            async with asyncio.timeout(sink.policy.timeout):
                await sink.send(Parcel(delivery, job, f"{self._instance}-{delivery.id}"))
        except Exception as exc:
            await self._failed(ctx, delivery, exc)
            return
        await outbox.delivered(delivery.id, ctx.now(), epoch=ctx.epoch)
        log.info("delivered job %s to %s", delivery.job_id, delivery.sink)

    async def _failed(self, ctx: EngineContext, delivery: Delivery, exc: Exception) -> None:
        policy = policy_for(delivery.sink, ctx.config)
        attempts = delivery.attempts + 1
        error = describe(exc)
        retry_at: datetime | None = None
        if not isinstance(exc, PermanentSinkError) and not policy.gives_up(attempts):
            retry_at = ctx.now() + timedelta(seconds=policy.delay(attempts, ctx.rng))
        await ctx.store.outbox.failed(delivery.id, error, retry_at, epoch=ctx.epoch)
        outcome = f"retry at {retry_at:%H:%M:%S}" if retry_at else "parked as dead"
        log.warning(
            "delivery %s of job %s to %s failed (attempt %s): %s; %s",
            delivery.id, delivery.job_id, delivery.sink, attempts, error, outcome,
        )  # fmt: skip

    async def _sink(self, ctx: EngineContext, name: str) -> Sink:
        """The sink, built once; its client is imported off the loop the first time."""
        if name not in self._sinks:
            await preload(name, ctx.config)
            if name not in self._sinks:  # another task may have built it meanwhile
                self._sinks[name] = build_sink(name, ctx.config)
        return self._sinks[name]
