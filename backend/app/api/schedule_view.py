"""The schedule as the operations API shows it, through one adapter over app.schedule.

Status, readiness and `overdue-scheduler status` ask this module rather than
the schedule package, so a change of the slot functions is fixed here once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from app.schedule.slots import (
    Schedule,
    describe_schedule,
    next_slot,
    slot_period,
)
from app.settings import Settings


class SchedulerLike(Protocol):
    """What the status and readiness need of the scheduler running in this process."""

    schedule: Schedule

    @property
    def is_running(self) -> bool: ...

    def next_run_time(self) -> datetime | None: ...


def schedule_in_force(settings: Settings, scheduler: SchedulerLike | None) -> Schedule:
    """The running scheduler's own schedule, else the one the settings describe."""
    if scheduler is not None:
        return scheduler.schedule
    return Schedule.parse(
        settings.overdue_invoice_schedule_type,
        settings.overdue_invoice_schedule_value,
        settings.overdue_invoice_timezone,
    )


def slot_after(schedule: Schedule, instant: datetime) -> datetime:
    """The first slot strictly after `instant`, aware UTC."""
    return next_slot(schedule, instant)


def period_after(schedule: Schedule, instant: datetime) -> timedelta:
    """How long until the slot after the next one: the interval, or the cron gap."""
    return slot_period(schedule, instant)


def describe(schedule: Schedule) -> str:
    """Words such as "every Monday at 08:00 (Europe/Berlin)"."""
    return describe_schedule(schedule)


def fields(schedule: Schedule) -> tuple[str, str, str]:
    """(kind, value, time zone name) as the status shows them."""
    return schedule.kind, str(schedule.value), str(schedule.timezone)
