"""The `overdue-scheduler` command line (also `python -m app`)."""

from __future__ import annotations

import typer

from app.cli import (
    config_cmd,
    db_cmd,
    import_cmd,
    run_cmd,
    serve_cmd,
    status_cmd,
    worker_cmd,
)

cli = typer.Typer(
    name="overdue-scheduler",
    help="Find overdue invoices, notify once per reminder stage, record every run.",
    no_args_is_help=True,
    add_completion=False,
)
for module in (
    db_cmd,
    config_cmd,
    serve_cmd,
    worker_cmd,
    run_cmd,
    import_cmd,
    status_cmd,
):
    module.register(cli)


def main() -> None:
    cli()
