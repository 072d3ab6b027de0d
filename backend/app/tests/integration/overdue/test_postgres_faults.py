"""Exactly-once and failure behaviour against a real PostgreSQL with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, make_session_factory
from app.executions.models import JobExecutionLog, RunStatus
from app.notifications.models import Notification
from app.overdue.run import RunOptions, run_overdue_invoices
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.faults import (
    kill_connection_on_notification,
    reject_notifications_for,
    remove_rejections,
)
from app.tests.support.overdue import notification_count

pytestmark = pytest.mark.postgres
AS_OF = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    remove_rejections(engine)
    engine.dispose()


@pytest.fixture
def pg_factory(pg_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(pg_engine)


def _invoices(factory: sessionmaker[Session], count: int) -> list[int]:
    """Overdue invoices' ids, in the order the run walks them: (due_date, id)."""
    with factory() as session:
        keys = []
        for business_number in range(4):
            business = make_business(session, name=f"B{business_number}")
            customer = make_customer(session, business=business)
            for offset in range(count // 4):
                due = AS_OF.date() - timedelta(days=1 + offset % 60)
                invoice = make_invoice(session, customer=customer, due_date=due)
                keys.append((due, invoice.id))
        session.commit()
    return [invoice_id for _, invoice_id in sorted(keys)]


@contextmanager
def pool_traffic(engine: Engine) -> Iterator[tuple[list[int], list[str], list[int]]]:
    """Count checkouts and detaches; note each connection's autocommit and
    plan_cache_mode on return.

    A returned connection reads "transactions, auto" when left as the pool
    gave it out; a detached one leaves the pool and is closed, not returned.
    """
    checkouts: list[int] = []
    returned: list[str] = []
    detached: list[int] = []

    def on_checkout(*_: Any) -> None:
        checkouts.append(1)

    def on_detach(*_: Any) -> None:
        detached.append(1)

    def on_checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is None:  # invalidated: it will not be used again
            return
        mode = "autocommit" if dbapi_connection.autocommit else "transactions"
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            returned.append(f"{mode}, {cursor.fetchone()[0]}")
        dbapi_connection.rollback()

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    event.listen(engine, "detach", on_detach)
    try:
        yield checkouts, returned, detached
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)
        event.remove(engine, "detach", on_detach)


