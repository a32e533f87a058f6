"""Tables for the pure cron module; every expected instant was worked out by hand.

How the expectations were derived (never by calling croniter here):
- America/New_York 2026: DST starts Sun 03-08 (02:00 EST -> 03:00 EDT, 07:00Z) and ends
  Sun 11-01 (02:00 EDT -> 01:00 EST, 06:00Z), the second Sunday of March and the first of
  November (03-01 and 11-01 2026 are Sundays).
- Europe/Berlin 2026: last Sundays, 03-29 (02:00 CET -> 03:00 CEST) and 10-25
  (03:00 CEST -> 02:00 CET), both at 01:00Z.
- Australia/Lord_Howe 2026: first Sundays, 04-05 (02:00 +11:00 -> 01:30 +10:30, 15:00Z on
  04-04) and 10-04 (02:00 +10:30 -> 02:30 +11:00, 15:30Z on 10-03): a 30-minute shift.
- The DST rules under test are the module's (see its docstring): a spring-gap time runs once
  at the end of the gap; a fall-back repeat is dropped unless the hour field covers every hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentdash.scheduler import cron
from agentdash.scheduler.cron import (
    CronError,
    count_and_latest_between,
    describe,
    fires_between,
    next_fire,
    next_fires,
    validate,
)

NY = "America/New_York"
BERLIN = "Europe/Berlin"
LORD_HOWE = "Australia/Lord_Howe"


def iso(values: list[datetime]) -> list[str]:
    """ISO strings carry the offset, so a fold's two 01:30s never look equal."""
    return [value.isoformat() for value in values]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


