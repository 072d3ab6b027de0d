"""The deployment checklist's commands work as written, against PostgreSQL.

A fenced ```bash or ```sql block right after a `<!-- runnable -->` line is
run: shell blocks with bash from the repository root, with this virtual
environment first on PATH and DATABASE_URL set to a database migrated the
way the checklist says; SQL blocks against that database. A shell block that
uses $BASE_URL runs against `overdue-scheduler serve` started on that
database in production mode, with BASE_URL and API_TOKEN exported as the
checklist tells the operator to. A ```text block after an
`<!-- expected output -->` line is what the block must print (for SQL, the
rows as psql shows them).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from app.tests.integration.deployment.documents import (
    AZURE,
    BACKEND,
    CHECKLIST,
    REPO_ROOT,
    Block,
    fenced_blocks,
    parse_yaml,
    psql_table,
    runnable_blocks,
    section,
    table_rows,
)
from app.tests.support.postgres import PostgresServer

VENV_BIN = Path(sys.executable).parent
SUBPROCESS_TIMEOUT_S = 1500
READY_TIMEOUT_S = 90
# The nested test runs stop at the first failure and leave no cache behind.
NESTED_PYTEST_OPTIONS = "-x -q -p no:cacheprovider"

TEXT = CHECKLIST.read_text()
BLOCKS = runnable_blocks(TEXT)
SHELL_BLOCKS = [block for block in BLOCKS if block.language == "bash"]
SQL_BLOCKS = [block for block in BLOCKS if block.language == "sql"]

# The columns revision 298dd1eda420 creates; later revisions only add columns.
DESIGN_COLUMNS = [
    "id",
    "job_name",
    "start_time",
    "end_time",
    "status",
    "invoices_processed",
    "notifications_created",
    "error_count",
    "error_details",
]
TROUBLESHOOTING = [
    "The scheduler is not running",
    "A run is stuck in `running`",
    "A run failed because the database went away",
    "No notifications are created",
    "Duplicate replicas",
    "Wrong time zone",
    "Invalid cron expression",
    "The migration was not applied",
]


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["DATABASE_URL"] = database_url
    env["PYTEST_ADDOPTS"] = NESTED_PYTEST_OPTIONS
    return env


def _bash(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}"
        f"\n--- stderr\n{result.stderr[-4000:]}"
    )


def _query(database_url: str, sql: str) -> tuple[list[str], list[tuple[str, ...]]]:
    with psycopg.connect(_libpq(database_url), autocommit=True) as connection:
        cursor = connection.execute(sql.encode())
        if cursor.description is None:
            return [], []
        names = [column.name for column in cursor.description]
        shown = [tuple("" if v is None else str(v) for v in row) for row in cursor]
        return names, shown


@dataclass(frozen=True)
class Service:
    base_url: str
    api_token: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _running_runs(database_url: str) -> int:
    _, rows = _query(
        database_url, "SELECT count(*) FROM job_execution_logs WHERE status = 'running'"
    )
    return int(rows[0][0])


def _wait_until_ready(
    service: Service, process: subprocess.Popen[bytes], database_url: str, log: Path
) -> None:
    """Ready, and no run in progress: a catch-up run at start would refuse a dry run."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    readiness = f"{service.base_url}/api/health/readiness"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
        if _status(readiness) == 200 and _running_runs(database_url) == 0:
            return
        time.sleep(0.5)
    pytest.fail(f"serve not ready after {READY_TIMEOUT_S}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def checklist_database(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database, migrated by the checklist's own command."""
    url = _libpq(postgres_server.create_database("ois_checklist"))
    result = _bash("cd backend\nalembic upgrade head\n", _environment(url))
    assert result.returncode == 0, _explain(result)
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="module")
def service(
    checklist_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """`overdue-scheduler serve` as deployed: production mode, scheduler inside."""
    port = _free_port()
    running = Service(f"http://127.0.0.1:{port}", secrets.token_urlsafe(32))
    env = _environment(checklist_database) | {
        "API_TOKENS": running.api_token,
        "ENVIRONMENT": "production",
        "SCHEDULER_ENABLED": "true",
        "LOG_FORMAT": "json",
    }
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    command = [str(VENV_BIN / "overdue-scheduler"), "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=BACKEND, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_ready(running, process, checklist_database, log)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _block_environment(block: Block, request: pytest.FixtureRequest) -> dict[str, str]:
    env = _environment(request.getfixturevalue("checklist_database"))
    if "$BASE_URL" in block.code:
        running: Service = request.getfixturevalue("service")
        env |= {"BASE_URL": running.base_url, "API_TOKEN": running.api_token}
    return env


@pytest.mark.postgres
@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S + 60)
@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=lambda block: block.id)
def test_shell_block_works_as_written(
    block: Block, request: pytest.FixtureRequest
) -> None:
    result = _bash(block.code, _block_environment(block, request))

    assert result.returncode == 0, _explain(result)
    if block.expected is not None:
        assert result.stdout.strip() == block.expected.strip()


