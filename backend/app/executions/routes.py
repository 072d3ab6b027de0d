"""`/api/v1/scheduler`: status, run history, and runs started by hand."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from app.api.clock import ClockDep
from app.api.deps import SessionDep, SettingsDep
from app.api.pagination import PageDep
from app.api.state import BackgroundRunsDep, SchedulerDep, SessionFactoryDep
from app.errors import InvalidInput
from app.executions import manual, queries
from app.executions.models import RunStatus
from app.executions.queries import ExecutionFilters
from app.executions.schemas import (
    DryRunResult,
    ErrorOut,
    ExecutionDetail,
    ExecutionPage,
    ExecutionSummary,
    RunAccepted,
    RunRequest,
    SchedulerStatus,
)
from app.executions.status import build_status
from app.overdue.run import RunOptions

router = APIRouter(prefix="/api/v1/scheduler", tags=["scheduler"])


@router.get("/status")
def scheduler_status(
    session: SessionDep,
    settings: SettingsDep,
    scheduler: SchedulerDep,
    clock: ClockDep,
) -> SchedulerStatus:
    """The schedule in force, its warnings, the next run and the last ones."""
    return build_status(session, settings, scheduler, clock())


def execution_filters(
    status: RunStatus | None = None,
    start_date: Annotated[
        date | None, Query(description="runs started on or after this UTC day")
    ] = None,
    end_date: Annotated[
        date | None, Query(description="runs started on or before this UTC day")
    ] = None,
) -> ExecutionFilters:
    if start_date is not None and end_date is not None and end_date < start_date:
        raise InvalidInput(
            f"end_date is before start_date {start_date}",
            field="end_date",
            value=str(end_date),
        )
    return ExecutionFilters(status=status, start_date=start_date, end_date=end_date)


FiltersDep = Annotated[ExecutionFilters, Depends(execution_filters)]


@router.get("/executions")
def list_executions(
    session: SessionDep, params: PageDep, filters: FiltersDep
) -> ExecutionPage:
    """Runs, newest first."""
    total, rows = queries.list_executions(session, filters, params)
    return ExecutionPage(
        total=total,
        page=params.page,
        per_page=params.per_page,
        total_pages=-(-total // params.per_page),
        executions=[ExecutionSummary.from_row(row) for row in rows],
    )


@router.get(
    "/executions/{execution_id}",
    responses={404: {"model": ErrorOut, "description": "No run has this id."}},
)
def get_execution(execution_id: uuid.UUID, session: SessionDep) -> ExecutionDetail:
    """One run, with the details of its errors."""
    return ExecutionDetail.from_row(queries.get_execution(session, execution_id))


@router.post(
    "/run",
    status_code=202,
    response_model=RunAccepted | DryRunResult,
    responses={
        202: {"model": RunAccepted, "description": "The run started."},
        200: {"model": DryRunResult, "description": "The dry run finished."},
        409: {"model": ErrorOut, "description": "Another run is in progress."},
    },
)
def start_run(
    response: Response,
    settings: SettingsDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    runs: BackgroundRunsDep,
    body: Annotated[RunRequest | None, Body()] = None,
) -> RunAccepted | DryRunResult:
    """Run the overdue check now, outside the schedule.

    A real run answers 202 at once and goes on in the background: follow it at
    `execution_url`. A dry run answers 200 when done, with what would be notified.
    """
    dry = body is not None and body.dry_run
    options = RunOptions.from_settings(settings, dry_run=dry)
    if dry:
        response.status_code = 200
        return DryRunResult.from_report(manual.dry_run(factory, options, clock))
    run_id = manual.start_run(factory, options, clock, runs)
    url = f"{router.prefix}/executions/{run_id}"
    response.headers["Location"] = url
    return RunAccepted(
        id=run_id, status=RunStatus.RUNNING, dry_run=False, execution_url=url
    )
