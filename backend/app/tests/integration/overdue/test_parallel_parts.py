"""A run's walk cut into parts worked at once (OVERDUE_INVOICE_PARALLELISM)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.compiled import CompiledStatement
from app.executions.models import JobExecutionLog, RunStatus
from app.invoices.models import Invoice, InvoiceStatus
from app.overdue.rule import (
    WALK_END,
    WALK_START,
    Walk,
    WalkKey,
    WalkPart,
    local_dates,
)
from app.overdue.run import RunOptions, RunReport, run_overdue_invoices
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.faults import reject_notifications_for, remove_rejections
from app.tests.support.overdue import notified


@pytest.fixture
def reject_on_postgres(
    postgres_engine: Engine,
) -> Iterator[Callable[[list[int]], None]]:
    yield lambda invoice_ids: reject_notifications_for(postgres_engine, invoice_ids)
    remove_rejections(postgres_engine)


def _overdue_invoices(session: Session, clock: FakeClock, count: int) -> list[int]:
    """`count` overdue invoices, due on a few dates so the parts cut inside a date."""
    customer = make_customer(session, business=make_business(session))
    today = clock().date()
    ids = [
        make_invoice(
            session, customer=customer, due_date=today - timedelta(days=2 + n % 4)
        ).id
        for n in range(count)
    ]
    session.commit()
    return ids


def _options(parallelism: int, batch_size: int = 5) -> RunOptions:
    return RunOptions(
        batch_size=batch_size,
        stale_after=timedelta(minutes=5),
        parallelism=parallelism,
    )


def _threads_of_batches(
    factory: sessionmaker[Session], clock: FakeClock, options: RunOptions
) -> tuple[RunReport, set[str]]:
    """Run, and name the threads that finished a batch."""
    names: set[str] = set()

    def note_thread(_report: RunReport) -> None:
        names.add(threading.current_thread().name)

    report = run_overdue_invoices(factory, options, clock=clock, on_batch=note_thread)
    return report, names


def test_parts_cover_the_walk_in_turn_with_as_many_entries_each(
    postgres_session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with postgres_session_factory() as session:
        _overdue_invoices(session, clock, 30)
        walk = Walk(local_dates(session, clock(), "UTC"), (1,), limit=5)
        parts = walk.parts(session.connection(), 3)
        rows = session.execute(select(Invoice.due_date, Invoice.id)).all()
    keys = [WalkKey(due, invoice_id) for due, invoice_id in rows if due is not None]
    sizes = [sum(part.start < key <= part.end for key in keys) for part in parts]

    assert parts[0].start == WALK_START
    assert parts[-1].end == WALK_END
    assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))
    assert sizes == [10, 10, 10]


def test_parts_of_a_sampled_table_still_cover_the_walk_in_turn(
    postgres_session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    """Past sample_rows the cuts come from a sample of pages: approximate sizes."""
    with postgres_session_factory() as session:
        _overdue_invoices(session, clock, 600)
        session.connection().exec_driver_sql("ANALYZE invoices")
        walk = Walk(local_dates(session, clock(), "UTC"), (1,), limit=5)
        # Half the table's pages.
        parts = walk.parts(session.connection(), 4, sample_rows=300)
        ids = set(session.scalars(select(Invoice.id)))

    assert 1 < len(parts) <= 4
    assert parts[0].start == WALK_START
    assert parts[-1].end == WALK_END
    assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))
    assert all(a.end < b.end for a, b in zip(parts, parts[1:], strict=False))
    assert {part.end.id for part in parts[:-1]} <= ids


@pytest.mark.parametrize(("invoices", "expected"), [(4, 1), (12, 2), (40, 8)])
def test_a_part_holds_at_least_a_batch(
    postgres_session_factory: sessionmaker[Session],
    clock: FakeClock,
    invoices: int,
    expected: int,
) -> None:
    with postgres_session_factory() as session:
        _overdue_invoices(session, clock, invoices)
        walk = Walk(local_dates(session, clock(), "UTC"), (1,), limit=5)
        parts = walk.parts(session.connection(), 8)

    assert len(parts) == expected
    if expected == 1:
        assert parts == [WalkPart(WALK_START, WALK_END)]


def test_parts_worked_at_once_create_what_one_walk_creates(
    postgres_session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with postgres_session_factory() as session:
        ids = _overdue_invoices(session, clock, 60)

    report, threads = _threads_of_batches(
        postgres_session_factory, clock, _options(parallelism=3)
    )
    rerun = run_overdue_invoices(
        postgres_session_factory, _options(parallelism=3), clock=clock
    )

    assert len(threads) == 3
    assert all(name.startswith("overdue-walk") for name in threads)
    assert notified(postgres_session_factory) == {(i, 1) for i in ids}
    assert (report.invoices_processed, report.notifications_created) == (60, 60)
    assert report.statuses_changed == 60
    assert rerun.notifications_created == 0
    with postgres_session_factory() as check:
        statuses = set(check.scalars(select(Invoice.status)))
        logged = check.scalars(
            select(JobExecutionLog).order_by(JobExecutionLog.start_time)
        ).first()
    assert statuses == {InvoiceStatus.OVERDUE}
    assert logged is not None
    assert (logged.invoices_processed, logged.notifications_created) == (60, 60)


def test_every_batch_of_every_part_sends_one_text_compiled_once(
    postgres_engine: Engine,
    postgres_session_factory: sessionmaker[Session],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No batch renders or converts the large statement again: each sends its values."""
    with postgres_session_factory() as session:
        _overdue_invoices(session, clock, 40)
    compiled: list[CompiledStatement] = []
    compile_statement = CompiledStatement.of

    def compile_and_count(statement: Any, dialect: Any) -> CompiledStatement:
        compiled.append(compile_statement(statement, dialect))
        return compiled[-1]

    monkeypatch.setattr(CompiledStatement, "of", compile_and_count)
    sent: list[str] = []

    def record(*args: Any) -> None:
        if "INSERT INTO notifications" in args[2]:
            sent.append(args[2])

    event.listen(postgres_engine, "before_cursor_execute", record)
    try:
        report = run_overdue_invoices(
            postgres_session_factory, _options(parallelism=2), clock=clock
        )
    finally:
        event.remove(postgres_engine, "before_cursor_execute", record)

    assert (report.parts, report.notifications_created) == (2, 40)
    assert len(compiled) == 1
    assert len(sent) >= report.batches == 8
    assert set(sent) == {compiled[0].text}
    assert "$1" in compiled[0].text and "%(" not in compiled[0].text


