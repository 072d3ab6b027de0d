"""Bearer-token authentication for every route but health and metrics."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import Unauthorized
from app.settings import Environment, Settings

GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class TokenSettingsRefused(Exception):
    """API_TOKENS cannot protect a production deployment; the service does not start."""


def check_token_settings(settings: Settings) -> None:
    """In production, refuse to start without tokens or with a placeholder token."""
    if settings.environment is not Environment.PRODUCTION:
        return
    if not settings.api_tokens:
        raise TokenSettingsRefused(
            "API_TOKENS is empty: with ENVIRONMENT=production the service does not "
            f"start without a token. Generate one with: {GENERATE_HINT}"
        )
    if settings.placeholder_tokens():
        raise TokenSettingsRefused(
            "API_TOKENS holds a placeholder value (such as 'changeme'): with "
            f"ENVIRONMENT=production use random tokens, e.g. from: {GENERATE_HINT}"
        )


_bearer = HTTPBearer(auto_error=False, description="A token from API_TOKENS.")


def token_matches(given: str, tokens: tuple[str, ...]) -> bool:
    """Constant-time comparison against every accepted token."""
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given.encode(), token.encode())
    return matched


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    tokens: tuple[str, ...] = request.app.state.api_tokens
    if credentials is None:
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    if not token_matches(credentials.credentials, tokens):
        raise Unauthorized("invalid bearer token")


Authenticated = [Depends(require_token)]
