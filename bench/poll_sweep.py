"""One full poll sweep over N running jobs, agentdash's engine against the seed's loop.

The seed polls job after job (status, then events): a sweep costs N x 2L. agentdash polls
jobs concurrently up to the provider's ``max_concurrency``, one request each (the event list
tells the status too), so its bound is N x L / concurrency. Figures: sweep seconds for both, the
speed-up, and agentdash's ratio to the bound.

Run: ``.venv/bin/python bench/poll_sweep.py`` (``make bench`` runs every benchmark).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anthropic
from common import KEY, admin, bench_config, engine_rig, fake_process, machine

from agentdash.control import Control
from agentdash.engine.engine import Engine
from agentdash.models import Job, JobStatus

LATENCY = 0.05
CONCURRENCY = 16
SIZES = tuple(int(a) for a in sys.argv[1:]) or (100, 1000)


async def start_jobs(url: str, db: Path, n: int) -> list[str]:
    """Dispatch N jobs (not measured) and leave them running on the fake."""
    config = bench_config(url, rpm=10**7, concurrency=64)
    async with engine_rig(db, config) as (store, engine, _):
        control = Control(store, config, wake=engine.wake)
        ids = {(await control.dispatch("work")).id for _ in range(n)}
        await _run_until(engine, lambda job: job.status is JobStatus.RUNNING, ids)
        return [j.remote_id or "" for j in await store.jobs.list_jobs([JobStatus.RUNNING])]


async def agentdash_sweep(url: str, db: Path, n: int) -> float:
    config = bench_config(url, rpm=10**7, concurrency=CONCURRENCY)
    async with engine_rig(db, config) as (store, engine, _):
        jobs = await store.jobs.list_jobs([JobStatus.RUNNING])
        ids = {j.id for j in jobs}
        # a first sweep records each session's status: what the measured sweep compares to
        for rnd in (1, 2):
            for job in jobs:
                await store.jobs.update(job.id, {"next_poll_at": None})
            started = time.perf_counter()
            await _run_until(engine, lambda job, r=rnd: job.poll_count >= r, ids)
        return time.perf_counter() - started


async def _run_until(engine: Engine, done: Callable[[Job], bool], ids: set[int]) -> None:
    """Run the engine until ``done`` held for every job in ``ids`` (as the engine commits)."""
    pending = set(ids)
    finished = asyncio.Event()

    def seen(job: Job) -> None:
        if job.id in pending and done(job):
            pending.discard(job.id)
            if not pending:
                finished.set()

    engine.add_listener(seen)
    stop = asyncio.Event()
    runner = asyncio.create_task(engine.run(stop))
    await finished.wait()
    stop.set()
    await runner
    engine.ctx.listeners.remove(seen)


async def sequential_sweep(url: str, remote_ids: list[str]) -> float:
    """The seed's loop: for each job, retrieve the session, then list its events."""
    client = anthropic.AsyncAnthropic(api_key=KEY, base_url=url, max_retries=0)
    started = time.perf_counter()
    for remote_id in remote_ids:
        await client.beta.sessions.retrieve(remote_id)
        await client.beta.sessions.events.list(remote_id)
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def main() -> None:
    print(f"poll_sweep: L = {LATENCY * 1000:.0f} ms per request, concurrency {CONCURRENCY}")
    print(f"machine: {machine()}")
    header = ("N", "agentdash s", "sequential s", "speed-up", "bound s", "x bound")
    print("{:>6} {:>12} {:>13} {:>9} {:>8} {:>8}".format(*header))
    for n in SIZES:
        with fake_process() as url, tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            remote_ids = await start_jobs(url, db, n)
            admin(url, "/_fake/faults", {"latency": LATENCY})
            ours = await agentdash_sweep(url, db, n)
            seq = await sequential_sweep(url, remote_ids)
            bound = n * LATENCY / CONCURRENCY
            row = (n, ours, seq, f"{seq / ours:.1f}x", bound, f"{ours / bound:.2f}x")
            print("{:>6} {:>12.2f} {:>13.2f} {:>9} {:>8.2f} {:>8}".format(*row))


if __name__ == "__main__":
    asyncio.run(main())
