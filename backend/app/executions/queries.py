"""Reads of the run history for the API, the status and readiness."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, fetch_page
from app.errors import NotFound
from app.executions.models import JobExecutionLog, RunStatus, RunTrigger

NEWEST_FIRST = (JobExecutionLog.start_time.desc(), JobExecutionLog.id.desc())


@dataclass(frozen=True)
class ExecutionFilters:
    """Runs by status and by the UTC day they started on, both days inclusive."""

    status: RunStatus | None = None
    start_date: date | None = None
    end_date: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        started = JobExecutionLog.start_time
        conditions: list[ColumnElement[bool]] = []
        if self.status is not None:
            conditions.append(JobExecutionLog.status == self.status)
        if self.start_date is not None:
            conditions.append(started >= _midnight_utc(self.start_date))
        if self.end_date is not None and self.end_date < date.max:
            next_day = self.end_date + timedelta(days=1)
            conditions.append(started < _midnight_utc(next_day))
        return conditions


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_executions(
    session: Session, filters: ExecutionFilters, params: PageParams
) -> tuple[int, Sequence[JobExecutionLog]]:
    statement = (
        select(JobExecutionLog).where(*filters.conditions()).order_by(*NEWEST_FIRST)
    )
    return fetch_page(session, statement, params)


def get_execution(session: Session, execution_id: uuid.UUID) -> JobExecutionLog:
    execution = session.get(JobExecutionLog, execution_id)
    if execution is None:
        raise NotFound(
            f"no execution with id {execution_id}",
            field="execution_id",
            value=str(execution_id),
        )
    return execution


def last_execution(session: Session, job_name: str) -> JobExecutionLog | None:
    """The newest run of any kind, finished or not."""
    return _newest(session, select(JobExecutionLog), job_name)


def last_success(session: Session, job_name: str) -> JobExecutionLog | None:
    """The newest completed run that was not a dry run."""
    statement = select(JobExecutionLog).where(
        JobExecutionLog.status == RunStatus.COMPLETED,
        JobExecutionLog.dry_run == false(),
    )
    return _newest(session, statement, job_name)


def last_scheduled(session: Session, job_name: str) -> JobExecutionLog | None:
    """The newest run the scheduler started for a slot, whatever its outcome."""
    statement = select(JobExecutionLog).where(
        JobExecutionLog.trigger == RunTrigger.SCHEDULE
    )
    return _newest(session, statement, job_name)


def _newest(
    session: Session, statement: Select[JobExecutionLog], job_name: str
) -> JobExecutionLog | None:
    statement = statement.where(JobExecutionLog.job_name == job_name)
    return session.scalars(statement.order_by(*NEWEST_FIRST).limit(1)).first()
