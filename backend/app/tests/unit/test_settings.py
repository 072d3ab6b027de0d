from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from app.settings import (
    Environment,
    LogFormat,
    ScheduleType,
    Settings,
    default_database_url,
    normalize_database_url,
    report_config_warnings,
)

ALL_VARIABLES = (
    "DATABASE_URL",
    "OVERDUE_INVOICE_SCHEDULE_TYPE",
    "OVERDUE_INVOICE_SCHEDULE_VALUE",
    "OVERDUE_INVOICE_BATCH_SIZE",
    "OVERDUE_INVOICE_TIMEZONE",
    "OVERDUE_INVOICE_REMINDER_DAYS",
    "OVERDUE_INVOICE_STALE_RUN_SECONDS",
    "OVERDUE_INVOICE_PARALLELISM",
    "SCHEDULER_ENABLED",
    "API_TOKENS",
    "ENVIRONMENT",
    "LOG_LEVEL",
    "LOG_FORMAT",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))


def test_defaults_match_the_design() -> None:
    settings = Settings()

    assert settings.database_url == default_database_url()
    assert settings.overdue_invoice_schedule_type is ScheduleType.CRON
    assert settings.overdue_invoice_schedule_value == "0 0 * * *"
    assert settings.overdue_invoice_timezone == "UTC"
    assert settings.overdue_invoice_batch_size == 100
    assert settings.overdue_invoice_reminder_days == (1,)
    assert settings.overdue_invoice_stale_run_seconds == 300
    assert settings.overdue_invoice_parallelism == 2
    assert settings.scheduler_enabled is True
    assert settings.api_tokens == ()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.log_level == "INFO"
    assert settings.log_format is LogFormat.TEXT
    assert settings.config_warnings == []


