"""One batch of the overdue run: set-based writes in one transaction.

On PostgreSQL through psycopg a batch is one statement (see
one_statement_batch), compiled once per walk (app.db.compiled): the slice
of the walk, the work in it, the INSERT … SELECT of its notifications
with their text built in SQL, the status UPDATE and the heartbeat, as CTEs,
so no row travels to Python. Elsewhere, in a dry run, and when a failed
batch is retried row by row, one statement finds where the batch's slice of
the walk ends (see rule.Walk), and the batch is read out and written from
Python: one SELECT of the work, one INSERT of every notification (ON
CONFLICT DO NOTHING), one UPDATE of statuses and the heartbeat, whatever the
batch size.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    Row,
    Select,
    String,
    Text,
    any_,
    bindparam,
    case,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.customers.models import Customer
from app.db.base import UtcDateTime
from app.db.compiled import CompiledStatement
from app.db.upsert import insert_ignoring_conflicts
from app.executions.models import JobExecutionLog
from app.invoices.models import Invoice, InvoiceStatus
from app.money import currency_styles
from app.notifications.models import PAYMENT_OVERDUE, Notification
from app.overdue.messages import (
    OverdueColumns,
    OverdueFacts,
    overdue_message,
    overdue_title,
)
from app.overdue.rule import (
    STATUSES_BECOMING_OVERDUE,
    WALK_END,
    Walk,
    WalkKey,
    days_overdue,
)

NOTIFICATION_KEY = ["invoice_id", "kind", "stage"]


class PlannedNotification(NamedTuple):
    """A notification the run creates, or in a dry run would create.

    A named tuple rather than a frozen dataclass: one is made per notified
    invoice, and a frozen dataclass costs several times more to build.
    """

    invoice_id: int
    invoice_number: str
    business_id: int
    stage: int
    days_overdue: int
    title: str
    message: str


@dataclass
class BatchResult:
    """What a batch did; in a dry run, what it would have done.

    `planned` lists the notifications of a dry run, or of a batch written
    from Python; a batch written in one statement leaves it empty.
    """

    created: int = 0
    statuses_changed: int = 0
    planned: list[PlannedNotification] = field(default_factory=list)


def plan_notifications(rows: Sequence[Row[Any]]) -> list[PlannedNotification]:
    """The notifications to create for the rows of a work batch.

    Each row carries its business's `today` (see rule.work_batch_query).
    """
    return [_plan(row) for row in rows if row.notify]


def _plan(row: Row[Any]) -> PlannedNotification:
    facts = OverdueFacts(
        invoice_id=row.id,
        invoice_number=row.invoice_number,
        customer_name=row.customer_name,
        balance_due=row.total - row.amount_paid,
        currency=row.currency,
        due_date=row.due_date,
        days_overdue=days_overdue(row.due_date, row.today),
    )
    return PlannedNotification(
        invoice_id=row.id,
        invoice_number=row.invoice_number,
        business_id=row.business_id,
        stage=row.stage,
        days_overdue=facts.days_overdue,
        title=overdue_title(facts),
        message=overdue_message(facts),
    )


def write_batch(
    session: Session, rows: Sequence[Row[Any]], *, now: datetime
) -> BatchResult:
    """Insert the batch's notifications and move its statuses; the caller commits."""
    planned = plan_notifications(rows)
    result = BatchResult()
    if planned:
        inserted = _insert_notifications(session, planned, now)
        result.planned = [plan for plan in planned if plan.invoice_id in inserted]
        result.created = len(result.planned)
        _record_reminded(session, planned)
    result.statuses_changed = _mark_overdue(session, [row.id for row in rows], now)
    return result


# Each planned notification exists once the batch's INSERT is done, whether it
# inserted it or found it already there, so its stage is now the invoice's
# reminded_stage unless a higher one was recorded. One UPDATE per stage in
# the batch (usually one), over the batch's ids as MARK_OVERDUE takes them.
def _record_reminded_statement(in_batch: ColumnElement[bool]) -> Any:
    stage = bindparam("stage", type_=Integer())
    # updated_at is given its own value: bookkeeping is not an edit, and the
    # column's onupdate would stamp the wall clock.
    return (
        update(Invoice)
        .where(in_batch, Invoice.reminded_stage < stage)
        .values(reminded_stage=stage, updated_at=Invoice.updated_at)
    )


