"""Slots of a schedule: forwards, backwards, across DST, and in plain words."""

import dataclasses
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from app.schedule.cron import InvalidCronExpression
from app.schedule.slots import (
    EPOCH,
    Schedule,
    describe_schedule,
    next_slot,
    next_slots,
    previous_slot,
    slot_period,
)

NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def slots_on(schedule: Schedule, day: date, zone: ZoneInfo) -> list[datetime]:
    """Every slot whose local date in `zone` is `day`."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone) - timedelta(hours=3)
    slots = next_slots(schedule, start, 10)
    return [slot for slot in slots if slot.astimezone(zone).date() == day]


def test_a_time_skipped_by_spring_forward_runs_once_when_the_gap_ends() -> None:
    schedule = Schedule.cron("30 2 * * *", NEW_YORK)

    slots = slots_on(schedule, date(2025, 3, 9), NEW_YORK)

    assert slots == [utc(2025, 3, 9, 7)]
    assert slots[0].astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:00 EDT"


def test_a_time_repeated_by_fall_back_runs_once_at_its_first_occurrence() -> None:
    schedule = Schedule.cron("30 1 * * *", NEW_YORK)

    slots = slots_on(schedule, date(2025, 11, 2), NEW_YORK)

    assert slots == [utc(2025, 11, 2, 5, 30)]
    assert slots[0].astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:30 EDT"


def test_a_restart_inside_the_repeated_hour_does_not_run_it_again() -> None:
    schedule = Schedule.cron("30 1 * * *", NEW_YORK)
    second_1_15 = utc(2025, 11, 2, 6, 15)  # 01:15 EST, after 01:30 EDT

    assert next_slot(schedule, second_1_15) == utc(2025, 11, 3, 6, 30)


def test_an_hourly_wildcard_runs_each_real_hour_across_fall_back() -> None:
    schedule = Schedule.cron("0 * * * *", NEW_YORK)

    slots = next_slots(schedule, utc(2025, 11, 2, 4, 30), 3)

    assert slots == [utc(2025, 11, 2, 5), utc(2025, 11, 2, 6), utc(2025, 11, 2, 7)]


def test_an_interval_keeps_exact_real_spacing_across_a_dst_change() -> None:
    schedule = Schedule.interval(5, NEW_YORK)

    slots = next_slots(schedule, utc(2025, 3, 8, 20), 6)

    assert {later - earlier for earlier, later in pairwise(slots)} == {
        timedelta(hours=5)
    }
    assert slots[0] < utc(2025, 3, 9, 7) < slots[-1]  # the change is crossed


def test_interval_slots_are_multiples_of_the_interval_since_the_epoch() -> None:
    schedule = Schedule.interval(6)

    assert next_slot(schedule, utc(2025, 1, 1, 1)) == utc(2025, 1, 1, 6)
    assert next_slot(schedule, utc(2025, 1, 1, 6)) == utc(2025, 1, 1, 12)
    assert (utc(2025, 1, 1, 6) - EPOCH) % timedelta(hours=6) == timedelta(0)


def test_the_previous_slot_includes_the_instant_itself() -> None:
    interval = Schedule.interval(6)
    cron = Schedule.cron("0 8 * * 1", "Europe/Berlin")
    monday_8 = datetime(2025, 1, 6, 8, tzinfo=ZoneInfo("Europe/Berlin"))

    assert previous_slot(interval, utc(2025, 1, 1, 6)) == utc(2025, 1, 1, 6)
    assert previous_slot(interval, utc(2025, 1, 1, 5, 59)) == utc(2025, 1, 1)
    assert previous_slot(cron, monday_8) == monday_8
    assert previous_slot(cron, monday_8 - timedelta(seconds=1)) == monday_8 - (
        timedelta(days=7)
    )


def test_after_downtime_the_previous_slot_is_only_the_most_recent_one() -> None:
    schedule = Schedule.cron("0 * * * *")
    back_up = utc(2025, 1, 3, 17, 42)  # down since the 1st: many slots missed

    assert previous_slot(schedule, back_up) == utc(2025, 1, 3, 17)


def test_the_previous_slot_is_found_far_back_for_rare_expressions() -> None:
    schedule = Schedule.cron("0 0 29 2 *")

    assert previous_slot(schedule, utc(2027, 6, 1)) == utc(2024, 2, 29)


def test_check_config_gets_the_next_five_slots_in_order() -> None:
    schedule = Schedule.cron("0 0 * * *", "Asia/Kolkata")

    slots = next_slots(schedule, utc(2025, 1, 1), 5)

    assert slots == [utc(2025, 1, day, 18, 30) for day in range(1, 6)]


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_slot(Schedule.interval(1), datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        previous_slot(Schedule.interval(1), datetime(2025, 1, 1))


def test_the_period_is_the_gap_between_the_next_two_slots() -> None:
    start = utc(2025, 1, 1)

    assert slot_period(Schedule.cron("0 8 * * 1"), start) == timedelta(days=7)
    assert slot_period(Schedule.cron("0 8,20 * * *"), start) == timedelta(hours=12)
    assert slot_period(Schedule.interval(12), start) == timedelta(hours=12)


def test_a_daily_period_is_23_hours_across_spring_forward() -> None:
    schedule = Schedule.cron("0 8 * * *", "Europe/Berlin")

    assert slot_period(schedule, utc(2025, 3, 29, 6)) == timedelta(hours=23)


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        (
            Schedule.cron("0 8 * * 1", "Europe/Berlin"),
            "every Monday at 08:00 (Europe/Berlin)",
        ),
        (Schedule.cron("0 0 * * *"), "every day at 00:00 (UTC)"),
        (Schedule.cron("@daily"), "every day at 00:00 (UTC)"),
        (Schedule.cron("0 8 * * 7"), "every Sunday at 08:00 (UTC)"),
        (Schedule.cron("30 7 * * mon-fri"), "every Monday to Friday at 07:30 (UTC)"),
        (Schedule.cron("0 9 1 * *"), "on day 1 of every month at 09:00 (UTC)"),
        (Schedule.cron("@yearly"), "every year on 1 January at 00:00 (UTC)"),
        (Schedule.cron("*/15 * * * *"), "every 15 minutes"),
        (Schedule.cron("* * * * *"), "every minute"),
        (
            Schedule.cron("@hourly", "Asia/Kolkata"),
            "every hour at minute 0 (Asia/Kolkata)",
        ),
        (Schedule.cron("*/7 * * * *"), "cron `*/7 * * * *` (UTC)"),
        (Schedule.cron("0 0 13 * 5"), "cron `0 0 13 * 5` (UTC)"),
        (
            Schedule.cron("0  9 * JAN MON", "Asia/Tokyo"),
            "cron `0 9 * JAN MON` (Asia/Tokyo)",
        ),
        (Schedule.interval(1), "every hour"),
        (Schedule.interval(6), "every 6 hours"),
    ],
)
def test_schedules_are_described_in_plain_words(schedule: Schedule, words: str) -> None:
    assert describe_schedule(schedule) == words


def test_configuration_text_is_parsed_into_a_schedule() -> None:
    assert Schedule.parse("interval", " 6 ", "UTC") == Schedule.interval(6)
    assert Schedule.parse(" CRON ", "@daily", "Europe/Berlin") == Schedule(
        "cron", "@daily", ZoneInfo("Europe/Berlin")
    )


@pytest.mark.parametrize(
    ("kind", "value", "timezone", "message"),
    [
        ("weekly", "1", "UTC", "cron or interval: 'weekly'"),
        ("interval", "0", "UTC", "whole number of hours from 1 to 878400: 0"),
        ("interval", "1.5", "UTC", "whole number of hours from 1 to 878400: '1.5'"),
        ("interval", "-2", "UTC", "whole number of hours from 1 to 878400: '-2'"),
        ("interval", "", "UTC", "whole number of hours from 1 to 878400: ''"),
        ("interval", "878401", "UTC", "whole number of hours from 1 to 878400: 878401"),
        ("cron", "0 0 31 2 *", "UTC", "'0 0 31 2 *' never fires"),
        ("cron", "@daily", "Mars/Olympus_Mons", "time zone: 'Mars/Olympus_Mons'"),
        ("cron", "@daily", "", "time zone: ''"),
    ],
)
def test_bad_configuration_text_is_refused_naming_the_value(
    kind: str, value: str, timezone: str, message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        Schedule.parse(kind, value, timezone)

    assert message in str(refused.value)


def test_a_schedule_checks_its_value_against_its_kind() -> None:
    with pytest.raises(InvalidCronExpression):
        Schedule("cron", "0 0 30 2 *")
    with pytest.raises(ValueError, match="needs an expression"):
        Schedule("cron", 5)
    with pytest.raises(ValueError, match="whole number of hours"):
        Schedule("interval", "6")
    with pytest.raises(ValueError, match="whole number of hours"):
        Schedule("interval", True)


def test_a_schedule_is_an_immutable_value() -> None:
    schedule = Schedule.interval(6)

    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.value = 7  # type: ignore[misc]
    assert {schedule, Schedule.interval(6)} == {Schedule.interval(6)}
