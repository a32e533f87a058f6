"""``dispatch``, ``cancel``, ``jobs`` and ``show``: the job commands of the CLI contract."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass

from agentdash.commands.render import dumps, job_detail, job_json, job_table
from agentdash.commands.session import open_store, owner_or_follower
from agentdash.control import Control
from agentdash.errors import AgentdashError, ConfigError
from agentdash.models import Job, JobStatus
from agentdash.runtime import Settings
from agentdash.store import Store
from agentdash.text import safe_text

WAIT_POLL = 0.5
"""Seconds between database reads while a follower waits for another engine to finish a job."""


@dataclass(frozen=True)
class DispatchArgs:
    job: str
    prompt: str | None
    wait: bool
    json: bool


async def dispatch_command(settings: Settings, args: DispatchArgs) -> int:
    """Queue a job; run the engine if no other process does, for as long as the job needs."""
    template = settings.config.jobs.get(args.job)
    if template is None:
        raise ConfigError(_unknown_job(args.job, list(settings.config.jobs), settings))
    async with (
        open_store(settings) as store,
        owner_or_follower(settings, store, required=template.provider) as engine,
    ):
        control = Control(store, settings.config, wake=engine.wake if engine else None)
        job = await control.dispatch(args.job, args.prompt)
        done = _ended if args.wait else _sent
        if engine is not None:
            final = await engine.run_until(job.id, done)
        else:
            final = await _follow(store, job.id, done if args.wait else _accepted)
    _print_job(final, args.json, with_output=args.wait)
    if args.wait:
        return 0 if final.status is JobStatus.COMPLETED else 1
    return 0 if final.status is not JobStatus.FAILED else 1


async def cancel_command(settings: Settings, job_id: int, as_json: bool) -> int:
    """Ask for a cancel; the engine owner (this process if there is none) carries it out."""
    async with (
        open_store(settings) as store,
        owner_or_follower(settings, store, required=None) as engine,
    ):
        control = Control(store, settings.config, wake=engine.wake if engine else None)
        await control.cancel(job_id)
        if engine is not None:
            final = await engine.run_until(job_id, _ended_for_good)
        else:
            final = await _follow(store, job_id, _ended_for_good)
    _print_job(final, as_json, with_output=False)
    return 0 if final.status is JobStatus.CANCELLED else 1


async def jobs_command(settings: Settings, status: str | None, as_json: bool) -> int:
    statuses = None
    if status is not None:
        try:
            statuses = [JobStatus(s.strip()) for s in status.split(",")]
        except ValueError:
            known = ", ".join(s.value for s in JobStatus)
            raise AgentdashError(f"unknown status {status!r}; use one of: {known}") from None
    async with open_store(settings) as store:
        jobs = await store.jobs.list_jobs(statuses)
    if as_json:
        print(dumps([job_json(j) for j in jobs]))
    elif jobs:
        print(safe_text(job_table(jobs)))
    else:
        print("no jobs yet: start one with 'agentdash dispatch JOB'", file=sys.stderr)
    return 0


async def show_command(settings: Settings, job_id: int, as_json: bool) -> int:
    async with open_store(settings) as store:
        job = await _get(store, job_id)
    _print_job(job, as_json, with_output=True)
    return 0


async def _get(store: Store, job_id: int) -> Job:
    job = await store.jobs.get(job_id)
    if job is None:
        raise AgentdashError(f"no job with id {job_id}")
    return job


async def _follow(store: Store, job_id: int, done: Callable[[Job], bool]) -> Job:
    """Wait for another process's engine to bring the job to ``done``."""
    while True:
        job = await _get(store, job_id)
        if done(job):
            return job
        await asyncio.sleep(WAIT_POLL)


def _print_job(job: Job, as_json: bool, *, with_output: bool) -> None:
    if as_json:
        print(dumps(job_json(job, with_output=with_output)))
        return
    print(safe_text(job_detail(job) if with_output else _summary(job)))


def _summary(job: Job) -> str:
    tail = f": {job.error}" if job.error else ""
    return f"job {job.id} ({job.job}) {job.status.value}{tail}"


def _ended(job: Job) -> bool:
    """``--wait`` returns at a terminal state or when the job needs a person."""
    return job.status.is_terminal or job.status is JobStatus.NEEDS_ACTION


def _ended_for_good(job: Job) -> bool:
    return job.status.is_terminal


def _sent(job: Job) -> bool:
    """Without ``--wait`` the engine runs until the provider has the job (or it ended)."""
    return job.status not in (JobStatus.QUEUED, JobStatus.DISPATCHING, JobStatus.UNKNOWN)


def _accepted(job: Job) -> bool:
    return True


def _unknown_job(name: str, known: list[str], settings: Settings) -> str:
    import difflib

    where = settings.config_path or "the config (none found; pass --config PATH)"
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    listed = ", ".join(sorted(known)) or "none are defined"
    return f"{where}: jobs.{name}: no such job template{hint}; known: {listed}"
