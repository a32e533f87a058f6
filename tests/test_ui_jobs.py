"""The main screen against a real engine and the fake: rows update in place, tabs, filter,
navigation, notifications, and the keys that act on jobs (d, c, r)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select, Tab, TextArea

from agentdash.fake import Fault, Scenario
from agentdash.models import JobStatus
from agentdash.ui.screens.confirm import ConfirmScreen
from agentdash.ui.screens.dispatch import DispatchScreen
from agentdash.ui.widgets.filter_input import FilterInput

from .test_ui_support import started, ui_rig, wait_for


async def test_rows_update_in_place_and_the_cursor_stays_on_its_row(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        first = await rig.control.dispatch("slow")
        second = await rig.control.dispatch("slow")
        await wait_for(pilot, lambda: rig.row_keys() == [str(second.id), str(first.id)])
        await pilot.press("j")
        assert rig.table.selected_key == str(first.id)
        row_objects = dict(rig.table.rows)

        third = await rig.control.dispatch("hello")
        await wait_for(pilot, lambda: rig.row_keys()[0] == str(third.id))
        assert rig.table.selected_key == str(first.id), "the cursor follows its row"
        await wait_for(pilot, lambda: rig.row_of(third.id)["status"] == "✓ completed")
        await wait_for(pilot, lambda: rig.row_of(first.id)["status"] == "▶ running")
        # The older rows are the same row objects: updated in place, not rebuilt.
        assert all(rig.table.rows[key] is row_objects[key] for key in row_objects)
        assert rig.table.selected_key == str(first.id)
        assert rig.row_of(third.id)["job"] == "hello"
        assert int(rig.row_of(third.id)["polls"]) >= 1


async def test_a_job_from_another_process_appears(tmp_path: Path) -> None:
    """A second connection (what `agentdash dispatch` in a shell uses) is seen through
    data_version within about a second, and the owner's engine runs the job."""
    from agentdash.control import Control
    from agentdash.store import Store

    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        assert rig.app.services is not None
        other = await Store.open(rig.app.services.database)
        try:
            job = await Control(other, rig.app.services.config).dispatch("hello", "from a shell")
        finally:
            await other.close()
        await wait_for(pilot, lambda: str(job.id) in rig.row_keys(), within=3)
        await wait_for(pilot, lambda: rig.row_of(job.id)["status"] == "✓ completed")


