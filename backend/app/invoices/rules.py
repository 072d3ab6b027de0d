"""The rules an invoice's own values must satisfy together, whoever writes them.

The API (create and update) and the CSV importer both ask `first_problem`, so
an invoice the API refuses is refused by the import too, with the same words.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.invoices.models import InvoiceStatus

# Statuses that say nothing about payment; any balance may go with them.
OPEN_STATUSES = frozenset(
    {InvoiceStatus.SENT, InvoiceStatus.VIEWED, InvoiceStatus.OVERDUE}
)


@dataclass(frozen=True)
class Problem:
    """A broken rule: `fields` are the values it relates, the one to blame first."""

    fields: tuple[str, ...]
    reason: str

    def blamed_field(self, changed: Collection[str] = ()) -> str:
        """The first related field the caller changed, else the first one."""
        return next((f for f in self.fields if f in changed), self.fields[0])


@dataclass(frozen=True)
class InvoiceValues:
    status: InvoiceStatus
    issue_date: date
    due_date: date | None
    total: Decimal
    amount_paid: Decimal


def first_problem(values: InvoiceValues) -> Problem | None:
    """The first rule these values break, or None when they are consistent."""
    for check in (_due_after_issue, _paid_within_total, _status_matches_balance):
        problem = check(values)
        if problem is not None:
            return problem
    return None


def _due_after_issue(values: InvoiceValues) -> Problem | None:
    if values.due_date is not None and values.due_date < values.issue_date:
        reason = f"due_date {values.due_date} is before issue_date {values.issue_date}"
        return Problem(("due_date", "issue_date"), reason)
    return None


def _paid_within_total(values: InvoiceValues) -> Problem | None:
    if values.amount_paid > values.total:
        reason = f"amount_paid {values.amount_paid} exceeds total {values.total}"
        return Problem(("amount_paid", "total"), reason)
    return None


def _status_matches_balance(values: InvoiceValues) -> Problem | None:
    """paid means nothing is left to pay; partial means some but not all was paid."""
    status, paid, total = values.status, values.amount_paid, values.total
    if status is InvoiceStatus.PAID and paid != total:
        reason = "status paid needs amount_paid equal to total"
    elif status is InvoiceStatus.PARTIAL and not 0 < paid < total:
        reason = "status partial needs 0 < amount_paid < total"
    elif status in OPEN_STATUSES and total > 0 and paid == total:
        reason = f"an invoice paid in full must have status paid, not {status}"
    else:
        return None
    return Problem(("status", "amount_paid", "total"), reason)
