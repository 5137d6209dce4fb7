"""Shop routes: onboarding and listing at the firm level, the rest under the shop's path."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.shops import services
from api.domain.shops.enums import ShopStatus
from api.domain.shops.models import Shop
from api.domain.shops.schemas import ShopCreate, ShopCreated, ShopRead, ShopSuspend, ShopUpdate
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["FirmShopController", "ShopController", "to_read"]


def to_read(shop: Shop) -> ShopRead:
    """The API's view of a shop."""
    return ShopRead(
        id=shop.id, slug=shop.slug, name=shop.name, timezone=shop.timezone,
        wechat_bound=shop.wechat_bound, contact_seller_enabled=shop.contact_seller_enabled,
        status=shop.status, suspended_reason=shop.suspended_reason,
        founder_removed=shop.founder_removed, created_at=shop.created_at,
        updated_at=shop.updated_at,
    )


class FirmShopController(Controller):
    """Firm-level shop routes (no shop in the path)."""

    path = "/shops"
    tags = ["shops"]

    @post("/", **requires("shops:create"))
    @idempotent
    async def create_shop(self, db_session: NamedDependency[AsyncSession], data: JSONBody[ShopCreate],
                          audit_context: NamedDependency[AuditContext], state: State) -> ShopCreated:
        """Onboard a shop and name its founder: an existing account by ``user_id`` (founder at
        once), or anyone by ``email`` (an invitation; the answer is the same whether or not an
        account has the address, and the shop has no founder until it is accepted)."""
        onboarded = await services.create_shop(db_session, data, audit_context,
                                               delivery=state.invitation_delivery)
        return ShopCreated(shop=to_read(onboarded.shop), founder_id=onboarded.founder_id,
                           invitation=onboarded.invitation)

    @get("/", **requires("shops:list"))
    async def list_shops(
        self, db_session: NamedDependency[AsyncSession],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter()] = None,
        status: Annotated[ShopStatus | None, QueryParameter()] = None,
    ) -> Page[ShopRead]:
        """Every shop the firm runs, ordered by slug."""
        page = await services.list_shops(db_session, limit=limit, cursor=cursor, status=status)
        return Page(items=[to_read(s) for s in page.items], next_cursor=page.next_cursor)


class ShopController(Controller):
    """Routes on one shop (mounted under ``/shops/{shop_id}``)."""

    path = "/"
    tags = ["shops"]

    @get("/", **requires("shop:settings"))
    async def get_shop(self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope]) -> ShopRead:
        """The shop's profile and settings."""
        return to_read(await services.get_shop(shop_session, shop_scope.shop_id))

    @patch("/", **requires("shop:settings"))
    async def update_shop(self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
                          data: JSONBody[ShopUpdate], audit_context: NamedDependency[AuditContext]) -> ShopRead:
        """Change the name, time zone, WeChat binding or contact-seller switch."""
        shop = await services.update_shop(shop_session, shop_scope.shop_id, data, audit_context)
        return to_read(shop)

    @post("/suspend", **requires("shops:suspend"), status_code=200)
    async def suspend(self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
                      data: JSONBody[ShopSuspend], audit_context: NamedDependency[AuditContext]) -> ShopRead:
        """Suspend the shop: its staff are refused until it is reactivated."""
        shop = await services.set_suspended(shop_session, shop_scope.shop_id, True, data.reason,
                                            audit_context)
        return to_read(shop)

    @post("/reactivate", **requires("shops:suspend"), status_code=200)
    async def reactivate(self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
                         audit_context: NamedDependency[AuditContext]) -> ShopRead:
        """Lift a suspension."""
        shop = await services.set_suspended(shop_session, shop_scope.shop_id, False, None,
                                            audit_context)
        return to_read(shop)
