"""Keyword-only factories for the domain rows tests need."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.customers.models import Customer
from app.invoices.models import Invoice, InvoiceStatus
from app.notifications.models import Notification

_numbers = count(1)


def make_business(
    session: Session,
    *,
    name: str = "Acme Ltd",
    timezone: str | None = "UTC",
    currency: str = "USD",
) -> Business:
    business = Business(name=name, timezone=timezone, currency=currency)
    session.add(business)
    session.flush()
    return business


def make_customer(
    session: Session,
    *,
    business: Business,
    name: str = "Jane Buyer",
    email: str | None = "jane@example.test",
    reminders_paused: bool = False,
) -> Customer:
    customer = Customer(
        business_id=business.id,
        name=name,
        email=email,
        reminders_paused=reminders_paused,
    )
    session.add(customer)
    session.flush()
    return customer


def make_invoice(
    session: Session,
    *,
    customer: Customer,
    due_date: date | None = date(2025, 1, 1),
    status: InvoiceStatus = InvoiceStatus.SENT,
    total: Decimal = Decimal("100.00"),
    amount_paid: Decimal = Decimal("0.00"),
    currency: str | None = None,
    invoice_number: str | None = None,
    deleted_at: datetime | None = None,
    issue_date: date | None = None,
) -> Invoice:
    invoice = Invoice(
        business_id=customer.business_id,
        customer_id=customer.id,
        invoice_number=invoice_number or f"INV-{next(_numbers):06d}",
        status=status,
        issue_date=issue_date or (due_date or date(2025, 1, 1)) - timedelta(days=30),
        due_date=due_date,
        total=total,
        amount_paid=amount_paid,
        currency=currency or "USD",
        deleted_at=deleted_at,
    )
    session.add(invoice)
    session.flush()
    return invoice


def make_notification(
    session: Session,
    *,
    invoice: Invoice,
    stage: int = 1,
    is_read: bool = False,
    created_at: datetime | None = None,
) -> Notification:
    notification = Notification(
        business_id=invoice.business_id,
        invoice_id=invoice.id,
        stage=stage,
        title=f"Invoice {invoice.invoice_number} is overdue",
        message=f"{stage} day(s) overdue",
        is_read=is_read,
        resource_id=str(invoice.id),
        created_at=created_at or datetime(2025, 3, 15, tzinfo=UTC),
    )
    session.add(notification)
    session.flush()
    return notification
