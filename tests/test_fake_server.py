"""The fake Managed Agents server, driven through the real anthropic SDK (and raw httpx2).

These tests pin the fake to what the SDK sends and parses, so the rest of agentdash can
trust it as a stand-in for the real API.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import anthropic
import httpx2
import pytest

from agentdash.fake import FakeServer, Fault, Scenario, running_fake
from agentdash.fake.scenario import CreateFailMode

BETA = {"anthropic-beta": "managed-agents-2026-04-01"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeServer]:
    async with running_fake(Scenario(turn_seconds=0.2, agent_messages=2)) as server:
        yield server


@pytest.fixture
async def client(fake: FakeServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    sdk = anthropic.AsyncAnthropic(api_key="sk-test", base_url=fake.base_url, max_retries=0)
    yield sdk
    await sdk.close()


@pytest.fixture
async def raw(fake: FakeServer) -> AsyncIterator[httpx2.AsyncClient]:
    headers = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01", **BETA}
    async with httpx2.AsyncClient(base_url=fake.base_url, headers=headers) as http:
        yield http


async def create(
    client: anthropic.AsyncAnthropic, prompt: str = "Summarise the logs", **metadata: str
) -> Any:
    return await client.beta.sessions.create(
        agent="agent_01test",
        environment_id="env_01test",
        title="test job",
        metadata=metadata,
        initial_events=[{"type": "user.message", "content": [{"type": "text", "text": prompt}]}],
    )


async def wait_done(client: anthropic.AsyncAnthropic, session_id: str) -> Any:
    """Poll like agentdash does until the session stops running (3 s at most)."""
    deadline = time.monotonic() + 3
    while True:
        session = await client.beta.sessions.retrieve(session_id)
        if session.status in ("idle", "terminated"):
            return session
        assert time.monotonic() < deadline, f"still {session.status}"
        await asyncio.sleep(0.05)


async def all_events(client: anthropic.AsyncAnthropic, session_id: str, **kw: Any) -> list[Any]:
    """Follow ``next_page`` by hand, like a careful poller."""
    events: list[Any] = []
    page = await client.beta.sessions.events.list(session_id, **kw)
    while True:
        events.extend(page.data)
        if not page.next_page:
            return events
        page = await client.beta.sessions.events.list(session_id, page=page.next_page, **kw)


async def test_turn_runs_and_events_page_in_order(
    fake: FakeServer, client: anthropic.AsyncAnthropic
) -> None:
    session = await create(client, agentdash_intent="job-1")
    assert session.id.startswith("sesn_")
    assert session.status == "running"
    assert session.metadata == {"agentdash_intent": "job-1"}
    assert session._request_id and session._request_id.startswith("req_")
    done = await wait_done(client, session.id)
    assert done.status == "idle"
    assert done.stats.active_seconds and done.stats.active_seconds > 0
    assert done.usage.output_tokens and done.usage.output_tokens > 0

    events = await all_events(client, session.id, limit=3)
    types = [e.type for e in events]
    assert types[0] == "user.message"
    assert types[1] == "session.status_running"
    assert types.count("agent.message") == 2
    assert types[-3:] == ["span.model_request_end", "session.usage", "session.status_idle"]
    assert len({e.id for e in events}) == len(events)
    assert [e.processed_at for e in events] == sorted(e.processed_at for e in events)
    final = [e for e in events if e.type == "agent.message"][-1]
    assert "Summarise the logs" in final.content[0].text
    assert events[-1].stop_reason.type == "end_turn"
    assert fake.stats.turn_ended_at[session.id] == events[-1].processed_at

    desc = await client.beta.sessions.events.list(session.id, order="desc", limit=1)
    assert desc.data[0].type == "session.status_idle"
    assert desc.next_page
    with pytest.raises(anthropic.BadRequestError):  # a cursor is tied to its order
        await client.beta.sessions.events.list(session.id, order="asc", page=desc.next_page)
    only = await all_events(client, session.id, types=["agent.message", "session.status_idle"])
    assert [e.type for e in only] == ["agent.message", "agent.message", "session.status_idle"]


@pytest.mark.parametrize(
    ("how", "script"),
    [
        ("metadata", "needs_action"),
        ("marker", "needs_confirmation"),
        ("metadata", "budget"),
        ("marker", "retries_exhausted"),
        ("metadata", "terminated"),
    ],
)
async def test_scripted_outcomes(client: anthropic.AsyncAnthropic, how: str, script: str) -> None:
    if how == "metadata":
        session = await create(client, fake_script=script)
    else:
        session = await create(client, f"Do it [fake:{script}]")
    done = await wait_done(client, session.id)
    events = await all_events(client, session.id)
    last = events[-1]
    errors = [e for e in events if e.type == "session.error"]
    if script == "terminated":
        assert done.status == "terminated"
        assert last.type == "session.status_terminated"
        assert errors[-1].error.retry_status.type == "terminal"
        assert errors[-1].error.message
        return
    assert done.status == "idle"
    assert last.type == "session.status_idle"
    if script in ("needs_action", "needs_confirmation"):
        assert last.stop_reason.type == "requires_action"
        (blocking,) = [e for e in events if e.id in last.stop_reason.event_ids]
        expected = "agent.custom_tool_use" if script == "needs_action" else "agent.tool_use"
        assert blocking.type == expected
    elif script == "budget":
        assert last.stop_reason.type == "budget_reached"
    else:
        assert last.stop_reason.type == "retries_exhausted"
        assert [e.error.retry_status.type for e in errors] == ["retrying", "exhausted"]
        assert "exhausted" in errors[-1].error.message


async def test_answering_tool_uses_resumes_the_turn(client: anthropic.AsyncAnthropic) -> None:
    custom = await create(client, "[fake:needs_action]")
    confirm = await create(client, "[fake:needs_confirmation]")
    await wait_done(client, custom.id)
    await wait_done(client, confirm.id)
    tool = (await all_events(client, custom.id, types=["agent.custom_tool_use"]))[0]
    result: Any = {"type": "text", "text": "ticket is open"}
    sent = await client.beta.sessions.events.send(
        custom.id,
        events=[
            {"type": "user.custom_tool_result", "custom_tool_use_id": tool.id, "content": [result]}
        ],
    )
    assert sent.data and sent.data[0].type == "user.custom_tool_result"
    use = (await all_events(client, confirm.id, types=["agent.tool_use"]))[0]
    await client.beta.sessions.events.send(
        confirm.id,
        events=[{"type": "user.tool_confirmation", "tool_use_id": use.id, "result": "allow"}],
    )
    for sid in (custom.id, confirm.id):
        await asyncio.sleep(0.05)
        await wait_done(client, sid)
        events = await all_events(client, sid)
        assert events[-1].stop_reason.type == "end_turn"
    assert "agent.tool_result" in [e.type for e in await all_events(client, confirm.id)]
    with pytest.raises(anthropic.BadRequestError):  # already answered
        await client.beta.sessions.events.send(
            custom.id,
            events=[
                {"type": "user.custom_tool_result", "custom_tool_use_id": tool.id, "content": []}
            ],
        )


async def test_interrupt_ends_turn_at_once_and_message_starts_another(
    client: anthropic.AsyncAnthropic,
) -> None:
    session = await create(client, "long job [fake:seconds=2]")
    await asyncio.sleep(0.15)  # past span.model_request_start (at 5% of the turn)
    await client.beta.sessions.events.send(session.id, events=[{"type": "user.interrupt"}])
    after = await client.beta.sessions.retrieve(session.id)
    assert after.status == "idle"
    events = await all_events(client, session.id)
    assert [e.type for e in events][-2:] == ["span.model_request_end", "session.status_idle"]
    assert events[-1].stop_reason.type == "end_turn"

    sent = await client.beta.sessions.events.send(
        session.id,
        events=[{"type": "user.message", "content": [{"type": "text", "text": "again"}]}],
    )
    assert sent.data and sent.data[0].processed_at is None
    assert (await client.beta.sessions.retrieve(session.id)).status == "running"
    await wait_done(client, session.id)
    idles = await all_events(client, session.id, types=["session.status_idle"])
    assert len(idles) == 2


async def test_shared_timestamps_unknown_types_and_redaction(
    client: anthropic.AsyncAnthropic,
) -> None:
    session = await create(client, "x [fake:shared_ts,unknown,redacted,messages=4]")
    await wait_done(client, session.id)
    events = await all_events(client, session.id)
    stamps = [e.processed_at for e in events]
    assert len(set(stamps)) < len(stamps)
    tail = await all_events(client, session.id, created_at_gte=events[-1].processed_at)
    assert {e.type for e in tail} >= {"session.usage", "session.status_idle"}
    assert [e.type for e in events].count("agent.future_thing") == 1  # parsed, type kept
    blocks = [b.type for e in events if e.type == "agent.message" for b in e.content]
    assert "redacted" in blocks
    later = await all_events(client, session.id, created_at_gt=events[-1].processed_at)
    assert later == []


async def test_many_messages_need_several_pages(client: anthropic.AsyncAnthropic) -> None:
    session = await create(client, "[fake:messages=40,seconds=0.3]")
    await wait_done(client, session.id)
    first = await client.beta.sessions.events.list(session.id, limit=10)
    assert first.next_page
    seen = [e async for e in client.beta.sessions.events.list(session.id, limit=10)]
    assert [e.type for e in seen].count("agent.message") == 40


async def test_archive_delete_and_send_conflict(client: anthropic.AsyncAnthropic) -> None:
    session = await create(client)
    archived = await client.beta.sessions.archive(session.id)
    assert archived.archived_at is not None
    assert archived.status == "terminated"
    with pytest.raises(anthropic.ConflictError) as err:
        await client.beta.sessions.events.send(session.id, events=[{"type": "user.interrupt"}])
    assert err.value.status_code == 409
    deleted = await client.beta.sessions.delete(session.id)
    assert deleted.type == "session_deleted"
    with pytest.raises(anthropic.NotFoundError):
        await client.beta.sessions.retrieve(session.id)


async def test_list_sessions_filters_and_pages(client: anthropic.AsyncAnthropic) -> None:
    sessions = []
    for _ in range(3):
        sessions.append(await create(client))
        await asyncio.sleep(0.005)
    await client.beta.sessions.archive(sessions[0].id)
    listed = await client.beta.sessions.list()
    assert [s.id for s in listed.data] == [sessions[2].id, sessions[1].id]  # newest first
    everything = await client.beta.sessions.list(include_archived=True, order="asc")
    assert [s.id for s in everything.data] == [s.id for s in sessions]
    newer = await client.beta.sessions.list(created_at_gt=sessions[1].created_at)
    assert [s.id for s in newer.data] == [sessions[2].id]
    older = await client.beta.sessions.list(
        include_archived=True, created_at_lte=sessions[0].created_at + timedelta(microseconds=1)
    )
    assert [s.id for s in older.data] == [sessions[0].id]
    paged = [s.id async for s in client.beta.sessions.list(include_archived=True, limit=1)]
    assert paged == [s.id for s in reversed(sessions)]
    first = await client.beta.sessions.list(limit=1)
    assert first.next_page


async def test_injected_http_faults(fake: FakeServer, client: anthropic.AsyncAnthropic) -> None:
    scenario = fake.scenario
    scenario.add_fault(Fault("rate_limit", route="create", retry_after=2))
    with pytest.raises(anthropic.RateLimitError) as limited:
        await create(client)
    assert limited.value.response.headers["retry-after"] == "2"
    assert limited.value.request_id and limited.value.request_id.startswith("req_")

    session = await create(client)
    scenario.add_fault(Fault("overloaded", route="retrieve"))
    with pytest.raises(anthropic.OverloadedError):
        await client.beta.sessions.retrieve(session.id)
    scenario.add_fault(Fault("html_502", route="list_events"))
    with pytest.raises(anthropic.InternalServerError) as bad_gateway:
        await client.beta.sessions.events.list(session.id)
    assert bad_gateway.value.status_code == 502
    assert bad_gateway.value.response.headers["content-type"].startswith("text/html")
    scenario.add_fault(Fault("truncated_json", route="retrieve"))
    with pytest.raises(ValueError):  # json.JSONDecodeError escapes the SDK unwrapped
        await client.beta.sessions.retrieve(session.id)
    scenario.add_fault(Fault("slow_body", route="retrieve", chunks=3, pause=0.05))
    started = time.monotonic()
    assert (await client.beta.sessions.retrieve(session.id)).id == session.id
    assert time.monotonic() - started >= 0.1
    stats = fake.stats
    assert stats.rate_limited == 1
    assert stats.sessions_created == 1
    assert stats.faults_applied["html_502"] == 1


@pytest.mark.parametrize("mode", ["500", "drop", "timeout"])
async def test_ambiguous_create_still_creates(fake: FakeServer, mode: CreateFailMode) -> None:
    fake.scenario.add_fault(Fault("create_then_fail", mode=mode, hang_seconds=5))
    sdk = anthropic.AsyncAnthropic(
        api_key="sk-test", base_url=fake.base_url, max_retries=0, timeout=0.3
    )
    expected: type[Exception] = {
        "500": anthropic.InternalServerError,
        "drop": anthropic.APIConnectionError,
        "timeout": anthropic.APITimeoutError,
    }[mode]
    try:
        with pytest.raises(expected):
            await create(sdk, agentdash_intent="intent-A")
        listed = await sdk.beta.sessions.list()
    finally:
        await sdk.close()
    assert len(listed.data) == 1
    assert listed.data[0].metadata["agentdash_intent"] == "intent-A"
    assert fake.stats.sessions_by_intent == {"intent-A": 1}


async def test_requests_per_minute_budget(
    fake: FakeServer, client: anthropic.AsyncAnthropic
) -> None:
    fake.scenario.requests_per_minute = 2
    await client.beta.sessions.list()
    await client.beta.sessions.list()
    with pytest.raises(anthropic.RateLimitError) as err:
        await client.beta.sessions.list()
    assert int(err.value.response.headers["retry-after"]) >= 1
    assert fake.stats.requests["list_sessions"] == 3
    assert fake.stats.rate_limited == 1


async def test_one_session_per_intent_in_stats(
    fake: FakeServer, client: anthropic.AsyncAnthropic, raw: httpx2.AsyncClient
) -> None:
    fake.scenario.add_fault(Fault("rate_limit", route="create", retry_after_ms=10))
    for intent in ("a", "b"):
        try:
            await create(client, agentdash_intent=intent)
        except anthropic.RateLimitError:
            await create(client, agentdash_intent=intent)
    assert fake.stats.sessions_by_intent == {"a": 1, "b": 1}
    body = (await raw.get("/_fake/stats")).json()
    assert body["sessions_by_intent"] == {"a": 1, "b": 1}
    assert body["requests"]["create"] == 3
    assert body["rate_limited"] == 1


async def test_headers_auth_and_admin_api(fake: FakeServer, raw: httpx2.AsyncClient) -> None:
    response = await raw.get("/v1/sessions", params={"beta": "true", "whatever": "1"})
    assert response.status_code == 200
    assert response.headers["request-id"].startswith("req_")
    response = await raw.get("/v1/sessions", headers={"anthropic-beta": "other-beta"})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    assert response.json()["request_id"] == response.headers["request-id"]
    response = await raw.get("/v1/sessions", headers={"x-api-key": ""})
    assert response.status_code == 401
    bearer = {
        "x-api-key": "",
        "authorization": "Bearer sk-test",
        "anthropic-beta": "a, " + BETA["anthropic-beta"],
    }
    assert (await raw.get("/v1/sessions", headers=bearer)).status_code == 200
    missing = await raw.get("/v1/sessions/sesn_nope")
    assert missing.status_code == 404 and missing.headers["request-id"].startswith("req_")

    faults = {"latency": 0.01, "faults": [{"kind": "overloaded", "route": "any", "count": 2}]}
    assert (await raw.post("/_fake/faults", json=faults)).status_code == 200
    assert fake.scenario.latency == 0.01
    assert [(await raw.get("/v1/sessions")).status_code for _ in range(3)] == [529, 529, 200]
    bad = await raw.post("/_fake/faults", json={"faults": [{"kind": "nope"}]})
    assert bad.status_code == 400
    knobs = await raw.post("/_fake/scenario", json={"script": "budget", "turn_seconds": 0.1})
    assert knobs.json()["script"] == "budget" and fake.scenario.turn_seconds == 0.1


async def test_sse_stream_framing(raw: httpx2.AsyncClient, fake: FakeServer) -> None:
    fake.scenario.keepalive_seconds = 0.05
    created = await raw.post(
        "/v1/sessions",
        json={"agent": {"type": "agent", "id": "agent_1"}, "environment_id": "env_1"},
    )
    sid = created.json()["id"]
    assert created.json()["status"] == "idle"  # no initial events
    lines: list[str] = []
    async with raw.stream("GET", f"/v1/sessions/{sid}/events/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["request-id"].startswith("req_")
        message = {"type": "user.message", "content": [{"type": "text", "text": "hi"}]}
        await raw.post(f"/v1/sessions/{sid}/events", json={"events": [message]})
        async for line in stream.aiter_lines():
            lines.append(line)
            if line.startswith("data: ") and '"session.status_idle"' in line:
                break
    assert ": keepalive" in lines
    frames = [lines[i : i + 3] for i, line in enumerate(lines) if line.startswith("event: ")]
    assert [f[0] for f in frames][:2] == ["event: user.message", "event: session.status_running"]
    for event_line, data_line, *rest in frames:
        assert data_line.startswith("data: {")
        assert f'"type":"{event_line.removeprefix("event: ")}"' in data_line
        assert rest in ([], [""])
    assert frames[-1][0] == "event: session.status_idle"


async def test_sdk_stream_yields_typed_events(
    fake: FakeServer, client: anthropic.AsyncAnthropic
) -> None:
    session = await client.beta.sessions.create(agent="agent_1", environment_id="env_1")
    seen: list[str] = []
    stream = await client.beta.sessions.events.stream(session.id)
    async with stream:
        await client.beta.sessions.events.send(
            session.id,
            events=[{"type": "user.message", "content": [{"type": "text", "text": "go"}]}],
        )
        async for event in stream:
            seen.append(event.type)
            if event.type == "session.status_idle":
                break
    assert seen[0] == "user.message" and "agent.message" in seen
