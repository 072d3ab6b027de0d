"""Runs the scheduler inside the web process when SCHEDULER_ENABLED is true."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from app.schedule.service import SchedulerService


@contextmanager
def scheduler_part(app: FastAPI) -> Iterator[None]:
    """Start the scheduler with the app and stop it (letting a run finish) after."""
    settings = app.state.settings
    if not settings.scheduler_enabled:
        app.state.scheduler = None
        yield
        return
    service = SchedulerService(
        settings, app.state.session_factory, clock=app.state.clock
    )
    service.start()
    app.state.scheduler = service
    try:
        yield
    finally:
        service.shutdown()
