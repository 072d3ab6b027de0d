"""The image, compose stack and platform specs hold what the checklist relies on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.tests.integration.deployment.documents import (
    APP_SPEC,
    BACKEND,
    COMPOSE,
    DOCKERFILE,
    DOCKERIGNORE,
    KUBERNETES,
    RENDER_SPEC,
    REPO_ROOT,
    load_yaml,
    load_yaml_documents,
    parse_yaml,
    uncommented,
)

MIGRATE = "alembic upgrade head"
HEALTH_PATHS = {"/api/health/readiness", "/api/health/liveness"}


def _by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


def _app_spec(*, with_worker: bool = False) -> dict[str, Any]:
    text = APP_SPEC.read_text()
    if with_worker:
        text = uncommented(text, "# workers:")
    spec: dict[str, Any] = parse_yaml(text)
    return spec


def _render_spec(*, with_worker: bool = False) -> dict[str, Any]:
    text = RENDER_SPEC.read_text()
    if with_worker:
        text = uncommented(text, "#   - type: worker")
    spec: dict[str, Any] = parse_yaml(text)
    return spec


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    lines = [line.strip() for line in joined.splitlines()]
    pairs = [line.split(maxsplit=1) for line in lines if line and line[0] != "#"]
    return [(pair[0].upper(), pair[1] if len(pair) > 1 else "") for pair in pairs]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves `path` out of the build context (last match wins)."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").rstrip("/"))
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
    return re.compile(regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]"))


def _dockerignore() -> list[str]:
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_app_platform_runs_the_migration_before_each_deployment() -> None:
    job = _by_name(_app_spec()["jobs"], "release-migrate")

    assert job["kind"] == "PRE_DEPLOY"
    assert job["run_command"] == MIGRATE


def test_app_platform_api_health_checks_the_service() -> None:
    api = _by_name(_app_spec()["services"], "api")

    assert api["health_check"]["http_path"] in HEALTH_PATHS
    assert api["liveness_health_check"]["http_path"] == "/api/health/liveness"
    assert api["http_port"] == 8000


def test_app_platform_secrets_have_no_value() -> None:
    spec = _app_spec(with_worker=True)
    envs = list(spec["envs"])
    for kind in ("services", "jobs", "workers"):
        envs += [env for item in spec[kind] for env in item.get("envs", [])]

    secrets = {env["key"]: env for env in envs if env.get("type") == "SECRET"}

    assert "API_TOKENS" in secrets
    assert [key for key, env in secrets.items() if "value" in env] == []


def test_app_platform_components_build_the_image_from_backend() -> None:
    spec = _app_spec(with_worker=True)
    components = spec["services"] + spec["jobs"] + spec["workers"]

    for component in components:
        assert (REPO_ROOT / component["dockerfile_path"]) == DOCKERFILE
        assert (REPO_ROOT / component["source_dir"]) == BACKEND


def test_app_platform_worker_block_runs_the_scheduler_alone() -> None:
    spec = _app_spec(with_worker=True)
    worker = _by_name(spec["workers"], "scheduler")
    api = _by_name(spec["services"], "api")

    assert worker["run_command"] == "overdue-scheduler worker"
    assert {"key": "SCHEDULER_ENABLED", "scope": "RUN_TIME", "value": "true"} in (
        worker["envs"]
    )
    assert "SCHEDULER_ENABLED" in {env["key"] for env in api["envs"]}


def test_app_platform_names_follow_the_platform_rules() -> None:
    spec = _app_spec(with_worker=True)
    names = [spec["name"]] + [
        item["name"]
        for kind in ("services", "jobs", "workers", "databases")
        for item in spec[kind]
    ]

    bad = [n for n in names if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}[a-z0-9]", n)]

    assert bad == []


def test_render_web_service_migrates_before_deploy_and_checks_health() -> None:
    web = next(s for s in _render_spec()["services"] if s["type"] == "web")

    assert web["preDeployCommand"] == MIGRATE
    assert web["healthCheckPath"] in HEALTH_PATHS
    assert web["runtime"] == "docker"
    assert (REPO_ROOT / web["dockerfilePath"]).resolve() == DOCKERFILE
    assert (REPO_ROOT / web["dockerContext"]).resolve() == BACKEND


def test_render_secrets_are_prompted_for_not_written() -> None:
    spec = _render_spec(with_worker=True)
    entries = [e for service in spec["services"] for e in service["envVars"]]

    tokens = [e for e in entries if e.get("key") == "API_TOKENS"]

    assert tokens and all(e == {"key": "API_TOKENS", "sync": False} for e in tokens)


def test_render_references_resolve() -> None:
    spec = _render_spec(with_worker=True)
    databases = {db["name"] for db in spec["databases"]}
    groups = {group["name"] for group in spec["envVarGroups"]}
    entries = [e for service in spec["services"] for e in service["envVars"]]

    assert {e["fromDatabase"]["name"] for e in entries if "fromDatabase" in e} <= (
        databases
    )
    assert {e["fromGroup"] for e in entries if "fromGroup" in e} <= groups


def test_render_worker_block_runs_the_scheduler_alone() -> None:
    services = _render_spec(with_worker=True)["services"]
    worker = next(s for s in services if s["type"] == "worker")

    assert worker["dockerCommand"] == "overdue-scheduler worker"
    assert {"key": "SCHEDULER_ENABLED", "value": "true"} in worker["envVars"]


def test_compose_has_the_api_a_database_and_a_mail_catcher() -> None:
    services = load_yaml(COMPOSE)["services"]

    assert {"api", "db", "mail"} <= set(services)
    assert services["db"]["healthcheck"]["test"]
    assert any(v.startswith("pgdata:") for v in services["db"]["volumes"])
    assert "mailpit" in services["mail"]["image"]
    assert "8025:8025" in services["mail"]["ports"]


def test_compose_migrates_before_the_api_starts() -> None:
    services = load_yaml(COMPOSE)["services"]

    assert services["migrate"]["command"] == MIGRATE.split()
    assert services["api"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["api"]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_compose_paths_exist() -> None:
    services = load_yaml(COMPOSE)["services"]

    for name in ("api", "migrate", "worker"):
        context = REPO_ROOT / services[name]["build"]["context"]
        assert (context / "Dockerfile").is_file()
        required = [f for f in services[name]["env_file"] if f["required"]]
        assert all((REPO_ROOT / f["path"]).is_file() for f in required)


def test_image_is_multi_stage_and_runs_as_a_user() -> None:
    instructions = _instructions(DOCKERFILE.read_text())

    stages = [args for name, args in instructions if name == "FROM"]
    user = [args for name, args in instructions if name == "USER"][-1]

    assert len(stages) >= 2
    assert user.split(":")[0] not in {"0", "root"}


def test_image_workdir_holds_what_alembic_needs() -> None:
    instructions = _instructions(DOCKERFILE.read_text())
    runtime = instructions[
        max(i for i, (name, _) in enumerate(instructions) if name == "FROM") :
    ]

    workdirs = [args for name, args in runtime if name == "WORKDIR"]
    copied = [args.split()[-1] for name, args in runtime if name == "COPY"]

    assert workdirs[-1] == "/app"
    assert {"./alembic.ini", "./alembic", "./app"} <= set(copied)


def test_image_serves_on_port_with_a_liveness_healthcheck() -> None:
    instructions = dict(_instructions(DOCKERFILE.read_text()))

    assert "/api/health/liveness" in instructions["HEALTHCHECK"]
    assert "overdue-scheduler serve --host 0.0.0.0" in instructions["CMD"]
    assert "${PORT:-8000}" in instructions["CMD"]


def test_image_bakes_in_no_secret() -> None:
    instructions = _instructions(DOCKERFILE.read_text())
    settings = " ".join(args for name, args in instructions if name in {"ENV", "ARG"})

    assert not re.search(r"TOKEN|PASSWORD|SECRET|DATABASE_URL", settings)


@pytest.mark.parametrize(
    "path", ["pyproject.toml", "alembic.ini", "alembic/env.py", "app/settings.py"]
)
def test_build_context_keeps_what_the_image_copies(path: str) -> None:
    assert (BACKEND / path).exists()
    assert not _ignored(path, _dockerignore())


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".venv/bin/python",
        "data/overdue-scheduler.sqlite3",
        "app/tests/conftest.py",
        "app/__pycache__/settings.cpython-311.pyc",
    ],
)
def test_build_context_leaves_out_secrets_and_local_state(path: str) -> None:
    assert _ignored(path, _dockerignore())


def test_every_copy_source_is_in_the_build_context() -> None:
    instructions = _instructions(DOCKERFILE.read_text())
    sources = [
        args.split()[:-1]
        for name, args in instructions
        if name == "COPY" and "--from" not in args
    ]

    for source in (s for group in sources for s in group):
        assert Path(BACKEND / source).exists(), source
        assert not _ignored(source.rstrip("/"), _dockerignore()), source


def _kubernetes(kind: str) -> dict[str, Any]:
    document: dict[str, Any] = next(
        d for d in load_yaml_documents(KUBERNETES) if d["kind"] == kind
    )
    return document


def test_kubernetes_job_migrates_as_the_image_user() -> None:
    pod = _kubernetes("Job")["spec"]["template"]["spec"]

    assert pod["containers"][0]["command"] == MIGRATE.split()
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_kubernetes_deployment_probes_the_health_checks() -> None:
    pod = _kubernetes("Deployment")["spec"]["template"]["spec"]
    container = pod["containers"][0]

    assert container["readinessProbe"]["httpGet"]["path"] == "/api/health/readiness"
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/health/liveness"
    assert container["ports"][0]["containerPort"] == 8000
    assert pod["securityContext"]["runAsUser"] == 10001
