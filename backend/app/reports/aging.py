"""The aging report: what is owed, per business and currency, by days overdue.

Bucket boundaries are dates computed in Python from each business's own
"today"; the database does the SUM and COUNT, one statement per time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.db.base import Money
from app.invoices.models import Invoice, open_invoice_condition
from app.overdue.rule import ZoneGroup, zone_groups
from app.validation import to_cents

BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


@dataclass(frozen=True)
class Bucket:
    amount: Decimal
    count: int


@dataclass(frozen=True)
class AgingRow:
    business_id: int
    business_name: str
    currency: str
    as_of: date
    buckets: dict[str, Bucket]

    @property
    def total(self) -> Bucket:
        return Bucket(
            amount=sum((b.amount for b in self.buckets.values()), Decimal("0.00")),
            count=sum(b.count for b in self.buckets.values()),
        )


def bucket_conditions(today: date) -> dict[str, ColumnElement[bool]]:
    """Days overdue = today - due_date; an invoice without a due date is not due."""
    due = Invoice.due_date
    d30, d60, d90 = (today - timedelta(days=days) for days in (30, 60, 90))
    return {
        "not_due": or_(due.is_(None), due >= today),
        "days_1_30": and_(due < today, due >= d30),
        "days_31_60": and_(due < d30, due >= d60),
        "days_61_90": and_(due < d60, due >= d90),
        "days_over_90": due < d90,
    }


def aging_report(
    session: Session,
    *,
    now: datetime,
    default_zone: str,
    business_id: int | None = None,
    currency: str | None = None,
) -> list[AgingRow]:
    """Open invoices' balances by bucket, one row per business and currency."""
    rows: list[AgingRow] = []
    for zone in zone_groups(session, now, default_zone):
        statement = _zone_statement(zone, business_id, currency)
        rows.extend(_aging_row(row, zone.today) for row in session.execute(statement))
    return sorted(rows, key=lambda row: (row.business_id, row.currency))


def _zone_statement(
    zone: ZoneGroup, business_id: int | None, currency: str | None
) -> Select[Any]:
    balance = type_coerce(Invoice.total - Invoice.amount_paid, Money)
    sums: list[Any] = []
    for name, condition in bucket_conditions(zone.today).items():
        sums.append(func.sum(case((condition, balance), else_=0)).label(name))
        sums.append(func.sum(case((condition, 1), else_=0)).label(f"{name}_count"))
    filters = [open_invoice_condition(), zone.business_filter()]
    if business_id is not None:
        filters.append(Invoice.business_id == business_id)
    if currency is not None:
        filters.append(Invoice.currency == currency)
    return (
        select(Invoice.business_id, Business.name, Invoice.currency, *sums)
        .join(Business, Business.id == Invoice.business_id)
        .where(*filters)
        .group_by(Invoice.business_id, Business.name, Invoice.currency)
    )


def _aging_row(row: Any, today: date) -> AgingRow:
    values = row._mapping
    buckets = {
        name: Bucket(
            amount=to_cents(Decimal(str(values[name]))),
            count=int(values[f"{name}_count"]),
        )
        for name in BUCKETS
    }
    return AgingRow(
        business_id=values["business_id"],
        business_name=values["name"],
        currency=values["currency"],
        as_of=today,
        buckets=buckets,
    )
