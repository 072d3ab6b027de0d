"""`status`: the scheduler status of GET /api/v1/scheduler/status, in a terminal."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from app.cli.common import console, err_console, load_settings
from app.clock import system_clock
from app.db.engine import make_engine, make_session_factory
from app.executions.schemas import ExecutionSummary, SchedulerStatus
from app.executions.status import build_status


def status(
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Show the schedule in force, warnings, the next run and the last runs.

    This process runs no scheduler, so the next run is computed from the schedule.
    """
    settings = load_settings(report=False)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            current = build_status(session, settings, None, system_clock())
    except SQLAlchemyError as exc:
        err_console.print(f"[red]database error[/]: {str(exc).splitlines()[0]}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(current.model_dump_json(indent=2))
    else:
        _print_status(current)


def _print_status(current: SchedulerStatus) -> None:
    table = Table(title="Overdue invoice scheduler", show_header=False)
    table.add_row("schedule", current.schedule.description)
    table.add_row(
        "configured as", f"{current.schedule.type} {current.schedule.value!r}"
    )
    table.add_row("scheduler enabled", "yes" if current.scheduler_enabled else "no")
    zone = ZoneInfo(current.schedule.timezone)
    table.add_row("next run", _when(current.next_run_time, zone))
    table.add_row("last run", _run(current.last_execution, zone))
    table.add_row("last successful run", _run(current.last_successful_execution, zone))
    console.print(table)
    for warning in current.config_warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    """In the schedule's time zone, with UTC beside it."""
    if moment is None:
        return "none"
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone.key} ({moment.astimezone(UTC):%H:%M} UTC)"


def _run(run: ExecutionSummary | None, zone: ZoneInfo) -> str:
    if run is None:
        return "none"
    colour = {"completed": "green", "failed": "red"}.get(run.status, "yellow")
    duration = "" if run.duration_seconds is None else f", {run.duration_seconds:.1f} s"
    return (
        f"[{colour}]{run.status}[/] {_when(run.start_time, zone)}{duration}: "
        f"{run.invoices_processed} invoices, "
        f"{run.notifications_created} notifications, {run.error_count} errors"
        f"{' (dry run)' if run.dry_run else ''}\n[dim]{run.id}[/]"
    )


def register(cli: typer.Typer) -> None:
    cli.command("status")(status)
