"""What the screens show, as plain data: status looks, time texts, tabs and filters.

Nothing here imports Textual, so the rules a person sees (what "needs you" means, how an
age is written, which jobs a filter keeps) are testable as plain functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from agentdash.durations import format_duration
from agentdash.models import ACTIVE, TERMINAL, Job, JobStatus

KEEP_FINISHED = 500
"""Finished jobs kept in memory (newest first); active jobs are always kept. Older ones
are paged in when the cursor reaches the end of the table, and the bound grows by them."""
PAGE = 500
"""Older finished jobs read per page."""


@dataclass(frozen=True)
class Look:
    """How a status is shown: a symbol and a word (never colour alone), and a colour."""

    symbol: str
    word: str
    colour: str
    """A theme variable name (``text-success``...) or ``dim``."""
    bold: bool = False

    @property
    def label(self) -> str:
        return f"{self.symbol} {self.word}"


LOOKS: dict[JobStatus, Look] = {
    JobStatus.QUEUED: Look("◷", "queued", "dim"),
    JobStatus.DISPATCHING: Look("↗", "dispatching", "text-primary"),
    JobStatus.UNKNOWN: Look("?", "unknown", "text-warning"),
    JobStatus.RUNNING: Look("▶", "running", "text-primary"),
    JobStatus.NEEDS_ACTION: Look("⚠", "needs you", "text-warning", bold=True),
    JobStatus.COMPLETED: Look("✓", "completed", "text-success"),
    JobStatus.FAILED: Look("✗", "failed", "text-error", bold=True),
    JobStatus.CANCELLED: Look("⊘", "cancelled", "dim"),
}


class Tab(StrEnum):
    """The four views of the jobs table (keys ``1``-``4``)."""

    ALL = "all"
    ACTIVE = "active"
    NEEDS_YOU = "needs-you"
    FAILED = "failed"

    @property
    def heading(self) -> str:
        return {"all": "All", "active": "Active", "needs-you": "Needs you", "failed": "Failed"}[
            self.value
        ]

    def keeps(self, job: Job) -> bool:
        return job.status in self.statuses

    @property
    def statuses(self) -> frozenset[JobStatus]:
        if self is Tab.ACTIVE:
            return ACTIVE
        if self is Tab.NEEDS_YOU:
            return frozenset({JobStatus.NEEDS_ACTION})
        if self is Tab.FAILED:
            return frozenset({JobStatus.FAILED})
        return frozenset(JobStatus)

    @property
    def history(self) -> frozenset[JobStatus]:
        """The finished states this tab shows: what paging in older jobs reads."""
        return self.statuses & TERMINAL


def tab_counts(counts: Mapping[JobStatus, int]) -> dict[Tab, int]:
    """Jobs per tab from the database's jobs per status (exact, however many are loaded)."""
    return {tab: sum(n for status, n in counts.items() if status in tab.statuses) for tab in Tab}


@dataclass(frozen=True)
class View:
    """Which jobs the table shows: a tab and a filter text (every word must match)."""

    tab: Tab = Tab.ALL
    text: str = ""

    def shows(self, job: Job) -> bool:
        if not self.tab.keeps(job):
            return False
        words = self.text.lower().split()
        if not words:
            return True
        haystack = searchable(job)
        return all(word in haystack for word in words)


def searchable(job: Job) -> str:
    """The text a filter matches: id, template, status (both spellings), origin, errors."""
    parts = [
        f"#{job.id}",
        job.job,
        job.status.value,
        LOOKS[job.status].word,
        job.origin,
        job.provider,
        job.error or "",
        job.last_error or "",
    ]
    return " ".join(parts).lower()


class JobIndex:
    """Every job the dashboard knows, by id; old finished jobs are dropped past a bound, so
    a dashboard left open for weeks does not grow without end.

    The index starts from every active job and the newest finished ones; older pages are
    added on request (:meth:`add_older`). For each tab it knows the id down to which every
    finished job of the tab is loaded (its *floor*): the next page is read below it.
    """

    def __init__(self, keep_finished: int = KEEP_FINISHED) -> None:
        self.jobs: dict[int, Job] = {}
        self._keep = keep_finished
        self._floors: dict[Tab, int] = {}
        """Tab → the lowest id from which its finished jobs are all loaded (0: every one)."""

    def update(self, jobs: Iterable[Job]) -> list[int]:
        """Take in changed jobs; returns the ids dropped to stay within the bound."""
        for job in jobs:
            self.jobs[job.id] = job
        finished = [i for i, j in self.jobs.items() if not j.is_active]
        if len(finished) <= self._keep:
            return []
        finished.sort(reverse=True)
        dropped = finished[self._keep :]
        for job_id in dropped:
            del self.jobs[job_id]
        above = dropped[0] + 1
        self._floors = {tab: max(floor, above) for tab, floor in self._floors.items()}
        return dropped

    def start(self, jobs: Iterable[Job], history: int) -> None:
        """The first load: every active job and (at most) the ``history`` newest finished."""
        self.update(jobs)
        finished = [i for i, j in self.jobs.items() if not j.is_active]
        floor = min(finished) if len(finished) >= history and finished else 0
        self._floors = dict.fromkeys(Tab, floor)

    def floor(self, tab: Tab) -> int:
        """Older finished jobs of ``tab`` may exist below this id (0: none are left)."""
        return self._floors.get(tab, 0) if tab.history else 0

    def add_older(self, tab: Tab, jobs: list[Job], page: int) -> list[Job]:
        """Add a page of ``tab``'s finished jobs read below its floor (newest first, at
        most ``page``); returns the ones that were new. The bound grows to keep them."""
        new = [job for job in jobs if job.id not in self.jobs]
        for job in new:
            self.jobs[job.id] = job
        self._keep += len(new)
        floor = 0 if len(jobs) < page else min(job.id for job in jobs)
        self._floors[tab] = floor
        if tab.history >= TERMINAL:  # every finished state: the other tabs are covered too
            self._floors = {t: min(f, floor) for t, f in self._floors.items()}
        return new

    def counts(self) -> dict[Tab, int]:
        return {tab: sum(1 for job in self.jobs.values() if tab.keeps(job)) for tab in Tab}

    def shown(self, view: View) -> list[Job]:
        """The jobs ``view`` keeps, newest first."""
        return sorted((job for job in self.jobs.values() if view.shows(job)), key=lambda j: -j.id)


