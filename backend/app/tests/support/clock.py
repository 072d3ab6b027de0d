from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """A clock the test moves by hand; never sleeps."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def set(self, now: datetime) -> None:
        self.now = now
