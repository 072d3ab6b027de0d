"""Every operation of the OpenAPI schema, fed generated requests: no 5xx answer."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from app.api.app import create_app
from app.tests.support.operations import TOKEN, settings_for

# Schemathesis's coverage phase sends each operation's boundary and invalid
# values first; a few generated examples more keep each database's run near
# half a minute. derandomize makes every run send the same requests.
EXAMPLES_PER_OPERATION = 8


# The schema needs no database: read it from an app that is never started.
schema = schemathesis.openapi.from_dict(create_app(settings_for("sqlite://")).openapi())


@pytest.fixture
def app(database_url: str) -> FastAPI:
    """The app the generated requests reach, in process, on its own database."""
    return create_app(settings_for(database_url))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case: Any, app: FastAPI) -> None:
    case.call_and_validate(
        app=app,
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=[not_a_server_error],
    )
