"""Result templates: known tokens only, literal braces untouched, clear errors."""

from __future__ import annotations

import pytest

from agentdash.sinks.template import TemplateError, check, render, render_value, tokens

VALUES = {"job": "review", "id": "7", "output": 'done {job} {"a": 1}'}


def test_only_known_tokens_are_replaced_and_json_braces_stay_text() -> None:
    text = '{"title": "{job} #{id}", "nested": {"x": [1, 2]}} { job } {}'
    assert render(text, VALUES, None) == (
        '{"title": "review #7", "nested": {"x": [1, 2]}} { job } {}'
    )


def test_values_are_not_rendered_again() -> None:
    assert render("{output}", VALUES, None) == 'done {job} {"a": 1}'


def test_double_braces_escape_a_token() -> None:
    assert render("{{job}} is {job}", VALUES, None) == "{job} is review"
    assert tokens("{{job}} {id} {task.prompt}") == ["id", "task.prompt"]


def test_task_columns_render_and_missing_ones_say_which() -> None:
    task = {"id": 3, "prompt": "fix it", "note": None}
    assert render("{task.id}: {task.prompt}{task.note}", {}, task) == "3: fix it"
    with pytest.raises(TemplateError, match=r"has no column 'priority' \(has: id, note, prompt\)"):
        render("{task.priority}", {}, task)
    with pytest.raises(TemplateError, match="did not come from a task"):
        render("{task.id}", {}, None)


def test_unknown_tokens_are_errors_unless_left_alone() -> None:
    hint = r"unknown placeholder \{jbo\} \(did you mean \{job\}\?\)"
    with pytest.raises(TemplateError, match=hint):
        check("{jbo} finished")
    check('{job} {task.anything} {"json": true}')
    assert render("{date} {job}", VALUES, None, strict=False) == "{date} review"
    with pytest.raises(TemplateError):
        render("{date}", VALUES, None)


def test_structures_render_every_string_but_not_keys() -> None:
    body = {"{job}": ["{id}", 3, {"deep": "{output}"}], "flag": True}
    assert render_value(body, lambda t: render(t, VALUES, None)) == {
        "{job}": ["7", 3, {"deep": 'done {job} {"a": 1}'}],
        "flag": True,
    }
