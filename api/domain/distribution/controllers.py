"""Distribution orders: the store pushes (``catalog:write``), admins list
(``distribution_orders:read``; agents may not: 不支持查看分销采购单)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.distribution import services
from api.domain.distribution.schemas import (
    DistributionOrderPush,
    DistributionOrderPushed,
    DistributionOrderRead,
    DistributionStatus,
)
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["DistributionController", "StoreDistributionController"]


class DistributionController(Controller):
    path = "/distribution-orders"
    tags = ["distribution"]

    @get("/", **requires("distribution_orders:read"))
    async def list_orders(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
        status: Annotated[DistributionStatus | None, QueryParameter()] = None,
    ) -> Page[DistributionOrderRead]:
        """Distribution purchase orders, newest first."""
        return await services.list_orders(shop_session, shop_scope.shop_id, limit=limit,
                                          cursor=cursor, status=status)


class StoreDistributionController(Controller):
    path = "/sync/distribution-orders"
    tags = ["distribution", "store-sync"]

    @put("/", **requires("catalog:write"))
    async def push_order(self, shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope],
                         audit_context: NamedDependency[AuditContext],
                         data: JSONBody[DistributionOrderPush]
                         ) -> Response[DistributionOrderPushed]:
        """Upsert a distribution order by the store's id (201 when new)."""
        pushed = await services.push_order(shop_session, shop_scope.shop_id, data, audit_context)
        return Response(pushed, status_code=201 if pushed.created else 200)
