"""Health checks: unauthenticated and cheap."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/health", tags=["health"])


@router.get("/liveness")
def liveness() -> dict[str, str]:
    """The process is up and serving requests; checks nothing else."""
    return {"status": "alive"}
