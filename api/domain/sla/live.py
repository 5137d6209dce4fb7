"""Time left before breach: for the workspace queue, the event stream and the live view.

A running clock's ``deadline_at`` is already the instant its target is reached (business
time converted through the calendar at start or resume), so time left is plain subtraction.
Paused clocks have no deadline; a breached clock keeps its deadline and goes negative.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.pagination import decode_cursor, encode_cursor, invalid_cursor

__all__ = ["SECONDS_TO_BREACH_SQL", "live_page", "seconds_to_breach", "seconds_to_breach_on"]

SECONDS_TO_BREACH_SQL = (
    "SELECT conversation_id, "
    "extract(epoch FROM min(deadline_at) - clock_timestamp())::float8 AS left_s "
    "FROM sla_clocks WHERE shop_id = $1 AND conversation_id = ANY($2::uuid[]) "
    "AND state = 'running' AND deadline_at IS NOT NULL GROUP BY conversation_id")


async def seconds_to_breach(session: AsyncSession, shop_id: uuid.UUID,
                            conversation_ids: list[uuid.UUID]) -> dict[uuid.UUID, float | None]:
    """Seconds before the earliest running deadline of each conversation.

    ``None`` when no clock with a deadline runs; negative when already breached.
    """
    result: dict[uuid.UUID, float | None] = {cid: None for cid in conversation_ids}
    if not conversation_ids:
        return result
    rows = await session.execute(text(
        "SELECT conversation_id, "
        "extract(epoch FROM min(deadline_at) - clock_timestamp())::float8 AS left_s "
        "FROM sla_clocks WHERE shop_id = :shop_id AND conversation_id = ANY(:ids) "
        "AND state = 'running' AND deadline_at IS NOT NULL GROUP BY conversation_id"),
        {"shop_id": shop_id, "ids": list(conversation_ids)})
    for conversation_id, left in rows:
        result[conversation_id] = left
    return result


async def seconds_to_breach_on(conn: asyncpg.Connection, shop_id: uuid.UUID,
                               conversation_ids: list[uuid.UUID]
                               ) -> dict[uuid.UUID, float | None]:
    """``seconds_to_breach`` on a plain asyncpg connection (the hot reads, ``api.db.reader``)."""
    result: dict[uuid.UUID, float | None] = {cid: None for cid in conversation_ids}
    if conversation_ids:
        for record in await conn.fetch(SECONDS_TO_BREACH_SQL, shop_id, conversation_ids):
            result[record[0]] = record[1]
    return result


async def live_page(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                    cursor: str | None) -> tuple[list[Any], str | None]:
    """Waiting conversations (a running FRT or NRT), the least time left first.

    One row per conversation: its most urgent wait. Waits without a target come last.
    Keyset over (deadline or +infinity, conversation id).
    """
    key = decode_cursor(cursor, 2)
    params: dict[str, Any] = {"shop_id": shop_id, "limit": limit + 1}
    after = ""
    if key is not None:
        try:
            params["k_id"] = uuid.UUID(str(key[1]))
            if key[0] == "infinity":
                after = "WHERE w.deadline_at IS NULL AND w.conversation_id > :k_id"
            else:
                params["k_deadline"] = datetime.fromisoformat(str(key[0]))
                if params["k_deadline"].tzinfo is None:
                    raise ValueError("a cursor's time carries its offset")
                # past datetime's range in UTC (9999-12-31 at -14:00): fails in asyncpg
                params["k_deadline"].astimezone(UTC)
                after = ("WHERE (w.sort_at, w.conversation_id) > "
                         "(CAST(:k_deadline AS timestamptz), :k_id)")
        except (ValueError, OverflowError) as exc:
            raise invalid_cursor() from exc
    rows = (await session.execute(text(
        "WITH waits AS (SELECT DISTINCT ON (c.conversation_id) c.conversation_id, c.metric, "
        "c.channel, c.priority, c.started_at, c.deadline_at, y.assignee_id, "
        "coalesce(c.deadline_at, 'infinity'::timestamptz) AS sort_at "
        "FROM sla_clocks c JOIN sla_cycles y ON y.shop_id = c.shop_id "
        "AND y.conversation_id = c.conversation_id AND y.cycle = c.cycle "
        "WHERE c.shop_id = :shop_id AND c.state = 'running' AND c.metric IN ('frt', 'nrt') "
        "ORDER BY c.conversation_id, coalesce(c.deadline_at, 'infinity'::timestamptz)) "
        "SELECT w.*, extract(epoch FROM w.deadline_at - clock_timestamp())::float8 AS left_s "
        f"FROM waits w {after} ORDER BY w.sort_at, w.conversation_id LIMIT :limit"),
        params)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        sort_at = "infinity" if last.deadline_at is None else last.deadline_at.isoformat()
        next_cursor = encode_cursor([sort_at, str(last.conversation_id)])
    return rows, next_cursor
