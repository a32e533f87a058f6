"""A DataTable whose rows are updated in place, cell by cell, and only when a text changed.

Both tables of the main screen build on it. A full rebuild happens only when the set of
columns changes (the pane got narrower or wider) or the person changes the view; a poll
that changes one job touches that job's changed cells, and the cursor stays on its row.
Cells are ``rich.text.Text`` built from plain strings: a ``str`` cell would be parsed as
markup by DataTable, which untrusted text must never be.

Time-dependent cells (ages, countdowns) are recomputed each tick only for the rows on
screen; a row scrolled into view later catches up first. So a tick costs the same with
fifty rows or two thousand.

DataTable keys its cache of rendered cells on a counter that every change bumps, so one
changed cell would re-render every cell on screen (a few tens of milliseconds a frame at
120 columns). :meth:`LiveTable._render_cell` keeps its own cache keyed by what a cell
shows, so a frame after a change renders only the cells that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from agentdash.clock import Clock
from agentdash.text import safe_text

T = TypeVar("T")
Signature = tuple[str, str, bool]
"""What a cell shows: its text, its colour name and whether it is bold."""
RenderKey = tuple[object, ...]
RENDER_CACHE = 4000
"""Rendered cells kept (a few screens' worth); past it the cache starts afresh."""


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
        self._live: list[int] = []
        """Positions of the time-dependent columns among those shown."""
        self._widths: tuple[int, ...] = ()
        self._items: dict[str, T] = {}
        self._cells: dict[str, list[Signature]] = {}
        self._ticks = 0
        self._fresh: dict[str, int] = {}
        """Row key → the tick its time-dependent cells were last computed at."""
        self._palette: dict[str, str] = {}
        self._rendered: dict[RenderKey, tuple[int, list[list[Segment]]]] = {}
        self._styles: dict[tuple[str, bool], Style] = {}

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
        self._fresh.clear()
        if not self._columns:
            self._items.update((self._key(item), item) for item in items)
            return  # not laid out yet: the first layout adds the rows
        self._add_rows(items)
        self._restore(keep)
        self._catch_up()

    def put(self, item: T) -> bool:
        """Add or update one row in place; True when a row was added (call :meth:`reorder`)."""
        key = self._key(item)
        if key not in self._items:
            self._add(item)
            return True
        self._items[key] = item
        self._refresh_cells(key, item, range(len(self._columns)))
        self._fresh[key] = self._ticks
        return False

    def drop(self, key: str) -> None:
        if key not in self._items:
            return
        keep = self.selected_key
        del self._items[key]
        self._cells.pop(key, None)
        self._fresh.pop(key, None)
        if self._columns:
            self.remove_row(key)
        if keep != key:
            self._restore(keep)
        self._catch_up()

    def reorder(self) -> None:
        """Sort the rows by their first column, keeping the cursor on its item."""
        if not self._columns or len(self._items) < 2:
            return
        keep = self.selected_key
        first = self._columns[0].key
        self.sort(first, key=lambda cell: self._order(cell.plain), reverse=self._reverse)
        self._restore(keep)
        self._catch_up()

    def tick(self) -> None:
        """Recompute the time-dependent cells of the rows on screen; only texts that changed
        are touched. The other rows catch up when they come into view."""
        if self._live:
            self._ticks += 1
            self._catch_up()

    def visible_keys(self) -> list[str]:
        """The keys of the rows on screen (and one more), top to bottom."""
        if not self._columns or not self.rows:
            return []
        start = max(int(self.scroll_y), 0)
        end = min(start + self.size.height + 1, self.row_count)
        keys: list[str] = []
        for row in range(start, end):
            value = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
            if value is not None:
                keys.append(value)
        return keys

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._catch_up()

    def restyle(self, palette: dict[str, str]) -> None:
        """Colours come from the theme: redraw every cell once when it changes."""
        self._palette = palette
        self._styles.clear()
        self._relayout(force=True)

    # -- layout ----------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()
        self._catch_up()

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
        self._live = [i for i, c in enumerate(columns) if c.live]
        self.clear(columns=True)
        for column, col_width in zip(columns, widths, strict=True):
            label = Text(column.label, justify="right" if column.right else "left")
            self.add_column(label, width=col_width, key=column.key)
        self._items.clear()
        self._cells.clear()
        self._fresh.clear()
        self._rendered.clear()
        self._add_rows(items)
        self._restore(keep)

    # -- rendering -------------------------------------------------------------------

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """DataTable's cell rendering, cached by what the cell shows rather than by the
        table's change counter (which any change bumps).

        The key holds everything else the rendering depends on (column, width, stripe
        style, cursor, hover, focus), so equal cells share an entry and a row that moved
        (a new job above it) renders from the cache too: only the mouse metadata (the
        cell's row and column) is set afresh. Style changes clear the cache.
        """
        sigs = None
        if row_index >= 0 and 0 <= column_index < len(self._columns):
            row_key = self.coordinate_to_cell_key(Coordinate(row_index, column_index)).row_key
            sigs = self._cells.get(str(row_key.value))
        if sigs is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key: RenderKey = (
            column_index,
            sigs[column_index],
            base_style,
            width,
            cursor,
            hover,
            self.show_cursor,
            self._show_hover_cursor,
            self._pseudo_class_state,
        )
        cached = self._rendered.get(key)
        if cached is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            if len(self._rendered) >= RENDER_CACHE:
                self._rendered.clear()
            self._rendered[key] = (row_index, lines)
            return lines
        rendered_at, lines = cached
        if rendered_at == row_index:
            return lines
        meta = Style.from_meta({"row": row_index, "column": column_index})
        return [
            [Segment(seg.text, meta if seg.style is None else seg.style + meta, seg.control)
             for seg in line]
            for line in lines
        ]  # fmt: skip

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """The table's size after rows were added or removed. DataTable also measures every
        cell of every new row, to widen auto-width columns: these columns have fixed widths
        and rows one line, so that (nine text measurements a row, a tenth of a second for
        a first load of 1,500 jobs) finds nothing to change."""
        header = self.header_height if self.show_header else 0
        width = sum(column.get_render_width(self) for column in self.columns.values())
        self.virtual_size = Size(width + self._row_label_column_width, self.row_count + header)

    def notify_style_update(self) -> None:
        self._rendered.clear()
        super().notify_style_update()

    # -- internals -------------------------------------------------------------------

    def _add(self, item: T) -> None:
        key = self._key(item)
        self._items[key] = item
        if not self._columns:
            return  # not laid out yet: the first layout adds it
        now = self._clock.now()
        sigs = [self._signature(i, item, now) for i in range(len(self._columns))]
        self._add_row(key, sigs)

    def _add_rows(self, items: Iterable[T]) -> None:
        """Add many rows, then sort them once (the cursor stays on the first one added)."""
        now = self._clock.now()
        for item in items:
            key = self._key(item)
            self._items[key] = item
            self._add_row(key, [self._signature(i, item, now) for i in range(len(self._columns))])
        self.reorder()

    def _add_row(self, key: str, sigs: list[Signature]) -> None:
        self._cells[key] = sigs
        self._fresh[key] = self._ticks
        self.add_row(*(self._cell(c, s) for c, s in zip(self._columns, sigs, strict=True)), key=key)

    def _catch_up(self) -> None:
        """Bring the time-dependent cells of the rows on screen up to the current tick."""
        if not self._live:
            return
        ticks = self._ticks
        for key in self.visible_keys():
            if self._fresh.get(key, ticks) < ticks:
                self._refresh_cells(key, self._items[key], self._live)
                self._fresh[key] = ticks

    def _refresh_cells(self, key: str, item: T, columns: Iterable[int]) -> None:
        cached = self._cells.get(key)
        if cached is None:
            return
        now = self._clock.now()
        for index in columns:
            sig = self._signature(index, item, now)
            if cached[index] != sig:
                cached[index] = sig
                column = self._columns[index]
                self.update_cell(key, column.key, self._cell(column, sig))

    def _signature(self, index: int, item: T, now: datetime) -> Signature:
        column = self._columns[index]
        text = safe_text(column.text(item, now)).replace("\n", " ").replace("\t", " ")
        width = self._widths[index]
        if len(text) > width and index > 0:  # the first column is the sort key: never cut
            text = text[: max(width - 1, 0)] + "…"
        colour, bold = column.colour(item) if column.colour is not None else ("", False)
        return text, colour, bold

    def _cell(self, column: Column[T], sig: Signature) -> Text:
        text, colour, bold = sig
        style = self._styles.get((colour, bold))
        if style is None:
            if colour == "dim":
                style = Style(dim=True, bold=bold)
            else:
                style = Style(color=self._palette.get(colour), bold=bold)
            self._styles[colour, bold] = style
        return Text(text, style=style, no_wrap=True, justify="right" if column.right else "left")

    def _restore(self, key: str | None) -> None:
        if key is not None and key in self._items and self._columns:
            row = self.get_row_index(key)
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)
