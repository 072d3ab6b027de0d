"""Money is Decimal end to end; currency codes and formatting come from Babel (CLDR)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    list_currencies,
)
from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    TableValuedAlias,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
)
from sqlalchemy.dialects import postgresql

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
    """`Decimal('1234.5')`, `EUR` → `€1,234.50`; JPY shows no minor units.

    Babel's format_currency gives the same text but costs ~80 µs a call, which
    dominated the overdue run's Python time; the en_US pattern is simple
    enough to apply from a cached symbol and precision.
    """
    if not is_known_currency(currency):
        return f"{amount.quantize(CENT, ROUND_HALF_UP)} {currency}"
    symbol, digits = _currency_style(currency)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.{digits}f}"


@lru_cache(maxsize=512)
def _currency_style(currency: str) -> tuple[str, int]:
    return str(get_currency_symbol(currency, locale=DISPLAY_LOCALE)), minor_units(
        currency
    )


def format_amount_with_babel(amount: Decimal, currency: str) -> str:
    """The reference format_amount must match (used by the tests)."""
    return str(format_currency(amount, currency, locale=DISPLAY_LOCALE))


def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))


# The same text in PostgreSQL, for statements that build notifications without
# sending rows through Python. CLDR data lives here, not in the database: each
# statement carries every known currency's symbol and digits as one JSON
# parameter, read as a small table and joined on the currency code.

# Enough integer digits for any NUMERIC(12,2) amount, with a comma between
# each group of three; `FM` drops to_char's padding.
_INTEGER_PATTERN = "FM999,999,999,999,990"


def _sql_style(currency: str) -> dict[str, Any]:
    symbol, digits = _currency_style(currency)
    decimals = "." + "0" * digits if digits else ""
    return {
        "code": currency,
        "symbol": symbol,
        "pattern": _INTEGER_PATTERN + decimals,
        "digits": digits,
        "unit": str(Decimal(1).scaleb(-digits)),
    }


@lru_cache(maxsize=1)
def _styles_document() -> str:
    return json.dumps([_sql_style(code) for code in sorted(known_currencies())])


def currency_styles() -> TableValuedAlias:
    """PostgreSQL: a row (code, symbol, pattern, digits, unit) per known currency."""
    document = bindparam("currency_styles", _styles_document(), type_=Text())
    return (
        func.json_to_recordset(cast(document, postgresql.JSON))
        .table_valued(
            column("code", Text()),
            column("symbol", Text()),
            column("pattern", Text()),
            column("digits", Integer()),
            column("unit", Numeric()),
        )
        .render_derived(name="currency_style", with_types=True)
    )


def sql_format_amount(
    amount: ColumnElement[Decimal],
    currency: ColumnElement[str],
    style: TableValuedAlias,
) -> ColumnElement[str]:
    """format_amount in PostgreSQL, for a positive NUMERIC(12,2) `amount`.

    `style` is currency_styles() outer-joined on the currency code. Babel
    rounds half to even; PostgreSQL's round() rounds halves away from zero,
    so a tie that lands on an odd last digit is taken one unit back. An
    unknown currency shows the amount rounded half up to cents, then its code.
    """
    rounded = func.round(amount, style.c.digits)
    tie = (rounded - amount) * 2 == style.c.unit
    odd = func.mod(func.div(rounded, style.c.unit), 2) == 1
    even = case((and_(tie, odd), rounded - style.c.unit), else_=rounded)
    return case(
        (
            style.c.code.is_(None),
            cast(func.round(amount, 2), Text()) + " " + currency,
        ),
        else_=style.c.symbol + func.to_char(even, style.c.pattern),
    )