def _record_reminded(session: Session, planned: list[PlannedNotification]) -> None:
    by_stage: dict[int, list[int]] = defaultdict(list)
    for plan in planned:
        by_stage[plan.stage].append(plan.invoice_id)
    connection = session.connection()
    statement = RECORD_REMINDED[connection.dialect.name]
    for stage, invoice_ids in by_stage.items():
        connection.execute(statement, {"invoice_ids": invoice_ids, "stage": stage})


def _insert_notifications(
    session: Session, planned: list[PlannedNotification], now: datetime
) -> set[int]:
    """Rows another process inserted first are skipped by the unique key, not lost."""
    if _is_postgresql(session):
        params = {"document": _json_document(planned), "run_instant": now}
        # Core, not the ORM: these parameters feed the statement, not its rows.
        inserted = session.connection().execute(INSERT_FROM_JSON, params)
        return set(inserted.scalars())
    statement = insert_ignoring_conflicts(session, Notification, NOTIFICATION_KEY)
    values = [_row_values(plan, now) for plan in planned]
    returned = session.execute(statement.returning(Notification.invoice_id), values)
    return set(returned.scalars())


def _row_values(plan: PlannedNotification, now: datetime) -> dict[str, Any]:
    return {
        "business_id": plan.business_id,
        "invoice_id": plan.invoice_id,
        "kind": PAYMENT_OVERDUE,
        "stage": plan.stage,
        "title": plan.title,
        "message": plan.message,
        "is_read": False,
        "resource_type": "invoice",
        "resource_id": str(plan.invoice_id),
        "created_at": now,
    }


# On PostgreSQL a batch travels as one JSON document, so the statement's text
# is the same for every batch: psycopg parses it once and the server prepares
# it. A VALUES list of a new length each time was parsed again in Python for
# every batch, and per-column arrays cost more to quote than json.dumps.
_JSON_COLUMNS: dict[str, Any] = {
    "business_id": BigInteger(),
    "invoice_id": BigInteger(),
    "stage": Integer(),
    "title": Text(),
    "message": Text(),
}
_INSERTED_COLUMNS = [
    "business_id",
    "invoice_id",
    "kind",
    "stage",
    "title",
    "message",
    "is_read",
    "resource_type",
    "resource_id",
    "created_at",
]


def _insert_from_json() -> Any:
    document = cast(bindparam("document", type_=Text()), postgresql.JSON)
    rows = (
        func.json_to_recordset(document)
        .table_valued(*(column(name, kind) for name, kind in _JSON_COLUMNS.items()))
        .render_derived(with_types=True)
    )
    source = select(
        rows.c.business_id,
        rows.c.invoice_id,
        literal(PAYMENT_OVERDUE),
        rows.c.stage,
        rows.c.title,
        rows.c.message,
        false(),
        literal("invoice"),
        cast(rows.c.invoice_id, String),
        bindparam("run_instant", type_=UtcDateTime()),
    )
    return (
        postgresql.insert(Notification)
        .from_select(_INSERTED_COLUMNS, source)
        .on_conflict_do_nothing(index_elements=NOTIFICATION_KEY)
        .returning(Notification.invoice_id)
    )


INSERT_FROM_JSON = _insert_from_json()


def _json_document(planned: list[PlannedNotification]) -> str:
    return json.dumps(
        [
            {
                "business_id": plan.business_id,
                "invoice_id": plan.invoice_id,
                "stage": plan.stage,
                "title": plan.title,
                "message": plan.message,
            }
            for plan in planned
        ]
    )


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def dry_run_batch(rows: Sequence[Row[Any]]) -> BatchResult:
    """What write_batch would do, with nothing written."""
    changing = [row for row in rows if row.status in STATUSES_BECOMING_OVERDUE]
    planned = plan_notifications(rows)
    return BatchResult(len(planned), len(changing), planned)


def _mark_overdue_statement(in_batch: ColumnElement[bool]) -> Any:
    return (
        update(Invoice)
        .where(in_batch, Invoice.status.in_(STATUSES_BECOMING_OVERDUE))
        .values(
            status=InvoiceStatus.OVERDUE,
            updated_at=bindparam("moved_at", type_=UtcDateTime()),
        )
    )


# PostgreSQL takes the batch's ids as one array (one statement text for every
# batch); SQLite as an IN list expanded at execution.
_BATCH_IDS = ARRAY(BigInteger())
MARK_OVERDUE = {
    "postgresql": _mark_overdue_statement(
        Invoice.id == any_(cast(bindparam("invoice_ids", type_=_BATCH_IDS), _BATCH_IDS))
    ),
    "sqlite": _mark_overdue_statement(
        Invoice.id.in_(bindparam("invoice_ids", expanding=True))
    ),
}


