"""The per-invoice reference: the overdue run as a naive job would write it.

OFFSET pagination over candidate invoices, then for each invoice an ORM get
of the invoice, its customer and business, a SELECT to check for an existing
notification, an INSERT and a commit. It applies the same rule and renders
the same text as the real run, so the two are compared on equal work.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, sessionmaker

from app.businesses.models import Business
from app.customers.models import Customer
from app.invoices.models import Invoice, InvoiceStatus, open_invoice_condition
from app.notifications.models import PAYMENT_OVERDUE, Notification
from app.overdue.messages import OverdueFacts, overdue_message, overdue_title
from app.overdue.rule import (
    STATUSES_BECOMING_OVERDUE,
    days_overdue,
    is_overdue,
    local_today,
    reminder_stage,
)

PAGE_SIZE = 100
# No zone is further ahead of UTC than this, so no invoice due on or after
# this instant's date (UTC + 14 h) can be overdue anywhere.
LATEST_OFFSET = timedelta(hours=14)


@dataclass
class PerInvoiceResult:
    invoices_examined: int = 0
    notifications_created: int = 0
    statuses_changed: int = 0


@dataclass(frozen=True)
class Rule:
    instant: datetime
    stages: tuple[int, ...]
    default_timezone: str


def run_per_invoice(
    factory: sessionmaker[Session],
    *,
    instant: datetime,
    stages: tuple[int, ...],
    default_timezone: str,
) -> PerInvoiceResult:
    """Walk candidates page by page (OFFSET), one transaction per invoice."""
    rule = Rule(instant, stages, default_timezone)
    result = PerInvoiceResult()
    latest_today = (instant + LATEST_OFFSET).date()
    offset = 0
    while True:
        with factory() as session:
            query = _candidates(latest_today).offset(offset).limit(PAGE_SIZE)
            page: Sequence[int] = session.scalars(query).all()
            for invoice_id in page:
                _process(session, invoice_id, rule, result)
        if not page:
            return result
        offset += len(page)


def _candidates(latest_today: date) -> Select[Any]:
    return (
        select(Invoice.id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(
            open_invoice_condition(),
            Invoice.due_date < latest_today,
            Customer.reminders_paused == false(),
        )
        .order_by(Invoice.id)
    )


def _process(
    session: Session, invoice_id: int, rule: Rule, result: PerInvoiceResult
) -> None:
    result.invoices_examined += 1
    invoice = session.get_one(Invoice, invoice_id)
    customer = session.get_one(Customer, invoice.customer_id)
    business = session.get_one(Business, invoice.business_id)
    today = local_today(rule.instant, _zone(business.timezone, rule.default_timezone))
    if not _overdue(invoice, customer, today) or invoice.due_date is None:
        return
    stage = reminder_stage(days_overdue(invoice.due_date, today), rule.stages)
    if stage is not None and not _notified(session, invoice_id, stage):
        session.add(_notification(invoice, customer, stage, today, rule.instant))
        result.notifications_created += 1
    if invoice.status in STATUSES_BECOMING_OVERDUE:
        invoice.status = InvoiceStatus.OVERDUE
        result.statuses_changed += 1
    session.commit()


def _zone(value: str | None, default: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(value or default)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(default)


def _overdue(invoice: Invoice, customer: Customer, today: date) -> bool:
    return is_overdue(
        status=invoice.status,
        due_date=invoice.due_date,
        balance_due=invoice.balance_due,
        deleted=invoice.deleted_at is not None,
        customer_paused=customer.reminders_paused,
        today=today,
    )


def _notified(session: Session, invoice_id: int, stage: int) -> bool:
    existing = session.scalar(
        select(Notification.id)
        .where(
            Notification.invoice_id == invoice_id,
            Notification.kind == PAYMENT_OVERDUE,
            Notification.stage >= stage,
        )
        .limit(1)
    )
    return existing is not None


def _notification(
    invoice: Invoice, customer: Customer, stage: int, today: date, now: datetime
) -> Notification:
    assert invoice.due_date is not None
    facts = OverdueFacts(
        invoice_id=invoice.id,
        invoice_number=invoice.invoice_number,
        customer_name=customer.name,
        balance_due=invoice.balance_due,
        currency=invoice.currency,
        due_date=invoice.due_date,
        days_overdue=days_overdue(invoice.due_date, today),
    )
    return Notification(
        business_id=invoice.business_id,
        invoice_id=invoice.id,
        kind=PAYMENT_OVERDUE,
        stage=stage,
        title=overdue_title(facts),
        message=overdue_message(facts),
        resource_type="invoice",
        resource_id=str(invoice.id),
        is_read=False,
        created_at=now,
    )
