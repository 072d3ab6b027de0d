"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, ExitStack, asynccontextmanager

from fastapi import APIRouter, FastAPI

from app.api import health
from app.api.auth import Authenticated, check_token_settings
from app.api.errors import install_error_handlers
from app.businesses.routes import router as businesses_router
from app.clock import system_clock
from app.customers.routes import router as customers_router
from app.db.engine import make_engine, make_session_factory
from app.executions.manual import background_runs_part
from app.executions.routes import router as scheduler_router
from app.invoices.routes import router as invoices_router
from app.notifications.routes import router as notifications_router
from app.observability.middleware import HttpMetrics, HttpMetricsMiddleware
from app.observability.routes import router as metrics_router
from app.reports.routes import router as reports_router
from app.settings import Settings, get_settings

# Things started with the app and stopped with it (the scheduler is one).
LifespanPart = Callable[[FastAPI], AbstractContextManager[None]]


def create_app(
    settings: Settings | None = None, *, parts: tuple[LifespanPart, ...] = ()
) -> FastAPI:
    settings = settings or get_settings()
    check_token_settings(settings)
    app = FastAPI(
        title="Overdue Invoice Scheduler",
        version="0.1.0",
        description="Finds overdue invoices, notifies once per reminder stage, "
        "and records every run.",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.lifespan_parts = (background_runs_part, *parts)
    app.state.api_tokens = settings.api_tokens
    app.state.clock = system_clock
    app.state.scheduler = None
    app.state.http_metrics = HttpMetrics()
    app.add_middleware(HttpMetricsMiddleware, metrics=app.state.http_metrics)
    install_error_handlers(app)
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    """Health and metrics are open; every other router requires a bearer token."""
    app.include_router(health.router)
    app.include_router(metrics_router)
    for router in PROTECTED_ROUTERS:
        app.include_router(router, dependencies=Authenticated)


PROTECTED_ROUTERS: list[APIRouter] = [
    businesses_router,
    customers_router,
    invoices_router,
    notifications_router,
    reports_router,
    scheduler_router,
]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = make_engine(app.state.settings.database_url)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    with ExitStack() as stack:
        for part in app.state.lifespan_parts:
            stack.enter_context(part(app))
        try:
            yield
        finally:
            stack.close()
            engine.dispose()
