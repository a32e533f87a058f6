"""``d``: pick a job template, edit its prompt, and queue it (``ctrl+s`` or the button)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, TextArea

from agentdash.config import JobConfig


@dataclass(frozen=True)
class DispatchRequest:
    job: str
    prompt: str


class DispatchScreen(ModalScreen[DispatchRequest | None]):
    """Dismisses with what to dispatch, or None when cancelled."""

    DEFAULT_CSS = """
    DispatchScreen { align: center middle; }
    DispatchScreen > Vertical {
        width: 90; max-width: 98%; height: auto; max-height: 95%; padding: 0 1;
        border: thick $primary 60%; background: $surface;
    }
    DispatchScreen .title { text-style: bold; margin: 0 0 1 0; }
    DispatchScreen .about { color: $text-muted; margin: 0 0 1 0; }
    DispatchScreen TextArea { height: 8; }
    DispatchScreen Horizontal { height: auto; align-horizontal: right; margin: 1 0 0 0; }
    DispatchScreen Button { margin: 0 0 0 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Dispatch", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, templates: dict[str, JobConfig], selected: str | None = None) -> None:
        super().__init__()
        self._templates = templates
        self._selected = selected if selected in templates else next(iter(templates), None)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Dispatch a job", classes="title")
            yield Select(
                [(name, name) for name in self._templates],
                value=self._selected if self._selected is not None else Select.NULL,
                allow_blank=False,
                id="template",
            )
            yield Label("", classes="about", id="about", markup=False)
            yield TextArea("", id="prompt", soft_wrap=True, show_line_numbers=False)
            with Horizontal():
                yield Button("Dispatch (ctrl+s)", variant="primary", id="submit")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        if self._selected is not None:
            self._load(self._selected)
        self.query_one("#prompt", TextArea).focus()

    @on(Select.Changed, "#template")
    def _template_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._load(event.value)

    def _load(self, name: str) -> None:
        template = self._templates[name]
        self._selected = name
        agent = f", agent {template.agent}" if template.agent else ""
        self.query_one("#about", Label).update(f"provider {template.provider}{agent}")
        self.query_one("#prompt", TextArea).load_text(template.prompt)

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        prompt = self.query_one("#prompt", TextArea).text
        if self._selected is None:
            self.notify("No job templates are configured", severity="warning")
            return
        if not prompt.strip():
            self.notify("The prompt is empty", severity="warning")
            return
        self.dismiss(DispatchRequest(self._selected, prompt))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
