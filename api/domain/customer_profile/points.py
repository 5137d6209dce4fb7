"""Points: an append-only ledger; the balance is its last ``balance_after``.

Entries of one customer are serialised on their profile row (an upsert takes its row lock),
so two concurrent debits cannot both spend the same points: the second sees the first's
balance. The table's CHECK (``balance_after >= 0``) is the last line; the API role may only
insert and read, so history is never rewritten. Every entry carries its reason.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.customer_profile import errors
from api.domain.customer_profile.schemas import PointsIssue
from api.domain.customer_profile.services import ensure_customer
from api.domain.events.outbox import emit
from api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

__all__ = ["issue", "ledger"]

_ENTRY = "id, seq, delta, balance_after, reason, rule_id, issued_by, created_at"


async def _by_key(session: AsyncSession, shop_id: uuid.UUID, key: str | None) -> Any:
    if key is None:
        return None
    return (await session.execute(text(
        f"SELECT customer_id, {_ENTRY} FROM points_ledger WHERE shop_id = :s "
        "AND idempotency_key = :k"), {"s": shop_id, "k": key})).first()


async def issue(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID,
                data: PointsIssue, *, user_id: uuid.UUID | None, idempotency_key: str | None,
                audit_context: AuditContext) -> Any:
    """发放积分 (or deduct, with a negative delta), never below zero."""
    await ensure_customer(session, shop_id, customer_id)
    if data.delta == 0:
        raise errors.zero_delta()
    if data.rule_id is not None and (await session.execute(text(
            "SELECT 1 FROM points_rules WHERE shop_id = :s AND id = :r"),
            {"s": shop_id, "r": data.rule_id})).first() is None:
        raise errors.rule_not_found()
    # The lock every entry of this customer waits on.
    await session.execute(text(
        "INSERT INTO customer_profiles (shop_id, customer_id) VALUES (:s, :c) "
        "ON CONFLICT (shop_id, customer_id) DO UPDATE SET updated_at = now()"),
        {"s": shop_id, "c": customer_id})
    repeat = await _by_key(session, shop_id, idempotency_key)
    if repeat is not None:
        if (repeat.customer_id, repeat.delta, repeat.reason) != (customer_id, data.delta,
                                                                 data.reason):
            raise errors.idempotency_key_reused()
        return repeat
    last = (await session.execute(text(
        "SELECT seq, balance_after FROM points_ledger WHERE shop_id = :s AND customer_id = :c "
        "ORDER BY seq DESC LIMIT 1"), {"s": shop_id, "c": customer_id})).first()
    seq, balance = (last.seq, last.balance_after) if last else (0, 0)
    if balance + data.delta < 0:
        raise errors.insufficient_points(balance, data.delta)
    row = (await session.execute(text(
        "INSERT INTO points_ledger (shop_id, customer_id, seq, id, delta, balance_after, "
        "reason, rule_id, issued_by, idempotency_key) VALUES (:s, :c, :seq, :id, :d, :b, :r, "
        f":rule, :by, :k) RETURNING {_ENTRY}"),
        {"s": shop_id, "c": customer_id, "seq": seq + 1, "id": uuid.uuid4(), "d": data.delta,
         "b": balance + data.delta, "r": data.reason, "rule": data.rule_id, "by": user_id,
         "k": idempotency_key})).one()
    await emit(session, shop_id, "customer.points_changed",
               {"customer_id": str(customer_id), "delta": data.delta,
                "balance": row.balance_after}, permission="customers:read")
    await record(session, audit_context, shop_id=shop_id, action="points.issued",
                 target=f"customer:{customer_id}",
                 details={"delta": data.delta, "balance_after": row.balance_after,
                          "reason": data.reason})
    return row


async def ledger(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID, *,
                 limit: int, cursor: str | None) -> Page[Any]:
    """Newest first by seq."""
    await ensure_customer(session, shop_id, customer_id)
    params: dict[str, Any] = {"s": shop_id, "c": customer_id, "limit": limit + 1}
    key = decode_cursor(cursor, 2)
    extra = ""
    if key is not None:
        # seq is a PostgreSQL integer: a larger value would fail in the driver (a 500).
        if not isinstance(key[0], int) or isinstance(key[0], bool) or not 0 < key[0] < 2**31:
            raise invalid_cursor()
        params["c_seq"] = key[0]
        extra = " AND seq < :c_seq"
    rows = (await session.execute(text(
        f"SELECT {_ENTRY} FROM points_ledger WHERE shop_id = :s AND customer_id = :c{extra} "
        "ORDER BY seq DESC LIMIT :limit"), params)).all()
    items = rows[:limit]
    return Page(items=items, next_cursor=encode_cursor([items[-1].seq, 0])
                if len(rows) > limit else None)
