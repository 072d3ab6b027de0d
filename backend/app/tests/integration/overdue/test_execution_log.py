from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.executions.models import (
    OVERDUE_JOB_NAME,
    JobExecutionLog,
    RunStatus,
    RunTrigger,
)
from app.invoices.models import Invoice, InvoiceStatus
from app.overdue.run import RunOptions, RunReport, run_overdue_invoices
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import notification_count, run


def _invoices(session: Session, clock: FakeClock, count: int) -> None:
    customer = make_customer(session, business=make_business(session))
    for _ in range(count):
        make_invoice(
            session, customer=customer, due_date=clock().date() - timedelta(days=9)
        )
    session.commit()


def test_the_running_row_is_committed_before_any_work(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    _invoices(session, clock, 4)
    seen: list[tuple[str, int]] = []

    def look_from_another_session(report: RunReport) -> None:
        with session_factory() as other:
            row = other.get(JobExecutionLog, report.run_id)
            assert row is not None
            seen.append((row.status, row.invoices_processed))

    # One part: two parts would commit their batches in either order.
    run_overdue_invoices(
        session_factory,
        RunOptions(batch_size=2, parallelism=1),
        clock=clock,
        on_batch=look_from_another_session,
    )

    assert seen == [(RunStatus.RUNNING, 2), (RunStatus.RUNNING, 4)]


def test_a_finished_row_holds_times_counts_and_status(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    _invoices(session, clock, 3)
    ticks = iter(range(100))

    def ticking_clock() -> object:
        return clock() + timedelta(seconds=next(ticks))

    report = run_overdue_invoices(
        session_factory,
        RunOptions(),
        clock=ticking_clock,  # type: ignore[arg-type]
    )

    with session_factory() as check:
        row = check.get(JobExecutionLog, report.run_id)
    assert row is not None
    assert row.job_name == OVERDUE_JOB_NAME
    assert row.trigger == RunTrigger.CLI
    assert row.status == RunStatus.COMPLETED
    assert row.start_time == clock()
    assert row.end_time is not None and row.end_time > row.start_time
    assert (row.invoices_processed, row.notifications_created, row.error_count) == (
        3,
        3,
        0,
    )
    assert row.error_details is None
    assert row.dry_run is False


def test_a_run_whose_process_died_is_closed_by_the_next_run(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    dead = JobExecutionLog(
        job_name=OVERDUE_JOB_NAME,
        start_time=clock() - timedelta(hours=2),
        heartbeat_at=clock() - timedelta(hours=2),
        status=RunStatus.RUNNING,
        invoices_processed=0,
        notifications_created=0,
        error_count=0,
    )
    session.add(dead)
    session.commit()

    run(session_factory, clock)

    with session_factory() as check:
        row = check.get(JobExecutionLog, dead.id)
    assert row is not None
    assert row.status == RunStatus.FAILED
    assert row.end_time == clock()
    assert "no heartbeat" in (row.error_details or "")


def test_a_dry_run_reports_what_it_would_create_and_writes_none_of_it(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    _invoices(session, clock, 3)

    report = run(session_factory, clock, stages=(1, 7), dry_run=True)

    assert report.would_create == 3
    assert report.notifications_created == 0
    assert {(p.stage, p.days_overdue) for p in report.planned} == {(7, 9)}
    assert notification_count(session_factory) == 0
    with session_factory() as check:
        statuses = set(check.scalars(select(Invoice.status)))
        row = check.get(JobExecutionLog, report.run_id)
    assert statuses == {InvoiceStatus.SENT}
    assert row is not None and row.dry_run is True and row.notifications_created == 0


def test_the_session_is_always_released(
    engine: Engine,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    _invoices(session, clock, 5)
    session.close()
    before = engine.pool.checkedout()  # type: ignore[attr-defined]

    run(session_factory, clock, batch_size=2)

    assert engine.pool.checkedout() == before  # type: ignore[attr-defined]
