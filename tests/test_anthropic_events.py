"""Classifying Managed Agents events into job state (reference §2), as a table."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdash.models import JobStatus
from agentdash.providers.anthropic_events import TurnState, apply_events, message_text

T0 = "2026-05-01T12:00:00.000Z"
T1 = "2026-05-01T12:00:01.000Z"
T2 = "2026-05-01T12:00:02.000Z"


def ev(id_: str, type_: str, at: str = T1, **fields: Any) -> dict[str, Any]:
    return {"id": id_, "type": type_, "processed_at": at, **fields}


def msg(id_: str, text: str, at: str = T1) -> dict[str, Any]:
    return ev(id_, "agent.message", at, content=[{"type": "text", "text": text}])


def idle(id_: str, reason: str, at: str = T2, **extra: Any) -> dict[str, Any]:
    return ev(id_, "session.status_idle", at, stop_reason={"type": reason, **extra})


USER = ev("u1", "user.message", T0, content=[{"type": "text", "text": "go"}])


@pytest.mark.parametrize(
    ("events", "status", "error_part"),
    [
        ([USER, msg("m1", "done"), idle("i1", "end_turn")], JobStatus.COMPLETED, None),
        (
            [USER, idle("i1", "requires_action", event_ids=["x"])],
            JobStatus.NEEDS_ACTION,
            "tool confirmation",
        ),
        ([USER, idle("i1", "budget_reached")], JobStatus.NEEDS_ACTION, "budget"),
        (
            [
                USER,
                ev(
                    "e1",
                    "session.error",
                    error={"message": "model overloaded", "retry_status": {"type": "exhausted"}},
                ),
                idle("i1", "retries_exhausted"),
            ],
            JobStatus.FAILED,
            "model overloaded",
        ),
        (
            [
                USER,
                ev(
                    "e1",
                    "session.error",
                    error={"message": "mcp down", "retry_status": {"type": "terminal"}},
                ),
                ev("t1", "session.status_terminated", T2),
            ],
            JobStatus.FAILED,
            "mcp down",
        ),
        (
            [
                USER,
                ev(
                    "e1",
                    "session.error",
                    error={"message": "blip", "retry_status": {"type": "retrying"}},
                ),
            ],
            JobStatus.RUNNING,
            None,
        ),
        ([USER, idle("i1", "refusal")], JobStatus.FAILED, "refused"),
        ([USER, ev("x", "agent.brand_new_thing"), msg("m", "ok")], JobStatus.RUNNING, None),
        # an idle left over from before the turn's user.message does not end the job
        ([idle("i0", "end_turn", T0)], JobStatus.RUNNING, None),
    ],
    ids=[
        "end_turn",
        "requires_action",
        "budget",
        "retries_exhausted",
        "terminated",
        "retrying-is-warning",
        "refusal",
        "unknown-type",
        "idle-before-anchor",
    ],
)
def test_classification(
    events: list[dict[str, Any]], status: JobStatus, error_part: str | None
) -> None:
    state = TurnState()
    apply_events(state, events)
    assert state.status is status
    if error_part is None:
        assert state.error is None
    else:
        assert state.error is not None and error_part in state.error


def test_interrupted_turn_is_cancelled() -> None:
    state = TurnState(interrupted=True)
    apply_events(state, [USER, idle("i1", "end_turn")])
    assert state.status is JobStatus.CANCELLED


T3 = "2026-05-01T12:00:03.000Z"


@pytest.mark.parametrize(
    ("interrupted", "status"),
    [(False, JobStatus.COMPLETED), (True, JobStatus.CANCELLED)],
)
def test_a_termination_after_the_turn_ended_keeps_its_outcome(
    interrupted: bool, status: JobStatus
) -> None:
    state = TurnState(interrupted=interrupted)
    texts = apply_events(
        state,
        [
            USER,
            msg("m1", "done"),
            idle("i1", "end_turn"),
            ev("t1", "session.status_terminated", T3),
        ],
    )
    assert (state.status, texts, state.remote_status) == (status, ["done"], "terminated")


def test_an_interrupted_session_that_terminates_mid_turn_is_cancelled() -> None:
    state = TurnState(interrupted=True)
    apply_events(state, [USER, ev("t1", "session.status_terminated", T2)])
    assert state.status is JobStatus.CANCELLED


def test_usage_is_behind_once_the_agent_works_after_it() -> None:
    usage = {"input_tokens": 10, "output_tokens": 5}
    state = TurnState()
    apply_events(state, [USER, ev("s1", "session.usage", T1, usage=usage)])
    assert (state.usage, state.usage_behind) == (usage, False)
    before = state.activity
    apply_events(state, [msg("m1", "more", T2)])
    assert state.usage_behind and state.activity == before + 1
    apply_events(state, [ev("s2", "session.usage", T3, usage=usage)])
    assert not state.usage_behind and state.activity == before + 1  # a snapshot is no activity


def test_text_blocks_joined_and_redacted_skipped() -> None:
    event = {
        "type": "agent.message",
        "content": [
            {"type": "text", "text": "Hello "},
            {"type": "redacted"},
            {"type": "text", "text": "world"},
            {"type": "image", "source": {}},
        ],
    }
    assert message_text(event) == "Hello world"


def test_events_sharing_a_timestamp_across_overlapping_pages_are_counted_once() -> None:
    state = TurnState()
    first = [USER, msg("m1", "a", T1), msg("m2", "b", T1)]
    assert apply_events(state, first) == ["a", "b"]
    # the next list starts at created_at[gte]=T1 and returns m1, m2 again plus m3 at T1
    again = [msg("m1", "a", T1), msg("m2", "b", T1), msg("m3", "c", T1)]
    assert apply_events(state, again) == ["c"]
    cursor = state.to_cursor()
    restored = TurnState.from_cursor(cursor)
    assert apply_events(restored, again) == []


def test_queued_events_without_processed_at_wait() -> None:
    state = TurnState()
    pending = {"id": "u1", "type": "user.message", "processed_at": None}
    apply_events(state, [pending])
    assert not state.anchored


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=30))
def test_replaying_any_overlap_never_duplicates_text(stamps: list[int]) -> None:
    """Messages arrive in timestamp order; re-listing from the cursor yields each once."""
    stamps.sort()
    events = [USER] + [
        msg(f"m{i}", f"t{i}", f"2026-05-01T12:00:0{s + 1}.000Z") for i, s in enumerate(stamps)
    ]
    state = TurnState()
    seen: list[str] = []
    for cut in range(1, len(events) + 1):
        restored = TurnState.from_cursor(state.to_cursor())
        since = restored.since
        page = [e for e in events[:cut] if since is None or e["processed_at"] >= since]
        seen += apply_events(restored, page)
        state = restored
    assert seen == [f"t{i}" for i in range(len(stamps))]
