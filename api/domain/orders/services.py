"""Orders: the store's copy upserted by platform id, and the desk's reads and local marks.

Local marks (note, star) never reach the store and a store push never overwrites them; what
the store owns (status, money, shipping) changes only by a push or an applied store action.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.orders import errors
from api.domain.orders.enums import OrderView
from api.domain.orders.schemas import OrderUpsert
from api.pagination import Page, decode_cursor, page_of

__all__ = ["COLUMNS", "OrderFilter", "get_order", "list_orders", "overview", "set_note",
           "set_star", "upsert_order"]

COLUMNS = ("id, platform_order_id, customer_id, status, total_minor, paid_minor, currency, "
           "items, disputed, starred, note, carrier, tracking_number, close_reason, placed_at, "
           "paid_at, shipped_at, signed_at, closed_at, refused_at, refusal_deadline, updated_at")


async def _customer_exists(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID
                           ) -> bool:
    return (await session.execute(text(
        "SELECT 1 FROM customers WHERE shop_id = :s AND id = :c"),
        {"s": shop_id, "c": customer_id})).first() is not None


async def upsert_order(session: AsyncSession, shop_id: uuid.UUID, data: OrderUpsert,
                       audit_context: AuditContext) -> tuple[Any, bool]:
    """Insert or update by ``platform_order_id``; ``(row, created)``. Idempotent."""
    if data.customer_id is not None and not await _customer_exists(session, shop_id,
                                                                   data.customer_id):
        raise errors.unknown_customer()
    params = {
        "s": shop_id, "id": uuid.uuid4(), "pid": data.platform_order_id,
        "customer_id": data.customer_id, "status": data.status.value,
        "total": data.total_minor, "paid": data.paid_minor, "currency": data.currency,
        "items": json.dumps(msgspec.to_builtins(data.items)), "disputed": data.disputed,
        "placed_at": data.placed_at, "paid_at": data.paid_at, "shipped_at": data.shipped_at,
        "signed_at": data.signed_at, "closed_at": data.closed_at, "carrier": data.carrier,
        "tracking": data.tracking_number, "deadline": data.refusal_deadline,
    }
    row = (await session.execute(text(
        "INSERT INTO orders AS o (shop_id, id, platform_order_id, customer_id, status, "
        "total_minor, paid_minor, currency, items, disputed, placed_at, paid_at, shipped_at, "
        "signed_at, closed_at, carrier, tracking_number, refusal_deadline) VALUES (:s, :id, "
        ":pid, :customer_id, :status, :total, :paid, :currency, CAST(:items AS jsonb), "
        ":disputed, COALESCE(:placed_at, now()), :paid_at, :shipped_at, :signed_at, "
        ":closed_at, :carrier, :tracking, :deadline) "
        "ON CONFLICT (shop_id, platform_order_id) DO UPDATE SET "
        "customer_id = EXCLUDED.customer_id, status = EXCLUDED.status, "
        "total_minor = EXCLUDED.total_minor, paid_minor = EXCLUDED.paid_minor, "
        "currency = EXCLUDED.currency, items = EXCLUDED.items, disputed = EXCLUDED.disputed, "
        "placed_at = COALESCE(:placed_at, o.placed_at), paid_at = EXCLUDED.paid_at, "
        "shipped_at = EXCLUDED.shipped_at, signed_at = EXCLUDED.signed_at, "
        "closed_at = EXCLUDED.closed_at, carrier = EXCLUDED.carrier, "
        "tracking_number = EXCLUDED.tracking_number, "
        "refusal_deadline = EXCLUDED.refusal_deadline, updated_at = now() "
        f"RETURNING {COLUMNS}, (xmax = 0) AS created"), params)).one()
    await record(session, audit_context, shop_id=shop_id, action="order.upserted",
                 target=f"order:{row.id}",
                 details={"platform_order_id": data.platform_order_id, "created": row.created,
                          "status": data.status.value})
    return row, bool(row.created)


async def get_order(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID, *,
                    lock: bool = False) -> Any:
    row = (await session.execute(text(
        f"SELECT {COLUMNS} FROM orders WHERE shop_id = :s AND id = :id"
        + (" FOR UPDATE" if lock else "")), {"s": shop_id, "id": order_id})).first()
    if row is None:
        raise errors.not_found()
    return row


class OrderFilter(msgspec.Struct, kw_only=True):
    view: OrderView = OrderView.ALL
    status: str | None = None
    customer_id: uuid.UUID | None = None
    placed_from: datetime | None = None
    placed_until: datetime | None = None


async def list_orders(session: AsyncSession, shop_id: uuid.UUID, flt: OrderFilter, *,
                      limit: int, cursor: str | None) -> Page[Any]:
    """Newest first by (placed_at, id); the disputed and starred views use partial indexes."""
    for name, moment in (("placed_from", flt.placed_from), ("placed_until", flt.placed_until)):
        try:  # the driver converts to UTC: 0001-01-01 at +01:00 would fail there, a 500
            if moment is not None:
                moment.astimezone(UTC)
        except OverflowError:
            raise errors.out_of_range_time(name) from None
    where, params = ["shop_id = :s"], {"s": shop_id, "limit": limit + 1}
    if flt.view is OrderView.DISPUTED:
        where.append("disputed")
    elif flt.view is OrderView.STARRED:
        where.append("starred")
    for column, value, op in (("status", flt.status, "="), ("customer_id", flt.customer_id, "="),
                              ("placed_at", flt.placed_from, ">="),
                              ("placed_at", flt.placed_until, "<")):
        if value is not None:
            name = f"p{len(params)}"
            where.append(f"{column} {op} :{name}")
            params[name] = value
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    if after is not None:
        params["c_at"], params["c_id"] = after
        where.append("(placed_at, id) < (:c_at, :c_id)")
    rows = (await session.execute(text(
        f"SELECT {COLUMNS} FROM orders WHERE {' AND '.join(where)} "
        "ORDER BY placed_at DESC, id DESC LIMIT :limit"), params)).all()
    return page_of(rows, limit, lambda row: [row.placed_at, row.id])


async def overview(session: AsyncSession, shop_id: uuid.UUID) -> dict[str, Any]:
    """Counts by status, the disputed and starred lists, actions awaiting the store, and
    paid totals per currency (never summed across currencies)."""
    statuses = (await session.execute(text(
        "SELECT status, count(*) AS n FROM orders WHERE shop_id = :s GROUP BY status"),
        {"s": shop_id})).all()
    flags = (await session.execute(text(
        "SELECT count(*) FILTER (WHERE disputed) AS disputed, "
        "count(*) FILTER (WHERE starred) AS starred FROM orders WHERE shop_id = :s"),
        {"s": shop_id})).one()
    awaiting = (await session.execute(text(
        "SELECT count(*) FROM store_actions WHERE shop_id = :s AND status = 'requested'"),
        {"s": shop_id})).scalar_one()
    totals = (await session.execute(text(
        "SELECT currency, count(*) AS orders, COALESCE(sum(paid_minor), 0) AS paid_minor "
        "FROM orders WHERE shop_id = :s AND paid_minor IS NOT NULL "
        "GROUP BY currency ORDER BY currency"), {"s": shop_id})).all()
    return {"by_status": {r.status: r.n for r in statuses}, "disputed": flags.disputed,
            "starred": flags.starred, "awaiting_store": awaiting,
            "paid_totals": [{"currency": t.currency.strip(), "orders": t.orders,
                             "paid_minor": int(t.paid_minor)} for t in totals]}


async def _set(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID, column: str,
               value: Any) -> Any:
    row = (await session.execute(text(
        f"UPDATE orders SET {column} = :v, updated_at = now() WHERE shop_id = :s AND id = :id "
        f"RETURNING {COLUMNS}"), {"s": shop_id, "id": order_id, "v": value})).first()
    if row is None:
        raise errors.not_found()
    return row


async def set_note(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID, note: str,
                   audit_context: AuditContext) -> Any:
    """The desk's own note (备注): kept here, never sent to the store."""
    row = await _set(session, shop_id, order_id, "note", note)
    await record(session, audit_context, shop_id=shop_id, action="order.noted",
                 target=f"order:{order_id}", details={"length": len(note)})
    return row


async def set_star(session: AsyncSession, shop_id: uuid.UUID, order_id: uuid.UUID,
                   starred: bool, audit_context: AuditContext) -> Any:
    row = await _set(session, shop_id, order_id, "starred", starred)
    await record(session, audit_context, shop_id=shop_id, action="order.starred",
                 target=f"order:{order_id}", details={"starred": starred})
    return row
