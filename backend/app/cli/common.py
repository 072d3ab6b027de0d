"""What every command needs: settings loaded once, logging configured, a console."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console

from app.logs import configure_logging
from app.settings import Settings, report_config_warnings

console = Console()
err_console = Console(stderr=True)


def load_settings(*, report: bool = True) -> Settings:
    """Settings for a command; a value that cannot be used ends it with exit 2."""
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]).upper()
            err_console.print(f"[red]invalid {field}[/]: {error['msg']}")
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    if report:
        report_config_warnings(settings)
    return settings
