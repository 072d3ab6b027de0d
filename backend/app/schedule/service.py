"""The scheduler: APScheduler as the timer, slots for when, the log row as the claim."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock, system_clock
from app.overdue.run import RunOptions, RunReport, close_unfinished_runs, execute_run
from app.schedule.claims import (
    claim_slot,
    last_claimed_slot,
    take_over_dead_attempt,
)
from app.schedule.config import schedule_from_settings
from app.schedule.slots import (
    Schedule,
    describe_schedule,
    next_slot,
    previous_slot,
)
from app.settings import Settings

logger = logging.getLogger(__name__)

JOB_ID = "overdue-invoices"


class SlotTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at our slots, so APScheduler and every replica agree on the times."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime:
        return next_slot(self.schedule, previous_fire_time or now)

    def __str__(self) -> str:
        return describe_schedule(self.schedule)


class SchedulerService:
    """Runs each slot of the schedule once across all processes that run one."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        *,
        clock: Clock = system_clock,
    ) -> None:
        self.schedule = schedule_from_settings(settings)
        self._options = RunOptions.from_settings(settings)
        self._factory = factory
        self._clock = clock
        self._timer = BackgroundScheduler(timezone="UTC")
        self._lock = threading.Lock()
        self._catch_up_thread: threading.Thread | None = None

    @property
    def is_running(self) -> bool:
        return bool(self._timer.running)

    def next_run_time(self) -> datetime | None:
        job = self._timer.get_job(JOB_ID) if self.is_running else None
        return job.next_run_time if job is not None else None

    def start(self) -> None:
        """Start the timer; a slot missed while every process was down runs now."""
        self._timer.add_job(
            self.run_due_slot,
            SlotTrigger(self.schedule),
            id=JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        self._timer.add_job(
            self.recover,
            "interval",
            seconds=max(self._options.stale_after.total_seconds() / 2, 1),
            id=f"{JOB_ID}-recover",
            coalesce=True,
            max_instances=1,
        )
        self._timer.start()
        self._catch_up_thread = threading.Thread(
            target=self.catch_up, name="overdue-catch-up", daemon=True
        )
        self._catch_up_thread.start()
        logger.info(
            "scheduler started: %s",
            describe_schedule(self.schedule),
            extra={"event": "scheduler_started", **self._schedule_fields()},
        )

    def shutdown(self) -> None:
        """Stop the timer, letting a run in progress finish and close its row."""
        if self._catch_up_thread is not None:
            self._catch_up_thread.join()
        if self.is_running:
            self._timer.shutdown(wait=True)
            logger.info("scheduler stopped", extra={"event": "scheduler_stopped"})

    def catch_up(self) -> RunReport | None:
        """At start: run the latest slot if it was missed, or if its process died.

        Older missed slots coalesce into the latest one. Before any slot was
        ever claimed (a first deployment) nothing is owed and nothing runs.
        """
        latest = previous_slot(self.schedule, self._clock())
        claimed = last_claimed_slot(self._factory)
        if claimed is None:
            return None
        if claimed >= latest:
            report = self.recover()
            if report is None:
                _log_skipped(latest)
            return report
        logger.info(
            "catching up a missed slot",
            extra={"event": "slot_catch_up", "slot": latest.isoformat()},
        )
        return self.run_slot(latest)

    def run_due_slot(self) -> RunReport | None:
        """The timer's job: run the slot that has just come due."""
        return self.run_slot(previous_slot(self.schedule, self._clock()))

    def run_slot(self, slot: datetime) -> RunReport | None:
        """Claim `slot` and run it, or log that another process has it."""
        with self._lock:
            now = self._clock()
            run_id = claim_slot(
                self._factory, slot=slot, now=now, stale_after=self._options.stale_after
            )
            if run_id is None:
                _log_skipped(slot)
                return None
            return self._execute(run_id, slot, now)

    def recover(self) -> RunReport | None:
        """Run the latest slot again if the process running it stopped beating."""
        slot = previous_slot(self.schedule, self._clock())
        with self._lock:
            now = self._clock()
            run_id = take_over_dead_attempt(
                self._factory, slot=slot, now=now, stale_after=self._options.stale_after
            )
            return self._execute(run_id, slot, now) if run_id is not None else None

    def _execute(self, run_id: uuid.UUID, slot: datetime, now: datetime) -> RunReport:
        # Claim first, then close other dead runs: the other order would fail
        # this slot's dead attempt before it could be taken over.
        close_unfinished_runs(self._factory, self._options, now)
        logger.info(
            "slot claimed",
            extra={
                "event": "slot_claimed",
                "slot": slot.isoformat(),
                "run_id": str(run_id),
            },
        )
        return execute_run(
            self._factory, run_id, self._options, started_at=now, clock=self._clock
        )

    def _schedule_fields(self) -> dict[str, Any]:
        return {
            "schedule_type": self.schedule.kind,
            "schedule_value": str(self.schedule.value),
            "timezone": str(self.schedule.timezone),
        }


def _log_skipped(slot: datetime) -> None:
    logger.info(
        "slot claimed by another process; skipped",
        extra={"event": "slot_skipped", "slot": slot.isoformat()},
    )
