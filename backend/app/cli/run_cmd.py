"""`run-once`: one overdue run now, with progress and a summary."""

from __future__ import annotations

import time
from datetime import datetime

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from app.cli.common import console, load_settings
from app.clock import Clock, system_clock
from app.db.engine import make_engine, make_session_factory
from app.executions.models import RunStatus, RunTrigger
from app.overdue.run import RunOptions, RunReport, run_overdue_invoices

MAX_LISTED = 50


def run_once(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Report what would be notified; write nothing."
    ),
    as_of: datetime | None = typer.Option(
        None,
        "--as-of",
        help="Evaluate as of this instant (ISO 8601 with offset) instead of now.",
    ),
) -> None:
    """Run the overdue check once; exit 0 when it completed, 1 when it failed."""
    settings = load_settings()
    clock = _clock(as_of)
    engine = make_engine(settings.database_url)
    began = time.perf_counter()
    try:
        report = _run_with_progress(
            make_session_factory(engine),
            RunOptions.from_settings(settings, dry_run=dry_run),
            clock,
        )
    finally:
        engine.dispose()
    _print_summary(report, time.perf_counter() - began)
    if report.status is not RunStatus.COMPLETED:
        raise typer.Exit(1)


def _clock(as_of: datetime | None) -> Clock:
    if as_of is None:
        return system_clock
    if as_of.tzinfo is None:
        raise typer.BadParameter(
            "needs a UTC offset, e.g. 2025-03-01T09:00:00+00:00", param_hint="--as-of"
        )
    return lambda: as_of


def _run_with_progress(
    factory: sessionmaker[Session], options: RunOptions, clock: Clock
) -> RunReport:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("examining invoices", total=None)

        def show(report: RunReport) -> None:
            done = report.notifications_created + report.would_create
            progress.update(
                task,
                description=f"{report.invoices_processed} invoices examined, "
                f"{done} notifications, {report.errors.count} errors",
            )

        return run_overdue_invoices(
            factory,
            options,
            clock=clock,
            trigger=RunTrigger.CLI,
            on_batch=show,
        )


def _print_summary(report: RunReport, elapsed_s: float) -> None:
    table = Table(title=f"Run {report.run_id}", show_header=False)
    table.add_row("status", _styled_status(report.status))
    table.add_row("invoices examined", str(report.invoices_processed))
    created = (
        "notifications that would be created"
        if report.dry_run
        else "notifications created"
    )
    table.add_row(
        created,
        str(report.would_create if report.dry_run else report.notifications_created),
    )
    table.add_row("statuses moved to overdue", str(report.statuses_changed))
    table.add_row("errors", str(report.errors.count))
    table.add_row("duration", f"{elapsed_s:.2f} s")
    console.print(table)
    if report.dry_run:
        _print_planned(report)
    details = report.errors.render()
    if details:
        console.print(f"[red]errors:[/]\n{details}")


def _print_planned(report: RunReport) -> None:
    for planned in report.planned[:MAX_LISTED]:
        console.print(f"  would notify: {planned.title} (stage {planned.stage} days)")
    hidden = report.would_create - min(len(report.planned), MAX_LISTED)
    if hidden > 0:
        console.print(f"  ... and {hidden} more")


def _styled_status(status: RunStatus) -> str:
    colour = "green" if status is RunStatus.COMPLETED else "red"
    return f"[{colour}]{status}[/]"


def register(cli: typer.Typer) -> None:
    cli.command("run-once")(run_once)
