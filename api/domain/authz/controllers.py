"""The auditors' view of authorization in one shop (mounted under ``/shops/{shop_id}``)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.authz import services
from api.domain.authz.schemas import ExplainRequest, Explanation, PolicyExport, RoleMatrix, RouteMap
from api.guard import ShopScope
from api.routing import requires

__all__ = ["AuthzController"]


class AuthzController(Controller):
    """Role matrix, route map, decision explanations and policy export, for auditors."""

    path = "/authz"
    tags = ["authorization"]

    @get("/matrix", **requires("audit:read"))
    async def matrix(self, request: Request[Any, Any, Any],
                     shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope]) -> RoleMatrix:
        """Each permission's cell for every role, and each active member's role here."""
        return await services.role_matrix(shop_session, request.app.state.authz,
                                          shop_scope.shop_id)

    @get("/routes", **requires("audit:read"))
    async def routes(self, request: Request[Any, Any, Any],
                     shop_scope: NamedDependency[ShopScope]) -> RouteMap:
        """Every route of the API with the permission the guard checks for it."""
        return RouteMap(routes=services.route_map(request.app))

    @post("/explain", **requires("audit:read"), status_code=200)
    async def explain(self, request: Request[Any, Any, Any],
                      shop_scope: NamedDependency[ShopScope],
                      data: JSONBody[ExplainRequest]) -> Explanation:
        """Would this user be allowed this permission here, from this client, and why."""
        return services.explain(request.app.state.authz, shop_scope.shop_id, data)

    @get("/export", **requires("audit:read"))
    async def export(self, request: Request[Any, Any, Any],
                     shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope],
                     audit_context: NamedDependency[AuditContext]) -> PolicyExport:
        """The Casbin model and policy deciding this shop, for any Casbin implementation."""
        return await services.export_policy(shop_session, request.app.state.authz,
                                            shop_scope.shop_id, audit_context)
