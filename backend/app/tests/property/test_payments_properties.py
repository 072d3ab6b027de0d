"""Any sequence of payments keeps 0 <= amount_paid <= total and a matching status."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from app.api.app import create_app
from app.db.engine import make_engine, make_session_factory
from app.invoices.models import InvoiceStatus
from app.settings import Settings
from app.tests.support.factories import make_business, make_customer, make_invoice

TOKEN = "property-token-0123456789"

amounts = st.decimals(
    min_value=Decimal("-20.00"), max_value=Decimal("120.00"), places=2
)
totals = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("100.00"), places=2)
payable_statuses = st.sampled_from(
    [InvoiceStatus.SENT, InvoiceStatus.VIEWED, InvoiceStatus.OVERDUE]
)


@pytest.fixture
def factory(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None,
        database_url=sqlite_url,
        api_tokens=TOKEN,
        scheduler_enabled=False,
    )
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield client


def new_invoice(
    factory: sessionmaker[Session], total: Decimal, status: InvoiceStatus
) -> int:
    """A fresh invoice per example, so examples never see each other's state."""
    with factory() as session:
        customer = make_customer(session, business=make_business(session))
        invoice = make_invoice(session, customer=customer, total=total, status=status)
        session.commit()
        return invoice.id


def expected_status_code(amount: Decimal, paid: Decimal, total: Decimal) -> int:
    if amount <= 0:
        return 422
    if paid == total:
        return 409
    return 422 if amount > total - paid else 200


def assert_consistent(invoice: dict[str, str], paid: Decimal, total: Decimal) -> None:
    amount_paid = Decimal(invoice["amount_paid"])
    assert Decimal("0") <= amount_paid <= total
    assert amount_paid == paid
    assert Decimal(invoice["balance_due"]) == total - amount_paid
    if amount_paid > 0:
        assert invoice["status"] == ("paid" if amount_paid == total else "partial")


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=totals, status=payable_statuses, payments=st.lists(amounts, max_size=8))
def test_any_payments_keep_amount_paid_within_total_and_status_matching(
    client: TestClient,
    factory: sessionmaker[Session],
    total: Decimal,
    status: InvoiceStatus,
    payments: list[Decimal],
) -> None:
    invoice_id = new_invoice(factory, total, status)
    paid = Decimal("0.00")

    for amount in payments:
        response = client.post(
            f"/api/v1/invoices/{invoice_id}/payments", json={"amount": str(amount)}
        )
        assert response.status_code == expected_status_code(amount, paid, total)
        if response.status_code == 200:
            paid += amount
        invoice = client.get(f"/api/v1/invoices/{invoice_id}").json()
        assert_consistent(invoice, paid, total)
