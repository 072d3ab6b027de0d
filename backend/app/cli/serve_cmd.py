"""`serve`: the HTTP API (and, when enabled, the scheduler) under uvicorn."""

from __future__ import annotations

import os
import secrets

import typer
import uvicorn

from app.api.auth import TokenSettingsRefused, check_token_settings
from app.cli.common import console, err_console, load_settings
from app.db.migrations import upgrade_to_head
from app.settings import Environment, Settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes; each slot still runs once across them."
    ),
) -> None:
    """Serve the API; the default SQLite database is migrated first."""
    # The app reports invalid values itself when uvicorn imports it.
    settings = load_settings(report=False)
    _check_tokens(settings)
    if settings.is_default_database:
        upgrade_to_head(settings.database_url)
        console.print("SQLite database migrated")
    uvicorn.run(
        "app.api.main:app", host=host, port=port, workers=workers, log_config=None
    )


def _check_tokens(settings: Settings) -> None:
    """Refuse production without real tokens; in development, make one up."""
    try:
        check_token_settings(settings)
    except TokenSettingsRefused as exc:
        err_console.print(f"[red]refusing to start[/]: {exc}")
        raise typer.Exit(1) from None
    if not settings.api_tokens and settings.environment is Environment.DEVELOPMENT:
        token = secrets.token_urlsafe(32)
        # uvicorn imports app.api.main in this process: it reads this variable.
        os.environ["API_TOKENS"] = token
        console.print(
            "No API_TOKENS set; this run accepts a generated token, "
            f"shown once:\n  Authorization: Bearer {token}"
        )


def register(cli: typer.Typer) -> None:
    cli.command("serve")(serve)
