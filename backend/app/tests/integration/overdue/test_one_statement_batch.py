"""PostgreSQL writes each batch in one statement, its text built in SQL.

The text must be exactly what the Python path writes (the dry run, the
row-by-row retry and SQLite use that one), and two writers of the same
batch must still create one notification.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Date,
    Engine,
    Integer,
    Numeric,
    Text,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session, sessionmaker

from app.db.compiled import CompiledStatement
from app.db.engine import make_engine, make_session_factory
from app.invoices.models import Invoice, InvoiceStatus
from app.money import currency_styles, known_currencies
from app.notifications.models import Notification
from app.overdue.batch import (
    BatchResult,
    SliceDone,
    batch_params,
    one_statement_batch,
    run_one_statement_batch,
)
from app.overdue.messages import (
    OverdueColumns,
    OverdueFacts,
    overdue_message,
    overdue_title,
)
from app.overdue.rule import WALK_END, WALK_START, Walk, WalkKey, local_dates
from app.overdue.run import StatementBatches, _statement_batches
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import run

pytestmark = pytest.mark.postgres
AS_OF = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


def _sql_text(engine: Engine, facts: OverdueFacts) -> tuple[str, str]:
    columns = OverdueColumns(
        invoice_id=literal(facts.invoice_id, BigInteger()),
        invoice_number=literal(facts.invoice_number, Text()),
        customer_name=literal(facts.customer_name, Text()),
        balance_due=literal(facts.balance_due, Numeric(12, 2)),
        currency=literal(facts.currency, Text()),
        due_date=literal(facts.due_date, Date()),
        days_overdue=literal(facts.days_overdue, Integer()),
    )
    style = currency_styles()
    statement = select(columns.title(), columns.message(style)).outerjoin_from(
        select(literal(1)).subquery(), style, style.c.code == columns.currency
    )
    with engine.connect() as connection:
        title, message = connection.execute(statement).one()
    return title, message


# Amounts a NUMERIC(12,2) column holds, with ties for currencies of no
# minor units (x.50) well represented.
amounts = st.one_of(
    st.decimals(
        min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2
    ),
    st.integers(0, 10**6).map(lambda whole: Decimal(whole) + Decimal("0.50")),
)
currencies = st.one_of(
    st.sampled_from(sorted(known_currencies())),
    st.sampled_from(["XXY", "ABC", "usd"]),
)
words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    invoice_id=st.integers(1, 2**62),
    invoice_number=words.filter(bool),
    customer_name=words,
    balance_due=amounts,
    currency=currencies,
    due_date=st.dates(date(1, 1, 1), date(9998, 12, 31)),
    days=st.integers(1, 5000),
)
def test_the_sql_text_is_the_python_text(
    postgres_engine: Engine,
    invoice_id: int,
    invoice_number: str,
    customer_name: str,
    balance_due: Decimal,
    currency: str,
    due_date: date,
    days: int,
) -> None:
    facts = OverdueFacts(
        invoice_id, invoice_number, customer_name, balance_due, currency, due_date, days
    )

    title, message = _sql_text(postgres_engine, facts)

    assert (title, message) == (overdue_title(facts), overdue_message(facts))


def test_a_run_writes_the_python_text_in_every_zone_and_currency(
    postgres_session_factory: sessionmaker[Session],
) -> None:
    clock = FakeClock(AS_OF)
    expected: dict[int, OverdueFacts] = {}
    with postgres_session_factory() as session:
        for zone, currency in [
            ("Pacific/Auckland", "JPY"),
            ("America/Los_Angeles", "EUR"),
            (None, "BHD"),
        ]:
            business = make_business(session, timezone=zone, currency=currency)
            customer = make_customer(session, business=business, name="O'Brien & Co")
            today = AS_OF.date() + timedelta(days=zone == "Pacific/Auckland")
            for offset, total in enumerate(["1234.50", "1235.50", "0.01", "99.99"]):
                due = AS_OF.date() - timedelta(days=1 + 30 * offset)
                invoice = make_invoice(
                    session,
                    customer=customer,
                    due_date=due,
                    total=Decimal(total),
                    currency=currency,
                )
                expected[invoice.id] = OverdueFacts(
                    invoice.id,
                    invoice.invoice_number,
                    customer.name,
                    Decimal(total),
                    currency,
                    due,
                    (today - due).days,
                )
        session.commit()

    report = run(postgres_session_factory, clock, stages=(1, 30), batch_size=5)

    with postgres_session_factory() as session:
        written = session.execute(
            select(Notification.invoice_id, Notification.title, Notification.message)
        ).all()
    assert report.notifications_created == len(expected) == len(written)
    for invoice_id, title, message in written:
        facts = expected[invoice_id]
        assert (title, message) == (overdue_title(facts), overdue_message(facts))


def test_two_writers_of_one_batch_make_one_notification_each(
    postgres_engine: Engine, postgres_session_factory: sessionmaker[Session]
) -> None:
    """The second writer waits on the first's unique key, then skips, not fails."""
    with postgres_session_factory() as session:
        customer = make_customer(session, business=make_business(session))
        due = AS_OF.date() - timedelta(days=3)
        ids = {make_invoice(session, customer=customer, due_date=due).id for _ in "abc"}
        session.commit()
        walk = Walk(local_dates(session, AS_OF, "UTC"), (1,), limit=10)
        statement = _compiled(session, walk)
    params = {
        **walk.walked_params(WALK_START, 100),
        **batch_params(uuid.uuid4(), now=AS_OF, beat_at=AS_OF),
    }
    first, second = postgres_session_factory(), postgres_session_factory()
    second_pid = second.connection().exec_driver_sql("SELECT pg_backend_pid()")
    pid = second_pid.scalar_one()
    first_done, _ = run_one_statement_batch(first.connection(), statement, params, 10)
    second_done: list[SliceDone] = []
    waiting = threading.Thread(
        target=lambda: second_done.append(
            run_one_statement_batch(second.connection(), statement, params, 10)[0]
        )
    )
    waiting.start()
    _wait_until_blocked(postgres_engine, pid)
    first.commit()
    waiting.join(timeout=30)
    second.commit()
    first.close()
    second.close()

    assert first_done.rows == 3
    assert (first_done.result.created, first_done.result.statuses_changed) == (3, 3)
    assert (second_done[0].result.created, second_done[0].result.statuses_changed) == (
        0,
        0,
    )
    with postgres_session_factory() as session:
        notified = session.scalars(select(Notification.invoice_id)).all()
        statuses = set(session.scalars(select(Invoice.status)))
    assert sorted(notified) == sorted(ids)
    assert statuses == {InvoiceStatus.OVERDUE}


