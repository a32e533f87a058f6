"""The app as a whole: schedules panel keys, help, the command palette, the footer, the
theme picker, quitting cleanly, and following another process's engine."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Static

from agentdash.control import Control
from agentdash.engine.engine import Engine
from agentdash.runtime import build_providers
from agentdash.store import Store
from agentdash.ui.keys import APP_KEYS, JOB_KEYS, MAIN_KEYS
from agentdash.ui.screens.dispatch import DispatchScreen
from agentdash.ui.screens.help import HelpScreen
from agentdash.ui.widgets.schedules_table import SchedulesTable

from .conftest import SENTINEL_KEY
from .test_ui_support import started, ui_rig, wait_for


async def test_schedules_panel_pause_resume_and_run_now(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        table = rig.main.query_one(SchedulesTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        cells = {
            str(c.key.value): table.get_cell("leap-day", c.key).plain for c in table.ordered_columns
        }
        assert cells["when"].startswith("At 12:00 AM, on day 29")  # cron in words, clipped
        assert cells["next"].startswith("in ") or cells["next"] == "due"
        assert cells["state"] == "● active"
        table.focus()

        await pilot.press("p")
        await wait_for(pilot, lambda: table.get_cell("leap-day", "state").plain == "⏸ paused")
        assert [s.paused for s in await rig.control.schedules()] == [True]
        assert table.get_cell("leap-day", "next").plain == "—"
        await pilot.press("p")
        await wait_for(pilot, lambda: table.get_cell("leap-day", "state").plain == "● active")
        assert [s.paused for s in await rig.control.schedules()] == [False]

        await pilot.press("t")
        await wait_for(pilot, lambda: len(rig.row_keys()) == 1)
        job = (await rig.control.jobs())[0]
        assert job.origin.startswith("schedule:leap-day@")


async def test_help_lists_every_key_and_says_nothing_is_lost(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        await pilot.press("question_mark")
        assert isinstance(rig.app.screen, HelpScreen)
        text = str(rig.app.screen.query_one("#help-text", Static).render())
        for key in (*MAIN_KEYS, *JOB_KEYS, *APP_KEYS):
            assert key.description in text, key
        assert "q quits at once. Nothing is lost" in text
        await pilot.press("escape")
        assert rig.app.screen is rig.main


async def test_every_action_is_in_the_command_palette(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        await rig.control.dispatch("slow")
        await wait_for(pilot, lambda: len(rig.row_keys()) == 1)
        await wait_for(pilot, lambda: rig.main.query_one(SchedulesTable).row_count == 1)
        titles = {c.title for c in rig.app.get_system_commands(rig.main)}
        for expected in (
            "Dispatch a job",
            "Cancel the job (asks first)",
            "Filter the jobs (remembered)",
            "All jobs",
            "Failed jobs",
            "Pause or resume the selected schedule",
            "Run the selected schedule now",
            "Help",
            "Theme",
            "Quit",
        ):
            assert expected in titles, expected
        assert "Re-run the finished job" not in titles, "only what applies to the selection"

        await pilot.press("ctrl+p")
        assert isinstance(rig.app.screen, CommandPalette)
        await pilot.press(*"dispatch")
        await wait_for(pilot, lambda: rig.app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(rig.app.screen, DispatchScreen))


async def test_footer_shows_the_keys_that_apply(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        done = await rig.control.dispatch("hello")
        await wait_for(pilot, lambda: rig.row_of(done.id).get("status") == "✓ completed")
        rig.table.focus()
        await pilot.pause()

        def shown() -> set[str]:
            return {
                b.binding.action
                for b in rig.main.active_bindings.values()
                if b.binding.show and b.enabled and rig.main.check_action(b.binding.action, ())
            }

        assert {"rerun", "dispatch", "filter"} <= shown()
        assert "cancel" not in shown()
        slow = await rig.control.dispatch("slow")
        await wait_for(pilot, lambda: rig.row_of(slow.id).get("status") == "▶ running")
        await pilot.press("g")
        assert "cancel" in shown() and "rerun" not in shown()


async def test_theme_picker_and_quit_leave_the_database_clean(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig:
        async with rig.app.run_test(size=(120, 36)) as pilot:
            await started(pilot, rig)
            await wait_for(pilot, lambda: rig.main.header.role == "owner")
            job = await rig.control.dispatch("slow")
            await wait_for(pilot, lambda: rig.row_of(job.id).get("status") == "▶ running")
            database = rig.app.services.database if rig.app.services else None
            await pilot.press("T")
            assert isinstance(rig.app.screen, CommandPalette)
            await pilot.press("escape")
            await pilot.press("q")
        assert database is not None and rig.app.services is None
        async with await Store.open(database) as store:
            lease = await store.lease.current()
            assert lease.released, "the engine released its lease on quit"
            kept = await store.jobs.get(job.id)
            assert kept is not None and kept.status.value == "running", "the job resumes later"


async def test_a_second_pane_follows_the_owner(tmp_path: Path) -> None:
    """Another process owns the engine: the app says so, shows its work live, and its own
    dispatch goes to the owner through the database."""
    async with ui_rig(tmp_path) as rig:
        assert rig.app.services is None
        config, database = rig.settings.config, rig.settings.database
        owner_store = await Store.open(database)
        providers = build_providers(config, env={"FAKE_KEY": SENTINEL_KEY})
        engine = Engine(owner_store, config, providers.providers, providers.pacers)
        try:
            assert await engine.acquire()
            stop = asyncio.Event()
            loop_task = asyncio.create_task(engine.run(stop))
            try:
                async with rig.app.run_test(size=(120, 36)) as pilot:
                    await started(pilot, rig)
                    await wait_for(pilot, lambda: rig.main.header.role == "follower")
                    assert rig.main.header.owner_pid == os.getpid()
                    job = await Control(owner_store, config, wake=engine.wake).dispatch("hello")
                    await wait_for(pilot, lambda: rig.row_of(job.id).get("status") == "✓ completed")
                    await pilot.press("d", "ctrl+s")
                    await wait_for(pilot, lambda: len(rig.row_keys()) == 2)
                    mine = rig.row_keys()[0]
                    await wait_for(
                        pilot, lambda: rig.row_of(int(mine)).get("status") == "✓ completed"
                    )
            finally:
                stop.set()
                await loop_task
        finally:
            await engine.release()
            await providers.aclose()
            await owner_store.close()
