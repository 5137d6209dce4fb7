"""The signed-in user's own account."""

from __future__ import annotations

from litestar.di import NamedDependency
import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from api.domain.users import services
from api.domain.users.schemas import UserRead
from api.errors import ApiError
from api.routing import requires
from rbac.catalog import ACCOUNT_SELF

__all__ = ["MeController"]


class MyShop(msgspec.Struct):
    shop_id: uuid.UUID
    role: str


class Me(msgspec.Struct):
    user: UserRead
    client: str
    shops: list[MyShop]


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
        shops = sorted(state.authz.policy.shops_of(request.user.user_id))
        return Me(
            user=UserRead(id=user.id, email=user.email, display_name=user.display_name,
                          phone=user.phone, platform_role=user.platform_role),
            client=request.user.client.value,
            shops=[MyShop(shop_id=uuid.UUID(shop), role=role) for shop, role in shops],
        )
