"""Naming a shop's founder: only at onboarding (roles.md rule 1)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.members.models import ShopMember
from rbac.catalog import ShopRole

__all__ = ["add_founder"]


async def add_founder(session: AsyncSession, shop_id: uuid.UUID, user_id: uuid.UUID,
                      added_by: uuid.UUID | None) -> ShopMember:
    """Insert the founder row. The transaction must be bound to ``shop_id``."""
    member = ShopMember(shop_id=shop_id, user_id=user_id, role=ShopRole.FOUNDER.value,
                        status="active", added_by=added_by)
    session.add(member)
    await session.flush()
    return member
