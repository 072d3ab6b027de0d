"""Where the cron rule lives: what a crontab(5) expression means, and when it fires.

cronsim parses and matches on the calendar, as Debian cron does: 0 and 7 are
Sunday, names are case-insensitive, and day-of-month and day-of-week are ORed when
both are restricted (neither starts with `*`). This module adds the @-aliases,
refuses what crontab(5) does not define and expressions that never fire, and maps
local times to instants itself: cronsim's own DST handling skips fires under
half-hour DST shifts and loops forever at St John's 00:01 changes.

Accepted beyond the letter of crontab(5), because their meaning is plain: ranges and
steps of names (`MON-FRI`, `JAN-JUN/2`) and a start with a step (`5/15` is
`5-59/15`). Refused: the seconds field (six fields), cronsim's `L`, `LW` and `#`,
Quartz's `?`, and `@reboot`, which is not a schedule.
"""

import itertools
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

ALIASES: Final = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

FIELD_NAMES: Final = ("minute", "hour", "day-of-month", "month", "day-of-week")

WEEKDAY_NAMES: Final = (
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
)
MONTH_NAMES: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# One crontab(5) field: a list of `*`, a number or a 3-letter name, or a range of
# those, each with an optional step. Names are checked against their field by cronsim.
_VALUE = r"(?:[0-9]+|[A-Za-z]{3})"
_ITEM = rf"(?:\*|{_VALUE}(?:-{_VALUE})?)(?:/[0-9]+)?"
_FIELD: Final = re.compile(rf"{_ITEM}(?:,{_ITEM})*")

# Where the never-fires check starts looking; cronsim gives up after 50 years, and
# the rarest valid expression (29 February on a given weekday) fires within 28.
_SEARCH_START: Final = datetime(2000, 1, 1, tzinfo=UTC)

_WEEKDAY_ABBREVIATIONS: Final = tuple(name[:3].upper() for name in WEEKDAY_NAMES)
_MONTH_ABBREVIATIONS: Final = tuple(name[:3].upper() for name in MONTH_NAMES)

_DAY: Final = timedelta(days=1)
_MICROSECOND: Final = timedelta(microseconds=1)


