from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.invoices.models import InvoiceStatus
from app.overdue.rule import (
    StageThresholds,
    days_overdue,
    is_overdue,
    local_today,
    reminder_stage,
)

TODAY = date(2025, 3, 15)


@pytest.mark.parametrize(
    ("days", "stages", "expected"),
    [
        (0, (1,), None),
        (1, (1,), 1),
        (400, (1,), 1),
        (6, (1, 7, 14, 30), 1),
        (7, (1, 7, 14, 30), 7),
        (29, (1, 7, 14, 30), 14),
        (40, (1, 7, 14, 30), 30),
        (3, (7, 14), None),
        (-2, (1, 7), None),
    ],
)
def test_reminder_stage_is_the_highest_stage_reached(
    days: int, stages: tuple[int, ...], expected: int | None
) -> None:
    assert reminder_stage(days, stages) == expected


@pytest.mark.parametrize(
    ("due", "today", "expected"),
    [
        (date(2025, 1, 31), date(2025, 2, 1), 1),
        (date(2024, 2, 28), date(2024, 3, 1), 2),
        (date(2023, 2, 28), date(2023, 3, 1), 1),
        (date(2024, 2, 29), date(2025, 2, 28), 365),
        (date(2024, 12, 31), date(2025, 1, 1), 1),
        (date(2025, 3, 15), date(2025, 3, 15), 0),
    ],
)
def test_days_overdue_across_month_ends_and_leap_days(
    due: date, today: date, expected: int
) -> None:
    assert days_overdue(due, today) == expected


def test_the_same_instant_is_a_different_day_in_auckland_and_los_angeles() -> None:
    instant = datetime(2025, 3, 15, 20, 0, tzinfo=UTC)

    auckland = local_today(instant, zoneinfo.ZoneInfo("Pacific/Auckland"))
    los_angeles = local_today(instant, zoneinfo.ZoneInfo("America/Los_Angeles"))

    assert auckland == date(2025, 3, 16)
    assert los_angeles == date(2025, 3, 15)


def _overdue(**changes: object) -> bool:
    facts: dict[str, object] = {
        "status": InvoiceStatus.SENT,
        "due_date": date(2025, 3, 14),
        "balance_due": Decimal("10.00"),
        "deleted": False,
        "customer_paused": False,
        "today": TODAY,
    }
    facts.update(changes)
    return is_overdue(**facts)  # type: ignore[arg-type]


def test_an_open_invoice_due_yesterday_is_overdue() -> None:
    assert _overdue()


@pytest.mark.parametrize(
    "changes",
    [
        {"status": InvoiceStatus.DRAFT},
        {"status": InvoiceStatus.PAID},
        {"status": InvoiceStatus.CANCELLED},
        {"deleted": True},
        {"balance_due": Decimal("0.00")},
        {"customer_paused": True},
        {"due_date": None},
        {"due_date": TODAY},
    ],
    ids=["draft", "paid", "cancelled", "deleted", "zero", "paused", "no-due", "today"],
)
def test_invoices_that_are_not_overdue(changes: dict[str, object]) -> None:
    assert not _overdue(**changes)


@pytest.mark.parametrize(
    "status", [InvoiceStatus.SENT, InvoiceStatus.VIEWED, InvoiceStatus.PARTIAL]
)
def test_every_open_status_can_be_overdue(status: InvoiceStatus) -> None:
    assert _overdue(status=status)


def test_stage_thresholds_are_due_dates_counted_back_from_today() -> None:
    thresholds = StageThresholds(today=date(2025, 3, 1), stages=(1, 7, 30))

    assert thresholds.threshold(1) == date(2025, 2, 28)
    assert thresholds.threshold(7) == date(2025, 2, 22)
    assert thresholds.threshold(30) == date(2025, 1, 30)
