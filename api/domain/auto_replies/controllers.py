"""Auto-reply routes under ``/shops/{shop_id}/auto-replies`` (营销 > 自动回复).

Read with ``auto_replies:read``, written with ``auto_replies:write`` (which includes
hosting, 信息托管). The engine the inbound path calls is ``engine.automatic_reply``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.auto_replies import services
from api.domain.auto_replies.schemas import (
    AutoReplyRuleCreate,
    AutoReplyRuleRead,
    AutoReplyRuleUpdate,
    HostingRead,
    HostingWrite,
)
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["AutoReplyController"]

Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]
Audit = NamedDependency[AuditContext]


class AutoReplyController(Controller):
    path = "/auto-replies"
    tags = ["auto-replies"]

    @get("/", **requires("auto_replies:read"))
    async def list_rules(self, shop_session: Session, shop_scope: Scope,
                         limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                         cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
                         ) -> Page[AutoReplyRuleRead]:
        """Keyword rules, oldest first."""
        return await services.list_rules(shop_session, shop_scope.shop_id, limit=limit,
                                         cursor=cursor)

    @post("/", **requires("auto_replies:write"))
    @idempotent
    async def create_rule(self, shop_session: Session, shop_scope: Scope,
                          data: JSONBody[AutoReplyRuleCreate], audit_context: Audit) -> AutoReplyRuleRead:
        """A keyword rule: exact (全匹配) or contains (模糊匹配); highest priority wins."""
        rule = await services.create_rule(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                          data)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="auto_reply.create", target=str(rule.id))
        return rule

    @get("/hosting", **requires("auto_replies:read"))
    async def get_hosting(self, shop_session: Session, shop_scope: Scope) -> HostingRead:
        """The shop's hosting (信息托管) settings; ``configured`` false until first saved."""
        return await services.get_hosting(shop_session, shop_scope.shop_id)

    @put("/hosting", **requires("auto_replies:write"))
    async def put_hosting(self, shop_session: Session, shop_scope: Scope,
                          data: JSONBody[HostingWrite], audit_context: Audit) -> HostingRead:
        """Replace the hosting settings: windows in the shop's timezone, weekdays, waits."""
        hosting = await services.put_hosting(shop_session, shop_scope.shop_id,
                                             shop_scope.user_id, data)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="hosting.update", details={"enabled": data.enabled})
        return hosting

    @get("/{rule_id:uuid}", **requires("auto_replies:read"))
    async def get_rule(self, shop_session: Session, shop_scope: Scope,
                       rule_id: FromPath[uuid.UUID]) -> AutoReplyRuleRead:
        return await services.get_rule(shop_session, shop_scope.shop_id, rule_id)

    @patch("/{rule_id:uuid}", **requires("auto_replies:write"))
    async def update_rule(self, shop_session: Session, shop_scope: Scope,
                          rule_id: FromPath[uuid.UUID], data: JSONBody[AutoReplyRuleUpdate],
                          audit_context: Audit) -> AutoReplyRuleRead:
        rule = await services.update_rule(shop_session, shop_scope.shop_id, rule_id, data)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="auto_reply.update", target=str(rule_id))
        return rule

    @delete("/{rule_id:uuid}", **requires("auto_replies:write"))
    async def delete_rule(self, shop_session: Session, shop_scope: Scope,
                          rule_id: FromPath[uuid.UUID], audit_context: Audit) -> None:
        await services.delete_rule(shop_session, shop_scope.shop_id, rule_id)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="auto_reply.delete", target=str(rule_id))
