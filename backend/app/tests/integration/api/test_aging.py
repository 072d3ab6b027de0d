from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.customers.models import Customer
from app.invoices.models import InvoiceStatus
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice

URL = "/api/v1/reports/aging"
TODAY = date(2025, 3, 15)
BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


def owed(
    session: Session,
    customer: Customer,
    days_overdue: int | None,
    total: str,
    **fields: Any,
) -> None:
    due = None if days_overdue is None else TODAY - timedelta(days=days_overdue)
    make_invoice(
        session,
        customer=customer,
        due_date=due,
        issue_date=date(2024, 1, 1),
        total=Decimal(total),
        **fields,
    )


def bucket_table(row: dict[str, Any]) -> dict[str, tuple[str, int]]:
    names = (*BUCKETS, "total")
    return {name: (row[name]["amount"], row[name]["count"]) for name in names}


def test_balances_fall_into_buckets_by_days_overdue(
    api_client: TestClient, session: Session, api_clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    for days, total in [
        (None, "1.00"),
        (-5, "2.00"),
        (0, "4.00"),
        (1, "10.00"),
        (30, "20.00"),
        (31, "100.00"),
        (60, "200.00"),
        (61, "1000.00"),
        (90, "2000.00"),
        (91, "10000.00"),
        (400, "20000.00"),
    ]:
        owed(session, customer, days, total)
    session.commit()

    response = api_client.get(URL)

    assert response.status_code == 200
    [row] = response.json()["items"]
    assert (row["as_of"], row["currency"]) == ("2025-03-15", "USD")
    assert bucket_table(row) == {
        "not_due": ("7.00", 3),
        "days_1_30": ("30.00", 2),
        "days_31_60": ("300.00", 2),
        "days_61_90": ("3000.00", 2),
        "days_over_90": ("30000.00", 2),
        "total": ("33337.00", 11),
    }


def test_only_open_balances_count(
    api_client: TestClient, session: Session, api_clock: FakeClock
) -> None:
    business = make_business(session)
    customer = make_customer(session, business=business)
    paused = make_customer(session, business=business, name="P", reminders_paused=True)
    owed(session, customer, 10, "100.00", amount_paid=Decimal("60.00"))
    owed(session, paused, 10, "5.00")
    for status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED, InvoiceStatus.PAID):
        owed(session, customer, 10, "999.00", status=status)
    owed(session, customer, 10, "999.00", deleted_at=api_clock())
    session.commit()

    [row] = api_client.get(URL).json()["items"]

    assert bucket_table(row)["days_1_30"] == ("45.00", 2)
    assert bucket_table(row)["total"] == ("45.00", 2)


def test_each_business_ages_from_its_own_today(
    api_client: TestClient, session: Session, api_clock: FakeClock
) -> None:
    # 2025-03-15 12:00 UTC is already the 16th in Auckland.
    api_clock.set(datetime(2025, 3, 15, 12, 0, tzinfo=UTC))
    for name, zone in (("NZ", "Pacific/Auckland"), ("UK", "Europe/London")):
        business = make_business(session, name=name, timezone=zone)
        owed(session, make_customer(session, business=business), 0, "10.00")
    session.commit()

    rows = api_client.get(URL).json()["items"]

    summary = {row["business_name"]: (row["as_of"], row["days_1_30"]) for row in rows}
    assert summary == {
        "NZ": ("2025-03-16", {"amount": "10.00", "count": 1}),
        "UK": ("2025-03-15", {"amount": "0.00", "count": 0}),
    }


def test_one_row_per_business_and_currency(
    api_client: TestClient, session: Session, api_clock: FakeClock
) -> None:
    first = make_customer(session, business=make_business(session, name="A"))
    second = make_customer(session, business=make_business(session, name="B"))
    owed(session, first, 5, "1.00")
    owed(session, first, 5, "2.00", currency="CAD")
    owed(session, second, 5, "4.00")
    session.commit()

    rows = api_client.get(URL).json()["items"]

    assert [
        (r["business_name"], r["currency"], r["total"]["amount"]) for r in rows
    ] == [
        ("A", "CAD", "2.00"),
        ("A", "USD", "1.00"),
        ("B", "USD", "4.00"),
    ]


def test_report_filters_by_business_and_currency(
    api_client: TestClient, session: Session, api_clock: FakeClock
) -> None:
    first = make_customer(session, business=make_business(session, name="A"))
    second = make_customer(session, business=make_business(session, name="B"))
    owed(session, first, 5, "1.00")
    owed(session, first, 5, "2.00", currency="CAD")
    owed(session, second, 5, "4.00")
    session.commit()

    by_business = api_client.get(URL, params={"business_id": second.business_id})
    by_currency = api_client.get(URL, params={"currency": "cad"})

    assert [r["business_name"] for r in by_business.json()["items"]] == ["B"]
    assert [r["currency"] for r in by_currency.json()["items"]] == ["CAD"]


def test_report_without_invoices_is_empty(
    api_client: TestClient, api_clock: FakeClock
) -> None:
    response = api_client.get(URL)

    assert response.json() == {"generated_at": "2025-03-15T12:00:00Z", "items": []}


def test_unknown_currency_filter_is_refused(api_client: TestClient) -> None:
    response = api_client.get(URL, params={"currency": "XYZ"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.currency"
