from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from app.tests.support.faults import reject_notifications_for, remove_rejections


@pytest.fixture
def reject_notifications(engine: Engine) -> Iterator[Callable[[list[int]], None]]:
    """Make the database refuse notifications of given invoices, for one test."""
    yield lambda invoice_ids: reject_notifications_for(engine, invoice_ids)
    remove_rejections(engine)
