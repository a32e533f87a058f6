"""Pure cron math for schedules: validation, words, next fires and misfire counting.

Nothing here reads a clock or touches I/O: every instant is passed in, so the scheduler and the
tests can drive time. Fires are computed by croniter (started from a tz-aware datetime in the
schedule's zone, as its README asks) and then held to agentdash's rules:

- **Strictly after, strictly increasing.** Every fire is later than ``after`` and than the fire
  before it, compared as instants (UTC), never as wall times.
- **Autumn fold, one fire per named wall time.** croniter 7 yields ``30 1 * * *`` twice on
  2026-11-01 in New York (01:30-04:00 and 01:30-05:00). When the hour field does not cover every
  hour, the expression names wall-clock times, so the second pass of an ambiguous wall time
  (``fold=1``) is dropped and the first one kept. This is a rule about the instant alone, so it
  gives the same answer whatever ``after`` is (a restart inside the fold cannot fire again).
  When the hour field covers every hour (``*``, ``*/1``, ``0-23``) the schedule is periodic in
  elapsed time, and both 01:00s of a fall-back night are distinct slots: both fire. This follows
  classic cron, which runs "wildcard" jobs again in the repeated hour but never fixed-time ones.
- **Spring gap, run late once.** A wall time the clock skips (``30 2 * * *`` on 2026-03-08 in
  New York) fires once, at the first instant after the gap (03:00 EDT), which is what croniter 7
  does. Several skipped times collapse into that one fire. An every-hour expression simply has
  no slot in the missing hour, since the elapsed time to the next slot is unchanged.
- **Lord Howe fix.** croniter 7 loses the repeated wall times of a fold shorter than its search
  step: ``*/7 * * * *`` on 2026-04-05 in Australia/Lord_Howe (02:00 +11:00 back to 01:30
  +10:30) jumps from 01:56 +11:00 straight to 02:00 +10:30 and skips 01:35..01:56 +10:30
  (pallets-eco/croniter PR #266 is still open). :func:`_repeated_fires` restores them.

Caution for callers: two aware datetimes with the *same* ``ZoneInfo`` compare and subtract by
wall time, ignoring ``fold``: 01:00-04:00 == 01:00-05:00 is True. Compare or subtract fires
after ``.astimezone(UTC)`` (as this module does), and key them by UTC.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice, takewhile
from typing import NamedTuple
from zoneinfo import ZoneInfo

from cron_descriptor import get_description
from croniter import CroniterBadDateError, CroniterError, croniter

from agentdash.errors import AgentdashError

MAX_YEARS_BETWEEN_MATCHES = 5
"""validate() rejects an expression that can go longer than this without firing."""

SEARCH_YEARS = 10
"""How far ahead one search may look. Wider than the validation limit because Feb 29 skips
2100, a validated ``0 0 29 2 *`` goes 8 years from 2096 to 2104."""

MAX_COUNTED_FIRES = 100_000
"""count_and_latest_between() stops counting here (about 3 s of croniter work)."""

FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_FIELD_RANGES = ("0-59", "0-23", "1-31", "1-12 or JAN-DEC", "0-7 or SUN-SAT")
_HOUR = 1

_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
"""croniter's own aliases (without hash ids), so an alias means exactly what croniter does."""

_FIELD_RE = re.compile(r"\S+", re.ASCII)  # croniter splits fields the same way
_HASHED_RE = re.compile(r"^[hr](\(\d+-\d+\))?(/\d+)?$", re.ASCII | re.IGNORECASE)
_DENSITY_ANCHORS = range(2001, 2029)
"""One Jan 1 per year of a full 28-year calendar cycle (weekday and leap-year patterns repeat
every 28 years between 1901 and 2099), so every long gap contains one of them."""


class CronError(AgentdashError, ValueError):
    """A cron expression agentdash cannot use; the message is meant for a person."""


class _Parsed(NamedTuple):
    text: str
    every_hour: bool


def validate(expr: str) -> None:
    """Raise CronError unless ``expr`` is a 5-field expression that fires at least every 5 years.

    Checked when a schedule is saved, so a typo surfaces in the form and not as a silent
    schedule that never runs (or runs every 28 years).
    """
    parsed = _parse(expr)
    _check_possible(expr, parsed.text)
    _check_density(expr, parsed.text)


def describe(expr: str) -> str:
    """Say ``expr`` in words ("At 09:00 AM"); never raises, falls back to ``expr`` itself."""
    try:
        return str(get_description(_parse(expr).text))
    except Exception:
        return expr


