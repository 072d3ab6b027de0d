from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.customers.models import Customer
from app.invoices import service
from app.invoices.models import InvoiceStatus
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice

URL = "/api/v1/invoices"


@pytest.fixture
def customer(session: Session) -> Customer:
    business = make_business(session, currency="EUR", timezone="Europe/Berlin")
    customer = make_customer(session, business=business)
    session.commit()
    return customer


def invoice_body(customer: Customer, **overrides: Any) -> dict[str, Any]:
    body = {
        "business_id": customer.business_id,
        "customer_id": customer.id,
        "invoice_number": "INV-1",
        "issue_date": "2025-01-01",
        "due_date": "2025-01-31",
        "total": "120.50",
    }
    return body | overrides


def test_create_invoice_fills_in_defaults(
    api_client: TestClient, customer: Customer
) -> None:
    response = api_client.post(URL, json=invoice_body(customer))

    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "sent"
    assert created["currency"] == "EUR"
    assert (created["total"], created["amount_paid"], created["balance_due"]) == (
        "120.50",
        "0.00",
        "120.50",
    )
    assert api_client.get(f"{URL}/{created['id']}").json() == created


def test_money_is_answered_as_strings_with_two_decimals(
    api_client: TestClient, customer: Customer
) -> None:
    body = invoice_body(customer, total=99.5, amount_paid="1E+1")

    created = api_client.post(URL, json=body).json()

    assert (created["total"], created["amount_paid"], created["balance_due"]) == (
        "99.50",
        "10.00",
        "89.50",
    )


def test_invoice_without_due_date_is_accepted(
    api_client: TestClient, customer: Customer
) -> None:
    response = api_client.post(URL, json=invoice_body(customer, due_date=None))

    assert response.status_code == 201
    assert response.json()["due_date"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total": "-0.01"}, "total"),
        ({"total": "0.001"}, "total"),
        ({"total": "10000000000.00"}, "total"),
        ({"total": "NaN"}, "total"),
        ({"total": "Infinity"}, "total"),
        ({"amount_paid": "-1"}, "amount_paid"),
        ({"currency": "ZZZ"}, "currency"),
        ({"invoice_number": "x" * 65}, "invoice_number"),
        ({"invoice_number": ""}, "invoice_number"),
        ({"status": "lost"}, "status"),
        ({"issue_date": "2025-02-30"}, "issue_date"),
        ({"customer_id": "abc"}, "customer_id"),
        ({"balance_due": "1.00"}, "balance_due"),
    ],
)
def test_invalid_field_is_refused_by_name(
    api_client: TestClient, customer: Customer, overrides: dict[str, Any], field: str
) -> None:
    response = api_client.post(URL, json=invoice_body(customer, **overrides))

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert api_client.get(URL).json()["total"] == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"due_date": "2024-12-31"}, "due_date"),
        ({"amount_paid": "120.51"}, "amount_paid"),
        ({"status": "paid"}, "status"),
        ({"status": "partial"}, "status"),
        ({"status": "sent", "amount_paid": "120.50"}, "status"),
        ({"currency": "USD"}, "currency"),
        ({"business_id": 999}, "business_id"),
        ({"customer_id": 999}, "customer_id"),
    ],
)
def test_inconsistent_invoice_is_refused_by_name(
    api_client: TestClient, customer: Customer, overrides: dict[str, Any], field: str
) -> None:
    response = api_client.post(URL, json=invoice_body(customer, **overrides))

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert api_client.get(URL).json()["total"] == 0


def test_paid_invoice_may_be_created_paid_in_full(
    api_client: TestClient, customer: Customer
) -> None:
    body = invoice_body(customer, status="paid", amount_paid="120.50")

    response = api_client.post(URL, json=body)

    assert response.status_code == 201
    assert response.json()["balance_due"] == "0.00"


def test_customer_of_another_business_is_refused(
    api_client: TestClient, session: Session, customer: Customer
) -> None:
    stranger = make_customer(session, business=make_business(session, currency="EUR"))
    session.commit()

    response = api_client.post(
        URL, json=invoice_body(customer, customer_id=stranger.id)
    )

    assert response.status_code == 422
    assert response.json()["field"] == "customer_id"


def test_duplicate_invoice_number_conflicts(
    api_client: TestClient, customer: Customer
) -> None:
    api_client.post(URL, json=invoice_body(customer))

    response = api_client.post(URL, json=invoice_body(customer, total="1.00"))

    assert response.status_code == 409
    assert response.json()["field"] == "invoice_number"
    assert api_client.get(URL).json()["total"] == 1


