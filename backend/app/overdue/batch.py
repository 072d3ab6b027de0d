"""One batch of the overdue run: set-based writes in one transaction.

Per batch there is one SELECT (the work), one INSERT of every notification
(ON CONFLICT DO NOTHING) and one UPDATE of statuses, whatever the batch size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, update
from sqlalchemy.orm import Session

from app.db.upsert import insert_ignoring_conflicts
from app.executions.models import JobExecutionLog
from app.invoices.models import Invoice, InvoiceStatus
from app.notifications.models import PAYMENT_OVERDUE, Notification
from app.overdue.messages import OverdueFacts, overdue_message, overdue_title
from app.overdue.rule import STATUSES_BECOMING_OVERDUE, days_overdue

NOTIFICATION_KEY = ["invoice_id", "kind", "stage"]


@dataclass(frozen=True)
class PlannedNotification:
    """A notification the run creates, or in a dry run would create."""

    invoice_id: int
    invoice_number: str
    business_id: int
    stage: int
    days_overdue: int
    title: str


@dataclass
class BatchResult:
    created: list[PlannedNotification] = field(default_factory=list)
    statuses_changed: int = 0


def plan_notifications(rows: Sequence[Row[Any]], today: date) -> list[dict[str, Any]]:
    """The notification rows to insert for the rows of a work batch."""
    return [_notification_values(row, today) for row in rows if row.notify]


def _notification_values(row: Row[Any], today: date) -> dict[str, Any]:
    facts = OverdueFacts(
        invoice_id=row.id,
        invoice_number=row.invoice_number,
        customer_name=row.customer_name,
        balance_due=row.total - row.amount_paid,
        currency=row.currency,
        due_date=row.due_date,
        days_overdue=days_overdue(row.due_date, today),
    )
    return {
        "business_id": row.business_id,
        "invoice_id": row.id,
        "kind": PAYMENT_OVERDUE,
        "stage": row.stage,
        "title": overdue_title(facts),
        "message": overdue_message(facts),
        "resource_type": "invoice",
        "resource_id": str(row.id),
        "days_overdue": facts.days_overdue,
        "invoice_number": row.invoice_number,
    }


def write_batch(
    session: Session, rows: Sequence[Row[Any]], *, today: date, now: datetime
) -> BatchResult:
    """Insert the batch's notifications and move its statuses; the caller commits."""
    planned = plan_notifications(rows, today)
    result = BatchResult()
    if planned:
        inserted = _insert_notifications(session, planned, now)
        result.created = [
            _planned(values) for values in planned if values["invoice_id"] in inserted
        ]
    result.statuses_changed = _mark_overdue(session, [row.id for row in rows], now)
    return result


def _insert_notifications(
    session: Session, planned: list[dict[str, Any]], now: datetime
) -> set[int]:
    """Rows another process inserted first are skipped by the unique key, not lost."""
    values = [_row_values(item, now) for item in planned]
    statement = insert_ignoring_conflicts(session, Notification, NOTIFICATION_KEY)
    returned = session.execute(statement.returning(Notification.invoice_id), values)
    return set(returned.scalars())


def _row_values(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    skip = {"days_overdue", "invoice_number"}
    values = {key: value for key, value in item.items() if key not in skip}
    return {**values, "is_read": False, "created_at": now}


def _planned(values: dict[str, Any]) -> PlannedNotification:
    return PlannedNotification(
        invoice_id=values["invoice_id"],
        invoice_number=values["invoice_number"],
        business_id=values["business_id"],
        stage=values["stage"],
        days_overdue=values["days_overdue"],
        title=values["title"],
    )


def dry_run_batch(rows: Sequence[Row[Any]], *, today: date) -> BatchResult:
    """What write_batch would do, with nothing written."""
    planned = plan_notifications(rows, today)
    changing = [row for row in rows if row.status in STATUSES_BECOMING_OVERDUE]
    return BatchResult([_planned(v) for v in planned], statuses_changed=len(changing))


def _mark_overdue(session: Session, invoice_ids: list[int], now: datetime) -> int:
    result = session.execute(
        update(Invoice)
        .where(
            Invoice.id.in_(invoice_ids),
            Invoice.status.in_(STATUSES_BECOMING_OVERDUE),
        )
        .values(status=InvoiceStatus.OVERDUE, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def record_progress(
    session: Session, run_id: uuid.UUID, *, now: datetime, processed: int, created: int
) -> None:
    """Heartbeat and live counts, in the batch's own transaction."""
    session.execute(
        update(JobExecutionLog)
        .where(JobExecutionLog.id == run_id)
        .values(
            heartbeat_at=now,
            invoices_processed=processed,
            notifications_created=created,
        )
    )
