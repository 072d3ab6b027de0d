"""The overdue run: open its log row, walk the work in batches, always close the row."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock, system_clock
from app.db.compiled import CompiledStatement
from app.executions.models import OVERDUE_JOB_NAME, RunStatus, RunTrigger
from app.executions.repository import (
    RunCounts,
    fail_stale_runs,
    finish_run,
    open_run,
)
from app.overdue.batch import (
    BatchResult,
    PlannedNotification,
    SliceDone,
    batch_params,
    dry_run_batch,
    one_statement_batch,
    record_progress,
    run_one_statement_batch,
    write_batch,
)
from app.overdue.error_log import ErrorLog
from app.overdue.rule import (
    WALK_END,
    WALK_START,
    Walk,
    WalkKey,
    WalkPart,
    local_dates,
)
from app.settings import Settings

logger = logging.getLogger(__name__)

MAX_REPORTED_PLANS = 1_000


@dataclass(frozen=True)
class RunOptions:
    reminder_days: tuple[int, ...] = (1,)
    batch_size: int = 100
    default_timezone: str = "UTC"
    stale_after: timedelta = timedelta(seconds=300)
    dry_run: bool = False
    parallelism: int = 2

    @classmethod
    def from_settings(cls, settings: Settings, *, dry_run: bool = False) -> RunOptions:
        return cls(
            reminder_days=settings.overdue_invoice_reminder_days,
            batch_size=settings.overdue_invoice_batch_size,
            default_timezone=settings.overdue_invoice_timezone,
            stale_after=timedelta(seconds=settings.overdue_invoice_stale_run_seconds),
            dry_run=dry_run,
            parallelism=settings.overdue_invoice_parallelism,
        )


@dataclass
class RunReport:
    """What a run did; for a dry run, `planned` lists what it would have created."""

    run_id: uuid.UUID
    started_at: datetime
    dry_run: bool
    status: RunStatus = RunStatus.RUNNING
    finished_at: datetime | None = None
    invoices_processed: int = 0
    notifications_created: int = 0
    would_create: int = 0
    statuses_changed: int = 0
    batches: int = 0
    # How many parts the walk was cut into (OVERDUE_INVOICE_PARALLELISM).
    parts: int = 1
    errors: ErrorLog = field(default_factory=ErrorLog)
    planned: list[PlannedNotification] = field(default_factory=list)
    # Held by whichever part of the walk is changing the report.
    lock: threading.Lock = field(
        default_factory=threading.Lock, repr=False, compare=False
    )

    @property
    def duration_seconds(self) -> float:
        end = self.finished_at or self.started_at
        return (end - self.started_at).total_seconds()

    def counts(self) -> RunCounts:
        return RunCounts(
            invoices_processed=self.invoices_processed,
            notifications_created=self.notifications_created,
            error_count=self.errors.count,
            error_details=self.errors.render(),
        )

    def add(self, rows: int, result: BatchResult) -> None:
        self.batches += 1
        self.invoices_processed += rows
        self.statuses_changed += result.statuses_changed
        if not self.dry_run:
            self.notifications_created += result.created
            return
        self.would_create += result.created
        room = MAX_REPORTED_PLANS - len(self.planned)
        self.planned.extend(result.planned[: max(room, 0)])


ProgressCallback = Callable[[RunReport], None]


class RunAlreadyClaimed(Exception):
    """The run's log row could not be inserted: its slot belongs to another run."""


def run_overdue_invoices(
    factory: sessionmaker[Session],
    options: RunOptions,
    *,
    clock: Clock = system_clock,
    trigger: RunTrigger = RunTrigger.CLI,
    on_batch: ProgressCallback | None = None,
) -> RunReport:
    """Run now, not tied to a slot: open a log row, do the work, close the row."""
    now = clock()
    close_unfinished_runs(factory, options, now)
    run_id = open_run(
        factory,
        job_name=OVERDUE_JOB_NAME,
        now=now,
        trigger=trigger,
        dry_run=options.dry_run,
    )
    if run_id is None:
        raise RunAlreadyClaimed("a run without a slot cannot collide")
    return execute_run(
        factory, run_id, options, started_at=now, clock=clock, on_batch=on_batch
    )


