"""Trade and logistics under ``trade_logistics:read`` (agents may not: 交易及物流列表)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.trade import services
from api.domain.trade.schemas import Stage, TradeRow, TradeSummary
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["TradeController"]

_SHORT = r"^[^\x00]{1,200}$"


class TradeController(Controller):
    path = "/trade"
    tags = ["trade"]

    @get("/logistics", **requires("trade_logistics:read"))
    async def list_trades(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
        stage: Annotated[Stage | None, QueryParameter()] = None,
        carrier: Annotated[str | None, QueryParameter(pattern=_SHORT)] = None,
        tracking_number: Annotated[str | None, QueryParameter(pattern=_SHORT)] = None,
    ) -> Page[TradeRow]:
        """Orders with their fulfilment stage, carrier and tracking number, newest first."""
        return await services.list_trades(shop_session, shop_scope.shop_id, limit=limit,
                                          cursor=cursor, stage=stage, carrier=carrier,
                                          tracking_number=tracking_number)

    @get("/summary", **requires("trade_logistics:read"))
    async def summary(self, shop_session: NamedDependency[AsyncSession],
                      shop_scope: NamedDependency[ShopScope]) -> TradeSummary:
        """How many orders are at each stage."""
        return await services.summary(shop_session, shop_scope.shop_id)
