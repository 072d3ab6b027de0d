"""Fetching one row by id, or a NotFound that names the id."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from app.errors import NotFound

Row = TypeVar("Row")


def get_or_not_found(session: Session, model: type[Row], row_id: int, noun: str) -> Row:
    """The row with `row_id`, or NotFound naming the `<noun>_id` field and value."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"no {noun} with id {row_id}", field=f"{noun}_id", value=row_id)
    return row
