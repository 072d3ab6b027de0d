"""Runs the CLI once a line arrives on stdin, so that several processes start together.

Usage: python -m app.tests.support.run_when_told run-once --as-of ...
"""

from __future__ import annotations

import sys

from app.cli.main import cli

if __name__ == "__main__":
    sys.stdin.readline()
    cli(args=sys.argv[1:], prog_name="overdue-scheduler")
