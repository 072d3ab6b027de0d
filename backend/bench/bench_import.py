"""Benchmark the CSV import: generate N invoice rows, import them, time it.

    cd backend
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ois_bench \\
        .venv/bin/python bench/bench_import.py --rows 100000

The database is migrated first; each run adds its own businesses, so runs
never collide. The file is imported twice: the second pass must insert
nothing (idempotence) and shows the cost of a re-import.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.db.engine import make_engine, make_session_factory
from app.db.migrations import upgrade_to_head
from app.invoices.import_run import ImportReport, import_csv
from app.invoices.importer import COLUMNS
from app.settings import Settings, normalize_database_url


@dataclass(frozen=True)
class Timing:
    report: ImportReport
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.report.rows / self.seconds if self.seconds else 0.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--businesses", type=int, default=20)
    parser.add_argument("--customers", type=int, default=5_000, help="in all")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    return parser.parse_args(argv)


def create_businesses(session: Session, count: int) -> list[int]:
    run = uuid.uuid4().hex[:8]
    businesses = [
        Business(name=f"bench-import-{run}-{n}", timezone="UTC", currency="EUR")
        for n in range(count)
    ]
    session.add_all(businesses)
    session.commit()
    return [business.id for business in businesses]


def write_rows(path: Path, rows: int, business_ids: list[int], customers: int) -> None:
    """Deterministic rows: a mix of statuses, amounts and due dates."""
    rng = random.Random(42)
    start = date(2024, 1, 1)
    per_business = max(customers // len(business_ids), 1)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        for n in range(rows):
            issue = start + timedelta(days=rng.randrange(400))
            total = rng.randrange(1_000, 500_000) / 100
            paid = total if n % 10 == 0 else 0
            writer.writerow(
                {
                    "business_id": business_ids[n % len(business_ids)],
                    "invoice_number": f"BENCH-{n:08d}",
                    "customer_name": f"Customer {rng.randrange(per_business)}",
                    "customer_email": f"billing{n % 97}@example.com",
                    "status": "paid" if paid else "sent",
                    "issue_date": issue.isoformat(),
                    "due_date": (issue + timedelta(days=30)).isoformat(),
                    "total": f"{total:.2f}",
                    "amount_paid": f"{paid:.2f}",
                    "currency": "EUR",
                }
            )


def timed_import(session: Session, path: Path) -> Timing:
    with path.open("rb") as binary:
        started = time.perf_counter()
        report = import_csv(session, binary)
        return Timing(report, time.perf_counter() - started)


def show(label: str, timing: Timing) -> None:
    report = timing.report
    print(
        f"{label}: {report.rows} rows in {timing.seconds:.2f} s "
        f"({timing.rows_per_second:,.0f} rows/s): {report.inserted} inserted, "
        f"{report.skipped} skipped, {report.rejected} rejected, "
        f"{report.customers_created} customers created"
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    url = normalize_database_url(args.database_url or Settings().database_url)
    upgrade_to_head(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with tempfile.TemporaryDirectory() as folder, factory() as session:
        path = Path(folder) / "invoices.csv"
        write_rows(
            path, args.rows, create_businesses(session, args.businesses), args.customers
        )
        print(f"database: {engine.url.render_as_string(hide_password=True)}")
        first, second = timed_import(session, path), timed_import(session, path)
    engine.dispose()
    show("first import", first)
    show("second import", second)
    return (
        0 if first.report.inserted == args.rows and second.report.inserted == 0 else 1
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
