"""A PostgreSQL statement compiled once and executed many times with new values.

SQLAlchemy renders a statement's IN lists into a new text on every
execution, and psycopg converts the placeholders of a long text again each
time (it keeps conversions of short statements only). For a large statement
run once per batch that costs the client more than a millisecond a batch.
A CompiledStatement does both once: its text is in PostgreSQL's own `$n`
placeholders, the values fixed at compile time are bound already, and an
execution binds only the values it is given, each through its type's bind
processor, as SQLAlchemy would.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, CursorResult
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

BindProcessor = Callable[[Any], Any]


class UnsupportedDriver(Exception):
    """Only psycopg's cursors take a compiled statement's `$n` placeholders."""


class UnboundExpandingParameter(Exception):
    """An IN list left to execution time cannot be compiled once."""


@dataclass(frozen=True)
class GivenValue:
    """A parameter bound at each execution: where it goes, how it is converted."""

    position: int
    name: str
    process: BindProcessor | None


@dataclass(frozen=True)
class CompiledStatement:
    """`statement` compiled for PostgreSQL once; immutable, so threads may share it."""

    text: str
    fixed: tuple[Any, ...]
    given: tuple[GivenValue, ...]

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect) -> CompiledStatement:
        """Compile `statement` for `dialect`, a psycopg PostgreSQL dialect.

        Parameters without a value (`bindparam("name")`) are given at each
        execution; every other value is bound now.
        """
        if dialect.driver != "psycopg":
            raise UnsupportedDriver(f"driver {dialect.driver!r} is not psycopg")
        numbered = copy.copy(dialect)
        numbered.paramstyle = "numeric_dollar"
        numbered.positional = True
        compiled = statement.compile(dialect=numbered)
        assert isinstance(compiled, SQLCompiler)
        given_names = {name for name, bind in compiled.binds.items() if bind.required}
        for name in given_names:
            if compiled.binds[name].expanding:
                raise UnboundExpandingParameter(f"parameter {name!r} is an IN list")
        expanded = compiled.construct_expanded_state(
            dict.fromkeys(given_names), escape_names=False
        )
        assert expanded.positiontup is not None
        processors = _processors(compiled, dialect)
        processors.update(expanded.processors)
        fixed: list[Any] = []
        given: list[GivenValue] = []
        for position, name in enumerate(expanded.positiontup):
            process = processors.get(name)
            if name in given_names:
                given.append(GivenValue(position, name, process))
                fixed.append(None)
                continue
            value = expanded.parameters[name]
            fixed.append(value if process is None else process(value))
        return cls(expanded.statement, tuple(fixed), tuple(given))

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The statement's positional values, `params` bound in their places."""
        values = list(self.fixed)
        for given in self.given:
            value = params[given.name]
            if given.process is not None:
                value = given.process(value)
            values[given.position] = value
        return tuple(values)

    def execute(
        self, connection: Connection, params: Mapping[str, Any]
    ) -> CursorResult[Any]:
        """Run on `connection`, a psycopg one; SQLAlchemy still wraps its errors."""
        with _raw_cursors(connection):
            return connection.exec_driver_sql(self.text, self.values(params))


def _processors(compiled: SQLCompiler, dialect: Dialect) -> dict[str, BindProcessor]:
    processors: dict[str, BindProcessor] = {}
    for name, bind in compiled.binds.items():
        process = dialect.type_descriptor(bind.type).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    return processors


@contextmanager
def _raw_cursors(connection: Connection) -> Iterator[None]:
    """psycopg's cursors on `connection` take `$n` placeholders as they are.

    Only while one statement is sent: the connection's other users get the
    cursors they expect.
    """
    # Imported here: a SQLite installation never loads the PostgreSQL driver.
    import psycopg

    # A connection detached from its pool has no driver_connection; for
    # psycopg the DBAPI connection is the driver's own.
    driver = connection.connection.dbapi_connection
    assert isinstance(driver, psycopg.Connection)
    usual = driver.cursor_factory
    driver.cursor_factory = psycopg.RawCursor
    try:
        yield
    finally:
        driver.cursor_factory = usual
