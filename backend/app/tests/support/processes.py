"""Real service processes for tests: started with an environment, read by their logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLL_S = 0.05


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def events(self) -> list[dict[str, Any]]:
        """The JSON log lines the process has written so far."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout_s)


def start(args: list[str], env: dict[str, str], log_path: Path) -> ServiceProcess:
    """`python -m app ARGS` with JSON logs going to `log_path`."""
    full_env = {**os.environ, **env, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", *args],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    return ServiceProcess(process, log_path)


def wait_for(condition: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    """Poll until `condition` holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(POLL_S)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count_events(processes: list[ServiceProcess], event: str) -> int:
    return sum(1 for p in processes for e in p.events() if e.get("event") == event)
