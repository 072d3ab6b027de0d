"""add invoices.reminded_stage and an index of paused customers

Revision ID: d3a9c6b2e8f1
Revises: b8e2f4a61c07
Create Date: 2026-12-04 07:20:00

invoices.reminded_stage is the highest reminder stage the invoice has been
notified at (0: none). The overdue run writes it in the statement that
inserts the notification and reads it from the row it has already fetched,
so an invoice reminded at its stage is passed over without probing
notifications. The unique key on notifications stays the guarantee of one
notification per stage. No index reads the column, so writing it keeps the
run's updates HOT. Existing notifications are carried over: each invoice
gets the highest stage it was notified at.

ix_customers_paused holds the ids of paused customers only: the run reads
them once per batch to skip their invoices, instead of looking up the
customer of every invoice it walks.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d3a9c6b2e8f1"
down_revision: str | None = "b8e2f4a61c07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HIGHEST_NOTIFIED = (
    "SELECT max(n.stage) FROM notifications AS n "
    "WHERE n.invoice_id = invoices.id AND n.kind = 'payment_overdue'"
)


def upgrade() -> None:
    op.add_column(
        "invoices",
        sa.Column("reminded_stage", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(
        f"UPDATE invoices SET reminded_stage = ({HIGHEST_NOTIFIED}) "
        "WHERE id IN (SELECT invoice_id FROM notifications "
        "WHERE kind = 'payment_overdue')"
    )
    op.create_index(
        "ix_customers_paused",
        "customers",
        ["id"],
        postgresql_where=sa.text("reminders_paused"),
        sqlite_where=sa.text("reminders_paused = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_customers_paused", table_name="customers")
    op.drop_column("invoices", "reminded_stage")
