"""Hostile agent output through the real render path: nothing in it reaches the terminal
as an escape sequence, and markup in it is shown literally, never interpreted.

"Terminal output" here is what the app would write to the terminal: the compositor's full
update rendered to a string with the app's console, the same call the driver makes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App, ComposeResult

from agentdash.clock import FakeClock
from agentdash.fake import Scenario
from agentdash.models import Job, JobStatus
from agentdash.store import Store
from agentdash.ui.widgets.job_details import JobDetails
from agentdash.ui.widgets.jobs_table import JobsTable
from agentdash.ui.widgets.output_view import OutputView

from .test_ui_results import open_job
from .test_ui_support import started, ui_rig, wait_for

HOSTILE = (
    "start \x1b]0;PWNED-TITLE\x07 title\n"
    "\x1b[2J clear screen\n"
    "\x9b31m C1 CSI red\n"
    "\x1b]52;c;cHduZWQ=\x07 clipboard\n"
    "[@click=app.quit]click me[/] [bold]not bold[/bold] [type=x, v={'a[0]'}] [[x]] end"
)
SURROGATE = "lone \ud800 surrogate"
LITERALS = ("[@click=app.quit]click me[/]", "[bold]not bold[/bold]", "[type=x, v={'a[0]'}]")
ALLOWED_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""What Textual itself writes: CSI sequences (colours, cursor moves, modes)."""


def terminal_output(app: App[object]) -> str:
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


def assert_inert(output: str) -> None:
    output.encode("utf-8")  # no lone surrogate reaches the terminal
    assert "\x9b" not in output and "\x07" not in output
    assert "\x1b]" not in output, "no OSC (title, clipboard) from the content"
    assert "\x1b[2J" not in output
    leftover = ALLOWED_ESCAPE.sub("", output)
    assert "\x1b" not in leftover, repr(leftover[leftover.index("\x1b") - 20 :][:60])


def visible(output: str) -> str:
    return ALLOWED_ESCAPE.sub("", output)


def hostile_reply(prompt: str, index: int, total: int) -> str:
    return HOSTILE


async def test_hostile_output_and_errors_stay_inert_on_every_screen(tmp_path: Path) -> None:
    scenario = Scenario(turn_seconds=0.3, reply_text=hostile_reply, agent_messages=1)
    async with ui_rig(tmp_path, scenario) as rig, rig.app.run_test(size=(160, 50)) as pilot:
        await started(pilot, rig)
        job = await rig.control.dispatch("hello", "be hostile")
        await wait_for(pilot, lambda: rig.row_of(job.id).get("status") == "✓ completed")
        # Another process records hostile errors, and a failed job whose error is hostile.
        async with await Store.open(rig.settings.database) as other:
            await other.jobs.update(job.id, {"error": HOSTILE, "last_error": HOSTILE})
            failed = await other.jobs.add(
                job="hello",
                provider="fake",
                prompt="x",
                origin="manual",
                now=datetime.now(UTC),
            )
            await other.jobs.update(failed.id, {"status": JobStatus.FAILED, "error": HOSTILE})
        await wait_for(pilot, lambda: rig.row_of(failed.id).get("status") == "✗ failed")
        await wait_for(pilot, lambda: "title" in rig.row_of(job.id).get("error", ""))
        await wait_for(pilot, lambda: len(rig.app._notifications) >= 2)
        await pilot.pause()

        main = terminal_output(rig.app)
        assert_inert(main)
        assert "␛]0;PWNED-TITLE␇" in visible(main), "the escape is shown as a visible placeholder"

        screen = await open_job(pilot, rig, job.id)
        await pilot.pause()
        output = terminal_output(rig.app)
        assert_inert(output)
        text = visible(output)
        for literal in LITERALS:
            assert literal in text, literal
        assert "␛[2J clear screen" in text and "\ufffd31m C1 CSI red" in text
        assert rig.app.is_running
        await pilot.click(JobDetails)
        assert rig.app.is_running and rig.app.screen is screen


class Widgets(App[None]):
    """The job widgets alone, fed a Job that could not even be stored (lone surrogates)."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def compose(self) -> ComposeResult:
        yield JobsTable(self.clock)
        yield JobDetails()
        yield OutputView()

    async def on_mount(self) -> None:
        self.query_one(JobsTable).set_items([self.job])
        self.query_one(JobDetails).show(self.job, self.clock.now(), [("notes", SURROGATE)])
        await self.query_one(OutputView).show(self.job)


async def test_lone_surrogates_and_markup_in_every_widget() -> None:
    text = f"{HOSTILE}\n{SURROGATE}"
    job = Job(
        id=7,
        job="hello",
        provider="fake",
        status=JobStatus.FAILED,
        origin=f"task:q:{text}",
        prompt=text,
        created_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        error=text,
        last_error=text,
        output=f"# Title\n\n{text}",
        transcript=text,
        remote_id=SURROGATE,
    )
    app = Widgets(job)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        output = terminal_output(app)
        assert_inert(output)
        shown = visible(output)
        assert "[bold]not bold[/bold]" in shown and "lone � surrogate" in shown
        assert app.is_running
