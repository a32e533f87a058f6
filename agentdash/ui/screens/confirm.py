"""A yes/no question before anything that cannot be undone (cancelling a job)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from agentdash.models import Job
from agentdash.ui.actions import Actions


def cancel_question(job: Job) -> Content:
    """The question ``c`` asks, naming the job and what cancelling does."""
    return Content.assemble(
        "Cancel job ",
        (f"#{job.id} {job.job}", "bold"),
        f" ({job.status.value})?\n\n",
        ("The agent is interrupted and its session archived. This cannot be undone.", "dim"),
    )


def confirm_cancel(screen: Screen[Any], actions: Actions, job: Job) -> None:
    """Ask before cancelling ``job`` (``c`` on the dashboard and on a job's screen)."""

    def answered(yes: bool | None) -> None:
        if yes:
            screen.run_worker(actions.cancel(job.id), group="action", exit_on_error=False)

    screen.app.push_screen(ConfirmScreen(cancel_question(job), "Cancel job"), answered)


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True on ``y``/Yes, False on ``n``/``esc``/No."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; max-width: 95%; height: auto; padding: 1 2;
        border: thick $error 60%; background: $surface;
    }
    ConfirmScreen .question { margin: 0 0 1 0; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin: 0 0 0 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: Content, yes: str = "Yes") -> None:
        super().__init__()
        self._question = question
        self._yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._question, classes="question")
            with Horizontal():
                yield Button(f"{self._yes} (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
