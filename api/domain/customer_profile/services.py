"""A customer as the desk sees them: tags, level, points balance, conversations, orders.

The core ``customers`` table (who the buyer is) belongs to the workspace; this slice adds
the desk's side on top of it without changing it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.customer_profile import errors
from api.pagination import Page, decode_cursor, encode_cursor

__all__ = ["BALANCE_SQL", "customer_conversations", "ensure_customer", "get_profile",
           "keyset", "list_customers"]

# The balance is the ledger's last balance_after (never stored anywhere else).
BALANCE_SQL = ("COALESCE((SELECT l.balance_after FROM points_ledger l WHERE l.shop_id = c.shop_id "
               "AND l.customer_id = c.id ORDER BY l.seq DESC LIMIT 1), 0)")
_SUMMARY = (f"c.id, c.display_name, p.level_id, {BALANCE_SQL} AS points_balance, c.created_at "
            "FROM customers c LEFT JOIN customer_profiles p ON p.shop_id = c.shop_id "
            "AND p.customer_id = c.id")


def keyset(cursor: str | None, params: dict[str, Any]) -> bool:
    """Decode a (timestamp, id) cursor into ``params`` (c_at, c_id); whether there was one."""
    key = decode_cursor(cursor, (datetime, uuid.UUID))
    if key is None:
        return False
    params["c_at"], params["c_id"] = key
    return True


def page_of(rows: list[Any], limit: int, at: str = "created_at") -> Page[Any]:
    items = rows[:limit]
    next_cursor = (encode_cursor([getattr(items[-1], at).isoformat(), str(items[-1].id)])
                   if len(rows) > limit else None)
    return Page(items=items, next_cursor=next_cursor)


async def ensure_customer(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID
                          ) -> None:
    found = (await session.execute(text(
        "SELECT 1 FROM customers WHERE shop_id = :s AND id = :c"),
        {"s": shop_id, "c": customer_id})).first()
    if found is None:
        raise errors.customer_not_found()


async def get_profile(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID
                      ) -> dict[str, Any]:
    row = (await session.execute(text(
        f"SELECT {_SUMMARY} WHERE c.shop_id = :s AND c.id = :c"),
        {"s": shop_id, "c": customer_id})).first()
    if row is None:
        raise errors.customer_not_found()
    tags = (await session.execute(text(
        "SELECT t.id, t.name, t.color, t.created_at FROM customer_tag_links l "
        "JOIN customer_tags t ON t.shop_id = l.shop_id AND t.id = l.tag_id "
        "WHERE l.shop_id = :s AND l.customer_id = :c ORDER BY t.name"),
        {"s": shop_id, "c": customer_id})).all()
    level = None
    if row.level_id is not None:
        level = (await session.execute(text(
            "SELECT id, name, rank, min_points FROM customer_levels "
            "WHERE shop_id = :s AND id = :l"), {"s": shop_id, "l": row.level_id})).first()
    # The level rules at work: the highest level whose threshold the points the customer
    # has ever earned reach (spending points never lowers it). Staff set the level itself.
    earned = (await session.execute(text(
        "SELECT COALESCE(sum(delta), 0) FROM points_ledger WHERE shop_id = :s "
        "AND customer_id = :c AND delta > 0"), {"s": shop_id, "c": customer_id})).scalar_one()
    suggested = (await session.execute(text(
        "SELECT id FROM customer_levels WHERE shop_id = :s AND min_points <= :e "
        "ORDER BY rank DESC LIMIT 1"), {"s": shop_id, "e": int(earned)})).scalar_one_or_none()
    return {**row._asdict(), "tags": [t._asdict() for t in tags],
            "level": level._asdict() if level else None, "points_earned": int(earned),
            "suggested_level_id": suggested}


async def list_customers(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                         cursor: str | None, tag_id: uuid.UUID | None,
                         level_id: uuid.UUID | None) -> Page[Any]:
    """Newest first by (created_at, id); optionally those with a tag or a level."""
    where, params = ["c.shop_id = :s"], {"s": shop_id, "limit": limit + 1}
    if tag_id is not None:
        where.append("EXISTS (SELECT 1 FROM customer_tag_links t WHERE t.shop_id = :s "
                     "AND t.customer_id = c.id AND t.tag_id = :tag)")
        params["tag"] = tag_id
    if level_id is not None:
        where.append("p.level_id = :level")
        params["level"] = level_id
    if keyset(cursor, params):
        where.append("(c.created_at, c.id) < (:c_at, :c_id)")
    rows = (await session.execute(text(
        f"SELECT {_SUMMARY} WHERE {' AND '.join(where)} "
        "ORDER BY c.created_at DESC, c.id DESC LIMIT :limit"), params)).all()
    return page_of(rows, limit)


async def customer_conversations(session: AsyncSession, shop_id: uuid.UUID,
                                 customer_id: uuid.UUID, *, limit: int, cursor: str | None
                                 ) -> Page[Any]:
    await ensure_customer(session, shop_id, customer_id)
    params: dict[str, Any] = {"s": shop_id, "c": customer_id, "limit": limit + 1}
    extra = " AND (created_at, id) < (:c_at, :c_id)" if keyset(cursor, params) else ""
    rows = (await session.execute(text(
        "SELECT id, channel, status, assignee_id, created_at, updated_at FROM conversations "
        f"WHERE shop_id = :s AND customer_id = :c{extra} "
        "ORDER BY created_at DESC, id DESC LIMIT :limit"), params)).all()
    return page_of(rows, limit)
