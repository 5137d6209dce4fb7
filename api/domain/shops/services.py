"""Onboarding and running shops. Services never commit; the request does."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.shop_context import bind_shop
from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.invitations import services as invitations
from api.domain.invitations.schemas import InvitationRead
from api.domain.invitations.services import Delivery
from api.domain.shops import errors
from api.domain.shops.enums import ShopStatus
from api.domain.shops.models import Shop
from api.domain.shops.schemas import ShopCreate, ShopUpdate
from api.domain.shops.signals import ShopOnboarded
from api.domain.users import services as users
from api.errors import ApiError
from api.pagination import Page, paginate
from api.signals import is_subscribed, publish
from rbac.policy_store import record_change

__all__ = ["Onboarded", "create_shop", "get_shop", "get_shops", "list_shops", "lock_shop", "set_suspended",
           "update_shop"]

@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _check_timezone(name: str) -> str:
    # Only IANA names: ZoneInfo alone would also accept files like "localtime" or "posixrules".
    if name not in _known_timezones() or name in {"localtime", "Factory"}:
        raise ApiError.unprocessable("shop.invalid_timezone", f"Unknown time zone {name!r}.",
                                     timezone=name)
    return name


class Onboarded(NamedTuple):
    """A new shop, and its founder: a member already (by id) or invited (by e-mail)."""

    shop: Shop
    founder_id: uuid.UUID | None
    invitation: InvitationRead | None


async def create_shop(session: AsyncSession, data: ShopCreate, ctx: AuditContext, *,
                      delivery: Delivery | None = None) -> Onboarded:
    """Onboard a shop with its founder, named by ``user_id`` or invited by ``email``.

    By e-mail it is always an invitation, for a new address and an existing account alike:
    no account is created or looked up, and the answer is the same either way.
    ``delivery`` mails it (after commit); it is needed only for a founder named by e-mail.
    """
    _check_timezone(data.timezone)
    if not is_subscribed(ShopOnboarded):
        # Without the members slice listening, the shop would have no founder.
        raise RuntimeError("nothing writes the founder: call api.domain.members.founder.wire()")
    spec = data.founder
    if (spec.user_id is None) == (spec.email is None):
        raise ApiError.unprocessable("shop.founder_ambiguous",
                                     "Name the founder by exactly one of user_id or email.")
    if (await session.execute(select(Shop.id).where(Shop.slug == data.slug))).first():
        raise errors.slug_taken(data.slug)
    if spec.user_id is not None and await users.get_user(session, spec.user_id) is None:
        # The firm names its own accounts here: telling it an id is wrong reveals nothing.
        raise ApiError.unprocessable("shop.founder_not_found", "No user has this id.",
                                     user_id=str(spec.user_id))
    actor = uuid.UUID(ctx.actor_id) if ctx.actor_id else None
    shop = Shop(id=uuid.uuid4(), slug=data.slug, name=data.name, timezone=data.timezone,
                wechat_bound=data.wechat_bound,
                contact_seller_enabled=data.contact_seller_enabled, status=ShopStatus.ACTIVE)
    session.add(shop)
    await session.flush()
    # From here on the transaction writes the new shop's own rows.
    await bind_shop(session, shop.id)
    await publish(session, ShopOnboarded(shop.id, spec.user_id, actor))
    invitation = None
    if spec.email is not None:
        if delivery is None:
            raise RuntimeError("a founder invited by e-mail needs a Delivery to mail it")
        invitation = await invitations.invite(session, shop.id, email=spec.email,
                                              role="founder", invited_by=actor, ctx=ctx,
                                              delivery=delivery, allow_founder=True)
    await record_change(session, "shop", shop_id=shop.id)
    details = {"slug": shop.slug,
               "founder_id": str(spec.user_id) if spec.user_id else None,
               "invitation_id": str(invitation.id) if invitation else None}
    await audit.record(session, ctx, shop_id=shop.id, action="shop.created", target=str(shop.id),
                       details=details)
    await audit.record_firm(session, ctx, action="shop.created", target=str(shop.id),
                            details=details)
    await session.refresh(shop)
    return Onboarded(shop, spec.user_id, invitation)


async def get_shop(session: AsyncSession, shop_id: uuid.UUID) -> Shop:
    shop = await session.get(Shop, shop_id)
    if shop is None:
        raise ApiError.not_found("shop")
    return shop


async def lock_shop(session: AsyncSession, shop_id: uuid.UUID) -> Shop:
    """The shop, its row locked until commit: changes to one shop run one at a time.

    A waiting caller reads the row as the previous change committed it, so checks such as
    "already suspended" see the latest state instead of the one before the lock.
    """
    shop = (await session.execute(
        select(Shop).where(Shop.id == shop_id).with_for_update()
        .execution_options(populate_existing=True))).scalar_one_or_none()
    if shop is None:
        raise ApiError.not_found("shop")
    return shop


async def get_shops(session: AsyncSession, shop_ids: list[uuid.UUID]) -> dict[uuid.UUID, Shop]:
    """The shops with these ids, by id (the registry is not shop-scoped)."""
    if not shop_ids:
        return {}
    rows = (await session.execute(select(Shop).where(Shop.id.in_(shop_ids)))).scalars()
    return {shop.id: shop for shop in rows}


async def list_shops(session: AsyncSession, *, limit: int, cursor: str | None,
                     status: str | None) -> Page[Shop]:
    """Every shop, by slug (firm roles only: the guard checks ``shops:list``)."""
    query = select(Shop)
    if status is not None:
        query = query.where(Shop.status == status)
    return await paginate(session, query, order_by=(Shop.slug,), kinds=(str,), cursor=cursor,
                          limit=limit)


async def update_shop(session: AsyncSession, shop_id: uuid.UUID, data: ShopUpdate,
                      ctx: AuditContext) -> Shop:
    """Change the shop's profile and settings; audited, and journalled when WeChat flips."""
    shop = await lock_shop(session, shop_id)
    changes: dict[str, Any] = {}
    for field in ("name", "timezone", "wechat_bound", "contact_seller_enabled"):
        value = getattr(data, field)
        if value is not None and value != getattr(shop, field):
            if field == "timezone":
                _check_timezone(value)
            changes[field] = {"from": getattr(shop, field), "to": value}
            setattr(shop, field, value)
    if not changes:
        return shop
    await session.flush()
    if "wechat_bound" in changes:
        # B rows of the matrix follow this flag: every process must re-decide at once.
        await record_change(session, "shop", shop_id=shop.id)
    await audit.record(session, ctx, shop_id=shop.id, action="shop.updated", target=str(shop.id),
                       details=changes)
    await session.refresh(shop)
    return shop


async def set_suspended(session: AsyncSession, shop_id: uuid.UUID, suspended: bool,
                        reason: str | None, ctx: AuditContext) -> Shop:
    """Suspend or reactivate the shop; a second identical request gets a 409."""
    shop = await lock_shop(session, shop_id)
    target_status = ShopStatus.SUSPENDED if suspended else ShopStatus.ACTIVE
    if shop.status == target_status:
        code = "shop.already_suspended" if suspended else "shop.not_suspended"
        raise ApiError.conflict(code, f"The shop is already {shop.status}.")
    shop.status = target_status
    shop.suspended_reason = reason if suspended else None
    await session.flush()
    await record_change(session, "shop", shop_id=shop.id)
    await audit.record(session, ctx, shop_id=shop.id,
                       action="shop.suspended" if suspended else "shop.reactivated",
                       target=str(shop.id), details={"reason": reason} if reason else {})
    # The firm's own chain keeps onboarding-level events too.
    await audit.record_firm(session, ctx,
                            action="shop.suspended" if suspended else "shop.reactivated",
                            target=str(shop.id), details={"reason": reason} if reason else {})
    await session.refresh(shop)
    return shop
