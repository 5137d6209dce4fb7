"""Refunds (admins and above): asked of the store, bounded by what the buyer paid.

The bound holds under concurrency because every refund of an order is decided under that
order's row lock: requested and applied refunds count, failed ones do not. A refund is its
own store action (target ``refund``), so several partial refunds may wait at once; when the
applied ones reach the paid total the order becomes ``refunded``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.after_sales import errors
from api.domain.after_sales.schemas import RefundIn
from api.domain.audit.context import AuditContext
from api.domain.orders.services import get_order
from api.domain.store_actions import services as actions
from api.domain.store_actions.enums import ActionKind, ActionStatus
from api.domain.store_actions.services import StoreAction
from api.pagination import Page, decode_cursor, page_of

__all__ = ["list_refunds", "request_refund"]

_COLUMNS = ("id, order_id, case_id, action_id, amount_minor, currency, reason, status, "
            "requested_by, created_at, updated_at")


async def _refund_of(session: AsyncSession, shop_id: uuid.UUID, action_id: uuid.UUID) -> Any:
    return (await session.execute(text(
        f"SELECT {_COLUMNS} FROM refunds WHERE shop_id = :s AND action_id = :a"),
        {"s": shop_id, "a": action_id})).one()


async def _counted(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID) -> int:
    return int((await session.execute(text(
        "SELECT COALESCE(sum(amount_minor), 0) FROM refunds WHERE shop_id = :s "
        "AND order_id = :o AND status <> 'failed'"), {"s": shop_id, "o": order_id})).scalar_one())


async def request_refund(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID,
                         data: RefundIn, *, user_id: uuid.UUID | None,
                         idempotency_key: str | None, audit_context: AuditContext
                         ) -> tuple[Any, StoreAction]:
    order = await get_order(session, shop_id, order_id, lock=True)
    existing = await actions.find_by_key(session, shop_id, idempotency_key)
    refund_id = uuid.uuid4()
    if existing is not None and existing.kind == ActionKind.ORDER_REFUND:
        refund_id = existing.target_id
        if existing.status != ActionStatus.FAILED:
            action = await _ask(session, shop_id, order, refund_id, data, user_id,
                                idempotency_key, audit_context)
            return await _refund_of(session, shop_id, action.id), action
    if order.paid_minor is None:
        raise errors.order_not_paid()
    if data.currency != order.currency:
        raise errors.currency_mismatch(order.currency)
    if data.case_id is not None and (await session.execute(text(
            "SELECT 1 FROM after_sales_cases WHERE shop_id = :s AND id = :c AND order_id = :o"),
            {"s": shop_id, "c": data.case_id, "o": order_id})).first() is None:
        raise errors.unknown_case()
    counted = await _counted(session, shop_id, order_id)
    if counted + data.amount_minor > order.paid_minor:
        raise errors.exceeds_paid(order.paid_minor, counted)
    action = await _ask(session, shop_id, order, refund_id, data, user_id, idempotency_key,
                        audit_context)
    row = (await session.execute(text(
        "INSERT INTO refunds (shop_id, id, order_id, case_id, action_id, amount_minor, currency, "
        "reason, requested_by) VALUES (:s, :id, :o, :c, :a, :amt, :cur, :r, :by) "
        "ON CONFLICT (shop_id, id) DO UPDATE SET status = 'requested', updated_at = now() "
        f"RETURNING {_COLUMNS}"),
        {"s": shop_id, "id": refund_id, "o": order_id, "c": data.case_id, "a": action.id,
         "amt": data.amount_minor, "cur": data.currency, "r": data.reason,
         "by": user_id})).one()
    return row, action


async def _ask(session: AsyncSession, shop_id: uuid.UUID, order: Any, refund_id: uuid.UUID,
               data: RefundIn, user_id: uuid.UUID | None, key: str | None,
               audit_context: AuditContext) -> StoreAction:
    return await actions.request_action(
        session, shop_id, kind=ActionKind.ORDER_REFUND.value, target_type="refund",
        target_id=refund_id,
        payload={"order_id": str(order.id), "platform_order_id": order.platform_order_id,
                 "amount_minor": data.amount_minor, "currency": data.currency,
                 "reason": data.reason},
        requested_by=user_id, idempotency_key=key, audit_context=audit_context)


async def list_refunds(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID, *,
                       limit: int, cursor: str | None) -> Page[Any]:
    await get_order(session, shop_id, order_id)
    params: dict[str, Any] = {"s": shop_id, "o": order_id, "limit": limit + 1}
    where = "shop_id = :s AND order_id = :o"
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    if after is not None:
        params["c_at"], params["c_id"] = after
        where += " AND (created_at, id) > (:c_at, :c_id)"
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM refunds WHERE {where} ORDER BY created_at, id LIMIT :limit"),
        params)).all()
    return page_of(rows, limit, lambda row: [row.created_at, row.id])


# -- the store's answer ------------------------------------------------------------------

async def _applied(session: AsyncSession, action: StoreAction, _: AuditContext) -> None:
    refund = (await session.execute(text(
        "UPDATE refunds SET status = 'applied', updated_at = now() "
        "WHERE shop_id = :s AND action_id = :a RETURNING order_id"),
        {"s": action.shop_id, "a": action.id})).one()
    # Fully refunded: the order's state says so (the store's next push will agree).
    await session.execute(text(
        "UPDATE orders o SET status = 'refunded', updated_at = now() "
        "WHERE o.shop_id = :s AND o.id = :o AND o.paid_minor IS NOT NULL AND o.paid_minor <= "
        "(SELECT COALESCE(sum(amount_minor), 0) FROM refunds r WHERE r.shop_id = :s "
        " AND r.order_id = :o AND r.status = 'applied')"),
        {"s": action.shop_id, "o": refund.order_id})


async def _failed(session: AsyncSession, action: StoreAction, _: AuditContext) -> None:
    # A failed refund no longer holds part of the paid total.
    await session.execute(text(
        "UPDATE refunds SET status = 'failed', updated_at = now() "
        "WHERE shop_id = :s AND action_id = :a"), {"s": action.shop_id, "a": action.id})


# A refund is part of the order's story: whoever reads orders sees it (agents handle
# disputes; refunds:process is what it takes to decide one).
actions.readable_with(ActionKind.ORDER_REFUND.value, "orders:read")
actions.on_applied(ActionKind.ORDER_REFUND.value, _applied)
actions.on_failed(ActionKind.ORDER_REFUND.value, _failed)
