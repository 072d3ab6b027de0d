"""Database commands: `migrate` and `seed-demo`."""

from __future__ import annotations

import typer

from app.cli.common import console, load_settings
from app.db.engine import make_engine, make_session_factory, session_scope
from app.db.migrations import upgrade_to_head
from app.demo import seed_demo


def migrate() -> None:
    """Apply every database migration (`alembic upgrade head`)."""
    settings = load_settings()
    upgrade_to_head(settings.database_url)
    console.print("[green]database is at the latest schema[/]")


def seed_demo_command() -> None:
    """Add demo businesses, customers and invoices (skipped if already there)."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            created = seed_demo(session)
    finally:
        engine.dispose()
    if created:
        console.print(f"[green]demo data added[/]: {created} invoices")
    else:
        console.print("demo data already present; nothing added")


def register(cli: typer.Typer) -> None:
    cli.command("migrate")(migrate)
    cli.command("seed-demo")(seed_demo_command)
