"""The firm sets each shop's limits: ``/shops/{shop_id}/rate-limits``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.rate_limits.schemas import RateLimitsRead, RateLimitsSet
from api.guard import ShopScope
from api.routing import requires
from api.settings import RateLimitSettings

__all__ = ["RateLimitController"]

PERMISSION = "shops:configure_limits"


async def _read(session: AsyncSession, scope: ShopScope,
                defaults: RateLimitSettings) -> RateLimitsRead:
    row = (await session.execute(text(
        "SELECT per_key, per_shop, window_seconds, updated_by, updated_at FROM shop_rate_limits "
        "WHERE shop_id = :s"), {"s": scope.shop_id})).first()
    if row is None:
        return RateLimitsRead(per_key=defaults.per_key, per_shop=defaults.per_shop,
                              window_seconds=defaults.window_seconds, custom=False,
                              updated_by=None, updated_at=None)
    return RateLimitsRead(**row._asdict(), custom=True)


def _defaults(request: Request[Any, Any, Any]) -> RateLimitSettings:
    return request.app.state.settings.rate_limits


class RateLimitController(Controller):
    """How many requests a shop's integration keys may make (firm: ``platform_admin``)."""

    path = "/rate-limits"
    tags = ["rate limits"]

    @get("/", **requires(PERMISSION))
    async def get_limits(self, request: Request[Any, Any, Any],
                         shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope]) -> RateLimitsRead:
        """The limits in force for the shop's integration keys."""
        return await _read(shop_session, shop_scope, _defaults(request))

    @put("/", **requires(PERMISSION))
    async def set_limits(self, request: Request[Any, Any, Any],
                         shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope], data: JSONBody[RateLimitsSet],
                         audit_context: NamedDependency[AuditContext]) -> RateLimitsRead:
        """Set the shop's own limits; every server process applies them on the next request."""
        await shop_session.execute(text(
            "INSERT INTO shop_rate_limits (shop_id, per_key, per_shop, window_seconds, "
            "updated_by) VALUES (:s, :pk, :ps, :w, :by) ON CONFLICT (shop_id) DO UPDATE SET "
            "per_key = EXCLUDED.per_key, per_shop = EXCLUDED.per_shop, "
            "window_seconds = EXCLUDED.window_seconds, updated_by = EXCLUDED.updated_by, "
            "updated_at = now()"), {"s": shop_scope.shop_id, "pk": data.per_key,
                                    "ps": data.per_shop, "w": data.window_seconds,
                                    "by": shop_scope.user_id})
        await record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                     action="rate_limits.set", details={
                         "per_key": data.per_key, "per_shop": data.per_shop,
                         "window_seconds": data.window_seconds})
        return await _read(shop_session, shop_scope, _defaults(request))

    @delete("/", **requires(PERMISSION), status_code=200)
    async def reset_limits(self, request: Request[Any, Any, Any],
                           shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope],
                           audit_context: NamedDependency[AuditContext]) -> RateLimitsRead:
        """Back to the deployment's defaults."""
        await shop_session.execute(text("DELETE FROM shop_rate_limits WHERE shop_id = :s"),
                                   {"s": shop_scope.shop_id})
        await record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                     action="rate_limits.reset", details={})
        return await _read(shop_session, shop_scope, _defaults(request))
