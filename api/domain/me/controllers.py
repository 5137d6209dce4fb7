"""The signed-in user's own account."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import UserPrincipal
from api.domain.me import services
from api.domain.me.schemas import Me
from api.routing import requires
from rbac.catalog import ACCOUNT_SELF

__all__ = ["MeController"]


class MeController(Controller):
    path = "/me"
    tags = ["account"]

    @get("/", **requires(ACCOUNT_SELF))
    async def me(self, request: Request[UserPrincipal, Any, Any], state: State,
                 db_session: NamedDependency[AsyncSession]) -> Me:
        """Who I am, the client this token was issued to, and my role in each shop."""
        return await services.describe_me(db_session, state.authz, request.user)
