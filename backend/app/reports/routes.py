"""`/api/v1/reports`: read-only reports computed in the database."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.clock import ClockDep
from app.api.deps import SessionDep, SettingsDep
from app.api.params import IdQuery
from app.reports.aging import aging_report
from app.reports.schemas import AgingReportOut, AgingRowOut
from app.validation import CurrencyCode

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/aging")
def get_aging_report(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    business_id: IdQuery = None,
    currency: CurrencyCode | None = None,
) -> AgingReportOut:
    """Open invoices' balance_due by days overdue: not yet due, 1-30, 31-60,
    61-90 and over 90, per business and currency. Draft, paid, cancelled and
    deleted invoices are left out; reminders_paused customers are counted."""
    now = clock()
    rows = aging_report(
        session,
        now=now,
        default_zone=settings.overdue_invoice_timezone,
        business_id=business_id,
        currency=currency,
    )
    return AgingReportOut(generated_at=now, items=[AgingRowOut.of(r) for r in rows])