def execute_run(
    factory: sessionmaker[Session],
    run_id: uuid.UUID,
    options: RunOptions,
    *,
    started_at: datetime,
    clock: Clock = system_clock,
    on_batch: ProgressCallback | None = None,
) -> RunReport:
    """Do the work of an opened run and close its row, whatever happens.

    `started_at` is the run instant: each business's "today" is taken from it.
    """
    report = RunReport(run_id=run_id, started_at=started_at, dry_run=options.dry_run)
    _log_event("run started", report, dry_run=options.dry_run)
    try:
        _walk(factory, report, options, clock, on_batch)
        report.status = RunStatus.COMPLETED
    except Exception as exc:
        _record_failure(report, exc)
    except BaseException as exc:
        # Interrupted (SIGTERM, Ctrl-C): close the row, then let the signal win.
        _record_failure(report, exc)
        raise
    finally:
        report.finished_at = clock()
        _close(factory, report)
    return report


def _record_failure(report: RunReport, exc: BaseException) -> None:
    report.status = RunStatus.FAILED
    report.errors.fail_run(f"{type(exc).__name__}: {exc}")
    logger.error(
        "run failed",
        exc_info=exc,
        extra={"event": "run_failed", "run_id": str(report.run_id)},
    )


def _walk(
    factory: sessionmaker[Session],
    report: RunReport,
    options: RunOptions,
    clock: Clock,
    on_batch: ProgressCallback | None,
) -> None:
    """Walk open past-due invoices in (due_date, id) order, one transaction per batch.

    The walk reads the index of open invoices slice by slice, and a batch is
    the invoices of one slice that need work, up to the batch size. Each
    work query's cost is bounded by its slice whatever the planner guesses;
    where there is no work the slices widen, so a backlog with nothing new
    is crossed in a few queries, and they narrow again where work is dense.

    On PostgreSQL (psycopg), outside a dry run, the walk is cut into
    `options.parallelism` parts of as many entries each, walked at once on
    connections of their own (see _walk_in_parts).
    """
    with factory() as session:
        dates = local_dates(session, report.started_at, options.default_timezone)
        dialect = session.get_bind().dialect
    walk = Walk(dates, options.reminder_days, options.batch_size)
    walking = _PartWalk(factory, walk, report, options, clock, on_batch)
    if not _in_one_statement(dialect, options):
        walking.through(WalkPart(WALK_START, WALK_END), batches=None)
        return
    # Once for every part: compiling costs as much as a few batches.
    statement = CompiledStatement.of(one_statement_batch(walk), dialect)
    parts = [WalkPart(WALK_START, WALK_END)]
    if options.parallelism > 1:
        with factory() as session:
            parts = walk.parts(session.connection(), options.parallelism)
    report.parts = len(parts)
    if len(parts) == 1:
        walking.in_statements(parts[0], statement)
        return
    _walk_in_parts(walking, parts, statement)


def _in_one_statement(dialect: Dialect, options: RunOptions) -> bool:
    """Whether each batch is one statement (batch.one_statement_batch)."""
    on_psycopg = dialect.name == "postgresql" and dialect.driver == "psycopg"
    return on_psycopg and not options.dry_run


def _walk_in_parts(
    walking: _PartWalk, parts: list[WalkPart], statement: CompiledStatement
) -> None:
    """Each part on a thread and a connection of its own; the first failure ends all.

    A part that fails stops the others after their current batch, and its
    exception becomes the run's. So does an interruption of the run's own
    thread, once every part has stopped: nothing is left writing after the
    run's log row is closed.
    """
    with ThreadPoolExecutor(len(parts), thread_name_prefix="overdue-walk") as pool:
        futures = [
            pool.submit(walking.in_statements, part, statement) for part in parts
        ]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        finally:
            # Done, failed or interrupted: any part still going stops between
            # batches, and the run waits for it.
            walking.stop.set()
            wait(futures)
    for future in futures:
        failure = future.exception()
        if failure is not None:
            raise failure


