"""Benchmark the overdue run against the database's floor and a per-invoice job.

    cd backend
    python -m bench.overdue_bench --invoices 10000 100000 1000000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/ois_bench

The database must be empty or one this benchmark made: it is wiped and
filled for each size. See bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from app.db.engine import make_engine
from app.db.migrations import upgrade_to_head
from app.overdue.run import RunOptions
from app.settings import MAX_PARALLELISM, normalize_database_url
from bench.dataset import ROW_ORDERS
from bench.report import (
    BenchResult,
    markdown,
    markdown_memory,
    print_flatness,
    print_result,
    write_json,
)
from bench.scenario import BenchConfig, Scenario

RESULTS_DIR = Path(__file__).parent / "results"


def run_benchmark(config: BenchConfig) -> BenchResult:
    """Migrate the database, build the data set and measure every phase."""
    url = normalize_database_url(config.database_url)
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        scenario = Scenario(_with_url(config, url), engine, _progress)
        return scenario.run()
    finally:
        engine.dispose()


def _with_url(config: BenchConfig, url: str) -> BenchConfig:
    fields = {**config.__dict__, "database_url": url}
    return BenchConfig(**fields)


def _progress(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--invoices", type=int, nargs="+", default=[10_000], help="one or more sizes"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL or SQLite URL (default: $DATABASE_URL)",
    )
    parser.add_argument("--businesses", type=int, default=1000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument(
        "--sample", type=int, default=10_000, help="notifications in the sample"
    )
    parser.add_argument("--stages", type=int, nargs="+", default=[1])
    parser.add_argument("--overdue-fraction", type=float, default=0.10)
    parser.add_argument("--start-method", choices=("spawn", "fork"), default="spawn")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every phase this many times on the same data set and "
        "report the median (default: 1)",
    )
    parser.add_argument(
        "--row-order",
        choices=ROW_ORDERS,
        default="random",
        help="random: ids unrelated to due dates (default); issued: ids and "
        "rows in issue order, as a table grows",
    )
    parser.add_argument(
        "--parallelism",
        type=int,
        default=RunOptions.parallelism,
        help="the runs' OVERDUE_INVOICE_PARALLELISM, from 1 to "
        f"{MAX_PARALLELISM} (default: the service's, {RunOptions.parallelism})",
    )
    parser.add_argument("--json", type=Path, help="where to write the results JSON")
    parser.add_argument(
        "--markdown", action="store_true", help="also print Markdown tables"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="profile the run phases with pyinstrument into DIR (slows them)",
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, not {args.rounds}")
    if not 1 <= args.parallelism <= MAX_PARALLELISM:
        parser.error(
            f"--parallelism must be from 1 to {MAX_PARALLELISM}, not {args.parallelism}"
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # A wide table when written to a file or a pipe, where Rich assumes 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 160)
    results = []
    for invoices in args.invoices:
        config = BenchConfig(
            database_url=args.database_url,
            invoices=invoices,
            businesses=args.businesses,
            batch_sizes=tuple(args.batch_sizes),
            sample=args.sample,
            stages=tuple(args.stages),
            overdue_fraction=args.overdue_fraction,
            start_method=args.start_method,
            profile_dir=args.profile,
            rounds=args.rounds,
            row_order=args.row_order,
            parallelism=args.parallelism,
        )
        result = run_benchmark(config)
        print_result(result, console)
        if args.markdown:
            print(markdown(result))
        results.append(result)
    print_flatness(results, console)
    if args.markdown and len(results) > 1:
        print(markdown_memory(results))
    json_path = args.json or RESULTS_DIR / _default_name(results)
    write_json(json_path, results, machine())
    console.print(f"results written to {json_path}")
    failed = [c for r in results for c in r.checks if not c.ok]
    return 1 if failed else 0


def _default_name(results: Sequence[BenchResult]) -> str:
    sizes = "-".join(str(result.invoices) for result in results)
    return f"{results[0].database}-{sizes}.json"


if __name__ == "__main__":
    raise SystemExit(main())
