from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db.engine import make_engine


@pytest.mark.postgres
def test_postgres_sessions_run_without_jit(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            jit = connection.execute(text("SHOW jit")).scalar_one()
    finally:
        engine.dispose()

    assert jit == "off"


@pytest.mark.postgres
def test_options_in_the_database_url_are_the_operators(postgres_url: str) -> None:
    engine = make_engine(f"{postgres_url}?options=-c%20jit%3Don")
    try:
        with engine.connect() as connection:
            jit = connection.execute(text("SHOW jit")).scalar_one()
    finally:
        engine.dispose()

    assert jit == "on"


def test_sqlite_files_use_wal_and_normal_sync(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            mode = connection.execute(text("PRAGMA journal_mode")).scalar_one()
            sync = connection.execute(text("PRAGMA synchronous")).scalar_one()
    finally:
        engine.dispose()

    assert (mode, sync) == ("wal", 1)