NEXT_FIRES = [
    pytest.param(
        "30 2 * * *",
        NY,
        "2026-03-06T12:00:00-05:00",
        ["2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
        id="ny-gap-daily-runs-once-at-0300",
    ),
    pytest.param(
        "0,30 2 * * *",
        NY,
        "2026-03-07T12:00:00-05:00",
        ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"],
        id="ny-gap-two-skipped-times-collapse",
    ),
    pytest.param(
        "0 * * * *",
        NY,
        "2026-03-08T00:30:00-05:00",
        ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"],
        id="ny-gap-hourly-has-no-0200",
    ),
    pytest.param(
        "30 1 * * *",
        NY,
        "2026-10-31T12:00:00-04:00",
        ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00", "2026-11-03T01:30:00-05:00"],
        id="ny-fold-daily-fires-once",
    ),
    pytest.param(
        "30 1 * * *",
        NY,
        "2026-11-01T01:45:00-04:00",
        ["2026-11-02T01:30:00-05:00"],
        id="ny-fold-restart-between-the-two-0130s",
    ),
    pytest.param(
        "30 1 * * *",
        NY,
        "2026-11-01T01:00:00-05:00",
        ["2026-11-02T01:30:00-05:00"],
        id="ny-fold-restart-in-second-pass",
    ),
    pytest.param(
        "0 * * * *",
        NY,
        "2026-11-01T00:30:00-04:00",
        [
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T01:00:00-05:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T03:00:00-05:00",
        ],
        id="ny-fold-hourly-fires-both-0100s",
    ),
    pytest.param(
        "30 2 * * *",
        BERLIN,
        "2026-03-28T12:00:00+01:00",
        ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"],
        id="berlin-gap-daily",
    ),
    pytest.param(
        "30 2 * * *",
        BERLIN,
        "2026-10-24T12:00:00+02:00",
        ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"],
        id="berlin-fold-daily-fires-once",
    ),
    pytest.param(
        "*/30 * * * *",
        BERLIN,
        "2026-10-25T01:50:00+02:00",
        [
            "2026-10-25T02:00:00+02:00",
            "2026-10-25T02:30:00+02:00",
            "2026-10-25T02:00:00+01:00",
            "2026-10-25T02:30:00+01:00",
            "2026-10-25T03:00:00+01:00",
        ],
        id="berlin-fold-every-30-min-repeats-the-hour",
    ),
    pytest.param(
        "0 */2 * * *",
        BERLIN,
        "2026-10-25T00:30:00+02:00",
        ["2026-10-25T02:00:00+02:00", "2026-10-25T04:00:00+01:00"],
        id="berlin-fold-every-2-hours-names-hours-so-deduped",
    ),
    pytest.param(
        "45 1 * * *",
        LORD_HOWE,
        "2026-04-04T12:00:00+11:00",
        ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"],
        id="lord-howe-fold-daily-fires-once",
    ),
    pytest.param(
        "*/7 * * * *",
        LORD_HOWE,
        "2026-04-05T01:50:00+11:00",
        [
            "2026-04-05T01:56:00+11:00",
            "2026-04-05T01:35:00+10:30",
            "2026-04-05T01:42:00+10:30",
            "2026-04-05T01:49:00+10:30",
            "2026-04-05T01:56:00+10:30",
            "2026-04-05T02:00:00+10:30",
        ],
        id="lord-howe-fold-repeats-croniter-skips",
    ),
    pytest.param(
        "30 * * * *",
        LORD_HOWE,
        "2026-04-05T00:45:00+11:00",
        ["2026-04-05T01:30:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T02:30:00+10:30"],
        id="lord-howe-fold-hourly-half-past",
    ),
    pytest.param(
        "0 * * * *",
        LORD_HOWE,
        "2026-04-05T00:30:00+11:00",
        ["2026-04-05T01:00:00+11:00", "2026-04-05T02:00:00+10:30", "2026-04-05T03:00:00+10:30"],
        id="lord-howe-fold-hourly-on-the-hour-not-repeated",
    ),
    pytest.param(
        "15 2 * * *",
        LORD_HOWE,
        "2026-10-03T12:00:00+10:30",
        ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"],
        id="lord-howe-gap-daily-runs-at-0230",
    ),
    pytest.param(
        "*/20 * * * *",
        LORD_HOWE,
        "2026-10-04T01:30:00+10:30",
        ["2026-10-04T01:40:00+10:30", "2026-10-04T02:40:00+11:00", "2026-10-04T03:00:00+11:00"],
        id="lord-howe-gap-every-20-min",
    ),
    pytest.param(
        "0 0 31 * *",
        "UTC",
        "2026-01-31T00:00:00+00:00",
        [
            "2026-03-31T00:00:00+00:00",
            "2026-05-31T00:00:00+00:00",
            "2026-07-31T00:00:00+00:00",
            "2026-08-31T00:00:00+00:00",
            "2026-10-31T00:00:00+00:00",
        ],
        id="month-end-skips-short-months",
    ),
    pytest.param(
        "0 0 29 2 *",
        "UTC",
        "2026-01-01T00:00:00+00:00",
        ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"],
        id="feb-29-leap-years-only",
    ),
    pytest.param(
        "0 0 29 2 *",
        NY,
        "2026-01-01T00:00:00-05:00",
        ["2028-02-29T00:00:00-05:00"],
        id="feb-29-in-a-zone",
    ),
    pytest.param(
        "0 0 13 * 5",
        "UTC",
        "2026-04-01T00:00:00+00:00",
        [
            "2026-04-03T00:00:00+00:00",
            "2026-04-10T00:00:00+00:00",
            "2026-04-13T00:00:00+00:00",
            "2026-04-17T00:00:00+00:00",
            "2026-04-24T00:00:00+00:00",
            "2026-05-01T00:00:00+00:00",
        ],
        id="dom-or-dow-13th-or-friday",
    ),
    pytest.param(
        "*/5 * * * *",
        "UTC",
        "2026-06-01T10:02:30+00:00",
        ["2026-06-01T10:05:00+00:00", "2026-06-01T10:10:00+00:00", "2026-06-01T10:15:00+00:00"],
        id="every-5-minutes-anchored-at-00",
    ),
    pytest.param(
        "*/15 9-10 * * 1-5",
        "UTC",
        "2026-06-05T10:50:00+00:00",
        ["2026-06-08T09:00:00+00:00", "2026-06-08T09:15:00+00:00", "2026-06-08T09:30:00+00:00"],
        id="weekday-office-hours-skip-weekend",
    ),
    pytest.param(
        "0 9 * * *",
        "UTC",
        "2026-06-01T09:00:00+00:00",
        ["2026-06-02T09:00:00+00:00"],
        id="strictly-after-a-fire",
    ),
    pytest.param(
        "0 9 * * *",
        "UTC",
        "2026-06-01T08:59:59.999999+00:00",
        ["2026-06-01T09:00:00+00:00"],
        id="just-before-a-fire",
    ),
    pytest.param(
        "0 9 * * *",
        NY,
        "2026-06-01T12:59:00+00:00",
        ["2026-06-01T09:00:00-04:00"],
        id="after-given-in-another-zone",
    ),
    pytest.param(
        "@daily",
        BERLIN,
        "2026-06-01T12:00:00+02:00",
        ["2026-06-02T00:00:00+02:00"],
        id="alias-daily",
    ),
]


@pytest.mark.parametrize(("expr", "zone", "after", "expected"), NEXT_FIRES)
def test_next_fires(expr: str, zone: str, after: str, expected: list[str]) -> None:
    fires = next_fires(expr, ZoneInfo(zone), at(after), len(expected))
    assert iso(fires) == expected
    assert all(fire.tzinfo == ZoneInfo(zone) for fire in fires)


@pytest.mark.parametrize(("expr", "zone", "after", "expected"), NEXT_FIRES)
def test_next_fire_is_the_first_of_next_fires(
    expr: str, zone: str, after: str, expected: list[str]
) -> None:
    assert next_fire(expr, ZoneInfo(zone), at(after)).isoformat() == expected[0]


def test_next_fires_zero_count_is_empty() -> None:
    assert next_fires("* * * * *", ZoneInfo("UTC"), at("2026-01-01T00:00:00+00:00"), 0) == []


def test_naive_after_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire("* * * * *", ZoneInfo("UTC"), datetime(2026, 1, 1))


@pytest.mark.parametrize("expr", ["60 * * * *", "* * * * * *", "@reboot"])
def test_computing_with_a_bad_expression_raises_at_once(expr: str) -> None:
    with pytest.raises(CronError):
        next_fires(expr, ZoneInfo("UTC"), at("2026-01-01T00:00:00+00:00"), 0)


def test_next_fire_of_an_impossible_expression_raises() -> None:
    with pytest.raises(CronError, match="does not fire"):
        next_fire("0 0 31 2 *", ZoneInfo("UTC"), at("2026-01-01T00:00:00+00:00"))


FIRES_BETWEEN = [
    pytest.param(
        "30 1 * * *",
        NY,
        "2026-10-31T12:00:00-04:00",
        "2026-11-02T01:30:00-05:00",
        None,
        ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
        id="fold-once-and-end-inclusive",
    ),
    pytest.param(
        "30 1 * * *",
        NY,
        "2026-11-01T01:30:00-04:00",
        "2026-11-03T00:00:00-05:00",
        None,
        ["2026-11-02T01:30:00-05:00"],
        id="start-exclusive",
    ),
    pytest.param(
        "0 * * * *",
        NY,
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:45:00-04:00",
        None,
        ["2026-11-01T01:00:00-04:00"],
        id="end-compared-as-an-instant-not-a-wall-time",
    ),
    pytest.param(
        "0 * * * *",
        "UTC",
        "2026-01-01T00:00:00+00:00",
        "2026-01-02T00:00:00+00:00",
        3,
        ["2026-01-01T01:00:00+00:00", "2026-01-01T02:00:00+00:00", "2026-01-01T03:00:00+00:00"],
        id="limit-keeps-the-first",
    ),
    pytest.param(
        "0 9 * * *",
        "UTC",
        "2026-01-02T00:00:00+00:00",
        "2026-01-01T00:00:00+00:00",
        None,
        [],
        id="empty-when-end-before-start",
    ),
]


@pytest.mark.parametrize(("expr", "zone", "start", "end", "limit", "expected"), FIRES_BETWEEN)
def test_fires_between(
    expr: str, zone: str, start: str, end: str, limit: int | None, expected: list[str]
) -> None:
    assert iso(fires_between(expr, ZoneInfo(zone), at(start), at(end), limit)) == expected


COUNT_AND_LATEST = [
    pytest.param(
        "*/15 * * * *",
        "UTC",
        "2026-01-01T00:00:00+00:00",
        "2026-01-02T00:00:00+00:00",
        96,
        "2026-01-02T00:00:00+00:00",
        id="a-day-of-quarter-hours",
    ),
    pytest.param(
        "30 1 * * *",
        NY,
        "2026-10-31T12:00:00-04:00",
        "2026-11-03T12:00:00-05:00",
        3,
        "2026-11-03T01:30:00-05:00",
        id="fold-counted-once",
    ),
    pytest.param(
        "0 * * * *",
        NY,
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T03:00:00-05:00",
        4,
        "2026-11-01T03:00:00-05:00",
        id="hourly-fold-counts-both",
    ),
    pytest.param(
        "0 9 * * *",
        "UTC",
        "2026-01-01T09:00:00+00:00",
        "2026-01-02T08:59:00+00:00",
        0,
        None,
        id="none",
    ),
]


@pytest.mark.parametrize(("expr", "zone", "start", "end", "count", "latest"), COUNT_AND_LATEST)
def test_count_and_latest_between(
    expr: str, zone: str, start: str, end: str, count: int, latest: str | None
) -> None:
    got_count, got_latest = count_and_latest_between(expr, ZoneInfo(zone), at(start), at(end))
    assert got_count == count
    assert (got_latest.isoformat() if got_latest else None) == latest


def test_count_stops_at_the_cap_but_latest_stays_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cron, "MAX_COUNTED_FIRES", 10)
    count, latest = count_and_latest_between(
        "* * * * *", ZoneInfo("UTC"), at("2026-01-01T00:00:00+00:00"), at("2026-01-03T00:07:30Z")
    )
    assert count == 10
    assert latest is not None
    assert latest.isoformat() == "2026-01-03T00:07:00+00:00"


