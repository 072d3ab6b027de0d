from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.migrations import alembic_config
from app.executions.models import RunStatus, RunTrigger
from app.schedule.slots import Schedule
from app.tests.support.clock import FakeClock
from app.tests.support.operations import (
    FakeScheduler,
    client_for,
    make_run,
    settings_for,
)
from app.tests.support.postgres import PostgresServer

URL = "/api/health/readiness"
FIRST_REVISION = "298dd1eda420"


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def readiness(client: TestClient) -> tuple[int, dict[str, Any]]:
    """Asked the way a platform's probe asks: without a token."""
    client.headers.pop("Authorization", None)
    response = client.get(URL)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def detail_of(body: dict[str, Any], name: str) -> str:
    [check] = [check for check in body["checks"] if check["name"] == name]
    detail: str = check["detail"]
    return detail


def test_a_migrated_database_is_ready(api_client: TestClient) -> None:
    status, body = readiness(api_client)

    assert status == 200
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert [check["name"] for check in body["checks"]] == [
        "database",
        "schema",
        "scheduler",
    ]
    assert all(check["ok"] for check in body["checks"])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def behind_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated only to the first revision, the one the checklist names."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database()
    command.upgrade(alembic_config(url), FIRST_REVISION)
    yield url
    if request.param == "postgres":
        server.drop_database(url)


def test_a_schema_behind_the_latest_migration_is_not_ready(behind_url: str) -> None:
    with client_for(settings_for(behind_url)) as client:
        status, body = readiness(client)

    assert status == 503
    assert body["status"] == "not_ready"
    assert body["failing"] == ["schema"]
    assert f"at revision {FIRST_REVISION}" in detail_of(body, "schema")
    assert "run the migrations" in detail_of(body, "schema")


def test_an_empty_database_without_migrations_is_not_ready(tmp_path: Path) -> None:
    with client_for(settings_for(f"sqlite:///{tmp_path / 'empty.sqlite3'}")) as client:
        status, body = readiness(client)

    assert status == 503
    assert body["failing"] == ["schema"]
    assert "at revision None" in detail_of(body, "schema")


def test_a_sqlite_file_that_cannot_be_opened_is_not_ready(tmp_path: Path) -> None:
    # The path is a directory: SQLite cannot open it as a database.
    with client_for(settings_for(f"sqlite:///{tmp_path}")) as client:
        status, body = readiness(client)

    assert status == 503
    assert body["failing"] == ["database"]
    assert detail_of(body, "database").startswith("does not answer")
    assert "schema" not in [check["name"] for check in body["checks"]]


