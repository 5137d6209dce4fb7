"""After-sales routes: cases (``disputes:handle``) and refunds (``refunds:process``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.after_sales import refunds, services
from api.domain.after_sales.enums import CaseKind, CaseStatus, RefundStatus
from api.domain.after_sales.schemas import (
    CaseIn,
    CasePatch,
    CaseRead,
    CaseResolve,
    RefundIn,
    RefundRead,
    RefundRequested,
)
from api.domain.audit.context import AuditContext
from api.domain.store_actions.schemas import IdempotencyKey, to_read
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["AfterSalesController", "RefundController"]


def case_read(row: Any) -> CaseRead:
    return CaseRead(**{**row._asdict(), "kind": CaseKind(row.kind),
                       "status": CaseStatus(row.status)})


def refund_read(row: Any) -> RefundRead:
    return RefundRead(**{**row._asdict(), "status": RefundStatus(row.status)})


class AfterSalesController(Controller):
    path = "/after-sales/cases"
    tags = ["after-sales"]

    @post("/", **requires("disputes:handle"))
    @idempotent
    async def open_case(self, shop_session: NamedDependency[AsyncSession],
                        shop_scope: NamedDependency[ShopScope], data: JSONBody[CaseIn],
                        audit_context: NamedDependency[AuditContext]) -> CaseRead:
        """处理维权: open a case on an order with the 5W1H answers, linked to its conversation."""
        return case_read(await services.create_case(shop_session, shop_scope.shop_id, data,
                                                    shop_scope.user_id, audit_context))

    @get("/", **requires("disputes:handle"))
    async def list_cases(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        status: Annotated[CaseStatus | None, QueryParameter()] = None,
        order_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[CaseRead]:
        page = await services.list_cases(shop_session, shop_scope.shop_id, limit=limit,
                                         cursor=cursor, status=status, order_id=order_id)
        return Page(items=[case_read(r) for r in page.items], next_cursor=page.next_cursor)

    @get("/{case_id:uuid}", **requires("disputes:handle"))
    async def get_case(self, shop_session: NamedDependency[AsyncSession],
                       shop_scope: NamedDependency[ShopScope],
                       case_id: FromPath[uuid.UUID]) -> CaseRead:
        return case_read(await services.get_case(shop_session, shop_scope.shop_id, case_id))

    @patch("/{case_id:uuid}", **requires("disputes:handle"))
    async def update_case(self, shop_session: NamedDependency[AsyncSession],
                          shop_scope: NamedDependency[ShopScope], case_id: FromPath[uuid.UUID],
                          data: JSONBody[CasePatch],
                          audit_context: NamedDependency[AuditContext]) -> CaseRead:
        return case_read(await services.update_case(shop_session, shop_scope.shop_id, case_id,
                                                    data, shop_scope.user_id, audit_context))

    @post("/{case_id:uuid}/resolve", status_code=200, **requires("disputes:handle"))
    async def resolve_case(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope], case_id: FromPath[uuid.UUID],
                           data: JSONBody[CaseResolve],
                           audit_context: NamedDependency[AuditContext]) -> CaseRead:
        return case_read(await services.resolve_case(
            shop_session, shop_scope.shop_id, case_id, data.status, data.resolution,
            shop_scope.user_id, audit_context))


class RefundController(Controller):
    path = "/orders/{order_id:uuid}/refunds"
    tags = ["after-sales"]

    @post("/", **requires("refunds:process"))
    async def request_refund(self, shop_session: NamedDependency[AsyncSession],
                             shop_scope: NamedDependency[ShopScope],
                             order_id: FromPath[uuid.UUID], data: JSONBody[RefundIn],
                             audit_context: NamedDependency[AuditContext],
                             idempotency_key: IdempotencyKey = None
                             ) -> Response[RefundRequested]:
        """退款: asks the store; the sum of an order's refunds never exceeds what was paid."""
        row, action = await refunds.request_refund(
            shop_session, shop_scope.shop_id, order_id, data, user_id=shop_scope.user_id,
            idempotency_key=idempotency_key, audit_context=audit_context)
        return Response(RefundRequested(refund=refund_read(row), action=to_read(action)),
                        status_code=202)

    @get("/", **requires("orders:read"))
    async def list_refunds(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        order_id: FromPath[uuid.UUID],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[RefundRead]:
        page = await refunds.list_refunds(shop_session, shop_scope.shop_id, order_id,
                                          limit=limit, cursor=cursor)
        return Page(items=[refund_read(r) for r in page.items], next_cursor=page.next_cursor)
