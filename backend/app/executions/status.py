"""The scheduler's status, built once for the API and `overdue-scheduler status`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from app.executions.models import OVERDUE_JOB_NAME, JobExecutionLog
from app.executions.queries import last_execution, last_success
from app.executions.schemas import ExecutionSummary, ScheduleOut, SchedulerStatus
from app.schedule.config import schedule_from_settings
from app.schedule.slots import Schedule, describe_schedule, next_slot_after
from app.settings import Settings


class SchedulerLike(Protocol):
    """What the status and readiness need of the scheduler running in this process."""

    schedule: Schedule

    @property
    def is_running(self) -> bool: ...

    def next_run_time(self) -> datetime | None: ...


def build_status(
    session: Session,
    settings: Settings,
    scheduler: SchedulerLike | None,
    now: datetime,
) -> SchedulerStatus:
    """Without a scheduler here, the next run is computed from the schedule itself."""
    schedule = schedule_in_force(settings, scheduler)
    running_here = scheduler is not None and scheduler.is_running
    if scheduler is not None:
        next_run = scheduler.next_run_time() if running_here else None
    else:
        next_run = next_slot_after(schedule, now)
    return SchedulerStatus(
        scheduler_enabled=settings.scheduler_enabled,
        scheduler_running_here=running_here,
        schedule=ScheduleOut(
            type=schedule.kind,
            value=schedule.value,
            timezone=schedule.timezone,
            description=describe_schedule(schedule),
        ),
        config_warnings=settings.config_warnings,
        next_run_time=next_run,
        last_execution=_summary(last_execution(session, OVERDUE_JOB_NAME)),
        last_successful_execution=_summary(last_success(session, OVERDUE_JOB_NAME)),
    )


def schedule_in_force(settings: Settings, scheduler: SchedulerLike | None) -> Schedule:
    """The running scheduler's own schedule, else the one the settings describe."""
    return (
        scheduler.schedule
        if scheduler is not None
        else schedule_from_settings(settings)
    )


def _summary(row: JobExecutionLog | None) -> ExecutionSummary | None:
    return None if row is None else ExecutionSummary.from_row(row)
