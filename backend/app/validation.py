"""Field types shared by the API schemas and the CSV importer, so both say the same.

Every check here raises ValueError with a sentence a caller can act on; pydantic
turns it into a 422 naming the field (or, for CSV, a rejected row).
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from decimal import Decimal
from functools import lru_cache
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
)
from pydantic.networks import validate_email

from app.money import CENT, is_known_currency

# BIGINT on PostgreSQL, INTEGER on SQLite: both stop at 2**63 - 1.
MAX_ID = 2**63 - 1


def single_line(text: str) -> str:
    """Refuse control characters (NUL, newlines, ...): names are one printable line."""
    if text.isprintable():
        return text
    for char in text:
        if unicodedata.category(char).startswith("C"):
            raise ValueError(f"must not contain control characters, found {char!r}")
    return text


@lru_cache(maxsize=4096)
def normalized_email(text: str) -> str:
    """The address as email-validator normalises it; cached, as imports repeat them."""
    return validate_email(text)[1]


def known_currency(code: str) -> str:
    if not is_known_currency(code):
        raise ValueError(f"unknown ISO 4217 currency code {code!r}")
    return code


def upper_stripped(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def known_time_zone(name: str) -> str:
    if name not in known_time_zones():
        raise ValueError(f"unknown IANA time zone {name!r}")
    return name


def to_cents(amount: Decimal) -> Decimal:
    """`Decimal('1E+2')` → `100.00`; `-0` → `0.00`."""
    return amount.quantize(CENT) + 0


def _text(max_length: int) -> object:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


EntityId = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, _text(200), AfterValidator(single_line)]
InvoiceNumber = Annotated[str, _text(64), AfterValidator(single_line)]
Email = Annotated[
    str,
    Field(max_length=320, json_schema_extra={"format": "email"}),
    AfterValidator(normalized_email),
]
CurrencyCode = Annotated[
    str,
    BeforeValidator(upper_stripped),
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(known_currency),
]
TimeZoneName = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(known_time_zone)
]
Money = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=2),
    AfterValidator(to_cents),
    # Strings in JSON ("120.50"), never floats.
    PlainSerializer(
        lambda amount: str(to_cents(amount)), return_type=str, when_used="json"
    ),
]
NonNegativeMoney = Annotated[Money, Field(ge=0)]
PositiveMoney = Annotated[Money, Field(gt=0)]
