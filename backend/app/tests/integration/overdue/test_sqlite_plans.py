"""SQLite must read open invoices through the partial index, not the table.

SQLite uses a partial index only when the query repeats the index's own
condition; a bound parameter in place of the closed statuses hides it, and
every slice of the walk then scans the whole invoices table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, event, select

from app.db.engine import make_engine
from app.invoices.models import Invoice, open_invoice_condition
from app.overdue.rule import WALK_END, WALK_START, LocalDates, Walk

TODAY = date(2025, 3, 15)


def _plan(connection: Connection, statement: Any, params: dict[str, Any]) -> str:
    """SQLite's plan for the statement exactly as SQLAlchemy sends it."""
    plans: list[str] = []

    def explain(
        conn: Connection, cursor: Any, sql: str, parameters: Any, *_: Any
    ) -> None:
        if not sql.lstrip().startswith(("SELECT", "WITH")):
            return  # the BEGIN IMMEDIATE that opens each SQLite transaction
        driver = conn.connection.driver_connection
        assert driver is not None
        rows = driver.execute(f"EXPLAIN QUERY PLAN {sql}", parameters).fetchall()
        plans.append("\n".join(str(row[-1]) for row in rows))

    event.listen(connection, "before_cursor_execute", explain)
    try:
        connection.execute(statement, params).all()
    finally:
        event.remove(connection, "before_cursor_execute", explain)
    return plans[0]


def test_the_walk_reads_the_open_invoice_index(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    dates = LocalDates(TODAY, ((date(2025, 3, 16), ("Pacific/Auckland",)),))
    walk = Walk(dates, (1, 7), limit=100)

    with engine.connect() as connection:
        slice_plan = _plan(
            connection, walk.slice_end, walk.slice_params(WALK_START, 400)
        )
        work_plan = _plan(connection, walk.work, walk.work_params(WALK_START, WALK_END))
    engine.dispose()

    assert "USING INDEX ix_invoices_open_due" in slice_plan
    assert "USING INDEX ix_invoices_open_due" in work_plan
    assert "SCAN invoices" not in work_plan


def test_open_invoice_listings_can_use_the_open_invoice_index(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    statement = (
        select(Invoice.id)
        .where(open_invoice_condition(), Invoice.due_date < TODAY)
        .order_by(Invoice.due_date)
    )

    with engine.connect() as connection:
        plan = _plan(connection, statement, {})
    engine.dispose()

    assert "ix_invoices_open_due" in plan
