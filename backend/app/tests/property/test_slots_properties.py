"""Slots are deterministic: any process, started at any moment, finds the same ones."""

from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.schedule.cron import (
    MONTH_NAMES,
    WEEKDAY_NAMES,
    InvalidCronExpression,
    normalize_cron,
)
from app.schedule.slots import (
    EPOCH,
    Schedule,
    next_slot,
    next_slots,
    previous_slot,
)

# DST in both hemispheres, half- and quarter-hour offsets, a half-hour DST shift,
# changes at midnight, and a day removed from the calendar (Apia, 2011).
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "America/Santiago",
    "Pacific/Chatham",
    "Pacific/Apia",
]
WEEKDAYS = [name[:3].upper() for name in WEEKDAY_NAMES]
MONTHS = [name[:3].lower() for name in MONTH_NAMES]

deterministic = settings(max_examples=40, derandomize=True, deadline=None)


def field(
    low: int, high: int, names: list[str] | None = None
) -> st.SearchStrategy[str]:
    """One crontab field: `*`, a value, a range, a step, a list, or a name."""
    value = st.integers(low, high)
    span = st.tuples(value, value).map(sorted)
    item = st.one_of(
        value.map(str),
        span.map(lambda pair: f"{pair[0]}-{pair[1]}"),
        st.tuples(span, st.integers(1, 9)).map(lambda s: f"{s[0][0]}-{s[0][1]}/{s[1]}"),
    )
    choices = [
        st.just("*"),
        st.integers(2, high - low + 1).map(lambda step: f"*/{step}"),
        item,
        st.lists(item, min_size=2, max_size=3).map(",".join),
    ]
    if names:
        choices.append(st.sampled_from(names))
    return st.one_of(*choices)


def is_valid(expression: str) -> bool:
    try:
        normalize_cron(expression)
    except InvalidCronExpression:
        return False
    return True


expressions = (
    st.tuples(
        field(0, 59),
        field(0, 23),
        field(1, 31),
        field(1, 12, MONTHS),
        field(0, 7, WEEKDAYS),
    )
    .map(" ".join)
    .filter(is_valid)
)
zones = st.sampled_from(ZONES).map(ZoneInfo)
cron_schedules = st.builds(Schedule.cron, expressions, zones)
interval_schedules = st.builds(Schedule.interval, st.integers(1, 24 * 40), zones)
schedules = st.one_of(cron_schedules, interval_schedules)
instants = st.datetimes(
    datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)
)


@cache
def offset_changes(zone: ZoneInfo, year: int) -> list[datetime]:
    """The instants of `year` at which `zone` changes its UTC offset, to a minute."""
    days = [datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=n) for n in range(366)]
    return [
        change_within(zone, a, b)
        for a, b in pairwise(days)
        if offset(a, zone) != offset(b, zone)
    ]


def change_within(zone: ZoneInfo, start: datetime, end: datetime) -> datetime:
    while end - start > timedelta(minutes=1):
        middle = start + (end - start) / 2
        start, end = (
            (middle, end)
            if offset(middle, zone) == offset(start, zone)
            else (start, middle)
        )
    return end


def offset(instant: datetime, zone: ZoneInfo) -> timedelta | None:
    return instant.astimezone(zone).utcoffset()


@st.composite
def schedules_and_starts(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    """A schedule and an instant in 2000-2040, often near a change of UTC offset."""
    schedule = draw(schedules)
    start = draw(instants)
    changes = offset_changes(schedule.timezone, start.year)
    if not changes or draw(st.booleans()):
        return schedule, start

    change = draw(st.sampled_from(changes))
    shift = draw(st.integers(-36 * 3600, 36 * 3600))
    return schedule, change + timedelta(seconds=shift)


def within(gap: timedelta) -> st.SearchStrategy[timedelta]:
    """A duration from zero up to, but not including, `gap`."""
    microseconds = st.integers(0, gap // timedelta(microseconds=1) - 1)
    return microseconds.map(lambda n: timedelta(microseconds=n))


@deterministic
@given(schedules_and_starts())
def test_slots_are_aware_utc_and_strictly_increase(
    case: tuple[Schedule, datetime],
) -> None:
    schedule, start = case

    slots = next_slots(schedule, start, 8)

    assert start < slots[0]
    assert all(earlier < later for earlier, later in pairwise(slots))
    assert all(slot.tzinfo is UTC for slot in slots)


@deterministic
@given(schedules_and_starts(), st.data())
def test_a_restart_anywhere_computes_the_same_slots(
    case: tuple[Schedule, datetime], data: st.DataObject
) -> None:
    schedule, start = case
    slots = next_slots(schedule, start, 8)
    index = data.draw(st.integers(0, 6))
    restart = slots[index] + data.draw(within(slots[index + 1] - slots[index]))

    resumed = next_slots(schedule, restart, 7 - index)

    assert resumed == slots[index + 1 :]


@deterministic
@given(schedules_and_starts(), st.data())
def test_the_previous_slot_is_the_last_of_the_forward_sequence_not_after_it(
    case: tuple[Schedule, datetime], data: st.DataObject
) -> None:
    schedule, start = case
    slots = next_slots(schedule, start, 6)
    index = data.draw(st.integers(0, 4))
    instant = slots[index] + data.draw(within(slots[index + 1] - slots[index]))

    assert previous_slot(schedule, instant) == slots[index]
    before_start = previous_slot(schedule, start)
    assert before_start <= start
    assert next_slot(schedule, before_start) == slots[0]


@deterministic
@given(st.integers(1, 24 * 400), instants, zones)
def test_interval_slots_are_multiples_of_the_interval_since_the_epoch(
    hours: int, start: datetime, zone: ZoneInfo
) -> None:
    step = timedelta(hours=hours)

    slots = next_slots(Schedule.interval(hours, zone), start, 3)

    assert all((slot - EPOCH) % step == timedelta(0) for slot in slots)
    assert all(later - earlier == step for earlier, later in pairwise(slots))
    assert slots[0] - step <= start < slots[0]
