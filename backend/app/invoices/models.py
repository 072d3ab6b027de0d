from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BindParameter,
    CheckConstraint,
    ColumnElement,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    and_,
    bindparam,
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

# The overdue query reads only open, undeleted invoices by due date; this
# partial index holds exactly those rows, so its size follows the open backlog.
OPEN_INVOICE_PREDICATE = text(
    "deleted_at IS NULL AND status NOT IN ('draft', 'paid', 'cancelled')"
)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("business_id", "invoice_number"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("amount_paid >= 0", name="amount_paid_not_negative"),
        CheckConstraint("amount_paid <= total", name="amount_paid_within_total"),
        Index(
            "ix_invoices_open_due",
            "due_date",
            "id",
            postgresql_where=OPEN_INVOICE_PREDICATE,
            sqlite_where=OPEN_INVOICE_PREDICATE,
        ),
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

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.amount_paid


# The closed statuses as literals in the SQL text, not parameters: SQLite
# uses a partial index only when the query repeats the index's condition,
# and it cannot see through a bound parameter.
_CLOSED_AS_WRITTEN: BindParameter[list[str]] = bindparam(
    "closed_statuses",
    [str(status) for status in CLOSED_STATUSES],
    expanding=True,
    literal_execute=True,
)


def open_invoice_condition() -> ColumnElement[bool]:
    """Not deleted, not draft/paid/cancelled: the rows of ix_invoices_open_due."""
    return and_(Invoice.deleted_at.is_(None), Invoice.status.not_in(_CLOSED_AS_WRITTEN))