def next_fires(expr: str, tz: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    """The first ``count`` fires strictly after ``after``, ascending, as datetimes in ``tz``.

    Fewer come back only if the expression stops firing within SEARCH_YEARS.
    """
    return list(islice(_fires(expr, tz, after), max(count, 0)))


def next_fire(expr: str, tz: ZoneInfo, after: datetime) -> datetime:
    """The first fire strictly after ``after``; CronError if none comes within SEARCH_YEARS."""
    for fire in _fires(expr, tz, after):
        return fire
    raise CronError(f"'{expr}' does not fire within {SEARCH_YEARS} years after {after}")


def fires_between(
    expr: str, tz: ZoneInfo, start: datetime, end: datetime, limit: int | None = None
) -> list[datetime]:
    """Fires with ``start < t <= end``, ascending, at most the first ``limit`` of them.

    The half-open window lets catch-up resume from the last fire it handled without
    repeating it.
    """
    return list(islice(_fires_until(expr, tz, start, end), limit))


def count_and_latest_between(
    expr: str, tz: ZoneInfo, start: datetime, end: datetime
) -> tuple[int, datetime | None]:
    """How many fires fall in ``(start, end]``, and the newest of them (None if there are none).

    For misfire handling after downtime: ``latest`` coalescing runs the newest fire and records
    the others as missed. The count stops at MAX_COUNTED_FIRES to bound the work; the newest
    fire is still exact then, found by searching back from ``end``.
    """
    count, latest = 0, None
    for fire in _fires_until(expr, tz, start, end):
        if count == MAX_COUNTED_FIRES:
            return count, _latest_fire(expr, tz, start, end)
        count, latest = count + 1, fire
    return count, latest


# --- validation --------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _parse(expr: str) -> _Parsed:
    """Resolve an alias and check the syntax field by field, so an error names the field."""
    fields = _FIELD_RE.findall(_resolve_alias(expr))
    if len(fields) != len(FIELD_NAMES):
        raise CronError(_field_count_message(expr, len(fields)))
    for index, field in enumerate(fields):
        _check_field(expr, index, field)
    text = " ".join(fields)
    try:
        expanded, _nth = croniter.expand(text)
    except CroniterError as exc:
        raise CronError(f"'{expr}' is not a valid cron expression ({exc})") from exc
    return _Parsed(text, expanded[_HOUR] == ["*"])


def _resolve_alias(expr: str) -> str:
    """Turn ``@daily`` and friends into five fields; refuse the aliases that are not times."""
    stripped = expr.strip()
    if not stripped.startswith("@"):
        return stripped
    lowered = stripped.lower()
    if lowered == "@reboot":
        raise CronError("'@reboot' is not supported: schedules fire on the clock, not at start-up")
    if lowered not in _ALIASES:
        known = ", ".join(_ALIASES)
        raise CronError(f"'{expr}' is not a known alias (use one of {known})")
    return _ALIASES[lowered]


def _field_count_message(expr: str, found: int) -> str:
    """Explain the 5-field rule, with a hint for the common 6-field (seconds) mistake."""
    message = (
        f"'{expr}' has {found} field{'s' if found != 1 else ''}; a schedule needs exactly 5: "
        "minute hour day-of-month month day-of-week"
    )
    if found in (6, 7):
        message += " (seconds and years are not supported)"
    return message


def _check_field(expr: str, index: int, field: str) -> None:
    """Check one field alone (the others as ``*``) so the message can name it."""
    if _HASHED_RE.match(field):
        raise CronError(
            f"'{expr}': {FIELD_NAMES[index]} field '{field}' uses H/R (hashed or random), "
            "which agentdash does not support: fire times must be the same on every run"
        )
    probe = ["*"] * len(FIELD_NAMES)
    probe[index] = field
    if not croniter.is_valid(" ".join(probe)):
        raise CronError(
            f"'{expr}': {FIELD_NAMES[index]} field '{field}' is not valid "
            f"(allowed: {_FIELD_RANGES[index]}, with , - / and *)"
        )


def _check_possible(expr: str, text: str) -> None:
    """Reject a day that no listed month has (``0 0 31 2 *``), using croniter's strict mode.

    Strict mode looks at day-of-month and month only, so ``0 0 30 2 1`` is refused too even
    though OR semantics would fire it on February Mondays: the day is surely a mistake, and
    the message says how to ask for the weekdays alone.
    """
    if croniter.is_valid(text, strict=True):
        return
    expanded, _nth = croniter.expand(text)
    days = ", ".join(str(day) for day in expanded[2] if isinstance(day, int))
    months = ", ".join(calendar.month_abbr[m] for m in expanded[3] if isinstance(m, int))
    single = "," not in days and "," not in months
    what = f"{months} {days}" if single else f"day {days} never occurs in {months}"
    hint = ""
    if expanded[4] != ["*"]:
        hint = "; use '*' as day-of-month to fire on the weekdays alone"
    raise CronError(f"'{expr}' never fires ({what}){hint}")


def _check_density(expr: str, text: str) -> None:
    """Reject expressions that can go more than MAX_YEARS_BETWEEN_MATCHES without a fire.

    Croniter's ``max_years_between_matches`` bounds one search; starting one search from
    every Jan 1 of a 28-year cycle makes it a property of the expression instead of the date.
    Calendar sparsity does not depend on the time zone, so naive datetimes are enough here.
    """
    for year in _DENSITY_ANCHORS:
        search = croniter(
            text, datetime(year, 1, 1), max_years_between_matches=MAX_YEARS_BETWEEN_MATCHES
        )
        try:
            search.get_next(datetime)
        except CroniterBadDateError:
            raise CronError(
                f"'{expr}' fires too rarely: it can go more than "
                f"{MAX_YEARS_BETWEEN_MATCHES} years without firing "
                f"(none from {year}-01-01 to {year + MAX_YEARS_BETWEEN_MATCHES}-12-31)"
            ) from None


# --- fire computation --------------------------------------------------------------------


def _fires(expr: str, tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """All fires strictly after ``after`` under the module's DST rules, lazily.

    Not a generator itself, so a bad expression or a naive ``after`` raises at the call.
    """
    parsed = _parse(expr)
    start = _in_zone(_require_aware(after, "after"), tz)
    return _ruled(parsed, tz, start)


def _ruled(parsed: _Parsed, tz: ZoneInfo, start: datetime) -> Iterator[datetime]:
    """Apply the fold rule and the strictly-increasing rule to croniter's sequence."""
    last = start.astimezone(UTC)
    for fire in _croniter_fires(parsed, start, tz):
        fire_utc = fire.astimezone(UTC)
        if fire_utc <= last or (not parsed.every_hour and _is_repeat(fire)):
            continue
        last = fire_utc
        yield fire


def _fires_until(expr: str, tz: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """Fires in ``(start, end]``, compared as instants."""
    end_utc = _require_aware(end, "end").astimezone(UTC)
    return takewhile(lambda fire: fire.astimezone(UTC) <= end_utc, _fires(expr, tz, start))


def _croniter_fires(parsed: _Parsed, start: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    """croniter's raw sequence, normalised into the zone, plus fold repeats it skipped."""
    search = croniter(
        parsed.text,
        start,
        ret_type=datetime,
        max_years_between_matches=SEARCH_YEARS,
        expand_from_start_time=False,
    )
    previous = start
    while True:
        try:
            fire = _in_zone(search.get_next(datetime), tz)
        except CroniterBadDateError:
            return
        if parsed.every_hour:
            yield from _repeated_fires(parsed.text, tz, previous, fire)
        yield fire
        previous = fire


def _repeated_fires(
    text: str, tz: ZoneInfo, previous: datetime, fire: datetime
) -> Iterator[datetime]:
    """Second-pass (``fold=1``) matches strictly between two croniter fires (Lord Howe fix).

    Only needed when the UTC offset fell between them. The repeated wall times lie within
    ``drop`` of wall clock before ``previous`` or after it, so a naive search (pure calendar
    math) from ``previous - drop`` sees all of them; each candidate is kept only if it is a
    real second pass that lies between the two instants.
    """
    drop = _offset(previous) - _offset(fire)
    if drop <= timedelta(0):
        return
    low, high = previous.astimezone(UTC), fire.astimezone(UTC)
    for wall in _naive_matches(text, _wall(previous) - drop, _wall(fire)):
        candidate = wall.replace(tzinfo=tz, fold=1)
        if _is_repeat(candidate) and low < candidate.astimezone(UTC) < high:
            yield _in_zone(candidate, tz)


def _naive_matches(text: str, after: datetime, before: datetime) -> Iterator[datetime]:
    """Wall times matching ``text`` in ``(after, before)``: calendar math, no zone."""
    search = croniter(text, after, ret_type=datetime, max_years_between_matches=SEARCH_YEARS)
    try:
        while (wall := search.get_next(datetime)) < before:
            yield wall
    except CroniterBadDateError:
        return


def _latest_fire(expr: str, tz: ZoneInfo, start: datetime, end: datetime) -> datetime | None:
    """The newest fire in ``(start, end]``, searching back from ``end`` in doubling windows."""
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    window = timedelta(hours=1)
    while True:
        low = max(start_utc, end_utc - window)
        latest = None
        for fire in _fires_until(expr, tz, low, end_utc):
            latest = fire
        if latest is not None or low == start_utc:
            return latest
        window *= 2


# --- small datetime helpers --------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> datetime:
    """Refuse naive datetimes: a naive instant is ambiguous and would be read as UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value


def _in_zone(value: datetime, tz: ZoneInfo) -> datetime:
    """Convert through UTC so ``fold`` is canonical (astimezone to the same zone is a no-op)."""
    return value.astimezone(UTC).astimezone(tz)


def _is_repeat(value: datetime) -> bool:
    """True for the second pass of an ambiguous wall time (the later of the two instants)."""
    return value.fold == 1 and value.replace(fold=0).utcoffset() != value.utcoffset()


def _offset(value: datetime) -> timedelta:
    """The UTC offset of an aware datetime (mypy: utcoffset() is Optional)."""
    offset = value.utcoffset()
    assert offset is not None
    return offset


def _wall(value: datetime) -> datetime:
    """The naive local wall time, the form croniter's calendar math works on."""
    return value.replace(tzinfo=None, fold=0)
