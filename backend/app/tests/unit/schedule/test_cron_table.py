"""What expressions mean: each with its next three fire times, or its rejection."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.schedule.cron import InvalidCronExpression, normalize_cron
from app.schedule.slots import Schedule, next_slots

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 1 January 2025, midnight in Berlin.
START = datetime(2025, 1, 1, 0, 0, tzinfo=BERLIN)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


TABLE = [
    ("0 8 * * 1", [local(2025, 1, 6, 8), local(2025, 1, 13, 8), local(2025, 1, 20, 8)]),
    ("0 8 * * 0", [local(2025, 1, 5, 8), local(2025, 1, 12, 8), local(2025, 1, 19, 8)]),
    ("0 8 * * 7", [local(2025, 1, 5, 8), local(2025, 1, 12, 8), local(2025, 1, 19, 8)]),
    (
        "0 8 * * sun",
        [local(2025, 1, 5, 8), local(2025, 1, 12, 8), local(2025, 1, 19, 8)],
    ),
    (
        "0 9 * JAN MON",
        [local(2025, 1, 6, 9), local(2025, 1, 13, 9), local(2025, 1, 20, 9)],
    ),
    (
        "0 9-11 * * *",
        [local(2025, 1, 1, 9), local(2025, 1, 1, 10), local(2025, 1, 1, 11)],
    ),
    (
        "*/20 * * * *",
        [local(2025, 1, 1, 0, 20), local(2025, 1, 1, 0, 40), local(2025, 1, 1, 1)],
    ),
    (
        "0 8,20 * * *",
        [local(2025, 1, 1, 8), local(2025, 1, 1, 20), local(2025, 1, 2, 8)],
    ),
    ("0 0 1-10/3 * *", [local(2025, 1, 4), local(2025, 1, 7), local(2025, 1, 10)]),
    ("0 0 13 * 5", [local(2025, 1, 3), local(2025, 1, 10), local(2025, 1, 13)]),
    (
        "0 12 * * MON-FRI",
        [local(2025, 1, 1, 12), local(2025, 1, 2, 12), local(2025, 1, 3, 12)],
    ),
    ("@hourly", [local(2025, 1, 1, 1), local(2025, 1, 1, 2), local(2025, 1, 1, 3)]),
    ("@daily", [local(2025, 1, 2), local(2025, 1, 3), local(2025, 1, 4)]),
    ("@midnight", [local(2025, 1, 2), local(2025, 1, 3), local(2025, 1, 4)]),
    ("@weekly", [local(2025, 1, 5), local(2025, 1, 12), local(2025, 1, 19)]),
    ("@monthly", [local(2025, 2, 1), local(2025, 3, 1), local(2025, 4, 1)]),
    ("@yearly", [local(2026, 1, 1), local(2027, 1, 1), local(2028, 1, 1)]),
    ("@annually", [local(2026, 1, 1), local(2027, 1, 1), local(2028, 1, 1)]),
    ("0 0 29 2 *", [local(2028, 2, 29), local(2032, 2, 29), local(2036, 2, 29)]),
]


@pytest.mark.parametrize(("expression", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_next_three_fire_times(expression: str, expected: list[datetime]) -> None:
    schedule = Schedule.cron(expression, "Europe/Berlin")

    fires = next_slots(schedule, START, 3)

    assert fires == expected


REJECTED = [
    ("0 0 31 2 *", "never fires"),
    ("0 0 30 2 *", "never fires"),
    ("61 * * * *", "cron expression '61 * * * *'"),
    ("* * *", "has 3 fields"),
    ("0 0 * * * *", "has 6 fields"),
    ("foo", "has 1 fields"),
    ("", "has 0 fields"),
    ("0 0 L * *", "bad day-of-month"),
    ("@reboot", "not a supported @alias"),
]


@pytest.mark.parametrize(
    ("expression", "reason"), REJECTED, ids=[r[0] or "empty" for r in REJECTED]
)
def test_rejected_expressions_name_the_expression_and_the_reason(
    expression: str, reason: str
) -> None:
    with pytest.raises(InvalidCronExpression) as excinfo:
        normalize_cron(expression)

    assert reason in str(excinfo.value)
    assert repr(expression) in str(excinfo.value)