def test_number_taken_by_a_concurrent_insert_still_conflicts(
    api_client: TestClient, customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_client.post(URL, json=invoice_body(customer))
    # As if the other insert committed between our check and our flush.
    monkeypatch.setattr(service, "_refuse_taken_number", lambda *args: None)

    response = api_client.post(URL, json=invoice_body(customer))

    assert response.status_code == 409
    assert response.json()["field"] == "invoice_number"


def test_same_number_in_another_business_is_fine(
    api_client: TestClient, session: Session, customer: Customer
) -> None:
    other = make_customer(session, business=make_business(session, currency="EUR"))
    session.commit()
    api_client.post(URL, json=invoice_body(customer))

    response = api_client.post(URL, json=invoice_body(other))

    assert response.status_code == 201


def test_unknown_invoice_is_not_found(api_client: TestClient) -> None:
    response = api_client.get(f"{URL}/123")

    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "no invoice with id 123",
        "field": "invoice_id",
        "value": 123,
    }


def listed_numbers(api_client: TestClient, **params: Any) -> list[str]:
    response = api_client.get(URL, params=params)
    assert response.status_code == 200, response.json()
    return [item["invoice_number"] for item in response.json()["items"]]


def test_list_filters_by_status_customer_and_due_dates(
    api_client: TestClient, session: Session, customer: Customer
) -> None:
    business = session.get(Business, customer.business_id)
    assert business is not None
    other = make_customer(session, business=business, name="Other")
    make_invoice(
        session, customer=customer, invoice_number="A", due_date=date(2025, 1, 1)
    )
    make_invoice(
        session,
        customer=customer,
        invoice_number="B",
        due_date=date(2025, 2, 1),
        status=InvoiceStatus.DRAFT,
    )
    make_invoice(session, customer=other, invoice_number="C", due_date=date(2025, 3, 1))
    session.commit()

    assert listed_numbers(api_client, status=["sent", "draft"]) == ["A", "B", "C"]
    assert listed_numbers(api_client, status="draft") == ["B"]
    assert listed_numbers(api_client, customer_id=other.id) == ["C"]
    assert listed_numbers(api_client, due_from="2025-02-01") == ["B", "C"]
    assert listed_numbers(api_client, due_to="2025-02-01") == ["A", "B"]
    assert listed_numbers(api_client, business_id=business.id, per_page=1) == ["A"]


def test_due_range_backwards_is_refused(api_client: TestClient) -> None:
    params = {"due_from": "2025-02-01", "due_to": "2025-01-01"}

    response = api_client.get(URL, params=params)

    assert response.status_code == 422
    assert response.json()["field"] == "due_to"


def test_overdue_filter_uses_each_business_time_zone(
    api_client: TestClient, session: Session, api_clock: FakeClock
) -> None:
    # 2025-03-15 12:00 UTC is already the 16th in Auckland, still the 15th in LA.
    api_clock.set(datetime(2025, 3, 15, 12, 0, tzinfo=UTC))
    auckland = make_business(session, name="NZ", timezone="Pacific/Auckland")
    los_angeles = make_business(session, name="LA", timezone="America/Los_Angeles")
    due = date(2025, 3, 15)
    for business, number in ((auckland, "NZ-1"), (los_angeles, "LA-1")):
        buyer = make_customer(session, business=business)
        make_invoice(session, customer=buyer, invoice_number=number, due_date=due)
    session.commit()

    assert listed_numbers(api_client, overdue_only=True) == ["NZ-1"]


def test_overdue_filter_uses_the_default_zone_for_businesses_without_one(
    api_client: TestClient, session: Session, api_clock: FakeClock
) -> None:
    api_clock.set(datetime(2025, 3, 15, 0, 30, tzinfo=UTC))
    business = make_business(session, timezone=None)
    buyer = make_customer(session, business=business)
    make_invoice(
        session, customer=buyer, invoice_number="D", due_date=date(2025, 3, 14)
    )
    make_invoice(
        session, customer=buyer, invoice_number="T", due_date=date(2025, 3, 15)
    )
    session.commit()

    assert listed_numbers(api_client, overdue_only=True) == ["D"]


def test_overdue_filter_leaves_out_closed_deleted_and_settled_invoices(
    api_client: TestClient, session: Session, api_clock: FakeClock
) -> None:
    business = make_business(session)
    buyer = make_customer(session, business=business)
    paused = make_customer(session, business=business, name="P", reminders_paused=True)
    past = date(2025, 1, 1)
    for status in (InvoiceStatus.DRAFT, InvoiceStatus.PAID, InvoiceStatus.CANCELLED):
        make_invoice(session, customer=buyer, status=status, due_date=past)
    make_invoice(session, customer=buyer, due_date=past, deleted_at=api_clock())
    make_invoice(
        session,
        customer=buyer,
        status=InvoiceStatus.OVERDUE,
        due_date=past,
        amount_paid=Decimal("100.00"),
    )
    for number, status in (("S", InvoiceStatus.SENT), ("V", InvoiceStatus.VIEWED)):
        make_invoice(session, customer=buyer, invoice_number=number, status=status)
    make_invoice(session, customer=paused, invoice_number="PAUSED", due_date=past)
    session.commit()

    assert listed_numbers(api_client, overdue_only=True) == ["S", "V", "PAUSED"]


