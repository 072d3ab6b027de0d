"""Demo data: three businesses in different time zones with a spread of invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.customers.models import Customer
from app.invoices.models import Invoice, InvoiceStatus

DEMO_BUSINESSES = (
    ("Harbour Plumbing", "Pacific/Auckland", "NZD"),
    ("Sunset Studio", "America/Los_Angeles", "USD"),
    ("Spree Bakery", "Europe/Berlin", "EUR"),
)


@dataclass(frozen=True)
class DemoInvoice:
    suffix: str
    status: InvoiceStatus
    days_overdue: int
    total: str
    paid: str = "0"
    deleted: bool = False


DEMO_INVOICES = (
    DemoInvoice("001", InvoiceStatus.PAID, 20, "450.00", paid="450.00"),
    DemoInvoice("002", InvoiceStatus.SENT, -10, "1200.00"),
    DemoInvoice("003", InvoiceStatus.SENT, 1, "89.90"),
    DemoInvoice("004", InvoiceStatus.VIEWED, 8, "320.00"),
    DemoInvoice("005", InvoiceStatus.PARTIAL, 15, "980.00", paid="480.00"),
    DemoInvoice("006", InvoiceStatus.OVERDUE, 45, "2500.00"),
    DemoInvoice("007", InvoiceStatus.DRAFT, 30, "60.00"),
    DemoInvoice("008", InvoiceStatus.CANCELLED, 30, "75.00"),
    DemoInvoice("009", InvoiceStatus.SENT, 12, "410.00", deleted=True),
)


def seed_demo(session: Session, *, today: date | None = None) -> int:
    """Add the demo data unless it is there; returns how many invoices were added."""
    names = [name for name, _, _ in DEMO_BUSINESSES]
    if session.scalar(select(Business.id).where(Business.name.in_(names)).limit(1)):
        return 0
    today = today or datetime.now(UTC).date()
    return sum(_seed_business(session, spec, today) for spec in DEMO_BUSINESSES)


def _seed_business(session: Session, spec: tuple[str, str, str], today: date) -> int:
    name, timezone, currency = spec
    business = Business(name=name, timezone=timezone, currency=currency)
    session.add(business)
    session.flush()
    active = Customer(
        business_id=business.id, name="Aroha Ltd", email="ap@aroha.example"
    )
    paused = Customer(business_id=business.id, name="Paused Co", reminders_paused=True)
    session.add_all([active, paused])
    session.flush()
    prefix = "".join(word[0] for word in name.split()).upper()
    for item in DEMO_INVOICES:
        session.add(_invoice(business, active, f"{prefix}-{item.suffix}", item, today))
    paused_item = DemoInvoice("P01", InvoiceStatus.SENT, 20, "150.00")
    session.add(_invoice(business, paused, f"{prefix}-P01", paused_item, today))
    return len(DEMO_INVOICES) + 1


def _invoice(
    business: Business, customer: Customer, number: str, item: DemoInvoice, today: date
) -> Invoice:
    due = today - timedelta(days=item.days_overdue)
    return Invoice(
        business_id=business.id,
        customer_id=customer.id,
        invoice_number=number,
        status=item.status,
        issue_date=due - timedelta(days=30),
        due_date=due,
        total=Decimal(item.total),
        amount_paid=Decimal(item.paid),
        currency=business.currency,
        deleted_at=datetime.now(UTC) if item.deleted else None,
    )
