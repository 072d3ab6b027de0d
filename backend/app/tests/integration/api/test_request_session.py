from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from app.api.app import create_app
from app.api.deps import SessionDep
from app.settings import Settings

TOKEN = "session-test-token"


def test_a_commit_that_fails_is_answered_as_an_error_not_a_success(
    sqlite_url: str,
) -> None:
    app = create_app(
        Settings(database_url=sqlite_url, api_tokens=TOKEN, environment="test")
    )

    @app.post("/test/orphan-customer")
    def add_orphan(session: SessionDep) -> dict[str, str]:
        # The foreign key is only checked at commit, which the dependency does.
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        session.execute(
            text(
                "INSERT INTO customers (business_id, name, created_at)"
                " VALUES (999, 'nobody', '2025-01-01 00:00:00')"
            )
        )
        return {"status": "written"}

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/test/orphan-customer")

    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


def test_a_validation_error_names_the_field_and_value_at_the_top(
    api_client: TestClient,
) -> None:
    response = api_client.get("/api/v1/invoices/not-a-number")

    body = response.json()
    assert response.status_code == 422
    assert body["field"] == "path.invoice_id"
    assert body["value"] == "not-a-number"
    assert not body["errors"][0]["message"].startswith("Value error, ")