async def test_completion_failure_and_needs_you_are_announced_once(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        done = await rig.control.dispatch("hello", "all good")
        waiting = await rig.control.dispatch("hello", "ask me [fake:needs_action]")
        failed = await rig.control.dispatch("hello", "break [fake:terminated]")
        await wait_for(pilot, lambda: len(rig.app._notifications) >= 3)
        statuses = {j: await rig.control.job(j) for j in (done.id, waiting.id, failed.id)}
        assert statuses[done.id].status is JobStatus.COMPLETED
        assert statuses[waiting.id].status is JobStatus.NEEDS_ACTION
        assert statuses[failed.id].status is JobStatus.FAILED
        # Polls continue for the job that needs you; no further toasts or bells come of them.
        polls = statuses[waiting.id].poll_count
        await wait_for(pilot, lambda: int(rig.row_of(waiting.id)["polls"]) >= polls + 2)
        messages = [n.message for n in rig.app._notifications]
        assert len(messages) == 3, messages
        assert any(f"#{done.id} hello: ✓ completed" in m for m in messages)
        assert any(f"#{waiting.id} hello: ⚠ needs you" in m for m in messages)
        assert any(f"#{failed.id} hello: ✗ failed" in m for m in messages)
        assert 1 <= len(rig.bells) <= 3
        # The needs-you lane and counters.
        assert rig.main.query_one("#lane").has_class("-shown")
        tab = rig.main.query_one("#tab-needs-you", Tab)
        assert tab.label_text == "Needs you 1"
        assert rig.main.header.needs_you == 1 and rig.main.header.failed == 1


async def test_tabs_and_the_remembered_filter(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        ok = await rig.control.dispatch("hello", "fine")
        bad = await rig.control.dispatch("hello", "no [fake:terminated]")
        slow = await rig.control.dispatch("slow")
        await wait_for(pilot, lambda: rig.main.header.failed == 1 and rig.main.header.running)
        await wait_for(pilot, lambda: len(rig.row_keys()) == 3)

        await pilot.press("4")
        assert rig.row_keys() == [str(bad.id)]
        await pilot.press("2")
        assert rig.row_keys() == [str(slow.id)]
        await pilot.press("1")
        assert len(rig.row_keys()) == 3

        await pilot.press("slash")
        field = rig.main.query_one("#filter", FilterInput)
        assert field.has_focus
        await pilot.press(*"slow")
        assert rig.row_keys() == [str(slow.id)]
        await pilot.press("enter")
        assert not field.has_class("-shown") and rig.table.has_focus
        assert rig.row_keys() == [str(slow.id)], "the filter stays applied"
        await pilot.press("slash", "escape")
        assert len(rig.row_keys()) == 3, "esc in the filter clears it"
        await pilot.press("slash")
        assert field.value == "slow", "the last filter is remembered"
        await pilot.press("enter")
        assert rig.row_keys() == [str(slow.id)]
        await pilot.press(
            "slash", *"failed", "enter"
        )  # the old text is selected: typing replaces it
        assert rig.row_keys() == [str(bad.id)]
        del ok


async def test_jk_and_gG_move_the_cursor(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        jobs = [await rig.control.dispatch("slow") for _ in range(4)]
        await wait_for(pilot, lambda: len(rig.row_keys()) == 4)
        rig.table.focus()
        await pilot.press("G")
        assert rig.table.selected_key == str(jobs[0].id)
        await pilot.press("k")
        assert rig.table.selected_key == str(jobs[1].id)
        await pilot.press("g")
        assert rig.table.selected_key == str(jobs[3].id)
        await pilot.press("j")
        assert rig.table.selected_key == str(jobs[2].id)


async def test_dispatch_dialog_queues_the_edited_prompt(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        await pilot.press("d")
        dialog = rig.app.screen
        assert isinstance(dialog, DispatchScreen)
        select = dialog.query_one(Select)
        select.value = "slow"
        await pilot.pause()
        area = dialog.query_one(TextArea)
        assert area.text == "Take your time"
        area.load_text("A prompt typed by a person")
        await pilot.press("ctrl+s")
        assert not isinstance(rig.app.screen, DispatchScreen)
        await wait_for(pilot, lambda: len(rig.row_keys()) == 1)
        jobs = await rig.control.jobs()
        assert [(j.job, j.prompt, j.origin) for j in jobs] == [
            ("slow", "A prompt typed by a person", "manual")
        ]

        await pilot.press("d")
        await pilot.click("#submit")
        await wait_for(pilot, lambda: len(rig.row_keys()) == 2)
        newest = (await rig.control.jobs())[0]
        assert newest.job == "slow", "the dialog starts on the selected job's template"

        await pilot.press("d", "escape")
        await pilot.pause()
        assert len(await rig.control.jobs()) == 2


async def test_cancel_asks_first_then_cancels(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        job = await rig.control.dispatch("slow")
        await wait_for(pilot, lambda: rig.row_of(job.id).get("status") == "▶ running")
        rig.table.focus()
        await pilot.press("c")
        assert isinstance(rig.app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not (await rig.control.job(job.id)).cancel_requested
        await pilot.press("c", "y")
        await wait_for(pilot, lambda: rig.row_of(job.id)["status"] == "⊘ cancelled")
        assert (await rig.control.job(job.id)).status is JobStatus.CANCELLED
        assert rig.fake.stats.requests["archive"] >= 1, "the remote session was archived"


async def test_rerun_queues_a_copy_of_a_finished_job(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        job = await rig.control.dispatch("hello", "again please")
        await wait_for(pilot, lambda: rig.row_of(job.id).get("status") == "✓ completed")
        await pilot.press("r")
        await wait_for(pilot, lambda: len(rig.row_keys()) == 2)
        copy = (await rig.control.jobs())[0]
        assert (copy.job, copy.prompt, copy.origin) == ("hello", "again please", f"rerun:{job.id}")
        assert rig.table.selected_key == str(job.id)


async def test_a_provider_failure_is_a_row_state_not_a_crash(tmp_path: Path) -> None:
    scenario = Scenario(turn_seconds=0.3)
    scenario.add_fault(Fault("server_error", route="list_events", count=1000))
    async with ui_rig(tmp_path, scenario) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        job = await rig.control.dispatch("hello")
        await wait_for(pilot, lambda: "retry" in rig.row_of(job.id).get("error", ""))
        assert rig.app.is_running
        assert rig.row_of(job.id)["status"] == "▶ running"


async def test_the_mouse_picks_tabs_and_opens_jobs(tmp_path: Path) -> None:
    from agentdash.ui.screens.job import JobScreen

    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        bad = await rig.control.dispatch("hello", "no [fake:terminated]")
        slow = await rig.control.dispatch("slow")
        await wait_for(pilot, lambda: rig.row_of(bad.id).get("status") == "✗ failed")
        await pilot.click("#tab-failed")
        assert rig.row_keys() == [str(bad.id)]
        await pilot.click("#tab-all")
        await wait_for(pilot, lambda: len(rig.row_keys()) == 2)
        row = rig.table.get_row_index(str(slow.id))
        await pilot.click(rig.table, offset=(10, row + 1))
        await pilot.click(rig.table, offset=(10, row + 1))
        await wait_for(pilot, lambda: isinstance(rig.app.screen, JobScreen))
        assert isinstance(rig.app.screen, JobScreen) and rig.app.screen.job.id == slow.id