RECORD_REMINDED = {
    "postgresql": _record_reminded_statement(
        Invoice.id == any_(cast(bindparam("invoice_ids", type_=_BATCH_IDS), _BATCH_IDS))
    ),
    "sqlite": _record_reminded_statement(
        Invoice.id.in_(bindparam("invoice_ids", expanding=True))
    ),
}


def _mark_overdue(session: Session, invoice_ids: list[int], now: datetime) -> int:
    connection = session.connection()
    statement = MARK_OVERDUE[connection.dialect.name]
    result = connection.execute(
        statement, {"invoice_ids": invoice_ids, "moved_at": now}
    )
    return result.rowcount


# The live counts grow by each batch's own, in the batch's transaction: they
# count exactly the committed batches, however many parts of a walk are
# being worked at once.
RECORD_PROGRESS = (
    update(JobExecutionLog)
    .where(JobExecutionLog.id == bindparam("run_id", type_=JobExecutionLog.id.type))
    .values(
        heartbeat_at=bindparam("beat_at", type_=UtcDateTime()),
        invoices_processed=JobExecutionLog.invoices_processed
        + bindparam("processed", type_=Integer()),
        notifications_created=JobExecutionLog.notifications_created
        + bindparam("created", type_=Integer()),
    )
)


def record_progress(
    session: Session, run_id: uuid.UUID, *, now: datetime, processed: int, created: int
) -> None:
    """Heartbeat, and the batch's `processed` and `created` added to the live counts.

    In the batch's own transaction.
    """
    params = {"run_id": run_id, "beat_at": now, "processed": processed}
    session.connection().execute(RECORD_PROGRESS, {**params, "created": created})


class SliceDone(NamedTuple):
    """What a batch did: its rows, the last row's key, its writes.

    `read` is how many of the slice's index entries the batch covered, up
    to its last row, where the statement knows it (one_statement_batch).
    """

    rows: int
    last: WalkKey | None
    result: BatchResult
    read: int | None = None


def one_statement_batch(walk: Walk) -> Select[Any]:
    """PostgreSQL: a whole batch as one statement over one slice of rule.Walk.

    The slice is read once (rule.walked_slice); the INSERT, the status
    UPDATE and the heartbeat read its rows needing work, and the statement
    returns one row: the counts, the last work row's key and position, and
    the key where the slice ends (NULL when it reached the end of the walk).
    The text is built by messages.OverdueColumns, the same text
    overdue_message gives. It takes Walk.walked_params and batch_params.
    The heartbeat adds the batch's counts to the run's live counts.
    """
    walked = walk.walked
    # Looked up per row by key: a join would hash every customer each batch.
    customer_name = (
        select(Customer.name)
        .where(Customer.id == walked.c.customer_id)
        .scalar_subquery()
    )
    batch = (
        select(
            walked.c.id,
            walked.c.business_id,
            walked.c.invoice_number,
            walked.c.due_date,
            walked.c.total,
            walked.c.amount_paid,
            walked.c.currency,
            walked.c.status,
            customer_name.label("customer_name"),
            walked.c.today,
            walked.c.stage,
            walked.c.notify,
            walked.c.position,
        )
        .where(walked.c.needs_work)
        .order_by(walked.c.due_date, walked.c.id)
        .limit(walk.limit)
        .cte("batch")
    )
    style = currency_styles()
    facts = OverdueColumns(
        invoice_id=batch.c.id,
        invoice_number=batch.c.invoice_number,
        customer_name=batch.c.customer_name,
        balance_due=batch.c.total - batch.c.amount_paid,
        currency=batch.c.currency,
        due_date=batch.c.due_date,
        days_overdue=batch.c.today - batch.c.due_date,
    )
    source = (
        select(
            batch.c.business_id,
            batch.c.id,
            literal(PAYMENT_OVERDUE),
            batch.c.stage,
            facts.title(),
            facts.message(style),
            false(),
            literal("invoice"),
            cast(batch.c.id, String),
            bindparam("run_instant", type_=UtcDateTime()),
        )
        .select_from(batch.outerjoin(style, style.c.code == batch.c.currency))
        .where(batch.c.notify)
        .order_by(batch.c.id)
    )
    inserted = (
        postgresql.insert(Notification)
        .from_select(_INSERTED_COLUMNS, source)
        .on_conflict_do_nothing(index_elements=NOTIFICATION_KEY)
        .returning(Notification.invoice_id)
        .cte("inserted")
    )
    moved = _record_batch_statement(batch).returning(Invoice.id).cte("moved")
    becoming_overdue = select(batch.c.id).where(
        batch.c.status.in_(STATUSES_BECOMING_OVERDUE)
    )
    status_moves = select(moved.c.id).where(moved.c.id.in_(becoming_overdue))
    progress = (
        RECORD_PROGRESS.where(exists(select(batch.c.id)))
        .values(
            invoices_processed=JobExecutionLog.invoices_processed + _count(batch),
            notifications_created=JobExecutionLog.notifications_created
            + _count(inserted),
        )
        .cte("progress")
    )
    last = (
        select(batch.c.due_date, batch.c.id, batch.c.position)
        .order_by(batch.c.due_date.desc(), batch.c.id.desc())
        .limit(1)
        .cte("last_done")
    )
    slice_end = (
        select(walked.c.due_date, walked.c.id)
        .where(walked.c.position == bindparam("width", type_=Integer()))
        .cte("slice_end")
    )
    return select(
        _count(batch).label("rows"),
        _count(inserted).label("created"),
        _count(status_moves.subquery()).label("moved"),
        select(last.c.due_date).scalar_subquery().label("last_due_date"),
        select(last.c.id).scalar_subquery().label("last_id"),
        select(last.c.position).scalar_subquery().label("last_position"),
        select(slice_end.c.due_date).scalar_subquery().label("end_due_date"),
        select(slice_end.c.id).scalar_subquery().label("end_id"),
    ).add_cte(progress)


