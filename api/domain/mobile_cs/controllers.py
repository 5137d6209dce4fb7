"""Mobile CS settings under ``cs:mobile_settings`` (admins may not set them: seed 000)."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.mobile_cs import services
from api.domain.mobile_cs.schemas import MobileSettingsRead, MobileSettingsWrite
from api.guard import ShopScope
from api.routing import requires

__all__ = ["MobileCsController"]


class MobileCsController(Controller):
    path = "/cs/mobile-settings"
    tags = ["cs"]

    @get("/", **requires("cs:mobile_settings"))
    async def get_settings(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope]) -> MobileSettingsRead:
        return await services.get_settings(shop_session, shop_scope.shop_id)

    @put("/", **requires("cs:mobile_settings"))
    async def save_settings(self, shop_session: NamedDependency[AsyncSession],
                            shop_scope: NamedDependency[ShopScope],
                            audit_context: NamedDependency[AuditContext],
                            data: JSONBody[MobileSettingsWrite]) -> MobileSettingsRead:
        """Replace the settings; ``version`` is the one you read (409 if it moved on)."""
        return await services.save_settings(shop_session, shop_scope.shop_id, data,
                                            shop_scope.user_id, audit_context)