VALID = [
    "* * * * *",
    "0 9 * * 1-5",
    "*/5 * * * *",
    "0 0 13 * 5",
    "0 0 29 2 *",
    "0 0 31 2,3 *",
    "0 0 L * *",
    "0 0 * * MON-FRI",
    "  0   0 1 1 *  ",
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@yearly",
    "@ANNUALLY",
    "@midnight",
]


@pytest.mark.parametrize("expr", VALID)
def test_validate_accepts(expr: str) -> None:
    validate(expr)


INVALID = [
    pytest.param("0 0 31 2 *", "'0 0 31 2 *' never fires (Feb 31)", id="feb-31"),
    pytest.param("0 0 30 2 *", "never fires (Feb 30)", id="feb-30"),
    pytest.param("0 0 31 4,6 *", "day 31 never occurs in Apr, Jun", id="31-in-30-day-months"),
    pytest.param("0 0 30 2 1", "weekdays alone", id="impossible-day-with-weekday"),
    pytest.param("60 * * * *", "minute field '60' is not valid (allowed: 0-59", id="minute-60"),
    pytest.param("0 24 * * *", "hour field '24'", id="hour-24"),
    pytest.param("0 0 0 * *", "day-of-month field '0'", id="day-0"),
    pytest.param("0 0 * 13 *", "month field '13'", id="month-13"),
    pytest.param("0 0 * * 8", "day-of-week field '8'", id="weekday-8"),
    pytest.param("*/0 * * * *", "minute field '*/0'", id="step-0"),
    pytest.param("garbage", "has 1 field; a schedule needs exactly 5", id="garbage"),
    pytest.param("a b c d e", "minute field 'a' is not valid", id="five-garbage-fields"),
    pytest.param("", "has 0 fields", id="empty"),
    pytest.param("* * * *", "has 4 fields", id="four-fields"),
    pytest.param("0 * * * * *", "6 fields", id="six-fields-seconds"),
    pytest.param("0 0 * * * 2026", "seconds and years are not supported", id="year-field"),
    pytest.param("@reboot", "not supported", id="reboot"),
    pytest.param("@often", "not a known alias", id="unknown-alias"),
    pytest.param("H * * * *", "H/R", id="hashed"),
    pytest.param("R 0 * * *", "H/R", id="random"),
    pytest.param("0 0 * 2 1#5", "more than 5 years", id="fifth-monday-of-february"),
]


