"""Shared fixtures: databases (SQLite and a real PostgreSQL), sessions, a clock."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.api.app import create_app
from app.db.engine import make_engine, make_session_factory
from app.db.migrations import upgrade_to_head
from app.db.models import Base
from app.settings import Settings
from app.tests.support.clock import FakeClock
from app.tests.support.postgres import NoPostgres, PostgresServer, find_server, stop

hypothesis_settings.register_profile("default", derandomize=True, deadline=None)
# `pytest --hypothesis-profile=no-shrink` reports the first failing example at once.
hypothesis_settings.register_profile(
    "no-shrink",
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
hypothesis_settings.load_profile("default")

IN_CI = os.environ.get("CI", "").lower() == "true"
TABLES = ", ".join(table.name for table in reversed(Base.metadata.sorted_tables))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = find_server()
    except NoPostgres as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    stop(server)


@pytest.fixture(scope="session")
def postgres_migrated_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database()
    upgrade_to_head(url)
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade_to_head(f"sqlite:///{path}")
    return path


def _empty_postgres(url: str) -> str:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> str:
    """A migrated, empty database: each test runs once on SQLite, once on PostgreSQL."""
    if request.param == "postgres":
        return _empty_postgres(request.getfixturevalue("postgres_migrated_url"))
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(postgres_migrated_url: str) -> str:
    return _empty_postgres(postgres_migrated_url)


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on an empty PostgreSQL database, for tests of PostgreSQL alone."""
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_session_factory(postgres_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(postgres_engine)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 15, 12, 0, tzinfo=UTC))


API_TOKEN = "test-token-0123456789"


@pytest.fixture
def app_settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for an app under test: its own database, one known token."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        api_tokens=API_TOKEN,
        scheduler_enabled=False,
        environment="test",
    )


@pytest.fixture
def api_client(app_settings: Settings) -> Iterator[TestClient]:
    """A client of the real app and database, sending a valid bearer token."""
    with TestClient(create_app(app_settings)) as client:
        client.headers["Authorization"] = f"Bearer {API_TOKEN}"
        yield client