def test_a_batch_moves_statuses_without_touching_any_index(
    postgres_session_factory: sessionmaker[Session],
) -> None:
    """Sent to overdue changes no indexed column, so each move is a HOT update."""
    with postgres_session_factory() as session:
        customer = make_customer(session, business=make_business(session))
        due = AS_OF.date() - timedelta(days=3)
        for status in [InvoiceStatus.SENT, InvoiceStatus.VIEWED, InvoiceStatus.SENT]:
            make_invoice(session, customer=customer, due_date=due, status=status)
        session.commit()
        walk = Walk(local_dates(session, AS_OF, "UTC"), (1,), limit=10)
        statement = _compiled(session, walk)
    params = {
        **walk.walked_params(WALK_START, 100),
        **batch_params(uuid.uuid4(), now=AS_OF, beat_at=AS_OF),
    }
    hot_updates = text(
        "SELECT pg_stat_get_xact_tuples_updated('invoices'::regclass), "
        "pg_stat_get_xact_tuples_hot_updated('invoices'::regclass)"
    )

    with postgres_session_factory() as session:
        done, _ = run_one_statement_batch(session.connection(), statement, params, 10)
        updated, hot = session.execute(hot_updates).one()
        session.commit()

    assert done.result.statuses_changed == 3
    assert (updated, hot) == (3, 3)


def _wait_until_blocked(engine: Engine, pid: int) -> None:
    """Until the backend `pid` waits on a lock (the other writer's rows)."""
    query = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while connection.execute(query, {"pid": pid}).scalar_one() != "Lock":
            assert time.monotonic() < deadline, "the second writer never waited"
            connection.rollback()
            time.sleep(0.01)


def _batch_params() -> dict[str, object]:
    return batch_params(uuid.uuid4(), now=AS_OF, beat_at=AS_OF)


def test_a_batch_stops_at_its_limit_and_a_short_one_finds_the_slice_end(
    postgres_session_factory: sessionmaker[Session],
) -> None:
    """Work past the batch's limit is left for the next batch, even the last entry."""
    with postgres_session_factory() as session:
        business = make_business(session)
        customer = make_customer(session, business=business)
        paused = make_customer(session, business=business, reminders_paused=True)
        due = AS_OF.date() - timedelta(days=3)
        owners = [customer, customer, customer, paused, customer, customer]
        made = [make_invoice(session, customer=c, due_date=due) for c in owners]
        session.commit()
        keys = [WalkKey(due, i.id) for i in sorted(made, key=lambda i: i.id)]
        walk = Walk(local_dates(session, AS_OF, "UTC"), (1,), limit=2)
        statement = _compiled(session, walk)
    done = []
    with postgres_session_factory() as session:
        for after, width in [(WALK_START, 4), (keys[1], 2), (keys[4], 5)]:
            params = {**walk.walked_params(after, width), **_batch_params()}
            done.append(
                run_one_statement_batch(session.connection(), statement, params, 2)
            )
        session.commit()

    # The first two of three needing work fill the batch before the slice's
    # end: the third is left for the next batch.
    assert done[0] == (SliceDone(2, keys[1], BatchResult(2, 2), 2), None)
    # Short of its limit, a batch reaches the slice's end (a paused invoice).
    assert done[1] == (SliceDone(1, keys[2], BatchResult(1, 1), 1), keys[3])
    # A slice short of its width is the end of the walk.
    assert done[2] == (SliceDone(1, keys[5], BatchResult(1, 1), 1), WALK_END)


