"""Customer routes of the desk: profiles, tags, levels and their rules, points."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.customer_profile import levels, points, services, tags
from api.domain.customer_profile.schemas import (
    ConversationSummary,
    CustomerProfile,
    CustomerSummary,
    LedgerEntry,
    LevelIn,
    LevelPatch,
    LevelRead,
    LevelSet,
    PointsIssue,
    PointsRuleIn,
    PointsRulePatch,
    PointsRuleRead,
    TagIn,
    TagPatch,
    TagRead,
)
from api.domain.orders.controllers import order_read
from api.domain.orders.schemas import OrderRead
from api.domain.orders.services import OrderFilter, list_orders
from api.domain.store_actions.schemas import IdempotencyKey
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["CustomerLevelController", "CustomerProfileController", "CustomerTagController",
           "PointsRuleController"]

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, QueryParameter(max_length=500)]
Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]
Audit = NamedDependency[AuditContext]
CustomerId = FromPath[uuid.UUID]


class CustomerProfileController(Controller):
    path = "/customers"
    tags = ["customers"]

    @get("/", **requires("customers:read"))
    async def list_customers(
        self, shop_session: Session, shop_scope: Scope, limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None, tag_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        level_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Page[CustomerSummary]:
        """访问"客户"频道: customers newest first, by tag or level."""
        page = await services.list_customers(shop_session, shop_scope.shop_id, limit=limit,
                                             cursor=cursor, tag_id=tag_id, level_id=level_id)
        return Page(items=[CustomerSummary(**r._asdict()) for r in page.items],
                    next_cursor=page.next_cursor)

    @get("/{customer_id:uuid}", **requires("customers:read"))
    async def get_customer(self, shop_session: Session, shop_scope: Scope,
                           customer_id: CustomerId) -> CustomerProfile:
        profile = await services.get_profile(shop_session, shop_scope.shop_id, customer_id)
        return CustomerProfile(
            **{**profile, "tags": [TagRead(**t) for t in profile["tags"]],
               "level": LevelRead(**profile["level"]) if profile["level"] else None})

    @get("/{customer_id:uuid}/conversations", **requires("customers:read"))
    async def conversations(self, shop_session: Session, shop_scope: Scope,
                            customer_id: CustomerId, limit: Limit = DEFAULT_LIMIT,
                            cursor: Cursor = None) -> Page[ConversationSummary]:
        page = await services.customer_conversations(shop_session, shop_scope.shop_id,
                                                     customer_id, limit=limit, cursor=cursor)
        return Page(items=[ConversationSummary(**r._asdict()) for r in page.items],
                    next_cursor=page.next_cursor)

    @get("/{customer_id:uuid}/orders", **requires("customers:read"))
    async def orders(self, shop_session: Session, shop_scope: Scope, customer_id: CustomerId,
                     limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[OrderRead]:
        await services.ensure_customer(shop_session, shop_scope.shop_id, customer_id)
        page = await list_orders(shop_session, shop_scope.shop_id,
                                 OrderFilter(customer_id=customer_id), limit=limit, cursor=cursor)
        return Page(items=[order_read(r) for r in page.items], next_cursor=page.next_cursor)

    @get("/{customer_id:uuid}/points", **requires("customers:read"))
    async def ledger(self, shop_session: Session, shop_scope: Scope, customer_id: CustomerId,
                     limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[LedgerEntry]:
        page = await points.ledger(shop_session, shop_scope.shop_id, customer_id, limit=limit,
                                   cursor=cursor)
        return Page(items=[LedgerEntry(**r._asdict()) for r in page.items],
                    next_cursor=page.next_cursor)

    @post("/{customer_id:uuid}/points", **requires("points:issue"))
    async def issue_points(self, shop_session: Session, shop_scope: Scope,
                           customer_id: CustomerId, data: JSONBody[PointsIssue],
                           audit_context: Audit, idempotency_key: IdempotencyKey = None
                           ) -> LedgerEntry:
        """发放积分 (a negative delta deducts); the balance never goes below zero."""
        row = await points.issue(shop_session, shop_scope.shop_id, customer_id, data,
                                 user_id=shop_scope.user_id, idempotency_key=idempotency_key,
                                 audit_context=audit_context)
        fields = row._asdict()
        fields.pop("customer_id", None)
        return LedgerEntry(**fields)

    @put("/{customer_id:uuid}/level", status_code=204, **requires("customer_levels:set"))
    async def set_level(self, shop_session: Session, shop_scope: Scope,
                        customer_id: CustomerId, data: JSONBody[LevelSet],
                        audit_context: Audit) -> None:
        await levels.set_level(shop_session, shop_scope.shop_id, customer_id, data.level_id,
                               audit_context)

    @put("/{customer_id:uuid}/tags/{tag_id:uuid}", status_code=204,
         **requires("customer_tags:assign"))
    async def assign_tag(self, shop_session: Session, shop_scope: Scope,
                         customer_id: CustomerId, tag_id: FromPath[uuid.UUID],
                         audit_context: Audit) -> None:
        await tags.assign(shop_session, shop_scope.shop_id, customer_id, tag_id,
                          shop_scope.user_id, audit_context)

    @delete("/{customer_id:uuid}/tags/{tag_id:uuid}", **requires("customer_tags:assign"))
    async def unassign_tag(self, shop_session: Session, shop_scope: Scope,
                           customer_id: CustomerId, tag_id: FromPath[uuid.UUID],
                           audit_context: Audit) -> None:
        await tags.unassign(shop_session, shop_scope.shop_id, customer_id, tag_id,
                            audit_context)


class CustomerTagController(Controller):
    path = "/customer-tags"
    tags = ["customers"]

    @get("/", **requires("customers:read"))
    async def list_tags(self, shop_session: Session, shop_scope: Scope,
                        limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[TagRead]:
        page = await tags.list_tags(shop_session, shop_scope.shop_id, limit=limit, cursor=cursor)
        return Page(items=[TagRead(**r._asdict()) for r in page.items],
                    next_cursor=page.next_cursor)

    @post("/", **requires("customer_tags:create"))
    @idempotent
    async def create_tag(self, shop_session: Session, shop_scope: Scope, data: JSONBody[TagIn],
                         audit_context: Audit) -> TagRead:
        row = await tags.create_tag(shop_session, shop_scope.shop_id, data.name, data.color,
                                    shop_scope.user_id, audit_context)
        return TagRead(**row._asdict())

    @patch("/{tag_id:uuid}", **requires("customer_tags:edit"))
    async def update_tag(self, shop_session: Session, shop_scope: Scope,
                         tag_id: FromPath[uuid.UUID], data: JSONBody[TagPatch],
                         audit_context: Audit) -> TagRead:
        row = await tags.update_tag(shop_session, shop_scope.shop_id, tag_id, data,
                                    audit_context)
        return TagRead(**row._asdict())

    @delete("/{tag_id:uuid}", **requires("customer_tags:edit"))
    async def delete_tag(self, shop_session: Session, shop_scope: Scope,
                         tag_id: FromPath[uuid.UUID], audit_context: Audit) -> None:
        await tags.delete_tag(shop_session, shop_scope.shop_id, tag_id, audit_context)


class CustomerLevelController(Controller):
    path = "/customer-levels"
    tags = ["customers"]

    @get("/", **requires("customers:read"))
    async def list_levels(self, shop_session: Session, shop_scope: Scope) -> list[LevelRead]:
        """The shop's levels by rank (defined by the shop, at most 1001: not paginated)."""
        return [LevelRead(**r._asdict())
                for r in await levels.list_levels(shop_session, shop_scope.shop_id)]

    @post("/", **requires("level_rules:write"))
    @idempotent
    async def create_level(self, shop_session: Session, shop_scope: Scope,
                           data: JSONBody[LevelIn], audit_context: Audit) -> LevelRead:
        row = await levels.create_level(shop_session, shop_scope.shop_id, data, audit_context)
        return LevelRead(**row._asdict())

    @patch("/{level_id:uuid}", **requires("level_rules:write"))
    async def update_level(self, shop_session: Session, shop_scope: Scope,
                           level_id: FromPath[uuid.UUID], data: JSONBody[LevelPatch],
                           audit_context: Audit) -> LevelRead:
        row = await levels.update_level(shop_session, shop_scope.shop_id, level_id, data,
                                        audit_context)
        return LevelRead(**row._asdict())

    @delete("/{level_id:uuid}", **requires("level_rules:write"))
    async def delete_level(self, shop_session: Session, shop_scope: Scope,
                           level_id: FromPath[uuid.UUID], audit_context: Audit) -> None:
        await levels.delete_level(shop_session, shop_scope.shop_id, level_id, audit_context)


