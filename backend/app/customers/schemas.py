"""Request and response bodies for customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.validation import Email, EntityId, Name

PAUSED_HELP = "when true, the overdue run sends no reminders for this customer"


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_id: EntityId
    name: Name = Field(description="unique within the business; CSV import matches it")
    email: Email | None = None
    reminders_paused: bool = Field(default=False, description=PAUSED_HELP)


class CustomerUpdate(BaseModel):
    """Only the fields sent change; email may be set to null, the others may not."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: Email | None = None
    reminders_paused: bool | None = Field(default=None, description=PAUSED_HELP)

    @field_validator("name", "reminders_paused")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    business_id: int
    name: str
    email: str | None
    reminders_paused: bool
    created_at: datetime
