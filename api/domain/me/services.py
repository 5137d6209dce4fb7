"""Who the caller is, composed from the users and shops slices' public services.

A slice of its own so that neither ``users`` nor ``shops`` needs the other: ``shops`` names
its founder through ``users``, and ``me`` reads both.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import UserPrincipal
from api.domain.me.schemas import Me, MyShop
from api.domain.shops import services as shops
from api.domain.users import services as users
from api.domain.users.schemas import UserRead
from api.errors import ApiError
from rbac.runtime import AuthzRuntime

__all__ = ["describe_me"]


async def describe_me(session: AsyncSession, runtime: AuthzRuntime, principal: UserPrincipal) -> Me:
    """Who the caller is, the client the token was issued to, and their role in each shop."""
    user = await users.get_user(session, uuid.UUID(principal.user_id))
    if user is None:
        raise ApiError(401, "auth.account_disabled", "This account no longer exists.")
    assert runtime.policy is not None  # the lifespan builds it before serving
    # Roles come from the live policy (what the guard decides with), never the token.
    roles = {uuid.UUID(shop): role for shop, role in runtime.policy.shops_of(principal.user_id)}
    found = await shops.get_shops(session, list(roles))
    return Me(
        user=UserRead(id=user.id, email=user.email, display_name=user.display_name,
                      phone=user.phone, platform_role=user.platform_role),
        client=principal.client.value,
        shops=[MyShop(shop_id=shop.id, slug=shop.slug, name=shop.name, status=shop.status,
                      role=roles[shop.id])
               for shop in sorted(found.values(), key=lambda s: s.slug)],
    )
