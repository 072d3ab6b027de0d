from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Id, UtcDateTime, utcnow

PAYMENT_OVERDUE = "payment_overdue"


class Notification(Base):
    """One message to a business. The unique key makes each reminder stage once-only."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("invoice_id", "kind", "stage"),
        Index("ix_notifications_business_id_is_read", "business_id", "is_read"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE")
    )
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(50), default=PAYMENT_OVERDUE)
    stage: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    is_read: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    resource_type: Mapped[str] = mapped_column(String(50), default="invoice")
    resource_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
