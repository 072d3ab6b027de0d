"""Request and response bodies for businesses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.validation import CurrencyCode, Name, TimeZoneName

TIMEZONE_HELP = "IANA time zone; null means OVERDUE_INVOICE_TIMEZONE"
CURRENCY_HELP = "ISO 4217 code; every invoice of the business uses it"


class BusinessCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    timezone: TimeZoneName | None = Field(default=None, description=TIMEZONE_HELP)
    currency: CurrencyCode = Field(description=CURRENCY_HELP)


class BusinessUpdate(BaseModel):
    """Only the fields sent change; currency only while the business has no invoices."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: TimeZoneName | None = Field(default=None, description=TIMEZONE_HELP)
    currency: CurrencyCode | None = Field(default=None, description=CURRENCY_HELP)

    @field_validator("name", "currency")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class BusinessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    timezone: str | None
    currency: str
    created_at: datetime
