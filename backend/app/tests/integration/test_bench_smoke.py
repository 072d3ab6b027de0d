"""The benchmark (backend/bench) at a tiny size, so that it cannot rot.

Nothing here is timed: every phase must run, and the phases must agree with
each other on what they created.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.tests.support.postgres import PostgresServer
from bench.overdue_bench import main, run_benchmark
from bench.report import (
    FIRST,
    FLOOR,
    MORE,
    RERUN,
    SAMPLE_PER_INVOICE,
    SAMPLE_RERUN,
    SAMPLE_RUN,
)
from bench.scenario import BenchConfig

BATCH_SIZES = (100, 1000)
INVOICES, BUSINESSES, SAMPLE = 500, 20, 30


@pytest.fixture
def bench_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database(prefix="ois_bench_smoke")
    yield url
    postgres_server.drop_database(url)


def _created(report: dict[str, Any], phase: str, batch_size: int | None) -> int:
    for row in report["phases"]:
        if (row["phase"], row["batch_size"]) == (phase, batch_size):
            return int(row["measured"]["notifications_created"])
    raise AssertionError(f"no phase {phase!r} with batch size {batch_size}")


def _assert_phases_agree(report: dict[str, Any]) -> None:
    assert [check["name"] for check in report["checks"] if not check["ok"]] == []
    assert report["overdue"] > 0
    assert report["newly_overdue"] > 0
    sample = report["sample_invoices"]
    assert 0 < sample <= report["overdue"]
    for size in report["batch_sizes"]:
        assert _created(report, FIRST, size) == _created(report, FLOOR, None)
        assert _created(report, RERUN, size) == 0
        assert _created(report, MORE, size) == report["newly_overdue"]
        assert _created(report, SAMPLE_RUN, size) == sample
        assert _created(report, SAMPLE_RERUN, size) == 0
    assert _created(report, SAMPLE_PER_INVOICE, None) == sample


def _assert_sane_numbers(report: dict[str, Any]) -> None:
    for row in report["phases"]:
        assert row["measured"]["wall_s"] > 0, row["phase"]
        assert 0 < row["peak_rss_mb"] < 1024, row["phase"]
    for size in report["batch_sizes"]:
        ratios = report["ratios"][str(size)]
        assert ratios["run_over_floor"] > 0
        assert ratios["first_over_rerun"] > 0
        assert ratios["per_invoice_over_run"] > 0
    assert {target["name"] for target in report["targets"]} >= {"first run / floor"}


def test_benchmark_command_on_sqlite_reports_agreeing_phases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"
    args = [
        *("--database-url", f"sqlite:///{tmp_path / 'bench.sqlite3'}"),
        *("--invoices", str(INVOICES), "--businesses", str(BUSINESSES)),
        *("--sample", str(SAMPLE), "--json", str(out), "--markdown"),
        *("--batch-sizes", *map(str, BATCH_SIZES)),
        *("--rounds", "2", "--row-order", "issued"),
    ]

    code = main(args)

    (report,) = json.loads(out.read_text())["results"]
    assert code == 0
    assert report["database"] == "sqlite"
    assert report["row_order"] == "issued"
    _assert_phases_agree(report)
    _assert_sane_numbers(report)
    # Every phase but the start-up baseline ran once a round, each round
    # checked on its own.
    rounds = [row["round"] for row in report["phases"] if row["phase"] == FIRST]
    assert rounds == [1, 1, 2, 2]
    assert {check["name"].split(":")[0] for check in report["checks"]} == {
        "round 1",
        "round 2",
    }
    assert len(report["ratios_by_round"][str(BATCH_SIZES[0])]) == 2
    printed = capsys.readouterr().out
    assert "| phase | batch | round 1 | round 2 |" in printed
    assert "rows in issue order; median of 2 rounds" in printed


def test_benchmark_command_refuses_zero_rounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["--database-url", f"sqlite:///{tmp_path / 'b.sqlite3'}", "--rounds", "0"])

    assert "--rounds must be at least 1, not 0" in capsys.readouterr().err


@pytest.mark.postgres
def test_benchmark_on_postgres_reports_agreeing_phases(
    bench_postgres_url: str,
) -> None:
    config = BenchConfig(
        database_url=bench_postgres_url,
        invoices=INVOICES,
        businesses=BUSINESSES,
        sample=SAMPLE,
        batch_sizes=BATCH_SIZES,
    )

    result = run_benchmark(config)

    report = result.to_dict()
    assert report["database"] == "postgresql"
    assert report["row_order"] == "random"
    _assert_phases_agree(report)
    _assert_sane_numbers(report)


@pytest.mark.postgres
def test_benchmark_on_postgres_with_runs_in_parts_at_once(
    bench_postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"
    args = [
        *("--database-url", bench_postgres_url, "--json", str(out)),
        *("--invoices", str(INVOICES), "--businesses", str(BUSINESSES)),
        *("--sample", str(SAMPLE), "--batch-sizes", "5", "--parallelism", "2"),
    ]

    code = main(args)

    (report,) = json.loads(out.read_text())["results"]
    assert code == 0
    assert report["parallelism"] == 2
    _assert_phases_agree(report)
    runs = [row for row in report["phases"] if row["phase"] in (FIRST, SAMPLE_RUN)]
    assert [row["measured"]["detail"]["parts"] for row in runs] == [2, 2]
    assert "runs in up to 2 parts at once" in capsys.readouterr().out


def test_benchmark_command_refuses_parallelism_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    with pytest.raises(SystemExit):
        main(["--database-url", url, "--parallelism", "9"])

    assert "--parallelism must be from 1 to 8, not 9" in capsys.readouterr().err
