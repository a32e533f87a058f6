"""A DataTable whose rows are updated in place, cell by cell, and only when a text changed.

Both tables of the main screen build on it. A full rebuild happens only when the set of
columns changes (the pane got narrower or wider) or the person changes the view; a poll
that changes one job touches that job's changed cells, and the cursor stays on its row.
Cells are ``rich.text.Text`` built from plain strings: a ``str`` cell would be parsed as
markup by DataTable, which untrusted text must never be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Generic, TypeVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from agentdash.clock import Clock
from agentdash.text import safe_text

T = TypeVar("T")
Signature = tuple[str, str, bool]
"""What a cell shows: its text, its colour name and whether it is bold."""


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column: how to write an item's cell, and whether it depends on the time."""

    key: str
    label: str
    width: int
    """Cells; 0 takes what the other columns leave (at least ``min_fill``)."""
    text: Callable[[T, datetime], str]
    colour: Callable[[T], tuple[str, bool]] | None = None
    """A theme variable (or ``dim``) and bold, for status-like cells."""
    live: bool = False
    """Recomputed every tick (ages, countdowns)."""
    narrow: bool = True
    """Kept when the table is narrow."""
    right: bool = False


NARROW_BELOW = 100
"""Table widths below this drop the columns marked ``narrow=False``."""
MIN_FILL = 12


class LiveTable(DataTable[Text], Generic[T]):
    """Rows keyed by item key; :meth:`put` adds or updates one, :meth:`drop` removes one.

    The first column identifies the item and is always shown; :meth:`reorder` sorts by it.
    """

    DEFAULT_CSS = """
    LiveTable { height: 1fr; }
    LiveTable > .datatable--header { text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(
        self,
        columns: Sequence[Column[T]],
        key: Callable[[T], str],
        clock: Clock,
        *,
        order: Callable[[str], object],
        newest_first: bool = False,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._all_columns = list(columns)
        self._key = key
        self._order = order
        self._reverse = newest_first
        self._clock = clock
        self._columns: list[Column[T]] = []
        self._widths: tuple[int, ...] = ()
        self._items: dict[str, T] = {}
        self._cells: dict[str, list[Signature]] = {}
        self._palette: dict[str, str] = {}

    # -- what callers use -------------------------------------------------------------

    @property
    def selected_key(self) -> str | None:
        if not self.rows or not self._columns:
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return None if row_key.value is None else str(row_key.value)

    @property
    def selected(self) -> T | None:
        key = self.selected_key
        return None if key is None else self._items.get(key)

    def items(self) -> list[T]:
        return list(self._items.values())

    def set_items(self, items: Iterable[T]) -> None:
        """Replace every row (the view changed), keeping the cursor on its item if shown."""
        keep = self.selected_key
        self.clear()
        self._items.clear()
        self._cells.clear()
        for item in items:
            self._add(item)
        self.reorder()
        self._restore(keep)

    def put(self, item: T) -> bool:
        """Add or update one row in place; True when a row was added (call :meth:`reorder`)."""
        key = self._key(item)
        if key not in self._items:
            self._add(item)
            return True
        self._items[key] = item
        self._refresh_cells(key, item, self._columns)
        return False

    def drop(self, key: str) -> None:
        if key not in self._items:
            return
        keep = self.selected_key
        del self._items[key]
        del self._cells[key]
        self.remove_row(key)
        if keep != key:
            self._restore(keep)

    def reorder(self) -> None:
        """Sort the rows by their first column, keeping the cursor on its item."""
        if not self._columns or len(self._items) < 2:
            return
        keep = self.selected_key
        first = self._columns[0].key
        self.sort(first, key=lambda cell: self._order(cell.plain), reverse=self._reverse)
        self._restore(keep)

    def tick(self) -> None:
        """Recompute the time-dependent cells; only texts that changed are touched."""
        live = [c for c in self._columns if c.live]
        if live:
            for key, item in self._items.items():
                self._refresh_cells(key, item, live)

    def restyle(self, palette: dict[str, str]) -> None:
        """Colours come from the theme: redraw every cell once when it changes."""
        self._palette = palette
        self._relayout(force=True)

    # -- layout ----------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def _relayout(self, force: bool = False) -> None:
        """Pick the columns and widths for the current width; rebuild only if they changed."""
        width = self.size.width
        if width <= 0:
            return
        columns = [c for c in self._all_columns if c.narrow or width >= NARROW_BELOW]
        pad = 2 * self.cell_padding
        fixed = sum(c.width + pad for c in columns if c.width)
        fill = max(MIN_FILL, width - fixed - pad - 2)
        widths = tuple(c.width or fill for c in columns)
        if not force and widths == self._widths and columns == self._columns:
            return
        keep = self.selected_key
        items = list(self._items.values())  # rows may not exist yet: never laid out before
        self._columns, self._widths = columns, widths
        self.clear(columns=True)
        for column, col_width in zip(columns, widths, strict=True):
            label = Text(column.label, justify="right" if column.right else "left")
            self.add_column(label, width=col_width, key=column.key)
        self._items.clear()
        self._cells.clear()
        for item in items:
            self._add(item)
        self.reorder()
        self._restore(keep)

    # -- internals -------------------------------------------------------------------

    def _add(self, item: T) -> None:
        key = self._key(item)
        self._items[key] = item
        if not self._columns:
            return  # not laid out yet: the first layout adds it
        now = self._clock.now()
        sigs = [self._signature(c, item, now) for c in self._columns]
        self._cells[key] = sigs
        self.add_row(*(self._cell(c, s) for c, s in zip(self._columns, sigs, strict=True)), key=key)

    def _refresh_cells(self, key: str, item: T, columns: Iterable[Column[T]]) -> None:
        cached = self._cells.get(key)
        if cached is None:
            return
        now = self._clock.now()
        for column in columns:
            index = self._columns.index(column)
            sig = self._signature(column, item, now)
            if cached[index] != sig:
                cached[index] = sig
                self.update_cell(key, column.key, self._cell(column, sig))

    def _signature(self, column: Column[T], item: T, now: datetime) -> Signature:
        text = safe_text(column.text(item, now)).replace("\n", " ").replace("\t", " ")
        width = self._widths[self._columns.index(column)]
        if len(text) > width:
            text = text[: max(width - 1, 0)] + "…"
        colour, bold = column.colour(item) if column.colour is not None else ("", False)
        return text, colour, bold

    def _cell(self, column: Column[T], sig: Signature) -> Text:
        text, colour, bold = sig
        if colour == "dim":
            style = Style(dim=True, bold=bold)
        else:
            style = Style(color=self._palette.get(colour), bold=bold)
        return Text(text, style=style, no_wrap=True, justify="right" if column.right else "left")

    def _restore(self, key: str | None) -> None:
        if key is not None and key in self._items and self._columns:
            row = self.get_row_index(key)
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)
