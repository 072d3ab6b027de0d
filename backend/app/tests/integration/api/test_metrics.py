from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from app.executions.models import RunStatus, RunTrigger
from app.invoices.models import InvoiceStatus
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.operations import client_for, make_run, settings_for

CHECKLIST = Path(__file__).resolve().parents[5] / "docs" / "deployment-checklist.md"
DAY = datetime(2025, 3, 14, 0, 0, tzinfo=UTC)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    """GET /metrics without a token, parsed as Prometheus parses it."""
    client.headers.pop("Authorization", None)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def family_names(client: TestClient) -> set[str]:
    """Every family /metrics describes, with or without samples (`_total` kept)."""
    text = client.get("/metrics").text
    return set(re.findall(r"^# TYPE (\S+) ", text, flags=re.MULTILINE))


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_run_metrics_are_read_from_the_run_history(
    api_client: TestClient, session: Session
) -> None:
    make_run(session, start_time=DAY, error_count=1)
    latest = make_run(
        session,
        start_time=DAY + timedelta(hours=1),
        duration=timedelta(seconds=90),
        invoices_processed=10,
        notifications_created=4,
    )
    make_run(
        session,
        start_time=DAY + timedelta(hours=2),
        duration=timedelta(seconds=5),
        status=RunStatus.FAILED,
        invoices_processed=2,
    )
    make_run(
        session,
        start_time=DAY + timedelta(hours=3),
        duration=None,
        status=RunStatus.RUNNING,
        invoices_processed=5,
    )
    session.commit()

    samples = scrape(api_client)

    assert value(samples, "overdue_scheduler_runs_total", status="completed") == 2
    assert value(samples, "overdue_scheduler_runs_total", status="failed") == 1
    assert value(samples, "overdue_scheduler_runs_in_progress") == 1
    assert value(samples, "overdue_scheduler_invoices_processed_total") == 17
    assert value(samples, "overdue_scheduler_notifications_created_total") == 4
    assert value(samples, "overdue_scheduler_run_errors_total") == 1
    assert latest.end_time is not None
    assert value(
        samples, "overdue_scheduler_last_success_timestamp_seconds"
    ) == pytest.approx(latest.end_time.timestamp())
    assert value(samples, "overdue_scheduler_database_up") == 1


def test_the_duration_histogram_counts_finished_runs_by_bucket(
    api_client: TestClient, session: Session
) -> None:
    for hour, seconds in enumerate([5, 30, 90, 1000]):
        make_run(
            session,
            start_time=DAY + timedelta(hours=hour),
            duration=timedelta(seconds=seconds),
        )
    make_run(
        session,
        start_time=DAY,
        status=RunStatus.RUNNING,
        duration=None,
        slot=DAY - timedelta(days=1),
    )
    session.commit()

    samples = scrape(api_client)

    name = "overdue_scheduler_run_duration_seconds"
    assert value(samples, f"{name}_bucket", le="1.0") == 0
    assert value(samples, f"{name}_bucket", le="5.0") == 1
    assert value(samples, f"{name}_bucket", le="30.0") == 2
    assert value(samples, f"{name}_bucket", le="120.0") == 3
    assert value(samples, f"{name}_bucket", le="900.0") == 3
    assert value(samples, f"{name}_bucket", le="+Inf") == 4
    assert value(samples, f"{name}_count") == 4
    assert value(samples, f"{name}_sum") == pytest.approx(1125, abs=0.01)


def test_dry_runs_are_left_out_of_the_run_metrics(
    api_client: TestClient, session: Session
) -> None:
    make_run(
        session,
        start_time=DAY,
        trigger=RunTrigger.MANUAL,
        dry_run=True,
        invoices_processed=8,
    )
    session.commit()

    samples = scrape(api_client)

    assert value(samples, "overdue_scheduler_runs_total", status="completed") == 0
    assert value(samples, "overdue_scheduler_invoices_processed_total") == 0
    assert value(samples, "overdue_scheduler_run_duration_seconds_count") == 0
    assert value(samples, "overdue_scheduler_last_success_timestamp_seconds") is None


