"""Response bodies for reports."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.reports.aging import AgingRow
from app.validation import Money


class BucketOut(BaseModel):
    amount: Money = Field(description="sum of balance_due")
    count: int


class AgingRowOut(BaseModel):
    business_id: int
    business_name: str
    currency: str
    as_of: date = Field(description="today in the business's time zone")
    not_due: BucketOut = Field(description="due today or later, or no due date")
    days_1_30: BucketOut
    days_31_60: BucketOut
    days_61_90: BucketOut
    days_over_90: BucketOut
    total: BucketOut

    @classmethod
    def of(cls, row: AgingRow) -> AgingRowOut:
        buckets = {name: BucketOut(**vars(b)) for name, b in row.buckets.items()}
        return cls(
            business_id=row.business_id,
            business_name=row.business_name,
            currency=row.currency,
            total=BucketOut(**vars(row.total)),
            as_of=row.as_of,
            **buckets,
        )


class AgingReportOut(BaseModel):
    generated_at: datetime
    items: list[AgingRowOut]
