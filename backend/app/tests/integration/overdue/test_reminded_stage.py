"""The run records on each invoice the highest stage it notified.

The walk reads it from the invoice row instead of probing notifications, so
it must never run ahead of the notifications that exist, and an invoice
must still reach a higher stage when its due date moves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, make_session_factory
from app.invoices.models import Invoice, InvoiceStatus
from app.overdue.rule import WALK_END, WALK_START, Walk, local_dates
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import notified, run


def _reminded(factory: sessionmaker[Session]) -> dict[int, int]:
    with factory() as session:
        rows = session.execute(select(Invoice.id, Invoice.reminded_stage))
        return {invoice_id: stage for invoice_id, stage in rows}


@pytest.mark.parametrize("batch_size", [1, 100])
def test_each_notified_invoice_records_its_stage_and_no_other_does(
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
    batch_size: int,
) -> None:
    business = make_business(session)
    customer = make_customer(session, business=business)
    paused = make_customer(session, business=business, reminders_paused=True)
    today = clock().date()
    first = make_invoice(session, customer=customer, due_date=today - timedelta(3))
    seventh = make_invoice(
        session,
        customer=customer,
        due_date=today - timedelta(10),
        status=InvoiceStatus.PARTIAL,
    )
    skipped = make_invoice(session, customer=paused, due_date=today - timedelta(10))
    session.commit()

    run(session_factory, clock, stages=(1, 7), batch_size=batch_size)

    assert _reminded(session_factory) == {first.id: 1, seventh.id: 7, skipped.id: 0}


@pytest.mark.parametrize("batch_size", [1, 100])
def test_recording_a_reminder_is_not_an_edit_of_the_invoice(
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
    batch_size: int,
) -> None:
    """A partial invoice keeps its status, and so its updated_at."""
    customer = make_customer(session, business=make_business(session))
    invoice = make_invoice(
        session,
        customer=customer,
        due_date=clock().date() - timedelta(3),
        status=InvoiceStatus.PARTIAL,
    )
    session.commit()
    edited_at = invoice.updated_at

    report = run(session_factory, clock, batch_size=batch_size)

    session.refresh(invoice)
    assert (report.notifications_created, invoice.reminded_stage) == (1, 1)
    assert invoice.updated_at == edited_at


def test_an_invoice_due_earlier_after_its_reminder_reaches_the_higher_stage(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    invoice = make_invoice(
        session, customer=customer, due_date=clock().date() - timedelta(2)
    )
    session.commit()
    run(session_factory, clock, stages=(1, 7))

    invoice.due_date = clock().date() - timedelta(10)
    session.commit()
    report = run(session_factory, clock, stages=(1, 7))

    assert report.notifications_created == 1
    assert notified(session_factory) == {(invoice.id, 1), (invoice.id, 7)}
    assert _reminded(session_factory) == {invoice.id: 7}


def test_a_status_move_alone_records_no_stage(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    invoice = make_invoice(
        session, customer=customer, due_date=clock().date() - timedelta(1)
    )
    session.commit()

    report = run(session_factory, clock, stages=(3,))

    session.refresh(invoice)
    assert (report.notifications_created, report.statuses_changed) == (0, 1)
    assert (invoice.status, invoice.reminded_stage) == (InvoiceStatus.OVERDUE, 0)


@pytest.mark.postgres
def test_a_rerun_does_not_probe_notifications_for_reminded_invoices(
    postgres_url: str, clock: FakeClock
) -> None:
    """Cost follows new work: the walk skips them on the row it already read."""
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with factory() as session:
        customer = make_customer(session, business=make_business(session))
        for days in range(1, 31):
            make_invoice(
                session, customer=customer, due_date=clock().date() - timedelta(days)
            )
        session.commit()
    run(factory, clock, stages=(1, 7))
    # A backend's counters also hold its earlier, unflushed transactions: the
    # rerun gets a connection of its own.
    engine.dispose()
    probes = text(
        "SELECT pg_stat_get_xact_numscans("
        "'uq_notifications_invoice_id_kind_stage'::regclass)"
    )

    with factory() as session:
        walk = Walk(local_dates(session, clock(), "UTC"), (1, 7), limit=100)
        work = session.execute(walk.work, walk.work_params(WALK_START, WALK_END))
        rows = work.all()
        probed = session.execute(probes).scalar_one()
    engine.dispose()

    assert (rows, probed) == ([], 0)
