"""Slots: the fire times of the schedule, as timezone-aware UTC datetimes.

Slots depend on the schedule alone, never on when a process started, so every
replica and every restart computes the same ones: cron slots follow the expression
in its time zone, interval slots are whole multiples of the interval since the Unix
epoch.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.schedule.cron import cron_fires_after, describe_cron, normalize_cron

ScheduleKind = Literal["cron", "interval"]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

# A century: intervals much longer overflow datetime arithmetic before they matter.
MAX_INTERVAL_HOURS: Final = 100 * 366 * 24

_MICROSECOND: Final = timedelta(microseconds=1)
_FORWARD_STEPS: Final = 100

# Windows tried in turn when looking back for a cron slot: the last is wider than
# the longest gap a valid expression leaves (29 February on a given weekday, with
# 2100 not a leap year: 40 years).
_LOOKBACK_WINDOWS: Final = (
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=8),
    timedelta(days=32),
    timedelta(days=367),
    timedelta(days=5 * 366),
    timedelta(days=29 * 366),
    timedelta(days=60 * 366),
)


@dataclass(frozen=True)
class Schedule:
    """When runs are due: a crontab(5) expression, or a whole number of hours.

    Raises ValueError (InvalidCronExpression for cron) when the value is unusable.
    """

    kind: ScheduleKind
    value: str | int
    timezone: ZoneInfo = ZoneInfo("UTC")

    def __post_init__(self) -> None:
        if self.kind == "cron":
            _check_expression(self.value)
        elif self.kind == "interval":
            _check_hours(self.value)
        else:
            raise ValueError(f"schedule kind must be cron or interval: {self.kind!r}")

    @classmethod
    def cron(cls, expression: str, timezone: str | ZoneInfo = "UTC") -> Self:
        return cls("cron", expression, to_zone(timezone))

    @classmethod
    def interval(cls, hours: int, timezone: str | ZoneInfo = "UTC") -> Self:
        return cls("interval", hours, to_zone(timezone))

    @classmethod
    def parse(cls, kind: str, value: str, timezone: str) -> Self:
        """Build a schedule from configuration text, e.g. ("interval", "6", "UTC")."""
        normalized_kind = kind.strip().lower()
        if normalized_kind == "interval":
            return cls.interval(_parse_hours(value), timezone)
        if normalized_kind == "cron":
            return cls.cron(value, timezone)
        raise ValueError(f"schedule kind must be cron or interval: {kind!r}")


def to_zone(timezone: str | ZoneInfo) -> ZoneInfo:
    """Return the IANA time zone of that name; ValueError if there is none."""
    if isinstance(timezone, ZoneInfo):
        return timezone
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone: {timezone!r}") from None


def next_slot(schedule: Schedule, after: datetime) -> datetime:
    """The first slot strictly after `after`."""
    return next(_slots_after(schedule, after))


def next_slots(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    """The first `count` slots strictly after `after`, in order."""
    return list(itertools.islice(_slots_after(schedule, after), count))


def previous_slot(schedule: Schedule, at: datetime) -> datetime:
    """The latest slot at or before `at`: the one a catch-up after downtime runs.

    Always the largest slot <= `at` of the forward sequence from any earlier instant.
    """
    _check_aware(at)
    if isinstance(schedule.value, int):
        step = timedelta(hours=schedule.value)
        return EPOCH + (at - EPOCH) // step * step
    return _previous_cron_slot(schedule, at.astimezone(UTC))


def slot_period(schedule: Schedule, after: datetime) -> timedelta:
    """The time between the two slots that follow `after`; the interval itself."""
    if isinstance(schedule.value, int):
        return timedelta(hours=schedule.value)
    first, second = next_slots(schedule, after, 2)
    return second - first


def describe_schedule(schedule: Schedule) -> str:
    """Say in English when the schedule runs, e.g. "every 6 hours"."""
    if isinstance(schedule.value, int):
        hours = schedule.value
        return "every hour" if hours == 1 else f"every {hours} hours"
    return describe_cron(schedule.value, schedule.timezone)


def _slots_after(schedule: Schedule, after: datetime) -> Iterator[datetime]:
    _check_aware(after)
    if isinstance(schedule.value, int):
        step = timedelta(hours=schedule.value)
        first = (after - EPOCH) // step + 1
        return (EPOCH + index * step for index in itertools.count(first))
    return cron_fires_after(schedule.value, after, schedule.timezone)


def _previous_cron_slot(schedule: Schedule, at: datetime) -> datetime:
    """Find a window that holds a slot, then its last slot, stepping only forwards.

    Built from next_slot alone, so both directions agree by construction; cronsim's
    own reverse iteration would bring its DST handling back.
    """
    for window in _LOOKBACK_WINDOWS:
        slot = next_slot(schedule, at - window)
        if slot <= at:
            return _last_slot_up_to(schedule, slot, at)
    raise LookupError(f"no slot of {schedule} in the 60 years before {at}")


def _last_slot_up_to(schedule: Schedule, slot: datetime, end: datetime) -> datetime:
    """The last slot <= `end`, given one: a few steps forward, then bisection."""
    for following in itertools.islice(_slots_after(schedule, slot), _FORWARD_STEPS):
        if following > end:
            return slot
        slot = following

    # Dense slots over a wide window: as next_slot never decreases when its
    # argument grows, find the latest instant whose next slot is still <= end.
    low, high = slot - _MICROSECOND, end
    while high - low > _MICROSECOND:
        middle = low + (high - low) / 2
        if next_slot(schedule, middle) <= end:
            low = middle
        else:
            high = middle
    return next_slot(schedule, low)


def _check_aware(instant: datetime) -> None:
    if instant.utcoffset() is None:
        raise ValueError(f"slots need a timezone-aware datetime, got {instant!r}")


def _check_expression(value: str | int) -> None:
    if not isinstance(value, str):
        raise ValueError(f"a cron schedule needs an expression, got {value!r}")
    normalize_cron(value)


def _check_hours(value: str | int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_hours(value)
    if not 1 <= value <= MAX_INTERVAL_HOURS:
        raise _bad_hours(value)


def _parse_hours(text: str) -> int:
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()):
        raise _bad_hours(text)
    return int(digits)


def _bad_hours(value: object) -> ValueError:
    expected = f"a whole number of hours from 1 to {MAX_INTERVAL_HOURS}"
    return ValueError(f"interval must be {expected}: {value!r}")
