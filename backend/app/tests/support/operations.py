"""Helpers for tests of the operations API: apps with chosen settings, run rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.app import create_app
from app.api.clock import get_clock
from app.executions.models import (
    OVERDUE_JOB_NAME,
    JobExecutionLog,
    RunStatus,
    RunTrigger,
)
from app.schedule.slots import Schedule
from app.settings import Settings
from app.tests.support.clock import FakeClock

TOKEN = "operations-test-token-0123456789"


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Test settings: one known token, no scheduler unless a test adds a fake one."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "api_tokens": TOKEN,
        "scheduler_enabled": False,
        "environment": "test",
    }
    return Settings(_env_file=None, **(values | overrides))


@dataclass
class FakeScheduler:
    """Stands in for the scheduler service: only what status and readiness read."""

    is_running: bool = True
    next_run: datetime | None = None
    schedule: Schedule = Schedule.cron("0 0 * * *")

    def next_run_time(self) -> datetime | None:
        return self.next_run


@contextmanager
def client_for(
    settings: Settings,
    *,
    clock: FakeClock | None = None,
    scheduler: FakeScheduler | None = None,
) -> Iterator[TestClient]:
    """A started app on `settings`, reading `clock`, with `scheduler` in its state."""

    @contextmanager
    def fake_scheduler_part(app: FastAPI) -> Iterator[None]:
        app.state.scheduler = scheduler
        yield

    app = create_app(settings, parts=(fake_scheduler_part,))
    if clock is not None:
        app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield client


def make_run(
    session: Session,
    *,
    start_time: datetime,
    duration: timedelta | None = timedelta(seconds=30),
    status: RunStatus = RunStatus.COMPLETED,
    trigger: RunTrigger = RunTrigger.SCHEDULE,
    slot: datetime | None = None,
    dry_run: bool = False,
    invoices_processed: int = 0,
    notifications_created: int = 0,
    error_count: int = 0,
    error_details: str | None = None,
) -> JobExecutionLog:
    """A job_execution_logs row; `duration=None` leaves it without an end time."""
    end_time = None if duration is None else start_time + duration
    run = JobExecutionLog(
        id=uuid.uuid4(),
        job_name=OVERDUE_JOB_NAME,
        start_time=start_time,
        end_time=end_time,
        status=status,
        trigger=trigger,
        slot=slot if slot is not None or trigger != RunTrigger.SCHEDULE else start_time,
        heartbeat_at=end_time or start_time,
        dry_run=dry_run,
        invoices_processed=invoices_processed,
        notifications_created=notifications_created,
        error_count=error_count,
        error_details=error_details,
    )
    session.add(run)
    session.flush()
    return run
