"""A long history: the dashboard starts from every active job and the newest finished
ones, pages older ones in at the end of the table, counts from the database, and keeps
rows that scroll into view up to date."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import Tab as TabWidget

from agentdash.clock import Clock, FakeClock
from agentdash.config import parse_config
from agentdash.dashboard import HISTORY, dashboard_factory
from agentdash.models import Job, JobStatus
from agentdash.runtime import Settings
from agentdash.store import Store
from agentdash.store.jobs import insert_job
from agentdash.ui.app import AgentDashApp
from agentdash.ui.model import PAGE, JobIndex, Tab, tab_counts
from agentdash.ui.screens.dashboard import DashboardScreen

from .conftest import SENTINEL_KEY
from .test_ui_support import wait_for

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# No schedules, and a provider on a closed port: nothing changes the jobs but the test.
CONFIG = """
providers:
  fake: {type: anthropic, api_key_env: FAKE_KEY, base_url: "http://127.0.0.1:9"}
jobs:
  work: {provider: fake, agent: a, environment: e, prompt: Work}
"""
FINISHED = 1200
"""More than the first load plus one page: paging runs twice, the second time short."""


async def seed(database: Path, finished: int, running: int = 0) -> None:
    """``finished`` jobs (every tenth failed, the rest completed), then ``running`` ones
    created a minute apart, each polled next a day later."""
    async with await Store.open(database) as store, store.db.write() as conn:
        for i in range(finished + running):
            created = NOW - timedelta(minutes=finished + running - i)
            await insert_job(conn, "work", "fake", f"task {i}", "manual", created)
        await conn.execute(
            "UPDATE jobs SET status = CASE WHEN id % 10 = 0 THEN 'failed' ELSE 'completed'"
            " END, finished_at = created_at + 30, error = CASE WHEN id % 10 = 0 THEN"
            " 'broke' END WHERE id <= ?",
            (finished,),
        )
        await conn.execute(
            "UPDATE jobs SET status = 'running', remote_id = 'sesn_' || id,"
            " dispatched_at = created_at, next_poll_at = ? WHERE id > ?",
            ((NOW + timedelta(days=1)).timestamp(), finished),
        )


@asynccontextmanager
async def dashboard(tmp_path: Path, clock: Clock | None = None) -> AsyncIterator[AgentDashApp]:
    settings = Settings(parse_config(CONFIG, Path("history.yaml"), {}), None, tmp_path / "a.db")
    factory = dashboard_factory(settings, env={"FAKE_KEY": SENTINEL_KEY}, clock=clock)
    yield AgentDashApp(factory, clock=clock)


def main_screen(app: AgentDashApp) -> DashboardScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, DashboardScreen)
    return screen


def keys(app: AgentDashApp) -> list[int]:
    return [int(str(row.key.value)) for row in main_screen(app).jobs_table.ordered_rows]


def label(app: AgentDashApp, tab: str) -> str:
    return main_screen(app).query_one(f"#tab-{tab}", TabWidget).label_text


async def test_a_long_history_starts_small_counts_exactly_and_pages_in(tmp_path: Path) -> None:
    await seed(tmp_path / "a.db", FINISHED)
    failed = FINISHED // 10
    async with dashboard(tmp_path) as app, app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: len(keys(app)) == HISTORY)
        assert keys(app) == list(range(FINISHED, FINISHED - HISTORY, -1)), "the newest, in order"
        assert label(app, "all") == f"All {FINISHED}", "counts come from the database"
        assert label(app, "failed") == f"Failed {failed}"
        table = main_screen(app).jobs_table
        table.focus()

        # The failed tab pages in the older failed jobs only.
        await pilot.press("4")
        assert len(keys(app)) == HISTORY // 10
        await pilot.press("G")
        await wait_for(pilot, lambda: len(keys(app)) == failed)
        assert keys(app) == list(range(FINISHED, 0, -10))

        # All shows what is loaded; at its end, its own pages fill the gap above the cursor
        # (two of them, the second short) and the cursor stays on its row.
        await pilot.press("1")
        assert len(keys(app)) == HISTORY + failed - HISTORY // 10
        await pilot.press("G")
        assert table.selected_key == "10"
        await wait_for(pilot, lambda: len(keys(app)) == FINISHED)
        assert keys(app) == list(range(FINISHED, 0, -1))
        assert table.selected_key == "10", "the cursor stays on the row it was on"
        assert FINISHED - HISTORY > PAGE
        await pilot.press("G")  # at the very end now: nothing more to read
        await pilot.pause()
        assert table.selected_key == "1" and len(keys(app)) == FINISHED
        # Equal cells render once; a click still lands on the row it hits.
        await pilot.press("g")
        await pilot.click(table, offset=(10, 5))
        assert table.selected_key == str(FINISHED - 4)


async def test_six_digit_ids_show_whole_and_sort_as_numbers(tmp_path: Path) -> None:
    await seed(tmp_path / "a.db", 6)
    async with await Store.open(tmp_path / "a.db") as store, store.db.write() as conn:
        await conn.execute("UPDATE jobs SET id = id + 99995")  # 99996 ... 100001
    async with dashboard(tmp_path) as app, app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: len(keys(app)) == 6)
        assert keys(app) == list(range(100001, 99995, -1))
        table = main_screen(app).jobs_table
        assert table.get_cell("100001", "id").plain == "100001"


async def test_rows_scrolled_into_view_show_their_current_age(tmp_path: Path) -> None:
    """Ages tick on the rows on screen; one scrolled to later is brought up to date first."""
    await seed(tmp_path / "a.db", 0, running=80)
    clock = FakeClock(NOW)
    async with dashboard(tmp_path, clock) as app, app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: len(keys(app)) == 80)
        table = main_screen(app).jobs_table

        def cell(job_id: int, column: str) -> str:
            return table.get_cell(str(job_id), column).plain

        assert (cell(80, "age"), cell(1, "age")) == ("1m", "1h")
        clock.advance(3 * 3600)
        await wait_for(pilot, lambda: cell(80, "age") == "3h")
        table.focus()
        await pilot.press("G")
        await wait_for(pilot, lambda: table.selected_key == "1")
        assert cell(1, "age") == "4h"
        assert cell(1, "elapsed") == "4h20m"


def job(job_id: int, status: JobStatus) -> Job:
    return Job(
        id=job_id,
        job="work",
        provider="fake",
        status=status,
        origin="manual",
        prompt="p",
        created_at=NOW,
    )


def test_tab_counts_come_from_status_counts() -> None:
    counts = {
        JobStatus.RUNNING: 3,
        JobStatus.QUEUED: 1,
        JobStatus.NEEDS_ACTION: 2,
        JobStatus.COMPLETED: 10,
        JobStatus.FAILED: 4,
    }
    assert tab_counts(counts) == {
        Tab.ALL: 20,
        Tab.ACTIVE: 6,
        Tab.NEEDS_YOU: 2,
        Tab.FAILED: 4,
    }
    assert tab_counts({}) == dict.fromkeys(Tab, 0)


def test_the_index_knows_where_older_pages_start() -> None:
    index = JobIndex(keep_finished=3)
    done = JobStatus.COMPLETED
    index.start([job(9, JobStatus.RUNNING), *(job(i, done) for i in (8, 7, 6))], history=3)
    assert index.floor(Tab.ALL) == 6 and index.floor(Tab.FAILED) == 6
    assert index.floor(Tab.ACTIVE) == 0, "every active job is loaded"

    # A page of failed jobs moves only the failed tab's floor, and the bound grows.
    new = index.add_older(Tab.FAILED, [job(4, JobStatus.FAILED), job(2, JobStatus.FAILED)], 2)
    assert [j.id for j in new] == [4, 2]
    assert index.floor(Tab.FAILED) == 2 and index.floor(Tab.ALL) == 6
    # A page of everything covers the failed tab too; a short page means nothing is left.
    index.add_older(Tab.ALL, [job(5, done), job(4, JobStatus.FAILED), job(3, done)], 5)
    assert index.floor(Tab.ALL) == 0 and index.floor(Tab.FAILED) == 0
    assert sorted(index.jobs) == [2, 3, 4, 5, 6, 7, 8, 9]

    # New finished jobs push the oldest out: paging is possible again, above them.
    dropped = index.update([job(10, done), job(11, done)])
    assert dropped == [3, 2]
    assert index.floor(Tab.ALL) == 4 and index.floor(Tab.FAILED) == 4


def test_a_short_first_load_leaves_nothing_to_page() -> None:
    index = JobIndex()
    index.start([job(2, JobStatus.COMPLETED), job(1, JobStatus.FAILED)], history=500)
    assert index.floor(Tab.ALL) == 0 and index.floor(Tab.FAILED) == 0


async def test_the_window_reads_every_active_job_and_the_newest_finished(tmp_path: Path) -> None:
    await seed(tmp_path / "a.db", 30, running=3)
    async with await Store.open(tmp_path / "a.db") as store:
        old = await store.jobs.update(1, {"poll_count": 5})  # an old job changes late
        assert old is not None
        jobs, seq = await store.jobs.window(10)
        assert [j.id for j in jobs] == [33, 32, 31, *range(30, 20, -1)]
        assert all(j.output is None for j in jobs), "summaries, without output"
        assert seq == await store.db.scalar("SELECT MAX(seq) FROM jobs")
        await store.jobs.update(5, {"poll_count": 1})
        changed, _ = await store.jobs.changed_since(seq)
        assert [j.id for j in changed] == [5]

        page = await store.jobs.list_jobs([JobStatus.FAILED], limit=2, before=21)
        assert [j.id for j in page] == [20, 10]

    async with await Store.open(tmp_path / "empty.db") as empty:
        assert await empty.jobs.window(10) == ([], 0)
