"""Fixtures for API tests: a frozen clock inside the app, committed rows."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.tests.support.clock import FakeClock


@pytest.fixture
def api_clock(api_client: TestClient, clock: FakeClock) -> FakeClock:
    """The app under test reads "now" from `clock` (2025-03-15 12:00 UTC)."""
    app = api_client.app
    assert isinstance(app, FastAPI)
    app.state.clock = clock
    return clock