def test_patch_changes_only_the_fields_sent(
    api_client: TestClient, session: Session, customer: Customer
) -> None:
    invoice = make_invoice(session, customer=customer, currency="EUR")
    session.commit()

    response = api_client.patch(f"{URL}/{invoice.id}", json={"due_date": "2025-06-30"})

    assert response.status_code == 200
    assert response.json()["due_date"] == "2025-06-30"
    assert response.json()["total"] == "100.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"total": "10.00"}, "total"),
        ({"issue_date": "2025-12-31"}, "issue_date"),
        ({"due_date": "2020-01-01"}, "due_date"),
        ({"status": "paid"}, "status"),
    ],
)
def test_patch_breaking_a_rule_changes_nothing(
    api_client: TestClient,
    session: Session,
    customer: Customer,
    body: dict[str, Any],
    field: str,
) -> None:
    invoice = make_invoice(
        session,
        customer=customer,
        status=InvoiceStatus.PARTIAL,
        amount_paid=Decimal("40.00"),
        due_date=date(2025, 3, 1),
    )
    session.commit()
    before = api_client.get(f"{URL}/{invoice.id}").json()

    response = api_client.patch(f"{URL}/{invoice.id}", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert api_client.get(f"{URL}/{invoice.id}").json() == before


@pytest.mark.parametrize("field", ["amount_paid", "currency", "business_id"])
def test_patch_cannot_set_derived_or_fixed_fields(
    api_client: TestClient, session: Session, customer: Customer, field: str
) -> None:
    invoice = make_invoice(session, customer=customer)
    session.commit()

    response = api_client.patch(f"{URL}/{invoice.id}", json={field: "1"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_patch_to_a_taken_number_conflicts(
    api_client: TestClient, session: Session, customer: Customer
) -> None:
    make_invoice(session, customer=customer, invoice_number="TAKEN")
    invoice = make_invoice(session, customer=customer, invoice_number="MINE")
    session.commit()

    response = api_client.patch(f"{URL}/{invoice.id}", json={"invoice_number": "TAKEN"})

    assert response.status_code == 409
    assert response.json()["field"] == "invoice_number"


def test_delete_hides_the_invoice_from_lists_but_keeps_it(
    api_client: TestClient, session: Session, customer: Customer, api_clock: FakeClock
) -> None:
    invoice = make_invoice(session, customer=customer, invoice_number="GONE")
    session.commit()

    response = api_client.delete(f"{URL}/{invoice.id}")

    assert response.status_code == 204
    assert listed_numbers(api_client) == []
    assert listed_numbers(api_client, include_deleted=True) == ["GONE"]
    shown = api_client.get(f"{URL}/{invoice.id}").json()
    assert shown["deleted_at"] == "2025-03-15T12:00:00Z"


def test_deleting_twice_keeps_the_first_deletion_time(
    api_client: TestClient, session: Session, customer: Customer, api_clock: FakeClock
) -> None:
    invoice = make_invoice(session, customer=customer)
    session.commit()
    api_client.delete(f"{URL}/{invoice.id}")
    api_clock.set(datetime(2025, 4, 1, tzinfo=UTC))

    response = api_client.delete(f"{URL}/{invoice.id}")

    assert response.status_code == 204
    shown = api_client.get(f"{URL}/{invoice.id}").json()
    assert shown["deleted_at"] == "2025-03-15T12:00:00Z"


def test_deleted_invoice_cannot_be_changed(
    api_client: TestClient, session: Session, customer: Customer
) -> None:
    invoice = make_invoice(
        session, customer=customer, deleted_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    session.commit()

    response = api_client.patch(f"{URL}/{invoice.id}", json={"total": "5.00"})

    assert response.status_code == 409
    assert response.json()["field"] == "invoice_id"


def test_deleted_invoice_keeps_its_number(
    api_client: TestClient, customer: Customer
) -> None:
    created = api_client.post(URL, json=invoice_body(customer)).json()
    api_client.delete(f"{URL}/{created['id']}")

    response = api_client.post(URL, json=invoice_body(customer))

    assert response.status_code == 409
