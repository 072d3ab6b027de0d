"""What a cron expression means: its next fire times, or why it is refused."""

from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from app.schedule.cron import InvalidCronExpression, cron_fires_after, normalize_cron

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2025, 1, 1, tzinfo=BERLIN)  # a Wednesday, local midnight


def berlin(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=BERLIN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fires(
    expression: str, start: datetime, zone: ZoneInfo, count: int
) -> list[datetime]:
    return list(islice(cron_fires_after(expression, start, zone), count))


MONDAYS_8 = [berlin(1, 6, 8), berlin(1, 13, 8), berlin(1, 20, 8)]
SUNDAYS_8 = [berlin(1, 5, 8), berlin(1, 12, 8), berlin(1, 19, 8)]
MONDAYS_9 = [berlin(1, 6, 9), berlin(1, 13, 9), berlin(1, 20, 9)]
NEXT_DAYS = [berlin(1, 2), berlin(1, 3), berlin(1, 4)]
NEW_YEARS = [
    datetime(2026, 1, 1, tzinfo=BERLIN),
    datetime(2027, 1, 1, tzinfo=BERLIN),
    datetime(2028, 1, 1, tzinfo=BERLIN),
]
FIRE_TIMES = [
    ("0 8 * * 1", MONDAYS_8),
    ("0 8 * * 0", SUNDAYS_8),
    ("0 8 * * 7", SUNDAYS_8),
    ("0 8 * * sun", SUNDAYS_8),
    ("0 9 * JAN MON", MONDAYS_9),
    ("0 9 * jan mon", MONDAYS_9),
    ("0 9-11 * * *", [berlin(1, 1, 9), berlin(1, 1, 10), berlin(1, 1, 11)]),
    ("*/20 * * * *", [berlin(1, 1, 0, 20), berlin(1, 1, 0, 40), berlin(1, 1, 1)]),
    ("5/15 * * * *", [berlin(1, 1, 0, 5), berlin(1, 1, 0, 20), berlin(1, 1, 0, 35)]),
    ("0 0 1-10/3 * *", [berlin(1, 4), berlin(1, 7), berlin(1, 10)]),
    ("0 8,20 * * *", [berlin(1, 1, 8), berlin(1, 1, 20), berlin(1, 2, 8)]),
    ("30 6 * * 6,0", [berlin(1, 4, 6, 30), berlin(1, 5, 6, 30), berlin(1, 11, 6, 30)]),
    ("0 12 * * MON-FRI", [berlin(1, 1, 12), berlin(1, 2, 12), berlin(1, 3, 12)]),
    # Both day fields restricted: the 13th OR a Friday.
    ("0 0 13 * 5", [berlin(1, 3), berlin(1, 10), berlin(1, 13)]),
    # The OR rule makes a day that never exists harmless: Mondays in February.
    ("0 0 31 2 1", [berlin(2, 3), berlin(2, 10), berlin(2, 17)]),
    # A day-of-week starting with `*` means AND: a Sunday or Friday that is the 13th.
    ("0 0 13 * */5", [berlin(4, 13), berlin(6, 13), berlin(7, 13)]),
    (
        "0 0 29 2 *",
        [datetime(year, 2, 29, tzinfo=BERLIN) for year in (2028, 2032, 2036)],
    ),
    ("@yearly", NEW_YEARS),
    ("@annually", NEW_YEARS),
    ("@monthly", [berlin(2, 1), berlin(3, 1), berlin(4, 1)]),
    ("@weekly", [berlin(1, 5), berlin(1, 12), berlin(1, 19)]),
    ("@daily", NEXT_DAYS),
    ("@midnight", NEXT_DAYS),
    ("@DAILY", NEXT_DAYS),
    ("@hourly", [berlin(1, 1, 1), berlin(1, 1, 2), berlin(1, 1, 3)]),
]


@pytest.mark.parametrize(
    ("expression", "expected"), FIRE_TIMES, ids=[row[0] for row in FIRE_TIMES]
)
def test_next_three_fire_times(expression: str, expected: list[datetime]) -> None:
    got = fires(expression, START, BERLIN, 3)

    assert got == expected
    assert all(fire.tzinfo is UTC for fire in got)


REJECTED = [
    ("0 0 31 2 *", "never fires"),
    ("0 0 30 2 *", "never fires"),
    ("0 0 31 4,6,9,11 *", "never fires"),
    ("61 * * * *", "bad minute"),
    ("0 24 * * *", "bad hour"),
    ("0 0 32 * *", "bad day-of-month"),
    ("0 0 * 13 *", "bad month"),
    ("0 0 * * 8", "bad day-of-week"),
    ("0 0 * * FRI-MON", "bad day-of-week"),
    ("0 0 * * MONDAY", "bad day-of-week"),
    ("*/0 * * * *", "bad minute"),
    ("* * *", "has 3 fields"),
    ("0 0 * * * *", "has 6 fields"),
    ("foo", "has 1 fields"),
    ("", "has 0 fields"),
    ("   ", "has 0 fields"),
    ("0 0 L * *", "bad day-of-month field 'L'"),
    ("0 0 LW * *", "bad day-of-month field 'LW'"),
    ("0 0 * * 5L", "bad day-of-week field '5L'"),
    ("0 0 * * MON#2", "bad day-of-week field 'MON#2'"),
    ("0 0 ? * *", "bad day-of-month field '?'"),
    ("@reboot", "not a supported @alias"),
]


@pytest.mark.parametrize(
    ("expression", "reason"), REJECTED, ids=[row[0] or "empty" for row in REJECTED]
)
def test_refused_expressions_name_the_expression_and_the_reason(
    expression: str, reason: str
) -> None:
    with pytest.raises(InvalidCronExpression) as refused:
        normalize_cron(expression)

    assert str(refused.value).startswith(f"cron expression {expression!r} ")
    assert reason in str(refused.value)


def test_a_refusal_is_a_value_error_for_validators() -> None:
    with pytest.raises(ValueError, match="never fires"):
        fires("0 0 30 2 *", START, BERLIN, 1)


def test_normalizing_expands_aliases_and_spacing() -> None:
    assert normalize_cron("@weekly") == "0 0 * * 0"
    assert normalize_cron("  0   8 *\t* 1 ") == "0 8 * * 1"


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        fires("0 8 * * *", datetime(2025, 1, 1), BERLIN, 1)


def test_fire_times_are_strictly_after_the_start() -> None:
    at_a_fire = berlin(1, 6, 8)

    assert fires("0 8 * * 1", at_a_fire, BERLIN, 1) == [berlin(1, 13, 8)]


def test_an_hour_wildcard_follows_real_time_through_a_half_hour_dst_change() -> None:
    # Lord Howe moves 02:00 to 02:30 on 4 October 2015; 16:26 still comes.
    zone = ZoneInfo("Australia/Lord_Howe")

    got = fires("26 */16 * * *", utc(2015, 10, 3, 14), zone, 2)

    assert [fire.astimezone(zone).strftime("%d %H:%M %z") for fire in got] == [
        "04 16:26 +1100",
        "05 00:26 +1100",
    ]


def test_a_fixed_time_in_a_half_hour_gap_runs_when_the_gap_ends() -> None:
    zone = ZoneInfo("Australia/Lord_Howe")

    got = fires("15 2 * * *", utc(2015, 10, 3), zone, 2)

    assert got == [utc(2015, 10, 3, 15, 30), utc(2015, 10, 4, 15, 15)]


@pytest.mark.timeout(10)
def test_a_change_at_one_minute_past_midnight_is_crossed() -> None:
    # St John's went back from 00:01 to 23:31 in 2005; cronsim alone loops here.
    zone = ZoneInfo("America/St_Johns")

    got = fires("*/54 */10 * * *", utc(2005, 10, 29, 23), zone, 5)

    assert got == [
        utc(2005, 10, 29, 23, 24),
        utc(2005, 10, 30, 2, 30),
        utc(2005, 10, 30, 3, 30),
        utc(2005, 10, 30, 4, 24),
        utc(2005, 10, 30, 13, 30),
    ]


def test_a_day_removed_from_the_calendar_runs_once_after_it() -> None:
    # Samoa skipped 30 December 2011 entirely, moving from UTC-10 to UTC+14.
    zone = ZoneInfo("Pacific/Apia")

    got = fires("0 12 * * *", utc(2011, 12, 29), zone, 3)

    assert got == [utc(2011, 12, 29, 22), utc(2011, 12, 30, 10), utc(2011, 12, 30, 22)]
