"""Bearer authentication for every route not marked ``public``.

``Authorization: Bearer <jwt>`` is a staff member's access token; ``Authorization: Bearer
sdk_...`` is a shop's integration key. Either becomes ``request.user`` (a ``Principal``);
what the caller may do is the guard's business.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from api.auth.integration_keys import KeyCache, looks_like_key
from api.auth.tokens import TokenService
from api.errors import ApiError

__all__ = ["BearerAuthMiddleware"]


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise ApiError(401, "auth.token_missing", "Sign in: this route needs an access token.")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "auth.token_malformed", "Use 'Authorization: Bearer <token>'.")
        if looks_like_key(token):
            keys: KeyCache = connection.app.state.integration_keys
            return AuthenticationResult(user=await keys.authenticate(token), auth=None)
        tokens: TokenService = connection.app.state.tokens
        return AuthenticationResult(user=tokens.verify(token), auth=None)