class _PartWalk:
    """What every part of one run's walk shares, and the walk of one part."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        walk: Walk,
        report: RunReport,
        options: RunOptions,
        clock: Clock,
        on_batch: ProgressCallback | None,
    ) -> None:
        self.factory = factory
        self.walk = walk
        self.report = report
        self.options = options
        self.clock = clock
        self.on_batch = on_batch
        self.stop = threading.Event()

    def in_statements(self, part: WalkPart, statement: CompiledStatement) -> None:
        """The part's batches as one statement each, on a connection of its own."""
        with _statement_batches(self.factory, statement) as batches:
            self.through(part, batches)

    def through(self, part: WalkPart, batches: StatementBatches | None) -> None:
        """Walk `part` batch by batch, until its end or until the run stops."""
        after = part.start
        slices = SliceWidth(self.options.batch_size)
        while not self.stop.is_set():
            done, until = _run_batch(
                self.factory,
                self.walk,
                batches,
                self.report,
                self.options,
                self.clock,
                after,
                part.end,
                slices,
            )
            if done.rows and self.on_batch is not None:
                with self.report.lock:
                    self.on_batch(self.report)
            if done.rows == self.options.batch_size and done.last is not None:
                after = done.last
                continue
            # Only a batch that filled may stop before its slice's end.
            assert until is not None
            if until == WALK_END:
                return
            after = until


class SliceWidth:
    """How many index entries the walk's next slice spans.

    Each slice is sized from the last one's share of work to hold about one
    batch: a slice with little or no work makes the next one wider, up to a
    cap that bounds one query's reading. After a full batch, the next slice
    spans as many entries as that batch took, where the batch statement
    reports it; otherwise it is halved, down to a couple of batches' worth.
    """

    NARROW_BATCHES = 2
    WIDE_BATCHES = 256

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.narrow = batch_size * self.NARROW_BATCHES
        self.widest = batch_size * self.WIDE_BATCHES
        self.width = self.narrow

    def follow(self, rows: int, read: int | None = None) -> None:
        """Size the next slice from this one's `rows` of work.

        `read`: how many index entries a full batch took, if known.
        """
        if rows >= self.batch_size and read is not None:
            self.width = min(max(read, self.batch_size), self.widest)
            return
        if rows >= self.batch_size:
            wanted = self.width // 2
        else:
            wanted = self.width * self.batch_size // max(rows, 1)
        self.width = max(self.narrow, min(wanted, self.widest))


NOTHING_DONE = SliceDone(0, None, BatchResult())


@dataclass(frozen=True)
class StatementBatches:
    """PostgreSQL's batches as one statement each (batch.one_statement_batch).

    The walk holds one connection in autocommit: each batch is a single
    statement, so it is its own transaction, and a batch costs one round
    trip instead of a pool checkout, a BEGIN and a COMMIT besides.
    """

    connection: Connection
    statement: CompiledStatement


# psycopg prepares a statement run five times on one connection; PostgreSQL
# would still plan the batch statement afresh for each batch (about 3 ms),
# because a plan for the actual bounds always looks cheaper than a generic
# one. Their plans are the same: an ordered range scan of ix_invoices_open_due.
# Set for the walk's own connection (see _statement_batches).
GENERIC_PLANS = "SET plan_cache_mode = force_generic_plan"


# A generic plan is made with the table sizes of the moment it is made, and
# is kept until the tables' statistics change. The probe for a notification
# already sent reads the notifications table by sequential scan when the
# table looks empty (a new installation, or every notification deleted and
# vacuumed away). A pooled connection that kept the statement prepared from
# an earlier run replans it at the next run's first batch: with the table
# emptied since, each probe then read every notification the run had made
# so far, and a 5 s run at 1M invoices took 4 to 6 minutes, until autovacuum
# analyzed the table. So the walk's connection leaves the pool for good: the
# next walk gets a new one, on which psycopg prepares the batch statement at
# its sixth batch, after five planned on the table as it is. Limitation: a
# table still all but empty by then keeps the scan until autovacuum
# analyzes it.
@contextmanager
def _statement_batches(
    factory: sessionmaker[Session], statement: CompiledStatement
) -> Iterator[StatementBatches]:
    """The walk's own connection, out of the pool and closed when the walk ends.

    One new connection per walk (a few milliseconds) leaves no plan, setting
    or prepared statement behind for the pool's other users or the next run.

    Limitation: a connection lost between two batches ends the run, where a
    session per batch would have reconnected; the next run does the rest.
    """
    with factory() as session:
        connection = session.connection(
            execution_options={"isolation_level": "AUTOCOMMIT"}
        )
        connection.detach()
        connection.exec_driver_sql(GENERIC_PLANS)
        yield StatementBatches(connection, statement)


