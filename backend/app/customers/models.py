from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Id, UtcDateTime, utcnow


class Customer(Base):
    __tablename__ = "customers"
    # The overdue run reads the paused customers once per batch (see
    # overdue.rule.walked_slice): this index holds them and no other.
    __table_args__ = (
        Index(
            "ix_customers_paused",
            "id",
            postgresql_where=text("reminders_paused"),
            sqlite_where=text("reminders_paused = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    reminders_paused: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
