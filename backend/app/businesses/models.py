from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Id, UtcDateTime, utcnow


class Business(Base):
    """A business owns customers and invoices; its time zone decides its "today"."""

    __tablename__ = "businesses"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    # NULL means "use OVERDUE_INVOICE_TIMEZONE".
    timezone: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
