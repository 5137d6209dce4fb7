"""Order actions that must reach the store: reprice, ship, close, the buyer's refusal.

Each locks the order, answers a repeated idempotency key with the action it already made
(before re-checking: a repeat after the store applied a shipment is that shipment, not an
"already shipped" refusal), checks the order's state, and asks the store. What changes
locally happens when the store confirms (``on_applied`` below), never before: the store is
the source of truth, and a refused action must leave the order as it was.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.orders import errors, reasons
from api.domain.orders.enums import FINISHED, NOT_SHIPPED, OrderStatus
from api.domain.orders.services import get_order
from api.domain.store_actions import services as actions
from api.domain.store_actions.enums import ActionKind, ActionStatus
from api.domain.store_actions.errors import in_flight
from api.domain.store_actions.services import StoreAction

__all__ = ["close", "refuse_delivery", "reprice", "ship"]

TARGET = "order"


class Caller:
    """Who asks, and under which idempotency key (from the request)."""

    __slots__ = ("audit", "key", "user_id")

    def __init__(self, user_id: uuid.UUID | None, key: str | None, audit: AuditContext):
        self.user_id, self.key, self.audit = user_id, key, audit


async def _repeat(session: AsyncSession, shop_id: uuid.UUID, caller: Caller
                  ) -> StoreAction | None:
    existing = await actions.find_by_key(session, shop_id, caller.key)
    return existing if existing and existing.status != ActionStatus.FAILED else None


async def _ask(session: AsyncSession, shop_id: uuid.UUID, order: Any, kind: ActionKind,
               payload: dict[str, Any], caller: Caller) -> StoreAction:
    return await actions.request_action(
        session, shop_id, kind=kind.value, target_type=TARGET, target_id=order.id,
        payload={"platform_order_id": order.platform_order_id, **payload},
        requested_by=caller.user_id, idempotency_key=caller.key, audit_context=caller.audit)


# Actions that change what the order is before shipping exclude each other while one waits:
# a reprice applied after a shipment would change a shipped order's price.
_EXCLUSIVE = (ActionKind.ORDER_REPRICE.value, ActionKind.ORDER_SHIP.value,
              ActionKind.ORDER_CLOSE.value)


async def _prepare(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID,
                   caller: Caller, *, exclusive: bool = True) -> tuple[Any, StoreAction | None]:
    order = await get_order(session, shop_id, order_id, lock=True)
    repeat = await _repeat(session, shop_id, caller)
    if repeat is None and exclusive:
        waiting = await actions.in_flight_of(session, shop_id, TARGET, order.id, _EXCLUSIVE)
        if waiting is not None:
            raise in_flight(waiting.id)
    return order, repeat


async def reprice(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID,
                  total_minor: int, caller: Caller) -> StoreAction:
    """改价: never below zero, never once shipped."""
    order, repeat = await _prepare(session, shop_id, order_id, caller)
    if repeat:
        return await _ask(session, shop_id, order, ActionKind.ORDER_REPRICE,
                          repeat.payload, caller)
    if total_minor < 0:
        raise errors.reprice_below_zero()
    if order.status in FINISHED:
        raise errors.finished(order.status)
    if order.status not in NOT_SHIPPED or order.shipped_at is not None:
        raise errors.reprice_after_shipping(order.status)
    return await _ask(session, shop_id, order, ActionKind.ORDER_REPRICE,
                      {"total_minor": total_minor, "previous_minor": order.total_minor,
                       "currency": order.currency}, caller)


async def ship(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID, carrier: str,
               tracking_number: str, caller: Caller) -> StoreAction:
    """发货 with the carrier and tracking number: only a paid order not yet shipped."""
    order, repeat = await _prepare(session, shop_id, order_id, caller)
    if repeat:
        return await _ask(session, shop_id, order, ActionKind.ORDER_SHIP, repeat.payload, caller)
    if order.status in FINISHED:
        raise errors.finished(order.status)
    if order.status == OrderStatus.PENDING_PAYMENT:
        raise errors.not_paid(order.status)
    if order.status != OrderStatus.PAID:
        raise errors.already_shipped(order.status)
    return await _ask(session, shop_id, order, ActionKind.ORDER_SHIP,
                      {"carrier": carrier, "tracking_number": tracking_number}, caller)


async def close(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID, reason: str,
                note: str, caller: Caller) -> StoreAction:
    """关闭 (the seller's cancellation): before shipping, for one of the shop's reasons."""
    order, repeat = await _prepare(session, shop_id, order_id, caller)
    if repeat:
        return await _ask(session, shop_id, order, ActionKind.ORDER_CLOSE, repeat.payload, caller)
    chosen = await reasons.active_reason(session, shop_id, reason)
    if order.status in FINISHED:
        raise errors.finished(order.status)
    if order.status not in NOT_SHIPPED:
        raise errors.close_after_shipping(order.status)
    return await _ask(session, shop_id, order, ActionKind.ORDER_CLOSE,
                      {"reason": chosen.code, "reason_label": chosen.label, "note": note},
                      caller)


def _refusal_deadline(order: Any, window_hours: int) -> datetime | None:
    if order.refusal_deadline is not None:
        return order.refusal_deadline  # the store's own limit, when it sends one
    if order.shipped_at is None:
        return None
    return order.shipped_at + timedelta(hours=window_hours)


async def refuse_delivery(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID,
                          reason: str, caller: Caller) -> StoreAction:
    """拒绝收货: the buyer refuses a shipped parcel, only before signing and in time."""
    order, repeat = await _prepare(session, shop_id, order_id, caller, exclusive=False)
    if repeat:
        return await _ask(session, shop_id, order, ActionKind.ORDER_REFUSAL, repeat.payload,
                          caller)
    if order.status in FINISHED:
        raise errors.finished(order.status)
    if order.status == OrderStatus.SIGNED or order.signed_at is not None:
        raise errors.refusal_after_signing()
    if order.status != OrderStatus.SHIPPED:
        raise errors.refusal_not_shipped(order.status)
    deadline = _refusal_deadline(order, await reasons.get_settings(session, shop_id))
    if deadline is not None and datetime.now(UTC) > deadline:
        raise errors.refusal_window_passed(deadline.isoformat())
    return await _ask(session, shop_id, order, ActionKind.ORDER_REFUSAL, {"reason": reason},
                      caller)


# -- what the store's confirmation changes here -------------------------------------------

async def _update(session: AsyncSession, action: StoreAction, assignments: str,
                  params: dict[str, Any]) -> None:
    await session.execute(text(
        f"UPDATE orders SET {assignments}, updated_at = now() "
        "WHERE shop_id = :s AND id = :id"), {"s": action.shop_id, "id": action.target_id,
                                             **params})


async def _repriced(session: AsyncSession, action: StoreAction, _: AuditContext) -> None:
    await _update(session, action, "total_minor = :t", {"t": action.payload["total_minor"]})


async def _shipped(session: AsyncSession, action: StoreAction, _: AuditContext) -> None:
    await _update(session, action, "status = 'shipped', shipped_at = now(), carrier = :c, "
                  "tracking_number = :n", {"c": action.payload["carrier"],
                                           "n": action.payload["tracking_number"]})


async def _closed(session: AsyncSession, action: StoreAction, _: AuditContext) -> None:
    await _update(session, action, "status = 'closed', closed_at = now(), close_reason = :r",
                  {"r": action.payload["reason"]})


async def _refused(session: AsyncSession, action: StoreAction, _: AuditContext) -> None:
    await _update(session, action, "refused_at = now()", {})


for _kind in (ActionKind.ORDER_REPRICE, ActionKind.ORDER_SHIP, ActionKind.ORDER_CLOSE,
              ActionKind.ORDER_REFUSAL):
    actions.readable_with(_kind.value, "orders:read")
actions.on_applied(ActionKind.ORDER_REPRICE.value, _repriced)
actions.on_applied(ActionKind.ORDER_SHIP.value, _shipped)
actions.on_applied(ActionKind.ORDER_CLOSE.value, _closed)
actions.on_applied(ActionKind.ORDER_REFUSAL.value, _refused)
