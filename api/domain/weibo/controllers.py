"""Weibo: admins read (``weibo:read``; agents may not: 不支持查看微博); the store pushes."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.weibo import services
from api.domain.weibo.schemas import MentionPush, MentionRead, WeiboAccountPush, WeiboRead
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["StoreWeiboController", "WeiboController"]

Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]
Audit = NamedDependency[AuditContext]


class WeiboController(Controller):
    path = "/weibo"
    tags = ["weibo"]

    @get("/", **requires("weibo:read"))
    async def summary(self, shop_session: Session, shop_scope: Scope) -> WeiboRead:
        """The bound Weibo account and how many mentions came in."""
        return await services.summary(shop_session, shop_scope.shop_id)

    @get("/mentions", **requires("weibo:read"))
    async def list_mentions(
        self, shop_session: Session, shop_scope: Scope,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[MentionRead]:
        """Mentions of the shop on Weibo, newest first."""
        return await services.list_mentions(shop_session, shop_scope.shop_id, limit=limit,
                                            cursor=cursor)


class StoreWeiboController(Controller):
    path = "/sync/weibo"
    tags = ["weibo", "store-sync"]

    @put("/account", **requires("catalog:write"))
    async def bind(self, shop_session: Session, shop_scope: Scope, audit_context: Audit,
                   data: JSONBody[WeiboAccountPush]) -> WeiboRead:
        """Bind (or rebind) the shop's Weibo account."""
        return await services.bind(shop_session, shop_scope.shop_id, data, audit_context)

    @delete("/account", **requires("catalog:write"))
    async def unbind(self, shop_session: Session, shop_scope: Scope, audit_context: Audit) -> None:
        await services.unbind(shop_session, shop_scope.shop_id, audit_context)

    @put("/mentions", **requires("catalog:write"))
    async def push_mention(self, shop_session: Session, shop_scope: Scope,
                           data: JSONBody[MentionPush]) -> Response[MentionRead]:
        """Upsert a mention by the store's id: 201 when new, 200 when already known."""
        mention, created = await services.push_mention(shop_session, shop_scope.shop_id, data)
        return Response(mention, status_code=201 if created else 200)
