"""Readiness checks: the database answers, the schema is current, the scheduler ticks.

Each check is one cheap statement; a failing one is named with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.api.schedule_view import SchedulerLike, period_after, slot_after
from app.db.migrations import current_revision, head_revision
from app.errors import AppError
from app.executions.models import OVERDUE_JOB_NAME
from app.executions.queries import last_scheduled
from app.schedule.slots import Schedule

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return Check("database", False, f"does not answer: {_first_line(exc)}")
    return Check("database", True, "answers")


def check_schema(engine: Engine, database_url: str) -> Check:
    try:
        expected = _expected_head(database_url)
        current = current_revision(engine)
    except (SQLAlchemyError, AppError) as exc:
        return Check("schema", False, f"cannot be read: {_first_line(exc)}")
    if current != expected:
        detail = f"at revision {current}, expected {expected}: run the migrations"
        return Check("schema", False, detail)
    return Check("schema", True, f"at the latest revision {expected}")


@lru_cache(maxsize=4)
def _expected_head(database_url: str) -> str | None:
    """The scripts do not change while the process runs: read them once."""
    return head_revision(database_url)


def check_scheduler(
    scheduler: SchedulerLike | None,
    history: sessionmaker[Session] | None,
    now: datetime,
) -> Check:
    """Only where the scheduler runs in this process; elsewhere it always passes.

    Without `history` (the database is down) only `is_running` is checked.
    """
    if scheduler is None:
        return Check("scheduler", True, "not run by this process")
    if not scheduler.is_running:
        return Check("scheduler", False, "enabled here but not running")
    if history is None:
        return Check("scheduler", True, "running; run history not checked")
    try:
        return _check_last_scheduled_run(history, scheduler.schedule, now)
    except SQLAlchemyError as exc:
        return Check("scheduler", False, f"run history unreadable: {_first_line(exc)}")


def _check_last_scheduled_run(
    factory: sessionmaker[Session], schedule: Schedule, now: datetime
) -> Check:
    """The slot after the last scheduled run must not be late by a whole period.

    With no scheduled run yet the check passes: a fresh deployment has had
    no slot to run, and a stopped scheduler is caught by `is_running`.
    """
    with factory() as session:
        last = last_scheduled(session, OVERDUE_JOB_NAME)
    if last is None:
        return Check("scheduler", True, "running; no scheduled run yet")
    due = slot_after(schedule, last.slot or last.start_time)
    if now - due <= period_after(schedule, due):
        return Check("scheduler", True, f"running; last scheduled run {last.id}")
    return Check(
        "scheduler",
        False,
        f"the run due at {due.isoformat()} has not started; "
        f"the last scheduled run {last.id} started at {last.start_time.isoformat()}",
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
