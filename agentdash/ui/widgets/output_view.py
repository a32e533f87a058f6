"""A job's prompt, transcript and final output: Markdown where it is Markdown, searchable.

Each part is a section whose body is either Textual's ``Markdown`` (when the text looks
like Markdown) or plain paragraphs shown as ``Content`` (never markup). Search works on
blocks (a Markdown block, or a plain paragraph): ``n``/``N`` step through every occurrence,
scrolling its block into view; plain paragraphs also highlight the words themselves.

A running job's transcript only grows, so new text is *appended* to the Markdown document
instead of rebuilding it, and follow mode keeps the end in view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Label, Markdown, Static
from textual.widgets.markdown import MarkdownBlock

from agentdash.models import Job
from agentdash.text import safe_text
from agentdash.ui.model import looks_like_markdown, split_output

_PARAGRAPHS = re.compile(r"\n[ \t]*\n")


class Paragraph(Static):
    """One plain paragraph; its matches are highlighted in place."""

    DEFAULT_CSS = """
    Paragraph { width: 1fr; margin: 0 0 1 0; }
    """

    def __init__(self, source: str) -> None:
        super().__init__(Content(source), markup=False)
        self.source = source

    def highlight(self, pattern: re.Pattern[str] | None) -> None:
        content = Content(self.source)
        if pattern is not None:
            content = content.highlight_regex(pattern, style="reverse")
        self.update(content)


class Section(Vertical):
    """A titled part of the document; its body is Markdown or plain paragraphs."""

    DEFAULT_CSS = """
    Section { height: auto; margin: 0 0 1 0; }
    Section > .section--title { text-style: bold; color: $text-accent; margin: 0 0 1 0; }
    Section > Markdown { margin: 0; padding: 0; }
    Section > .section--empty { color: $text-muted; text-style: italic; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.title = title
        self.text: str | None = None
        self._markdown: Markdown | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="section--title", markup=False)

    async def set_text(self, text: str, empty: str = "") -> None:
        """Show ``text``; growing Markdown is appended to, anything else is replaced."""
        if text == self.text:
            return
        previous, self.text = self.text, text
        if not text:
            await self._replace([Static(Content(empty), classes="section--empty")])
            return
        if looks_like_markdown(text):
            if self._markdown is not None and previous and text.startswith(previous):
                await self._markdown.append(text[len(previous) :])
                return
            self._markdown = Markdown(text, open_links=False)
            await self._replace([self._markdown])
            return
        await self._replace([Paragraph(p) for p in _PARAGRAPHS.split(text) if p.strip()])

    async def _replace(self, widgets: list[Widget]) -> None:
        if not any(isinstance(w, Markdown) for w in widgets):
            self._markdown = None
        await self.query_children().exclude(".section--title").remove()
        await self.mount_all(widgets)

    def blocks(self) -> list[tuple[Widget, str]]:
        """The searchable blocks of this section with their source text."""
        if self._markdown is not None:
            return [
                (block, block.source or "")
                for block in self._markdown.query_children(MarkdownBlock)
            ]
        return [(p, p.source) for p in self.query_children(Paragraph)]


@dataclass(frozen=True)
class Match:
    block: Widget
    occurrence: int


class OutputView(VerticalScroll):
    """The scrollable document of one job."""

    DEFAULT_CSS = """
    OutputView { height: 1fr; padding: 0 1; }
    OutputView .-match { background: $warning 15%; }
    OutputView .-current-match { background: $warning 40%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.follow = False
        self.query_text = ""
        self._matches: list[Match] = []
        self._current = -1

    def compose(self) -> ComposeResult:
        yield Section("Prompt", id="prompt")
        yield Section("Transcript", id="transcript")
        yield Section("Final output", id="final")

    async def show(self, job: Job) -> None:
        """Bring the document up to date with ``job`` (with its output)."""
        transcript, output = split_output(
            safe_text(job.transcript or ""), safe_text(job.output or "")
        )
        waiting = "waiting for the agent's first message…" if job.is_active else "no messages"
        await self.query_one("#prompt", Section).set_text(safe_text(job.prompt))
        await self.query_one("#transcript", Section).set_text(transcript, waiting)
        final = "not finished yet" if job.is_active else "no final output"
        await self.query_one("#final", Section).set_text(output, final)
        if self.query_text:
            self.search(self.query_text, keep_position=True)
        if self.follow:
            self.call_after_refresh(self.scroll_end, animate=False)

    def reveal_final(self) -> None:
        """Scroll so the final output starts at the top: what a finished job is read for."""
        final = self.query_one("#final", Section)
        if final.text:
            self.call_after_refresh(self.scroll_to_widget, final, animate=False, top=True)

    def final_text(self) -> str:
        return self.query_one("#final", Section).text or ""

    def document_text(self) -> str:
        parts = [(s.title, s.text or "") for s in self.query(Section)]
        return "\n\n".join(f"# {title}\n\n{text}" for title, text in parts if text)

    # -- search ----------------------------------------------------------------------

    def search(self, text: str, *, keep_position: bool = False) -> int:
        """Find ``text`` (case-insensitive); returns the number of occurrences."""
        self.query_text = text
        pattern = re.compile(re.escape(text), re.IGNORECASE) if text else None
        matches: list[Match] = []
        for section in self.query(Section):
            for block, source in section.blocks():
                count = len(pattern.findall(source)) if pattern else 0
                matches += [Match(block, i) for i in range(count)]
                block.set_class(count > 0, "-match")
                block.remove_class("-current-match")
                if isinstance(block, Paragraph):
                    block.highlight(pattern if count else None)
        self._matches = matches
        if not keep_position or self._current >= len(matches):
            self._current = -1
        if matches and not keep_position:
            self.jump(1)
        elif matches and self._current >= 0:
            self._mark(self._matches[self._current])
        return len(matches)

    def jump(self, step: int) -> tuple[int, int]:
        """Move to the next (``step=1``) or previous (``-1``) occurrence; (index, total)."""
        if not self._matches:
            return 0, 0
        if self._current < 0:
            self._current = 0 if step > 0 else len(self._matches) - 1
        else:
            self._current = (self._current + step) % len(self._matches)
        self.follow = False
        match = self._matches[self._current]
        for other in self._matches:
            other.block.remove_class("-current-match")
        self._mark(match)
        self.scroll_to_center(match.block, animate=False)
        return self._current + 1, len(self._matches)

    def _mark(self, match: Match) -> None:
        match.block.add_class("-current-match")

    @property
    def position(self) -> tuple[int, int]:
        return (self._current + 1 if self._matches else 0), len(self._matches)
