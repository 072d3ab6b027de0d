"""Which invoices a listing selects; "overdue" means what the overdue run means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from app.businesses.models import Business
from app.invoices.models import Invoice, InvoiceStatus, open_invoice_condition
from app.overdue.rule import ZoneGroup


@dataclass(frozen=True)
class InvoiceFilters:
    business_id: int | None = None
    customer_id: int | None = None
    statuses: tuple[InvoiceStatus, ...] = ()
    due_from: date | None = None
    due_to: date | None = None
    overdue_only: bool = False
    include_deleted: bool = False


def overdue_condition(zones: list[ZoneGroup]) -> ColumnElement[bool]:
    """Open and due before today in its business's time zone (`Business` joined).

    Unlike the overdue run this ignores reminders_paused: a pause stops
    reminders, it does not make the money any less late.
    """
    past_due = [
        and_(zone.business_filter(), Invoice.due_date < zone.today) for zone in zones
    ]
    return and_(open_invoice_condition(), or_(false(), *past_due))


def invoice_listing(filters: InvoiceFilters, zones: list[ZoneGroup]) -> Select[Invoice]:
    """The invoices matching every filter given, oldest id first."""
    statement = select(Invoice).order_by(Invoice.id)
    if filters.overdue_only:
        statement = statement.join(Business, Business.id == Invoice.business_id)
        statement = statement.where(overdue_condition(zones))
    return statement.where(*_simple_conditions(filters))


def _simple_conditions(filters: InvoiceFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not filters.include_deleted:
        conditions.append(Invoice.deleted_at.is_(None))
    if filters.business_id is not None:
        conditions.append(Invoice.business_id == filters.business_id)
    if filters.customer_id is not None:
        conditions.append(Invoice.customer_id == filters.customer_id)
    if filters.statuses:
        conditions.append(Invoice.status.in_(filters.statuses))
    if filters.due_from is not None:
        conditions.append(Invoice.due_date >= filters.due_from)
    if filters.due_to is not None:
        conditions.append(Invoice.due_date <= filters.due_to)
    return conditions
