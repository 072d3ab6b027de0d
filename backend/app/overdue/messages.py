"""The text of an overdue notification: what a business owner needs to act."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from app.money import format_amount


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
