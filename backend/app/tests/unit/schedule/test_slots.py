from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.schedule.slots import (
    Schedule,
    describe_schedule,
    latest_slot_at_or_before,
    next_slot_after,
    next_slots,
    period,
)

NEW_YORK = ZoneInfo("America/New_York")


def _fires_on(schedule: Schedule, day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=NEW_YORK) - timedelta(hours=1)
    fires = next_slots(schedule, start, 4)
    return [f for f in fires if f.astimezone(NEW_YORK).date() == day]


def test_a_time_skipped_by_spring_forward_runs_once_just_after_the_gap() -> None:
    schedule = Schedule("cron", "30 2 * * *", "America/New_York")

    fires = _fires_on(schedule, date(2025, 3, 9))

    assert fires == [datetime(2025, 3, 9, 7, 0, tzinfo=UTC)]
    assert fires[0].astimezone(NEW_YORK).hour == 3


def test_a_time_repeated_by_fall_back_runs_once() -> None:
    schedule = Schedule("cron", "30 1 * * *", "America/New_York")

    fires = _fires_on(schedule, date(2025, 11, 2))

    assert fires == [datetime(2025, 11, 2, 5, 30, tzinfo=UTC)]


def test_an_interval_keeps_exact_real_spacing_across_a_dst_change() -> None:
    schedule = Schedule("interval", "5", "America/New_York")

    fires = next_slots(schedule, datetime(2025, 3, 8, 20, tzinfo=UTC), 6)

    assert {b - a for a, b in zip(fires, fires[1:], strict=False)} == {
        timedelta(hours=5)
    }


def test_interval_slots_are_multiples_of_the_interval_since_the_epoch() -> None:
    schedule = Schedule("interval", "6", "UTC")

    assert next_slot_after(schedule, datetime(2025, 1, 1, 1, tzinfo=UTC)) == datetime(
        2025, 1, 1, 6, tzinfo=UTC
    )
    assert latest_slot_at_or_before(
        schedule, datetime(2025, 1, 1, 6, tzinfo=UTC)
    ) == datetime(2025, 1, 1, 6, tzinfo=UTC)


def test_the_latest_slot_is_found_far_back_for_rare_expressions() -> None:
    schedule = Schedule("cron", "0 0 29 2 *", "UTC")

    latest = latest_slot_at_or_before(schedule, datetime(2027, 6, 1, tzinfo=UTC))

    assert latest == datetime(2024, 2, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        (
            Schedule("cron", "0 8 * * 1", "Europe/Berlin"),
            "every Monday at 08:00 (Europe/Berlin)",
        ),
        (Schedule("cron", "0 0 * * *", "UTC"), "every day at 00:00 (UTC)"),
        (Schedule("cron", "@daily", "UTC"), "every day at 00:00 (UTC)"),
        (Schedule("cron", "*/15 * * * *", "UTC"), "every 15 minutes (UTC)"),
        (
            Schedule("cron", "30 7 * * 1-5", "Asia/Tokyo"),
            "every weekday at 07:30 (Asia/Tokyo)",
        ),
        (
            Schedule("cron", "0 9 1 * *", "UTC"),
            "on day 1 of every month at 09:00 (UTC)",
        ),
        (Schedule("cron", "0 9 1 1 *", "UTC"), "cron `0 9 1 1 *` (UTC)"),
        (Schedule("interval", "1", "UTC"), "every hour"),
        (Schedule("interval", "6", "UTC"), "every 6 hours"),
    ],
)
def test_schedules_are_described_in_plain_words(schedule: Schedule, words: str) -> None:
    assert describe_schedule(schedule) == words


def test_period_is_the_gap_between_the_next_two_slots() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)

    assert period(Schedule("cron", "0 8 * * 1", "UTC"), start) == timedelta(days=7)
    assert period(Schedule("interval", "12", "UTC"), start) == timedelta(hours=12)
