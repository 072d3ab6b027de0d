"""`overdue-scheduler import-invoices FILE` as a real process on a real file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.invoices.models import Invoice
from app.tests.support.factories import make_business

HEADER = "business_id,invoice_number,customer_name,issue_date,due_date,total"


def import_invoices(database_url: str, file: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "app", "import-invoices", str(file)],
        env=env,
        cwd=file.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows, ""]), encoding="utf-8")
    return path


def invoice_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Invoice)) or 0


def test_good_file_imports_and_exits_0(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    business = make_business(session)
    session.commit()
    rows = [f"{business.id},A-{n},Jo,2025-01-01,2025-01-31,10.00" for n in range(3)]
    file = write_csv(tmp_path / "good.csv", *rows)

    result = import_invoices(database_url, file)

    assert result.returncode == 0, result.stderr
    assert "3 inserted" in result.stdout
    assert invoice_count(session) == 3


def test_second_import_skips_everything_and_exits_0(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    business = make_business(session)
    session.commit()
    file = write_csv(
        tmp_path / "good.csv", f"{business.id},A-1,Jo,2025-01-01,2025-01-31,1"
    )
    import_invoices(database_url, file)

    result = import_invoices(database_url, file)

    assert result.returncode == 0, result.stderr
    assert "0 inserted" in result.stdout
    assert "1 skipped" in result.stdout


def test_rejected_rows_are_printed_and_exit_1(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    business = make_business(session)
    session.commit()
    file = write_csv(
        tmp_path / "mixed.csv",
        f"{business.id},GOOD,Jo,2025-01-01,2025-01-31,10.00",
        f"{business.id},BAD,Jo,2025-01-01,2024-01-31,10.00",
    )

    result = import_invoices(database_url, file)

    assert result.returncode == 1
    assert "1 inserted" in result.stdout
    assert "due_date" in result.stdout
    assert "before issue_date" in result.stdout
    assert invoice_count(session) == 1


def test_unreadable_file_exits_2_and_imports_nothing(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    file = tmp_path / "latin1.csv"
    file.write_bytes(HEADER.encode() + b"\n1,A,J\xf6rg,2025-01-01,2025-01-31,1\n")

    result = import_invoices(database_url, file)

    assert result.returncode == 2
    assert "UTF-8" in result.stderr
    assert invoice_count(session) == 0


def test_missing_file_exits_2(database_url: str, tmp_path: Path) -> None:
    result = import_invoices(database_url, tmp_path / "nowhere.csv")

    assert result.returncode == 2
    assert "nowhere.csv" in result.stderr
