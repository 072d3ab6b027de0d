from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.overdue.messages import OverdueFacts, overdue_message, overdue_title


def _facts(**changes: object) -> OverdueFacts:
    values: dict[str, object] = {
        "invoice_id": 42,
        "invoice_number": "INV-0042",
        "customer_name": "Aroha Ltd",
        "balance_due": Decimal("1234.50"),
        "currency": "EUR",
        "due_date": date(2025, 3, 1),
        "days_overdue": 8,
    }
    values.update(changes)
    return OverdueFacts(**values)  # type: ignore[arg-type]


def test_message_names_invoice_customer_amount_days_and_id() -> None:
    message = overdue_message(_facts())

    assert message == (
        "Invoice INV-0042 for Aroha Ltd is 8 days overdue: €1,234.50 outstanding, "
        "due on 2025-03-01. Invoice id: 42."
    )


def test_title_says_one_day_in_the_singular() -> None:
    assert overdue_title(_facts(days_overdue=1)) == "Invoice INV-0042 is 1 day overdue"


def test_amounts_follow_the_currency_minor_units() -> None:
    message = overdue_message(_facts(currency="JPY", balance_due=Decimal("125000")))

    assert "¥125,000 outstanding" in message


def test_an_unknown_currency_still_shows_the_amount_and_code() -> None:
    message = overdue_message(_facts(currency="XXY", balance_due=Decimal("5")))

    assert "5.00 XXY outstanding" in message
