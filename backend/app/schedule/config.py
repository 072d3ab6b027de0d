"""The schedule in force, from the settings (already validated, defaults applied)."""

from __future__ import annotations

from app.schedule.slots import Schedule, ScheduleKind
from app.settings import ScheduleType, Settings


def schedule_from_settings(settings: Settings) -> Schedule:
    interval = settings.overdue_invoice_schedule_type is ScheduleType.INTERVAL
    kind: ScheduleKind = "interval" if interval else "cron"
    return Schedule(
        kind=kind,
        value=settings.overdue_invoice_schedule_value,
        timezone=settings.overdue_invoice_timezone,
    )
