"""The scheduler across real processes: replicas, workers, and a kill -9."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, make_session_factory
from app.executions.models import JobExecutionLog, RunStatus, RunTrigger
from app.notifications.models import Notification
from app.schedule.claims import claim_slot
from app.schedule.slots import Schedule, previous_slot
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.processes import (
    ServiceProcess,
    count_events,
    free_port,
    start,
    wait_for,
)


def far_from_now_schedule() -> str:
    """A daily cron whose slot boundary is 12 hours away, so no test straddles it."""
    hour = (datetime.now(UTC).hour + 12) % 24
    return f"0 {hour} * * *"


@pytest.fixture
def db(database_url: str) -> Iterator[tuple[str, sessionmaker[Session], Engine]]:
    engine = make_engine(database_url)
    yield database_url, make_session_factory(engine), engine
    engine.dispose()


def _seed(factory: sessionmaker[Session], cron: str, invoices: int) -> datetime:
    """Invoices to work on, and a completed run of the slot before the latest one."""
    now = datetime.now(UTC)
    latest = previous_slot(Schedule.cron(cron), now)
    assert latest is not None
    with factory() as session:
        customer = make_customer(session, business=make_business(session))
        for _ in range(invoices):
            make_invoice(
                session, customer=customer, due_date=now.date() - timedelta(days=2)
            )
        session.commit()
    previous = latest - timedelta(days=1)
    claim_slot(factory, slot=previous, now=previous, stale_after=timedelta(minutes=5))
    with factory() as session:
        row = session.scalars(select(JobExecutionLog)).one()
        row.status = RunStatus.COMPLETED
        session.commit()
    return latest


def _env(url: str, cron: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "OVERDUE_INVOICE_SCHEDULE_VALUE": cron,
        "SCHEDULER_ENABLED": "true",
        "API_TOKENS": "process-test-token",
        "ENVIRONMENT": "test",
        **extra,
    }


def _slot_rows(factory: sessionmaker[Session], slot: datetime) -> list[JobExecutionLog]:
    with factory() as session:
        query = select(JobExecutionLog).where(
            JobExecutionLog.slot == slot, JobExecutionLog.trigger == RunTrigger.SCHEDULE
        )
        return list(session.scalars(query.order_by(JobExecutionLog.attempt)))


def _notifications(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        total = session.scalar(select(func.count()).select_from(Notification)) or 0
        distinct = (
            session.scalar(select(func.count(func.distinct(Notification.invoice_id))))
            or 0
        )
        return total, distinct


def test_replicas_and_a_worker_run_a_missed_slot_exactly_once(
    db: tuple[str, sessionmaker[Session], Engine], tmp_path: Path
) -> None:
    url, factory, _ = db
    cron = far_from_now_schedule()
    slot = _seed(factory, cron, invoices=40)
    env = _env(url, cron)
    replicas = 2 if url.startswith("postgresql") else 1
    processes = [
        start(
            ["serve", "--port", str(free_port()), "--workers", "2"],
            env,
            tmp_path / f"serve{n}.log",
        )
        for n in range(replicas)
    ]
    processes.append(start(["worker"], env, tmp_path / "worker.log"))
    schedulers = 2 * replicas + 1

    try:
        wait_for(
            lambda: (
                count_events(processes, "slot_claimed")
                + count_events(processes, "slot_skipped")
                == schedulers
            ),
            timeout_s=90,
            what=f"{schedulers} schedulers to reach the missed slot",
        )
        wait_for(
            lambda: (
                [r.status for r in _slot_rows(factory, slot)] == [RunStatus.COMPLETED]
            ),
            timeout_s=60,
            what="the slot's run to complete",
        )
    finally:
        for process in processes:
            process.stop()

    assert count_events(processes, "slot_claimed") == 1
    assert count_events(processes, "slot_skipped") == schedulers - 1
    assert _notifications(factory) == (40, 40)
    assert [p.process.returncode for p in processes] == [0] * len(processes)


@pytest.mark.postgres
def test_a_killed_run_is_failed_and_its_slot_run_again_by_another_process(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    cron = far_from_now_schedule()
    slot = _seed(factory, cron, invoices=400)
    env = _env(
        postgres_url,
        cron,
        OVERDUE_INVOICE_BATCH_SIZE="1",
        OVERDUE_INVOICE_STALE_RUN_SECONDS="2",
    )
    first = start(["worker"], env, tmp_path / "first.log")
    second: ServiceProcess | None = None
    try:
        wait_for(
            lambda: _notifications(factory)[0] > 50, timeout_s=60, what="work to start"
        )
        first.stop(signal.SIGKILL)
        partial = _notifications(factory)[0]
        wait_for(
            lambda: _heartbeat_age(factory, slot) > timedelta(seconds=2),
            timeout_s=5,
            what="the dead run's heartbeat to go stale",
        )

        second = start(["worker"], env, tmp_path / "second.log")
        wait_for(
            lambda: (
                [r.status for r in _slot_rows(factory, slot)]
                == [RunStatus.FAILED, RunStatus.COMPLETED]
            ),
            timeout_s=90,
            what="the slot to be taken over and completed",
        )
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop()
        engine.dispose()

    dead, retry = _slot_rows(factory, slot)
    assert partial < 400
    assert "no heartbeat since" in (dead.error_details or "")
    assert retry.attempt == 2
    assert _notifications(factory) == (400, 400)


def _heartbeat_age(factory: sessionmaker[Session], slot: datetime) -> timedelta:
    (row,) = _slot_rows(factory, slot)
    return datetime.now(UTC) - (row.heartbeat_at or row.start_time)
