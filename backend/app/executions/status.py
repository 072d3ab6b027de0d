"""The scheduler's status, built once for the API and `overdue-scheduler status`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.api import schedule_view
from app.api.schedule_view import SchedulerLike
from app.executions.models import OVERDUE_JOB_NAME, JobExecutionLog
from app.executions.queries import last_execution, last_success
from app.executions.schemas import ExecutionSummary, ScheduleOut, SchedulerStatus
from app.schedule.slots import Schedule
from app.settings import Settings


def build_status(
    session: Session,
    settings: Settings,
    scheduler: SchedulerLike | None,
    now: datetime,
) -> SchedulerStatus:
    """Without a scheduler here, the next run is computed from the schedule itself."""
    schedule = schedule_view.schedule_in_force(settings, scheduler)
    running_here = scheduler is not None and scheduler.is_running
    if scheduler is not None:
        next_run = scheduler.next_run_time() if running_here else None
    else:
        next_run = schedule_view.slot_after(schedule, now)
    return SchedulerStatus(
        scheduler_enabled=settings.scheduler_enabled,
        scheduler_running_here=running_here,
        schedule=_schedule_out(schedule),
        config_warnings=settings.config_warnings,
        next_run_time=next_run,
        last_execution=_summary(last_execution(session, OVERDUE_JOB_NAME)),
        last_successful_execution=_summary(last_success(session, OVERDUE_JOB_NAME)),
    )


def _schedule_out(schedule: Schedule) -> ScheduleOut:
    kind, value, timezone = schedule_view.fields(schedule)
    description = schedule_view.describe(schedule)
    return ScheduleOut(
        type=kind, value=value, timezone=timezone, description=description
    )


def _summary(row: JobExecutionLog | None) -> ExecutionSummary | None:
    return None if row is None else ExecutionSummary.from_row(row)
