"""The import benchmark still runs (a few hundred rows; no timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_import.py"


def test_import_benchmark_runs_and_imports_every_row_once(database_url: str) -> None:
    env = os.environ | {"LOG_LEVEL": "WARNING"}
    command = [sys.executable, str(BENCH), "--rows", "200", "--businesses", "3"]

    result = subprocess.run(
        [*command, "--database-url", database_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "first import: 200 rows" in result.stdout
    assert "200 inserted" in result.stdout
    assert "second import: 200 rows" in result.stdout
    assert "200 skipped" in result.stdout
