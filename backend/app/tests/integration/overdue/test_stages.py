from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.notifications.models import Notification
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import notified, run

STAGES = (1, 7, 14, 30)


def test_an_invoice_first_seen_40_days_overdue_gets_only_the_30_day_notification(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    invoice = make_invoice(
        session, customer=customer, due_date=clock().date() - timedelta(days=40)
    )
    session.commit()

    run(session_factory, clock, stages=STAGES)

    assert notified(session_factory) == {(invoice.id, 30)}


def test_each_stage_is_notified_once_as_days_pass(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    invoice = make_invoice(session, customer=customer, due_date=clock().date())
    session.commit()

    created_per_day = []
    for _ in range(35):
        clock.advance(timedelta(days=1))
        created_per_day.append(
            run(session_factory, clock, stages=STAGES).notifications_created
        )

    assert notified(session_factory) == {(invoice.id, s) for s in STAGES}
    assert [day + 1 for day, n in enumerate(created_per_day) if n] == list(STAGES)


def test_nothing_more_is_sent_until_a_higher_stage_is_reached(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    make_invoice(
        session, customer=customer, due_date=clock().date() - timedelta(days=8)
    )
    session.commit()
    run(session_factory, clock, stages=STAGES)

    clock.advance(timedelta(days=5))
    report = run(session_factory, clock, stages=STAGES)

    assert report.notifications_created == 0


def test_no_notification_before_the_first_stage(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    make_invoice(
        session, customer=customer, due_date=clock().date() - timedelta(days=3)
    )
    session.commit()

    report = run(session_factory, clock, stages=(7, 14))

    assert report.notifications_created == 0
    assert report.statuses_changed == 1


def test_the_stored_notification_tells_the_owner_what_to_act_on(
    session: Session, session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    business = make_business(session, currency="EUR", timezone="Europe/Berlin")
    customer = make_customer(session, business=business, name="Aroha Ltd")
    invoice = make_invoice(
        session,
        customer=customer,
        invoice_number="INV-0042",
        currency="EUR",
        due_date=clock().date() - timedelta(days=8),
    )
    session.commit()

    run(session_factory, clock, stages=STAGES)

    with session_factory() as check:
        note = check.scalars(select(Notification)).one()
    assert note.stage == 7
    assert note.title == "Invoice INV-0042 is 8 days overdue"
    assert "Aroha Ltd" in note.message
    assert "€100.00 outstanding" in note.message
    assert f"Invoice id: {invoice.id}" in note.message
    assert (note.resource_type, note.resource_id) == ("invoice", str(invoice.id))
    assert note.business_id == business.id
    assert note.is_read is False
