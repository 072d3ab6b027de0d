"""Notifications: list, read, mark read. The overdue run is what creates them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, false, select, update
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, fetch_page
from app.db.lookup import get_or_not_found
from app.notifications.models import Notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationFilters:
    business_id: int | None = None
    invoice_id: int | None = None
    is_read: bool | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.business_id is not None:
            conditions.append(Notification.business_id == self.business_id)
        if self.invoice_id is not None:
            conditions.append(Notification.invoice_id == self.invoice_id)
        if self.is_read is not None:
            conditions.append(Notification.is_read == self.is_read)
        return conditions


def list_notifications(
    session: Session, filters: NotificationFilters, params: PageParams
) -> tuple[int, Sequence[Notification]]:
    """Newest first."""
    statement = (
        select(Notification)
        .where(*filters.conditions())
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return fetch_page(session, statement, params)


def get_notification(session: Session, notification_id: int) -> Notification:
    return get_or_not_found(session, Notification, notification_id, "notification")


def mark_read(session: Session, notification: Notification) -> Notification:
    notification.is_read = True
    session.flush()
    return notification


def mark_all_read(session: Session, filters: NotificationFilters) -> int:
    """Mark every unread notification matching `filters`; returns how many changed."""
    statement = (
        update(Notification)
        .where(*filters.conditions(), Notification.is_read == false())
        .values(is_read=True)
    )
    result = cast(CursorResult[Any], session.execute(statement))
    marked = result.rowcount
    logger.info(
        "%s notifications marked read",
        marked,
        extra={"event": "notifications_marked_read"},
    )
    return marked
