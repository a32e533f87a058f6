"""The main screen: header, view tabs with counters, the needs-you lane, the jobs table,
the schedules panel and the footer.

Rows change in place as jobs change; the view (tab and filter text) decides which jobs
have rows. Every active job and the newest finished ones are loaded at start; moving the
cursor to the last row reads the next page of older ones. The tab counters are the
database's, exact however many jobs are loaded. Keys act on the selected job (or, for
``p``/``t``, the selected schedule) and the footer shows only the keys that apply to the
current selection.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, Tab, Tabs

from agentdash.clock import Clock
from agentdash.models import Job, JobStatus, ScheduleView
from agentdash.ui.actions import Actions
from agentdash.ui.external import Runner
from agentdash.ui.keys import MAIN_KEYS, bindings
from agentdash.ui.messages import HeaderChanged, JobsChanged, SchedulesChanged
from agentdash.ui.model import PAGE, JobIndex, View, tab_counts
from agentdash.ui.model import Tab as ViewTab
from agentdash.ui.screens.confirm import confirm_cancel
from agentdash.ui.screens.dispatch import DispatchRequest, DispatchScreen
from agentdash.ui.screens.job import JobScreen
from agentdash.ui.theme import palette
from agentdash.ui.widgets.filter_input import FilterInput
from agentdash.ui.widgets.jobs_table import JobsTable
from agentdash.ui.widgets.schedules_table import SchedulesTable
from agentdash.ui.widgets.status_bar import HeaderState, StatusBar

TICK = 1.0
"""Seconds between updates of ages and countdowns (in memory: no I/O)."""
PAGES_PER_REQUEST = 10
"""Pages read at most each time the cursor reaches the last row."""


class DashboardScreen(Screen[None]):
    """Jobs and schedules, live."""

    DEFAULT_CSS = """
    DashboardScreen #lane { display: none; height: 1; padding: 0 1; background: $warning 25%; }
    DashboardScreen #lane.-shown { display: block; }
    DashboardScreen #filter-note { display: none; height: 1; padding: 0 1; color: $text-muted; }
    DashboardScreen #filter-note.-shown { display: block; }
    DashboardScreen #schedules-panel {
        height: auto; max-height: 10; border-top: solid $panel-lighten-2;
    }
    DashboardScreen #schedules-panel.-empty { display: none; }
    DashboardScreen.-narrow #schedules-panel { max-height: 6; }
    DashboardScreen #schedules-title { text-style: bold; color: $text-accent; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = bindings(MAIN_KEYS)

    def __init__(self, actions: Actions, clock: Clock, runner: Runner) -> None:
        super().__init__()
        self.actions = actions
        self.clock = clock
        self.runner = runner
        self.index = JobIndex()
        self.counts: dict[ViewTab, int] = dict.fromkeys(ViewTab, 0)
        self.view = View()
        self._paging = False
        self.last_filter = ""
        self.header = HeaderState()
        self._applies: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield Tabs(*(Tab(t.heading, id=f"tab-{t.value}") for t in ViewTab), id="tabs")
        yield Static("", id="lane", markup=False)
        yield FilterInput(
            placeholder="filter: words to match in id, job, status, origin, error", id="filter"
        )
        yield Static("", id="filter-note", markup=False)
        yield JobsTable(self.clock, id="jobs")
        with Vertical(id="schedules-panel", classes="-empty"):
            yield Static("Schedules", id="schedules-title")
            yield SchedulesTable(self.clock, id="schedules")
        yield Footer()

    def on_mount(self) -> None:
        self._restyle()
        self.app.theme_changed_signal.subscribe(self, lambda _: self._restyle())
        self.set_interval(TICK, self._tick, name="ages")
        self.jobs_table.focus()

    @property
    def jobs_table(self) -> JobsTable:
        return self.query_one("#jobs", JobsTable)

    @property
    def schedules_table(self) -> SchedulesTable:
        return self.query_one("#schedules", SchedulesTable)

    @property
    def selected_job(self) -> Job | None:
        return self.jobs_table.selected_job

    @property
    def selected_schedule(self) -> ScheduleView | None:
        return self.schedules_table.selected

    # -- the feed --------------------------------------------------------------------

    @on(JobsChanged)
    def _jobs_changed(self, message: JobsChanged) -> None:
        table = self.jobs_table
        if message.update.initial:
            self.index.start(message.update.jobs, message.update.history)
            table.set_items(self.index.shown(self.view))
        else:
            for job_id in self.index.update(message.update.jobs):
                table.drop(str(job_id))
            added = False
            for job in message.update.jobs:
                if job.id not in self.index.jobs:
                    continue
                if self.view.shows(job):
                    added = table.put(job) or added
                else:
                    table.drop(str(job.id))
            if added:
                table.reorder()
        self.counts = tab_counts(message.counts)
        self._counts_changed()
        self._bindings_changed()

    @on(SchedulesChanged)
    def _schedules_changed(self, message: SchedulesChanged) -> None:
        self.schedules_table.show(message.schedules)
        panel = self.query_one("#schedules-panel")
        panel.set_class(not message.schedules, "-empty")
        self._bindings_changed()

    @on(HeaderChanged)
    def _header_changed(self, message: HeaderChanged) -> None:
        self.header = message.state
        self.query_one(StatusBar).show(message.state)

    def _counts_changed(self) -> None:
        counts = self.counts
        tabs = self.query_one(Tabs)
        for tab in ViewTab:
            label = f"{tab.heading} {counts[tab]}"
            widget = tabs.query_one(f"#tab-{tab.value}", Tab)
            if widget.label_text != label:
                widget.label = label
        waiting = [j for j in self.index.jobs.values() if j.status is JobStatus.NEEDS_ACTION]
        lane = self.query_one("#lane", Static)
        lane.set_class(bool(waiting), "-shown")
        if waiting:
            ids = ", ".join(f"#{j.id} {j.job}" for j in sorted(waiting, key=lambda j: -j.id)[:4])
            noun = "job needs" if len(waiting) == 1 else "jobs need"
            text = f"⚠ {len(waiting)} {noun} you: {ids}  (press 3)"
            if str(lane.content) != text:
                lane.update(Content(text))

    def _tick(self) -> None:
        self.jobs_table.tick()
        self.schedules_table.tick()

    def _restyle(self) -> None:
        colours = palette(self.app)
        self.jobs_table.restyle(colours)
        self.schedules_table.restyle(colours)

    # -- view: tabs and filter -------------------------------------------------------

    def _set_view(self, view: View) -> None:
        if view == self.view:
            return
        self.view = view
        self.jobs_table.set_items(self.index.shown(view))
        note = self.query_one("#filter-note", Static)
        note.set_class(bool(view.text), "-shown")
        note.update(Content(f"filter: {view.text}   (/ to change, esc in the filter clears)"))
        self._bindings_changed()

    @on(Tabs.TabActivated, "#tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        name = (event.tab.id or "tab-all").removeprefix("tab-")
        self._set_view(View(ViewTab(name), self.view.text))

    def action_tab(self, name: str) -> None:
        self.query_one(Tabs).active = f"tab-{name}"

    def action_filter(self) -> None:
        """Open the filter with the current (or last used) text, ready to change."""
        self.query_one("#filter", FilterInput).open(self.view.text or self.last_filter)

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self._set_view(View(self.view.tab, event.value.strip()))

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self.last_filter = text
        self._set_view(View(self.view.tab, text))
        self._close_filter()

    @on(FilterInput.Cleared, "#filter")
    def _filter_cleared(self) -> None:
        self._set_view(View(self.view.tab, ""))
        self._close_filter()

    def _close_filter(self) -> None:
        self.query_one("#filter", FilterInput).close()
        self.jobs_table.focus()

    # -- actions ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the keys that do not apply to the current selection from the footer."""
        job = self.selected_job
        if action in ("open",):
            return job is not None
        if action == "cancel":
            return job is not None and job.is_active and not job.cancel_requested
        if action == "rerun":
            return job is not None and not job.is_active
        if action == "redeliver":
            return job is not None and not job.is_active
        if action in ("pause", "run_schedule"):
            return self.selected_schedule is not None
        return True

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._bindings_changed()
        table = self.jobs_table
        if event.data_table is table and event.cursor_row >= table.row_count - 1:
            self._page_older()

    # -- older jobs, a page at a time -------------------------------------------------

    def _page_older(self) -> None:
        """The cursor reached the last row: read older finished jobs of the view, if any."""
        if not self._paging and self.index.floor(self.view.tab) > 0:
            self._paging = True
            self.run_worker(self._load_older(), group="older", exit_on_error=False)

    async def _load_older(self) -> None:
        """Read pages until rows arrive below the cursor (a filter may match none of a
        page; rows may fill a gap above it), or the history ends."""
        try:
            for _ in range(PAGES_PER_REQUEST):
                tab = self.view.tab
                floor = self.index.floor(tab)
                if floor <= 0:
                    return
                jobs = await self.actions.older(sorted(tab.history), floor, PAGE)
                if jobs is None or self.index.floor(tab) != floor or tab != self.view.tab:
                    return  # failed (a toast said so), or the index moved meanwhile
                table, added = self.jobs_table, False
                for job in self.index.add_older(tab, jobs, PAGE):
                    if self.view.shows(job):
                        added = table.put(job) or added
                if added:
                    table.reorder()
                if table.cursor_row < table.row_count - 1:
                    return  # rows arrived below the cursor: reading on is the person's call
        finally:
            self._paging = False

    def _bindings_changed(self) -> None:
        """Redraw the footer only when what applies to the selection changed (a footer
        redraw is a relayout: never once per poll)."""
        job, schedule = self.selected_job, self.selected_schedule
        applies = (
            job is not None and job.is_active,
            job is not None and job.cancel_requested,
            job is None,
            schedule is None,
        )
        if applies != self._applies:
            self._applies = applies
            self.refresh_bindings()

    @on(DataTable.RowSelected, "#jobs")
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        job = self.selected_job
        if job is not None:
            self.app.push_screen(JobScreen(job, self.actions, self.clock, self.header, self.runner))

    def action_dispatch(self) -> None:
        templates = self.actions.templates
        if not templates:
            self.notify(
                "No job templates are configured (see config.example.yaml)", severity="warning"
            )
            return
        selected = self.selected_job.job if self.selected_job else None

        def chosen(request: DispatchRequest | None) -> None:
            if request is not None:
                self.run_worker(
                    self.actions.dispatch(request.job, request.prompt),
                    group="action",
                    exit_on_error=False,
                )

        self.app.push_screen(DispatchScreen(templates, selected), chosen)

    def action_cancel(self) -> None:
        job = self.selected_job
        if job is not None:
            confirm_cancel(self, self.actions, job)

    def action_rerun(self) -> None:
        job = self.selected_job
        if job is not None:
            self.run_worker(self.actions.rerun(job.id), group="action", exit_on_error=False)

    def action_redeliver(self) -> None:
        job = self.selected_job
        if job is not None:
            self.run_worker(self.actions.redeliver(job.id), group="action", exit_on_error=False)

    def action_pause(self) -> None:
        schedule = self.selected_schedule
        if schedule is not None:
            work = self.actions.set_paused(schedule.name, not schedule.paused)
            self.run_worker(work, group="action", exit_on_error=False)

    def action_run_schedule(self) -> None:
        schedule = self.selected_schedule
        if schedule is not None:
            work = self.actions.run_schedule(schedule.name)
            self.run_worker(work, group="action", exit_on_error=False)
