"""Naming a shop's founder: only at onboarding (roles.md rule 1)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.members.enums import MemberStatus
from api.domain.members.models import ShopMember
from api.domain.shops.signals import ShopOnboarded
from api.signals import subscribe
from rbac.catalog import ShopRole

__all__ = ["add_founder", "wire"]


async def add_founder(session: AsyncSession, signal: ShopOnboarded) -> None:
    """Insert the founder row, if onboarding named an account. The transaction is bound to
    the new shop; an invited founder's row is written when the invitation is accepted."""
    if signal.founder_id is None:
        return
    session.add(ShopMember(shop_id=signal.shop_id, user_id=signal.founder_id,
                           role=ShopRole.FOUNDER.value, status=MemberStatus.ACTIVE,
                           added_by=signal.added_by))
    await session.flush()


def wire() -> None:
    """Subscribe the members slice to onboarding (idempotent; the app and CLI call it)."""
    subscribe(ShopOnboarded, add_founder)
