"""Order routes: the desk's views and actions (staff), the store's push (``catalog:write``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.orders import actions, reasons, services
from api.domain.orders.enums import OrderStatus, OrderView
from api.domain.orders.schemas import (
    CloseIn,
    CloseReasonIn,
    CloseReasonRead,
    CommerceSettingsIn,
    CommerceSettingsRead,
    OrderNoteIn,
    OrderOverview,
    OrderRead,
    OrderUpsert,
    OrderUpserted,
    RefusalIn,
    RepriceIn,
    ShipIn,
    StarIn,
)
from api.domain.store_actions.schemas import IdempotencyKey, StoreActionRead, to_read
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["OrderController", "OrderSyncController", "order_read"]



def order_read(row: Any) -> OrderRead:
    fields = row._asdict()
    fields.pop("created", None)
    return OrderRead(**{**fields, "status": OrderStatus(row.status)})


def _caller(scope: ShopScope, key: str | None, audit: AuditContext) -> actions.Caller:
    return actions.Caller(scope.user_id, key, audit)


def _accepted(action: Any) -> Response[StoreActionRead]:
    return Response(to_read(action), status_code=202)


class OrderController(Controller):
    path = "/orders"
    tags = ["orders"]

    @get("/", **requires("orders:read"))
    async def list_orders(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        view: Annotated[OrderView, QueryParameter()] = OrderView.ALL,
        status: Annotated[OrderStatus | None, QueryParameter()] = None,
        customer_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        placed_from: Annotated[datetime | None, QueryParameter()] = None,
        placed_until: Annotated[datetime | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[OrderRead]:
        """All orders, the disputed (维权) or the starred ones, newest first."""
        flt = services.OrderFilter(view=view, status=status, customer_id=customer_id,
                                   placed_from=placed_from, placed_until=placed_until)
        page = await services.list_orders(shop_session, shop_scope.shop_id, flt, limit=limit,
                                          cursor=cursor)
        return Page(items=[order_read(r) for r in page.items], next_cursor=page.next_cursor)

    @get("/overview", **requires("orders:overview"))
    async def overview(self, shop_session: NamedDependency[AsyncSession],
                       shop_scope: NamedDependency[ShopScope]) -> OrderOverview:
        """订单概况: counts by status, disputed, starred, awaiting the store, paid totals."""
        return OrderOverview(**await services.overview(shop_session, shop_scope.shop_id))

    @get("/{order_id:uuid}", **requires("orders:read"))
    async def get_order(self, shop_session: NamedDependency[AsyncSession],
                        shop_scope: NamedDependency[ShopScope],
                        order_id: FromPath[uuid.UUID]) -> OrderRead:
        return order_read(await services.get_order(shop_session, shop_scope.shop_id, order_id))

    @put("/{order_id:uuid}/note", **requires("orders:note"))
    async def note(self, shop_session: NamedDependency[AsyncSession],
                   shop_scope: NamedDependency[ShopScope], order_id: FromPath[uuid.UUID],
                   data: JSONBody[OrderNoteIn], audit_context: NamedDependency[AuditContext]
                   ) -> OrderRead:
        return order_read(await services.set_note(shop_session, shop_scope.shop_id, order_id,
                                                  data.note, audit_context))

    @put("/{order_id:uuid}/star", **requires("orders:star"))
    async def star(self, shop_session: NamedDependency[AsyncSession],
                   shop_scope: NamedDependency[ShopScope], order_id: FromPath[uuid.UUID],
                   data: JSONBody[StarIn], audit_context: NamedDependency[AuditContext]
                   ) -> OrderRead:
        return order_read(await services.set_star(shop_session, shop_scope.shop_id, order_id,
                                                  data.starred, audit_context))

    @post("/{order_id:uuid}/reprice", **requires("orders:reprice"))
    async def reprice(self, shop_session: NamedDependency[AsyncSession],
                      shop_scope: NamedDependency[ShopScope], order_id: FromPath[uuid.UUID],
                      data: JSONBody[RepriceIn], audit_context: NamedDependency[AuditContext],
                      idempotency_key: IdempotencyKey = None) -> Response[StoreActionRead]:
        """改价: asks the store; the order's total changes when the store applies it."""
        return _accepted(await actions.reprice(
            shop_session, shop_scope.shop_id, order_id, data.total_minor,
            _caller(shop_scope, idempotency_key, audit_context)))

    @post("/{order_id:uuid}/ship", **requires("orders:ship"))
    async def ship(self, shop_session: NamedDependency[AsyncSession],
                   shop_scope: NamedDependency[ShopScope], order_id: FromPath[uuid.UUID],
                   data: JSONBody[ShipIn], audit_context: NamedDependency[AuditContext],
                   idempotency_key: IdempotencyKey = None) -> Response[StoreActionRead]:
        return _accepted(await actions.ship(
            shop_session, shop_scope.shop_id, order_id, data.carrier, data.tracking_number,
            _caller(shop_scope, idempotency_key, audit_context)))

    @post("/{order_id:uuid}/close", **requires("orders:close"))
    async def close(self, shop_session: NamedDependency[AsyncSession],
                    shop_scope: NamedDependency[ShopScope], order_id: FromPath[uuid.UUID],
                    data: JSONBody[CloseIn], audit_context: NamedDependency[AuditContext],
                    idempotency_key: IdempotencyKey = None) -> Response[StoreActionRead]:
        """关闭 for one of the shop's close reasons (seed 002's cancellations by default)."""
        return _accepted(await actions.close(
            shop_session, shop_scope.shop_id, order_id, data.reason, data.note,
            _caller(shop_scope, idempotency_key, audit_context)))

    # The buyer's refusal is after-sales work the agent handles with the buyer (seed 002,
    # 拒绝收货怎么回复), not the seller's cancellation: it is guarded by disputes:handle.
    @post("/{order_id:uuid}/refusal", **requires("disputes:handle"))
    async def refusal(self, shop_session: NamedDependency[AsyncSession],
                      shop_scope: NamedDependency[ShopScope], order_id: FromPath[uuid.UUID],
                      data: JSONBody[RefusalIn], audit_context: NamedDependency[AuditContext],
                      idempotency_key: IdempotencyKey = None) -> Response[StoreActionRead]:
        """拒绝收货: only before signing and within the store's time limit."""
        return _accepted(await actions.refuse_delivery(
            shop_session, shop_scope.shop_id, order_id, data.reason,
            _caller(shop_scope, idempotency_key, audit_context)))

    @get("/close-reasons", **requires("orders:read"))
    async def list_close_reasons(self, shop_session: NamedDependency[AsyncSession],
                                 shop_scope: NamedDependency[ShopScope]
                                 ) -> list[CloseReasonRead]:
        """The shop's close reasons (a short list the shop edits; not paginated by design)."""
        rows = await reasons.list_reasons(shop_session, shop_scope.shop_id)
        return [CloseReasonRead(**r._asdict()) for r in rows]

    @put("/close-reasons", **requires("shop:settings"))
    async def put_close_reason(self, shop_session: NamedDependency[AsyncSession],
                               shop_scope: NamedDependency[ShopScope],
                               data: JSONBody[CloseReasonIn],
                               audit_context: NamedDependency[AuditContext]) -> CloseReasonRead:
        """Add, rename or retire (``active: false``) the close reason ``code``."""
        row = await reasons.put_reason(shop_session, shop_scope.shop_id, data.code,
                                       label=data.label, active=data.active,
                                       position=data.position, audit_context=audit_context)
        return CloseReasonRead(**row._asdict())

    @get("/settings", **requires("orders:read"))
    async def get_settings(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope]) -> CommerceSettingsRead:
        hours = await reasons.get_settings(shop_session, shop_scope.shop_id)
        return CommerceSettingsRead(refusal_window_hours=hours)

    @put("/settings", **requires("shop:settings"))
    async def put_settings(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope],
                           data: JSONBody[CommerceSettingsIn],
                           audit_context: NamedDependency[AuditContext]) -> CommerceSettingsRead:
        """The store's refusal time limit, used when the store sends no deadline of its own."""
        hours = await reasons.put_settings(shop_session, shop_scope.shop_id,
                                           data.refusal_window_hours, audit_context)
        return CommerceSettingsRead(refusal_window_hours=hours)


class OrderSyncController(Controller):
    """The store pushes its orders in (an integration key with ``catalog:write``)."""

    path = "/sync/orders"
    tags = ["store-sync"]

    @put("/", **requires("catalog:write"))
    async def upsert(self, shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope], data: JSONBody[OrderUpsert],
                     audit_context: NamedDependency[AuditContext]) -> OrderUpserted:
        """Insert or update by ``platform_order_id``; the same push twice is one order."""
        row, created = await services.upsert_order(shop_session, shop_scope.shop_id, data,
                                                   audit_context)
        read = order_read(row)
        return OrderUpserted(**{f: getattr(read, f) for f in OrderRead.__struct_fields__},
                             created=created)
