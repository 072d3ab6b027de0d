"""add slot, trigger, attempt, heartbeat and dry-run columns to job_execution_logs

Revision ID: 7c3d9a1e5b42
Revises: 298dd1eda420
Create Date: 2026-12-03 16:10:00

The unique (job_name, slot, attempt) key is how a process claims a scheduled
slot: whoever inserts the row first runs the slot, every other insert fails.
A slot whose process died is claimed again as the next attempt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3d9a1e5b42"
down_revision: str | None = "298dd1eda420"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_execution_logs") as batch:
        batch.add_column(sa.Column("slot", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "trigger", sa.String(20), server_default="schedule", nullable=False
            )
        )
        batch.add_column(
            sa.Column("attempt", sa.Integer(), server_default="1", nullable=False)
        )
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("dry_run", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.create_unique_constraint(
            "uq_job_execution_logs_job_name_slot_attempt",
            ["job_name", "slot", "attempt"],
        )
        batch.create_index("ix_job_execution_logs_status", ["status"])


def downgrade() -> None:
    with op.batch_alter_table("job_execution_logs") as batch:
        batch.drop_index("ix_job_execution_logs_status")
        batch.drop_constraint(
            "uq_job_execution_logs_job_name_slot_attempt", type_="unique"
        )
        batch.drop_column("dry_run")
        batch.drop_column("heartbeat_at")
        batch.drop_column("attempt")
        batch.drop_column("trigger")
        batch.drop_column("slot")
