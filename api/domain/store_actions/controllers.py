"""Store actions under ``/shops/{shop_id}/store-actions``: staff read them, the store answers."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.store_actions import services
from api.domain.store_actions.enums import ActionStatus
from api.domain.store_actions.schemas import ActionConfirm, StoreActionRead, to_read
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["StoreActionController"]


class StoreActionController(Controller):
    path = "/store-actions"
    tags = ["store-actions"]

    @get("/", **requires("orders:read"))
    async def list_actions(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
        status: Annotated[ActionStatus | None, QueryParameter()] = None,
        target_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Page[StoreActionRead]:
        """The shop's actions, newest first; a failed one shows the store's reason."""
        page = await services.list_actions(shop_session, shop_scope.shop_id, limit=limit,
                                           cursor=cursor, status=status, target_id=target_id)
        return Page(items=[to_read(a) for a in page.items], next_cursor=page.next_cursor)

    @get("/{action_id:uuid}", **requires("orders:read"))
    async def get_action(self, shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope],
                         action_id: FromPath[uuid.UUID]) -> StoreActionRead:
        return to_read(await services.get_action(shop_session, shop_scope.shop_id, action_id))

    @post("/{action_id:uuid}/confirm", status_code=200, **requires("actions:confirm"))
    async def confirm(self, shop_session: NamedDependency[AsyncSession],
                      shop_scope: NamedDependency[ShopScope], action_id: FromPath[uuid.UUID],
                      data: JSONBody[ActionConfirm],
                      audit_context: NamedDependency[AuditContext]) -> StoreActionRead:
        """The store's answer: ``applied``, or ``failed`` with its reason (a repeat is a no-op)."""
        action = await services.confirm_action(shop_session, shop_scope.shop_id, action_id,
                                               outcome=data.outcome, reason=data.reason,
                                               audit_context=audit_context)
        return to_read(action)
