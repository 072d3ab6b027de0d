from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UtcDateTime

OVERDUE_JOB_NAME = "overdue_invoices"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class RunTrigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    CLI = "cli"


class JobExecutionLog(Base):
    """One run of a job. For scheduled runs the row is also the claim on its slot."""

    __tablename__ = "job_execution_logs"
    # The slot claim: a second insert of the same (job_name, slot, attempt)
    # fails, so one process runs each slot. A slot whose process died is taken
    # again under attempt + 1; NULL slots (manual runs) never collide.
    __table_args__ = (UniqueConstraint("job_name", "slot", "attempt"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    job_name: Mapped[str] = mapped_column(String(100), index=True)
    start_time: Mapped[datetime] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)
    invoices_processed: Mapped[int] = mapped_column(Integer, default=0)
    notifications_created: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    error_details: Mapped[str | None] = mapped_column(Text)
    slot: Mapped[datetime | None] = mapped_column(UtcDateTime)
    trigger: Mapped[str] = mapped_column(
        String(20), default=RunTrigger.SCHEDULE, server_default=RunTrigger.SCHEDULE
    )
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dry_run: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
