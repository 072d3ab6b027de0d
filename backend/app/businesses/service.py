"""Businesses: create, read, list, update."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, fetch_page
from app.businesses.models import Business
from app.businesses.schemas import BusinessCreate, BusinessUpdate
from app.db.lookup import get_or_not_found
from app.errors import Conflict
from app.invoices.models import Invoice

logger = logging.getLogger(__name__)


def create_business(session: Session, data: BusinessCreate) -> Business:
    business = Business(**data.model_dump())
    session.add(business)
    session.flush()
    logger.info(
        "business created",
        extra={"event": "business_created", "business_id": business.id},
    )
    return business


def get_business(session: Session, business_id: int) -> Business:
    """The business, or NotFound naming `business_id`."""
    return get_or_not_found(session, Business, business_id, "business")


def list_businesses(
    session: Session, params: PageParams
) -> tuple[int, Sequence[Business]]:
    return fetch_page(session, select(Business).order_by(Business.id), params)


def update_business(
    session: Session, business: Business, data: BusinessUpdate
) -> Business:
    """Apply the fields sent; a currency change would orphan invoices, so it waits."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("currency", business.currency) != business.currency:
        _refuse_currency_change_with_invoices(session, business)
    for field, value in changes.items():
        setattr(business, field, value)
    session.flush()
    return business


def _refuse_currency_change_with_invoices(session: Session, business: Business) -> None:
    has_invoices = session.scalar(
        select(exists().where(Invoice.business_id == business.id))
    )
    if has_invoices:
        raise Conflict(
            f"business {business.id} has invoices in {business.currency}; "
            "its currency cannot change",
            field="currency",
            value=business.currency,
        )
