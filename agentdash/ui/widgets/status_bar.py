"""The header line: who owns the engine, when it last polled, and the counts that matter.

It is not Textual's Header, whose clock repaints every second; this one repaints only when
its state changes, and shortens itself in a narrow pane.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.content import Content
from textual.widget import Widget

from agentdash.models import JobStatus


@dataclass(frozen=True)
class HeaderState:
    """Everything the header shows; the app builds a new one when anything changes."""

    label: str = ""
    role: str = "starting"
    """``owner``, ``follower``, ``starting`` or ``error``."""
    owner_pid: int | None = None
    owner_host: str | None = None
    last_poll: str = "—"
    poll_word: str = "last poll"
    running: int = 0
    needs_you: int = 0
    failed: int = 0
    queued: int = 0
    problem: str = ""

    @classmethod
    def counting(cls, counts: Mapping[JobStatus, int], **known: Any) -> HeaderState:
        """A header from the database's counts per status and what the app knows."""
        return cls(
            running=counts.get(JobStatus.RUNNING, 0) + counts.get(JobStatus.DISPATCHING, 0),
            needs_you=counts.get(JobStatus.NEEDS_ACTION, 0),
            failed=counts.get(JobStatus.FAILED, 0),
            queued=counts.get(JobStatus.QUEUED, 0),
            **known,
        )


WIDE = 100


class StatusBar(Widget):
    """One line at the top of every screen."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, state: HeaderState | None = None, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.state = state or HeaderState()

    def show(self, state: HeaderState) -> None:
        if state != self.state:
            self.state = state
            self.refresh()

    def render(self) -> Content:
        wide = self.size.width >= WIDE
        left = Content.assemble(("agentdash", "bold $accent"), " ", (self.state.label, "dim"))
        right = self._counts(wide)
        middle = self._engine(wide)
        gap = max(1, self.size.width - left.cell_length - middle.cell_length - right.cell_length)
        space = " " * (gap // 2)
        return Content.assemble(left, space, middle, " " * (gap - len(space)), right)

    def _engine(self, wide: bool) -> Content:
        s = self.state
        if s.role == "owner":
            role = Content.assemble(("●", "$text-success"), " engine: this pane")
        elif s.role == "follower":
            where = f" on {s.owner_host}" if wide and s.owner_host else ""
            role = Content.assemble(("◌", "$text-primary"), f" following pid {s.owner_pid}{where}")
        elif s.role == "error":
            role = Content.assemble(("✗", "$text-error"), f" {s.problem or 'engine error'}")
        else:
            role = Content("○ starting…")
        poll = f" · {s.poll_word} {s.last_poll}" if wide else f" · {s.last_poll}"
        return Content.assemble(role, (poll, "dim"))

    def _counts(self, wide: bool) -> Content:
        s = self.state
        parts: list[tuple[str, int, str, str]] = [
            ("▶", s.running, "running", "$text-primary"),
            ("⚠", s.needs_you, "needs you", "bold $text-warning" if s.needs_you else "dim"),
            ("✗", s.failed, "failed", "$text-error" if s.failed else "dim"),
            ("◷", s.queued, "queued", "dim"),
        ]
        pieces: list[str | tuple[str, str]] = []
        for symbol, count, word, style in parts:
            text = f"{symbol} {count} {word}" if wide else f"{symbol}{count}"
            pieces += [(text, style), " "]
        return Content.assemble(*pieces[:-1])
