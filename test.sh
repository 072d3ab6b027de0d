#!/usr/bin/env bash
# Set up, check formatting, lint and types, then run the whole test suite.
# Arguments are passed to pytest (e.g. ./test.sh app/tests/unit -x).
source "$(dirname "$0")/scripts/bootstrap.sh"
cd "$BACKEND"
echo "==> ruff format --check, ruff check, mypy"
ruff format --check .
ruff check .
mypy
echo "==> pytest"
exec pytest "$@"
