"""The facts of one job beside (or above) its output: ids, times, usage, errors, deliveries.

Every value that came from outside (errors, remote ids, delivery errors) goes through
``safe_text`` and into ``Content`` as plain text, so nothing in it is markup or an escape.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from agentdash.models import Job, Usage
from agentdash.text import safe_text
from agentdash.ui.model import LOOKS, elapsed, origin_label, stamp

Row = tuple[str, str]


def usage_text(usage: Usage) -> str:
    parts = []
    if usage.input_tokens is not None:
        parts.append(f"in {usage.input_tokens:,}")
    if usage.output_tokens is not None:
        parts.append(f"out {usage.output_tokens:,}")
    if usage.cache_read_tokens:
        parts.append(f"cache {usage.cache_read_tokens:,}")
    if usage.active_seconds is not None:
        parts.append(f"{usage.active_seconds:.0f}s active")
    if usage.cost:
        parts.append(usage.cost)
    return " · ".join(parts) or "—"


def detail_rows(job: Job, now: datetime) -> list[Row]:
    rows: list[Row] = [
        ("Job", f"#{job.id} {job.job}"),
        (
            "Status",
            LOOKS[job.status].label + (" (cancel requested)" if job.cancel_requested else ""),
        ),
        ("Origin", origin_label(job.origin)),
        ("Provider", job.provider),
        ("Remote id", job.remote_id or "—"),
        ("Remote", job.remote_status or "—"),
        ("Created", stamp(job.created_at)),
        ("Dispatched", stamp(job.dispatched_at)),
        ("Finished", stamp(job.finished_at)),
        ("Elapsed", elapsed(job, now)),
        (
            "Polls",
            f"{job.poll_count}"
            + (f", next {stamp(job.next_poll_at)}" if job.is_active and job.next_poll_at else ""),
        ),
        ("Usage", usage_text(job.usage)),
    ]
    if job.error:
        rows.append(("Error", job.error))
    if job.last_error:
        rows.append(("Last error", f"{job.last_error} (×{job.consecutive_errors})"))
    return rows


def render_rows(rows: Iterable[Row]) -> Content:
    lines = [
        Content.assemble((f"{label:<11}", "bold $text-muted"), Content(safe_text(value)))
        for label, value in rows
    ]
    return Content("\n").join(lines)


class JobDetails(VerticalScroll, can_focus=False):
    """A scrollable block of label/value lines."""

    DEFAULT_CSS = """
    JobDetails { width: 46; height: 1fr; padding: 0 1; border-right: vkey $panel-lighten-1; }
    JobDetails > Static { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._body = Static("", markup=False)
        self._shown: Content | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield self._body

    def show(self, job: Job, now: datetime, deliveries: Iterable[Row] = ()) -> None:
        rows = detail_rows(job, now) + [(f"→ {sink}", state) for sink, state in deliveries]
        content = render_rows(rows)
        if content != self._shown:
            self._shown = content
            self._body.update(content)