def _record_batch_statement(batch: CTE) -> Any:
    """The UPDATE of a batch's invoices: sent/viewed to overdue, reminded_stage.

    Every writer takes the batch's keys and rows in id order, so two runs on
    overlapping batches wait for each other instead of deadlocking: the
    INSERT by its ORDER BY, this UPDATE because an index scan visits an
    = ANY(array) in sorted order (a join would follow its hash). The stage
    of each notified row comes from the batch as one {id: stage} document,
    computed once, for the same reason: as a CTE, since the UPDATE reads it
    twice and PostgreSQL would aggregate a subquery once per use.
    """
    stages = (
        select(
            func.jsonb_object_agg(cast(batch.c.id, Text), batch.c.stage).label("by_id")
        )
        .where(batch.c.notify)
        .cte("notified_stages")
    )
    notified = select(stages.c.by_id).scalar_subquery()
    stage = func.coalesce(cast(notified.op("->>")(cast(Invoice.id, Text)), Integer), 0)
    becoming_overdue = Invoice.status.in_(STATUSES_BECOMING_OVERDUE)
    in_batch = Invoice.id == any_(func.array(select(batch.c.id).scalar_subquery()))
    return (
        update(Invoice)
        .where(in_batch, or_(becoming_overdue, Invoice.reminded_stage < stage))
        .values(
            status=case(
                (becoming_overdue, InvoiceStatus.OVERDUE), else_=Invoice.status
            ),
            reminded_stage=func.greatest(Invoice.reminded_stage, stage),
            updated_at=case(
                (becoming_overdue, bindparam("moved_at", type_=UtcDateTime())),
                else_=Invoice.updated_at,
            ),
        )
    )


def _count(rows: Any) -> Any:
    return select(func.count()).select_from(rows).scalar_subquery()


def batch_params(
    run_id: uuid.UUID, *, now: datetime, beat_at: datetime
) -> dict[str, Any]:
    """one_statement_batch's own parameters: the run, its instant, the heartbeat."""
    return {"run_id": run_id, "run_instant": now, "moved_at": now, "beat_at": beat_at}


def run_one_statement_batch(
    connection: Connection,
    batch: CompiledStatement,
    params: dict[str, Any],
    limit: int,
) -> tuple[SliceDone, WalkKey | None]:
    """Execute one_statement_batch, compiled once, whose batches hold `limit` rows.

    On a connection in autocommit the statement is its own transaction;
    otherwise the caller commits.

    Returns what the batch did and where its slice ends: WALK_END past the
    last open invoice, None when the batch filled before the slice's end.
    """
    row = batch.execute(connection, params).one()
    result = BatchResult(created=row.created, statuses_changed=row.moved)
    last = None if row.last_id is None else WalkKey(row.last_due_date, row.last_id)
    until: WalkKey | None = None
    if row.end_id is not None:
        until = WalkKey(row.end_due_date, row.end_id)
    elif row.rows < limit:
        until = WALK_END
    return SliceDone(row.rows, last, result, row.last_position), until
