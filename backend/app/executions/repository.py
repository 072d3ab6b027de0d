"""Reads and writes of job_execution_logs: opening, heartbeats, closing, stale runs.

Each write commits on its own short session, so the log row is visible to
other processes (and survives) whatever happens to the run's own work.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import session_scope
from app.executions.models import JobExecutionLog, RunStatus, RunTrigger

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunCounts:
    invoices_processed: int = 0
    notifications_created: int = 0
    error_count: int = 0
    error_details: str | None = None


def open_run(
    factory: sessionmaker[Session],
    *,
    job_name: str,
    now: datetime,
    trigger: RunTrigger,
    slot: datetime | None = None,
    attempt: int = 1,
    dry_run: bool = False,
) -> uuid.UUID | None:
    """Insert and commit a `running` row; None if (job_name, slot, attempt) is taken.

    For a scheduled slot this insert is the claim: the unique key lets exactly
    one of any number of concurrent inserts succeed, with no lock to leak.
    """
    row = JobExecutionLog(
        id=uuid.uuid4(),
        job_name=job_name,
        start_time=now,
        status=RunStatus.RUNNING,
        slot=slot,
        attempt=attempt,
        trigger=trigger,
        heartbeat_at=now,
        dry_run=dry_run,
    )
    try:
        with session_scope(factory) as session:
            session.add(row)
    except IntegrityError:
        return None
    return row.id


def beat(factory: sessionmaker[Session], run_id: uuid.UUID, now: datetime) -> None:
    """Record that the run's process is alive."""
    with session_scope(factory) as session:
        session.execute(
            update(JobExecutionLog)
            .where(JobExecutionLog.id == run_id)
            .values(heartbeat_at=now)
        )


def finish_run(
    factory: sessionmaker[Session],
    run_id: uuid.UUID,
    *,
    now: datetime,
    status: RunStatus,
    counts: RunCounts,
) -> None:
    """Close a run that is still `running`; a run already closed is left alone."""
    with session_scope(factory) as session:
        session.execute(
            update(JobExecutionLog)
            .where(
                JobExecutionLog.id == run_id,
                JobExecutionLog.status == RunStatus.RUNNING,
            )
            .values(
                status=status,
                end_time=now,
                heartbeat_at=now,
                invoices_processed=counts.invoices_processed,
                notifications_created=counts.notifications_created,
                error_count=counts.error_count,
                error_details=counts.error_details,
            )
        )


def stale_condition(now: datetime, stale_after: timedelta) -> object:
    """A running row whose heartbeat (or start) is older than `stale_after`."""
    cutoff = now - stale_after
    return and_(
        JobExecutionLog.status == RunStatus.RUNNING,
        or_(
            JobExecutionLog.heartbeat_at < cutoff,
            and_(
                JobExecutionLog.heartbeat_at.is_(None),
                JobExecutionLog.start_time < cutoff,
            ),
        ),
    )


def fail_stale_runs(
    factory: sessionmaker[Session],
    *,
    job_name: str,
    now: datetime,
    stale_after: timedelta,
) -> list[uuid.UUID]:
    """Mark `failed` every running run whose process stopped beating; return them."""
    with session_scope(factory) as session:
        stale = session.scalars(
            select(JobExecutionLog.id).where(
                JobExecutionLog.job_name == job_name,
                stale_condition(now, stale_after),  # type: ignore[arg-type]
            )
        ).all()
        for run_id in stale:
            fail_run_if_running(
                session, run_id, now=now, reason=_stale_reason(stale_after)
            )
    for run_id in stale:
        logger.warning(
            "stale run marked failed",
            extra={"event": "run_stale", "run_id": str(run_id)},
        )
    return list(stale)


def fail_run_if_running(
    session: Session, run_id: uuid.UUID, *, now: datetime, reason: str
) -> bool:
    """Mark one running run failed; True if this call did it (it was still running)."""
    result = session.execute(
        update(JobExecutionLog)
        .where(
            JobExecutionLog.id == run_id,
            JobExecutionLog.status == RunStatus.RUNNING,
        )
        .values(
            status=RunStatus.FAILED,
            end_time=now,
            error_details=reason,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _stale_reason(stale_after: timedelta) -> str:
    seconds = int(stale_after.total_seconds())
    return f"process stopped: no heartbeat for more than {seconds} s"


def running_run(
    session: Session, *, job_name: str, now: datetime, stale_after: timedelta
) -> JobExecutionLog | None:
    """The newest run of `job_name` still running with a fresh heartbeat, if any."""
    cutoff = now - stale_after
    return session.scalars(
        select(JobExecutionLog)
        .where(
            JobExecutionLog.job_name == job_name,
            JobExecutionLog.status == RunStatus.RUNNING,
            func.coalesce(JobExecutionLog.heartbeat_at, JobExecutionLog.start_time)
            >= cutoff,
        )
        .order_by(JobExecutionLog.start_time.desc())
        .limit(1)
    ).first()
