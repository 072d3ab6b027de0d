"""The clock a request reads "now" from: the app's own, so tests can replace it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.clock import Clock, system_clock


def get_clock(request: Request) -> Clock:
    """`app.state.clock` (create_app sets the system clock), else the system clock."""
    clock: Clock = getattr(request.app.state, "clock", system_clock)
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
