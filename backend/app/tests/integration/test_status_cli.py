"""`overdue-scheduler status [--json]` as a real process against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.executions.models import RunStatus
from app.tests.support.operations import make_run


def status(
    database_url: str, cwd: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = os.environ | {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "app", "status", *args],
        env=full_env | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def status_json(database_url: str, cwd: Path, **env: str) -> dict[str, Any]:
    result = status(database_url, cwd, "--json", **env)
    assert result.returncode == 0, result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_status_json_shows_the_schedule_and_the_last_runs(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    success = make_run(session, start_time=start, invoices_processed=12)
    failed = make_run(
        session, start_time=start + timedelta(hours=1), status=RunStatus.FAILED
    )
    session.commit()

    body = status_json(
        database_url,
        tmp_path,
        OVERDUE_INVOICE_SCHEDULE_VALUE="0 8 * * 1",
        OVERDUE_INVOICE_TIMEZONE="Europe/Berlin",
        SCHEDULER_ENABLED="true",
    )

    assert body["scheduler_enabled"] is True
    assert body["scheduler_running_here"] is False
    assert body["schedule"]["value"] == "0 8 * * 1"
    assert "Monday" in body["schedule"]["description"]
    next_run = datetime.fromisoformat(body["next_run_time"])
    assert datetime.now(UTC) < next_run <= datetime.now(UTC) + timedelta(days=7)
    assert body["last_execution"]["id"] == str(failed.id)
    assert body["last_successful_execution"]["id"] == str(success.id)
    assert body["last_successful_execution"]["invoices_processed"] == 12


def test_status_json_lists_configuration_warnings(
    sqlite_url: str, tmp_path: Path
) -> None:
    body = status_json(sqlite_url, tmp_path, OVERDUE_INVOICE_TIMEZONE="Mars/Olympus")

    assert len(body["config_warnings"]) == 1
    assert "OVERDUE_INVOICE_TIMEZONE" in body["config_warnings"][0]
    assert body["schedule"]["timezone"] == "UTC"


def test_status_prints_a_readable_table(sqlite_url: str, tmp_path: Path) -> None:
    result = status(sqlite_url, tmp_path, OVERDUE_INVOICE_SCHEDULE_VALUE="0 0 * * *")

    assert result.returncode == 0, result.stderr
    assert "every day at 00:00" in result.stdout
    assert "last successful run" in result.stdout
    assert "none" in result.stdout


def test_status_without_a_database_exits_2_saying_why(tmp_path: Path) -> None:
    # A directory is not a database SQLite can open.
    result = status(f"sqlite:///{tmp_path}", tmp_path, "--json")

    assert result.returncode == 2
    assert "database error" in result.stderr
    assert result.stdout == ""
