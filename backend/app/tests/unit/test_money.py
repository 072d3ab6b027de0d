from __future__ import annotations

from decimal import Decimal

import pytest

from app.money import format_amount, is_known_currency


@pytest.mark.parametrize("code", ["USD", "EUR", "JPY", "NZD", "CHF"])
def test_iso_currencies_are_known(code: str) -> None:
    assert is_known_currency(code)


@pytest.mark.parametrize("code", ["XXX", "XTS", "ABC", "usd", "EURO", ""])
def test_codes_that_name_no_currency_are_not(code: str) -> None:
    assert not is_known_currency(code)


def test_amounts_are_formatted_for_their_currency() -> None:
    assert format_amount(Decimal("1234.5"), "EUR") == "€1,234.50"
    assert format_amount(Decimal("1234"), "JPY") == "¥1,234"
