"""Where the cron rule lives: what a crontab(5) expression means, and when it fires.

Parsing and iteration come from cronsim, which follows Debian cron: 0 and 7 are
Sunday, names are case-insensitive, and day-of-month and day-of-week are ORed when
both are restricted (neither starts with `*`). On top of it this module translates
the @-aliases, refuses what crontab(5) does not define, and refuses expressions that
never fire.

Accepted beyond the letter of crontab(5), because their meaning is plain: ranges and
steps of names (`MON-FRI`, `JAN-JUN/2`) and a start with a step (`5/15` is
`5-59/15`). Refused: the seconds field (six fields), cronsim's `L`, `LW` and `#`,
Quartz's `?`, and `@reboot`, which is not a schedule.
"""

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

# One crontab(5) field: a list of `*`, a number or a 3-letter name, or a range of
# those, each with an optional step. Names are checked against their field by cronsim.
_VALUE = r"(?:\d+|[A-Za-z]{3})"
_ITEM = rf"(?:\*|{_VALUE}(?:-{_VALUE})?)(?:/\d+)?"
_FIELD: Final = re.compile(rf"{_ITEM}(?:,{_ITEM})*")

# Any valid expression fires within this many years of any start (29 February on a
# given weekday can be 40 years apart); cronsim itself gives up after 50.
_SEARCH_START: Final = datetime(2000, 1, 1, tzinfo=UTC)

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
        raise InvalidCronExpression(expression, _reason(error)) from None
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


def _reason(error: CronSimError) -> str:
    """Say why cronsim refused an expression that passed the syntax check."""
    message = str(error)
    if message == "Bad day-of-month":
        # cronsim's only semantic check: the day does not exist in those months.
        return "never fires (bad or nonexistent day-of-month)"
    return f"is invalid ({message.lower()})"


def cron_fires_after(
    expression: str, start: datetime, zone: ZoneInfo
) -> Iterator[datetime]:
    """Yield the fire times strictly after `start` as increasing aware UTC datetimes.

    Raises InvalidCronExpression for an invalid expression.
    """
    fields = normalize_cron(expression)
    start_utc = start.astimezone(UTC)
    if is_fixed_time(fields):
        return _wall_clock_fires(fields, start_utc, zone)
    return _real_time_fires(fields, start_utc, zone)


def is_fixed_time(fields: str) -> bool:
    """Debian cron's test: neither the minute nor the hour field starts with `*`."""
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
            change = _offset_change(zone, checked, fire, offset)
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
    change = _offset_change(zone, before, instant, _offset_at(before, zone))
    assert change is not None, "a local time in a gap lies across a change"
    return change


def _offset_change(
    zone: ZoneInfo, start: datetime, end: datetime, offset: timedelta
) -> datetime | None:
    """The first instant in (start, end] whose offset is not `offset`, if any.

    Probes day by day: tzdata has no two changes within a day that restore the offset.
    """
    probe = start
    while probe < end:
        following = min(probe + _DAY, end)
        if _offset_at(following, zone) != offset:
            return _bisect_change(zone, probe, following)
        probe = following
    return None


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
