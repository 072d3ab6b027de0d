from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.tests.support.factories import make_business, make_customer

URL = "/api/v1/customers"


def test_create_customer_answers_it(api_client: TestClient, session: Session) -> None:
    business = make_business(session)
    session.commit()
    body = {"business_id": business.id, "name": "Jo", "email": "jo@example.com"}

    response = api_client.post(URL, json=body)

    assert response.status_code == 201
    created = response.json()
    assert created["business_id"] == business.id
    assert created["reminders_paused"] is False
    assert api_client.get(f"{URL}/{created['id']}").json() == created


def test_customer_of_unknown_business_is_refused(api_client: TestClient) -> None:
    response = api_client.post(URL, json={"business_id": 7, "name": "Jo"})

    assert response.status_code == 422
    assert response.json()["field"] == "business_id"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("name", " "),
        ("name", "x" * 201),
        ("name", "two\nlines"),
        ("business_id", 0),
        ("business_id", "one"),
        ("reminders_paused", "perhaps"),
    ],
)
def test_invalid_customer_is_refused_naming_the_field(
    api_client: TestClient, session: Session, field: str, value: object
) -> None:
    business = make_business(session)
    session.commit()
    body = {"business_id": business.id, "name": "Jo", field: value}

    response = api_client.post(URL, json=body)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_second_customer_with_the_same_name_conflicts(
    api_client: TestClient, session: Session
) -> None:
    business = make_business(session)
    make_customer(session, business=business, name="Jo")
    session.commit()

    response = api_client.post(URL, json={"business_id": business.id, "name": "Jo"})

    assert response.status_code == 409
    assert response.json()["field"] == "name"


def test_same_name_in_another_business_is_fine(
    api_client: TestClient, session: Session
) -> None:
    make_customer(session, business=make_business(session, name="A"), name="Jo")
    other = make_business(session, name="B")
    session.commit()

    response = api_client.post(URL, json={"business_id": other.id, "name": "Jo"})

    assert response.status_code == 201


def test_list_filters_by_business(api_client: TestClient, session: Session) -> None:
    first, second = make_business(session), make_business(session)
    make_customer(session, business=first, name="A")
    make_customer(session, business=second, name="B")
    session.commit()

    response = api_client.get(URL, params={"business_id": second.id})

    assert [item["name"] for item in response.json()["items"]] == ["B"]


def test_update_pauses_reminders_and_clears_email(
    api_client: TestClient, session: Session
) -> None:
    customer = make_customer(session, business=make_business(session))
    session.commit()
    body = {"reminders_paused": True, "email": None}

    response = api_client.patch(f"{URL}/{customer.id}", json=body)

    assert response.status_code == 200
    assert response.json()["reminders_paused"] is True
    assert response.json()["email"] is None
    assert response.json()["name"] == customer.name


def test_rename_to_a_taken_name_conflicts(
    api_client: TestClient, session: Session
) -> None:
    business = make_business(session)
    make_customer(session, business=business, name="Taken")
    customer = make_customer(session, business=business, name="Mine")
    session.commit()

    response = api_client.patch(f"{URL}/{customer.id}", json={"name": "Taken"})

    assert response.status_code == 409
    assert api_client.get(f"{URL}/{customer.id}").json()["name"] == "Mine"


@pytest.mark.parametrize("field", ["name", "reminders_paused"])
def test_update_refuses_null_for_required_fields(
    api_client: TestClient, session: Session, field: str
) -> None:
    customer = make_customer(session, business=make_business(session))
    session.commit()

    response = api_client.patch(f"{URL}/{customer.id}", json={field: None})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_unknown_customer_is_not_found(api_client: TestClient) -> None:
    response = api_client.patch(f"{URL}/99", json={"name": "X"})

    assert response.status_code == 404
    assert response.json()["field"] == "customer_id"
