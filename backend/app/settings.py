"""The service's configuration: one settings class, read from the environment once."""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.schedule.cron import normalize_cron

logger = logging.getLogger(__name__)

DEFAULT_SQLITE_PATH = Path("data") / "overdue-scheduler.sqlite3"
PLACEHOLDER_TOKENS = frozenset(
    {"changeme", "change-me", "replace-me", "secret", "token"}
)


class ScheduleType(StrEnum):
    CRON = "cron"
    INTERVAL = "interval"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


SCHEDULER_DEFAULTS: dict[str, Any] = {
    "overdue_invoice_schedule_type": ScheduleType.CRON,
    "overdue_invoice_schedule_value": "0 0 * * *",
    "overdue_invoice_timezone": "UTC",
    "overdue_invoice_batch_size": 100,
    "overdue_invoice_reminder_days": (1,),
    "overdue_invoice_stale_run_seconds": 300,
    "overdue_invoice_parallelism": 2,
}


def default_database_url() -> str:
    """SQLite file under ./data, relative to the working directory."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH.as_posix()}"


def normalize_database_url(url: str) -> str:
    """Map the `postgres://` URLs hosting platforms hand out to psycopg 3."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def parse_schedule_type(raw: Any) -> ScheduleType:
    try:
        return ScheduleType(str(raw).strip().lower())
    except ValueError:
        raise ValueError(f"must be 'cron' or 'interval', got {raw!r}") from None


def _positive_whole_number(raw: Any) -> int | None:
    text = str(raw).strip()
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) == 0:
        return None
    return int(text)


def parse_interval_hours(raw: Any) -> int:
    hours = _positive_whole_number(raw)
    if hours is None:
        raise ValueError(
            f"interval must be a positive whole number of hours, got {raw!r}"
        )
    return hours


def parse_schedule_value(raw: Any, schedule_type: ScheduleType) -> str:
    if schedule_type is ScheduleType.INTERVAL:
        return str(parse_interval_hours(raw))
    text = " ".join(str(raw).split())
    normalize_cron(text)
    return text


def parse_timezone(raw: Any) -> str:
    name = str(raw).strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {raw!r}") from None
    return name


def parse_positive_int(raw: Any) -> int:
    number = _positive_whole_number(raw)
    if number is None:
        raise ValueError(f"must be a positive integer, got {raw!r}")
    return number


MAX_PARALLELISM = 8


def parse_parallelism(raw: Any) -> int:
    number = _positive_whole_number(raw)
    if number is None or number > MAX_PARALLELISM:
        raise ValueError(
            f"must be a whole number from 1 to {MAX_PARALLELISM}, got {raw!r}"
        )
    return number


def parse_reminder_days(raw: Any) -> tuple[int, ...]:
    """`1,7,14,30` → (1, 7, 14, 30): positive, distinct, sorted."""
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    try:
        days = [int(str(item).strip()) for item in items if str(item).strip()]
    except ValueError:
        raise ValueError(
            f"must be a comma-separated list of days, got {raw!r}"
        ) from None
    if not days or any(day <= 0 for day in days):
        raise ValueError(f"must list positive numbers of days, got {raw!r}")
    return tuple(sorted(set(days)))


SCHEDULER_PARSERS: dict[str, Callable[[Any], Any]] = {
    "overdue_invoice_schedule_type": parse_schedule_type,
    "overdue_invoice_timezone": parse_timezone,
    "overdue_invoice_batch_size": parse_positive_int,
    "overdue_invoice_reminder_days": parse_reminder_days,
    "overdue_invoice_stale_run_seconds": parse_positive_int,
    "overdue_invoice_parallelism": parse_parallelism,
}


def env_name(field: str) -> str:
    return field.upper()


class Settings(BaseSettings):
    """Every environment variable the service reads, validated once at start.

    Invalid scheduler values do not stop the service: each is replaced by its
    default and described in `config_warnings` (shown by check-config and the
    status API, which operators rely on).
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(default_factory=default_database_url)
    overdue_invoice_schedule_type: ScheduleType = ScheduleType.CRON
    overdue_invoice_schedule_value: str = "0 0 * * *"
    overdue_invoice_timezone: str = "UTC"
    overdue_invoice_batch_size: int = 100
    overdue_invoice_reminder_days: Annotated[tuple[int, ...], NoDecode] = (1,)
    overdue_invoice_stale_run_seconds: int = 300
    overdue_invoice_parallelism: int = 2
    scheduler_enabled: bool = True
    api_tokens: Annotated[tuple[str, ...], NoDecode] = ()
    environment: Environment = Environment.DEVELOPMENT
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT

    _config_warnings: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _replace_invalid_scheduler_values(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        cleaned, warnings = _clean_scheduler_values(data)
        settings = handler(cleaned)
        settings._config_warnings = warnings
        return settings

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("api_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = value.split(",")
        return tuple(token.strip() for token in value if token and token.strip())

    @field_validator("log_level", mode="before")
    @classmethod
    def _check_log_level(cls, value: Any) -> str:
        level = str(value).strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("environment", "log_format", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def config_warnings(self) -> list[str]:
        return list(self._config_warnings)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_default_database(self) -> bool:
        return self.database_url == default_database_url()

    def placeholder_tokens(self) -> list[str]:
        return [t for t in self.api_tokens if t.lower() in PLACEHOLDER_TOKENS]


def _clean_scheduler_values(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Replace each invalid scheduler value by its default, saying why."""
    cleaned = dict(data)
    warnings: list[str] = []
    for field, parse in SCHEDULER_PARSERS.items():
        if field in cleaned:
            try:
                cleaned[field] = parse(cleaned[field])
            except ValueError as exc:
                warnings.append(_fallback_message(field, exc))
                cleaned.pop(field)
    _clean_schedule_value(cleaned, warnings)
    return cleaned, warnings


def _clean_schedule_value(cleaned: dict[str, Any], warnings: list[str]) -> None:
    """The value is checked against the type in force; a bad one resets both."""
    field = "overdue_invoice_schedule_value"
    schedule_type = cleaned.get(
        "overdue_invoice_schedule_type",
        SCHEDULER_DEFAULTS["overdue_invoice_schedule_type"],
    )
    raw = cleaned.get(field, SCHEDULER_DEFAULTS[field])
    try:
        cleaned[field] = parse_schedule_value(raw, schedule_type)
    except ValueError as exc:
        warnings.append(_fallback_message(field, exc))
        cleaned.pop(field, None)
        cleaned.pop("overdue_invoice_schedule_type", None)


def _fallback_message(field: str, exc: ValueError) -> str:
    default = SCHEDULER_DEFAULTS[field]
    if field == "overdue_invoice_schedule_value":
        default = f"cron {default}"
    elif isinstance(default, tuple):
        default = ",".join(str(item) for item in default)
    return f"{env_name(field)}: {exc}; using the default {default!s}"


def report_config_warnings(settings: Settings) -> None:
    """Log each replaced value as an error, once, where logging is configured."""
    for warning in settings.config_warnings:
        logger.error(
            "invalid configuration value replaced by its default: %s",
            warning,
            extra={"event": "config_invalid_value"},
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
