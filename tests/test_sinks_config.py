"""Config of sinks and task sources: every mistake is one message naming file:line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdash.config import Config, load_config, parse_config
from agentdash.errors import ConfigError
from agentdash.sinks.settings import FileSinkSettings, McpSinkSettings, WebhookSinkSettings
from agentdash.tasks.settings import SqliteTaskSourceSettings

BASE = """
providers:
  p: {type: anthropic}
jobs:
  reviewer:
    provider: p
    prompt: Review it
    sinks: [notes, hook, files]
  executor:
    provider: p
    prompt: "Do task {task.id}: {task.prompt}"
sinks:
  notes:
    type: mcp
    url: https://notes.example/mcp
    tool: save_note
    arguments: {title: "{job} {finished_at}", body: "{output}", raw: '{"kept": {"as": "text"}}'}
    headers: {Authorization: "Bearer ${TOKEN:-none}"}
  hook:
    type: webhook
    url: http://hooks.example/in
  files:
    type: file
    directory: /tmp/results
task_sources:
  queue:
    type: sqlite
    path: /tmp/tasks.db
    tag: ai
    job: executor
    every: 5m
"""


def parse(text: str) -> Config:
    return parse_config(text, Path("cfg.yaml"), {})


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return str(info.value)


def test_good_config_has_typed_sinks_and_sources() -> None:
    config = parse(BASE)
    assert isinstance(config.sinks["notes"], McpSinkSettings)
    assert isinstance(config.sinks["hook"], WebhookSinkSettings)
    assert isinstance(config.sinks["files"], FileSinkSettings)
    source = config.task_sources["queue"]
    assert isinstance(source, SqliteTaskSourceSettings)
    assert (source.every, source.max_claims, source.lease, source.table) == (300, 5, 3600, "tasks")
    assert source.columns.claimed_by == "claimed_by"
    assert config.sinks["notes"].max_attempts == 8


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("sinks: [notes, hook, files]", "sinks: [notse]",
         "cfg.yaml:8: jobs.reviewer.sinks.0: 'notse' is not defined (known: files, hook, notes)"
         " (did you mean 'notes'?)"),
        ('title: "{job} {finished_at}"', 'title: "{jbo}"',
         "cfg.yaml:17: sinks.notes.arguments.title: unknown placeholder {jbo}"
         " (did you mean {job}?)"),
        ("job: executor", "job: exector",
         "cfg.yaml:30: task_sources.queue.job: 'exector' is not defined"),
        ("tool: save_note", "tol: save_note",
         "cfg.yaml:16: sinks.notes.tol: unknown key (did you mean 'tool'?)"),
        ("type: webhook", "type: webhok",
         "cfg.yaml:20: sinks.hook.type: type 'webhok'; expected one of: file, mcp, webhook"
         " (did you mean 'webhook'?)"),
        ("url: http://hooks.example/in", "url: hooks.example/in",
         "sinks.hook.url: expected an http:// or https:// URL"),
        ("every: 5m", "every: 5m\n    lease: 6m", "lease must be at least twice 'every'"),
        ("tag: ai", "tag: ai\n    table: tasks; DROP TABLE x",
         "task_sources.queue.table: expected a plain SQL name"),
        ('"Do task {task.id}: {task.prompt}"', '"Do task {task_id}"',
         "cfg.yaml:11: jobs.executor.prompt: unknown placeholder {task_id}"),
        ("directory: /tmp/results", "path: /tmp/results",
         "sinks.files.directory: required key is missing"),
    ],
)  # fmt: skip
def test_mistakes_name_the_key_and_the_fix(old: str, new: str, expected: str) -> None:
    assert old in BASE
    message = error_of(BASE.replace(old, new))
    assert expected in message, message
    assert "Traceback" not in message


def test_sink_names_cannot_hold_colons() -> None:
    message = error_of(BASE.replace("  hook:\n", "  'task:x':\n").replace("hook, ", ""))
    assert "sinks.task:x: use letters, digits" in message


def test_example_config_carries_both_flows() -> None:
    config = load_config(Path(__file__).parent.parent / "config.example.yaml")
    assert config.jobs["reviewer"].sinks == ["notes"]
    assert isinstance(config.sinks["notes"], McpSinkSettings)
    assert any(s.job == "reviewer" for s in config.schedules.values())
    queue = config.task_sources["queue"]
    assert queue.every == 300 and config.jobs[queue.job].prompt