class InvalidCronExpression(ValueError):
    """A schedule value that is not a crontab(5) expression that ever fires."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"cron expression {expression!r} {reason}")
        self.expression = expression
        self.reason = reason


@lru_cache(maxsize=256)
def normalize_cron(expression: str) -> str:
    """Return the 5-field form of a valid expression (aliases expanded, one space).

    Raises InvalidCronExpression naming the expression and what is wrong with it.
    """
    alias = expression.strip().lower()
    if alias.startswith("@") and alias not in ALIASES:
        raise InvalidCronExpression(expression, "is not a supported @alias")

    fields = ALIASES.get(alias, expression).split()
    _check_syntax(expression, fields)
    normalized = " ".join(fields)
    try:
        next(CronSim(normalized, _SEARCH_START))
    except CronSimError as error:
        raise InvalidCronExpression(expression, _reason(fields, error)) from None
    except StopIteration:
        raise InvalidCronExpression(expression, "never fires") from None
    return normalized


def _check_syntax(expression: str, fields: list[str]) -> None:
    """Refuse anything but five fields of crontab(5) syntax."""
    if len(fields) != len(FIELD_NAMES):
        reason = f"has {len(fields)} fields, expected 5 (or an @alias)"
        raise InvalidCronExpression(expression, reason)

    for name, field in zip(FIELD_NAMES, fields, strict=True):
        if not _FIELD.fullmatch(field):
            raise InvalidCronExpression(expression, f"has a bad {name} field {field!r}")


def _reason(fields: list[str], error: CronSimError) -> str:
    """Say why cronsim refused an expression that passed the syntax check."""
    any_month = " ".join([*fields[:3], "*", fields[4]])
    if str(error) == "Bad day-of-month" and _parses(any_month):
        # cronsim's one check of meaning: no month it allows has that many days.
        return "never fires (no such day in those months)"
    return f"is invalid ({str(error).lower()})"


def _parses(fields: str) -> bool:
    try:
        CronSim(fields, _SEARCH_START)
    except CronSimError:
        return False
    return True


def cron_fires_after(
    expression: str, start: datetime, zone: ZoneInfo
) -> Iterator[datetime]:
    """Yield the fire times strictly after `start` as increasing aware UTC datetimes.

    Fixed times (Debian's rule: neither minute nor hour starts with `*`) follow the
    wall clock, other expressions real time; see the two helpers for DST.
    """
    if start.utcoffset() is None:
        raise ValueError(f"fire times need a timezone-aware start, got {start!r}")
    fields = normalize_cron(expression)
    start_utc = start.astimezone(UTC)
    if _is_fixed_time(fields):
        return _wall_clock_fires(fields, start_utc, zone)
    return _real_time_fires(fields, start_utc, zone)


def _is_fixed_time(fields: str) -> bool:
    minute, hour = fields.split()[:2]
    return not minute.startswith("*") and not hour.startswith("*")


def _wall_clock_fires(
    fields: str, start: datetime, zone: ZoneInfo
) -> Iterator[datetime]:
    """Fixed times follow the wall clock, each local time firing once.

    A time in a DST gap fires at the first instant after the gap; a time that occurs
    twice fires at its first occurrence only.
    """
    latest = start
    for wall in CronSim(fields, _wall_time(start, zone)):
        fire = _first_instant_at_or_after(wall, zone)

        # From inside a repeated hour the wall clock also finds times whose first
        # occurrence is already past; all times in a gap share one instant.
        if fire > latest:
            latest = fire
            yield fire


def _real_time_fires(
    fields: str, start: datetime, zone: ZoneInfo
) -> Iterator[datetime]:
    """Minute or hour wildcards follow real time: fire whenever the local clock matches.

    Local times skipped by a DST gap do not fire; those that occur twice fire twice.
    """
    after = checked = start
    while True:
        offset = _offset_at(checked, zone)
        for wall in CronSim(fields, (after + offset).replace(tzinfo=None)):
            fire = (wall - offset).replace(tzinfo=UTC)
            change = _offset_change(zone, checked, fire)
            if change is not None:
                # Search again from the change, with the offset that starts there.
                after, checked = change - _MICROSECOND, change
                break

            yield fire
            checked = fire
        else:
            return


def _wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local time shown by a clock in `zone` at `instant`."""
    return instant.astimezone(zone).replace(tzinfo=None)


def _offset_at(instant: datetime, zone: ZoneInfo) -> timedelta:
    """The UTC offset in force in `zone` at `instant`."""
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None, "a ZoneInfo always knows its offset"
    return offset


def _first_instant_at_or_after(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant whose local time in `zone` is `wall` or later."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_time(instant, zone) == wall:
        return instant

    # `wall` falls in a gap: fold=1 reads it with the offset after the change,
    # which lands before the change; fold=0 lands after it.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    change = _offset_change(zone, before, instant)
    assert change is not None, "a local time in a gap lies across a change"
    return change


def _offset_change(zone: ZoneInfo, start: datetime, end: datetime) -> datetime | None:
    """The first instant in (start, end] at which `zone` changes its UTC offset."""
    for year in range(start.astimezone(UTC).year, end.astimezone(UTC).year + 1):
        for change in _offset_changes(zone, year):
            if start < change <= end:
                return change
    return None


@lru_cache(maxsize=4096)
def _offset_changes(zone: ZoneInfo, year: int) -> tuple[datetime, ...]:
    """The instants in (1 January, next 1 January] UTC when `zone` changes offset.

    Probes day by day: tzdata has no two changes within a day that restore the offset.
    """
    days = [datetime(year, 1, 1, tzinfo=UTC)]
    while days[-1].year == year:
        days.append(days[-1] + _DAY)
    return tuple(
        _bisect_change(zone, day, following)
        for day, following in itertools.pairwise(days)
        if _offset_at(day, zone) != _offset_at(following, zone)
    )


def _bisect_change(zone: ZoneInfo, start: datetime, end: datetime) -> datetime:
    """The whole second in (start, end] where the offset of `start` stops applying."""
    start = start.replace(microsecond=0)
    offset = _offset_at(start, zone)
    low, high = 0, math.ceil((end - start).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(start + timedelta(seconds=middle), zone) == offset:
            low = middle
        else:
            high = middle
    return start + timedelta(seconds=high)


def describe_cron(expression: str, zone: ZoneInfo) -> str:
    """Say in English when a valid expression fires, e.g. "every Monday at 08:00 (UTC)".

    Only common shapes are put in words; others read "cron `<expression>` (<zone>)".
    """
    minute, hour, day, month, weekday = normalize_cron(expression).split()
    if hour == day == month == weekday == "*":
        return _describe_minutes(minute, zone) or _describe_raw(expression, zone)

    days = _describe_days(day, month, weekday)
    if days and minute.isdigit() and hour.isdigit():
        return f"{days} at {int(hour):02d}:{int(minute):02d} ({zone.key})"
    return _describe_raw(expression, zone)


def _describe_raw(expression: str, zone: ZoneInfo) -> str:
    return f"cron `{' '.join(expression.split())}` ({zone.key})"


def _describe_minutes(minute: str, zone: ZoneInfo) -> str | None:
    """Describe an expression that fires every hour of every day, if simple."""
    if minute.isdigit():
        return f"every hour at minute {int(minute)} ({zone.key})"

    every = re.fullmatch(r"\*(?:/([0-9]+))?", minute)
    step = int(every.group(1) or 1) if every else 0

    # Only a step that divides the hour keeps the gaps equal across the hour.
    if step and 60 % step == 0:
        return "every minute" if step == 1 else f"every {step} minutes"
    return None


def _describe_days(day: str, month: str, weekday: str) -> str | None:
    """Describe the days an expression fires on, if simple."""
    if month == "*" and day == "*":
        return _describe_weekdays(weekday)
    if weekday != "*" or not day.isdigit():
        return None
    if month == "*":
        return f"on day {int(day)} of every month"
    if month.isdigit() or month.upper() in _MONTH_ABBREVIATIONS:
        return f"every year on {int(day)} {MONTH_NAMES[_month_index(month)]}"
    return None


def _describe_weekdays(weekday: str) -> str | None:
    """Describe `*`, one weekday, or one range of weekdays such as `MON-FRI`."""
    if weekday == "*":
        return "every day"

    first, _, last = weekday.partition("-")
    if not all(_is_single_weekday(part) for part in (first, last or first)):
        return None
    if not last:
        return f"every {WEEKDAY_NAMES[_weekday_index(first)]}"
    names = (WEEKDAY_NAMES[_weekday_index(part)] for part in (first, last))
    return "every {} to {}".format(*names)


def _is_single_weekday(value: str) -> bool:
    return value.isdigit() or value.upper() in _WEEKDAY_ABBREVIATIONS


def _weekday_index(value: str) -> int:
    """0 for Sunday; a number of a weekday that passed validation (7 is Sunday too)."""
    if value.isdigit():
        return int(value) % 7
    return _WEEKDAY_ABBREVIATIONS.index(value.upper())


def _month_index(value: str) -> int:
    """0 for January, from a month number or name that passed validation."""
    if value.isdigit():
        return int(value) - 1
    return _MONTH_ABBREVIATIONS.index(value.upper())
