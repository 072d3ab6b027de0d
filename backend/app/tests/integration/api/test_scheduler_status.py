from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.executions.models import RunStatus, RunTrigger
from app.tests.support.clock import FakeClock
from app.tests.support.operations import (
    FakeScheduler,
    client_for,
    make_run,
    settings_for,
)

URL = "/api/v1/scheduler/status"


def test_status_without_a_scheduler_here_computes_the_next_run_from_the_schedule(
    database_url: str, clock: FakeClock
) -> None:
    settings = settings_for(
        database_url,
        overdue_invoice_schedule_value="0 8 * * 1",
        overdue_invoice_timezone="Europe/Berlin",
    )

    with client_for(settings, clock=clock) as client:
        response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["scheduler_running_here"] is False
    assert body["scheduler_enabled"] is False
    assert body["schedule"]["type"] == "cron"
    assert body["schedule"]["value"] == "0 8 * * 1"
    assert body["schedule"]["timezone"] == "Europe/Berlin"
    for part in ("Monday", "08:00", "Europe/Berlin"):
        assert part in body["schedule"]["description"]
    # Saturday 15 March 2025 noon UTC: the next Monday 08:00 in Berlin (CET).
    assert body["next_run_time"] == "2025-03-17T07:00:00Z"
    assert body["config_warnings"] == []


def test_status_shows_an_interval_schedule(database_url: str, clock: FakeClock) -> None:
    settings = settings_for(
        database_url,
        overdue_invoice_schedule_type="interval",
        overdue_invoice_schedule_value="6",
    )

    with client_for(settings, clock=clock) as client:
        body = client.get(URL).json()

    assert body["schedule"]["type"] == "interval"
    assert body["schedule"]["value"] == "6"
    assert "6 hours" in body["schedule"]["description"]
    next_run = datetime.fromisoformat(body["next_run_time"])
    assert clock.now < next_run <= clock.now + timedelta(hours=6)


def test_status_shows_the_warning_of_an_invalid_value_and_the_default_in_force(
    database_url: str, clock: FakeClock
) -> None:
    settings = settings_for(database_url, overdue_invoice_schedule_value="0 25 * * *")

    with client_for(settings, clock=clock) as client:
        body = client.get(URL).json()

    assert len(body["config_warnings"]) == 1
    assert "OVERDUE_INVOICE_SCHEDULE_VALUE" in body["config_warnings"][0]
    assert "0 25 * * *" in body["config_warnings"][0]
    assert body["schedule"]["value"] == "0 0 * * *"
    assert body["next_run_time"] == "2025-03-16T00:00:00Z"


def test_status_shows_the_scheduler_running_here_and_its_next_run(
    database_url: str, clock: FakeClock
) -> None:
    next_run = datetime(2025, 3, 16, 0, 0, tzinfo=UTC)
    scheduler = FakeScheduler(is_running=True, next_run=next_run)

    with client_for(
        settings_for(database_url), clock=clock, scheduler=scheduler
    ) as client:
        body = client.get(URL).json()

    assert body["scheduler_running_here"] is True
    assert body["next_run_time"] == "2025-03-16T00:00:00Z"


def test_status_of_a_stopped_scheduler_here_shows_no_next_run(
    database_url: str, clock: FakeClock
) -> None:
    scheduler = FakeScheduler(is_running=False, next_run=None)

    with client_for(
        settings_for(database_url), clock=clock, scheduler=scheduler
    ) as client:
        body = client.get(URL).json()

    assert body["scheduler_running_here"] is False
    assert body["next_run_time"] is None


def test_status_shows_the_last_run_and_the_last_successful_one(
    api_client: TestClient, session: Session
) -> None:
    day = datetime(2025, 3, 14, 0, 0, tzinfo=UTC)
    success = make_run(
        session,
        start_time=day - timedelta(days=1),
        duration=timedelta(seconds=42),
        invoices_processed=10,
        notifications_created=4,
    )
    make_run(
        session,
        start_time=day - timedelta(hours=1),
        trigger=RunTrigger.MANUAL,
        dry_run=True,
    )
    failed = make_run(
        session,
        start_time=day,
        status=RunStatus.FAILED,
        error_count=1,
        error_details="OperationalError: connection lost",
    )
    session.commit()

    body = api_client.get(URL).json()

    assert body["last_execution"]["id"] == str(failed.id)
    assert body["last_execution"]["status"] == "failed"
    assert body["last_execution"]["has_errors"] is True
    last_success = body["last_successful_execution"]
    assert last_success["id"] == str(success.id)
    assert last_success["duration_seconds"] == 42.0
    assert last_success["invoices_processed"] == 10
    assert last_success["notifications_created"] == 4
    assert last_success["has_errors"] is False
    assert last_success["start_time"] == "2025-03-13T00:00:00Z"
    assert last_success["end_time"] == "2025-03-13T00:00:42Z"


def test_status_of_a_new_deployment_has_no_runs(api_client: TestClient) -> None:
    body = api_client.get(URL).json()

    assert body["last_execution"] is None
    assert body["last_successful_execution"] is None


def test_a_run_in_progress_is_the_last_run_without_a_duration(
    api_client: TestClient, session: Session
) -> None:
    make_run(session, start_time=datetime(2025, 3, 14, tzinfo=UTC))
    running = make_run(
        session,
        start_time=datetime(2025, 3, 15, tzinfo=UTC),
        status=RunStatus.RUNNING,
        duration=None,
    )
    session.commit()

    body = api_client.get(URL).json()

    assert body["last_execution"]["id"] == str(running.id)
    assert body["last_execution"]["status"] == "running"
    assert body["last_execution"]["end_time"] is None
    assert body["last_execution"]["duration_seconds"] is None
    assert body["last_successful_execution"]["id"] != str(running.id)
