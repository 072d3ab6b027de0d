"""Invoices: create, read, update and soft delete, checking every rule first.

A refused change raises a domain error before anything is flushed; the unique
invoice number is also translated when a concurrent insert wins the race.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, fetch_page
from app.businesses.models import Business
from app.customers.models import Customer
from app.db.lookup import get_or_not_found
from app.errors import Conflict, InvalidInput
from app.invoices.models import Invoice
from app.invoices.queries import InvoiceFilters, invoice_listing
from app.invoices.rules import InvoiceValues, first_problem
from app.invoices.schemas import InvoiceCreate, InvoiceUpdate
from app.overdue.rule import zone_groups

logger = logging.getLogger(__name__)

NUMBER_CONSTRAINT = "uq_invoices_business_id_invoice_number"


def create_invoice(session: Session, data: InvoiceCreate) -> Invoice:
    business = _business_of(session, data.business_id)
    _check_customer(session, business.id, data.customer_id)
    values = data.model_dump()
    values["currency"] = _currency_for(business, data.currency)
    invoice = Invoice(**values)
    check_rules(invoice)
    _refuse_taken_number(session, business.id, data.invoice_number)
    session.add(invoice)
    _flush_translating_number_conflict(session, invoice)
    logger.info(
        "invoice created",
        extra={"event": "invoice_created", "invoice_id": invoice.id},
    )
    return invoice


def get_invoice(session: Session, invoice_id: int) -> Invoice:
    """The invoice, deleted or not, or NotFound naming `invoice_id`."""
    return get_or_not_found(session, Invoice, invoice_id, "invoice")


def update_invoice(session: Session, invoice: Invoice, data: InvoiceUpdate) -> Invoice:
    refuse_deleted(invoice, "changed")
    changes = data.model_dump(exclude_unset=True)
    if "customer_id" in changes:
        _check_customer(session, invoice.business_id, changes["customer_id"])
    if changes.get("invoice_number", invoice.invoice_number) != invoice.invoice_number:
        _refuse_taken_number(session, invoice.business_id, changes["invoice_number"])
    for field, value in changes.items():
        setattr(invoice, field, value)
    check_rules(invoice, changed=changes.keys())
    _flush_translating_number_conflict(session, invoice)
    return invoice


def delete_invoice(session: Session, invoice: Invoice, now: datetime) -> None:
    """Soft delete: the row stays for audit, hidden from lists and from the run."""
    if invoice.deleted_at is None:
        invoice.deleted_at = now
        session.flush()
        logger.info(
            "invoice deleted",
            extra={"event": "invoice_deleted", "invoice_id": invoice.id},
        )


def refuse_deleted(invoice: Invoice, action: str) -> None:
    if invoice.deleted_at is not None:
        raise Conflict(
            f"invoice {invoice.id} is deleted and cannot be {action}",
            field="invoice_id",
            value=invoice.id,
        )


def check_rules(invoice: Invoice, *, changed: Collection[str] = ()) -> None:
    """Raise InvalidInput for the first rule broken, naming a field that changed."""
    problem = first_problem(
        InvoiceValues(
            status=invoice.status,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            total=invoice.total,
            amount_paid=invoice.amount_paid,
        )
    )
    if problem is not None:
        field = problem.blamed_field(changed)
        value = getattr(invoice, field)
        raise InvalidInput(problem.reason, field=field, value=str(value))


def _business_of(session: Session, business_id: int) -> Business:
    business = session.get(Business, business_id)
    if business is None:
        raise InvalidInput(
            f"no business with id {business_id}", field="business_id", value=business_id
        )
    return business


def _check_customer(session: Session, business_id: int, customer_id: int) -> None:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.business_id != business_id:
        raise InvalidInput(
            f"business {business_id} has no customer with id {customer_id}",
            field="customer_id",
            value=customer_id,
        )


def _currency_for(business: Business, currency: str | None) -> str:
    if currency is not None and currency != business.currency:
        raise InvalidInput(
            f"must be the business's currency {business.currency}",
            field="currency",
            value=currency,
        )
    return business.currency


def _refuse_taken_number(session: Session, business_id: int, number: str) -> None:
    taken = session.scalar(
        select(Invoice.id).where(
            Invoice.business_id == business_id, Invoice.invoice_number == number
        )
    )
    if taken is not None:
        raise _number_taken(business_id, number)


def _flush_translating_number_conflict(session: Session, invoice: Invoice) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        if NUMBER_CONSTRAINT in str(exc.orig) or "invoice_number" in str(exc.orig):
            raise _number_taken(invoice.business_id, invoice.invoice_number) from exc
        raise


def _number_taken(business_id: int, number: str) -> Conflict:
    return Conflict(
        f"business {business_id} already has an invoice numbered {number!r}",
        field="invoice_number",
        value=number,
    )


def list_invoices(
    session: Session,
    filters: InvoiceFilters,
    params: PageParams,
    *,
    now: datetime,
    default_zone: str,
) -> tuple[int, Sequence[Invoice]]:
    """A page of invoices; "overdue" is judged on each business's own today."""
    zones = zone_groups(session, now, default_zone) if filters.overdue_only else []
    return fetch_page(session, invoice_listing(filters, zones), params)
