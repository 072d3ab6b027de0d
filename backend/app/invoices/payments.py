"""Recording a payment: one transaction, the invoice row locked while it changes.

`SELECT ... FOR UPDATE` makes a second payment on the same invoice wait until
the first commits and then read the new balance, so two payments can never
together exceed the total. SQLite has no row locks, but every write
transaction there starts with BEGIN IMMEDIATE, which serialises writers.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.invoices.models import Invoice, InvoiceStatus
from app.invoices.service import refuse_deleted

logger = logging.getLogger(__name__)

# Draft invoices have not been sent, so nobody could have paid them yet.
UNPAYABLE_STATUSES = frozenset({InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED})


def record_payment(session: Session, invoice_id: int, amount: Decimal) -> Invoice:
    """Add `amount` to amount_paid; the status becomes paid or partial."""
    invoice = lock_invoice(session, invoice_id)
    _check_payable(invoice, amount)
    invoice.amount_paid += amount
    paid_in_full = invoice.balance_due == 0
    invoice.status = InvoiceStatus.PAID if paid_in_full else InvoiceStatus.PARTIAL
    session.flush()
    logger.info(
        "payment of %s recorded, status %s",
        amount,
        invoice.status,
        extra={"event": "payment_recorded", "invoice_id": invoice.id},
    )
    return invoice


def lock_invoice(session: Session, invoice_id: int) -> Invoice:
    """The invoice, read afresh and locked until the transaction ends."""
    statement = (
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    invoice = session.scalar(statement)
    if invoice is None:
        raise NotFound(
            f"no invoice with id {invoice_id}", field="invoice_id", value=invoice_id
        )
    return invoice


def _check_payable(invoice: Invoice, amount: Decimal) -> None:
    refuse_deleted(invoice, "paid")
    if invoice.status in UNPAYABLE_STATUSES or invoice.balance_due == 0:
        raise Conflict(
            f"invoice {invoice.id} is {invoice.status} with balance_due "
            f"{invoice.balance_due}; it takes no payments",
            field="status",
            value=str(invoice.status),
        )
    if amount > invoice.balance_due:
        raise InvalidInput(
            f"amount {amount} exceeds balance_due {invoice.balance_due}",
            field="amount",
            value=str(amount),
        )
