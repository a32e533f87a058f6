"""Colours for Rich renderables (table cells), taken from the current Textual theme.

DataTable cells are Rich ``Text``, which cannot read Textual's ``$variables``; so the
colours a status uses are looked up in the theme and handed to the tables, again whenever
the person picks another theme.
"""

from __future__ import annotations

from textual.app import App
from textual.color import Color, ColorParseError

NAMES = ("text-primary", "text-success", "text-warning", "text-error", "text-accent")


def palette(app: App[object]) -> dict[str, str]:
    """Theme variable name → a colour Rich understands, for the names cells use."""
    variables = app.get_css_variables()
    found: dict[str, str] = {}
    for name in NAMES:
        try:
            red, green, blue = Color.parse(variables[name]).rgb
        except (KeyError, ColorParseError):
            continue
        found[name] = f"rgb({red},{green},{blue})"
    return found
