"""The overdue rule: which invoices are overdue, by how many days, at which stage.

Everything date-like is computed here in Python (a business's "today", the
due-date threshold of each reminder stage), so the statements compare plain
dates and read the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.customers.models import Customer
from app.invoices.models import CLOSED_STATUSES, Invoice, InvoiceStatus
from app.notifications.models import PAYMENT_OVERDUE, Notification

logger = logging.getLogger(__name__)

# Statuses the run moves to `overdue`; partial invoices keep their status.
STATUSES_BECOMING_OVERDUE = (InvoiceStatus.SENT, InvoiceStatus.VIEWED)


def local_today(instant: datetime, zone: zoneinfo.ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def days_overdue(due_date: date, today: date) -> int:
    return (today - due_date).days


def reminder_stage(days: int, stages: tuple[int, ...]) -> int | None:
    """The highest stage reached after `days` days overdue, or None before the first."""
    reached = [stage for stage in stages if stage <= days]
    return max(reached) if reached else None


def is_overdue(
    *,
    status: InvoiceStatus,
    due_date: date | None,
    balance_due: Decimal,
    deleted: bool,
    customer_paused: bool,
    today: date,
) -> bool:
    """The rule in plain Python, as the statements below apply it."""
    return (
        due_date is not None
        and due_date < today
        and status not in CLOSED_STATUSES
        and not deleted
        and balance_due > 0
        and not customer_paused
    )


@dataclass(frozen=True)
class ZoneGroup:
    """Businesses that share a time zone, and so one "today" for a run."""

    zone: str
    today: date
    stored_values: tuple[str | None, ...]

    def business_filter(self) -> ColumnElement[bool]:
        named = [value for value in self.stored_values if value is not None]
        condition = Business.timezone.in_(named)
        if None in self.stored_values:
            return or_(condition, Business.timezone.is_(None))
        return condition


def zone_groups(
    session: Session, instant: datetime, default_zone: str
) -> list[ZoneGroup]:
    """One group per effective time zone; unknown or empty zones use the default."""
    stored = session.scalars(select(Business.timezone).distinct()).all()
    by_zone: dict[str, list[str | None]] = defaultdict(list)
    for value in stored:
        by_zone[_effective_zone(value, default_zone)].append(value)
    return [
        ZoneGroup(zone, local_today(instant, zoneinfo.ZoneInfo(zone)), tuple(values))
        for zone, values in sorted(by_zone.items())
    ]


def _effective_zone(value: str | None, default_zone: str) -> str:
    if not value:
        return default_zone
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning(
            "business time zone unknown, using the default",
            extra={"event": "business_timezone_unknown", "timezone": value},
        )
        return default_zone
    return value


@dataclass(frozen=True)
class StageThresholds:
    """A stage's threshold is its latest due date: due_date <= it ⇔ days >= stage."""

    today: date
    stages: tuple[int, ...]

    def threshold(self, stage: int) -> date:
        return self.today - timedelta(days=stage)

    def stage_expression(self) -> ColumnElement[Any]:
        whens = [
            (Invoice.due_date <= self.threshold(stage), stage)
            for stage in sorted(self.stages, reverse=True)
        ]
        return case(*whens, else_=None)

    def needs_notification(self) -> ColumnElement[bool]:
        """A stage is reached and no notification of that stage or higher exists."""
        already_notified = exists().where(
            Notification.invoice_id == Invoice.id,
            Notification.kind == PAYMENT_OVERDUE,
            Notification.stage >= self.stage_expression(),
        )
        return and_(
            Invoice.due_date <= self.threshold(min(self.stages)), ~already_notified
        )


def overdue_condition(today: date) -> ColumnElement[bool]:
    """The overdue rule as SQL; it matches the partial index on open invoices."""
    return and_(
        Invoice.deleted_at.is_(None),
        Invoice.status.not_in(CLOSED_STATUSES),
        Invoice.due_date < today,
        Invoice.total > Invoice.amount_paid,
        Customer.reminders_paused == false(),
    )


def work_batch_query(
    group: ZoneGroup, stages: tuple[int, ...], *, after_id: int, limit: int
) -> Select[Any]:
    """The next overdue invoices, by id after `after_id`, that still need work.

    Work is a notification for a newly reached stage, or a status to move to
    `overdue`; invoices with neither are not read again, so a run's cost
    follows what is new rather than the whole overdue backlog.
    """
    thresholds = StageThresholds(group.today, stages)
    needs_notification = thresholds.needs_notification()
    needs_status = Invoice.status.in_(STATUSES_BECOMING_OVERDUE)
    return (
        select(
            Invoice.id,
            Invoice.business_id,
            Invoice.invoice_number,
            Invoice.due_date,
            Invoice.total,
            Invoice.amount_paid,
            Invoice.currency,
            Invoice.status,
            Customer.name.label("customer_name"),
            thresholds.stage_expression().label("stage"),
            case((needs_notification, True), else_=False).label("notify"),
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .join(Business, Business.id == Invoice.business_id)
        .where(
            group.business_filter(),
            overdue_condition(group.today),
            Invoice.id > after_id,
            or_(needs_status, needs_notification),
        )
        .order_by(Invoice.id)
        .limit(limit)
    )
