"""The results view (Enter on a job): Markdown output, search with n/N, follow mode, copy,
open in $EDITOR, save, and cancel/re-run from inside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Markdown, Static

from agentdash.fake import Scenario
from agentdash.models import JobStatus
from agentdash.ui.screens.confirm import ConfirmScreen
from agentdash.ui.screens.job import JobScreen
from agentdash.ui.screens.save import SaveScreen
from agentdash.ui.widgets.job_details import JobDetails
from agentdash.ui.widgets.output_view import OutputView, Paragraph, Section

from .test_ui_support import UiRig, started, ui_rig, wait_for

REPORT = "# Report\n\nThe **needle** is here.\n\n- one needle\n- two\n\nMore text with a needle."


def reply(prompt: str, index: int, total: int) -> str:
    if "plain" in prompt:
        return f"plain line {index}\nsecond line, needle {index}"
    return REPORT if index == total - 1 else f"step {index} of {total}: looking for the needle"


async def open_job(pilot: object, rig: UiRig, job_id: int) -> JobScreen:
    rig.table.focus()
    rig.table.move_cursor(row=rig.table.get_row_index(str(job_id)))
    await pilot.press("enter")  # type: ignore[attr-defined]
    screen = rig.app.screen
    assert isinstance(screen, JobScreen)
    await wait_for(pilot, lambda: screen.loaded)  # type: ignore[arg-type]
    return screen


async def test_output_markdown_search_copy_save_and_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EDITOR", "my-editor --wait")
    scenario = Scenario(turn_seconds=0.3, reply_text=reply, agent_messages=3)
    async with ui_rig(tmp_path, scenario) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        job = await rig.control.dispatch("hello", "write the report")
        await wait_for(pilot, lambda: rig.row_of(job.id).get("status") == "✓ completed")
        screen = await open_job(pilot, rig, job.id)
        output = screen.query_one(OutputView)
        final = screen.query_one("#final", Section)
        assert final.query(Markdown), "Markdown output is rendered as Markdown"
        assert output.final_text() == REPORT
        transcript = screen.query_one("#transcript", Section)
        assert transcript.text is not None and "looking for the needle" in transcript.text
        assert REPORT not in transcript.text, "the final output is not shown twice"

        await pilot.press("slash", *"needle", "enter")
        total = 2 + 3  # two transcript steps, three in the report
        assert output.position == (1, total)
        first_block = output._matches[0].block
        assert first_block.has_class("-current-match")
        await pilot.press("n", "n")
        assert output.position == (3, total)
        await pilot.press("N")
        assert output.position == (2, total)
        await pilot.press("N", "N")
        assert output.position == (total, total), "N wraps around"

        await pilot.press("y")
        assert rig.app.clipboard == REPORT

        await pilot.press("e")
        await wait_for(pilot, lambda: rig.runs.calls)
        argv = rig.runs.calls[0]
        assert argv[:2] == ["my-editor", "--wait"]
        assert rig.runs.texts[0] == REPORT
        await wait_for(pilot, lambda: not Path(argv[-1]).exists())

        await pilot.press("s")
        assert isinstance(rig.app.screen, SaveScreen)
        await pilot.press("enter")
        saved = tmp_path / f"agentdash-job-{job.id}.md"
        await wait_for(pilot, lambda: saved.exists())
        assert saved.read_text(encoding="utf-8") == REPORT
        await pilot.press("s", "enter")  # the same name again: never overwritten
        await wait_for(pilot, lambda: any("exists" in n.message for n in rig.app._notifications))

        await pilot.press("escape")
        assert rig.app.screen is rig.main


async def test_plain_output_highlights_matches_and_follow_mode(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        job = await rig.control.dispatch("slow", "plain output please")
        await wait_for(pilot, lambda: rig.row_of(job.id).get("status") == "▶ running")
        screen = await open_job(pilot, rig, job.id)
        output = screen.query_one(OutputView)
        assert output.follow, "follow mode is on while the job runs"
        assert screen.check_action("toggle_follow", ()) is True
        await pilot.press("f")
        assert not output.follow
        await pilot.press("f")
        assert output.follow
        assert screen.check_action("cancel", ()) is True
        assert screen.check_action("rerun", ()) is False

        await pilot.press("c")
        assert isinstance(rig.app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.job.status is JobStatus.CANCELLED)
        assert screen.check_action("rerun", ()) is True
        assert screen.check_action("toggle_follow", ()) is False
        await pilot.press("r")
        await wait_for(pilot, lambda: len(rig.row_keys()) == 2)


async def test_plain_paragraphs_are_searched_and_highlighted(tmp_path: Path) -> None:
    scenario = Scenario(turn_seconds=0.3, reply_text=reply)
    async with ui_rig(tmp_path, scenario) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        job = await rig.control.dispatch("hello", "plain please")
        await wait_for(pilot, lambda: rig.row_of(job.id).get("status") == "✓ completed")
        screen = await open_job(pilot, rig, job.id)
        output = screen.query_one(OutputView)
        assert not output.query(Markdown), "plain text stays plain"
        await pilot.press("slash", *"NEEDLE")
        assert output.position[1] == 2, "search ignores case"
        highlighted = [p for p in output.query(Paragraph) if p.has_class("-match")]
        assert highlighted and all("needle" in p.source for p in highlighted)
        await pilot.press("escape")
        assert output.position == (0, 0)
        assert not [p for p in output.query(Paragraph) if p.has_class("-match")]


async def test_deliveries_are_shown_and_R_delivers_again(tmp_path: Path) -> None:
    async with ui_rig(tmp_path) as rig, rig.app.run_test(size=(120, 36)) as pilot:
        await started(pilot, rig)
        job = await rig.control.dispatch("noted")
        written = tmp_path / "notes" / f"noted-{job.id}.md"
        await wait_for(pilot, lambda: written.exists())
        screen = await open_job(pilot, rig, job.id)
        body = screen.query_one(JobDetails).query_one(Static)
        await wait_for(pilot, lambda: "delivered (1 attempt)" in str(body.render()))
        assert "→ notes" in str(body.render())
        await pilot.press("R")
        await wait_for(pilot, lambda: any("already" in n.message for n in rig.app._notifications))
        deliveries = await rig.control.deliveries(job_id=job.id)
        assert [d.status.value for d in deliveries] == ["delivered"]
