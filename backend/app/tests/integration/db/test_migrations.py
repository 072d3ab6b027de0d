"""Migrations build the schema on both databases, undo it, and match the models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Inspector, inspect, text

from app.db.engine import make_engine
from app.db.migrations import alembic_config, downgrade_to_base, upgrade_to_head
from app.db.models import Base
from app.tests.support.postgres import PostgresServer

# The deployment checklist's list: name, SQL type, nullable.
CHECKLIST_COLUMNS = [
    ("id", "UUID", False),
    ("job_name", "VARCHAR(100)", False),
    ("start_time", "TIMESTAMP", False),
    ("end_time", "TIMESTAMP", True),
    ("status", "VARCHAR(20)", False),
    ("invoices_processed", "INTEGER", False),
    ("notifications_created", "INTEGER", False),
    ("error_count", "INTEGER", False),
    ("error_details", "TEXT", True),
]
SQLITE_TYPES = {"UUID": "CHAR(32)", "TIMESTAMP": "DATETIME"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, never migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database("ois_migrate")
    yield url
    server.drop_database(url)


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_builds_every_table_and_downgrade_removes_them(fresh_url: str) -> None:
    upgrade_to_head(fresh_url)
    built = _tables(fresh_url)
    downgrade_to_base(fresh_url)

    assert built == {
        "alembic_version",
        "businesses",
        "customers",
        "invoices",
        "notifications",
        "job_execution_logs",
    }
    assert _tables(fresh_url) == {"alembic_version"}


def test_job_execution_logs_has_the_checklist_columns(fresh_url: str) -> None:
    with _migrated_schema(fresh_url) as schema:
        columns = schema.get_columns("job_execution_logs")
        indexes = schema.get_indexes("job_execution_logs")
        dialect = schema.dialect
    sqlite = fresh_url.startswith("sqlite")

    found = [
        (c["name"], c["type"].compile(dialect=dialect), c["nullable"])
        for c in columns[: len(CHECKLIST_COLUMNS)]
    ]
    expected = [
        (name, SQLITE_TYPES.get(kind, kind) if sqlite else kind, nullable)
        for name, kind, nullable in CHECKLIST_COLUMNS
    ]
    assert [
        (n, t.replace("WITHOUT TIME ZONE", "").strip(), null) for n, t, null in found
    ] == expected
    assert {"job_name"} in [set(index["column_names"]) for index in indexes]


def test_the_migrated_schema_matches_the_models(fresh_url: str) -> None:
    upgrade_to_head(fresh_url)
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    assert differences == []


def test_open_invoices_are_indexed_by_a_column_a_status_move_leaves_alone(
    fresh_url: str,
) -> None:
    """The index reads is_open, not status; PostgreSQL keeps room for HOT updates."""
    with _migrated_schema(fresh_url) as schema:
        indexes = schema.get_indexes("invoices")
        options = schema.get_table_options("invoices")
    (open_due,) = [i for i in indexes if i["name"] == "ix_invoices_open_due"]
    where = {
        name: str(value)
        for name, value in open_due["dialect_options"].items()
        if name.endswith("_where")
    }

    assert open_due["column_names"] == ["due_date", "id"]
    if fresh_url.startswith("sqlite"):
        assert where == {"sqlite_where": "is_open = 1"}
    else:
        assert where == {"postgresql_where": "is_open"}
        assert options["postgresql_with"] == {"fillfactor": "90"}


@contextmanager
def _migrated_schema(url: str) -> Iterator[Inspector]:
    """The schema of a database upgraded to head, read through SQLAlchemy."""
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        yield inspect(engine)
    finally:
        engine.dispose()


# Two invoices, the first notified at stages 1 and 7, as before d3a9c6b2e8f1.
NOTIFIED_BEFORE_REMINDED_STAGE = [
    "INSERT INTO businesses (id, name, currency, created_at) "
    "VALUES (1, 'Acme', 'EUR', '2025-01-01 00:00:00')",
    "INSERT INTO customers (id, business_id, name, created_at) "
    "VALUES (1, 1, 'Jane', '2025-01-01 00:00:00')",
    "INSERT INTO invoices (id, business_id, customer_id, invoice_number, status, "
    "issue_date, due_date, total, amount_paid, currency, created_at, updated_at) "
    "VALUES (1, 1, 1, 'A-1', 'overdue', '2025-01-01', '2025-01-10', 10, 0, 'EUR', "
    "'2025-01-01 00:00:00', '2025-01-01 00:00:00'), "
    "(2, 1, 1, 'A-2', 'sent', '2025-01-01', '2025-01-10', 10, 0, 'EUR', "
    "'2025-01-01 00:00:00', '2025-01-01 00:00:00')",
    "INSERT INTO notifications (business_id, invoice_id, kind, stage, title, "
    "message, is_read, resource_type, resource_id, created_at) "
    "VALUES (1, 1, 'payment_overdue', 1, 't', 'm', false, 'invoice', '1', "
    "'2025-01-11 00:00:00'), (1, 1, 'payment_overdue', 7, 't', 'm', false, "
    "'invoice', '1', '2025-01-17 00:00:00')",
]


def test_reminded_stage_starts_from_the_notifications_already_sent(
    fresh_url: str,
) -> None:
    command.upgrade(alembic_config(fresh_url), "b8e2f4a61c07")
    engine = make_engine(fresh_url)
    try:
        with engine.begin() as connection:
            for statement in NOTIFIED_BEFORE_REMINDED_STAGE:
                connection.execute(text(statement))
        upgrade_to_head(fresh_url)
        with engine.connect() as connection:
            reminded = connection.execute(
                text("SELECT id, reminded_stage FROM invoices ORDER BY id")
            ).all()
    finally:
        engine.dispose()

    assert [tuple(row) for row in reminded] == [(1, 7), (2, 0)]


def test_the_job_execution_logs_revision_keeps_its_file_name() -> None:
    versions = Path(__file__).resolve().parents[4] / "alembic" / "versions"

    assert (versions / "298dd1eda420_add_job_execution_logs_table.py").is_file()
