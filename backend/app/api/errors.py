"""One handler renders every error as `{error, detail, ...}` JSON."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from app.errors import AppError, Unauthorized

logger = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _render_app_error)  # type: ignore[arg-type]
    app.add_exception_handler(
        RequestValidationError,
        _render_validation_error,  # type: ignore[arg-type]
    )
    app.add_exception_handler(IntegrityError, _render_integrity_error)  # type: ignore[arg-type]


async def _render_app_error(request: Request, exc: AppError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)


async def _render_validation_error(
    request: Request, exc: RequestValidationError
) -> JSONResponse:
    errors = [_describe(error) for error in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    first = errors[0] if errors else {"field": None, "value": None}
    body = {
        "error": "invalid_input",
        "detail": detail,
        "field": first["field"],
        "value": first["value"],
        "errors": errors,
    }
    return JSONResponse(body, status_code=422)


def _describe(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    value = error.get("input")
    if not isinstance(value, str | int | float | bool | None):
        value = str(value)
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return {"field": ".".join(location), "message": message, "value": value}


async def _render_integrity_error(
    request: Request, exc: IntegrityError
) -> JSONResponse:
    # Reached only when a service did not translate a constraint it knows about.
    logger.warning("integrity error", extra={"event": "integrity_error"})
    body = {"error": "conflict", "detail": "the change conflicts with existing data"}
    return JSONResponse(body, status_code=409)