def _run_batch(
    factory: sessionmaker[Session],
    walk: Walk,
    batches: StatementBatches | None,
    report: RunReport,
    options: RunOptions,
    clock: Clock,
    after: WalkKey,
    end: WalkKey,
    slices: SliceWidth,
) -> tuple[SliceDone, WalkKey | None]:
    """One batch from the slice after `after`, and where that slice ends.

    The slice stops at `end`, the last key of the walk's part; past it the
    slice's end is WALK_END.

    With `batches` the batch is one statement that also finds the slice's
    end; without, the slice's end is found first and the batch's rows are
    read and written from Python. A batch that fails is retried row by row
    from Python either way.
    """
    rows = None
    until: WalkKey | None = None
    try:
        if batches is not None:
            done, until = _apply_in_one_statement(
                batches,
                walk.walked_params(after, slices.width, end),
                report,
                options,
                clock,
            )
        else:
            with factory() as session:
                connection = session.connection()
                until = _slice_end(connection, walk, after, slices.width, end)
                rows = _work(connection, walk, after, until, end)
                done = NOTHING_DONE
                if rows:
                    result = _apply(session, rows, report, options, clock)
                    done = _done(rows, result)
    except Exception as exc:
        if _is_connection_failure(exc):
            raise
        _log_batch_retry(report, exc)
        if rows is None:
            rows, until = _rows_of_slice(factory, walk, after, slices.width, end, until)
        result = _apply_row_by_row(factory, rows, report, options, clock)
        done = _done(rows, result)
    slices.follow(done.rows, done.read)
    if done.rows:
        with report.lock:
            report.add(done.rows, done.result)
            batch_number = report.batches
        logger.debug(
            "batch done",
            extra={
                "event": "run_batch",
                "run_id": str(report.run_id),
                "batch": batch_number,
            },
        )
    return done, until


def _rows_of_slice(
    factory: sessionmaker[Session],
    walk: Walk,
    after: WalkKey,
    width: int,
    end: WalkKey,
    until: WalkKey | None,
) -> tuple[Sequence[Row[Any]], WalkKey]:
    """A failed batch's rows read again, for the row-by-row retry."""
    with factory() as session:
        connection = session.connection()
        if until is None:
            until = _slice_end(connection, walk, after, width, end)
        rows = _work(connection, walk, after, until, end)
    return rows, until


def _work(
    connection: Connection, walk: Walk, after: WalkKey, until: WalkKey, end: WalkKey
) -> Sequence[Row[Any]]:
    """The rows needing work in (after, until], and never past the part's `end`."""
    bounds = walk.work_params(after, min(until, end))
    return connection.execute(walk.work, bounds).all()


def _slice_end(
    connection: Connection, walk: Walk, after: WalkKey, width: int, end: WalkKey
) -> WalkKey:
    """The key of the `width`-th open invoice in (after, end], or WALK_END."""
    params = walk.slice_params(after, width, end)
    found = connection.execute(walk.slice_end, params).first()
    return WALK_END if found is None else WalkKey(found.due_date, found.id)


def _done(rows: Sequence[Row[Any]], result: BatchResult) -> SliceDone:
    if not rows:
        return NOTHING_DONE
    return SliceDone(len(rows), WalkKey(rows[-1].due_date, rows[-1].id), result)


