"""Money is Decimal end to end; currency codes and formatting come from Babel (CLDR)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

CENT = Decimal("0.01")
DISPLAY_LOCALE = "en_US"


# ISO 4217 codes that name no currency: "no currency" and "for testing".
NOT_CURRENCIES = frozenset({"XXX", "XTS"})


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies()) - NOT_CURRENCIES


def is_known_currency(code: str) -> bool:
    """True for an ISO 4217 code in upper case, e.g. `EUR`."""
    return code in known_currencies()


def format_amount(amount: Decimal, currency: str) -> str:
    """`Decimal('1234.5')`, `EUR` → `€1,234.50`; JPY shows no minor units."""
    if not is_known_currency(currency):
        return f"{amount.quantize(CENT, ROUND_HALF_UP)} {currency}"
    return str(format_currency(amount, currency, locale=DISPLAY_LOCALE))


def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))
