"""End to end: the real engine and Managed Agents provider, through the anthropic SDK, against
the fake server over loopback HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentdash.fake import Fault, Scenario
from agentdash.models import Job, JobStatus
from agentdash.providers.anthropic import SESSION_CHECK_EVERY
from agentdash.providers.base import CreateRequest
from agentdash.runtime import build_providers

from .conftest import SENTINEL_KEY
from .helpers import Rig, make_config, rig


async def test_completed_job_has_agent_text_and_usage(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        job = await r.run("Summarise the logs")
        assert job.status is JobStatus.COMPLETED, job
        full = await r.store.jobs.get(job.id)
        assert full is not None and full.output is not None
        assert "Summarise the logs" in full.output
        assert full.transcript is not None and full.transcript.endswith(full.output)
        assert full.remote_id and full.remote_id.startswith("sesn_")
        assert full.finished_at is not None and full.poll_count >= 1
        assert full.usage.output_tokens is not None
        assert r.fake.stats.sessions_created == 1


async def test_a_poll_is_one_request_and_the_end_costs_no_extra_one(tmp_path: Path) -> None:
    """The event list tells the status, the text and the usage: the session object is read
    only now and then, as a check, never as a second request for every poll."""
    async with rig(tmp_path, Scenario(turn_seconds=2.0)) as r:
        job = await r.run("Summarise the logs")
        assert job.status is JobStatus.COMPLETED
        requests = r.fake.stats.requests
        assert requests["list_events"] == job.poll_count
        assert requests["retrieve"] <= job.poll_count // SESSION_CHECK_EVERY
        assert job.usage.output_tokens is not None  # from the session.usage event


async def test_a_turn_seen_whole_in_one_poll_costs_one_request(tmp_path: Path) -> None:
    """A job first polled after its turn ended (a busy budget) learns everything at once."""
    async with rig(tmp_path, Scenario(turn_seconds=0.3)) as r:
        provider = r.providers.providers["fake"]
        request = CreateRequest("intent-1", "hello", "t", "hi", {"agent": "a", "environment": "e"})
        remote_id = await provider.create(request)
        await asyncio.sleep(0.6)
        result = await provider.poll(remote_id, {})
        assert result.status is JobStatus.COMPLETED and result.new_messages
        assert result.usage is not None and result.usage.output_tokens
        assert dict(r.fake.stats.requests) == {"create": 1, "list_events": 1}


async def ended_silently(r: Rig, polls: int) -> tuple[Job, str]:
    """A long job polled ``polls`` times whose session then terminates with no event."""
    job = await r.control.dispatch("hello", "long task")
    running = await r.engine.run_until(job.id, lambda j: j.poll_count >= polls)
    assert running.remote_id is not None
    r.fake.state.sessions[running.remote_id].status = "terminated"
    return running, running.remote_id


async def test_a_session_that_ends_without_an_event_is_still_noticed(tmp_path: Path) -> None:
    async with rig(tmp_path, Scenario(turn_seconds=60)) as r:
        job, _ = await ended_silently(r, polls=2)
        done = await r.engine.run_until(job.id, lambda j: j.status.is_terminal)
        assert done.status is JobStatus.FAILED
        assert done.error == "the session was terminated"
        assert done.remote_status == "terminated"


async def test_a_restarted_process_checks_the_session_on_its_first_poll(tmp_path: Path) -> None:
    """A session that ended with no event while agentdash was down is seen at once."""
    async with rig(tmp_path, Scenario(turn_seconds=60)) as r:
        job, remote_id = await ended_silently(r, polls=1)
        cursor = await r.store.jobs.cursor(job.id)
        same = await r.providers.providers["fake"].poll(remote_id, cursor)
        assert same.status is JobStatus.RUNNING  # this process polled it already: events only
        restarted = build_providers(make_config(r.fake.base_url), env={"FAKE_KEY": SENTINEL_KEY})
        try:
            fresh = await restarted.providers["fake"].poll(remote_id, cursor)
        finally:
            await restarted.aclose()
        assert fresh.status is JobStatus.FAILED and fresh.remote_status == "terminated"


async def test_a_failed_session_check_is_retried_like_any_poll(tmp_path: Path) -> None:
    async with rig(tmp_path, Scenario(turn_seconds=8)) as r:
        r.fake.scenario.add_fault(Fault("html_502", route="retrieve", count=1))
        job = await r.control.dispatch("hello", "[fake:complete,messages=1] go")
        failed = await r.engine.run_until(job.id, lambda j: j.consecutive_errors >= 1)
        assert failed.last_error is not None and "HTTP 502" in failed.last_error
        done = await r.engine.run_until(job.id, lambda j: j.status.is_terminal)
        assert done.status is JobStatus.COMPLETED and done.consecutive_errors == 0
        assert r.fake.stats.faults_applied["html_502"] == 1


@pytest.mark.parametrize(
    ("marker", "status", "error_part"),
    [
        ("needs_action", JobStatus.NEEDS_ACTION, "tool"),
        ("budget", JobStatus.NEEDS_ACTION, "budget"),
        ("retries_exhausted", JobStatus.FAILED, None),
        ("terminated", JobStatus.FAILED, None),
    ],
)
async def test_scripts_end_in_the_right_state(
    tmp_path: Path, marker: str, status: JobStatus, error_part: str | None
) -> None:
    async with rig(tmp_path) as r:
        job = await r.run(f"work [fake:{marker}]")
        assert job.status is status
        assert job.error
        if error_part:
            assert error_part in job.error
        else:  # the session's own error message is carried through
            assert "error" not in job.error.lower() or len(job.error) > 10


async def test_pagination_shared_timestamps_unknown_events_and_redaction(tmp_path: Path) -> None:
    async with rig(tmp_path, Scenario(turn_seconds=0.4, events_page_limit=3)) as r:
        job = await r.run("[fake:complete,messages=12,shared_ts,unknown,redacted] go")
        full = await r.store.jobs.get(job.id)
        assert full is not None and full.status is JobStatus.COMPLETED
        assert full.transcript is not None
        steps = [p for p in full.transcript.split("\n\n") if p.startswith("Working on it")]
        assert len(steps) == 11 and len(set(steps)) == 11  # each message once, in order
        assert steps[0].endswith("step 1 of 12.") and steps[-1].endswith("step 11 of 12.")


@pytest.mark.parametrize("kind", ["rate_limit", "overloaded", "html_502", "truncated_json"])
async def test_bad_answers_on_polls_are_retried_and_shown(tmp_path: Path, kind: str) -> None:
    async with rig(tmp_path) as r:
        r.fake.scenario.add_fault(Fault(kind, route="list_events", count=2, retry_after=0.5))
        job = await r.run()
        assert job.status is JobStatus.COMPLETED
        assert job.poll_count >= 1
        assert r.fake.stats.sessions_created == 1


async def test_poll_errors_are_counted_on_the_job_while_they_last(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        r.fake.scenario.add_fault(Fault("html_502", route="list_events", count=1000))
        job = await r.control.dispatch("hello", "x")
        seen = await r.engine.run_until(job.id, lambda j: j.consecutive_errors >= 2)
        assert seen.status is JobStatus.RUNNING
        assert seen.last_error is not None and "HTTP 502" in seen.last_error
        assert "HTML" in seen.last_error
        r.fake.scenario.clear_faults()
        done = await r.engine.run_until(job.id, lambda j: j.status.is_terminal)
        assert done.status is JobStatus.COMPLETED and done.consecutive_errors == 0


async def test_cancel_interrupts_and_archives(tmp_path: Path) -> None:
    async with rig(tmp_path, Scenario(turn_seconds=30)) as r:
        job = await r.control.dispatch("hello", "long task")
        running = await r.engine.run_until(job.id, lambda j: j.status is JobStatus.RUNNING)
        await r.control.cancel(job.id)
        done = await r.engine.run_until(job.id, lambda j: j.status.is_terminal)
        assert done.status is JobStatus.CANCELLED
        assert running.remote_id is not None
        assert r.fake.state.sessions[running.remote_id].archived_at is not None


async def test_create_rate_limited_is_retried_without_duplicates(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        r.fake.scenario.add_fault(Fault("rate_limit", route="create", retry_after=0.2))
        job = await r.run()
        assert job.status is JobStatus.COMPLETED
        assert r.fake.stats.sessions_created == 1


@pytest.mark.parametrize("mode", ["500", "drop"])
async def test_ambiguous_create_is_reconciled_not_resent(tmp_path: Path, mode: str) -> None:
    async with rig(tmp_path) as r:
        r.fake.scenario.add_fault(Fault("create_then_fail", mode=mode))  # type: ignore[arg-type]
        job = await r.control.dispatch("hello", "x")
        unknown = await r.engine.run_until(job.id, lambda j: j.status is JobStatus.UNKNOWN)
        assert unknown.last_error and "checking whether the session exists" in unknown.last_error
        done = await r.engine.run_until(job.id, lambda j: j.status.is_terminal)
        assert done.status is JobStatus.COMPLETED
        assert r.fake.stats.sessions_created == 1
        assert list(r.fake.stats.sessions_by_intent.values()) == [1]


async def test_create_timeout_is_ambiguous_then_linked(tmp_path: Path) -> None:
    async with rig(tmp_path, call_timeout="1s") as r:
        r.fake.scenario.add_fault(Fault("create_then_fail", mode="timeout", hang_seconds=3))
        job = await r.run()
        assert job.status is JobStatus.COMPLETED
        assert r.fake.stats.sessions_created == 1


async def test_missing_intent_is_resent_with_the_same_intent(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        r.fake.scenario.add_fault(Fault("server_error", route="create"))
        job = await r.control.dispatch("hello", "x")
        unknown = await r.engine.run_until(job.id, lambda j: j.status is JobStatus.UNKNOWN)
        done = await r.engine.run_until(job.id, lambda j: j.status.is_terminal)
        assert done.status is JobStatus.COMPLETED
        assert done.intent_id == unknown.intent_id
        assert dict(r.fake.stats.sessions_by_intent) == {done.intent_id: 1}


async def test_hostile_agent_text_is_stored_safe(tmp_path: Path) -> None:
    def hostile(prompt: str, index: int, total: int) -> str:
        return "title\x1b]0;PWNED\x07 clear\x1b[2J c1\x9b31m lone\ud800 [bold]x[/bold]"

    async with rig(tmp_path, Scenario(turn_seconds=0.2, agent_messages=1, reply_text=hostile)) as r:
        job = await r.run()
        assert job.status is JobStatus.COMPLETED
        full = await r.store.jobs.get(job.id)
        assert full is not None and full.output is not None and full.transcript is not None
        for text in (full.output, full.transcript):
            assert not any(ch in text for ch in "\x1b\x07\x9b\ud800")
            assert "␛]0;PWNED␇" in text and "[bold]x[/bold]" in text
