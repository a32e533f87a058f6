"""The webhook sink against a real receiver on loopback, and the file sink on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from agentdash.errors import SinkError
from agentdash.models import JobStatus
from agentdash.sinks.file import FileSink
from agentdash.sinks.settings import FileSinkSettings, WebhookSinkSettings
from agentdash.sinks.webhook import WebhookSink

from .test_sinks_rig import parcel, webhook_server

HOSTILE = 'He said "{job}" and {"json": [1, 2]} \\ \n done'


async def test_webhook_posts_the_rendered_json_with_the_idempotency_key() -> None:
    async with webhook_server() as hooks:
        body = {"text": "{job} #{id}: {output}", "task": "{task.id}", "n": 3, "tags": ["{status}"]}
        sink = WebhookSink(WebhookSinkSettings(url=hooks.url, body=body))
        try:
            await sink.send(parcel(output=HOSTILE, context={"task": {"id": 42}}, key="k-9"))
        finally:
            await sink.aclose()
    [(key, received)] = hooks.received
    assert key == "k-9"
    assert received == {
        "text": f"reviewer #7: {HOSTILE}",
        "task": "42",
        "n": 3,
        "tags": ["completed"],
    }


async def test_webhook_default_body_and_a_refusal_is_a_sink_error() -> None:
    async with webhook_server() as hooks:
        sink = WebhookSink(WebhookSinkSettings(url=hooks.url))
        hooks.fail_next = 1
        try:
            with pytest.raises(SinkError, match=r"HTTP 503 .*try later"):
                await sink.send(parcel(status=JobStatus.FAILED))
            await sink.send(parcel(status=JobStatus.FAILED))
        finally:
            await sink.aclose()
    assert hooks.keys == ["inst-1", "inst-1"]
    assert hooks.received[1][1]["status"] == "failed"
    assert hooks.received[1][1]["error"] == "it broke"
    assert set(hooks.received[1][1]) == {
        "job", "id", "status", "origin", "finished_at", "output", "error"
    }  # fmt: skip


async def test_file_sink_writes_front_matter_atomically_and_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "results"
    sink = FileSink(FileSinkSettings(directory=out, body="# {job}\n\n{output}"))
    await sink.send(parcel(output="first", context={"task_id": 5}))
    await sink.send(parcel(output=HOSTILE, context={"task_id": 5}))
    assert [p.name for p in out.iterdir()] == ["reviewer-7.md"]  # no temp files, no duplicate
    text = (out / "reviewer-7.md").read_text()
    _, front, body = text.split("---\n", 2)
    header = yaml.safe_load(front)
    assert header["job"] == "reviewer" and header["id"] == 7 and header["task_id"] == 5
    assert header["status"] == "completed" and header["idempotency_key"] == "inst-1"
    assert header["finished_at"] == "2026-05-04T09:30:00+00:00"
    assert body == f"\n# reviewer\n\n{HOSTILE.rstrip()}\n"
    assert oct(os.stat(out).st_mode & 0o777) == "0o700"
    assert oct(os.stat(out / "reviewer-7.md").st_mode & 0o777) == "0o600"


async def test_file_sink_failure_is_a_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    sink = FileSink(FileSinkSettings(directory=blocker))
    with pytest.raises(SinkError, match="cannot write the result"):
        await sink.send(parcel())
