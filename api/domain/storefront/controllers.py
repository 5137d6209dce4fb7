"""Storefront routes: decoration under ``shop:decorate``, preview under ``shop:preview_settings``."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.storefront import services
from api.domain.storefront.schemas import DecorationRead, DecorationWrite, PreviewRead, PreviewWrite
from api.guard import ShopScope
from api.routing import requires

__all__ = ["StorefrontController"]

Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]
Audit = NamedDependency[AuditContext]


class StorefrontController(Controller):
    path = "/storefront"
    tags = ["storefront"]

    @get("/decoration", **requires("shop:decorate"))
    async def get_decoration(self, shop_session: Session, shop_scope: Scope) -> DecorationRead:
        """The storefront's decoration (theme, colours, banners, home-page sections)."""
        return await services.get_decoration(shop_session, shop_scope.shop_id)

    @put("/decoration", **requires("shop:decorate"))
    async def save_decoration(self, shop_session: Session, shop_scope: Scope,
                              audit_context: Audit, data: JSONBody[DecorationWrite]
                              ) -> DecorationRead:
        """Replace the decoration; ``version`` is the one you read (409 if it moved on)."""
        return await services.save_decoration(shop_session, shop_scope.shop_id, data,
                                              shop_scope.user_id, audit_context)

    @get("/preview", **requires("shop:preview_settings"))
    async def get_preview(self, shop_session: Session, shop_scope: Scope) -> PreviewRead:
        """Preview settings: who sees the unpublished storefront, on which devices."""
        return await services.get_preview(shop_session, shop_scope.shop_id)

    @put("/preview", **requires("shop:preview_settings"))
    async def save_preview(self, shop_session: Session, shop_scope: Scope, audit_context: Audit,
                           data: JSONBody[PreviewWrite]) -> PreviewRead:
        return await services.save_preview(shop_session, shop_scope.shop_id, data,
                                           shop_scope.user_id, audit_context)
