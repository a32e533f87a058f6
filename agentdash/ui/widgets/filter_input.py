"""A one-line input that reports Esc, for the table filter and the output search."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class FilterInput(Input):
    """An Input whose Esc posts :class:`FilterInput.Cleared` (the screen decides what it means)."""

    DEFAULT_CSS = """
    FilterInput { display: none; height: 3; }
    FilterInput.-shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear", "Clear", show=False)]

    class Cleared(Message):
        def __init__(self, field: FilterInput) -> None:
            super().__init__()
            self.field = field

        @property
        def control(self) -> FilterInput:
            return self.field

    def open(self, text: str) -> None:
        self.value = text
        self.add_class("-shown")
        self.focus()
        self.select_all()

    def close(self) -> None:
        self.remove_class("-shown")

    def action_clear(self) -> None:
        self.post_message(self.Cleared(self))
