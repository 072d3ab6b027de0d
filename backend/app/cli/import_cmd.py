"""`import-invoices FILE`: load invoices from a CSV file, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from app.cli.common import console, err_console, load_settings
from app.db.engine import make_engine, make_session_factory
from app.invoices.import_run import MAX_LISTED, ImportReport, import_csv
from app.invoices.importer import CsvFileError

FILE_HELP = (
    "CSV file with the columns listed in the README (Invoices API and CSV import)."
)


class RichProgress:
    """Adapts a Rich progress bar to the importer's progress callbacks."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("importing", total=None)

    def start(self, total_rows: int) -> None:
        self.progress.update(self.task, total=total_rows)

    def advance(self, rows: int) -> None:
        self.progress.advance(self.task, rows)


def import_invoices(file: Path = typer.Argument(..., help=FILE_HELP)) -> None:
    """Import invoices from a CSV file; exit 1 if any row was rejected.

    Exit 0: every row imported or already there. 2: the file could not be read
    (nothing imported) or the database failed (importing again finishes)."""
    settings = load_settings()
    report = _run_import(file, settings.database_url)
    _print_report(report)
    raise typer.Exit(1 if report.rejected else 0)


def _run_import(file: Path, database_url: str) -> ImportReport:
    engine = make_engine(database_url)
    try:
        with file.open("rb") as binary, _progress_bar() as bar:
            session_factory = make_session_factory(engine)
            with session_factory() as session:
                return import_csv(session, binary, RichProgress(bar))
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    except CsvFileError as exc:
        _fail(f"cannot import {file}: {exc.message}")
    except SQLAlchemyError as exc:
        _fail(f"database error: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]{message}[/]")
    raise typer.Exit(2)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    )


def _print_report(report: ImportReport) -> None:
    console.print(
        f"{report.rows} rows: [green]{report.inserted} inserted[/], "
        f"{report.skipped} skipped (already there), "
        f"[red]{report.rejected} rejected[/]; "
        f"{report.customers_created} customers created"
    )
    if report.rejected_rows:
        console.print(_rejected_table(report))


def _rejected_table(report: ImportReport) -> Table:
    shown = len(report.rejected_rows)
    title = "Rejected rows"
    if shown >= MAX_LISTED:
        title += f" (the first {shown} problems)"
    table = Table("line", "field", "reason", "value", title=title)
    for error in report.rejected_rows:
        table.add_row(
            str(error.line), error.field or "", error.reason, error.value or ""
        )
    return table


def register(cli: typer.Typer) -> None:
    cli.command("import-invoices")(import_invoices)
