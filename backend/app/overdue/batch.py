"""One batch of the overdue run: set-based writes in one transaction.

Per batch there is one SELECT of the work (and one of where its slice of the
walk ends, see rule.Walk), one INSERT of every notification (ON CONFLICT DO
NOTHING), one UPDATE of statuses and the heartbeat, whatever the batch size.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    String,
    Text,
    any_,
    bindparam,
    cast,
    column,
    false,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.db.base import UtcDateTime
from app.db.upsert import insert_ignoring_conflicts
from app.executions.models import JobExecutionLog
from app.invoices.models import Invoice, InvoiceStatus
from app.notifications.models import PAYMENT_OVERDUE, Notification
from app.overdue.messages import OverdueFacts, overdue_message, overdue_title
from app.overdue.rule import STATUSES_BECOMING_OVERDUE, days_overdue

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
    created: list[PlannedNotification] = field(default_factory=list)
    statuses_changed: int = 0


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
        result.created = [plan for plan in planned if plan.invoice_id in inserted]
    result.statuses_changed = _mark_overdue(session, [row.id for row in rows], now)
    return result


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
    return BatchResult(plan_notifications(rows), statuses_changed=len(changing))


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


def _mark_overdue(session: Session, invoice_ids: list[int], now: datetime) -> int:
    connection = session.connection()
    statement = MARK_OVERDUE[connection.dialect.name]
    result = connection.execute(
        statement, {"invoice_ids": invoice_ids, "moved_at": now}
    )
    return result.rowcount


RECORD_PROGRESS = (
    update(JobExecutionLog)
    .where(JobExecutionLog.id == bindparam("run_id", type_=JobExecutionLog.id.type))
    .values(
        heartbeat_at=bindparam("beat_at", type_=UtcDateTime()),
        invoices_processed=bindparam("processed", type_=Integer()),
        notifications_created=bindparam("created", type_=Integer()),
    )
)


def record_progress(
    session: Session, run_id: uuid.UUID, *, now: datetime, processed: int, created: int
) -> None:
    """Heartbeat and live counts, in the batch's own transaction."""
    params = {"run_id": run_id, "beat_at": now, "processed": processed}
    session.connection().execute(RECORD_PROGRESS, {**params, "created": created})
