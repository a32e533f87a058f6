"""The Textual dashboard. Only :mod:`agentdash.cli` imports it; the core never does.

``app.py`` wires the pieces; ``screens/`` and ``widgets/`` hold one screen or widget per
module; ``model.py`` holds the display rules as plain functions; ``actions.py`` is the only
way a key changes anything (through :class:`agentdash.control.Control`).
"""
