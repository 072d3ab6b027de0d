"""Request and response bodies for invoices and payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.invoices.models import InvoiceStatus
from app.validation import (
    CurrencyCode,
    EntityId,
    InvoiceNumber,
    Money,
    NonNegativeMoney,
    PositiveMoney,
)

NUMBER_HELP = "unique within the business, also after the invoice is deleted"
CURRENCY_HELP = "defaults to the business's currency, and must equal it"
STATUS_HELP = "paid needs amount_paid = total; partial needs 0 < amount_paid < total"


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_id: EntityId
    customer_id: EntityId = Field(description="a customer of the same business")
    invoice_number: InvoiceNumber = Field(description=NUMBER_HELP)
    status: InvoiceStatus = Field(default=InvoiceStatus.SENT, description=STATUS_HELP)
    issue_date: date
    due_date: date | None = Field(default=None, description="not before issue_date")
    total: NonNegativeMoney
    amount_paid: NonNegativeMoney = Field(
        default=Decimal("0.00"), description="not above total"
    )
    currency: CurrencyCode | None = Field(default=None, description=CURRENCY_HELP)


class InvoiceUpdate(BaseModel):
    """Only the fields sent change. amount_paid changes only through payments."""

    model_config = ConfigDict(extra="forbid")

    customer_id: EntityId | None = None
    invoice_number: InvoiceNumber | None = Field(default=None, description=NUMBER_HELP)
    status: InvoiceStatus | None = Field(default=None, description=STATUS_HELP)
    issue_date: date | None = None
    due_date: date | None = None
    total: NonNegativeMoney | None = None

    @field_validator("customer_id", "invoice_number", "status", "issue_date", "total")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    business_id: int
    customer_id: int
    invoice_number: str
    status: InvoiceStatus
    issue_date: date
    due_date: date | None
    total: Money
    amount_paid: Money
    balance_due: Money = Field(description="total - amount_paid; never stored")
    currency: str
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveMoney = Field(description="more than 0, at most balance_due")
