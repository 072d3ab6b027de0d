"""add invoices.reminded_stage, the highest reminder stage notified

Revision ID: c5d1e7f9a2b4
Revises: b8e2f4a61c07
Create Date: 2026-12-04 05:20:00

The overdue run writes it in the statement that inserts the notification,
and reads it from the invoice row it has already fetched: an invoice
reminded at its stage is then passed over without probing notifications,
so a run with nothing new costs far less than the backlog's probes. The
unique key on notifications stays the guarantee of one per stage. No index
reads the column, so writing it keeps the run's updates HOT.

Existing notifications are carried over: each invoice gets the highest
stage it was notified at.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5d1e7f9a2b4"
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


def downgrade() -> None:
    op.drop_column("invoices", "reminded_stage")