@pytest.mark.postgres
def test_a_postgres_database_that_goes_away_makes_the_service_not_ready(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database()
    command.upgrade(alembic_config(url), "head")

    with client_for(settings_for(url)) as client:
        before, _ = readiness(client)
        postgres_server.drop_database(url)
        after, body = readiness(client)

    assert before == 200
    assert after == 503
    assert body["failing"] == ["database"]
    assert "does not exist" in detail_of(body, "database")


@pytest.mark.postgres
def test_a_postgres_server_that_does_not_listen_is_not_ready(
    postgres_server: PostgresServer,
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/postgres"

    with client_for(settings_for(url)) as client:
        status, body = readiness(client)

    assert status == 503
    assert body["failing"] == ["database"]


def test_a_scheduler_enabled_here_but_stopped_is_not_ready(
    database_url: str, clock: FakeClock
) -> None:
    scheduler = FakeScheduler(is_running=False)

    with client_for(
        settings_for(database_url), clock=clock, scheduler=scheduler
    ) as client:
        status, body = readiness(client)

    assert status == 503
    assert body["failing"] == ["scheduler"]
    assert "not running" in detail_of(body, "scheduler")


def test_a_running_scheduler_without_a_scheduled_run_yet_is_ready(
    database_url: str, clock: FakeClock
) -> None:
    with client_for(
        settings_for(database_url), clock=clock, scheduler=FakeScheduler()
    ) as client:
        status, body = readiness(client)

    assert status == 200
    assert "no scheduled run yet" in detail_of(body, "scheduler")


def scheduled_run(session: Session, slot: datetime) -> None:
    make_run(session, start_time=slot, slot=slot, trigger=RunTrigger.SCHEDULE)
    session.commit()


@pytest.mark.parametrize(
    "last_slot",
    [
        # The daily slot of today (00:00) has run.
        datetime(2025, 3, 15, 0, 0, tzinfo=UTC),
        # Today's slot is due since 12 hours: late, but by less than a day.
        datetime(2025, 3, 14, 0, 0, tzinfo=UTC),
    ],
)
def test_a_scheduler_late_by_less_than_one_period_is_ready(
    database_url: str, clock: FakeClock, session: Session, last_slot: datetime
) -> None:
    scheduled_run(session, last_slot)

    with client_for(
        settings_for(database_url), clock=clock, scheduler=FakeScheduler()
    ) as client:
        status, body = readiness(client)

    assert status == 200, body
    assert body["failing"] == []


def test_a_scheduler_late_by_more_than_one_period_is_not_ready(
    database_url: str, clock: FakeClock, session: Session
) -> None:
    # Daily at midnight, now 15 March 12:00: the 14 March slot is 36 hours late.
    scheduled_run(session, datetime(2025, 3, 13, 0, 0, tzinfo=UTC))
    make_run(
        session,
        start_time=datetime(2025, 3, 15, 11, 0, tzinfo=UTC),
        trigger=RunTrigger.MANUAL,
    )
    session.commit()

    with client_for(
        settings_for(database_url), clock=clock, scheduler=FakeScheduler()
    ) as client:
        status, body = readiness(client)

    assert status == 503
    assert body["failing"] == ["scheduler"]
    assert "2025-03-14T00:00:00+00:00" in detail_of(body, "scheduler")


def test_the_period_is_that_of_the_schedule_the_scheduler_runs(
    database_url: str, clock: FakeClock, session: Session
) -> None:
    # Every 2 hours: a run 5 hours ago means the slot after it is 3 hours late.
    scheduled_run(session, datetime(2025, 3, 15, 6, 0, tzinfo=UTC))
    every_2_hours = Schedule.interval(2)

    with client_for(
        settings_for(database_url),
        clock=clock,
        scheduler=FakeScheduler(schedule=every_2_hours),
    ) as client:
        status, body = readiness(client)

    assert status == 503
    assert body["failing"] == ["scheduler"]
    assert "2025-03-15T08:00:00+00:00" in detail_of(body, "scheduler")


def test_a_late_schedule_does_not_matter_where_the_scheduler_runs_elsewhere(
    database_url: str, clock: FakeClock, session: Session
) -> None:
    scheduled_run(session, datetime(2025, 3, 1, 0, 0, tzinfo=UTC))

    with client_for(settings_for(database_url), clock=clock) as client:
        status, body = readiness(client)

    assert status == 200
    assert "not run by this process" in detail_of(body, "scheduler")


def test_a_failed_last_scheduled_run_still_shows_the_scheduler_ticking(
    database_url: str, clock: FakeClock, session: Session
) -> None:
    slot = datetime(2025, 3, 15, 0, 0, tzinfo=UTC)
    make_run(session, start_time=slot, slot=slot, status=RunStatus.FAILED)
    session.commit()

    with client_for(
        settings_for(database_url), clock=clock, scheduler=FakeScheduler()
    ) as client:
        status, _ = readiness(client)

    assert status == 200


def test_only_the_database_is_named_when_it_is_down_and_the_scheduler_runs(
    tmp_path: Path, clock: FakeClock
) -> None:
    with client_for(
        settings_for(f"sqlite:///{tmp_path}"), clock=clock, scheduler=FakeScheduler()
    ) as client:
        status, body = readiness(client)

    assert status == 503
    assert body["failing"] == ["database"]
    assert "not checked" in detail_of(body, "scheduler")


def test_liveness_answers_while_the_database_is_down(tmp_path: Path) -> None:
    with client_for(settings_for(f"sqlite:///{tmp_path}")) as client:
        client.headers.pop("Authorization")
        response = client.get("/api/health/liveness")

    assert response.status_code == 200
