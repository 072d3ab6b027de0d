from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.api.clock import get_clock
from app.executions.models import JobExecutionLog, RunStatus, RunTrigger
from app.invoices.models import Invoice, InvoiceStatus
from app.notifications.models import Notification
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.operations import make_run

URL = "/api/v1/scheduler/run"
NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


class GatedClock(FakeClock):
    """Background runs stop at their first look at the clock until `open()`."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self.gate = threading.Event()

    def __call__(self) -> datetime:
        if threading.current_thread().name.startswith("manual-run"):
            assert self.gate.wait(timeout=30), "the test never opened the gate"
        return super().__call__()

    def open(self) -> None:
        self.gate.set()


def app_of(client: TestClient) -> FastAPI:
    assert isinstance(client.app, FastAPI)
    return client.app


def wait_for_background_runs(client: TestClient) -> None:
    app_of(client).state.background_runs.join(timeout_s=30)


def overdue_invoice(session: Session) -> Invoice:
    customer = make_customer(session, business=make_business(session))
    invoice = make_invoice(session, customer=customer, due_date=date(2025, 3, 1))
    session.commit()
    return invoice


def count_rows(factory: sessionmaker[Session], model: type[Any]) -> int:
    """In a short session of its own: on SQLite an open one would block the app."""
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def execution(client: TestClient, run_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/scheduler/executions/{run_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_a_run_answers_202_with_its_id_before_its_work_is_done(
    api_client: TestClient,
) -> None:
    # No invoices: the run's only look at the clock is after its work, outside
    # any transaction, so holding it there blocks nothing but the run.
    clock = GatedClock(NOW)
    app_of(api_client).dependency_overrides[get_clock] = lambda: clock

    response = api_client.post(URL, json={"dry_run": False})
    while_running = execution(api_client, response.json()["id"])
    clock.open()
    wait_for_background_runs(api_client)
    finished = execution(api_client, response.json()["id"])

    assert response.status_code == 202
    assert response.json()["status"] == "running"
    assert response.json()["dry_run"] is False
    assert response.headers["Location"] == response.json()["execution_url"]
    assert while_running["status"] == "running"
    assert while_running["end_time"] is None
    assert finished["status"] == "completed"


def test_a_real_run_creates_the_notifications_and_records_the_run(
    api_client: TestClient,
    api_clock: FakeClock,
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    overdue_invoice(session)

    response = api_client.post(URL, json={"dry_run": False})
    wait_for_background_runs(api_client)
    finished = execution(api_client, response.json()["id"])

    assert finished["status"] == "completed"
    assert finished["trigger"] == "manual"
    assert finished["dry_run"] is False
    assert finished["slot"] is None
    assert finished["start_time"] == "2025-03-15T12:00:00Z"
    assert finished["invoices_processed"] == 1
    assert finished["notifications_created"] == 1
    assert count_rows(session_factory, Notification) == 1


def test_a_second_run_while_one_is_in_progress_is_409(
    api_client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    clock = GatedClock(NOW)
    app_of(api_client).dependency_overrides[get_clock] = lambda: clock
    first = api_client.post(URL, json={"dry_run": False})

    second = api_client.post(URL, json={"dry_run": False})
    dry = api_client.post(URL, json={"dry_run": True})
    clock.open()
    wait_for_background_runs(api_client)

    assert first.status_code == 202
    for refused in (second, dry):
        assert refused.status_code == 409
        assert refused.json()["error"] == "run_in_progress"
        assert first.json()["id"] in refused.json()["detail"]
    assert count_rows(session_factory, JobExecutionLog) == 1


def test_a_run_of_another_process_in_progress_blocks_a_manual_run(
    api_client: TestClient, api_clock: FakeClock, session: Session
) -> None:
    other = make_run(
        session,
        start_time=api_clock.now - timedelta(minutes=1),
        status=RunStatus.RUNNING,
        duration=None,
    )
    session.commit()

    response = api_client.post(URL, json={"dry_run": False})

    assert response.status_code == 409
    assert response.json()["value"] == str(other.id)


def test_a_run_whose_process_died_does_not_block_and_is_marked_failed(
    api_client: TestClient, api_clock: FakeClock, session: Session
) -> None:
    dead = make_run(
        session,
        start_time=api_clock.now - timedelta(hours=1),
        status=RunStatus.RUNNING,
        duration=None,
    )
    session.commit()

    response = api_client.post(URL, json={"dry_run": False})
    wait_for_background_runs(api_client)

    assert response.status_code == 202
    assert execution(api_client, str(dead.id))["status"] == "failed"
    assert execution(api_client, response.json()["id"])["status"] == "completed"


def test_a_dry_run_answers_what_would_be_notified_and_writes_nothing(
    api_client: TestClient,
    api_clock: FakeClock,
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    invoice = overdue_invoice(session)

    response = api_client.post(URL, json={"dry_run": True})

    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True
    assert body["status"] == "completed"
    assert body["would_notify"] == 1
    assert body["invoices_processed"] == 1
    [planned] = body["planned"]
    assert planned["invoice_id"] == invoice.id
    assert planned["invoice_number"] == invoice.invoice_number
    assert planned["stage"] == 1
    assert planned["days_overdue"] == 14
    recorded = execution(api_client, body["id"])
    assert recorded["dry_run"] is True
    assert recorded["trigger"] == RunTrigger.MANUAL
    assert recorded["notifications_created"] == 0
    assert count_rows(session_factory, Notification) == 0
    with session_factory() as fresh:
        unchanged = fresh.get(Invoice, invoice.id)
    assert unchanged is not None
    assert unchanged.status is InvoiceStatus.SENT


def test_a_run_without_a_body_is_a_real_run(
    api_client: TestClient,
    api_clock: FakeClock,
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    overdue_invoice(session)

    response = api_client.post(URL)
    wait_for_background_runs(api_client)

    assert response.status_code == 202
    assert count_rows(session_factory, Notification) == 1


@pytest.mark.parametrize("body", [{"dry_run": "maybe"}, {"dry_run": None}, [1]])
def test_a_malformed_body_is_422(api_client: TestClient, body: Any) -> None:
    response = api_client.post(URL, json=body)

    assert response.status_code == 422
