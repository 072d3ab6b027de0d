"""add job_execution_logs table

Revision ID: 298dd1eda420
Revises: 1f4c2b7a9e30
Create Date: 2026-12-03 16:05:00

The columns here are the ones the deployment checklist verifies; later
revisions may add columns but never rename or drop these.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "298dd1eda420"
down_revision: str | None = "1f4c2b7a9e30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_execution_logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_name", sa.String(100), nullable=False),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("end_time", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("invoices_processed", sa.Integer(), nullable=False),
        sa.Column("notifications_created", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_job_execution_logs"),
    )
    op.create_index(
        "ix_job_execution_logs_job_name", "job_execution_logs", ["job_name"]
    )


def downgrade() -> None:
    op.drop_index("ix_job_execution_logs_job_name", table_name="job_execution_logs")
    op.drop_table("job_execution_logs")
