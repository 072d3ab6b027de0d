"""Health checks: unauthenticated and cheap."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

from app.api.clock import ClockDep
from app.api.deps import SettingsDep
from app.api.readiness import Check, check_database, check_scheduler, check_schema
from app.api.state import SchedulerDep, SessionFactoryDep

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/health", tags=["health"])


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    failing: list[str]
    checks: list[CheckOut]


@router.get("/liveness")
def liveness() -> dict[str, str]:
    """The process is up and serving requests; checks nothing else."""
    return {"status": "alive"}


@router.get(
    "/readiness",
    responses={503: {"model": Readiness, "description": "A check failed."}},
)
def readiness(
    request: Request,
    response: Response,
    settings: SettingsDep,
    factory: SessionFactoryDep,
    scheduler: SchedulerDep,
    clock: ClockDep,
) -> Readiness:
    """200 when the database answers, its schema is at the latest migration and,
    where this process runs the scheduler, it runs and is not a period late."""
    engine = request.app.state.engine
    database = check_database(engine)
    checks = [database]
    if database.ok:
        checks.append(check_schema(engine, settings.database_url))
    history = factory if database.ok else None
    checks.append(check_scheduler(scheduler, history, clock()))
    failing = [check.name for check in checks if not check.ok]
    if failing:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        _log_not_ready(checks)
    return Readiness(
        status="not_ready" if failing else "ready",
        failing=failing,
        checks=[CheckOut(name=c.name, ok=c.ok, detail=c.detail) for c in checks],
    )


def _log_not_ready(checks: list[Check]) -> None:
    for check in checks:
        if not check.ok:
            logger.warning(
                "not ready: %s %s",
                check.name,
                check.detail,
                extra={"event": "readiness_failed", "check": check.name},
            )
