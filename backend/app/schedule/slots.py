"""Slots: the fire times of a schedule, the same in every process and on every restart.

A slot is an aware UTC datetime. Cron slots follow the expression in the
schedule's time zone (cron.py says how DST is handled); interval slots are
whole multiples of the interval since the Unix epoch, so replicas agree on
them with no shared state and their spacing is exact in real time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.schedule.cron import cron_fires_after, normalize_cron

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Windows searched backwards for the latest cron slot; the last one covers any
# expression that fires at all (29 February on a given weekday included).
_LOOKBACK = (
    timedelta(hours=2),
    timedelta(days=2),
    timedelta(days=32),
    timedelta(days=367),
    timedelta(days=366 * 29),
)

ScheduleKind = Literal["cron", "interval"]


@dataclass(frozen=True)
class Schedule:
    """When the overdue run fires: a cron expression or every N hours, in a zone."""

    kind: ScheduleKind
    value: str
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def interval(self) -> timedelta:
        return timedelta(hours=int(self.value))


def next_slot_after(schedule: Schedule, instant: datetime) -> datetime:
    """The first slot strictly after `instant`."""
    if schedule.kind == "interval":
        elapsed = instant.astimezone(UTC) - EPOCH
        return EPOCH + (elapsed // schedule.interval + 1) * schedule.interval
    return next(cron_fires_after(schedule.value, instant, schedule.zone))


def next_slots(schedule: Schedule, instant: datetime, count: int) -> list[datetime]:
    """The next `count` slots strictly after `instant`, in order."""
    slots: list[datetime] = []
    for _ in range(count):
        instant = next_slot_after(schedule, instant)
        slots.append(instant)
    return slots


def latest_slot_at_or_before(schedule: Schedule, instant: datetime) -> datetime | None:
    """The last slot <= `instant`: the slot a process waking at `instant` owes."""
    if schedule.kind == "interval":
        elapsed = instant.astimezone(UTC) - EPOCH
        return EPOCH + (elapsed // schedule.interval) * schedule.interval
    for window in _LOOKBACK:
        found = _last_cron_slot_in(schedule, instant - window, instant)
        if found is not None:
            return found
    return None


def _last_cron_slot_in(
    schedule: Schedule, start: datetime, end: datetime
) -> datetime | None:
    """The last slot in (start, end], walking forward from `start`."""
    fires = cron_fires_after(schedule.value, start, schedule.zone)
    within = itertools.takewhile(lambda fire: fire <= end, fires)
    last = None
    for last in within:  # noqa: B007 (the loop keeps the last one)
        pass
    return last


def period(schedule: Schedule, instant: datetime) -> timedelta:
    """The gap between the two slots after `instant`: how often it fires there."""
    first, second = next_slots(schedule, instant, 2)
    return second - first


def describe_schedule(schedule: Schedule) -> str:
    """Words for the status API, e.g. "every Monday at 08:00 (Europe/Berlin)"."""
    if schedule.kind == "interval":
        hours = int(schedule.value)
        return "every hour" if hours == 1 else f"every {hours} hours"
    return f"{describe_cron(normalize_cron(schedule.value))} ({schedule.timezone})"


_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def describe_cron(expression: str) -> str:
    """Plain words for the common shapes; the expression itself for the rest."""
    minute, hour, day, month, weekday = expression.split()
    if not (minute.isdigit() and hour.isdigit()):
        return _describe_frequent(minute, hour, day, month, weekday, expression)
    at = f"at {int(hour):02d}:{int(minute):02d}"
    if (day, month, weekday) == ("*", "*", "*"):
        return f"every day {at}"
    if (day, month) == ("*", "*") and weekday.isdigit():
        return f"every {_DAYS[int(weekday) % 7]} {at}"
    if (day, month) == ("*", "*") and weekday in ("1-5", "MON-FRI", "mon-fri"):
        return f"every weekday {at}"
    if day.isdigit() and (month, weekday) == ("*", "*"):
        return f"on day {int(day)} of every month {at}"
    return f"cron `{expression}`"


def _describe_frequent(
    minute: str, hour: str, day: str, month: str, weekday: str, expression: str
) -> str:
    if (hour, day, month, weekday) != ("*", "*", "*", "*"):
        return f"cron `{expression}`"
    if minute == "*":
        return "every minute"
    if minute.startswith("*/") and minute[2:].isdigit():
        return f"every {int(minute[2:])} minutes"
    if minute.isdigit():
        return f"every hour at minute {int(minute)}"
    return f"cron `{expression}`"