def test_overdue_invoices_and_amounts_follow_the_overdue_rule_by_currency(
    api_client: TestClient, api_clock: FakeClock, session: Session
) -> None:
    usd = make_customer(session, business=make_business(session, currency="USD"))
    eur = make_customer(session, business=make_business(session, currency="EUR"))
    # 15 March 12:00 UTC is already 16 March in Kiritimati (UTC+14).
    kiritimati = make_customer(
        session, business=make_business(session, timezone="Pacific/Kiritimati")
    )
    paused = make_customer(
        session, business=make_business(session), reminders_paused=True
    )
    due = date(2025, 3, 1)
    make_invoice(session, customer=usd, due_date=due)
    make_invoice(
        session,
        customer=usd,
        due_date=due,
        status=InvoiceStatus.PARTIAL,
        total=Decimal("50.50"),
        amount_paid=Decimal("20.00"),
    )
    make_invoice(
        session, customer=eur, due_date=due, currency="EUR", total=Decimal("200.00")
    )
    make_invoice(session, customer=kiritimati, due_date=date(2025, 3, 15))
    make_invoice(session, customer=usd, due_date=date(2025, 3, 15))
    make_invoice(
        session,
        customer=usd,
        due_date=due,
        status=InvoiceStatus.PAID,
        amount_paid=Decimal("100.00"),
    )
    make_invoice(session, customer=usd, due_date=due, status=InvoiceStatus.DRAFT)
    make_invoice(session, customer=usd, due_date=due, deleted_at=DAY)
    make_invoice(session, customer=paused, due_date=due)
    session.commit()

    samples = scrape(api_client)

    assert value(samples, "overdue_scheduler_overdue_invoices", currency="USD") == 3
    assert value(samples, "overdue_scheduler_overdue_amount", currency="USD") == 230.5
    assert value(samples, "overdue_scheduler_overdue_invoices", currency="EUR") == 1
    assert value(samples, "overdue_scheduler_overdue_amount", currency="EUR") == 200


def test_http_requests_are_counted_by_route_template_and_status(
    api_client: TestClient,
) -> None:
    executions = "/api/v1/scheduler/executions"
    api_client.get(f"{executions}/5f0e8d9a-6c51-4d2b-9a37-3c1b0f9a1e22")
    api_client.get(f"{executions}/0b8f3c55-94a5-4c1e-8a8e-2f9d7b1c6e40")
    api_client.get("/no/such/path")

    samples = scrape(api_client)

    requests = "overdue_scheduler_http_requests_total"
    template = f"{executions}/{{execution_id}}"
    assert value(samples, requests, method="GET", route=template, status="404") == 2
    assert value(samples, requests, method="GET", route="unmatched", status="404") == 1
    duration = "overdue_scheduler_http_request_duration_seconds_count"
    assert value(samples, duration, method="GET", route=template) == 2


def test_each_app_counts_only_its_own_requests(database_url: str) -> None:
    settings = settings_for(database_url)
    with client_for(settings) as first, client_for(settings) as second:
        first.get("/api/health/liveness")

        samples = scrape(second)

    requests = "overdue_scheduler_http_requests_total"
    liveness = dict(method="GET", route="/api/health/liveness", status="200")
    assert value(samples, requests, **liveness) is None


def test_invalid_settings_are_counted(database_url: str) -> None:
    settings = settings_for(
        database_url,
        overdue_invoice_schedule_value="every day",
        overdue_invoice_batch_size="0",
    )

    with client_for(settings) as client:
        samples = scrape(client)

    assert value(samples, "overdue_scheduler_config_warnings") == 2


def test_metrics_still_answer_while_the_database_is_down(tmp_path: Path) -> None:
    with client_for(settings_for(f"sqlite:///{tmp_path}")) as client:
        samples = scrape(client)

    assert value(samples, "overdue_scheduler_database_up") == 0
    assert value(samples, "overdue_scheduler_config_warnings") == 0
    assert value(samples, "overdue_scheduler_runs_total", status="failed") is None


def test_every_metric_the_deployment_checklist_names_is_exported(
    api_client: TestClient, session: Session
) -> None:
    make_run(session, start_time=DAY)
    session.commit()
    named = set(re.findall(r"overdue_scheduler_[a-z_]*[a-z]", CHECKLIST.read_text()))
    api_client.get("/api/health/liveness")

    exported = {name for name, _ in scrape(api_client)} | family_names(api_client)

    assert named, "the checklist names no metric"
    assert named <= exported
