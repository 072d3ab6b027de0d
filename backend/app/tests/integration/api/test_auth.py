from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.auth import TokenSettingsRefused, token_matches
from app.tests.support.operations import TOKEN, client_for, settings_for

# Everything a client may reach without a token: probes, metrics, and the API's
# description (it names the endpoints and reveals no data).
OPEN_ROUTES = {
    ("GET", "/api/health/liveness"),
    ("GET", "/api/health/readiness"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
PATH_VALUES = {"execution_id": str(uuid.uuid4())}
BAD_HEADERS = {
    "no header": None,
    "wrong token": f"Bearer {TOKEN}x",
    "a prefix of the token": f"Bearer {TOKEN[:-1]}",
    "empty token": "Bearer ",
    "another scheme": f"Basic {TOKEN}",
    "no scheme": TOKEN,
}


def every_route(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app serves, HEAD left to GET."""
    for route in iter_route_contexts(app.routes):
        assert route.path is not None
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, route.path


def concrete(path: str) -> str:
    """The path with each parameter filled: a uuid for runs, an id elsewhere."""
    return re.sub(r"{(\w+)}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with client_for(settings_for(database_url)) as client:
        client.headers.pop("Authorization")
        yield client


def call(client: TestClient, method: str, path: str, header: str | None) -> int:
    headers = {} if header is None else {"Authorization": header}
    response = client.request(method, concrete(path), headers=headers)
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"] == "unauthorized"
    status: int = response.status_code
    return status


def test_the_walk_covers_the_api(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)
    routes = set(every_route(client.app))

    assert routes >= OPEN_ROUTES
    assert ("POST", "/api/v1/scheduler/run") in routes
    assert len(routes) > len(OPEN_ROUTES) + 20


@pytest.mark.parametrize("case", BAD_HEADERS)
def test_no_route_but_health_metrics_and_docs_answers_without_a_valid_token(
    client: TestClient, case: str
) -> None:
    assert isinstance(client.app, FastAPI)

    answered = {
        (method, path)
        for method, path in every_route(client.app)
        if call(client, method, path, BAD_HEADERS[case]) != 401
    }

    assert answered == OPEN_ROUTES


def test_every_route_accepts_a_valid_token(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)

    refused = {
        (method, path)
        for method, path in every_route(client.app)
        if call(client, method, path, f"Bearer {TOKEN}") == 401
    }

    assert refused == set()


def test_any_of_several_tokens_is_accepted(database_url: str) -> None:
    settings = settings_for(database_url, api_tokens="first-token-abc,second-token-def")

    with client_for(settings) as client:
        statuses = [
            client.get(
                "/api/v1/scheduler/status", headers={"Authorization": f"Bearer {t}"}
            ).status_code
            for t in ("first-token-abc", "second-token-def", "third-token-ghi")
        ]

    assert statuses == [200, 200, 401]


def test_an_app_without_tokens_refuses_every_protected_request(
    database_url: str,
) -> None:
    settings = settings_for(database_url, api_tokens="")

    with client_for(settings) as client:
        response = client.get("/api/v1/scheduler/status")

    assert response.status_code == 401


def test_token_matching_is_exact() -> None:
    tokens = ("alpha-token", "beta-token")

    assert token_matches("beta-token", tokens)
    assert not token_matches("beta-toke", tokens)
    assert not token_matches("beta-tokenn", tokens)
    assert not token_matches("", tokens)
    assert not token_matches("alpha-token", ())


@pytest.mark.parametrize("tokens", ["", "changeme", "real-token-0123456789,secret"])
def test_production_refuses_to_start_without_real_tokens(
    sqlite_url: str, tokens: str
) -> None:
    settings = settings_for(sqlite_url, environment="production", api_tokens=tokens)

    with pytest.raises(TokenSettingsRefused, match="API_TOKENS"):
        create_app(settings)


def test_production_starts_with_a_real_token(sqlite_url: str) -> None:
    settings = settings_for(
        sqlite_url, environment="production", api_tokens="k3Jx9-real-token"
    )

    assert create_app(settings).state.api_tokens == ("k3Jx9-real-token",)
