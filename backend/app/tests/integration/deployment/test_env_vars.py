"""Every variable the settings read is documented and deployed, and no other.

The list comes from the settings class, so adding a field there fails these
tests until the checklist, .env.example, both specs and the Azure steps
name it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.tests.integration.deployment.documents import (
    APP_SPEC,
    AZURE,
    CHECKLIST,
    COMPOSE,
    ENV_EXAMPLE,
    KUBERNETES,
    RENDER_SPEC,
    SERVICE_VARIABLE,
    load_yaml,
    load_yaml_documents,
    parse_yaml,
    section,
    settings_variables,
    table_rows,
    uncommented,
)

DOCUMENTS = [CHECKLIST, ENV_EXAMPLE, APP_SPEC, RENDER_SPEC, AZURE, COMPOSE, KUBERNETES]
APP_WORKER = "# workers:"
RENDER_WORKER = "#   - type: worker"


def _keys(envs: list[dict[str, Any]] | None) -> set[str]:
    return {env["key"] for env in envs or [] if "key" in env}


def _app_spec() -> dict[str, Any]:
    spec: dict[str, Any] = parse_yaml(uncommented(APP_SPEC.read_text(), APP_WORKER))
    return spec


def _app_components(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    kinds = ("services", "jobs", "workers")
    return {item["name"]: item for kind in kinds for item in spec.get(kind, [])}


def _render_spec() -> dict[str, Any]:
    spec: dict[str, Any] = parse_yaml(
        uncommented(RENDER_SPEC.read_text(), RENDER_WORKER)
    )
    return spec


def _render_service_keys(spec: dict[str, Any], service: dict[str, Any]) -> set[str]:
    """The service's own variables plus those of the groups it takes."""
    groups = {group["name"]: group for group in spec["envVarGroups"]}
    keys = _keys(service["envVars"])
    for entry in service["envVars"]:
        if "fromGroup" in entry:
            keys |= _keys(groups[entry["fromGroup"]]["envVars"])
    return keys


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_no_document_names_a_service_variable_the_settings_do_not_read(
    document: Any,
) -> None:
    named = set(SERVICE_VARIABLE.findall(document.read_text()))

    assert named - settings_variables() == set()


def test_checklist_table_lists_exactly_the_settings_variables() -> None:
    rows = table_rows(section(CHECKLIST.read_text(), "4. Environment variables"))

    names = [row[0].strip("`") for row in rows]

    assert sorted(names) == sorted(settings_variables())


def test_checklist_gives_each_variable_a_type_default_and_example() -> None:
    rows = table_rows(section(CHECKLIST.read_text(), "4. Environment variables"))

    incomplete = [row[0] for row in rows if len(row) != 5 or not all(row)]

    assert incomplete == []


def test_env_example_assigns_every_variable_once_and_no_other() -> None:
    assigned = re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M)

    assert sorted(assigned) == sorted(settings_variables())


def test_app_platform_api_receives_every_variable() -> None:
    spec = _app_spec()
    api = _app_components(spec)["api"]

    received = _keys(spec["envs"]) | _keys(api["envs"])

    assert received == settings_variables()


def test_app_platform_spec_sets_no_variable_the_settings_do_not_read() -> None:
    spec = _app_spec()
    components = _app_components(spec).values()

    named = _keys(spec["envs"]).union(*(_keys(c.get("envs")) for c in components))

    assert named - settings_variables() == set()


def test_app_platform_worker_and_job_reach_the_database() -> None:
    spec = _app_spec()
    components = _app_components(spec)

    received = {
        name: _keys(spec["envs"]) | _keys(components[name].get("envs"))
        for name in ("release-migrate", "scheduler")
    }

    assert received["scheduler"] == settings_variables()
    assert "DATABASE_URL" in received["release-migrate"]


@pytest.mark.parametrize("service_type", ["web", "worker"])
def test_render_service_receives_every_variable(service_type: str) -> None:
    spec = _render_spec()
    service = next(s for s in spec["services"] if s["type"] == service_type)

    assert _render_service_keys(spec, service) == settings_variables()


def test_azure_steps_set_every_variable() -> None:
    text = AZURE.read_text()

    missing = {name for name in settings_variables() if name not in text}

    assert missing == set()


def test_compose_sets_only_variables_the_settings_read() -> None:
    services = load_yaml(COMPOSE)["services"]
    app_services = [services[name] for name in ("api", "migrate", "worker")]

    named = set().union(*(s.get("environment", {}) for s in app_services))

    assert named - settings_variables() == set()


def test_kubernetes_example_sets_every_variable() -> None:
    config = next(
        d for d in load_yaml_documents(KUBERNETES) if d["kind"] == "ConfigMap"
    )
    secrets = re.findall(r"--from-literal=([A-Z_]+)=", KUBERNETES.read_text())

    assert sorted([*config["data"], *secrets]) == sorted(settings_variables())
