"""The `overdue_scheduler_*` metrics, built at scrape time from the database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.executions.models import RunStatus
from app.observability.run_stats import (
    OverdueTotals,
    RunTotals,
    overdue_totals,
    run_totals,
)
from app.settings import Settings

logger = logging.getLogger(__name__)

PREFIX = "overdue_scheduler_"
FINISHED_STATUSES = (RunStatus.COMPLETED, RunStatus.FAILED)


@dataclass(frozen=True)
class Snapshot:
    """What one scrape read; the totals are None when the database did not answer."""

    config_warnings: int
    runs: RunTotals | None = None
    overdue: OverdueTotals | None = None


def take_snapshot(
    factory: sessionmaker[Session], settings: Settings, now: datetime
) -> Snapshot:
    warnings = len(settings.config_warnings)
    try:
        with factory() as session:
            runs = run_totals(session)
            overdue = overdue_totals(session, now, settings.overdue_invoice_timezone)
    except SQLAlchemyError as exc:
        logger.warning(
            "metrics: database unavailable: %s",
            exc,
            extra={"event": "metrics_database_unavailable"},
        )
        return Snapshot(warnings)
    return Snapshot(warnings, runs, overdue)


class SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snapshot = self.snapshot
        yield GaugeMetricFamily(
            PREFIX + "config_warnings",
            "Invalid settings replaced by their defaults.",
            value=snapshot.config_warnings,
        )
        yield GaugeMetricFamily(
            PREFIX + "database_up",
            "1 if the database answered this scrape, else 0.",
            value=int(snapshot.runs is not None),
        )
        if snapshot.runs is not None:
            yield from run_families(snapshot.runs)
        if snapshot.overdue is not None:
            yield from overdue_families(snapshot.overdue)


def run_families(runs: RunTotals) -> Iterator[Metric]:
    """Every run but dry runs, in any process that shares the database."""
    by_status = CounterMetricFamily(
        PREFIX + "runs", "Finished runs by status.", labels=["status"]
    )
    for status in FINISHED_STATUSES:
        by_status.add_metric([status], runs.runs_by_status.get(status, 0))
    yield by_status
    yield GaugeMetricFamily(
        PREFIX + "runs_in_progress",
        "Runs started and not finished (a dead process's run until it is failed).",
        value=runs.runs_by_status.get(RunStatus.RUNNING, 0),
    )
    yield _counter("invoices_processed", "Invoices examined.", runs.invoices_processed)
    yield _counter(
        "notifications_created", "Notifications created.", runs.notifications_created
    )
    yield _counter("run_errors", "Invoices that failed inside runs.", runs.errors)
    yield _duration_histogram(runs)
    if runs.last_success is not None:
        yield GaugeMetricFamily(
            PREFIX + "last_success_timestamp_seconds",
            "Unix time the last completed run ended.",
            value=runs.last_success.timestamp(),
        )


def _counter(name: str, documentation: str, value: int) -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, documentation, value=value)


def _duration_histogram(runs: RunTotals) -> HistogramMetricFamily:
    buckets = [(_bound(le), float(count)) for le, count in runs.duration_buckets]
    return HistogramMetricFamily(
        PREFIX + "run_duration_seconds",
        "How long finished runs took.",
        buckets=buckets,
        sum_value=runs.duration_sum_s,
    )


def _bound(le: float) -> str:
    return "+Inf" if le == float("inf") else str(le)


def overdue_families(overdue: OverdueTotals) -> Iterator[Metric]:
    invoices = GaugeMetricFamily(
        PREFIX + "overdue_invoices",
        "Invoices overdue now, by the overdue rule, by currency.",
        labels=["currency"],
    )
    amount = GaugeMetricFamily(
        PREFIX + "overdue_amount",
        "Balance due of overdue invoices, by currency.",
        labels=["currency"],
    )
    for currency in sorted(overdue.invoices):
        invoices.add_metric([currency], overdue.invoices[currency])
        # Prometheus samples are floats; the amount stays Decimal until here.
        amount.add_metric([currency], float(overdue.amount[currency]))
    yield invoices
    yield amount
