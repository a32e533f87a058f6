"""Every key of the dashboard in one table: bindings, the help screen and the command
palette are all built from it, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Key:
    key: str
    action: str
    description: str
    """What the help screen and the command palette say."""
    footer: str = ""
    """A short label for the footer (default: the description)."""
    show: bool = True
    """Shown in the footer (when it applies)."""
    display: str | None = None
    palette: bool = True
    """Offered in the command palette."""
    bind: bool = True
    """False for keys a widget binds itself (listed in help only)."""

    @property
    def shown_key(self) -> str:
        return self.display or self.key

    def binding(self) -> Binding:
        label = self.footer or self.description
        return Binding(self.key, self.action, label, show=self.show, key_display=self.display)


def bindings(keys: tuple[Key, ...]) -> list[BindingType]:
    return [key.binding() for key in keys if key.bind]


APP_KEYS = (
    Key("question_mark", "help", "Every key", "Help", display="?"),
    Key("q", "quit", "Quit at once (nothing is lost)", "Quit"),
    Key("T", "change_theme", "Pick a theme", "Theme", show=False),
    Key(
        "ctrl+p",
        "command_palette",
        "Command palette",
        "Commands",
        show=False,
        display="^p",
        palette=False,
    ),
)

MAIN_KEYS = (
    Key("enter", "open", "Open the job: transcript and output", "Open", display="⏎"),
    Key("d", "dispatch", "Dispatch a job", "Dispatch"),
    Key("c", "cancel", "Cancel the job (asks first)", "Cancel"),
    Key("r", "rerun", "Re-run the finished job", "Re-run"),
    Key("R", "redeliver", "Deliver the result again", "Re-deliver", show=False),
    Key("slash", "filter", "Filter the jobs (remembered)", "Filter", display="/"),
    Key("1", "tab('all')", "All jobs", show=False),
    Key("2", "tab('active')", "Active jobs", show=False),
    Key("3", "tab('needs-you')", "Jobs that need you", show=False),
    Key("4", "tab('failed')", "Failed jobs", show=False),
    Key("p", "pause", "Pause or resume the selected schedule", "Pause"),
    Key("t", "run_schedule", "Run the selected schedule now", "Run now"),
    Key("j", "down", "Down (also ↓)", show=False, palette=False, bind=False),
    Key("k", "up", "Up (also ↑)", show=False, palette=False, bind=False),
    Key("g", "top", "First row", show=False, palette=False, bind=False),
    Key("G", "bottom", "Last row", show=False, palette=False, bind=False),
    Key("tab", "focus_next", "Next panel", show=False, palette=False, bind=False),
)

JOB_KEYS = (
    Key("escape", "back", "Back to the jobs", "Back", display="esc"),
    Key("slash", "search", "Search the output", "Search", display="/"),
    Key("n", "next_match", "Next match", "Next"),
    Key("N", "previous_match", "Previous match", show=False),
    Key("f", "toggle_follow", "Follow new output on or off", "Follow"),
    Key("y", "copy", "Copy the final output (OSC 52)", "Copy"),
    Key("e", "external", "Open in $EDITOR or $PAGER", "Editor"),
    Key("s", "save", "Save the output to a file", "Save"),
    Key("c", "cancel", "Cancel the job (asks first)", "Cancel"),
    Key("r", "rerun", "Re-run the finished job", "Re-run"),
    Key("R", "redeliver", "Deliver the result again", "Re-deliver", show=False),
    Key("j", "down", "Scroll down (g top, G bottom)", show=False, palette=False, bind=False),
)

HELP_NOTES = (
    "q quits at once. Nothing is lost: every job is in the database, and the engine "
    "picks up where it stopped on the next start (or another agentdash pane takes over).",
    "Tab moves between the jobs table and the schedules panel; the mouse works too.",
    "Enter on a job opens its transcript and output; Esc comes back.",
)
