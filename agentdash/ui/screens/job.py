"""Enter on a job: its details beside (or, in a narrow pane, above) its prompt, transcript
and final output, with search, follow mode, copy, open-in-editor and save.

The screen reloads the job (with its output) whenever the feed reports it changed, one
load at a time; a running job's transcript is appended to, never redrawn from scratch.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from agentdash.clock import Clock
from agentdash.models import Job
from agentdash.ui.actions import Actions
from agentdash.ui.external import Runner, save_new, viewer_command, write_private_temp
from agentdash.ui.keys import JOB_KEYS, bindings
from agentdash.ui.messages import HeaderChanged, JobsChanged
from agentdash.ui.screens.confirm import confirm_cancel
from agentdash.ui.screens.save import SaveScreen
from agentdash.ui.widgets.filter_input import FilterInput
from agentdash.ui.widgets.job_details import JobDetails
from agentdash.ui.widgets.output_view import OutputView
from agentdash.ui.widgets.status_bar import HeaderState, StatusBar


class JobScreen(Screen[None]):
    """One job, live while it runs."""

    DEFAULT_CSS = """
    JobScreen #job-body { height: 1fr; }
    JobScreen #output-column { width: 1fr; height: 1fr; }
    JobScreen #mode { height: 1; padding: 0 1; color: $text-muted; }
    JobScreen #search-bar { height: auto; }
    JobScreen #search-count { width: auto; padding: 1 1 0 1; color: $text-muted; }
    JobScreen.-narrow #job-body { layout: vertical; }
    JobScreen.-narrow JobDetails {
        width: 1fr; height: auto; max-height: 7; border-right: none;
        border-bottom: solid $panel-lighten-1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = bindings(JOB_KEYS)

    def __init__(
        self, job: Job, actions: Actions, clock: Clock, header: HeaderState, runner: Runner
    ) -> None:
        super().__init__()
        self.job = job
        self.actions = actions
        self.clock = clock
        self.header = header
        self.runner = runner
        self.loaded = False
        self._reload = False
        self._loading = False
        self._deliveries: list[tuple[str, str]] = []
        self._mode = ""
        self._applies: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield StatusBar(self.header)
        with Horizontal(id="job-body"):
            yield JobDetails(id="details")
            with Vertical(id="output-column"):
                yield Static("", id="mode", markup=False)
                yield OutputView(id="output")
                with Horizontal(id="search-bar"):
                    yield FilterInput(placeholder="search the output", id="search")
                    yield Static("", id="search-count", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.output.follow = self.job.is_active
        self.query_one(JobDetails).show(self.job, self.clock.now())
        self.set_interval(1.0, self._tick, name="elapsed")
        self.output.focus()
        self._request_load()

    @property
    def output(self) -> OutputView:
        return self.query_one(OutputView)

    # -- loading ---------------------------------------------------------------------

    @on(JobsChanged)
    def _jobs_changed(self, message: JobsChanged) -> None:
        if any(job.id == self.job.id for job in message.update.jobs):
            self._request_load()

    @on(HeaderChanged)
    def _header_changed(self, message: HeaderChanged) -> None:
        self.header = message.state
        self.query_one(StatusBar).show(message.state)

    def _request_load(self) -> None:
        """Coalesce reloads: a change during a load triggers exactly one more."""
        self._reload = True
        if not self._loading:
            self._loading = True
            self.run_worker(self._load(), group="load", exit_on_error=False)

    async def _load(self) -> None:
        try:
            while self._reload:
                self._reload = False
                job = await self.actions.job(self.job.id)
                if job is None:
                    return
                self._deliveries = await self.actions.deliveries(self.job.id)
                self.job = job
                await self.output.show(job)
                self._show_details()
                if not self.loaded and not job.is_active:
                    self.output.reveal_final()
                self.loaded = True
                self._bindings_changed()
        finally:
            self._loading = False

    def _show_details(self) -> None:
        self.query_one(JobDetails).show(self.job, self.clock.now(), self._deliveries)
        follow = self.output.follow and self.job.is_active
        text = "following new output · f stops" if follow else ""
        if self.job.is_active and not follow:
            text = "not following · f follows new output"
        if text != self._mode:  # an update relayouts: only when the words change
            self._mode = text
            self.query_one("#mode", Static).update(Content(text))

    def _tick(self) -> None:
        if self.job.is_active:
            self._show_details()
        elif any(not state.startswith("delivered") for _, state in self._deliveries):
            # deliveries change without the job: re-read them (only them) while any is open
            self.run_worker(
                self._refresh_deliveries(), group="deliveries", exclusive=True, exit_on_error=False
            )

    async def _refresh_deliveries(self) -> None:
        deliveries = await self.actions.deliveries(self.job.id)
        if deliveries != self._deliveries:
            self._deliveries = deliveries
            self._show_details()

    # -- keys ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job = self.job
        if action == "cancel":
            return job.is_active and not job.cancel_requested
        if action == "rerun":
            return not job.is_active
        if action == "redeliver":
            return not job.is_active
        if action in ("next_match", "previous_match"):
            return bool(self.output.query_text)
        if action == "toggle_follow":
            return job.is_active
        if action in ("copy", "save", "external"):
            return self.loaded
        return True

    def _bindings_changed(self) -> None:
        job, searching = self.job, bool(self.output.query_text)
        applies = (self.loaded, job.is_active, job.cancel_requested, searching)
        if applies != self._applies:
            self._applies = applies
            self.refresh_bindings()

    def action_back(self) -> None:
        self.dismiss()

    def action_search(self) -> None:
        self.query_one("#search", FilterInput).open(self.output.query_text)

    @on(Input.Changed, "#search")
    def _search_typed(self, event: Input.Changed) -> None:
        self.output.search(event.value)
        self._show_position()
        self._bindings_changed()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#search", FilterInput).close()
        self.output.focus()

    @on(FilterInput.Cleared, "#search")
    def _search_cleared(self) -> None:
        self.output.search("")
        self._show_position()
        self.query_one("#search", FilterInput).close()
        self.output.focus()
        self._bindings_changed()

    def action_next_match(self) -> None:
        self.output.jump(1)
        self._show_position()

    def action_previous_match(self) -> None:
        self.output.jump(-1)
        self._show_position()

    def _show_position(self) -> None:
        index, total = self.output.position
        query = self.output.query_text
        text = f"{index}/{total}" if total else ("no match" if query else "")
        self.query_one("#search-count", Static).update(Content(text))
        if query and not self.query_one("#search", FilterInput).has_class("-shown"):
            self.notify(f"match {text} for {query!r}", timeout=2, markup=False)

    def action_toggle_follow(self) -> None:
        self.output.follow = not self.output.follow
        if self.output.follow:
            self.output.scroll_end(animate=False)
        self._show_details()

    def _text(self) -> str:
        """The final output if there is one, else the whole document so far."""
        return self.output.final_text() or self.output.document_text()

    def action_copy(self) -> None:
        text = self.output.final_text()
        if not text:
            self.notify("No final output yet; nothing copied", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the final output ({len(text):,} characters)")

    def action_external(self) -> None:
        self.run_worker(self._open_external(), group="external", exit_on_error=False)

    async def _open_external(self) -> None:
        path = await asyncio.to_thread(write_private_temp, self._text(), f"job-{self.job.id}")
        argv = viewer_command(path)
        try:
            status = await self.runner(argv)
        except Exception as exc:
            self.notify(f"Could not run {argv[0]}: {exc}", severity="error", markup=False)
            return
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        if status != 0:
            self.notify(f"{argv[0]} exited with status {status}", severity="warning", markup=False)

    def action_save(self) -> None:
        default = Path.cwd() / f"agentdash-job-{self.job.id}.md"
        self.app.push_screen(SaveScreen(default), self._save_to)

    def _save_to(self, path: Path | None) -> None:
        if path is not None:
            self.run_worker(self._save(path, self._text()), group="save", exit_on_error=False)

    async def _save(self, path: Path, text: str) -> None:
        try:
            await asyncio.to_thread(save_new, path, text)
        except FileExistsError:
            self.notify(f"{path} exists; not overwritten", severity="warning", markup=False)
        except OSError as exc:
            self.notify(f"Could not save: {exc}", severity="error", markup=False)
        else:
            self.notify(f"Saved to {path}", markup=False)

    def action_cancel(self) -> None:
        confirm_cancel(self, self.actions, self.job)

    def action_rerun(self) -> None:
        self.run_worker(self.actions.rerun(self.job.id), group="action", exit_on_error=False)

    def action_redeliver(self) -> None:
        self.run_worker(self.actions.redeliver(self.job.id), group="action", exit_on_error=False)
