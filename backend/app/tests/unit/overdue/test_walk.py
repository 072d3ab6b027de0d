from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.overdue.rule import LocalDates, ZoneGroup
from app.overdue.run import SliceWidth


def test_a_slice_with_no_work_widens_the_next_up_to_a_cap() -> None:
    slices = SliceWidth(batch_size=10)
    assert slices.width == 20

    slices.follow(0)
    assert slices.width == 200
    for _ in range(5):
        slices.follow(0)
    assert slices.width == 2560


def test_a_slice_is_sized_from_the_last_ones_share_of_work() -> None:
    slices = SliceWidth(batch_size=100)
    slices.width = 1000

    slices.follow(25)

    assert slices.width == 4000


@pytest.mark.parametrize(("width", "expected"), [(1000, 500), (300, 200)])
def test_a_full_batch_halves_the_slice_but_not_below_two_batches(
    width: int, expected: int
) -> None:
    slices = SliceWidth(batch_size=100)
    slices.width = width

    slices.follow(100)

    assert slices.width == expected


@pytest.mark.parametrize(("read", "expected"), [(130, 130), (900, 900), (10**6, 25600)])
def test_a_full_batch_sizes_the_next_slice_from_the_entries_it_took(
    read: int, expected: int
) -> None:
    slices = SliceWidth(batch_size=100)
    slices.width = 1000

    slices.follow(100, read)

    assert slices.width == expected


def test_the_entries_read_matter_only_after_a_full_batch() -> None:
    slices = SliceWidth(batch_size=100)
    slices.width = 1000

    slices.follow(25, 1000)

    assert slices.width == 4000


def test_local_dates_name_only_the_zones_off_the_default_date() -> None:
    instant = datetime(2025, 3, 15, 20, 0, tzinfo=UTC)
    groups = [
        ZoneGroup("America/Los_Angeles", date(2025, 3, 15), ("America/Los_Angeles",)),
        ZoneGroup("Asia/Tokyo", date(2025, 3, 16), ("Asia/Tokyo",)),
        ZoneGroup("Pacific/Auckland", date(2025, 3, 16), ("Pacific/Auckland",)),
        ZoneGroup("UTC", instant.date(), ("UTC", None, "Mars/Olympus")),
    ]

    dates = LocalDates.from_groups(groups, default=instant.date())

    assert dates.default == date(2025, 3, 15)
    assert dates.others == ((date(2025, 3, 16), ("Asia/Tokyo", "Pacific/Auckland")),)
    assert dates.latest == date(2025, 3, 16)


def test_local_dates_on_one_date_need_no_case() -> None:
    dates = LocalDates.from_groups([], default=date(2025, 3, 15))

    assert dates.others == ()
    assert dates.latest == date(2025, 3, 15)