def age(since: datetime, now: datetime) -> str:
    """A coarse age: ``<1m``, ``5m``, ``3h``, ``2d``. Counted in whole minutes of the wall
    clock, so every row's age flips on the same tick: one redraw a minute, not one per row."""
    minutes = int(now.timestamp() // 60 - since.timestamp() // 60)
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 1440:
        return f"{minutes // 60}h"
    return f"{minutes // 1440}d"


def elapsed(job: Job, now: datetime) -> str:
    """How long the job has run: exact once it ended; while it runs, in whole minutes after
    the first one, so a live row changes once a minute rather than every second."""
    start = job.dispatched_at or job.created_at
    if not job.is_active:
        end = job.finished_at or job.updated_at or now
        return format_duration((end - start).total_seconds())
    return coarse((now - start).total_seconds())


def coarse(seconds: float) -> str:
    """``45s`` under a minute, then ``3m``, ``2h05m``, ``3d4h``: at most one change a minute."""
    s = int(max(seconds, 0))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    return format_duration(s)


def countdown(when: datetime | None, now: datetime) -> str:
    """``in 45s`` in the last minute, else whole minutes rounded up (``in 2m``), ``in 3h12m``."""
    if when is None:
        return "—"
    seconds = (when - now).total_seconds()
    if seconds < 1:
        return "due"
    if seconds < 60:
        return f"in {int(seconds)}s"
    if seconds < 3600:
        return f"in {-int(-seconds // 60)}m"
    return f"in {format_duration(seconds)}"


def clock_time(when: datetime | None, now: datetime) -> str:
    """Local wall time: ``14:03:05`` today, ``Mon 14:03`` within a week, else the date."""
    if when is None:
        return "—"
    local, today = when.astimezone(), now.astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    if abs((today - local).days) < 7:
        return local.strftime("%a %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def stamp(when: datetime | None) -> str:
    """A full local timestamp for the details pane."""
    return "—" if when is None else when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def origin_label(origin: str) -> str:
    """``schedule:NAME@TIME`` → ``⏱ NAME``; ``task:SRC:ID`` → ``task SRC#ID``; ``rerun:N``."""
    kind, _, rest = origin.partition(":")
    if kind == "schedule":
        return f"⏱ {rest.partition('@')[0]}"
    if kind == "task":
        source, _, task = rest.partition(":")
        return f"task {source}#{task}"
    if kind == "rerun":
        return f"↻ rerun of #{rest}"
    return origin


def problem(job: Job) -> str:
    """The one-line error of a row: why it failed, or the retries in progress."""
    if job.error:
        return job.error
    if job.consecutive_errors and job.last_error:
        return f"retry {job.consecutive_errors}: {job.last_error}"
    return ""


_MARKDOWN = re.compile(
    r"^(#{1,6} |\s*[-*+] |\s*\d+[.)] |```|~~~|> |\|.*\|\s*$)"  # block syntax
    r"|\*\*[^*\n]+\*\*|\[[^\]\n]+\]\([^)\n]+\)",  # bold, links
    re.MULTILINE,
)
MARKDOWN_LIMIT = 200_000
"""Longer texts are shown plain: rendering Markdown of that size would stall the screen."""


def looks_like_markdown(text: str) -> bool:
    return len(text) <= MARKDOWN_LIMIT and _MARKDOWN.search(text) is not None


def split_output(transcript: str | None, output: str | None) -> tuple[str, str]:
    """The transcript without its last message when that message is the final output, and
    the final output: shown apart, never twice."""
    transcript, output = transcript or "", output or ""
    if output and transcript.endswith(output):
        transcript = transcript[: -len(output)].rstrip()
    return transcript, output
