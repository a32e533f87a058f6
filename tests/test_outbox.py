"""The outbox end to end: the real engine finishes jobs on the fake provider, and the
deliverer sends each result to real loopback servers once, retrying and parking failures."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from agentdash.sinks.base import RetryPolicy
from agentdash.sinks.deliverer import Deliverer
from agentdash.store.outbox import DeliveryStatus, instance_id

from .helpers import Rig
from .test_sinks_rig import Hooks, engine_rig, notes_server, run_until, webhook_server

CONFIG = """
jobs:
  hello: {{provider: fake, agent: a, environment: e, prompt: Say hello, sinks: [{sinks}]}}
sinks:
  hook: {{type: webhook, url: "{hook}", backoff: 50ms, max_backoff: 200ms, max_attempts: 3}}
  notes:
    type: mcp
    url: "{notes}"
    tool: save_note
    protocol: legacy
    arguments: {{title: "{{job}} #{{id}}", body: "{{output}}"}}
  rejecting: {{type: mcp, url: "{notes}", tool: reject_note, backoff: 10ms, max_attempts: 2,
               arguments: {{title: "{{job}}", body: "{{output}}"}}}}
  files: {{type: file, directory: "{files}"}}
  needs_task: {{type: webhook, url: "{hook}", body: {{p: "{{task.priority}}"}}}}
