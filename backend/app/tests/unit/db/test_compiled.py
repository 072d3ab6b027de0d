"""Compiling a statement once: which values are fixed, which are given, and how."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Integer, bindparam, column, literal, select
from sqlalchemy.engine import make_url

from app.db.base import UtcDateTime
from app.db.compiled import (
    CompiledStatement,
    UnboundExpandingParameter,
    UnsupportedDriver,
)

# The service's driver, without a server: compiling needs no connection.
DIALECT = make_url("postgresql+psycopg://").get_dialect()()


def test_values_fixed_at_compile_time_are_bound_once_and_given_ones_per_call() -> None:
    statement = select(
        literal("fixed"), column("n").in_([3, 4]), bindparam("given", type_=Integer())
    )

    compiled = CompiledStatement.of(statement, DIALECT)

    assert "%(" not in compiled.text
    assert _rendered(compiled, {"given": 7}) == (
        "SELECT 'fixed'::VARCHAR AS anon_1, n IN (3::INTEGER, 4::INTEGER) AS anon_2, "
        "7::INTEGER AS anon_3"
    )
    assert _rendered(compiled, {"given": 8}).endswith("8::INTEGER AS anon_3")


def test_a_given_value_goes_through_its_types_bind_processor() -> None:
    statement = select(bindparam("at", type_=UtcDateTime()))
    compiled = CompiledStatement.of(statement, DIALECT)
    in_kolkata = datetime(2025, 3, 15, 17, 30, tzinfo=timezone(timedelta(hours=5.5)))

    (value,) = compiled.values({"at": in_kolkata})

    assert value == datetime(2025, 3, 15, 12, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        compiled.values({"at": datetime(2025, 3, 15, 12, 0)})


def test_a_value_named_twice_is_bound_in_each_place() -> None:
    width = bindparam("width", type_=Integer())
    statement = select(width + 1, width * 2)

    compiled = CompiledStatement.of(statement, DIALECT)

    assert _rendered(compiled, {"width": 5}) == (
        "SELECT 5::INTEGER + 1::INTEGER AS anon_1, 5::INTEGER * 2::INTEGER AS anon_2"
    )


def test_a_missing_given_value_is_named() -> None:
    compiled = CompiledStatement.of(select(bindparam("run_id")), DIALECT)

    with pytest.raises(KeyError, match="run_id"):
        compiled.values({})


def test_an_in_list_left_to_execution_is_refused_by_name() -> None:
    statement = select(column("n").in_(bindparam("ids", expanding=True)))

    with pytest.raises(UnboundExpandingParameter, match="'ids'"):
        CompiledStatement.of(statement, DIALECT)


def test_another_driver_is_refused_by_name() -> None:
    other = make_url("postgresql+psycopg2://").get_dialect()()

    with pytest.raises(UnsupportedDriver, match="'psycopg2'"):
        CompiledStatement.of(select(literal(1)), other)


def test_an_aware_fixed_value_is_converted_at_compile_time() -> None:
    moment = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
    statement = select(bindparam("fixed_at", moment, type_=UtcDateTime()))

    compiled = CompiledStatement.of(statement, DIALECT)

    assert compiled.values({}) == (datetime(2025, 3, 15, 12, 0),)


def _rendered(compiled: CompiledStatement, params: dict[str, object]) -> str:
    """The text with each `$n` replaced by the value bound in its place."""
    text = compiled.text
    values = compiled.values(params)
    # From the highest number down, so that $1 does not match inside $12.
    for number in range(len(values), 0, -1):
        text = text.replace(f"${number}", repr(values[number - 1]))
    return text


def test_the_overdue_run_loads_no_postgresql_driver_until_it_sends_a_statement() -> (
    None
):
    """A SQLite installation does not pay the driver's memory (about 9 MB)."""
    probe = "import sys, app.overdue.run; print('psycopg' in sys.modules)"

    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert loaded.stdout.strip() == "False"
