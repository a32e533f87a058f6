"""The dashboard under Pilot with 10,000 jobs of history and 1,000 active jobs changing.

Figures: time to first paint, event-loop lag (p50, p99, max) while the jobs change, the
longest stall before the first paint, and peak RSS. Baseline, measured in the same run on
the same machine load: a bare Textual app (one empty DataTable) under Pilot.

- **First paint**: from entering ``app.run_test(size=(120, 36))`` (before the app starts)
  to the first frame the compositor renders while the jobs table holds rows (for the
  baseline: its first frame). The frame is caught in ``App._display``, which Pilot's
  headless driver still calls with the rendered update.
- **Event-loop lag**: a task in the app's own loop sleeps 10 ms again and again; each
  wake's lateness is one sample. Only sleeps begun after the first paint count, while
  another process (holding the engine lock, as a daemon would) commits changes to the
  active jobs: poll counts, retry errors, needs-you, completions and new jobs.
- **Peak RSS**: ``VmHWM`` of the process that ran the app (each app runs in its own).

Run: ``.venv/bin/python bench/ui_lag.py [SECONDS] [UPDATES_PER_SECOND]`` (default 25, 100).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import bench_config, machine, percentile

HISTORY = 10_000
ACTIVE = 1_000
SIZE = (120, 36)
SLEEP = 0.010
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else 25.0
RATE = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[1].startswith("-") else 100
TARGETS = {"first paint ms": 1000.0, "lag p99 ms": 30.0, "peak RSS MB": 150.0}


# -- the database ---------------------------------------------------------------------


async def build_database(db: Path) -> None:
    """HISTORY finished jobs and ACTIVE running ones, written in one transaction."""
    from agentdash.store import Store
    from agentdash.store.jobs import insert_job

    start = datetime.now(UTC) - timedelta(days=30)
    store = await Store.open(db)
    try:
        async with store.db.write() as conn:
            for i in range(HISTORY + ACTIVE):
                when = start + timedelta(seconds=200 * i) if i < HISTORY else datetime.now(UTC)
                prompt = f"Summarise the overnight report number {i} and list what needs doing."
                await insert_job(conn, "work", "fake", prompt, "manual", when)
            now = time.time()
            await conn.execute(
                "UPDATE jobs SET status = CASE id % 20 WHEN 0 THEN 'failed' WHEN 1 THEN"
                " 'cancelled' ELSE 'completed' END, dispatched_at = created_at + 2,"
                " finished_at = created_at + 300, updated_at = created_at + 300,"
                " remote_id = 'sesn_' || id, poll_count = 12,"
                " error = CASE id % 20 WHEN 0 THEN 'session terminated' END,"
                " output = 'Done: ' || prompt WHERE id <= ?",
                (HISTORY,),
            )
            await conn.execute(
                "UPDATE jobs SET status = 'running', dispatched_at = ?, updated_at = ?,"
                " remote_id = 'sesn_' || id, next_poll_at = ? WHERE id > ?",
                (now, now, now + 3600, HISTORY),
            )
    finally:
        await store.close()


# -- the writer: another process owning the engine ------------------------------------


async def write_changes(db: Path, rate: int) -> None:
    """Hold the engine lock and lease, and change ``rate`` active jobs a second until killed.

    Each tick commits its updates together (the engine's group commit). Of the updates, 1
    in 8 sets or clears a retry error, 1 in 200 toggles needs-you, 1 in 100 completes the
    job and queues a new running one, so ACTIVE jobs stay active.
    """
    from agentdash.engine.ownership import EngineLock
    from agentdash.models import JobStatus
    from agentdash.store import Store
    from agentdash.store.jobs import insert_job

    lock = EngineLock(db)
    if not lock.try_acquire():
        raise SystemExit("the engine lock is taken")
    store = await Store.open(db)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    host = socket.gethostname()
    epoch, _ = await store.lease.acquire(
        owner=f"{host}:{os.getpid()}", pid=os.getpid(), host=host, now=_now(), ttl=60
    )
    jobs = {j.id: j for j in await store.jobs.active()}
    print("ready", flush=True)
    tick, n, renewed = 0.1, 0, time.monotonic()
    per_tick = max(1, round(rate * tick))
    order = list(jobs)
    while not stop.is_set():
        started = time.monotonic()
        batch, order = order[:per_tick], order[per_tick:] + order[:per_tick]
        updates = []
        for job_id in batch:
            n += 1
            job = jobs[job_id]
            fields: dict[str, Any] = {
                "poll_count": job.poll_count + 1,
                "updated_at": _now(),
                "next_poll_at": _now() + timedelta(seconds=10),
            }
            if n % 8 == 0:
                errors = 0 if job.consecutive_errors else 1 + n % 3
                fields["consecutive_errors"] = errors
                fields["last_error"] = f"HTTP 529: overloaded (attempt {n})" if errors else None
            if n % 200 == 50:
                running = job.status is JobStatus.RUNNING
                fields["status"] = JobStatus.NEEDS_ACTION if running else JobStatus.RUNNING
            if n % 100 == 0:
                fields["status"] = JobStatus.COMPLETED
                fields["finished_at"] = _now()
            updates.append(store.jobs.update(job_id, fields, epoch=epoch))
        for job in await asyncio.gather(*updates):
            if job is None:
                continue
            if job.is_active:
                jobs[job.id] = job
                continue
            del jobs[job.id]
            order.remove(job.id)
            async with store.db.write(epoch) as conn:
                row = await insert_job(conn, "work", "fake", "A new job", "manual", _now())
            assert row is not None
            started_now = {"status": JobStatus.RUNNING, "dispatched_at": _now()}
            new = await store.jobs.update(
                int(row[0]), {**started_now, "remote_id": f"sesn_{row[0]}"}, epoch=epoch
            )
            assert new is not None
            jobs[new.id] = new
            order.append(new.id)
        if time.monotonic() - renewed > 5:
            await store.lease.renew(epoch=epoch, now=_now(), ttl=60)
            renewed = time.monotonic()
        await asyncio.sleep(max(0.0, tick - (time.monotonic() - started)))
    await store.lease.release(epoch=epoch)
    await store.close()
    lock.release()
    print(json.dumps({"updates": n}), flush=True)


def _now() -> datetime:
    return datetime.now(UTC)


# -- the apps -------------------------------------------------------------------------


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_app(kind: str, db: Path, seconds: float) -> dict[str, Any]:
    """Start the app under Pilot, time its first paint, then probe the loop for ``seconds``."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    app: App[None]
    painted: list[float] = []
    seen = {"batches": 0, "jobs": 0}

    if kind == "baseline":

        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                yield DataTable()

        app = Bare()

        def shows_rows() -> bool:
            return True

    else:
        from agentdash.dashboard import dashboard_factory
        from agentdash.runtime import Settings
        from agentdash.ui.app import AgentDashApp
        from agentdash.ui.messages import JobsChanged
        from agentdash.ui.screens.dashboard import DashboardScreen

        config = bench_config("http://127.0.0.1:9", rpm=600, concurrency=4)
        settings = Settings(config, None, db)
        dash = AgentDashApp(dashboard_factory(settings, env={"BENCH_KEY": "x"}, label="bench"))
        app = dash
        broadcast = dash.live.out.broadcast

        def counting(make: Any) -> None:
            message = make()
            if isinstance(message, JobsChanged):
                seen["batches"] += 1
                seen["jobs"] += len(message.update.jobs)
            broadcast(make)

        dash.live.out.broadcast = counting

        def shows_rows() -> bool:
            screen = dash.screen_stack[0] if dash.screen_stack else None
            return isinstance(screen, DashboardScreen) and screen.jobs_table.row_count > 0

    display = app._display

    def spy(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if not painted and renderable is not None and shows_rows():
            painted.append(time.perf_counter())

    app._display = spy  # type: ignore[method-assign]

    lags: list[tuple[float, float]] = []
    stop = asyncio.Event()

    async def probe() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(SLEEP)
            after = time.perf_counter()
            lags.append((before, after - before - SLEEP))

    prober = asyncio.create_task(probe())
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        while not painted and time.perf_counter() - started < 120:
            await pilot.pause(0.005)
        first_paint = painted[0] if painted else float("nan")
        await asyncio.sleep(seconds)
        stop.set()
        await prober
        rows, tabs = _rows(app), _tabs(app)
    steady = [lag for began, lag in lags if began > first_paint]
    startup = [lag for began, lag in lags if began <= first_paint]
    return {
        "first paint ms": (first_paint - started) * 1000,
        "lag p50 ms": percentile(steady, 50) * 1000,
        "lag p99 ms": percentile(steady, 99) * 1000,
        "lag max ms": max(steady, default=float("nan")) * 1000,
        "startup stall ms": max(startup, default=0.0) * 1000,
        "peak RSS MB": vm_hwm_mb(),
        "rows": rows,
        "tabs": tabs,
        "samples": len(steady),
        **seen,
    }


def _rows(app: Any) -> int:
    from textual.widgets import DataTable

    return max((t.row_count for t in app.screen_stack[0].query(DataTable)), default=0)


def _tabs(app: Any) -> str:
    from textual.widgets import Tab

    return " · ".join(str(tab.label_text) for tab in app.screen_stack[0].query(Tab))


# -- the driver -----------------------------------------------------------------------


def child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip


def measure(kind: str, db: Path) -> tuple[dict[str, Any], int]:
    """One app in its own process while a writer process changes the active jobs."""
    writer = child("--writer", str(db), str(RATE))
    assert writer.stdout is not None
    if writer.stdout.readline().strip() != "ready":
        raise SystemExit("the writer did not start")
    try:
        app = child("--app", kind, str(db), str(SECONDS))
        out, _ = app.communicate(timeout=SECONDS + 300)
        if app.returncode:
            raise SystemExit(f"the {kind} app failed ({app.returncode})")
        figures = json.loads(out.strip().splitlines()[-1])
    finally:
        writer.send_signal(signal.SIGTERM)
        tail, _ = writer.communicate(timeout=30)
    updates = json.loads(tail.strip().splitlines()[-1])["updates"] if tail.strip() else 0
    return figures, updates


FIGURES = (
    "first paint ms",
    "lag p50 ms",
    "lag p99 ms",
    "lag max ms",
    "startup stall ms",
    "peak RSS MB",
)
DEFINITIONS = """\
first paint: from entering app.run_test() to the first frame rendered with jobs in the table
lag: lateness of each 10 ms sleep in the app's loop, sleeps begun after the first paint
startup stall: the longest such lateness before the first paint
peak RSS: VmHWM of the process running the app (each app has its own)"""


def main() -> None:
    print(
        f"ui_lag: {HISTORY:,} finished jobs, {ACTIVE:,} active, {RATE} job updates/s from"
        f" another process for {SECONDS:.0f} s, Pilot at {SIZE[0]}x{SIZE[1]}"
    )
    print(f"machine: {machine()}")
    print(DEFINITIONS)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "agentdash.db"
        began = time.perf_counter()
        asyncio.run(build_database(db))
        print(f"database built in {time.perf_counter() - began:.1f} s")
        spare = Path(tmp) / "baseline" / "agentdash.db"
        spare.parent.mkdir()
        shutil.copy(db, spare)
        base, _ = measure("baseline", spare)
        ours, updates = measure("agentdash", db)
    print(
        f"agentdash: {ours['jobs']:,} job changes taken in, in {ours['batches']} batches"
        f" ({updates:,} written); {ours['rows']:,} rows shown; {ours['samples']:,} lag samples"
    )
    print(f"tabs at the end: {ours['tabs']}")
    header = ("figure", "agentdash", "baseline", "ratio", "target", "met")
    print("{:<17} {:>10} {:>9} {:>7} {:>7} {:>4}".format(*header))
    for name in FIGURES:
        target = TARGETS.get(name)
        ratio = f"{ours[name] / base[name]:.1f}x" if base[name] >= 0.05 else "—"
        aim = f"< {target:.0f}" if target else ""
        met = ("yes" if ours[name] < target else "NO") if target else ""
        row = (name, ours[name], base[name], ratio, aim, met)
        print("{:<17} {:>10.1f} {:>9.1f} {:>7} {:>7} {:>4}".format(*row))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        asyncio.run(write_changes(Path(sys.argv[2]), int(sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--app":
        result = asyncio.run(run_app(sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])))
        print(json.dumps(result), flush=True)
    else:
        main()
