"""The clock a request reads "now" from; tests override `get_clock`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.clock import Clock, system_clock


def get_clock() -> Clock:
    return system_clock


ClockDep = Annotated[Clock, Depends(get_clock)]
