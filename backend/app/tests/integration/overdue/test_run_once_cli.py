"""`overdue-scheduler run-once` as a real process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, make_session_factory
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.faults import kill_connection_on_notification, remove_rejections
from app.tests.support.overdue import notification_count

AS_OF = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


def run_once(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200", "LOG_LEVEL": "ERROR"}
    command = [sys.executable, "-m", "app", "run-once", "--as-of", AS_OF.isoformat()]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def db(database_url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    engine = make_engine(database_url)
    yield engine, make_session_factory(engine)
    remove_rejections(engine)
    engine.dispose()


def _invoices(factory: sessionmaker[Session], count: int) -> list[int]:
    with factory() as session:
        customer = make_customer(session, business=make_business(session))
        due = AS_OF.date() - timedelta(days=4)
        ids = [
            make_invoice(
                session, customer=customer, due_date=due, invoice_number=f"R-{n}"
            ).id
            for n in range(count)
        ]
        session.commit()
    return ids


def test_a_completed_run_prints_its_summary_and_exits_0(
    database_url: str, db: tuple[Engine, sessionmaker[Session]]
) -> None:
    _invoices(db[1], 3)

    result = run_once(database_url)

    assert result.returncode == 0, result.stderr
    assert "completed" in result.stdout
    assert "invoices examined" in result.stdout
    assert re.search(r"notifications created\s+│\s+3\s", result.stdout)
    assert notification_count(db[1]) == 3


def test_a_dry_run_lists_what_it_would_notify_and_writes_nothing(
    database_url: str, db: tuple[Engine, sessionmaker[Session]]
) -> None:
    _invoices(db[1], 2)

    result = run_once(database_url, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "would notify: Invoice R-0 is 4 days overdue" in result.stdout
    assert "would notify: Invoice R-1 is 4 days overdue" in result.stdout
    assert notification_count(db[1]) == 0


@pytest.mark.postgres
def test_a_failed_run_exits_1_with_the_reason(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    ids = _invoices(factory, 5)
    kill_connection_on_notification(engine, ids[0])

    try:
        result = run_once(postgres_url)
    finally:
        remove_rejections(engine)
        engine.dispose()

    assert result.returncode == 1
    assert "failed" in result.stdout
    assert "terminating connection" in result.stdout


def test_an_as_of_without_offset_is_refused_naming_the_option(
    database_url: str,
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "app", "run-once", "--as-of", "2025-03-01T09:00:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "--as-of" in result.stderr


def test_parallelism_from_the_environment_cuts_a_postgresql_walk_only(
    database_url: str, db: tuple[Engine, sessionmaker[Session]]
) -> None:
    _invoices(db[1], 30)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        # Not the default (2), so a setting dropped on the way would show.
        "OVERDUE_INVOICE_PARALLELISM": "3",
        "OVERDUE_INVOICE_BATCH_SIZE": "5",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "app", "run-once", "--as-of", AS_OF.isoformat()]

    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    finished = [
        json.loads(line)
        for line in (result.stdout + result.stderr).splitlines()
        if '"run_finished"' in line
    ]
    assert [event["parts"] for event in finished] == [
        3 if database_url.startswith("postgresql") else 1
    ]
    assert notification_count(db[1]) == 30
