"""The signed-in user's own account."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from api.domain.shops import services as shops
from api.domain.users import services
from api.domain.users.schemas import Me, MyShop, UserRead
from api.errors import ApiError
from api.routing import requires
from rbac.catalog import ACCOUNT_SELF

__all__ = ["MeController"]


class MeController(Controller):
    path = "/me"
    tags = ["account"]

    @get("/", **requires(ACCOUNT_SELF))
    async def me(self, request: Request[Principal, Any, Any], state: State,
                 db_session: NamedDependency[AsyncSession]) -> Me:
        """Who I am, the client this token was issued to, and my role in each shop."""
        user = await services.get_user(db_session, uuid.UUID(request.user.user_id))
        if user is None:
            raise ApiError(401, "auth.account_disabled", "This account no longer exists.")
        # Roles come from the live policy (what the guard decides with), never the token.
        roles = {uuid.UUID(shop): role
                 for shop, role in state.authz.policy.shops_of(request.user.user_id)}
        found = await shops.get_shops(db_session, list(roles))
        return Me(
            user=UserRead(id=user.id, email=user.email, display_name=user.display_name,
                          phone=user.phone, platform_role=user.platform_role),
            client=request.user.client.value,
            shops=[MyShop(shop_id=shop.id, slug=shop.slug, name=shop.name, status=shop.status,
                          role=roles[shop.id])
                   for shop in sorted(found.values(), key=lambda s: s.slug)],
        )
