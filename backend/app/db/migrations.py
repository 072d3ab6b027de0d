"""Alembic, driven from code: the CLI, `serve` and readiness use these."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app.errors import AppError

BACKEND_DIR = Path(__file__).resolve().parents[2]
ALEMBIC_INI = BACKEND_DIR / "alembic.ini"


class MigrationsNotFound(AppError):
    """The Alembic scripts are not beside the package."""

    status_code = 500
    code = "migrations_not_found"


def alembic_config(database_url: str) -> Config:
    if not ALEMBIC_INI.is_file():
        raise MigrationsNotFound(f"alembic.ini not found at {ALEMBIC_INI}")
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def downgrade_to_base(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "base")


def head_revision(database_url: str) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(database_url))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
