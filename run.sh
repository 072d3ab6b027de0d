#!/usr/bin/env bash
# Set up, migrate the SQLite database, add demo data, and serve on port 8000.
source "$(dirname "$0")/scripts/bootstrap.sh"
cd "$BACKEND"
overdue-scheduler migrate
overdue-scheduler seed-demo
exec overdue-scheduler serve "$@"
