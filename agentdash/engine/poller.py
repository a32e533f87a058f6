"""Polling one running job and committing what the poll learnt.

A poll never drops a job: transient failures (rate limits, overload, timeouts, malformed
answers) are counted on the job, shown as its last error, and retried with back-off; only a
provider's definite "this job no longer exists" ends it as failed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from agentdash.engine.context import EngineContext
from agentdash.engine.timing import backoff, jittered, next_interval
from agentdash.errors import ProviderError, RejectedError
from agentdash.models import ACTIVE, Job, JobStatus

log = logging.getLogger(__name__)
_POLLED = [JobStatus.RUNNING, JobStatus.NEEDS_ACTION]


async def poll(ctx: EngineContext, job: Job, *, fetch_output: bool = False) -> None:
    """One poll of ``job``; the result (or the failure) is committed before returning."""
    provider = ctx.providers.get(job.provider)
    if provider is None or job.remote_id is None:
        reason = ctx.provider_errors.get(job.provider, f"provider {job.provider!r} unavailable")
        await _failure(ctx, job, reason, None)
        return
    cursor = await ctx.store.jobs.cursor(job.id)
    try:
        async with asyncio.timeout(ctx.timeout_for(job.provider)):
            result = await provider.poll(job.remote_id, cursor, fetch_output=fetch_output)
    except RejectedError as exc:
        await ctx.update(job, _ended(ctx, JobStatus.FAILED, str(exc)), only_if=_POLLED)
        return
    except ProviderError as exc:
        await _failure(ctx, job, str(exc), exc.retry_after)
        return
    except TimeoutError:
        await _failure(ctx, job, f"no answer within {ctx.timeout_for(job.provider):g}s", None)
        return
    except Exception as exc:  # a provider bug must not stop the loop or lose the job
        log.exception("job %s: poll failed", job.id)
        await _failure(ctx, job, f"{type(exc).__name__}: {exc}", None)
        return
    fields: dict[str, Any] = {
        "cursor": result.cursor,
        "remote_status": result.remote_status,
        "poll_count": job.poll_count + 1,
        "consecutive_errors": 0,
        "last_error": None,
    }
    if result.usage is not None:
        fields["usage"] = result.usage.as_dict()
    if result.new_messages:
        fields["output"] = result.new_messages[-1]
    if result.output is not None:  # the provider knows the whole output better than its tail
        fields["output"] = result.output
    if result.status.is_terminal:
        fields.update(_ended(ctx, result.status, result.error))
    else:
        interval = next_interval(job.poll_interval, result.changed, ctx.config.poll)
        fields.update(
            status=result.status,
            error=result.error,
            poll_interval=interval,
            next_poll_at=ctx.later(jittered(interval, ctx.config.poll, ctx.rng)),
        )
    transcript = "\n\n".join(result.new_messages) or None
    await ctx.update(job, fields, only_if=_POLLED, append_transcript=transcript)


async def _failure(ctx: EngineContext, job: Job, reason: str, retry_after: float | None) -> None:
    errors = job.consecutive_errors + 1
    delay = backoff(errors, ctx.config.poll, ctx.rng, retry_after)
    await ctx.update(
        job,
        {"consecutive_errors": errors, "last_error": reason, "next_poll_at": ctx.later(delay)},
        only_if=list(ACTIVE),
    )


def _ended(ctx: EngineContext, status: JobStatus, error: str | None) -> dict[str, Any]:
    return {"status": status, "error": error, "finished_at": ctx.now(), "next_poll_at": None}
