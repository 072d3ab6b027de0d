from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.tests.support.factories import make_business, make_customer, make_invoice

URL = "/api/v1/businesses"


def test_create_business_answers_it_with_an_id(api_client: TestClient) -> None:
    body = {"name": " Acme ", "timezone": "Europe/Berlin", "currency": "eur"}

    response = api_client.post(URL, json=body)

    assert response.status_code == 201
    created = response.json()
    assert created["id"] >= 1
    assert (created["name"], created["currency"]) == ("Acme", "EUR")
    assert api_client.get(f"{URL}/{created['id']}").json() == created


def test_business_without_time_zone_uses_the_default(api_client: TestClient) -> None:
    response = api_client.post(URL, json={"name": "Acme", "currency": "USD"})

    assert response.status_code == 201
    assert response.json()["timezone"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", "../../etc/passwd"),
        ("currency", "ABC"),
        ("currency", "EURO"),
        ("name", ""),
        ("name", "x" * 201),
        ("name", "bad\x00name"),
    ],
)
def test_invalid_business_is_refused_naming_the_field(
    api_client: TestClient, field: str, value: str
) -> None:
    body = {"name": "Acme", "timezone": "UTC", "currency": "USD", field: value}

    response = api_client.post(URL, json=body)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert api_client.get(URL).json()["total"] == 0


def test_unknown_field_is_refused(api_client: TestClient) -> None:
    body = {"name": "Acme", "currency": "USD", "tz": "UTC"}

    response = api_client.post(URL, json=body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tz"


def test_list_businesses_is_paginated(api_client: TestClient, session: Session) -> None:
    for number in range(5):
        make_business(session, name=f"B{number}")
    session.commit()

    response = api_client.get(URL, params={"page": 2, "per_page": 2})

    assert response.status_code == 200
    page = response.json()
    assert {k: page[k] for k in ("total", "page", "per_page", "total_pages")} == {
        "total": 5,
        "page": 2,
        "per_page": 2,
        "total_pages": 3,
    }
    assert [item["name"] for item in page["items"]] == ["B2", "B3"]


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"per_page": 0}, {"per_page": 101}, {"page": "x"}]
)
def test_bad_pagination_is_refused(
    api_client: TestClient, params: dict[str, object]
) -> None:
    response = api_client.get(URL, params=params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("query.")


def test_unknown_business_is_not_found(api_client: TestClient) -> None:
    response = api_client.get(f"{URL}/42")

    assert response.status_code == 404
    assert response.json()["field"] == "business_id"


@pytest.mark.parametrize("business_id", ["abc", "0", "-1", "1.5", str(2**63)])
def test_malformed_business_id_is_refused(
    api_client: TestClient, business_id: str
) -> None:
    response = api_client.get(f"{URL}/{business_id}")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.business_id"


def test_update_changes_only_the_fields_sent(
    api_client: TestClient, session: Session
) -> None:
    business = make_business(session, name="Old", timezone="UTC", currency="USD")
    session.commit()

    response = api_client.patch(f"{URL}/{business.id}", json={"name": "New"})

    assert response.status_code == 200
    assert response.json()["name"] == "New"
    assert response.json()["timezone"] == "UTC"


def test_update_may_clear_the_time_zone(
    api_client: TestClient, session: Session
) -> None:
    business = make_business(session, timezone="Europe/Berlin")
    session.commit()

    response = api_client.patch(f"{URL}/{business.id}", json={"timezone": None})

    assert response.status_code == 200
    assert response.json()["timezone"] is None


def test_update_refuses_a_null_currency(
    api_client: TestClient, session: Session
) -> None:
    business = make_business(session)
    session.commit()

    response = api_client.patch(f"{URL}/{business.id}", json={"currency": None})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "currency"


def test_currency_may_change_while_there_are_no_invoices(
    api_client: TestClient, session: Session
) -> None:
    business = make_business(session, currency="USD")
    session.commit()

    response = api_client.patch(f"{URL}/{business.id}", json={"currency": "NZD"})

    assert response.status_code == 200
    assert response.json()["currency"] == "NZD"


def test_currency_cannot_change_once_there_are_invoices(
    api_client: TestClient, session: Session
) -> None:
    business = make_business(session, currency="USD")
    make_invoice(session, customer=make_customer(session, business=business))
    session.commit()

    response = api_client.patch(f"{URL}/{business.id}", json={"currency": "EUR"})

    assert response.status_code == 409
    assert response.json()["field"] == "currency"
    assert api_client.get(f"{URL}/{business.id}").json()["currency"] == "USD"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/businesses"),
        ("GET", "/api/v1/customers"),
        ("GET", "/api/v1/invoices"),
        ("POST", "/api/v1/invoices/1/payments"),
        ("POST", "/api/v1/invoices/import"),
        ("GET", "/api/v1/notifications"),
        ("GET", "/api/v1/reports/aging"),
    ],
)
def test_every_resource_needs_a_bearer_token(
    api_client: TestClient, method: str, path: str
) -> None:
    del api_client.headers["Authorization"]

    response = api_client.request(method, path)

    assert response.status_code == 401
