"""The schedule in force, from the settings (already validated, defaults applied)."""

from __future__ import annotations

from app.schedule.slots import Schedule
from app.settings import Settings


def schedule_from_settings(settings: Settings) -> Schedule:
    return Schedule.parse(
        settings.overdue_invoice_schedule_type.value,
        settings.overdue_invoice_schedule_value,
        settings.overdue_invoice_timezone,
    )
