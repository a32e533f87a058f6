"""The MCP sink against the SDK's own server on loopback, in SSE and JSON answer modes."""

from __future__ import annotations

from typing import Literal

import pytest

from agentdash.errors import SinkError
from agentdash.sinks.base import PermanentSinkError
from agentdash.sinks.mcp import McpSink
from agentdash.sinks.settings import McpSinkSettings

from .test_sinks_rig import notes_server, parcel

ARGS = {"title": "{job} #{id} ({schedule})", "body": '{output} {"kept": {"as": "text"}}'}


@pytest.mark.parametrize(
    ("protocol", "json_response", "legacy_only", "answers"),
    [
        ("legacy", False, False, "text/event-stream"),
        ("legacy", True, False, "application/json"),
        ("auto", False, True, "text/event-stream"),  # probe refused: falls back to initialize
        ("auto", True, True, "application/json"),
        ("auto", False, False, "application/json"),  # the 2026 protocol answers JSON
    ],
    ids=["legacy-sse", "legacy-json", "auto-fallback-sse", "auto-fallback-json", "auto-modern"],
)
async def test_tool_call_carries_arguments_key_and_auth(
    protocol: Literal["legacy", "auto"], json_response: bool, legacy_only: bool, answers: str
) -> None:
    async with notes_server(json_response=json_response, legacy_only=legacy_only) as notes:
        settings = McpSinkSettings(
            url=notes.url, tool="save_note", arguments=ARGS, protocol=protocol,
            headers={"Authorization": "Bearer t0ken"},
        )  # fmt: skip
        sink = McpSink(settings)
        try:
            await sink.send(parcel(output="Looks {fine} to me", key="abc-1"))
        finally:
            await sink.aclose()
    [call] = notes.calls
    assert call["title"] == "reviewer #7 (daily)"
    assert call["body"] == 'Looks {fine} to me {"kept": {"as": "text"}}'
    assert call["meta"]["agentdash/idempotency-key"] == "abc-1"
    assert notes.auth and set(notes.auth) == {"Bearer t0ken"}
    assert answers in notes.post_types
    if answers == "application/json":
        assert notes.post_types == {"application/json"}  # no SSE framing anywhere


@pytest.mark.parametrize("json_response", [False, True], ids=["sse", "json"])
async def test_is_error_result_is_a_failed_delivery_with_its_text(json_response: bool) -> None:
    async with notes_server(json_response=json_response) as notes:
        sink = McpSink(McpSinkSettings(url=notes.url, tool="reject_note", arguments=ARGS))
        try:
            with pytest.raises(SinkError, match=r"reported an error: .*read-only today \(reviewer"):
                await sink.send(parcel())
        finally:
            await sink.aclose()
    assert notes.calls == []


async def test_unreachable_server_and_unknown_task_column_are_sink_errors() -> None:
    settings = McpSinkSettings(url="http://127.0.0.1:9/mcp", tool="save_note", timeout=5)
    sink = McpSink(settings)
    try:
        with pytest.raises(SinkError, match=r"save_note on http://127\.0\.0\.1:9/mcp"):
            await sink.send(parcel())
    finally:
        await sink.aclose()
    bad = McpSink(McpSinkSettings(url="http://127.0.0.1:9/mcp", tool="t",
                                  arguments={"x": "{task.priority}"}))  # fmt: skip
    try:
        with pytest.raises(PermanentSinkError, match="did not come from a task"):
            await bad.send(parcel())
    finally:
        await bad.aclose()
