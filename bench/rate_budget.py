"""300 jobs against a provider that enforces a request budget (429 over it).

agentdash is configured with the provider's budget; its token bucket paces every request
(creates, polls, event pages) so that it should draw no 429 at all. The figure of merit
is how fast a job's end is noticed: the time from the fake's remote end of each turn to
the job's local terminal state (p50, p95, max), against the bound the budget sets: the
poll interval plus the time the budget needs to visit every job once (one request a visit:
a poll reads the event list, which tells the status and the text together).

Also prints API calls per completed job by kind (the ``calls_per_job`` figures), against
the seed's minimum of one status call per poll and one event fetch at the end.

Run: ``.venv/bin/python bench/rate_budget.py [JOBS]`` (default 300).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from common import admin, bench_config, engine_rig, fake_process, machine, percentile

from agentdash.control import Control
from agentdash.models import Job, JobStatus

JOBS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
BUDGET = 600  # requests per minute, enforced by the fake
OURS = 570  # what agentdash is told: the budget less a margin for clock differences
TURN = 45.0  # seconds each job runs remotely
INTERVAL = 5.0  # first poll interval


async def run() -> None:
    with fake_process(turn_seconds=TURN) as url, tempfile.TemporaryDirectory() as tmp:
        admin(url, "/_fake/faults", {"requests_per_minute": BUDGET})
        config = bench_config(url, rpm=OURS, concurrency=8, interval=f"{INTERVAL}s")
        config = config.model_copy(
            update={"poll": config.poll.model_copy(update={"max_interval": 20.0, "jitter": 0.2})}
        )
        async with engine_rig(Path(tmp) / "b.db", config) as (store, engine, _):
            control = Control(store, config, wake=engine.wake)
            ids = [(await control.dispatch("work")).id for _ in range(JOBS)]
            pending = set(ids)
            stop = asyncio.Event()

            def seen(job: Job) -> None:
                if job.status is JobStatus.COMPLETED:
                    pending.discard(job.id)
                    if not pending:
                        stop.set()

            engine.add_listener(seen)
            await engine.run(stop)
            jobs = [await store.jobs.get(i) for i in ids]
        stats = admin(url, "/_fake/stats")
    ended = stats["turn_ended_at"]
    lags = [
        (job.finished_at - datetime.fromisoformat(ended[job.remote_id])).total_seconds()
        for job in jobs
        if job and job.remote_id and job.finished_at and job.remote_id in ended
    ]
    visit_all = JOBS / (OURS / 60)
    cap = INTERVAL * 4  # the interval doubles while nothing changes, up to max_interval
    print(f"rate_budget: {JOBS} jobs, budget {BUDGET}/min (agentdash told {OURS}/min), "
          f"turns of {TURN:.0f} s, first interval {INTERVAL:.0f} s; {machine()}")  # fmt: skip
    print(f"  429s drawn: {stats['rate_limited']}")
    p50, p95 = percentile(lags, 50), percentile(lags, 95)
    print(f"  detection latency  p50 {p50:6.1f} s   p95 {p95:6.1f} s   max {max(lags):6.1f} s")
    print(f"  bound: {visit_all:.1f} s for the budget to visit every job once, plus the poll"
          f" interval: {INTERVAL + visit_all:.1f} s at the first interval ({INTERVAL:.0f} s),"
          f" {cap + visit_all:.1f} s at its cap ({cap:.0f} s)")  # fmt: skip
    requests = stats["requests"]
    polls = sum(job.poll_count for job in jobs if job) / JOBS
    print("calls_per_job: API requests per completed job, by kind")
    for kind in ("create", "retrieve", "list_events"):
        print(f"  {kind:<12} {requests.get(kind, 0) / JOBS:6.2f}")
    ours = sum(requests.get(k, 0) for k in ("retrieve", "list_events")) / JOBS
    print(
        f"  {polls:.2f} polls per job: agentdash made {ours:.2f} read requests; the seed's "
        f"minimum for as many polls is {polls + 1:.2f} ({polls:.2f} status + 1 event fetch)"
    )


if __name__ == "__main__":
    asyncio.run(run())
