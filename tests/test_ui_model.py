"""The display rules as plain functions: times, views, Markdown detection, memory bound."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from agentdash.models import Job, JobStatus
from agentdash.ui.model import (
    JobIndex,
    Tab,
    View,
    age,
    countdown,
    elapsed,
    looks_like_markdown,
    origin_label,
    problem,
    split_output,
)

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


def job(job_id: int = 1, status: JobStatus = JobStatus.RUNNING, **fields: object) -> Job:
    base = Job(
        id=job_id,
        job="hello",
        provider="fake",
        status=status,
        origin="manual",
        prompt="p",
        created_at=T0,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("created", "now", "expected"),
    [
        ("09:00:00", "09:00:59", "<1m"),
        ("09:00:59", "09:01:00", "1m"),  # flips with the wall-clock minute, for every row at once
        ("09:00:00", "09:59:59", "59m"),
        ("09:00:00", "10:00:00", "1h"),
        ("09:00:00", "08:59:00+1d", "23h"),
        ("09:00:00", "09:00:00+3d", "3d"),
    ],
)
def test_age_changes_on_whole_minutes(created: str, now: str, expected: str) -> None:
    def at(text: str) -> datetime:
        clock, _, days = text.partition("+")
        h, m, s = map(int, clock.split(":"))
        return T0.replace(hour=h, minute=m, second=s) + timedelta(days=int(days[:-1] or 0))

    assert age(at(created), at(now)) == expected


@pytest.mark.parametrize(
    ("seconds", "active", "expected"),
    [(45, True, "45s"), (185, True, "3m"), (7500, True, "2h05m"), (185, False, "3m05s")],
)
def test_elapsed_is_coarse_while_running_and_exact_after(
    seconds: int, active: bool, expected: str
) -> None:
    status = JobStatus.RUNNING if active else JobStatus.COMPLETED
    end = T0 + timedelta(seconds=seconds)
    j = job(status=status, dispatched_at=T0, finished_at=None if active else end)
    assert elapsed(j, end) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(-5, "due"), (0.5, "due"), (45, "in 45s"), (61, "in 2m"), (120, "in 2m"), (4000, "in 1h06m")],
)
def test_countdown(seconds: float, expected: str) -> None:
    assert countdown(T0 + timedelta(seconds=seconds), T0) == expected
    assert countdown(None, T0) == "—"


def test_views_keep_the_right_jobs() -> None:
    jobs = [
        job(1, JobStatus.RUNNING),
        job(2, JobStatus.NEEDS_ACTION),
        job(3, JobStatus.FAILED, error="Boom: quota exceeded"),
        job(4, JobStatus.COMPLETED, origin="schedule:nightly@2026-01-05T03:00:00+00:00"),
    ]
    ids = lambda view: [j.id for j in jobs if view.shows(j)]  # noqa: E731
    assert ids(View(Tab.ACTIVE)) == [1, 2]
    assert ids(View(Tab.NEEDS_YOU)) == [2]
    assert ids(View(Tab.FAILED)) == [3]
    assert ids(View(Tab.ALL, "quota")) == [3]
    assert ids(View(Tab.ALL, "needs you")) == [2], "the word people see matches too"
    assert ids(View(Tab.ALL, "nightly completed")) == [4], "every word must match"
    assert ids(View(Tab.ALL, "#3")) == [3]


def test_the_index_keeps_active_jobs_and_the_newest_finished() -> None:
    index = JobIndex(keep_finished=2)
    dropped = index.update(
        [job(1, JobStatus.RUNNING)] + [job(i, JobStatus.COMPLETED) for i in (2, 3, 4)]
    )
    assert dropped == [2]
    assert sorted(index.jobs) == [1, 3, 4]
    assert [j.id for j in index.shown(View())] == [4, 3, 1]
    assert index.counts()[Tab.ACTIVE] == 1


def test_markdown_detection_and_output_split() -> None:
    assert looks_like_markdown("# Title\n\ntext")
    assert looks_like_markdown("see [the docs](https://x.y) for **more**")
    assert looks_like_markdown("| a | b |\n|---|---|")
    assert not looks_like_markdown("plain log line\nanother: 3 > 2")
    assert not looks_like_markdown("# " + "x" * 300_000), "huge texts stay plain"
    assert split_output("step 1\n\nfinal", "final") == ("step 1", "final")
    assert split_output("step 1", "other") == ("step 1", "other")
    assert split_output(None, None) == ("", "")


def test_origin_and_problem_labels() -> None:
    assert origin_label("schedule:nightly@2026-01-05T03:00:00+00:00") == "⏱ nightly"
    assert origin_label("task:queue:42") == "task queue#42"
    assert origin_label("rerun:7") == "↻ rerun of #7"
    assert problem(job(consecutive_errors=2, last_error="timeout")) == "retry 2: timeout"
    assert problem(job(error="failed hard", last_error="x", consecutive_errors=1)) == "failed hard"
    assert problem(job()) == ""