@pytest.mark.postgres
@pytest.mark.parametrize("block", SQL_BLOCKS, ids=lambda block: block.id)
def test_sql_block_works_as_written(block: Block, checklist_database: str) -> None:
    names, rows = _query(checklist_database, block.code)

    if block.expected is not None:
        assert (names, rows) == psql_table(block.expected)


def test_runnable_blocks_have_no_placeholders() -> None:
    with_placeholders = [b.id for b in BLOCKS if re.search(r"<[a-z][^>]*>", b.code)]

    assert with_placeholders == []


def test_pre_deployment_checks_run_the_fast_suites() -> None:
    shell = "\n".join(block.code for block in SHELL_BLOCKS)

    assert "pytest app/tests/property/ -v" in shell
    assert "pytest app/tests/unit/ -v" in shell


def test_pre_deployment_checks_show_the_job_execution_logs_migration() -> None:
    listing = next(b for b in SHELL_BLOCKS if "ls alembic/versions/" in b.code)
    expected = "alembic/versions/298dd1eda420_add_job_execution_logs_table.py"

    assert listing.expected is not None
    assert listing.expected.strip() == expected
    assert (BACKEND / expected).is_file()


def test_checklist_migrates_with_alembic() -> None:
    assert any("alembic upgrade head" in block.code for block in SHELL_BLOCKS)


def test_checklist_verifies_the_columns_of_the_design() -> None:
    query = next(b for b in SQL_BLOCKS if "information_schema.columns" in b.code)

    assert query.expected is not None
    _, rows = psql_table(query.expected)
    assert [row[0] for row in rows][: len(DESIGN_COLUMNS)] == DESIGN_COLUMNS


def test_migration_section_covers_every_platform() -> None:
    migration = section(TEXT, "2. Apply the migration")

    for platform in ("Docker Compose", "App Platform", "Render", "Azure App Service"):
        assert f"**{platform}" in migration, platform
    for path in ("docker-compose.yml", ".do/app.yaml", "render.yaml", "docs/azure.md"):
        assert (REPO_ROOT / path).is_file(), path


@pytest.mark.parametrize("topic", TROUBLESHOOTING)
def test_troubleshooting_gives_symptom_confirmation_and_fix(topic: str) -> None:
    entries = section(TEXT, "8. Troubleshooting").split("\n### ")
    entry = next(e for e in entries if e.startswith(topic + "\n"))

    for part in ("**Symptom:**", "**Confirm:**", "**Fix:**"):
        assert part in entry, f"{topic}: {part}"


def _documented_metrics() -> set[str]:
    rows = table_rows(section(TEXT, "7. Monitoring and alerting"))
    names = (re.match(r"`(\w+)", row[0]) for row in rows)
    return {name.group(1) for name in names if name}


def test_alert_rules_parse_and_use_documented_metrics() -> None:
    documents = [parse_yaml(block) for block in fenced_blocks(TEXT, "yaml")]
    rules = [r for d in documents for g in d["groups"] for r in g["rules"]]

    used = {
        re.sub(r"_(bucket|sum|count)$", "", name)
        for rule in rules
        for name in re.findall(r"overdue_scheduler_\w+", rule["expr"])
    }

    assert rules
    assert all({"alert", "expr", "labels", "annotations"} <= set(r) for r in rules)
    assert used <= _documented_metrics()


def _exported_metrics(base_url: str) -> set[str]:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=10) as response:
        body = response.read().decode()
    return set(re.findall(r"^# TYPE (\w+) ", body, re.M))


@pytest.mark.postgres
def test_documented_metrics_are_exported(
    service: Service, checklist_database: str
) -> None:
    # One real run, so that the metrics of finished runs have something to show.
    result = _bash(
        "cd backend\noverdue-scheduler run-once\n", _environment(checklist_database)
    )
    assert result.returncode == 0, _explain(result)

    exported = _exported_metrics(service.base_url)

    assert _documented_metrics() - exported == set()


def _anchor(heading: str) -> str:
    """The anchor a Markdown heading gets (GitHub's rule)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize(
    "document",
    [CHECKLIST, AZURE, REPO_ROOT / "README.md"],
    ids=lambda path: path.name,
)
def test_relative_links_resolve(document: Path) -> None:
    links = re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", document.read_text())

    for path, anchor in links:
        if path.startswith(("http://", "https://")):
            continue
        target = (document.parent / path).resolve() if path else document
        assert target.exists(), path
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(), re.M)
            assert anchor in {_anchor(h) for h in headings}, f"{path}#{anchor}"
