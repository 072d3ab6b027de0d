from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.executions.models import JobExecutionLog, RunStatus, RunTrigger
from app.tests.support.operations import make_run

URL = "/api/v1/scheduler/executions"
MARCH_1 = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)


def runs_on_days(session: Session, days: int) -> list[JobExecutionLog]:
    """One completed run at 06:00 UTC on each of the first `days` days of March."""
    runs = [
        make_run(session, start_time=MARCH_1 + timedelta(days=day, hours=6))
        for day in range(days)
    ]
    session.commit()
    return runs


def listed(api_client: TestClient, **params: Any) -> dict[str, Any]:
    response = api_client.get(URL, params=params)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [execution["id"] for execution in body["executions"]]


def test_list_is_newest_first_in_the_documented_envelope(
    api_client: TestClient, session: Session
) -> None:
    runs = runs_on_days(session, 3)

    body = listed(api_client)

    assert set(body) == {"total", "page", "per_page", "total_pages", "executions"}
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 20)
    assert body["total_pages"] == 1
    assert ids(body) == [str(run.id) for run in reversed(runs)]
    assert body["executions"][0]["duration_seconds"] == 30.0
    assert "error_details" not in body["executions"][0]


def test_pages_split_the_history(api_client: TestClient, session: Session) -> None:
    runs = runs_on_days(session, 5)
    newest_first = [str(run.id) for run in reversed(runs)]

    first = listed(api_client, page=1, per_page=2)
    last = listed(api_client, page=3, per_page=2)
    beyond = listed(api_client, page=4, per_page=2)

    assert first["total_pages"] == 3
    assert ids(first) == newest_first[:2]
    assert ids(last) == newest_first[4:]
    assert beyond["executions"] == []
    assert beyond["total"] == 5


@pytest.mark.parametrize("per_page", [0, 101, -1])
def test_per_page_outside_1_to_100_is_refused(
    api_client: TestClient, per_page: int
) -> None:
    response = api_client.get(URL, params={"per_page": per_page})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.per_page"


def test_per_page_100_is_accepted(api_client: TestClient) -> None:
    assert listed(api_client, per_page=100)["per_page"] == 100


def test_status_filter_keeps_only_runs_of_that_status(
    api_client: TestClient, session: Session
) -> None:
    hour = timedelta(hours=1)
    make_run(session, start_time=MARCH_1)
    failed = make_run(session, start_time=MARCH_1 + hour, status=RunStatus.FAILED)
    running = make_run(
        session, start_time=MARCH_1 + 2 * hour, status=RunStatus.RUNNING, duration=None
    )
    session.commit()

    assert ids(listed(api_client, status="failed")) == [str(failed.id)]
    assert ids(listed(api_client, status="running")) == [str(running.id)]
    assert listed(api_client, status="completed")["total"] == 1


def test_an_unknown_status_is_refused(api_client: TestClient) -> None:
    response = api_client.get(URL, params={"status": "exploded"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["value"] == "exploded"


def test_date_filters_are_inclusive_utc_days(
    api_client: TestClient, session: Session
) -> None:
    runs = runs_on_days(session, 5)

    body = listed(api_client, start_date="2025-03-02", end_date="2025-03-04")

    assert ids(body) == [str(run.id) for run in reversed(runs[1:4])]


def test_start_date_alone_and_end_date_alone_bound_one_side(
    api_client: TestClient, session: Session
) -> None:
    runs = runs_on_days(session, 5)

    since = listed(api_client, start_date="2025-03-04")
    until = listed(api_client, end_date="2025-03-01")

    assert ids(since) == [str(runs[4].id), str(runs[3].id)]
    assert ids(until) == [str(runs[0].id)]


def test_the_last_possible_end_date_has_no_upper_bound(
    api_client: TestClient, session: Session
) -> None:
    runs_on_days(session, 2)

    assert listed(api_client, end_date="9999-12-31")["total"] == 2


def test_end_date_before_start_date_is_refused_naming_the_field(
    api_client: TestClient,
) -> None:
    response = api_client.get(
        URL, params={"start_date": "2025-03-05", "end_date": "2025-03-01"}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "end_date"
    assert "2025-03-05" in response.json()["detail"]


def test_filters_combine_with_pages(api_client: TestClient, session: Session) -> None:
    for day in range(4):
        make_run(
            session,
            start_time=MARCH_1 + timedelta(days=day),
            status=RunStatus.FAILED if day % 2 else RunStatus.COMPLETED,
        )
    session.commit()

    body = listed(api_client, status="failed", start_date="2025-03-02", per_page=1)

    assert body["total"] == 2
    assert body["total_pages"] == 2
    assert body["executions"][0]["start_time"] == "2025-03-04T00:00:00Z"


def test_one_execution_shows_its_error_details(
    api_client: TestClient, session: Session
) -> None:
    run = make_run(
        session,
        start_time=MARCH_1,
        trigger=RunTrigger.MANUAL,
        invoices_processed=3,
        error_count=1,
        error_details="invoice 7 (INV-7): value too long",
    )
    session.commit()

    response = api_client.get(f"{URL}/{run.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(run.id)
    assert body["trigger"] == "manual"
    assert body["slot"] is None
    assert body["error_count"] == 1
    assert body["has_errors"] is True
    assert body["error_details"] == "invoice 7 (INV-7): value too long"
    assert body["heartbeat_at"] == "2025-03-01T00:00:30Z"


def test_an_unknown_execution_id_is_404_naming_it(api_client: TestClient) -> None:
    unknown = uuid.uuid4()

    response = api_client.get(f"{URL}/{unknown}")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert response.json()["detail"] == f"no execution with id {unknown}"


@pytest.mark.parametrize("malformed", ["42", "not-a-uuid", "0" * 33])
def test_a_malformed_execution_id_is_422(
    api_client: TestClient, malformed: str
) -> None:
    response = api_client.get(f"{URL}/{malformed}")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.execution_id"
