"""Sign-in routes."""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import JSONBody
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from api.domain.audit.context import AuditContext
from api.domain.auth import services
from api.domain.auth.schemas import LoginRequest, LogoutRequest, RefreshRequest, TokenPair
from api.errors import ApiError, error_response
from api.routing import public, requires
from rbac.catalog import ACCOUNT_SELF

__all__ = ["AuthController"]


def _refusal(request: Request, error: ApiError) -> Response[dict[str, Any]]:
    # Returned, not raised: the failed attempt must still be committed (it feeds the limit).
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    if error.status == 429:
        headers = {"Retry-After": str(error.details.get("retry_after_seconds", 60))}
    return error_response(request, error.status, error.code, error.message, error.details, headers)


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/login", **public(), status_code=200)
    async def login(self, request: Request, state: State, db_session: NamedDependency[AsyncSession],
                    data: JSONBody[LoginRequest], audit_context: NamedDependency[AuditContext]) -> Response[Any]:
        """Exchange email and password for an access token and a refresh token."""
        outcome = await services.login(
            db_session, state.tokens, state.settings.auth, email=data.email,
            password=data.password, client=data.client,
            ip=request.client.host if request.client else "unknown", ctx=audit_context)
        if outcome.error is not None:
            return _refusal(request, outcome.error)
        return Response(outcome.tokens)

    @post("/refresh", **public(), status_code=200)
    async def refresh(self, request: Request, state: State, db_session: NamedDependency[AsyncSession],
                      data: JSONBody[RefreshRequest]) -> Response[Any]:
        """Rotate a refresh token: the old one stops working, a new pair is returned."""
        result = await services.refresh(db_session, state.tokens, state.settings.auth,
                                        data.refresh_token)
        if isinstance(result, ApiError):
            return _refusal(request, result)
        return Response(result)

    @post("/logout", **requires(ACCOUNT_SELF), status_code=204)
    async def logout(self, request: Request[Principal, Any, Any], db_session: NamedDependency[AsyncSession],
                     data: JSONBody[LogoutRequest]) -> None:
        """Sign this device out (revokes the refresh token's family)."""
        import uuid

        await services.logout(db_session, uuid.UUID(request.user.user_id), data.refresh_token)

    @post("/logout-all", **requires(ACCOUNT_SELF), status_code=204)
    async def logout_all(self, request: Request[Principal, Any, Any], db_session: NamedDependency[AsyncSession],
                         audit_context: NamedDependency[AuditContext]) -> None:
        """Sign out every session of this account, access tokens included, in every process."""
        import uuid

        await services.logout_everywhere(db_session, uuid.UUID(request.user.user_id), audit_context)