def _apply_in_one_statement(
    batches: StatementBatches,
    params: dict[str, Any],
    report: RunReport,
    options: RunOptions,
    clock: Clock,
) -> tuple[SliceDone, WalkKey | None]:
    """The batch's writes, heartbeat and live counts: one statement, one transaction."""
    progress = batch_params(report.run_id, now=report.started_at, beat_at=clock())
    return run_one_statement_batch(
        batches.connection,
        batches.statement,
        {**params, **progress},
        options.batch_size,
    )


def _apply(
    session: Session,
    rows: Sequence[Row[Any]],
    report: RunReport,
    options: RunOptions,
    clock: Clock,
) -> BatchResult:
    """The batch's writes, its heartbeat and live counts, committed together."""
    if options.dry_run:
        result = dry_run_batch(rows)
    else:
        result = write_batch(session, rows, now=report.started_at)
    record_progress(
        session,
        report.run_id,
        now=clock(),
        processed=len(rows),
        created=0 if options.dry_run else result.created,
    )
    session.commit()
    return result


def _apply_row_by_row(
    factory: sessionmaker[Session],
    rows: Sequence[Row[Any]],
    report: RunReport,
    options: RunOptions,
    clock: Clock,
) -> BatchResult:
    """Retry a failed batch one invoice at a time, so one bad invoice stops no other."""
    merged = BatchResult()
    for row in rows:
        with factory() as session:
            try:
                result = _apply(session, [row], report, options, clock)
            except Exception as exc:
                if _is_connection_failure(exc):
                    raise
                session.rollback()
                with report.lock:
                    report.errors.add_invoice(
                        invoice_id=row.id,
                        invoice_number=row.invoice_number,
                        reason=str(exc),
                    )
                continue
        merged.created += result.created
        merged.statuses_changed += result.statuses_changed
        merged.planned += result.planned
    return merged


def _is_connection_failure(exc: Exception) -> bool:
    """Errors that stop the run rather than one invoice: the database went away."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError)


def _log_batch_retry(report: RunReport, exc: Exception) -> None:
    logger.warning(
        "batch failed, retrying its invoices one by one: %s",
        exc,
        extra={"event": "run_batch_retry", "run_id": str(report.run_id)},
    )


@dataclass(frozen=True)
class _Outcome:
    status: RunStatus
    counts: RunCounts
    finished_at: datetime


# Runs this process finished but could not record (the database was away);
# the next run of this process writes them first.
_unclosed_lock = threading.Lock()
_unclosed_runs: dict[uuid.UUID, _Outcome] = {}


def _close(factory: sessionmaker[Session], report: RunReport) -> None:
    """Finish the log row; if the database is away, leave it for the next run."""
    assert report.finished_at is not None
    outcome = _Outcome(report.status, report.counts(), report.finished_at)
    try:
        _write_outcome(factory, report.run_id, outcome)
    except Exception:
        with _unclosed_lock:
            _unclosed_runs[report.run_id] = outcome
        logger.exception(
            "could not close the run's log row; the next run will",
            extra={"event": "run_close_failed", "run_id": str(report.run_id)},
        )
        return
    _log_event("run finished", report, status=str(report.status), parts=report.parts)


def _write_outcome(
    factory: sessionmaker[Session], run_id: uuid.UUID, outcome: _Outcome
) -> None:
    finish_run(
        factory,
        run_id,
        now=outcome.finished_at,
        status=outcome.status,
        counts=outcome.counts,
    )


def close_unfinished_runs(
    factory: sessionmaker[Session], options: RunOptions, now: datetime
) -> None:
    """Record runs this process could not close, and fail runs whose process died."""
    with _unclosed_lock:
        pending = dict(_unclosed_runs)
    for run_id, outcome in pending.items():
        _write_outcome(factory, run_id, outcome)
        with _unclosed_lock:
            _unclosed_runs.pop(run_id, None)
    fail_stale_runs(
        factory, job_name=OVERDUE_JOB_NAME, now=now, stale_after=options.stale_after
    )


def _log_event(message: str, report: RunReport, **fields: object) -> None:
    logger.info(
        message,
        extra={
            "event": message.replace(" ", "_"),
            "run_id": str(report.run_id),
            "invoices_processed": report.invoices_processed,
            "notifications_created": report.notifications_created,
            "error_count": report.errors.count,
            **fields,
        },
    )
