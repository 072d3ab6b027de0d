from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.executions.models import JobExecutionLog, RunStatus
from app.overdue.batch import write_batch
from app.overdue.rule import WALK_END, WALK_START, Walk, local_dates
from app.overdue.run import RunOptions, RunReport, run_overdue_invoices
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import notification_count, notified, run


def _overdue_invoices(session: Session, clock: FakeClock, count: int) -> list[int]:
    customer = make_customer(session, business=make_business(session))
    due = clock().date() - timedelta(days=3)
    ids = [
        make_invoice(session, customer=customer, due_date=due).id for _ in range(count)
    ]
    session.commit()
    return ids


def test_running_the_same_instant_twice_creates_nothing_the_second_time(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    _overdue_invoices(session, clock, 30)
    first = run(session_factory, clock, batch_size=7)

    second = run(session_factory, clock, batch_size=7)

    assert first.notifications_created == 30
    assert second.notifications_created == 0
    assert notification_count(session_factory) == 30


class Crash(BaseException):
    """Stands for the process being stopped between two batches."""


def test_a_run_that_crashed_after_some_batches_completes_on_the_next_run(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    ids = _overdue_invoices(session, clock, 50)
    # One part, so that the batches done before the crash are exactly two.
    options = RunOptions(batch_size=10, parallelism=1)

    def crash_after_two_batches(report: RunReport) -> None:
        if report.batches == 2:
            raise Crash("process died between batches")

    with pytest.raises(Crash):
        run_overdue_invoices(
            session_factory, options, clock=clock, on_batch=crash_after_two_batches
        )
    assert notification_count(session_factory) == 20
    with session_factory() as check:
        crashed = check.scalars(select(JobExecutionLog)).one()
    assert crashed.status == RunStatus.FAILED
    assert crashed.error_details == "run failed: Crash: process died between batches"
    rerun = run_overdue_invoices(session_factory, options, clock=clock)

    assert rerun.notifications_created == 30
    assert notified(session_factory) == {(invoice_id, 1) for invoice_id in ids}


def test_the_unique_key_not_a_prior_select_stops_a_duplicate(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    """Two writers that both read the invoice as un-notified still make one row."""
    (invoice_id,) = _overdue_invoices(session, clock, 1)
    dates = local_dates(session, clock(), "UTC")
    walk = Walk(dates, (1,), limit=10)
    rows = session.execute(walk.work, walk.work_params(WALK_START, WALK_END)).all()
    session.rollback()

    with session_factory() as first:
        created_first = write_batch(first, rows, now=clock())
        first.commit()
    with session_factory() as second:
        created_second = write_batch(second, rows, now=clock())
        second.commit()

    assert [p.invoice_id for p in created_first.planned] == [invoice_id]
    assert (created_first.created, created_second.created) == (1, 0)
    assert notification_count(session_factory) == 1


def test_every_run_leaves_a_completed_log_row(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    _overdue_invoices(session, clock, 3)

    run(session_factory, clock)
    run(session_factory, clock)

    with session_factory() as check:
        rows = check.scalars(select(JobExecutionLog)).all()
    assert [row.status for row in rows] == [RunStatus.COMPLETED] * 2
    assert sorted(row.notifications_created for row in rows) == [0, 3]
