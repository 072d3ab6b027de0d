"""Claiming a slot: the execution-log row of a slot is the claim on it.

Every process that reaches a slot tries to insert the slot's row; the unique
key (job_name, slot, attempt) lets exactly one insert succeed, across any number
of replicas and workers, with no lock that a dead process could leave behind.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import session_scope
from app.executions.models import (
    OVERDUE_JOB_NAME,
    JobExecutionLog,
    RunStatus,
    RunTrigger,
)
from app.executions.repository import fail_run_if_running, open_run

logger = logging.getLogger(__name__)


def claim_slot(
    factory: sessionmaker[Session],
    *,
    slot: datetime,
    now: datetime,
    stale_after: timedelta,
) -> uuid.UUID | None:
    """This process's run id for `slot`, or None when another process has it."""
    run_id = open_run(
        factory,
        job_name=OVERDUE_JOB_NAME,
        now=now,
        trigger=RunTrigger.SCHEDULE,
        slot=slot,
    )
    if run_id is not None:
        return run_id
    return take_over_dead_attempt(factory, slot=slot, now=now, stale_after=stale_after)


def take_over_dead_attempt(
    factory: sessionmaker[Session],
    *,
    slot: datetime,
    now: datetime,
    stale_after: timedelta,
) -> uuid.UUID | None:
    """Fail the slot's latest attempt if its process died, and claim the next one.

    Both happen in one transaction. The UPDATE only matches a row still
    `running`: of two processes that saw the same dead attempt, the second
    waits for the first's row lock, then matches nothing and claims nothing.
    """
    try:
        with session_scope(factory) as session:
            latest = _latest_attempt(session, slot)
            if latest is None or not _is_stale(latest, now, stale_after):
                return None
            beat = _heartbeat(latest).isoformat()
            reason = (
                f"process stopped: no heartbeat since {beat}; "
                f"slot taken over as attempt {latest.attempt + 1}"
            )
            if not fail_run_if_running(session, latest.id, now=now, reason=reason):
                return None
            successor = _next_attempt(latest, now)
            session.add(successor)
    except IntegrityError:
        return None
    logger.warning(
        "dead run failed and its slot taken over",
        extra={
            "event": "slot_taken_over",
            "slot": slot.isoformat(),
            "dead_run_id": str(latest.id),
            "run_id": str(successor.id),
        },
    )
    return successor.id


def _latest_attempt(session: Session, slot: datetime) -> JobExecutionLog | None:
    return session.scalars(
        select(JobExecutionLog)
        .where(
            JobExecutionLog.job_name == OVERDUE_JOB_NAME, JobExecutionLog.slot == slot
        )
        .order_by(JobExecutionLog.attempt.desc())
        .limit(1)
    ).first()


def _heartbeat(row: JobExecutionLog) -> datetime:
    return row.heartbeat_at or row.start_time


def _is_stale(row: JobExecutionLog, now: datetime, stale_after: timedelta) -> bool:
    return row.status == RunStatus.RUNNING and _heartbeat(row) < now - stale_after


def _next_attempt(dead: JobExecutionLog, now: datetime) -> JobExecutionLog:
    return JobExecutionLog(
        id=uuid.uuid4(),
        job_name=OVERDUE_JOB_NAME,
        start_time=now,
        status=RunStatus.RUNNING,
        slot=dead.slot,
        attempt=dead.attempt + 1,
        trigger=RunTrigger.SCHEDULE,
        heartbeat_at=now,
        dry_run=False,
    )


def last_claimed_slot(factory: sessionmaker[Session]) -> datetime | None:
    """The latest slot any process has claimed, or None before the first one."""
    with factory() as session:
        return session.scalar(
            select(func.max(JobExecutionLog.slot)).where(
                JobExecutionLog.job_name == OVERDUE_JOB_NAME,
                JobExecutionLog.trigger == RunTrigger.SCHEDULE,
            )
        )
