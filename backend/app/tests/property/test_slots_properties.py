"""Slots are deterministic: any process, at any moment, computes the same ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.schedule.slots import (
    Schedule,
    latest_slot_at_or_before,
    next_slot_after,
    next_slots,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "America/St_Johns",
    "Pacific/Chatham",
    "Pacific/Auckland",
]


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    number = st.integers(low, high)
    return st.one_of(
        st.just("*"),
        number.map(str),
        st.tuples(number, number).map(lambda r: f"{min(r)}-{max(r)}"),
        st.integers(2, max(2, (high - low) // 2)).map(lambda step: f"*/{step}"),
        st.lists(number, min_size=2, max_size=3, unique=True).map(
            lambda items: ",".join(map(str, sorted(items)))
        ),
    )


cron_expressions = st.builds(
    lambda *fields: " ".join(fields),
    _field(0, 59),
    _field(0, 23),
    _field(1, 28),
    _field(1, 12),
    _field(0, 7),
)
schedules = st.one_of(
    st.builds(Schedule, st.just("cron"), cron_expressions, st.sampled_from(ZONES)),
    st.builds(
        Schedule,
        st.just("interval"),
        st.integers(1, 24 * 14).map(str),
        st.sampled_from(ZONES),
    ),
)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2040, 1, 1),
    timezones=st.just(UTC),
)


@settings(max_examples=150)
@given(schedule=schedules, start=instants)
def test_slots_strictly_increase(schedule: Schedule, start: datetime) -> None:
    slots = next_slots(schedule, start, 6)

    assert slots[0] > start
    assert all(a < b for a, b in zip(slots, slots[1:], strict=False))


@settings(max_examples=150)
@given(schedule=schedules, start=instants, restart_at=st.floats(0, 1))
def test_a_restart_anywhere_computes_the_same_slots(
    schedule: Schedule, start: datetime, restart_at: float
) -> None:
    slots = next_slots(schedule, start, 5)
    restart = slots[0] + (slots[2] - slots[0]) * restart_at

    resumed = next_slots(schedule, restart, 2)

    following = [s for s in slots if s > restart][:2]
    assert resumed[: len(following)] == following


@settings(max_examples=150)
@given(schedule=schedules, start=instants, offset=st.floats(0, 1))
def test_the_latest_slot_agrees_with_the_forward_sequence(
    schedule: Schedule, start: datetime, offset: float
) -> None:
    first, second = next_slots(schedule, start, 2)
    instant = first + (second - first) * offset

    latest = latest_slot_at_or_before(schedule, instant)

    assert latest == (second if instant >= second else first)
    assert next_slot_after(schedule, instant) > instant


@given(hours=st.integers(1, 24 * 30), start=instants)
def test_interval_slots_sit_on_multiples_of_the_interval(
    hours: int, start: datetime
) -> None:
    slot = next_slot_after(Schedule("interval", str(hours), "UTC"), start)

    since_epoch = slot - datetime(1970, 1, 1, tzinfo=UTC)
    assert since_epoch % timedelta(hours=hours) == timedelta(0)
