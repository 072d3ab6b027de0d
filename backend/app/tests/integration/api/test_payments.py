from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, make_session_factory
from app.errors import AppError
from app.invoices.models import Invoice, InvoiceStatus
from app.invoices.payments import lock_invoice, record_payment
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import notified, run


def open_invoice(
    session: Session,
    *,
    total: str = "100.00",
    amount_paid: str = "0.00",
    status: InvoiceStatus = InvoiceStatus.SENT,
    deleted_at: datetime | None = None,
) -> Invoice:
    customer = make_customer(session, business=make_business(session))
    invoice = make_invoice(
        session,
        customer=customer,
        total=Decimal(total),
        amount_paid=Decimal(amount_paid),
        status=status,
        deleted_at=deleted_at,
        due_date=date(2025, 3, 1),
    )
    session.commit()
    return invoice


def pay(api_client: TestClient, invoice_id: int, amount: Any) -> tuple[int, Any]:
    response = api_client.post(
        f"/api/v1/invoices/{invoice_id}/payments", json={"amount": amount}
    )
    return response.status_code, response.json()


def test_part_payment_makes_the_invoice_partial(
    api_client: TestClient, session: Session
) -> None:
    invoice = open_invoice(session, total="100.00")

    status_code, body = pay(api_client, invoice.id, "30.25")

    assert status_code == 200
    assert (body["status"], body["amount_paid"], body["balance_due"]) == (
        "partial",
        "30.25",
        "69.75",
    )


def test_paying_the_balance_makes_the_invoice_paid(
    api_client: TestClient, session: Session
) -> None:
    invoice = open_invoice(
        session, total="100.00", amount_paid="40.00", status=InvoiceStatus.PARTIAL
    )

    status_code, body = pay(api_client, invoice.id, "60.00")

    assert status_code == 200
    assert (body["status"], body["balance_due"]) == ("paid", "0.00")


def test_overdue_invoice_paid_in_part_becomes_partial(
    api_client: TestClient, session: Session
) -> None:
    invoice = open_invoice(session, status=InvoiceStatus.OVERDUE)

    status_code, body = pay(api_client, invoice.id, "1")

    assert (status_code, body["status"]) == (200, "partial")


def test_overpayment_is_refused_and_changes_nothing(
    api_client: TestClient, session: Session
) -> None:
    invoice = open_invoice(session, total="100.00", amount_paid="0.00")

    status_code, body = pay(api_client, invoice.id, "100.01")

    assert status_code == 422
    assert body["field"] == "amount"
    assert "balance_due 100.00" in body["detail"]
    shown = api_client.get(f"/api/v1/invoices/{invoice.id}").json()
    assert (shown["amount_paid"], shown["status"]) == ("0.00", "sent")


@pytest.mark.parametrize("amount", ["0", "0.00", "-5", "0.001", "abc", None, "NaN"])
def test_amount_must_be_positive_with_at_most_two_decimals(
    api_client: TestClient, session: Session, amount: Any
) -> None:
    invoice = open_invoice(session)

    status_code, body = pay(api_client, invoice.id, amount)

    assert status_code == 422
    assert body["errors"][0]["field"] == "amount"


@pytest.mark.parametrize(
    ("status", "amount_paid"),
    [
        (InvoiceStatus.CANCELLED, "0.00"),
        (InvoiceStatus.DRAFT, "0.00"),
        (InvoiceStatus.PAID, "100.00"),
    ],
)
def test_invoice_that_takes_no_payments_refuses_them(
    api_client: TestClient, session: Session, status: InvoiceStatus, amount_paid: str
) -> None:
    invoice = open_invoice(session, status=status, amount_paid=amount_paid)

    status_code, body = pay(api_client, invoice.id, "1.00")

    assert status_code == 409
    assert body["field"] == "status"
    assert body["value"] == status.value


def test_deleted_invoice_refuses_payments(
    api_client: TestClient, session: Session
) -> None:
    invoice = open_invoice(session, deleted_at=datetime(2025, 1, 1, tzinfo=UTC))

    status_code, body = pay(api_client, invoice.id, "1.00")

    assert status_code == 409
    assert body["field"] == "invoice_id"
    assert "deleted" in body["detail"]


def test_payment_on_unknown_invoice_is_not_found(api_client: TestClient) -> None:
    status_code, body = pay(api_client, 4242, "1.00")

    assert status_code == 404
    assert body["field"] == "invoice_id"


def test_paid_invoice_gets_no_more_reminders(
    api_client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    paid = open_invoice(session, total="50.00")
    part_paid = open_invoice(session, total="50.00")
    pay(api_client, paid.id, "50.00")
    pay(api_client, part_paid.id, "10.00")

    run(session_factory, clock)

    assert {invoice_id for invoice_id, _ in notified(session_factory)} == {part_paid.id}


def _pay_in_own_session(
    factory: sessionmaker[Session], invoice_id: int, amount: Decimal
) -> bool:
    with factory() as session:
        try:
            record_payment(session, invoice_id, amount)
        except AppError:
            session.rollback()
            return False
        session.commit()
        return True


def test_concurrent_payments_never_overpay(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    invoice = open_invoice(session, total="100.00")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda _: _pay_in_own_session(
                    session_factory, invoice.id, Decimal("60.00")
                ),
                range(4),
            )
        )

    assert results.count(True) == 1
    with session_factory() as fresh:
        stored = fresh.get(Invoice, invoice.id)
        assert stored is not None
        assert (stored.amount_paid, stored.status) == (Decimal("60.00"), "partial")


def test_payment_holds_the_invoice_row_lock_until_commit(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with factory() as setup:
        invoice = open_invoice(setup)

    with factory() as first, factory() as second:
        lock_invoice(first, invoice.id)
        second.execute(text("SET LOCAL lock_timeout = '100ms'"))

        with pytest.raises(OperationalError, match="lock timeout"):
            lock_invoice(second, invoice.id)
    engine.dispose()
