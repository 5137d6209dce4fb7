"""Sign-in routes."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import UserPrincipal
from api.domain.audit.context import AuditContext
from api.domain.auth import services
from api.domain.auth.schemas import LoginRequest, LogoutRequest, RefreshRequest, TokenPair
from api.errors import ApiError, api_error_response
from api.routing import public, requires
from rbac.catalog import ACCOUNT_SELF

__all__ = ["AuthController"]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    # Login and refresh *return* their refusals instead of raising them: a raised error
    # rolls the transaction back, and the failed attempt (login rate limit) or the revoked
    # token family (refresh reuse) must be committed.

    @post("/login", **public(errors=(401, 429)), status_code=200)
    async def login(self, request: Request, state: State, db_session: NamedDependency[AsyncSession],
                    data: JSONBody[LoginRequest], audit_context: NamedDependency[AuditContext]
                    ) -> Response[TokenPair | dict[str, Any]]:
        """Exchange email and password for an access token and a refresh token."""
        outcome = await services.login(
            db_session, state.tokens, state.settings.auth, email=data.email,
            password=data.password, client=data.client, ip=_client_ip(request), ctx=audit_context)
        if outcome.error is not None:
            return api_error_response(request, outcome.error)
        return Response(outcome.tokens)

    @post("/refresh", **public(errors=(401,)), status_code=200)
    async def refresh(self, request: Request, state: State, db_session: NamedDependency[AsyncSession],
                      data: JSONBody[RefreshRequest]) -> Response[TokenPair | dict[str, Any]]:
        """Rotate a refresh token: the old one stops working, a new pair is returned."""
        result = await services.refresh(db_session, state.tokens, state.settings.auth,
                                        data.refresh_token)
        if isinstance(result, ApiError):
            return api_error_response(request, result)
        return Response(result)

    @post("/logout", **requires(ACCOUNT_SELF), status_code=204)
    async def logout(self, request: Request[UserPrincipal, Any, Any],
                     db_session: NamedDependency[AsyncSession],
                     data: JSONBody[LogoutRequest]) -> None:
        """Sign this device out: its refresh tokens, and its access tokens in every process."""
        await services.logout(db_session, request.app.state.settings.auth,
                              uuid.UUID(request.user.user_id), request.user.session_id,
                              data.refresh_token)

    @post("/logout-all", **requires(ACCOUNT_SELF), status_code=204)
    async def logout_all(self, request: Request[UserPrincipal, Any, Any],
                         db_session: NamedDependency[AsyncSession],
                         audit_context: NamedDependency[AuditContext]) -> None:
        """Sign out every session of this account, access tokens included, in every process."""
        await services.logout_everywhere(db_session, uuid.UUID(request.user.user_id),
                                         audit_context)
