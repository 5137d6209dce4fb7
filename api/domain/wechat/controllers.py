"""WeChat figures: overview (``wechat:overview``) and realtime (``wechat:realtime``, B for agents)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.wechat import services
from api.domain.wechat.schemas import WechatOverview, WechatRealtime
from api.guard import ShopScope
from api.routing import requires

__all__ = ["WechatController"]


class WechatController(Controller):
    path = "/wechat"
    tags = ["wechat"]

    @get("/overview", **requires("wechat:overview"))
    async def overview(self, shop_session: NamedDependency[AsyncSession],
                       shop_scope: NamedDependency[ShopScope]) -> WechatOverview:
        """查看微信概况: today's WeChat figures in the shop's time zone."""
        return await services.overview(shop_session, shop_scope.shop_id)

    @get("/realtime", **requires("wechat:realtime"))
    async def realtime(self, shop_session: NamedDependency[AsyncSession],
                       shop_scope: NamedDependency[ShopScope]) -> WechatRealtime:
        """查看微信实时信息: what is waiting on the WeChat channel right now."""
        return await services.realtime(shop_session, shop_scope.shop_id)
