"""Small helpers shared by the member tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from api.db.shop_context import bind_shop
from tests.support.http import assert_error
from tests.support.paths import members_path, shop_path
from tests.support.world import Account, World

# assert_error, members_path and shop_path live in tests.support; re-exported for old imports.
__all__ = ["assert_error", "audit_entries", "member_row", "members_path", "quiet_staff",
           "shop_path"]


async def audit_entries(world: World, shop_id: uuid.UUID, action_prefix: str = "member."
                        ) -> list[dict[str, Any]]:
    """The shop's audit entries whose action starts with ``action_prefix``, oldest first."""
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        rows = await session.execute(text(
            "SELECT action, actor_id, target, details FROM audit_log "
            "WHERE shop_id = :shop AND action LIKE :prefix ORDER BY seq"),
            {"shop": shop_id, "prefix": action_prefix + "%"})
        return [dict(row._mapping) for row in rows]


async def member_row(world: World, shop_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any] | None:
    """The raw ``shop_members`` row, read as the API role inside the shop's context."""
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        row = (await session.execute(text(
            "SELECT * FROM shop_members WHERE shop_id = :shop AND user_id = :user"),
            {"shop": shop_id, "user": user_id})).first()
        return dict(row._mapping) if row else None


async def quiet_staff(world: World, shop_id: uuid.UUID, role: str) -> Account:
    """A member who never calls the API in the test (skips signing in: password hashing is slow)."""
    account = await world.user(prefix=role, login=False)
    await world.add_member(shop_id, account, role)
    return account
