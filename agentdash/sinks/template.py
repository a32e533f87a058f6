"""Result templates: only known ``{name}`` tokens are replaced; every other brace is text.

Why not ``str.format``: sink templates hold JSON and Markdown where ``{`` is ordinary text,
and the values (agent output) contain braces too. A token is ``{name}`` or ``{task.column}``
with identifier characters only, so ``{"a": 1}`` or ``{ x }`` are never tokens. ``{{job}}``
is a literal ``{job}``. A token naming nothing known is a config error (checked when the
config loads); a ``{task.column}`` the task row lacks is a delivery error, never a crash.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

PLACEHOLDERS: tuple[str, ...] = (
    "job",
    "id",
    "status",
    "output",
    "error",
    "finished_at",
    "schedule",
    "origin",
    "prompt",
    "idempotency_key",
)
"""Names a sink template may use, besides ``{task.<column>}``."""

_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?"
_TOKEN = re.compile(r"\{\{(" + _NAME + r")\}\}|\{(" + _NAME + r")\}")


class TemplateError(ValueError):
    """A template that names something unknown; the message says which and what is known."""


def tokens(text: str) -> list[str]:
    """The placeholder names ``text`` uses, in order (escaped ``{{name}}`` excluded)."""
    return [m.group(2) for m in _TOKEN.finditer(text) if m.group(2)]


def check(text: str, known: tuple[str, ...] = PLACEHOLDERS, *, task: bool = True) -> None:
    """Raise :class:`TemplateError` for the first token that is neither known nor ``task.*``."""
    for name in tokens(text):
        if task and name.startswith("task."):
            continue
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            allowed = ", ".join(f"{{{k}}}" for k in known)
            extra = ", {task.<column>}" if task else ""
            raise TemplateError(f"unknown placeholder {{{name}}}{hint}; known: {allowed}{extra}")


def render(
    text: str,
    values: Mapping[str, str],
    task: Mapping[str, Any] | None,
    *,
    strict: bool = True,
) -> str:
    """Substitute the tokens of ``text``.

    Args:
        values: plain placeholder → text.
        task: the task row for ``{task.<column>}`` (None: the job came from no task).
        strict: raise on a token not in ``values``; otherwise leave it as written (a job
            prompt may carry tokens another part of agentdash fills in).

    Raises:
        TemplateError: a ``{task.column}`` the row lacks, or (strict) an unknown token.
    """

    def substitute(match: re.Match[str]) -> str:
        if match.group(1):
            return "{" + match.group(1) + "}"
        name = match.group(2)
        if name.startswith("task."):
            return _task_value(task, name.removeprefix("task."))
        if name in values:
            return values[name]
        if strict:
            raise TemplateError(f"unknown placeholder {{{name}}}")
        return match.group(0)

    return _TOKEN.sub(substitute, text)


def render_value(value: Any, render_text: Callable[[str], str]) -> Any:
    """``value`` (a YAML structure) with every string inside rendered; keys stay as written."""
    if isinstance(value, str):
        return render_text(value)
    if isinstance(value, dict):
        return {k: render_value(v, render_text) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, render_text) for v in value]
    return value


def strings_in(value: Any, loc: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string inside a YAML structure with its key path, for config checks."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, (*loc, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, (*loc, str(index)))


def _task_value(task: Mapping[str, Any] | None, column: str) -> str:
    if task is None:
        raise TemplateError(f"{{task.{column}}} is used, but this job did not come from a task")
    if column not in task:
        known = ", ".join(sorted(task)) or "none"
        raise TemplateError(f"{{task.{column}}}: the task has no column {column!r} (has: {known})")
    value = task[column]
    return "" if value is None else str(value)
