"""API requests per completed job, by kind, against the seed's minimum.

The seed's loop makes one status call per poll and one event fetch at the end, so for P polls
a job costs at least P + 1 reads. agentdash reads the event list once per poll (it carries
the status, the text and the usage) and the session object only now and then. The jobs here
talk while they run (several agent messages a turn), as real agents do, and nothing limits
the rate, so the poll count is the engine's own choice (adaptive interval, 1 s to 4 s).

Run: ``.venv/bin/python bench/calls_per_job.py [JOBS]`` (default 100).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from common import admin, bench_config, engine_rig, fake_process, machine

from agentdash.control import Control
from agentdash.models import Job

JOBS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
TURN = 12.0
PROMPT = "[fake:complete,messages=6] bench"


async def run() -> None:
    with fake_process(turn_seconds=TURN) as url, tempfile.TemporaryDirectory() as tmp:
        config = bench_config(url, rpm=10**6, concurrency=16, interval="1s")
        config = config.model_copy(
            update={"poll": config.poll.model_copy(update={"max_interval": 4.0, "jitter": 0.2})}
        )
        async with engine_rig(Path(tmp) / "c.db", config) as (store, engine, _):
            control = Control(store, config, wake=engine.wake)
            ids = [(await control.dispatch("work", PROMPT)).id for _ in range(JOBS)]
            pending = set(ids)
            stop = asyncio.Event()

            def seen(job: Job) -> None:
                if job.status.is_terminal:
                    pending.discard(job.id)
                    if not pending:
                        stop.set()

            engine.add_listener(seen)
            await engine.run(stop)
            jobs = [job for i in ids if (job := await store.jobs.get(i))]
        requests = admin(url, "/_fake/stats")["requests"]
    polls = sum(job.poll_count for job in jobs) / len(jobs)
    reads = sum(requests.get(k, 0) for k in ("retrieve", "list_events")) / len(jobs)
    print(f"calls_per_job: {len(jobs)} jobs, turns of {TURN:.0f} s with 6 agent messages, "
          f"interval 1 s to 4 s; {machine()}")  # fmt: skip
    for kind in ("create", "retrieve", "list_events"):
        print(f"  {kind:<12} {requests.get(kind, 0) / len(jobs):6.2f} per job")
    print(f"  polls        {polls:6.2f} per job")
    print(f"  read requests {reads:5.2f} per job; seed minimum for as many polls "
          f"{polls + 1:.2f} ({polls:.2f} status + 1 event fetch): "
          f"{reads / (polls + 1):.2f}x")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(run())
