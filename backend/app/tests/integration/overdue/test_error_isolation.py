from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.executions.models import JobExecutionLog, RunStatus
from app.overdue.error_log import MAX_DETAILS_CHARS
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.faults import REASON
from app.tests.support.overdue import notified, run


def _invoices(session: Session, clock: FakeClock, count: int) -> list[int]:
    customer = make_customer(session, business=make_business(session))
    due = clock().date() - timedelta(days=2)
    ids = [
        make_invoice(
            session, customer=customer, due_date=due, invoice_number=f"N-{n:04d}"
        ).id
        for n in range(count)
    ]
    session.commit()
    return ids


def _log(factory: sessionmaker[Session]) -> JobExecutionLog:
    with factory() as session:
        return session.scalars(select(JobExecutionLog)).one()


def test_one_bad_invoice_does_not_stop_the_others_in_its_batch(
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
    reject_notifications: Callable[[list[int]], None],
) -> None:
    ids = _invoices(session, clock, 10)
    reject_notifications([ids[3]])

    report = run(session_factory, clock, batch_size=5)

    assert notified(session_factory) == {(i, 1) for i in ids if i != ids[3]}
    log = _log(session_factory)
    assert log.status == RunStatus.COMPLETED
    assert log.error_count == 1
    assert log.notifications_created == 9
    assert log.error_details is not None
    assert log.error_details.startswith(f"invoice N-0003 (id {ids[3]}): ")
    assert REASON in log.error_details
    assert report.errors.count == 1


def test_error_details_stay_bounded_with_hundreds_of_failures(
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
    reject_notifications: Callable[[list[int]], None],
) -> None:
    ids = _invoices(session, clock, 300)
    reject_notifications(ids[:-1])

    run(session_factory, clock, batch_size=100)

    log = _log(session_factory)
    assert log.error_count == 299
    assert log.error_details is not None
    assert len(log.error_details) <= MAX_DETAILS_CHARS
    assert log.error_details.splitlines()[-1].endswith("(299 in all)")
    assert notified(session_factory) == {(ids[-1], 1)}
