"""What the metrics report, read from the database at scrape time.

Reading job_execution_logs rather than counting in memory makes every
replica report the same totals, including runs done by a separate worker
that serves no HTTP. Dry runs are left out: they change nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, false, func, select
from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.customers.models import Customer
from app.executions.models import JobExecutionLog, RunStatus
from app.invoices.models import Invoice
from app.overdue.rule import overdue_condition, zone_groups

# Up to an hour in steps an operator cares about; 900 s is the slow-run alert.
DURATION_BUCKETS_S: tuple[float, ...] = (
    *(1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0),
    *(600.0, 900.0, 1800.0, 3600.0),
)


@dataclass(frozen=True)
class RunTotals:
    runs_by_status: dict[str, int]
    invoices_processed: int
    notifications_created: int
    errors: int
    last_success: datetime | None
    # Cumulative counts of finished runs at or under each bound, then all of them.
    duration_buckets: list[tuple[float, int]]
    duration_sum_s: float


@dataclass(frozen=True)
class OverdueTotals:
    invoices: dict[str, int] = field(default_factory=dict)
    amount: dict[str, Decimal] = field(default_factory=dict)


def run_totals(session: Session) -> RunTotals:
    real = JobExecutionLog.dry_run == false()
    by_status = session.execute(
        select(JobExecutionLog.status, func.count())
        .where(real)
        .group_by(JobExecutionLog.status)
    ).all()
    sums = session.execute(
        select(
            func.coalesce(func.sum(JobExecutionLog.invoices_processed), 0),
            func.coalesce(func.sum(JobExecutionLog.notifications_created), 0),
            func.coalesce(func.sum(JobExecutionLog.error_count), 0),
        ).where(real)
    ).one()
    buckets, duration_sum = _durations(session)
    return RunTotals(
        runs_by_status={str(status): int(count) for status, count in by_status},
        invoices_processed=int(sums[0]),
        notifications_created=int(sums[1]),
        errors=int(sums[2]),
        last_success=_last_success(session),
        duration_buckets=buckets,
        duration_sum_s=duration_sum,
    )


def _last_success(session: Session) -> datetime | None:
    return session.scalar(
        select(func.max(JobExecutionLog.end_time)).where(
            JobExecutionLog.status == RunStatus.COMPLETED,
            JobExecutionLog.dry_run == false(),
        )
    )


def _durations(session: Session) -> tuple[list[tuple[float, int]], float]:
    """One statement counts the finished runs under every bucket bound."""
    duration = _duration_s(session.get_bind().dialect.name)
    under = [
        func.sum(case((duration <= bound, 1), else_=0)) for bound in DURATION_BUCKETS_S
    ]
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(duration), 0.0), *under).where(
            JobExecutionLog.dry_run == false(),
            JobExecutionLog.end_time.is_not(None),
        )
    ).one()
    total, duration_sum, *counts = row
    buckets = [
        (b, int(c or 0)) for b, c in zip(DURATION_BUCKETS_S, counts, strict=True)
    ]
    return [*buckets, (float("inf"), int(total))], float(duration_sum)


def _duration_s(dialect: str) -> ColumnElement[Any]:
    """Rounded to the millisecond, so a run of 5 s falls in the 5 s bucket."""
    end, start = JobExecutionLog.end_time, JobExecutionLog.start_time
    if dialect == "postgresql":
        return func.round(func.extract("epoch", end - start), 3)
    # Limitation: SQLite has no interval type; julianday is exact to about 1 ms.
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)


def overdue_totals(session: Session, now: datetime, default_zone: str) -> OverdueTotals:
    """Overdue invoices and their balance by currency, by the overdue rule itself."""
    invoices: dict[str, int] = defaultdict(int)
    amount: dict[str, Decimal] = defaultdict(Decimal)
    for group in zone_groups(session, now, default_zone):
        rows = session.execute(
            select(
                Invoice.currency,
                func.count(),
                func.sum(Invoice.total - Invoice.amount_paid),
            )
            .join(Customer, Customer.id == Invoice.customer_id)
            .join(Business, Business.id == Invoice.business_id)
            .where(group.business_filter(), overdue_condition(group.today))
            .group_by(Invoice.currency)
        )
        for currency, count, balance in rows:
            invoices[currency] += count
            amount[currency] += Decimal(balance)
    return OverdueTotals(dict(invoices), dict(amount))
