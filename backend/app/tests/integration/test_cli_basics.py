"""migrate, seed-demo and check-config as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from app.db.engine import make_engine, make_session_factory
from app.invoices.models import Invoice


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env={**os.environ, "COLUMNS": "200", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _invoice_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(Invoice)) or 0
    finally:
        engine.dispose()


def test_migrate_then_seed_demo_twice_adds_the_demo_data_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env = {"DATABASE_URL": url}

    migrated = cli("migrate", env=env, cwd=tmp_path)
    first = cli("seed-demo", env=env, cwd=tmp_path)
    count = _invoice_count(url)
    second = cli("seed-demo", env=env, cwd=tmp_path)

    assert migrated.returncode == 0, migrated.stderr
    assert first.returncode == 0 and "demo data added" in first.stdout
    assert count == 30
    assert second.returncode == 0 and "nothing added" in second.stdout
    assert _invoice_count(url) == 30


def test_the_default_database_is_a_sqlite_file_in_a_data_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}

    result = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "overdue-scheduler.sqlite3").is_file()


def test_check_config_prints_the_schedule_and_next_five_runs(tmp_path: Path) -> None:
    env = {
        "OVERDUE_INVOICE_SCHEDULE_VALUE": "0 8 * * 1",
        "OVERDUE_INVOICE_TIMEZONE": "Europe/Berlin",
        "API_TOKENS": "a-secret-token",
    }

    result = cli("check-config", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "every Monday at 08:00 (Europe/Berlin)" in result.stdout
    assert (
        result.stdout.count("T08:00:00+01:00") + result.stdout.count("T08:00:00+02:00")
        == 5
    )
    assert "a-secret-token" not in result.stdout
    assert "configuration is valid" in result.stdout


def test_check_config_exits_1_and_names_each_invalid_value(tmp_path: Path) -> None:
    env = {
        "OVERDUE_INVOICE_SCHEDULE_VALUE": "0 0 31 2 *",
        "OVERDUE_INVOICE_BATCH_SIZE": "lots",
    }

    result = cli("check-config", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert "OVERDUE_INVOICE_SCHEDULE_VALUE" in result.stderr
    assert "'0 0 31 2 *'" in result.stderr
    assert "OVERDUE_INVOICE_BATCH_SIZE" in result.stderr


def test_a_value_that_cannot_be_used_stops_the_command_naming_it(
    tmp_path: Path,
) -> None:
    result = cli("check-config", env={"LOG_LEVEL": "loud"}, cwd=tmp_path)

    assert result.returncode == 2
    assert "LOG_LEVEL" in result.stderr
