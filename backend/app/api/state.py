"""What the app keeps in `app.state`, offered to handlers as dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from app.api.schedule_view import SchedulerLike
from app.executions.manual import BackgroundRuns


def get_scheduler(request: Request) -> SchedulerLike | None:
    """The scheduler run by this process; None if disabled or run by a worker."""
    scheduler: SchedulerLike | None = getattr(request.app.state, "scheduler", None)
    return scheduler


def get_session_factory(request: Request) -> sessionmaker[Session]:
    """For work that opens its own short sessions (runs, health checks)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_background_runs(request: Request) -> BackgroundRuns:
    runs: BackgroundRuns = request.app.state.background_runs
    return runs


SchedulerDep = Annotated[SchedulerLike | None, Depends(get_scheduler)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
BackgroundRunsDep = Annotated[BackgroundRuns, Depends(get_background_runs)]
