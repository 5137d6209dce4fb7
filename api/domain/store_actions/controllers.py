"""Store actions under ``/shops/{shop_id}/store-actions``: staff read them, the store answers."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.store_actions import errors, services
from api.domain.store_actions.enums import ActionStatus
from api.domain.store_actions.schemas import ActionConfirm, StoreActionRead, to_read
from api.guard import ShopScope, may
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["StoreActionController"]


class StoreActionController(Controller):
    path = "/store-actions"
    tags = ["store-actions"]

    @get("/", **requires("orders:read"))
    async def list_actions(
        self, request: Request, shop_session: NamedDependency[AsyncSession],
        shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
        status: Annotated[ActionStatus | None, QueryParameter()] = None,
        target_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Page[StoreActionRead]:
        """The shop's actions the caller may read, newest first; a failed one shows the store's
        reason. An action is read with its target's permission (a review reply with
        reviews:manage, a redemption with verifications:read)."""
        kinds = services.readable_kinds(may(request, shop_scope))
        page = await services.list_actions(shop_session, shop_scope.shop_id, kinds=kinds,
                                           limit=limit, cursor=cursor, status=status,
                                           target_id=target_id)
        return Page(items=[to_read(a) for a in page.items], next_cursor=page.next_cursor)

    @get("/{action_id:uuid}", **requires("orders:read"))
    async def get_action(self, request: Request, shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope],
                         action_id: FromPath[uuid.UUID]) -> StoreActionRead:
        action = await services.get_action(shop_session, shop_scope.shop_id, action_id)
        if not may(request, shop_scope)(services.read_permission(action.kind)):
            raise errors.not_found()  # as if absent: its kind is not the caller's to read
        return to_read(action)

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
