"""Response bodies for notifications."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    business_id: int
    invoice_id: int
    kind: str
    stage: int = Field(description="days overdue of the reminder stage reached")
    title: str
    message: str
    is_read: bool
    resource_type: str
    resource_id: str
    created_at: datetime


class MarkedRead(BaseModel):
    marked_read: int = Field(description="notifications that were unread until now")
