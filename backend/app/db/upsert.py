"""INSERT … ON CONFLICT DO NOTHING for both dialects the service runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflicts(
    session: Session, model: type[Any], conflict_columns: list[str]
) -> Any:
    """An insert of `model` rows that skips rows colliding on `conflict_columns`."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing(index_elements=conflict_columns)
