"""Helpers for tests of the overdue run."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.notifications.models import Notification
from app.overdue.run import RunOptions, RunReport, run_overdue_invoices
from app.tests.support.clock import FakeClock


def run(
    factory: sessionmaker[Session],
    clock: FakeClock,
    *,
    stages: tuple[int, ...] = (1,),
    batch_size: int = 100,
    dry_run: bool = False,
    default_timezone: str = "UTC",
    parallelism: int = RunOptions.parallelism,
) -> RunReport:
    options = RunOptions(
        reminder_days=stages,
        batch_size=batch_size,
        default_timezone=default_timezone,
        stale_after=timedelta(minutes=5),
        dry_run=dry_run,
        parallelism=parallelism,
    )
    return run_overdue_invoices(factory, options, clock=clock)


def notified(factory: sessionmaker[Session]) -> set[tuple[int, int]]:
    """Every (invoice_id, stage) that has a notification."""
    with factory() as session:
        rows = session.execute(select(Notification.invoice_id, Notification.stage))
        return {(invoice_id, stage) for invoice_id, stage in rows}


def notification_count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Notification)) or 0