def test_every_variable_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = {
        "DATABASE_URL": "postgresql://u:p@db:5432/app",
        "OVERDUE_INVOICE_SCHEDULE_TYPE": "interval",
        "OVERDUE_INVOICE_SCHEDULE_VALUE": "6",
        "OVERDUE_INVOICE_BATCH_SIZE": "250",
        "OVERDUE_INVOICE_TIMEZONE": "Europe/Berlin",
        "OVERDUE_INVOICE_REMINDER_DAYS": "30, 1,7,14",
        "OVERDUE_INVOICE_STALE_RUN_SECONDS": "90",
        "OVERDUE_INVOICE_PARALLELISM": "8",
        "SCHEDULER_ENABLED": "false",
        "API_TOKENS": "alpha, beta",
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "debug",
        "LOG_FORMAT": "JSON",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)

    settings = Settings()

    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/app"
    assert settings.overdue_invoice_schedule_type is ScheduleType.INTERVAL
    assert settings.overdue_invoice_schedule_value == "6"
    assert settings.overdue_invoice_batch_size == 250
    assert settings.overdue_invoice_timezone == "Europe/Berlin"
    assert settings.overdue_invoice_reminder_days == (1, 7, 14, 30)
    assert settings.overdue_invoice_stale_run_seconds == 90
    assert settings.overdue_invoice_parallelism == 8
    assert settings.scheduler_enabled is False
    assert settings.api_tokens == ("alpha", "beta")
    assert settings.environment is Environment.PRODUCTION
    assert settings.log_level == "DEBUG"
    assert settings.log_format is LogFormat.JSON
    assert settings.config_warnings == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        (
            "postgresql://u@h/d?sslmode=require",
            "postgresql+psycopg://u@h/d?sslmode=require",
        ),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_platform_postgres_urls_use_psycopg_3(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


@pytest.mark.parametrize(
    ("variable", "value", "field", "default"),
    [
        (
            "OVERDUE_INVOICE_SCHEDULE_TYPE",
            "weekly",
            "overdue_invoice_schedule_type",
            ScheduleType.CRON,
        ),
        ("OVERDUE_INVOICE_TIMEZONE", "Mars/Olympus", "overdue_invoice_timezone", "UTC"),
        ("OVERDUE_INVOICE_TIMEZONE", "", "overdue_invoice_timezone", "UTC"),
        ("OVERDUE_INVOICE_BATCH_SIZE", "0", "overdue_invoice_batch_size", 100),
        ("OVERDUE_INVOICE_BATCH_SIZE", "-5", "overdue_invoice_batch_size", 100),
        ("OVERDUE_INVOICE_BATCH_SIZE", "ten", "overdue_invoice_batch_size", 100),
        ("OVERDUE_INVOICE_BATCH_SIZE", "2.5", "overdue_invoice_batch_size", 100),
        ("OVERDUE_INVOICE_REMINDER_DAYS", "1,x", "overdue_invoice_reminder_days", (1,)),
        ("OVERDUE_INVOICE_REMINDER_DAYS", "0,7", "overdue_invoice_reminder_days", (1,)),
        ("OVERDUE_INVOICE_REMINDER_DAYS", "", "overdue_invoice_reminder_days", (1,)),
        (
            "OVERDUE_INVOICE_STALE_RUN_SECONDS",
            "0",
            "overdue_invoice_stale_run_seconds",
            300,
        ),
        ("OVERDUE_INVOICE_PARALLELISM", "0", "overdue_invoice_parallelism", 2),
        ("OVERDUE_INVOICE_PARALLELISM", "9", "overdue_invoice_parallelism", 2),
        ("OVERDUE_INVOICE_PARALLELISM", "two", "overdue_invoice_parallelism", 2),
        (
            "OVERDUE_INVOICE_SCHEDULE_VALUE",
            "0 0 31 2 *",
            "overdue_invoice_schedule_value",
            "0 0 * * *",
        ),
        (
            "OVERDUE_INVOICE_SCHEDULE_VALUE",
            "every day",
            "overdue_invoice_schedule_value",
            "0 0 * * *",
        ),
        (
            "OVERDUE_INVOICE_SCHEDULE_VALUE",
            "61 * * * *",
            "overdue_invoice_schedule_value",
            "0 0 * * *",
        ),
    ],
)
def test_invalid_scheduler_value_falls_back_to_its_default_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    field: str,
    default: object,
) -> None:
    monkeypatch.setenv(variable, value)

    settings = Settings()

    assert getattr(settings, field) == default
    assert len(settings.config_warnings) == 1
    assert settings.config_warnings[0].startswith(f"{variable}: ")
    assert repr(value) in settings.config_warnings[0]


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "six", "0 0 * * *"])
def test_invalid_interval_falls_back_to_the_default_cron_schedule(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("OVERDUE_INVOICE_SCHEDULE_TYPE", "interval")
    monkeypatch.setenv("OVERDUE_INVOICE_SCHEDULE_VALUE", value)

    settings = Settings()

    assert settings.overdue_invoice_schedule_type is ScheduleType.CRON
    assert settings.overdue_invoice_schedule_value == "0 0 * * *"
    assert "OVERDUE_INVOICE_SCHEDULE_VALUE" in settings.config_warnings[0]


def test_a_valid_value_beside_an_invalid_one_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OVERDUE_INVOICE_TIMEZONE", "Nowhere/Land")
    monkeypatch.setenv("OVERDUE_INVOICE_BATCH_SIZE", "500")

    settings = Settings()

    assert settings.overdue_invoice_timezone == "UTC"
    assert settings.overdue_invoice_batch_size == 500


def test_replaced_values_are_logged_as_errors(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OVERDUE_INVOICE_TIMEZONE", "Nowhere/Land")
    settings = Settings()

    with caplog.at_level(logging.ERROR):
        report_config_warnings(settings)

    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert "Nowhere/Land" in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOG_LEVEL", "loud"),
        ("LOG_FORMAT", "xml"),
        ("ENVIRONMENT", "staging-ish"),
        ("SCHEDULER_ENABLED", "perhaps"),
    ],
)
def test_invalid_non_scheduler_value_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError) as excinfo:
        Settings()

    assert excinfo.value.errors()[0]["loc"] == (variable.lower(),)


def test_placeholder_tokens_are_recognised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKENS", "changeme,s3cr3t-real-token")

    assert Settings().placeholder_tokens() == ["changeme"]


def test_cron_aliases_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERDUE_INVOICE_SCHEDULE_VALUE", "@daily")

    settings = Settings()

    assert settings.overdue_invoice_schedule_value == "@daily"
    assert settings.config_warnings == []
