"""`/api/v1/notifications`: list, read, and mark read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SessionDep
from app.api.pagination import Page, PageDep, page_of
from app.api.params import IdPath, IdQuery
from app.notifications import service
from app.notifications.schemas import MarkedRead, NotificationOut
from app.notifications.service import NotificationFilters

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

IsReadQuery = Annotated[
    bool | None, Query(description="false: unread only; true: read only")
]


@router.get("")
def list_notifications(
    session: SessionDep,
    params: PageDep,
    business_id: IdQuery = None,
    invoice_id: IdQuery = None,
    is_read: IsReadQuery = None,
) -> Page[NotificationOut]:
    """Newest first."""
    filters = NotificationFilters(business_id, invoice_id, is_read)
    total, rows = service.list_notifications(session, filters, params)
    items = [NotificationOut.model_validate(row) for row in rows]
    return page_of(items, total, params)


@router.post("/read-all")
def mark_all_read(
    session: SessionDep, business_id: IdQuery = None, invoice_id: IdQuery = None
) -> MarkedRead:
    """Mark every unread notification read, or only a business's or an invoice's."""
    filters = NotificationFilters(business_id, invoice_id)
    marked = service.mark_all_read(session, filters)
    session.commit()
    return MarkedRead(marked_read=marked)


@router.get("/{notification_id}")
def get_notification(notification_id: IdPath, session: SessionDep) -> NotificationOut:
    notification = service.get_notification(session, notification_id)
    return NotificationOut.model_validate(notification)


@router.post("/{notification_id}/read")
def mark_read(notification_id: IdPath, session: SessionDep) -> NotificationOut:
    """Marking a read notification read again changes nothing."""
    notification = service.get_notification(session, notification_id)
    service.mark_read(session, notification)
    session.commit()
    return NotificationOut.model_validate(notification)