def test_a_walk_of_one_statement_batches_covers_every_invoice_once(
    postgres_session_factory: sessionmaker[Session],
) -> None:
    """Slices narrower and wider than a batch, each key taken by one batch only."""
    with postgres_session_factory() as session:
        customer = make_customer(session, business=make_business(session))
        paused = make_customer(
            session, business=make_business(session), reminders_paused=True
        )
        for days in range(1, 13):
            due = AS_OF.date() - timedelta(days=days)
            make_invoice(session, customer=customer, due_date=due)
            make_invoice(session, customer=paused, due_date=due)
        session.commit()
        walk = Walk(local_dates(session, AS_OF, "UTC"), (1,), limit=3)
        statement = _compiled(session, walk)
    after, seen = WALK_START, 0
    with postgres_session_factory() as session:
        for width in [4, 2, 9, 3, 50, 50]:
            params = {**walk.walked_params(after, width), **_batch_params()}
            done, until = run_one_statement_batch(
                session.connection(), statement, params, 3
            )
            assert done.rows <= 3
            seen += done.rows
            if done.rows == 3 and done.last:
                after = done.last
            elif until is not None:
                after = until
        session.commit()
        notified = session.scalars(select(Notification.invoice_id)).all()

    assert seen == len(notified) == len(set(notified)) == 12


def test_a_rerun_reads_no_notification_and_no_customer_row(
    postgres_engine: Engine, postgres_session_factory: sessionmaker[Session]
) -> None:
    """Cost follows new work: reminded and paused invoices are passed on the row."""
    clock = FakeClock(AS_OF)
    with postgres_session_factory() as session:
        business = make_business(session)
        customer = make_customer(session, business=business)
        paused = make_customer(session, business=business, reminders_paused=True)
        for days in range(1, 21):
            due = AS_OF.date() - timedelta(days=days)
            make_invoice(session, customer=customer, due_date=due)
            make_invoice(session, customer=paused, due_date=due)
        session.commit()
    first = run(postgres_session_factory, clock, stages=(1, 7))
    # A backend's counters also hold its earlier, unflushed transactions: the
    # rerun gets a connection of its own.
    postgres_engine.dispose()
    scans = text(
        "SELECT pg_stat_get_xact_numscans("
        "'uq_notifications_invoice_id_kind_stage'::regclass), "
        "pg_stat_get_xact_numscans('pk_customers'::regclass)"
    )
    with postgres_session_factory() as session:
        walk = Walk(local_dates(session, AS_OF, "UTC"), (1, 7), limit=100)
        statement = _compiled(session, walk)

    with postgres_session_factory() as session:
        params = {**walk.walked_params(WALK_START, 1000), **_batch_params()}
        done, until = run_one_statement_batch(
            session.connection(), statement, params, 100
        )
        probes, customer_reads = session.execute(scans).one()
        session.rollback()

    assert first.notifications_created == 20
    assert (done.rows, until) == (0, WALK_END)
    assert (probes, customer_reads) == (0, 0)


def test_each_walk_prepares_its_statement_afresh(postgres_url: str) -> None:
    """A plan kept from an earlier run may have been made for other table sizes.

    A pool of one connection: had the first walk's gone back to it, the
    second walk would have been given it, prepared statement and all.
    """
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    factory = make_session_factory(engine)
    with factory() as session:
        customer = make_customer(session, business=make_business(session))
        due = AS_OF.date() - timedelta(days=3)
        for _ in range(12):
            make_invoice(session, customer=customer, due_date=due)
        session.commit()
        walk = Walk(local_dates(session, AS_OF, "UTC"), (1,), limit=1)
        statement = _compiled(session, walk)
    count_prepared = "SELECT count(*) FROM pg_prepared_statements"
    try:
        with _statement_batches(factory, statement) as batches:
            _batches_from_the_start(batches, walk, 8)
            prepared_by_the_first = batches.connection.exec_driver_sql(count_prepared)
            assert prepared_by_the_first.scalar_one() >= 1
        with _statement_batches(factory, statement) as batches:
            at_start = batches.connection.exec_driver_sql(count_prepared).scalar_one()
            _batches_from_the_start(batches, walk, 8)
    finally:
        engine.dispose()

    assert at_start == 0


def _compiled(session: Session, walk: Walk) -> CompiledStatement:
    return CompiledStatement.of(one_statement_batch(walk), session.get_bind().dialect)


def _batches_from_the_start(batches: StatementBatches, walk: Walk, count: int) -> None:
    params = {**walk.walked_params(WALK_START, 2), **_batch_params()}
    for _ in range(count):
        run_one_statement_batch(batches.connection, batches.statement, params, 1)
