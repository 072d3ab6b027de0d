"""A compiled statement on a real PostgreSQL: values land, errors and cursors stay."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Date, Engine, Integer, bindparam, column, select, text
from sqlalchemy.exc import DBAPIError

from app.db.base import UtcDateTime
from app.db.compiled import CompiledStatement

pytestmark = pytest.mark.postgres


def test_fixed_and_given_values_reach_the_server_in_their_places(
    postgres_engine: Engine,
) -> None:
    numbers = select(column("n", Integer())).select_from(
        text("generate_series(1, 6) AS n")
    )
    statement = numbers.where(
        column("n").in_([2, 4, 5]), column("n") > bindparam("above", type_=Integer())
    ).add_columns(bindparam("at", type_=UtcDateTime()), bindparam("on", type_=Date()))
    at = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)

    with postgres_engine.connect() as connection:
        compiled = CompiledStatement.of(statement, connection.dialect)
        rows = compiled.execute(
            connection, {"above": 3, "at": at, "on": date(2025, 3, 1)}
        )
        got = [tuple(row) for row in rows]

    naive_utc = datetime(2025, 3, 15, 12, 0)
    assert got == [(4, naive_utc, date(2025, 3, 1)), (5, naive_utc, date(2025, 3, 1))]


def test_the_connections_own_cursors_are_back_after_a_statement(
    postgres_engine: Engine,
) -> None:
    compiled = CompiledStatement.of(
        select(bindparam("x", type_=Integer())), postgres_engine.dialect
    )

    with postgres_engine.connect() as connection:
        compiled.execute(connection, {"x": 1}).one()
        named = connection.execute(text("SELECT :y"), {"y": 2}).scalar_one()

    assert named == 2


def test_a_failing_statement_raises_sqlalchemys_error_and_restores_cursors(
    postgres_engine: Engine,
) -> None:
    divide = select(1 / bindparam("zero", type_=Integer()))
    compiled = CompiledStatement.of(divide, postgres_engine.dialect)

    with postgres_engine.connect() as connection:
        with pytest.raises(DBAPIError, match="division by zero"):
            compiled.execute(connection, {"zero": 0})
        connection.rollback()
        named = connection.execute(text("SELECT :y"), {"y": 3}).scalar_one()

    assert named == 3
