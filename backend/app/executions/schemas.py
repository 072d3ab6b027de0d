"""Response and request bodies of the scheduler endpoints and `status --json`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.executions.models import JobExecutionLog, RunStatus, RunTrigger
from app.overdue.run import MAX_REPORTED_PLANS, RunReport


class ErrorOut(BaseModel):
    """The body of every error answer (app/api/errors.py renders it)."""

    error: str = Field(description="a stable code, e.g. not_found")
    detail: str
    field: str | None = None
    value: Any = None


class ExecutionSummary(BaseModel):
    id: uuid.UUID
    job_name: str
    status: RunStatus
    trigger: RunTrigger
    dry_run: bool
    slot: datetime | None = Field(description="the scheduled time this run serves")
    attempt: int
    start_time: datetime
    end_time: datetime | None
    duration_seconds: float | None = Field(description="null while running")
    invoices_processed: int
    notifications_created: int
    error_count: int
    has_errors: bool

    @classmethod
    def from_row(cls, row: JobExecutionLog) -> ExecutionSummary:
        return cls.model_validate(_row_fields(row))


class ExecutionDetail(ExecutionSummary):
    heartbeat_at: datetime | None
    error_details: str | None = Field(
        description="each failed invoice and why, or why the run failed"
    )

    @classmethod
    def from_row(cls, row: JobExecutionLog) -> ExecutionDetail:
        fields = _row_fields(row)
        fields.update(heartbeat_at=row.heartbeat_at, error_details=row.error_details)
        return cls.model_validate(fields)


def _row_fields(row: JobExecutionLog) -> dict[str, object]:
    duration = None
    if row.end_time is not None:
        duration = (row.end_time - row.start_time).total_seconds()
    columns = JobExecutionLog.__table__.columns.keys()
    fields: dict[str, object] = {name: getattr(row, name) for name in columns}
    fields.update(duration_seconds=duration, has_errors=bool(row.error_count))
    return fields


class ExecutionPage(BaseModel):
    total: int
    page: int
    per_page: int
    total_pages: int
    executions: list[ExecutionSummary] = Field(description="newest first")


class ScheduleOut(BaseModel):
    type: str = Field(description="cron or interval")
    value: str = Field(description="a crontab(5) expression or a number of hours")
    timezone: str
    description: str = Field(examples=["every Monday at 08:00 Europe/Berlin"])


class SchedulerStatus(BaseModel):
    scheduler_enabled: bool = Field(description="SCHEDULER_ENABLED")
    scheduler_running_here: bool = Field(
        description="a scheduler runs in the process that answered"
    )
    schedule: ScheduleOut = Field(description="the schedule in force")
    config_warnings: list[str] = Field(
        description="invalid settings, each replaced by its default"
    )
    next_run_time: datetime | None
    last_execution: ExecutionSummary | None
    last_successful_execution: ExecutionSummary | None = Field(
        description="the newest completed run that was not a dry run"
    )


class RunRequest(BaseModel):
    dry_run: bool = Field(
        default=False, description="report what would be notified; write nothing"
    )


class RunAccepted(BaseModel):
    id: uuid.UUID
    status: RunStatus
    dry_run: bool
    execution_url: str = Field(description="poll it to follow the run")


class PlannedNotificationOut(BaseModel):
    invoice_id: int
    invoice_number: str
    business_id: int
    stage: int
    days_overdue: int
    title: str


class DryRunResult(BaseModel):
    id: uuid.UUID
    status: RunStatus
    dry_run: bool = True
    invoices_processed: int
    would_notify: int = Field(description="notifications a real run would create")
    planned: list[PlannedNotificationOut] = Field(
        description=f"what would be notified (the first {MAX_REPORTED_PLANS})"
    )
    error_count: int
    error_details: str | None

    @classmethod
    def from_report(cls, report: RunReport) -> DryRunResult:
        return cls(
            id=report.run_id,
            status=report.status,
            invoices_processed=report.invoices_processed,
            would_notify=report.would_create,
            planned=[
                PlannedNotificationOut.model_validate(plan, from_attributes=True)
                for plan in report.planned
            ],
            error_count=report.errors.count,
            error_details=report.errors.render(),
        )
