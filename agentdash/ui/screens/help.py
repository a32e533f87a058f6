"""``?``: every key of every screen, built from the same table as the bindings."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from agentdash.ui.keys import APP_KEYS, HELP_NOTES, JOB_KEYS, MAIN_KEYS, Key


def _section(title: str, keys: tuple[Key, ...]) -> Content:
    lines = [Content.styled(title, "bold $text-accent")]
    lines += [Content.assemble((f"  {key.shown_key:<8}", "bold"), key.description) for key in keys]
    return Content("\n").join(lines)


def help_content() -> Content:
    notes = Content("\n").join(Content(note) for note in HELP_NOTES)
    parts = [
        _section("Jobs and schedules", MAIN_KEYS),
        _section("A job's output", JOB_KEYS),
        _section("Everywhere", APP_KEYS),
        Content.styled("Good to know", "bold $text-accent"),
        notes,
    ]
    return Content("\n\n").join(parts)


class HelpScreen(ModalScreen[None]):
    """Closes on ``esc``, ``?`` or a click outside."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 95%; height: auto; max-height: 90%; padding: 1 2;
        border: thick $accent 60%; background: $surface;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_content(), id="help-text")

    def on_click(self) -> None:
        self.dismiss()

    def action_close(self) -> None:
        self.dismiss()
