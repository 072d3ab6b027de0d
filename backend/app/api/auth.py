"""Bearer-token authentication for every route but health and metrics."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import Unauthorized

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
