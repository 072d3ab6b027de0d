from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from app.invoices.models import Invoice, InvoiceStatus
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import notified, run


def test_due_yesterday_in_auckland_is_overdue_while_los_angeles_is_not_yet(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    # 2025-03-15 20:00 UTC is 2025-03-16 09:00 in Auckland, 13:00 on the 15th in LA.
    clock.set(datetime(2025, 3, 15, 20, 0, tzinfo=UTC))
    auckland = make_business(session, name="NZ", timezone="Pacific/Auckland")
    los_angeles = make_business(session, name="LA", timezone="America/Los_Angeles")
    due = date(2025, 3, 15)
    nz_invoice = make_invoice(
        session, customer=make_customer(session, business=auckland), due_date=due
    )
    la_invoice = make_invoice(
        session, customer=make_customer(session, business=los_angeles), due_date=due
    )
    session.commit()

    report = run(session_factory, clock)

    assert notified(session_factory) == {(nz_invoice.id, 1)}
    assert la_invoice.id not in {
        invoice_id for invoice_id, _ in notified(session_factory)
    }
    assert report.notifications_created == 1


def test_a_business_without_a_time_zone_uses_the_configured_default(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    clock.set(datetime(2025, 3, 15, 20, 0, tzinfo=UTC))
    business = make_business(session, timezone="UTC")
    business.timezone = None
    invoice = make_invoice(
        session,
        customer=make_customer(session, business=business),
        due_date=date(2025, 3, 15),
    )
    session.commit()

    run(session_factory, clock, default_timezone="Pacific/Auckland")

    assert notified(session_factory) == {(invoice.id, 1)}


def test_only_open_undeleted_unpaid_invoices_of_active_customers_are_overdue(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    business = make_business(session)
    active = make_customer(session, business=business)
    paused = make_customer(
        session, business=business, name="Paused", reminders_paused=True
    )
    past = date(2025, 3, 1)
    overdue = make_invoice(session, customer=active, due_date=past)
    for status in (InvoiceStatus.DRAFT, InvoiceStatus.PAID, InvoiceStatus.CANCELLED):
        make_invoice(session, customer=active, due_date=past, status=status)
    make_invoice(session, customer=active, due_date=past, deleted_at=clock())
    make_invoice(session, customer=active, due_date=past, amount_paid=Decimal("100.00"))
    make_invoice(session, customer=paused, due_date=past)
    make_invoice(session, customer=active, due_date=None)
    make_invoice(session, customer=active, due_date=clock().date())
    session.commit()

    run(session_factory, clock)

    assert notified(session_factory) == {(overdue.id, 1)}


def test_sent_and_viewed_invoices_become_overdue_and_partial_ones_stay_partial(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    sent = make_invoice(session, customer=customer, status=InvoiceStatus.SENT)
    viewed = make_invoice(session, customer=customer, status=InvoiceStatus.VIEWED)
    partial = make_invoice(
        session,
        customer=customer,
        status=InvoiceStatus.PARTIAL,
        amount_paid=Decimal("40"),
    )
    not_due = make_invoice(session, customer=customer, due_date=date(2025, 12, 1))
    session.commit()

    run(session_factory, clock)

    with session_factory() as check:
        statuses = {i.id: i.status for i in check.query(Invoice).all()}
    assert statuses == {
        sent.id: InvoiceStatus.OVERDUE,
        viewed.id: InvoiceStatus.OVERDUE,
        partial.id: InvoiceStatus.PARTIAL,
        not_due.id: InvoiceStatus.SENT,
    }
