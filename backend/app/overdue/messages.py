"""The text of an overdue notification: what a business owner needs to act.

Written twice, in Python and as PostgreSQL expressions, so that a batch can
build its notifications inside one statement; the tests hold the two to the
same text for the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, TableValuedAlias, Text, case, cast, func

from app.money import format_amount, sql_format_amount


class OverdueFacts(NamedTuple):
    """What a notification says about one invoice (a tuple: made per notified row)."""

    invoice_id: int
    invoice_number: str
    customer_name: str
    balance_due: Decimal
    currency: str
    due_date: date
    days_overdue: int


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def overdue_title(facts: OverdueFacts) -> str:
    return f"Invoice {facts.invoice_number} is {_days(facts.days_overdue)} overdue"


def overdue_message(facts: OverdueFacts) -> str:
    amount = format_amount(facts.balance_due, facts.currency)
    return (
        f"Invoice {facts.invoice_number} for {facts.customer_name} is "
        f"{_days(facts.days_overdue)} overdue: {amount} outstanding, "
        f"due on {facts.due_date.isoformat()}. Invoice id: {facts.invoice_id}."
    )


@dataclass(frozen=True)
class OverdueColumns:
    """OverdueFacts as SQL expressions over the rows of a statement."""

    invoice_id: ColumnElement[int]
    invoice_number: ColumnElement[str]
    customer_name: ColumnElement[str]
    balance_due: ColumnElement[Decimal]
    currency: ColumnElement[str]
    due_date: ColumnElement[date]
    days_overdue: ColumnElement[int]

    def _days(self) -> ColumnElement[str]:
        plural = cast(self.days_overdue, Text()) + " days"
        return case((self.days_overdue == 1, "1 day"), else_=plural)

    def title(self) -> ColumnElement[str]:
        """overdue_title, in PostgreSQL."""
        return "Invoice " + self.invoice_number + " is " + self._days() + " overdue"

    def message(self, style: TableValuedAlias) -> ColumnElement[str]:
        """overdue_message, in PostgreSQL; `style` as sql_format_amount takes it."""
        amount = sql_format_amount(self.balance_due, self.currency, style)
        return (
            "Invoice "
            + self.invoice_number
            + " for "
            + self.customer_name
            + " is "
            + self._days()
            + " overdue: "
            + amount
            + " outstanding, due on "
            + func.to_char(self.due_date, "YYYY-MM-DD")
            + ". Invoice id: "
            + cast(self.invoice_id, Text())
            + "."
        )
