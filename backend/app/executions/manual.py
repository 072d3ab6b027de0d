"""Runs started by hand over HTTP: a real run in the background, a dry run at once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.errors import Conflict
from app.executions.models import OVERDUE_JOB_NAME, RunTrigger
from app.executions.repository import open_run, running_run
from app.overdue.run import (
    RunAlreadyClaimed,
    RunOptions,
    RunReport,
    close_unfinished_runs,
    execute_run,
    run_overdue_invoices,
)

logger = logging.getLogger(__name__)


class RunInProgress(Conflict):
    code = "run_in_progress"


class BackgroundRuns:
    """One worker thread for manual runs; the app waits for it when it stops."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="manual-run")
        self._futures: list[Future[RunReport]] = []

    def start(
        self,
        factory: sessionmaker[Session],
        run_id: uuid.UUID,
        options: RunOptions,
        *,
        started_at: datetime,
        clock: Clock,
    ) -> None:
        future = self._executor.submit(
            execute_run, factory, run_id, options, started_at=started_at, clock=clock
        )
        self._futures = [f for f in self._futures if not f.done()] + [future]

    def join(self, timeout_s: float | None = None) -> None:
        """Wait until every run started so far has finished."""
        wait(list(self._futures), timeout=timeout_s)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


@contextmanager
def background_runs_part(app: FastAPI) -> Iterator[None]:
    """A lifespan part: manual runs started over HTTP finish before the app stops."""
    runs = BackgroundRuns()
    app.state.background_runs = runs
    try:
        yield
    finally:
        runs.shutdown()


def start_run(
    factory: sessionmaker[Session],
    options: RunOptions,
    clock: Clock,
    runs: BackgroundRuns,
) -> uuid.UUID:
    """Open the run's log row now and do its work in the background."""
    now = clock()
    close_unfinished_runs(factory, options, now)
    refuse_if_running(factory, options, now)
    run_id = open_run(
        factory, job_name=OVERDUE_JOB_NAME, now=now, trigger=RunTrigger.MANUAL
    )
    if run_id is None:
        raise RunAlreadyClaimed("a run without a slot cannot collide")
    runs.start(factory, run_id, options, started_at=now, clock=clock)
    logger.info(
        "manual run started",
        extra={"event": "manual_run_started", "run_id": str(run_id)},
    )
    return run_id


def dry_run(
    factory: sessionmaker[Session], options: RunOptions, clock: Clock
) -> RunReport:
    """Run at once without writing a notification; the report lists the plan."""
    refuse_if_running(factory, options, clock())
    return run_overdue_invoices(
        factory, options, clock=clock, trigger=RunTrigger.MANUAL
    )


def refuse_if_running(
    factory: sessionmaker[Session], options: RunOptions, now: datetime
) -> None:
    """409 while a run with a live heartbeat exists.

    Two requests may both pass this check and both run: that is harmless,
    because notifications are unique per invoice and stage in the database.
    """
    with factory() as session:
        running = running_run(
            session,
            job_name=OVERDUE_JOB_NAME,
            now=now,
            stale_after=options.stale_after,
        )
    if running is not None:
        raise RunInProgress(
            f"run {running.id} is in progress since {running.start_time.isoformat()}",
            field="run_id",
            value=str(running.id),
        )
