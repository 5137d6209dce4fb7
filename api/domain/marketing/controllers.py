"""Marketing apps: admins read (``marketing_apps:read``; agents may not: 应用营销);
the store pushes each app's state (``catalog:write``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.marketing import services
from api.domain.marketing.schemas import MarketingApp, MarketingAppPush
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["MarketingController", "StoreMarketingController"]


class MarketingController(Controller):
    path = "/marketing/apps"
    tags = ["marketing"]

    @get("/", **requires("marketing_apps:read"))
    async def list_apps(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
        enabled: Annotated[bool | None, QueryParameter()] = None,
    ) -> Page[MarketingApp]:
        """The shop's marketing apps and their configuration."""
        return await services.list_apps(shop_session, shop_scope.shop_id, limit=limit,
                                        cursor=cursor, enabled=enabled)


class StoreMarketingController(Controller):
    path = "/sync/marketing-apps"
    tags = ["marketing", "store-sync"]

    @put("/", **requires("catalog:write"))
    async def push_app(self, shop_session: NamedDependency[AsyncSession],
                       shop_scope: NamedDependency[ShopScope],
                       audit_context: NamedDependency[AuditContext],
                       data: JSONBody[MarketingAppPush]
                       ) -> MarketingApp:
        """Upsert one app by its key (lower-case letters, digits, underscores)."""
        return await services.push_app(shop_session, shop_scope.shop_id, data, audit_context)