class PointsRuleController(Controller):
    path = "/points-rules"
    tags = ["customers"]

    @get("/", **requires("customers:read"))
    async def list_rules(self, shop_session: Session, shop_scope: Scope) -> list[PointsRuleRead]:
        """The shop's points rules (defined by the shop, at most 1000: not paginated)."""
        return [PointsRuleRead(**r._asdict())
                for r in await levels.list_rules(shop_session, shop_scope.shop_id)]

    @post("/", **requires("points_rules:write"))
    @idempotent
    async def create_rule(self, shop_session: Session, shop_scope: Scope,
                          data: JSONBody[PointsRuleIn], audit_context: Audit) -> PointsRuleRead:
        row = await levels.create_rule(shop_session, shop_scope.shop_id, data, audit_context)
        return PointsRuleRead(**row._asdict())

    @patch("/{rule_id:uuid}", **requires("points_rules:write"))
    async def update_rule(self, shop_session: Session, shop_scope: Scope,
                          rule_id: FromPath[uuid.UUID], data: JSONBody[PointsRulePatch],
                          audit_context: Audit) -> PointsRuleRead:
        row = await levels.update_rule(shop_session, shop_scope.shop_id, rule_id, data,
                                       audit_context)
        return PointsRuleRead(**row._asdict())

    @delete("/{rule_id:uuid}", **requires("points_rules:write"))
    async def delete_rule(self, shop_session: Session, shop_scope: Scope,
                          rule_id: FromPath[uuid.UUID], audit_context: Audit) -> None:
        await levels.delete_rule(shop_session, shop_scope.shop_id, rule_id, audit_context)
