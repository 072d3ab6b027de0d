"""`GET /metrics`: Prometheus text format, unauthenticated like the health checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.clock import ClockDep
from app.api.deps import SettingsDep
from app.api.state import SessionFactoryDep
from app.observability.metrics import SnapshotCollector, take_snapshot
from app.observability.middleware import HttpMetrics

router = APIRouter(tags=["metrics"])

METRICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {CONTENT_TYPE_LATEST: {}}}
}


@router.get("/metrics", response_class=Response, responses=METRICS_RESPONSE)
def metrics(
    request: Request, settings: SettingsDep, factory: SessionFactoryDep, clock: ClockDep
) -> Response:
    """Runs, durations, notifications, errors and overdue invoices (read from the
    database, so every replica reports the same), and this process's HTTP requests."""
    http: HttpMetrics = request.app.state.http_metrics
    snapshot = take_snapshot(factory, settings, clock())
    body = generate_latest(SnapshotCollector(snapshot)) + generate_latest(http.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
