"""`worker`: the scheduler alone, without the HTTP API."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from app.cli.common import console, load_settings
from app.db.engine import make_engine, make_session_factory
from app.schedule.service import SchedulerService
from app.schedule.slots import describe_schedule


def worker() -> None:
    """Run the scheduler until SIGTERM or Ctrl-C; a run in progress finishes first."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    service = SchedulerService(settings, make_session_factory(engine))
    stop = threading.Event()
    _on_signals(stop)
    service.start()
    console.print(f"worker running: {describe_schedule(service.schedule)}")
    try:
        stop.wait()
    finally:
        service.shutdown()
        engine.dispose()


def _on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def register(cli: typer.Typer) -> None:
    cli.command("worker")(worker)
