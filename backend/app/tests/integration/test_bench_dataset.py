"""The benchmark's data set as stored: rows on disk in the order asked for."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text

from bench.dataset import DatasetSpec, build


def _due_dates_as_stored(engine: Engine) -> list[date]:
    """Due dates in the order a full scan of the table meets the rows."""
    where = "ctid" if engine.dialect.name == "postgresql" else "rowid"
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT due_date FROM invoices ORDER BY {where}")
        )
        return [_as_date(value) for (value,) in rows]


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@pytest.mark.parametrize("row_order", ["random", "issued"])
def test_rows_are_stored_in_the_row_order(engine: Engine, row_order: str) -> None:
    spec = DatasetSpec(invoices=2_000, businesses=20, row_order=row_order)

    build(engine, spec, lambda message: None)

    due_dates = _due_dates_as_stored(engine)
    assert len(due_dates) == spec.invoices
    # Issue dates are due dates less the same 30 days of terms.
    assert (due_dates == sorted(due_dates)) is (row_order == "issued")