@pytest.mark.parametrize(("expr", "message"), INVALID)
def test_validate_rejects_with_a_readable_message(expr: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        validate(expr)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


DESCRIPTIONS = [
    ("0 9 * * *", "At 09:00 AM"),
    ("*/5 * * * *", "Every 5 minutes"),
    ("0 0 13 * 5", "At 12:00 AM, on day 13 of the month, or on Friday"),
    ("@daily", "At 12:00 AM"),
    ("garbage", "garbage"),
    ("1 2 3 4 5 6", "1 2 3 4 5 6"),
    ("60 * * * *", "60 * * * *"),
]


@pytest.mark.parametrize(("expr", "words"), DESCRIPTIONS)
def test_describe(expr: str, words: str) -> None:
    assert describe(expr) == words


# --- properties ---------------------------------------------------------------------------

MINUTES = ["*", "*/5", "*/7", "*/15", "0", "30", "7,37", "0-10/5", "59"]
HOURS = ["*", "*/2", "0-23", "1", "2", "3", "1,2,3", "0-5", "9"]
DAYS = ["*", "1", "13", "31"]
WEEKDAYS = ["*", "*", "1-5", "0", "5"]
ZONES = [NY, BERLIN, LORD_HOWE, "Antarctica/Troll", "UTC"]
# Instants near the 2026 transitions of those zones, so most examples cross a gap or a fold.
TRANSITIONS = [
    "2026-03-08T07:00:00+00:00",
    "2026-11-01T06:00:00+00:00",
    "2026-03-29T01:00:00+00:00",
    "2026-10-25T01:00:00+00:00",
    "2026-04-04T15:00:00+00:00",
    "2026-10-03T15:30:00+00:00",
]


def names_every_hour(hour: str) -> bool:
    return hour in ("*", "0-23")


@settings(max_examples=200, deadline=None)
@given(
    minute=st.sampled_from(MINUTES),
    hour=st.sampled_from(HOURS),
    day=st.sampled_from(DAYS),
    weekday=st.sampled_from(WEEKDAYS),
    zone=st.sampled_from(ZONES),
    anchor=st.sampled_from(TRANSITIONS),
    shift_minutes=st.integers(min_value=-36 * 60, max_value=6 * 60),
)
def test_fires_are_increasing_after_start_and_never_repeat_a_named_wall_time(
    minute: str, hour: str, day: str, weekday: str, zone: str, anchor: str, shift_minutes: int
) -> None:
    expr = f"{minute} {hour} {day} * {weekday}"
    tz = ZoneInfo(zone)
    after = at(anchor) + timedelta(minutes=shift_minutes, seconds=shift_minutes % 2 * 30)
    fires = next_fires(expr, tz, after, 40)
    instants = [fire.astimezone(UTC) for fire in fires]
    assert all(instant > after for instant in instants)
    assert all(a < b for a, b in pairwise(instants))
    assert all(fire.tzinfo == tz for fire in fires)
    if not names_every_hour(hour):
        walls = [fire.replace(tzinfo=None, fold=0) for fire in fires]
        assert len(set(walls)) == len(walls)
    if fires:
        pivot = fires[len(fires) // 2]
        rest = next_fires(expr, tz, pivot, len(fires) - len(fires) // 2 - 1)
        assert iso(rest) == iso(fires[len(fires) // 2 + 1 :])


# A brute-force reference for the grammar above: walk every UTC minute and apply the module's
# DST rules by hand. Slow, but independent of croniter, so it catches a fire croniter loses.

FIELD_BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


def field_values(field: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        first, _, last = span.partition("-")
        start = low if first == "*" else int(first)
        stop = high if first == "*" else int(last or first)
        values.update(range(start, stop + 1, int(step or 1)))
    return values


def wall_matches(fields: list[str], wall: datetime) -> bool:
    sets = [field_values(f, lo, hi) for f, (lo, hi) in zip(fields, FIELD_BOUNDS, strict=True)]
    on_day = wall.day in sets[2]
    on_weekday = wall.isoweekday() % 7 in sets[4]
    either = fields[2] != "*" and fields[4] != "*"
    day_ok = (on_day or on_weekday) if either else (on_day and on_weekday)
    return wall.minute in sets[0] and wall.hour in sets[1] and wall.month in sets[3] and day_ok


def reference_fires(expr: str, tz: ZoneInfo, after: datetime, span: timedelta) -> list[str]:
    fields = expr.split()
    names_hours = not names_every_hour(fields[1])
    minute = timedelta(minutes=1)
    instant = after.astimezone(UTC).replace(second=0, microsecond=0) + minute
    fires = []
    while instant <= after + span:
        local, before = instant.astimezone(tz), (instant - minute).astimezone(tz)
        wall = local.replace(tzinfo=None)
        repeat = local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()
        fire = wall_matches(fields, wall) and not (names_hours and repeat)
        skipped = before.replace(tzinfo=None) + minute
        while names_hours and skipped < wall:
            fire = fire or wall_matches(fields, skipped)
            skipped += minute
        if fire:
            fires.append(local.isoformat())
        instant += minute
    return fires


@settings(max_examples=80, deadline=None)
@given(
    minute=st.sampled_from(MINUTES),
    hour=st.sampled_from(HOURS),
    weekday=st.sampled_from(WEEKDAYS),
    zone=st.sampled_from(ZONES),
    anchor=st.sampled_from(TRANSITIONS),
    shift_minutes=st.integers(min_value=-4 * 60, max_value=60),
)
@example("*/7", "*", "*", LORD_HOWE, "2026-04-04T15:00:00+00:00", -20)  # croniter's miss
@example("30", "1", "*", NY, "2026-11-01T06:00:00+00:00", -120)  # daily across the fold
@example("*/15", "2", "*", BERLIN, "2026-03-29T01:00:00+00:00", -90)  # a skipped hour
def test_fires_match_a_brute_force_walk_across_transitions(
    minute: str, hour: str, weekday: str, zone: str, anchor: str, shift_minutes: int
) -> None:
    expr = f"{minute} {hour} * * {weekday}"
    tz = ZoneInfo(zone)
    after = at(anchor) + timedelta(minutes=shift_minutes)
    span = timedelta(hours=6)
    assert iso(fires_between(expr, tz, after, after + span)) == reference_fires(
        expr, tz, after, span
    )
