"""Bearer-token authentication for every route not marked ``public``."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from api.auth.tokens import TokenService
from api.errors import ApiError

__all__ = ["BearerAuthMiddleware"]


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Turns ``Authorization: Bearer <jwt>`` into ``request.user`` (a ``Principal``)."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise ApiError(401, "auth.token_missing", "Sign in: this route needs an access token.")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "auth.token_malformed", "Use 'Authorization: Bearer <token>'.")
        tokens: TokenService = connection.app.state.tokens
        principal = tokens.verify(token.strip())
        return AuthenticationResult(user=principal, auth=token)
