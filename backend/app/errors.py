"""The one error type the service raises; the API renders it as JSON."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Something the caller can act on. Subclasses set the status and a stable code."""

    status_code: int = 400
    code: str = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, value: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.message}
        if self.field is not None:
            body["field"] = self.field
            body["value"] = self.value
        return body


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
