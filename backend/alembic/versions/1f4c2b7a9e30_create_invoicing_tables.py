"""create businesses, customers, invoices and notifications

Revision ID: 1f4c2b7a9e30
Revises:
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1f4c2b7a9e30"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(12, 2)
OPEN_INVOICES = sa.text(
    "deleted_at IS NULL AND status NOT IN ('draft', 'paid', 'cancelled')"
)
STATUSES = ("draft", "sent", "viewed", "partial", "overdue", "paid", "cancelled")


def upgrade() -> None:
    op.create_table(
        "businesses",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_businesses"),
    )
    op.create_table(
        "customers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column(
            "reminders_paused", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name="fk_customers_business_id_businesses",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
    )
    op.create_index("ix_customers_business_id", "customers", ["business_id"])
    create_invoices()
    create_notifications()


def create_invoices() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("invoice_number", sa.String(64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="invoice_status", native_enum=False, length=20,
                    create_constraint=True),
            nullable=False,
        ),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("amount_paid", MONEY, server_default="0", nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        sa.CheckConstraint(
            "amount_paid >= 0", name="amount_paid_not_negative"
        ),
        sa.CheckConstraint(
            "amount_paid <= total", name="amount_paid_within_total"
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name="fk_invoices_business_id_businesses",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_invoices_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint(
            "business_id", "invoice_number", name="uq_invoices_business_id_invoice_number"
        ),
    )
    op.create_index("ix_invoices_business_id", "invoices", ["business_id"])
    op.create_index("ix_invoices_customer_id", "invoices", ["customer_id"])
    op.create_index(
        "ix_invoices_open_due",
        "invoices",
        ["due_date", "id"],
        postgresql_where=OPEN_INVOICES,
        sqlite_where=OPEN_INVOICES,
    )


def create_notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("is_read", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("resource_type", sa.String(50), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name="fk_notifications_business_id_businesses",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name="fk_notifications_invoice_id_invoices",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint(
            "invoice_id", "kind", "stage", name="uq_notifications_invoice_id_kind_stage"
        ),
    )
    op.create_index(
        "ix_notifications_business_id_is_read",
        "notifications",
        ["business_id", "is_read"],
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("invoices")
    op.drop_table("customers")
    op.drop_table("businesses")
