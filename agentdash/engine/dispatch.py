"""Sending a queued job to its provider, and repairing dispatches whose outcome was lost.

The intent id is committed before the create call and travels in the remote session's
metadata. If the answer to the create is lost (timeout, reset, 5xx, garbage), the job goes
to ``unknown`` and is never re-sent blindly: :func:`reconcile` lists the provider's
sessions and links the one carrying the intent, or re-sends only when none exists after the
lease timeout plus clock skew has passed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from agentdash.engine.context import EngineContext
from agentdash.errors import (
    AmbiguousCreateError,
    ConfigError,
    RejectedError,
    TransientProviderError,
)
from agentdash.models import Job as JobRecord
from agentdash.models import JobStatus
from agentdash.providers.base import CreateRequest

log = logging.getLogger(__name__)
FIRST_POLL_DELAY = 2.0
"""Seconds after a create before the first poll: long enough for the turn to start."""


async def dispatch(ctx: EngineContext, job: JobRecord) -> None:
    """queued → dispatching → running (or unknown, queued again, failed)."""
    template = ctx.config.jobs.get(job.job)
    provider = ctx.providers.get(job.provider)
    if template is None or provider is None:
        reason = _unavailable(ctx, job)
        await ctx.update(job, _failed(ctx, reason), only_if=[JobStatus.QUEUED])
        return
    started = await ctx.store.jobs.begin_dispatch(job.id, uuid.uuid4().hex, ctx.now(), ctx.epoch)
    if started is None:
        return  # cancelled or taken meanwhile
    assert started.intent_id is not None
    request = CreateRequest(
        intent_id=started.intent_id,
        job_name=job.job,
        title=template.title or f"{job.job} #{job.id}",
        prompt=job.prompt,
        params={
            "agent": template.agent,
            "environment": template.environment,
            "metadata": dict(template.metadata),
        },
    )
    try:
        async with asyncio.timeout(ctx.timeout_for(job.provider)):
            remote_id = await provider.create(request)
    except TransientProviderError as exc:
        await _retry_later(ctx, started, str(exc), exc.retry_after)
        return
    except RejectedError as exc:
        await ctx.update(started, _failed(ctx, str(exc)), only_if=[JobStatus.DISPATCHING])
        return
    except Exception as exc:  # ambiguous: timeouts, resets, 5xx, garbage, our own bugs
        reason = _ambiguous_reason(exc, ctx.timeout_for(job.provider))
        log.warning("job %s: create outcome unknown: %s", job.id, reason)
        await ctx.update(
            started,
            {"status": JobStatus.UNKNOWN, "last_error": reason, "next_poll_at": ctx.now()},
            only_if=[JobStatus.DISPATCHING],
        )
        return
    await link(ctx, started, remote_id)


async def link(ctx: EngineContext, job: JobRecord, remote_id: str) -> None:
    """Record the remote session: the job is running and will be polled shortly."""
    await ctx.update(
        job,
        {
            "status": JobStatus.RUNNING,
            "remote_id": remote_id,
            "dispatched_at": ctx.now(),
            "next_poll_at": ctx.later(min(FIRST_POLL_DELAY, ctx.config.poll.interval)),
            "poll_interval": ctx.config.poll.interval,
            "last_error": None,
            "consecutive_errors": 0,
        },
        only_if=[JobStatus.DISPATCHING, JobStatus.UNKNOWN],
    )


async def reconcile(ctx: EngineContext, job: JobRecord) -> None:
    """Settle a ``dispatching``/``unknown`` job by looking for its intent remotely."""
    provider = ctx.providers.get(job.provider)
    if provider is None:
        await ctx.update(job, {"last_error": _unavailable(ctx, job), "next_poll_at": ctx.later(60)})
        return
    if not provider.can_list:
        await ctx.update(
            job,
            {
                "status": JobStatus.NEEDS_ACTION,
                "error": f"the create call's outcome is unknown and provider {job.provider!r} "
                "cannot list its jobs: check it by hand, then cancel or re-run this job",
            },
        )
        return
    intent_at = job.intent_at or job.created_at
    skew = ctx.config.engine.clock_skew
    try:
        async with asyncio.timeout(ctx.timeout_for(job.provider) * 3):
            sessions = await provider.list_sessions(intent_at - timedelta(seconds=skew))
    except (TransientProviderError, TimeoutError, RejectedError) as exc:
        errors = job.consecutive_errors + 1
        await ctx.update(
            job,
            {
                "consecutive_errors": errors,
                "last_error": f"reconcile: {exc or 'timed out'}",
                "next_poll_at": ctx.later(min(60.0, 2.0 * errors)),
            },
        )
        return
    matches = sorted(
        (s for s in sessions if s.intent_id == job.intent_id), key=lambda s: s.created_at
    )
    if matches:
        await _link_oldest(ctx, job, [m.remote_id for m in matches])
        return
    waited = (ctx.now() - intent_at).total_seconds()
    grace = ctx.config.engine.lease_ttl + skew
    if waited < grace:
        await ctx.update(job, {"next_poll_at": ctx.later(grace - waited)})
        return
    log.info("job %s: no session carries intent %s; sending it again", job.id, job.intent_id)
    await ctx.update(
        job,
        {"status": JobStatus.QUEUED, "next_poll_at": ctx.now()},
        only_if=[JobStatus.DISPATCHING, JobStatus.UNKNOWN],
    )


async def _link_oldest(ctx: EngineContext, job: JobRecord, remote_ids: list[str]) -> None:
    keep, extra = remote_ids[0], remote_ids[1:]
    await link(ctx, job, keep)
    if not extra:
        return
    provider = ctx.providers[job.provider]
    for remote_id in extra:
        try:
            await provider.archive(remote_id)
        except Exception as exc:  # a leftover duplicate is shown, never fatal
            log.warning("job %s: could not archive duplicate %s: %s", job.id, remote_id, exc)
    note = f"found {len(remote_ids)} sessions for one dispatch; kept {keep}, archived the rest"
    log.warning("job %s: %s", job.id, note)
    await ctx.update(job, {"last_error": note})


async def _retry_later(
    ctx: EngineContext, job: JobRecord, reason: str, retry_after: float | None
) -> None:
    if job.dispatch_attempts >= ctx.config.engine.max_dispatch_attempts:
        await ctx.update(
            job,
            _failed(ctx, f"gave up after {job.dispatch_attempts} attempts: {reason}"),
            only_if=[JobStatus.DISPATCHING],
        )
        return
    delay = max(retry_after or 0.0, 2.0 * job.dispatch_attempts)
    await ctx.update(
        job,
        {"status": JobStatus.QUEUED, "last_error": reason, "next_poll_at": ctx.later(delay)},
        only_if=[JobStatus.DISPATCHING],
    )


def _failed(ctx: EngineContext, reason: str) -> dict[str, object]:
    return {
        "status": JobStatus.FAILED,
        "error": reason,
        "finished_at": ctx.now(),
        "next_poll_at": None,
    }


def _unavailable(ctx: EngineContext, job: JobRecord) -> str:
    if job.job not in ctx.config.jobs:
        return f"job template {job.job!r} is not in the config"
    return ctx.provider_errors.get(job.provider, f"provider {job.provider!r} is not in the config")


def _ambiguous_reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"create: no answer within {timeout:g}s; checking whether the session exists"
    if isinstance(exc, AmbiguousCreateError | ConfigError):
        return f"create: {exc}; checking whether the session exists"
    return f"create: {type(exc).__name__}: {exc}; checking whether the session exists"
