# Sourced by run.sh and test.sh: make backend/.venv and install the project into it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BACKEND="$ROOT/backend"
VENV="$BACKEND/.venv"
PYTHON_BIN="${PYTHON:-python3}"

if ! "$PYTHON_BIN" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Python 3.11 or newer is required (tried '$PYTHON_BIN'); set PYTHON=..." >&2
    exit 1
fi

stamp="$VENV/.installed"
if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ "$BACKEND/pyproject.toml" -nt "$stamp" ]; then
    echo "==> installing the project and its test tools"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$BACKEND[test]"
    touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
