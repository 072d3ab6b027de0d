from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import notified, run


@contextmanager
def counted_statements(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _many_overdue(session: Session, clock: FakeClock, count: int) -> None:
    customer = make_customer(session, business=make_business(session))
    for offset in range(count):
        due = clock().date() - timedelta(days=1 + offset % 40)
        make_invoice(session, customer=customer, due_date=due)
    session.commit()


def test_statements_per_run_follow_batches_not_invoices(
    engine: Engine,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    _many_overdue(session, clock, 300)

    with counted_statements(engine) as statements:
        report = run(
            session_factory,
            clock,
            stages=(1, 7, 14, 30),
            batch_size=100,
            parallelism=1,
        )

    inserts = [s for s in statements if "INSERT INTO NOTIFICATIONS" in s.upper()]
    assert report.batches == 3
    assert report.notifications_created == 300
    # One multi-row INSERT per batch (on PostgreSQL, inside the batch's one
    # statement); the driver may split one into a few pages.
    assert 3 <= len(inserts) <= 6
    if engine.dialect.name == "postgresql":
        # Each batch is one statement: the INSERT travels with the status UPDATE.
        assert all("UPDATE invoices" in s for s in inserts)
    assert len(statements) < 40


@pytest.mark.parametrize("batch_size", [1, 3, 50, 1000])
def test_batch_size_never_changes_the_outcome(
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
    batch_size: int,
) -> None:
    _many_overdue(session, clock, 60)

    report = run(session_factory, clock, stages=(1, 7, 14, 30), batch_size=batch_size)

    stages = {stage for _, stage in notified(session_factory)}
    assert report.notifications_created == 60
    assert stages == {1, 7, 14, 30}
    assert report.batches == -(-60 // batch_size)


def test_sparse_work_in_a_long_backlog_is_crossed_in_few_queries(
    engine: Engine,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    """Open past-due invoices that need nothing widen the walk's slices."""
    business = make_business(session)
    paused = make_customer(session, business=business, reminders_paused=True)
    active = make_customer(session, business=business, name="Active Buyer")
    expected = set()
    for offset in range(300):
        due = clock().date() - timedelta(days=1 + offset)
        make_invoice(session, customer=paused, due_date=due)
        if offset % 60 == 0:
            invoice = make_invoice(session, customer=active, due_date=due)
            expected.add((invoice.id, 1))
    session.commit()

    with counted_statements(engine) as statements:
        report = run(session_factory, clock, batch_size=2)

    work_queries = [s for s in statements if "reminders_paused" in s]
    assert notified(session_factory) == expected
    assert report.notifications_created == 5
    # Slices of a fixed two batches (4 entries) would take 77 queries.
    assert len(work_queries) <= 12
