"""`check-config`: show the configuration in force and refuse a bad one."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from app.cli.common import console, err_console, load_settings
from app.schedule.config import schedule_from_settings
from app.schedule.slots import describe_schedule, next_slots
from app.settings import Settings

SECRET_FIELDS = frozenset({"api_tokens", "database_url"})


def check_config() -> None:
    """Print the effective configuration; exit 1 if any value was invalid."""
    settings = load_settings(report=False)
    console.print(_settings_table(settings))
    _print_next_slots(settings)
    for warning in settings.config_warnings:
        err_console.print(f"[red]invalid:[/] {warning}")
    if settings.config_warnings:
        raise typer.Exit(1)
    console.print("[green]configuration is valid[/]")


def _settings_table(settings: Settings) -> Table:
    table = Table("variable", "value", title="Effective configuration")
    for field, value in settings.model_dump().items():
        table.add_row(field.upper(), _shown(field, value))
    return table


def _shown(field: str, value: object) -> str:
    if field == "api_tokens":
        return f"{len(value)} token(s)" if isinstance(value, tuple) else "?"
    if field == "database_url":
        return _hide_password(str(value))
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _print_next_slots(settings: Settings) -> None:
    schedule = schedule_from_settings(settings)
    console.print(f"Schedule in force: {describe_schedule(schedule)}")
    console.print("Next five runs:")
    for slot in next_slots(schedule, datetime.now(UTC), 5):
        local = slot.astimezone(schedule.timezone)
        console.print(f"  {local.isoformat()}  ({slot.isoformat()})")


def register(cli: typer.Typer) -> None:
    cli.command("check-config")(check_config)
