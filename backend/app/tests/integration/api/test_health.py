from __future__ import annotations

from fastapi.testclient import TestClient


def test_liveness_answers_without_a_token(api_client: TestClient) -> None:
    del api_client.headers["Authorization"]

    response = api_client.get("/api/health/liveness")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
