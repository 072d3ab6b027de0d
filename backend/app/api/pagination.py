"""Page and per_page query parameters and the `{total, page, ..., items}` envelope."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_PER_PAGE = 100
# Keeps OFFSET far inside BIGINT whatever per_page is.
MAX_PAGE = 10_000_000

Row = TypeVar("Row")
Item = TypeVar("Item")


@dataclass(frozen=True)
class PageParams:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
) -> PageParams:
    return PageParams(page=page, per_page=per_page)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[Item]):
    total: int
    page: int
    per_page: int
    total_pages: int
    items: list[Item]


def fetch_page(
    session: Session, statement: Select[Row], params: PageParams
) -> tuple[int, Sequence[Row]]:
    """The number of rows `statement` selects, and the rows of the requested page."""
    counted = statement.order_by(None).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    rows = session.scalars(statement.offset(params.offset).limit(params.per_page))
    return total, rows.all()


def page_of(items: Sequence[Item], total: int, params: PageParams) -> Page[Item]:
    return Page(
        total=total,
        page=params.page,
        per_page=params.per_page,
        total_pages=math.ceil(total / params.per_page),
        items=list(items),
    )
