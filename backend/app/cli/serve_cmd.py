"""`serve`: the HTTP API (and, when enabled, the scheduler) under uvicorn."""

from __future__ import annotations

import typer
import uvicorn

from app.cli.common import console, load_settings
from app.db.migrations import upgrade_to_head


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the API; the default SQLite database is migrated first."""
    # The app reports invalid values itself when uvicorn imports it.
    settings = load_settings(report=False)
    if settings.is_default_database:
        upgrade_to_head(settings.database_url)
        console.print("SQLite database migrated")
    uvicorn.run("app.api.main:app", host=host, port=port, log_config=None)


def register(cli: typer.Typer) -> None:
    cli.command("serve")(serve)
