from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.settings import SCHEDULER_DEFAULTS, ScheduleType, Settings

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
CRON_VALUES = ["0 0 * * *", "30 8 * * 1-5", "*/15 * * * *", "0 9 1 * *", "@hourly"]

valid_schedules = st.one_of(
    st.tuples(st.just("cron"), st.sampled_from(CRON_VALUES)),
    st.tuples(st.just("interval"), st.integers(1, 24 * 30).map(str)),
)
valid_reminder_days = st.lists(st.integers(1, 365), min_size=1, max_size=6, unique=True)


@pytest.fixture(autouse=True)
def no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))


@given(
    schedule=valid_schedules,
    zone=st.sampled_from(ZONES),
    batch_size=st.integers(1, 1_000_000),
    days=valid_reminder_days,
)
def test_any_valid_configuration_round_trips(
    schedule: tuple[str, str], zone: str, batch_size: int, days: list[int]
) -> None:
    settings = Settings(
        overdue_invoice_schedule_type=schedule[0],
        overdue_invoice_schedule_value=schedule[1],
        overdue_invoice_timezone=zone,
        overdue_invoice_batch_size=str(batch_size),
        overdue_invoice_reminder_days=",".join(map(str, days)),
    )

    assert settings.config_warnings == []
    assert settings.overdue_invoice_schedule_type == ScheduleType(schedule[0])
    assert settings.overdue_invoice_schedule_value == schedule[1]
    assert settings.overdue_invoice_timezone == zone
    assert settings.overdue_invoice_batch_size == batch_size
    assert settings.overdue_invoice_reminder_days == tuple(sorted(days))


bad_batch_sizes = st.one_of(
    st.integers(max_value=0).map(str),
    st.text(max_size=8).filter(lambda s: not re.fullmatch(r"[0-9]+", s.strip())),
)


@given(batch_size=bad_batch_sizes)
def test_any_invalid_batch_size_falls_back(batch_size: str) -> None:
    settings = Settings(overdue_invoice_batch_size=batch_size)

    assert (
        settings.overdue_invoice_batch_size
        == SCHEDULER_DEFAULTS["overdue_invoice_batch_size"]
    )
    assert len(settings.config_warnings) == 1


@given(value=st.text(max_size=12))
def test_any_invalid_interval_falls_back_to_the_default_schedule(value: str) -> None:
    settings = Settings(
        overdue_invoice_schedule_type="interval", overdue_invoice_schedule_value=value
    )

    if re.fullmatch(r"[0-9]+", value.strip()) and int(value) > 0:
        assert settings.overdue_invoice_schedule_value == str(int(value))
    else:
        assert settings.overdue_invoice_schedule_value == "0 0 * * *"
        assert settings.overdue_invoice_schedule_type is ScheduleType.CRON
        assert len(settings.config_warnings) == 1