def _start_together(url: str, processes: int) -> list[subprocess.CompletedProcess[str]]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "OVERDUE_INVOICE_BATCH_SIZE": "7",
        "OVERDUE_INVOICE_REMINDER_DAYS": "1,7,14,30",
        "LOG_LEVEL": "WARNING",
    }
    args = [
        sys.executable,
        "-m",
        "app.tests.support.run_when_told",
        "run-once",
        "--as-of",
        AS_OF.isoformat(),
    ]
    children = [
        subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    return [_finish(child) for child in children]


def _finish(child: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = child.communicate(timeout=120)
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def test_four_processes_at_the_same_moment_create_each_notification_once(
    postgres_url: str, pg_factory: sessionmaker[Session]
) -> None:
    ids = _invoices(pg_factory, 800)

    results = _start_together(postgres_url, 4)

    assert [r.returncode for r in results] == [0] * 4, [r.stderr for r in results]
    with pg_factory() as session:
        pairs = session.execute(
            select(Notification.invoice_id, Notification.stage)
        ).all()
        logs = session.scalars(select(JobExecutionLog)).all()
    assert len(pairs) == len(set(pairs)) == len(ids)
    assert {invoice_id for invoice_id, _ in pairs} == set(ids)
    assert [log.status for log in logs] == [RunStatus.COMPLETED] * 4
    # Each row counts only what it inserted itself: together, exactly once.
    assert sum(log.notifications_created for log in logs) == len(ids)


@pytest.mark.parametrize("parts", [1, 2])
def test_a_killed_connection_leaves_the_run_failed_with_the_reason(
    pg_engine: Engine, pg_factory: sessionmaker[Session], parts: int
) -> None:
    ids = _invoices(pg_factory, 40)
    kill_connection_on_notification(pg_engine, ids[25])
    clock = FakeClock(AS_OF)
    options = RunOptions(batch_size=10, parallelism=parts)

    report = run_overdue_invoices(pg_factory, options, clock=clock)

    with pg_factory() as session:
        log = session.get(JobExecutionLog, report.run_id)
    assert log is not None
    assert log.status == RunStatus.FAILED
    assert log.end_time == AS_OF
    assert log.error_details is not None
    assert "terminating connection" in log.error_details
    # The log counts exactly the batches committed before the failure: in
    # one part, the two before the killed one; in two, as many as the other
    # part finished before it stopped.
    assert log.notifications_created == notification_count(pg_factory)
    if parts == 1:
        assert log.notifications_created == 20
    assert pg_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_run_that_could_not_be_closed_is_recorded_by_the_next_run(
    pg_engine: Engine, pg_factory: sessionmaker[Session]
) -> None:
    _invoices(pg_factory, 8)
    clock = FakeClock(AS_OF)
    with pg_engine.begin() as connection:
        connection.exec_driver_sql(_REFUSE_CLOSING)
    first = run_overdue_invoices(pg_factory, RunOptions(), clock=clock)
    with pg_factory() as session:
        assert session.get(JobExecutionLog, first.run_id).status == RunStatus.RUNNING  # type: ignore[union-attr]
    with pg_engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER refuse_closing ON job_execution_logs")

    run_overdue_invoices(pg_factory, RunOptions(), clock=clock)

    with pg_factory() as session:
        closed = session.get(JobExecutionLog, first.run_id)
        completed = session.scalar(
            select(func.count()).where(JobExecutionLog.status == RunStatus.COMPLETED)
        )
    assert closed is not None
    assert (closed.status, closed.notifications_created) == (RunStatus.COMPLETED, 8)
    assert completed == 2


_REFUSE_CLOSING = """
CREATE OR REPLACE FUNCTION refuse_closing() RETURNS trigger AS $$
BEGIN
  IF NEW.status <> 'running' THEN
    RAISE EXCEPTION 'database refuses to close runs';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER refuse_closing BEFORE UPDATE ON job_execution_logs
FOR EACH ROW EXECUTE FUNCTION refuse_closing();
"""


@pytest.mark.parametrize("parts", [1, 2])
def test_each_part_of_the_walk_holds_one_connection_whatever_the_batches(
    pg_engine: Engine, pg_factory: sessionmaker[Session], parts: int
) -> None:
    _invoices(pg_factory, 40)

    with pool_traffic(pg_engine) as (checkouts, returned, detached):
        report = run_overdue_invoices(
            pg_factory,
            RunOptions(batch_size=2, parallelism=parts),
            clock=FakeClock(AS_OF),
        )

    assert (report.parts, report.notifications_created) == (parts, 40)
    assert report.batches >= 20
    # Opening, dating, cutting, walking and closing the run: not one
    # checkout a batch.
    assert len(checkouts) <= 5 + parts
    # The walk's autocommit, generic plans and prepared statement are its
    # own: each part's connection leaves the pool, and every other one goes
    # back as it was given out.
    assert len(detached) == parts
    assert returned == ["transactions, auto"] * (len(checkouts) - parts)


def test_a_failed_batch_hands_every_connection_back_as_it_was(
    pg_engine: Engine, pg_factory: sessionmaker[Session]
) -> None:
    ids = _invoices(pg_factory, 40)
    reject_notifications_for(pg_engine, [ids[13]])

    with pool_traffic(pg_engine) as (checkouts, returned, detached):
        report = run_overdue_invoices(
            pg_factory,
            RunOptions(batch_size=5, parallelism=1),
            clock=FakeClock(AS_OF),
        )

    assert report.status == RunStatus.COMPLETED
    assert report.errors.count == 1
    assert report.notifications_created == 39
    assert notification_count(pg_factory) == 39
    # The failed batch is retried one invoice a session, beside the walk's.
    assert len(checkouts) <= 6 + 5
    assert len(detached) == 1
    assert returned == ["transactions, auto"] * (len(checkouts) - 1)