def test_live_counts_add_up_every_part_s_committed_batches(
    postgres_session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    """Each batch adds its counts in its own transaction; no part overwrites them."""
    with postgres_session_factory() as session:
        _overdue_invoices(session, clock, 40)
    seen: list[tuple[int, int]] = []

    def compare_live_counts(report: RunReport) -> None:
        with postgres_session_factory() as check:
            live = check.get_one(JobExecutionLog, report.run_id)
            seen.append((live.invoices_processed, report.invoices_processed))

    run_overdue_invoices(
        postgres_session_factory,
        _options(parallelism=2),
        clock=clock,
        on_batch=compare_live_counts,
    )

    # A batch is in the report once its statement returns, so the database
    # never counts less than the report, nor more than every batch at once.
    assert all(report <= live <= 40 for live, report in seen)
    assert max(live for live, _ in seen) == 40


def test_a_failed_invoice_is_retried_within_its_own_part(
    postgres_session_factory: sessionmaker[Session],
    clock: FakeClock,
    reject_on_postgres: Callable[[list[int]], None],
) -> None:
    """The row-by-row retry reads its slice up to the part's end, not beyond."""
    with postgres_session_factory() as session:
        ids = _overdue_invoices(session, clock, 40)
        in_walk_order = session.scalars(
            select(Invoice.id).order_by(Invoice.due_date, Invoice.id)
        ).all()
    # Four parts of 10 invoices, batches of 4: the first part's last batch
    # holds 2 invoices, and the bad one is the last of them.
    bad = in_walk_order[9]
    reject_on_postgres([bad])

    report = run_overdue_invoices(
        postgres_session_factory, _options(parallelism=4, batch_size=4), clock=clock
    )

    assert report.status is RunStatus.COMPLETED
    assert report.errors.count == 1
    assert report.invoices_processed == 40
    assert notified(postgres_session_factory) == {(i, 1) for i in ids if i != bad}


class Stop(Exception):
    """Stands for a part that cannot go on."""


def test_a_part_that_fails_stops_the_others_and_fails_the_run(
    postgres_session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with postgres_session_factory() as session:
        _overdue_invoices(session, clock, 1000)
    failed_once = threading.Event()

    def fail_the_first_batch(_report: RunReport) -> None:
        if not failed_once.is_set():
            failed_once.set()
            raise Stop("a part cannot go on")

    report = run_overdue_invoices(
        postgres_session_factory,
        _options(parallelism=2),
        clock=clock,
        on_batch=fail_the_first_batch,
    )
    done = len(notified(postgres_session_factory))

    assert report.status is RunStatus.FAILED
    assert "Stop: a part cannot go on" in (report.errors.render() or "")
    # Every part has stopped by the time the run returns, long before the
    # other part's 100 batches were done.
    assert not [t for t in threading.enumerate() if t.name.startswith("overdue-walk")]
    assert done < 1000
    with postgres_session_factory() as check:
        logged = check.get_one(JobExecutionLog, report.run_id)
    assert logged.status == RunStatus.FAILED
    assert logged.invoices_processed == report.invoices_processed == done


def test_sqlite_and_dry_runs_walk_in_one_part(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with session_factory() as session:
        _overdue_invoices(session, clock, 30)
        on_postgresql = session.get_bind().dialect.name == "postgresql"
    dry = RunOptions(batch_size=5, parallelism=3, dry_run=True)

    dry_report, dry_threads = _threads_of_batches(session_factory, clock, dry)
    report, threads = _threads_of_batches(session_factory, clock, _options(3))

    assert dry_threads == {threading.current_thread().name}
    assert dry_report.would_create == 30
    assert report.notifications_created == 30
    if on_postgresql:
        assert len(threads) == 3
    else:
        assert threads == {threading.current_thread().name}
