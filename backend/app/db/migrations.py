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


class MigrationsNotFound(AppError):
    """The Alembic scripts are neither beside the package nor in the working folder."""

    status_code = 500
    code = "migrations_not_found"


def find_alembic_ini() -> Path:
    """Beside the package (a checkout, the image), else in the working folder."""
    candidates = (BACKEND_DIR / "alembic.ini", Path.cwd() / "alembic.ini")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise MigrationsNotFound(f"alembic.ini not found (looked at {looked})")


def alembic_config(database_url: str) -> Config:
    config = Config(str(find_alembic_ini()))
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