"""


def config(sinks: str, hook: str, notes: str, files: Path) -> str:
    return CONFIG.format(sinks=sinks, hook=hook, notes=notes, files=files)


async def all_settled(r: Rig, count: int) -> bool:
    found = await r.control.deliveries()
    return len(found) == count and all(d.status is not DeliveryStatus.PENDING for d in found)


async def test_each_result_is_delivered_once_to_every_sink(tmp_path: Path) -> None:
    async with webhook_server() as hooks, notes_server(json_response=False) as notes:
        text = config("hook, notes, files", hooks.url, notes.url, tmp_path / "out")
        async with engine_rig(tmp_path, text) as r:
            jobs = [await r.control.dispatch("hello", f"task {n}") for n in range(3)]
            await run_until(r.engine, lambda: all_settled(r, 9))
            await run_until(r.engine, _after(0.5))  # nothing more happens
            found = await r.control.deliveries()
            instance = await instance_id(r.store.db)
    assert {d.status for d in found} == {DeliveryStatus.DELIVERED}
    assert all(d.attempts == 1 and d.delivered_at for d in found)
    hook_ids = sorted(d.id for d in found if d.sink == "hook")
    assert sorted(hooks.keys) == sorted(f"{instance}-{i}" for i in hook_ids)  # once each
    assert {h[1]["id"] for h in hooks.received} == {str(j.id) for j in jobs}
    assert sorted(c["title"] for c in notes.calls) == sorted(f"hello #{j.id}" for j in jobs)
    assert len({c["meta"]["agentdash/idempotency-key"] for c in notes.calls}) == 3
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"hello-{j.id}.md" for j in jobs
    )


async def test_failures_are_retried_with_backoff_under_one_key(tmp_path: Path) -> None:
    async with (
        webhook_server() as hooks,
        engine_rig(tmp_path, config("hook", hooks.url, "http://x/", tmp_path)) as r,
    ):
        hooks.fail_next = 2
        await r.control.dispatch("hello")
        await run_until(r.engine, lambda: all_settled(r, 1))
        [delivery] = await r.control.deliveries()
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert delivery.last_error is None
    assert len(hooks.keys) == 3 and len(set(hooks.keys)) == 1


async def test_dead_after_max_attempts_then_redelivered(tmp_path: Path) -> None:
    async with (
        webhook_server() as hooks,
        engine_rig(tmp_path, config("hook", hooks.url, "http://x/", tmp_path)) as r,
    ):
        hooks.fail_next = 3
        job = await r.control.dispatch("hello")
        await run_until(r.engine, lambda: all_settled(r, 1))
        [dead] = await r.control.deliveries()
        assert dead.status is DeliveryStatus.DEAD and dead.attempts == 3
        assert dead.last_error and "HTTP 503" in dead.last_error
        [reset] = await r.control.redeliver(job.id)
        assert reset.status is DeliveryStatus.PENDING and reset.attempts == 0
        await run_until(r.engine, lambda: all_settled(r, 1))
        [done] = await r.control.deliveries(job_id=job.id)
        assert await r.control.redeliver(job.id) == []
    assert done.status is DeliveryStatus.DELIVERED and done.attempts == 1
    assert len(hooks.keys) == 4 and len(set(hooks.keys)) == 1


async def test_tool_errors_and_template_errors_park_deliveries(tmp_path: Path) -> None:
    async with webhook_server() as hooks, notes_server(json_response=True) as notes:
        text = config("rejecting, needs_task", hooks.url, notes.url, tmp_path)
        async with engine_rig(tmp_path, text) as r:
            await r.control.dispatch("hello")
            await run_until(r.engine, lambda: all_settled(r, 2))
            found = {d.sink: d for d in await r.control.deliveries()}
    rejected, templated = found["rejecting"], found["needs_task"]
    assert rejected.status is DeliveryStatus.DEAD and rejected.attempts == 2
    assert rejected.last_error and "read-only today" in rejected.last_error
    assert templated.status is DeliveryStatus.DEAD and templated.attempts == 1  # no retries
    assert templated.last_error and "{task.priority}" in templated.last_error
    assert hooks.received == []


async def test_step_returns_while_a_delivery_is_in_flight(tmp_path: Path) -> None:
    async with webhook_server() as hooks:
        hooks.hold = 1.0
        async with engine_rig(tmp_path, config("hook", hooks.url, "http://x/", tmp_path)) as r:
            await r.control.dispatch("hello")
            await run_until(r.engine, _received(hooks))
            deliverer = next(s for s in r.engine.services if isinstance(s, Deliverer))
            started = time.monotonic()
            await deliverer.step(r.engine.ctx)
            assert time.monotonic() - started < 0.2
            await run_until(r.engine, lambda: all_settled(r, 1))
    assert hooks.keys == hooks.answered and len(hooks.keys) == 1


async def test_an_outcome_after_losing_the_engine_is_not_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with webhook_server() as hooks:
        hooks.hold = 0.5
        async with engine_rig(tmp_path, config("hook", hooks.url, "http://x/", tmp_path)) as r:
            await r.control.dispatch("hello")
            await run_until(r.engine, _received(hooks))  # the send is in flight; loop stopped
            async with r.store.db.write() as conn:  # another process takes the engine over
                await conn.execute("UPDATE lease SET epoch = epoch + 1")
            async with asyncio.timeout(5):
                await hooks.wait_for(lambda h: bool(h.answered))
            await asyncio.sleep(0.2)
            [delivery] = await r.control.deliveries()
    assert delivery.status is DeliveryStatus.PENDING and delivery.attempts == 0
    assert "not recorded" in caplog.text and "no longer owns the engine" in caplog.text


def test_backoff_is_full_jitter_under_a_growing_cap() -> None:
    policy = RetryPolicy(max_attempts=4, backoff=1.0, max_backoff=6.0, timeout=1, max_concurrency=1)
    rng = random.Random(3)
    for attempts, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 6.0), (40, 6.0)]:
        delays = [policy.delay(attempts, rng) for _ in range(200)]
        assert 0 <= min(delays) < cap / 10 and cap * 0.9 < max(delays) <= cap
    assert not policy.gives_up(3) and policy.gives_up(4)
    assert not RetryPolicy(None, 1, 1, 1, 1).gives_up(10**6)


def _after(seconds: float) -> Callable[[], Awaitable[bool]]:
    deadline = time.monotonic() + seconds

    async def check() -> bool:
        return time.monotonic() >= deadline

    return check


def _received(hooks: Hooks) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(hooks.received)

    return check
