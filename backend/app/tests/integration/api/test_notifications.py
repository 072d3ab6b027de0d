from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.invoices.models import Invoice
from app.tests.support.clock import FakeClock
from app.tests.support.factories import (
    make_business,
    make_customer,
    make_invoice,
    make_notification,
)
from app.tests.support.overdue import run

URL = "/api/v1/notifications"


def invoice_of_new_business(session: Session, name: str = "Acme") -> Invoice:
    customer = make_customer(session, business=make_business(session, name=name))
    return make_invoice(session, customer=customer, due_date=date(2025, 3, 1))


def listed_ids(api_client: TestClient, **params: Any) -> list[int]:
    response = api_client.get(URL, params=params)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def test_list_is_newest_first(api_client: TestClient, session: Session) -> None:
    invoice = invoice_of_new_business(session)
    older = make_notification(
        session, invoice=invoice, stage=1, created_at=datetime(2025, 3, 1, tzinfo=UTC)
    )
    newer = make_notification(
        session, invoice=invoice, stage=7, created_at=datetime(2025, 3, 7, tzinfo=UTC)
    )
    session.commit()

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json()["total"] == 2
    assert [item["id"] for item in response.json()["items"]] == [newer.id, older.id]
    assert response.json()["items"][0]["resource_type"] == "invoice"


def test_list_filters_by_read_state_business_and_invoice(
    api_client: TestClient, session: Session
) -> None:
    first = invoice_of_new_business(session, "A")
    second = invoice_of_new_business(session, "B")
    unread = make_notification(session, invoice=first, stage=1)
    read = make_notification(session, invoice=first, stage=7, is_read=True)
    other = make_notification(session, invoice=second, stage=1)
    session.commit()

    assert sorted(listed_ids(api_client, is_read=False)) == [unread.id, other.id]
    assert listed_ids(api_client, is_read=True) == [read.id]
    assert listed_ids(api_client, business_id=second.business_id) == [other.id]
    assert sorted(listed_ids(api_client, invoice_id=first.id)) == [unread.id, read.id]


def test_mark_one_read(api_client: TestClient, session: Session) -> None:
    notification = make_notification(session, invoice=invoice_of_new_business(session))
    session.commit()

    response = api_client.post(f"{URL}/{notification.id}/read")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert api_client.get(f"{URL}/{notification.id}").json()["is_read"] is True


def test_mark_all_read_counts_only_what_changed(
    api_client: TestClient, session: Session
) -> None:
    invoice = invoice_of_new_business(session)
    for stage in (1, 7):
        make_notification(session, invoice=invoice, stage=stage)
    make_notification(session, invoice=invoice, stage=14, is_read=True)
    session.commit()

    response = api_client.post(f"{URL}/read-all")

    assert response.json() == {"marked_read": 2}
    assert listed_ids(api_client, is_read=False) == []


def test_mark_all_read_of_one_business_leaves_the_others(
    api_client: TestClient, session: Session
) -> None:
    mine = make_notification(session, invoice=invoice_of_new_business(session, "A"))
    theirs = make_notification(session, invoice=invoice_of_new_business(session, "B"))
    session.commit()

    response = api_client.post(
        f"{URL}/read-all", params={"business_id": mine.business_id}
    )

    assert response.json() == {"marked_read": 1}
    assert listed_ids(api_client, is_read=False) == [theirs.id]


def test_unknown_notification_is_not_found(api_client: TestClient) -> None:
    response = api_client.post(f"{URL}/77/read")

    assert response.status_code == 404
    assert response.json()["field"] == "notification_id"


def test_is_read_must_be_a_boolean(api_client: TestClient) -> None:
    response = api_client.get(URL, params={"is_read": "maybe"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.is_read"


def test_overdue_run_notifications_are_listed(
    api_client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    invoice = invoice_of_new_business(session)
    session.commit()

    run(session_factory, clock)

    items = api_client.get(URL, params={"invoice_id": invoice.id}).json()["items"]
    assert [(item["kind"], item["stage"]) for item in items] == [("payment_overdue", 1)]
    assert items[0]["business_id"] == invoice.business_id
    assert items[0]["is_read"] is False
