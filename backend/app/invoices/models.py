from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Computed,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Id, Money, UtcDateTime, utcnow


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    VIEWED = "viewed"
    PARTIAL = "partial"
    OVERDUE = "overdue"
    PAID = "paid"
    CANCELLED = "cancelled"


CLOSED_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.PAID, InvoiceStatus.CANCELLED)

# An invoice is open while it is not deleted, not draft/paid/cancelled, and
# something is left to pay. A generated column, so that the partial index of
# open invoices reads it and not `status`: moving an invoice from sent to
# overdue leaves it open and changes no indexed column, and PostgreSQL can
# then update the row in place (HOT) without touching any index.
IS_OPEN = (
    "deleted_at IS NULL AND status NOT IN ('draft', 'paid', 'cancelled') "
    "AND total > amount_paid"
)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("business_id", "invoice_number"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("amount_paid >= 0", name="amount_paid_not_negative"),
        CheckConstraint("amount_paid <= total", name="amount_paid_within_total"),
        # The overdue walk reads open invoices by due date; the index holds
        # exactly those, so its size follows the open backlog. Each dialect's
        # predicate is the term it writes for `WHERE invoices.is_open`, which
        # SQLite needs to see repeated in a query before it uses the index.
        Index(
            "ix_invoices_open_due",
            "due_date",
            "id",
            postgresql_where=text("is_open"),
            sqlite_where=text("is_open = 1"),
        ),
        # Room on each page for the new version of a row whose status moves.
        {"postgresql_with": {"fillfactor": 90}},
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    invoice_number: Mapped[str] = mapped_column(String(64))
    status: Mapped[InvoiceStatus] = mapped_column(
        Enum(
            InvoiceStatus,
            native_enum=False,
            length=20,
            create_constraint=True,
            name="invoice_status",
            values_callable=lambda statuses: [s.value for s in statuses],
        ),
        default=InvoiceStatus.DRAFT,
    )
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(
        Money, default=Decimal("0.00"), server_default="0"
    )
    currency: Mapped[str] = mapped_column(String(3))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    is_open: Mapped[bool] = mapped_column(Boolean, Computed(IS_OPEN, persisted=True))
    # The highest reminder stage notified (0: none), written by the overdue
    # run with the notification; unindexed, so writing it is a HOT update.
    reminded_stage: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.amount_paid


def open_invoice_condition() -> ColumnElement[bool]:
    """Open (see IS_OPEN): the rows of ix_invoices_open_due."""
    return Invoice.is_open.expression
