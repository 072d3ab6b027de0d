"""`overdue-scheduler serve` and API_TOKENS, as real processes."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.tests.support.processes import free_port, wait_for

STARTUP_TIMEOUT_S = 60


def serve_env(database_url: str, **env: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url,
        "SCHEDULER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "API_TOKENS": "",
        **env,
    }


class Served:
    """A `serve` process whose standard output is read line by line as it comes."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}"
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def line_containing(self, text: str) -> str:
        while True:
            line = self.lines.get(timeout=STARTUP_TIMEOUT_S)
            self.seen.append(line)
            if text in line:
                return line

    def is_up(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/api/health/liveness").status_code == 200
        except httpx.TransportError:
            return False


@pytest.fixture
def served_without_tokens(sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        env=serve_env(sqlite_url, ENVIRONMENT="development"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    served = Served(process, port)
    yield served
    process.terminate()
    process.wait(timeout=30)


def test_serve_in_development_without_tokens_prints_one_that_works(
    served_without_tokens: Served,
) -> None:
    served = served_without_tokens
    token = served.line_containing("Authorization: Bearer").split("Bearer")[1].strip()
    wait_for(served.is_up, timeout_s=STARTUP_TIMEOUT_S, what="the served API")
    url = f"{served.base_url}/api/v1/scheduler/status"

    with_token = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    without = httpx.get(url)
    another = httpx.get(url, headers={"Authorization": "Bearer not-the-token"})

    assert len(token) >= 40
    assert with_token.status_code == 200
    assert without.status_code == 401
    assert another.status_code == 401
    assert sum(token in line for line in served.seen) == 1


@pytest.mark.parametrize("tokens", ["", "changeme"])
def test_serve_in_production_refuses_to_start_without_real_tokens(
    sqlite_url: str, tmp_path: Path, tokens: str
) -> None:
    env = serve_env(sqlite_url, ENVIRONMENT="production", API_TOKENS=tokens)

    result = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_S,
        check=False,
    )

    assert result.returncode == 1
    assert "refusing to start" in result.stderr
    assert "API_TOKENS" in result.stderr
