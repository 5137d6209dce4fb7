"""Who may invite whom, decided from the database for the caller the guard admitted."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError
from api.guard import ShopScope

__all__ = ["require_inviter"]

_STANDING = text(
    "SELECT (SELECT role FROM shop_members WHERE shop_id = :shop_id AND user_id = :user_id "
    "AND status = 'active') AS role, "
    "(SELECT platform_role FROM users WHERE id = :user_id) AS platform_role")


async def require_inviter(session: AsyncSession, scope: ShopScope, role: str) -> uuid.UUID:
    """The inviting staff member's id. A founder or senior admin invites into any grantable
    role; a platform admin with no managing role here places the firm's agents only."""
    user_id = scope.user_id
    assert user_id is not None  # staff:add is a staff permission: keys never get here
    standing = (await session.execute(_STANDING, {"shop_id": scope.shop_id,
                                                  "user_id": user_id})).one()
    if standing.role in {"founder", "senior_admin"}:
        return user_id
    if standing.platform_role == "platform_admin":
        if role != "agent":
            raise ApiError.forbidden("member.firm_places_agents_only",
                                     "The firm places its people into shops as agents only.",
                                     role=role)
        return user_id
    if standing.role is None:
        raise ApiError(404, "shop.not_found", "Shop not found.")
    raise ApiError(403, "permission.denied", "Your role lacks this permission.",
                   {"permission": "staff:add"})
