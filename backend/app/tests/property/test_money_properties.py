from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.money import format_amount, format_amount_with_babel, known_currencies

amounts = st.decimals(
    min_value=Decimal("-9999999999.99"),
    max_value=Decimal("9999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@settings(max_examples=300)
@given(amount=amounts, currency=st.sampled_from(sorted(known_currencies())))
def test_the_fast_format_matches_babel_for_every_currency(
    amount: Decimal, currency: str
) -> None:
    assert format_amount(amount, currency) == format_amount_with_babel(amount, currency)


def test_every_currency_matches_babel_on_awkward_amounts() -> None:
    awkward = [
        Decimal(v) for v in ("0", "0.005", "0.5", "1.5", "2.5", "999.995", "1234567.89")
    ]
    for currency in sorted(known_currencies()):
        for amount in awkward:
            assert format_amount(amount, currency) == format_amount_with_babel(
                amount, currency
            ), (currency, amount)
