"""Cancelling a job: a durable request flag that the engine owner carries out.

Any process may set the flag (it is a plain write, safe from followers); only the owner
talks to the provider. A job whose create is still in doubt is reconciled first, so a
session that does exist is found and stopped rather than left running.
"""

from __future__ import annotations

import asyncio

from agentdash.engine.context import EngineContext
from agentdash.engine.timing import backoff
from agentdash.errors import ProviderError, RejectedError
from agentdash.models import ACTIVE, Job, JobStatus


async def carry_out_cancel(ctx: EngineContext, job: Job) -> None:
    """Stop ``job`` remotely if it runs, then mark it cancelled (once)."""
    if job.status is JobStatus.QUEUED or job.remote_id is None:
        await _mark_cancelled(ctx, job, None)
        return
    provider = ctx.providers.get(job.provider)
    if provider is None:
        await _mark_cancelled(ctx, job, "cancelled locally; the provider was unavailable")
        return
    try:
        async with asyncio.timeout(ctx.timeout_for(job.provider)):
            await provider.cancel(job.remote_id)
    except RejectedError as exc:
        await _mark_cancelled(ctx, job, f"cancelled locally; the provider said: {exc}")
    except (ProviderError, TimeoutError) as exc:
        errors = job.consecutive_errors + 1
        await ctx.update(
            job,
            {
                "consecutive_errors": errors,
                "last_error": f"cancel: {exc or 'timed out'}; retrying",
                "next_poll_at": ctx.later(backoff(errors, ctx.config.poll, ctx.rng, None)),
            },
        )
    else:
        await _mark_cancelled(ctx, job, None)


async def _mark_cancelled(ctx: EngineContext, job: Job, note: str | None) -> None:
    await ctx.update(
        job,
        {
            "status": JobStatus.CANCELLED,
            "finished_at": ctx.now(),
            "next_poll_at": None,
            "last_error": note,
            "error": None,
            "cancel_requested": False,
        },
        only_if=list(ACTIVE),
    )
